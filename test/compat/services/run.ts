// Services runner: the ecosystem's own services (Kafka Connect, Kafka Streams) run against a broker
// this runner starts, Apache Kafka (the reference) or Highwater, each scenario under a hard timeout,
// every JVM it started killed at the end. Prints a scenario table per broker and, with --out,
// rewrites that broker's block of the services section of docs/compat.md.
//
//   node test/compat/services/run.ts [--broker kafka|highwater|kafka,highwater] [--scenarios a,b]
//                                    [--out docs/compat.md]
//
// Exit code: 0 when every scenario PASSed on every broker, 1 otherwise, 2 on bad arguments.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { highwaterBroker, kafkaBroker, type Broker } from '../run.ts';
import { abortScenario, classpathFile, clearAbort, killAll, repoRoot } from './jvm.ts';
import { BrokerClient } from './kafka.ts';
import { scenarios, type Scenario, type ScenarioContext } from './scenarios.ts';

type Status = 'PASS' | 'FAIL';
interface Outcome {
  name: string;
  status: Status;
  detail: string;
  seconds: number;
}

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

async function runScenario(scenario: Scenario, context: ScenarioContext): Promise<Outcome> {
  const began = Date.now();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    abortScenario(`hard timeout of ${scenario.timeoutMs / 1000} s`);
  }, scenario.timeoutMs);
  let outcome: Outcome;
  try {
    const detail = await scenario.run(context);
    outcome = { name: scenario.name, status: 'PASS', detail, seconds: 0 };
  } catch (error) {
    const message = (error as Error).message.replace(/\s+/g, ' ').slice(0, 500);
    outcome = { name: scenario.name, status: 'FAIL', detail: timedOut && !message.startsWith('hard timeout') ? `hard timeout of ${scenario.timeoutMs / 1000} s: ${message}` : message, seconds: 0 };
  } finally {
    clearTimeout(timer);
    clearAbort();
  }
  outcome.seconds = (Date.now() - began) / 1000;
  return outcome;
}

/** The broker being run, so that SIGINT/SIGTERM stop it too (Kafka runs in its own session). */
let currentBroker: Broker | undefined;

async function runOnBroker(kind: string, selected: Scenario[]): Promise<{ broker: Broker; outcomes: Outcome[] }> {
  const broker = kind === 'kafka' ? kafkaBroker(undefined) : highwaterBroker();
  currentBroker = broker;
  const workDir = mkdtempSync(join(tmpdir(), `highwater-services-${kind}-`));
  const outcomes: Outcome[] = [];
  let client: BrokerClient | undefined;
  try {
    process.stderr.write(`starting broker: ${kind}\n`);
    await broker.start();
    client = new BrokerClient(broker.bootstrap);
    const context: ScenarioContext = {
      bootstrap: broker.bootstrap,
      client,
      prefix: `services-${Date.now().toString(36)}`,
      workDir,
      restPort: await freePort(),
    };
    for (const scenario of selected) {
      const dependency = scenario.dependsOn ? outcomes.find((o) => o.name === scenario.dependsOn) : undefined;
      if (dependency && dependency.status !== 'PASS') {
        outcomes.push({ name: scenario.name, status: 'FAIL', detail: `not run: ${dependency.name} failed`, seconds: 0 });
        continue;
      }
      process.stderr.write(`${kind}: ${scenario.name}\n`);
      const outcome = await runScenario(scenario, context);
      process.stderr.write(`  ${outcome.status} ${outcome.name} (${outcome.seconds.toFixed(0)} s): ${outcome.detail}\n`);
      if (outcome.status === 'FAIL') {
        for (const log of readdirSync(workDir).filter((name) => name.endsWith('.log'))) {
          const path = join(workDir, log);
          if (!existsSync(path)) continue;
          const problems = readFileSync(path, 'utf8').split('\n').filter((l) => /\b(ERROR|WARN)\b|Exception/.test(l)).slice(-8);
          if (problems.length > 0) process.stderr.write(`  last problems in ${log}:\n    ${problems.map((l) => l.slice(0, 400)).join('\n    ')}\n`);
        }
      }
      outcomes.push(outcome);
    }
  } catch (error) {
    const message = (error as Error).message.replace(/\s+/g, ' ').slice(0, 500);
    for (const scenario of selected) {
      if (!outcomes.some((o) => o.name === scenario.name)) outcomes.push({ name: scenario.name, status: 'FAIL', detail: `broker: ${message}`, seconds: 0 });
    }
  } finally {
    killAll();
    await client?.close();
    await broker.stop();
    currentBroker = undefined;
    if (!process.env['HIGHWATER_SERVICES_KEEP']) rmSync(workDir, { recursive: true, force: true });
    else process.stderr.write(`work dir kept: ${workDir}\n`);
  }
  return { broker, outcomes };
}

