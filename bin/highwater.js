#!/usr/bin/env node
/* global process */
// The `highwater` command: runs the TypeScript CLI with Node's built-in type stripping. The
// version check comes first and in plain JavaScript, so an unsupported Node gets one line, not a
// syntax error from the TypeScript it cannot read.
const [major, minor] = process.versions.node.split('.').map(Number);
if (!(major >= 24 || (major === 22 && minor >= 18))) {
  process.stderr.write(`highwater: Node.js ${process.versions.node} is not supported; use Node 24, or 22.18 or later (\`npm install\` brings Node 24 on Linux x64: run through npm or npx)\n`);
  process.exit(1);
}
await import('../src/cli/main.ts');
