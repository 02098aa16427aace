// `npm run bench -- produce ...`: the `highwater bench` command on its own, so the load generator
// runs without the rest of the CLI (same options as `highwater bench`).
import { Command } from 'commander';
import { registerBenchCommand } from '../src/cli/bench.ts';

const program = new Command('highwater').showHelpAfterError();
registerBenchCommand(program);
await program.parseAsync(['node', 'highwater', 'bench', ...process.argv.slice(2)]);