function tableMarkdown(broker: Broker, outcomes: Outcome[], startedAt: Date, command: string): string {
  const lines = [
    `Date: ${startedAt.toISOString()}  `,
    `Broker: ${broker.description}  `,
    `Command: \`${command}\``,
    '',
    '| scenario | result | s | detail |',
    '| --- | --- | --: | --- |',
    ...outcomes.map((o) => `| ${o.name} | ${o.status} | ${o.seconds.toFixed(0)} | ${o.detail.replace(/\|/g, '/')} |`),
  ];
  return lines.join('\n') + '\n';
}

/** Rewrites the broker's marked block in the document; the markers must already be there. */
function writeBlock(outPath: string, kind: string, table: string): void {
  const absolute = resolve(repoRoot, outPath);
  const start = `<!-- services-${kind}:start -->`;
  const end = `<!-- services-${kind}:end -->`;
  const existing = existsSync(absolute) ? readFileSync(absolute, 'utf8') : '';
  const from = existing.indexOf(start);
  const to = existing.indexOf(end);
  if (from < 0 || to < from) {
    process.stderr.write(`${outPath} has no ${start} ... ${end} block: results not recorded\n`);
    return;
  }
  writeFileSync(absolute, existing.slice(0, from + start.length) + '\n' + table + existing.slice(to));
}

interface Options {
  brokers: string[];
  scenarios: string[] | undefined;
  out: string | undefined;
}

function parseArgs(argv: string[]): Options {
  const options: Options = { brokers: ['kafka'], scenarios: undefined, out: undefined };
  for (let i = 0; i < argv.length; i++) {
    const value = argv[++i] ?? '';
    switch (argv[i - 1]) {
      case '--broker':
        options.brokers = value.split(',').filter(Boolean);
        break;
      case '--scenarios':
        options.scenarios = value.split(',').filter(Boolean);
        break;
      case '--out':
        options.out = value;
        break;
      default:
        throw new Error(`unknown argument ${argv[i - 1]}`);
    }
  }
  const unknown = options.brokers.filter((b) => b !== 'kafka' && b !== 'highwater');
  if (unknown.length > 0 || options.brokers.length === 0) throw new Error(`--broker takes kafka, highwater or both (kafka,highwater)`);
  return options;
}

async function main(): Promise<number> {
  let options: Options;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    return 2;
  }
  const all = scenarios();
  const unknown = (options.scenarios ?? []).filter((name) => !all.some((s) => s.name === name));
  if (unknown.length > 0) {
    process.stderr.write(`unknown scenarios: ${unknown.join(', ')}; known: ${all.map((s) => s.name).join(', ')}\n`);
    return 2;
  }
  // A scenario brings the ones it depends on (the Connect scenarios build on each other).
  const wanted = new Set(options.scenarios ?? all.map((s) => s.name));
  for (const scenario of [...all].reverse()) if (wanted.has(scenario.name) && scenario.dependsOn) wanted.add(scenario.dependsOn);
  const selected = all.filter((s) => wanted.has(s.name));
  const missing = (['connect', 'streams'] as const).filter((m) => !existsSync(classpathFile(m)));
  if (missing.length > 0) {
    process.stderr.write(`not installed: ${missing.map((m) => `test/compat/services/${m}/target/classpath.txt`).join(', ')} missing; run scripts/install-compat-clients.sh\n`);
    return 1;
  }
  const onSignal = (code: number) => () => {
    killAll();
    void (currentBroker?.stop() ?? Promise.resolve()).finally(() => process.exit(code));
  };
  process.once('SIGINT', onSignal(130));
  process.once('SIGTERM', onSignal(143));

  const command = `node test/compat/services/run.ts ${process.argv.slice(2).join(' ')}`.trim();
  let failed = false;
  for (const kind of options.brokers) {
    const startedAt = new Date();
    // A fresh scenario list per broker: the Connect scenarios share one worker group per run.
    const { broker, outcomes } = await runOnBroker(kind, scenarios().filter((s) => selected.some((t) => t.name === s.name)));
    const table = tableMarkdown(broker, outcomes, startedAt, command);
    process.stdout.write('\n' + table);
    const passed = outcomes.filter((o) => o.status === 'PASS').length;
    process.stdout.write(`\n${kind}: ${passed} passed, ${outcomes.length - passed} failed\n`);
    if (options.out) writeBlock(options.out, kind, table);
    if (outcomes.some((o) => o.status !== 'PASS')) failed = true;
  }
  return failed ? 1 : 0;
}

process.exitCode = await main();
