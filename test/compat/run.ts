// Compatibility runner: starts a broker (Apache Kafka, Highwater or an external one), runs every
// installed client driver over the shared scenarios, restarts the broker between the two phases of
// group-resume, prints a client x scenario matrix and writes it as markdown.
//
//   node test/compat/run.ts [--broker highwater|kafka|external:<host:port>] [--clients a,b]
//                           [--out docs/compat.md] [--timeout 300] [--kafka-request-log FILE]
//
// --kafka-request-log keeps Apache Kafka's request log (every request's API key, version and
// client id; see test/compat/request-versions.ts to summarise it).
//
// --security sasl_ssl runs everything over one SASL_SSL listener with SCRAM-SHA-512, configured the
// same way on Highwater and on Apache Kafka: a throwaway CA and server certificate (openssl), and a
// SCRAM user created at format/first start. Drivers read the client side from COMPAT_SECURITY_PROTOCOL,
// COMPAT_SASL_MECHANISM, COMPAT_SASL_USERNAME, COMPAT_SASL_PASSWORD and COMPAT_SSL_CA_FILE.
//
// Exit code: 0 when no installed client FAILed a scenario, 1 otherwise, 2 on bad arguments.
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { makeTlsMaterial, type TlsMaterial } from '../helpers/tls-material.ts';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Scenario columns, in matrix order; group-resume combines the two phases around the restart. */
export const SCENARIOS = [
  'metadata',
  'produce-consume-none',
  'produce-consume-gzip',
  'produce-consume-snappy',
  'produce-consume-lz4',
  'produce-consume-zstd',
  'list-offsets',
  'idempotent',
  'long-poll',
  'transactions',
  'group-resume',
] as const;
type Scenario = (typeof SCENARIOS)[number];
const PHASE_ONE = 'all';
const PHASE_TWO = 'group-resume-2';

type Status = 'PASS' | 'FAIL' | 'SKIP';
interface Outcome {
  status: Status;
  detail: string;
}

interface ClientSpec {
  name: string;
  /** argv relative to the repo root; the first element that is a path must exist to count as installed. */
  command: string[];
  installedMarker: string;
}

const node = process.execPath;
/** Drivers exit with this code (before any result line) when their client is not installed. */
const NOT_INSTALLED_EXIT = 3;

export const CLIENTS: ClientSpec[] = [
  { name: 'java', command: ['test/compat/java/driver.sh'], installedMarker: 'test/compat/java/target/classpath.txt' },
  {
    name: 'kafka-python',
    command: ['test/compat/python/.venv/bin/python', 'test/compat/python/kafka_python_driver.py'],
    installedMarker: 'test/compat/python/.venv/bin/python',
  },
  {
    name: 'confluent-kafka-python',
    command: ['test/compat/python/.venv/bin/python', 'test/compat/python/confluent_driver.py'],
    installedMarker: 'test/compat/python/.venv/bin/python',
  },
  { name: 'kcat', command: [node, 'test/compat/kcat/driver.ts'], installedMarker: 'test/compat/kcat/driver.ts' },
  { name: 'franz-go', command: ['test/compat/go/bin/franz'], installedMarker: 'test/compat/go/bin/franz' },
  { name: 'sarama', command: ['test/compat/go/bin/sarama'], installedMarker: 'test/compat/go/bin/sarama' },
  { name: 'kafka-go', command: ['test/compat/go/bin/kafkago'], installedMarker: 'test/compat/go/bin/kafkago' },
  { name: 'kafkajs', command: [node, 'test/compat/node/kafkajs-driver.ts'], installedMarker: 'node_modules/kafkajs' },
  {
    name: 'platformatic-kafka',
    command: [node, 'test/compat/node/platformatic-driver.ts'],
    installedMarker: 'node_modules/@platformatic/kafka',
  },
  {
    name: 'confluent-kafka-javascript',
    command: [node, 'test/compat/node/confluent-js-driver.ts'],
    installedMarker: 'test/compat/node/node_modules/@confluentinc/kafka-javascript',
  },
  {
    name: 'node-rdkafka',
    command: [node, 'test/compat/node/rdkafka-driver.ts'],
    installedMarker: 'test/compat/node/node_modules/node-rdkafka',
  },
];

// ---------------------------------------------------------------- brokers

export interface Broker {
  /** What the matrix says the broker was, e.g. "Apache Kafka 4.4.0". */
  description: string;
  bootstrap: string;
  /** False for an external broker: group-resume-2 then runs without a restart in between. */
  canRestart: boolean;
  start(): Promise<void>;
  restart(): Promise<void>;
  stop(): Promise<void>;
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

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** Runs a command to completion, killed (whole process group) after timeoutMs. */
function runCommand(argv: string[], timeoutMs: number, onLine?: (line: string) => void): Promise<RunResult> {
  return new Promise((resolveRun) => {
    const [file, ...args] = argv;
    const child: ChildProcess = spawn(file!, args, {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
      // Own process group, so a timeout also ends what the driver started (kcat members, JVMs).
      detached: true,
      env: { ...process.env, PATH: `${dirname(node)}:${process.env['PATH'] ?? ''}` },
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    createInterface({ input: child.stdout! }).on('line', (line) => {
      stdout += line + '\n';
      onLine?.(line);
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      // Keep the tail only: a chatty client must not grow the runner without bound.
      stderr = (stderr + chunk.toString()).slice(-20_000);
    });
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child);
    }, timeoutMs);
    child.on('error', (error) => {
      stderr += String(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolveRun({ code, stdout, stderr, timedOut });
    });
  });
}

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    child.kill('SIGKILL');
  }
}

/** The broker and client settings of --security sasl_ssl; null for plaintext runs. */
interface SecurityMode {
  material: TlsMaterial;
  mechanism: 'SCRAM-SHA-512';
  username: string;
  password: string;
}

const COMPAT_USER = 'compat';
const COMPAT_PASSWORD = 'compat-secret';

function securityMode(kind: string): SecurityMode | null {
  if (kind === 'plaintext') return null;
  if (kind !== 'sasl_ssl') throw new Error(`unknown --security ${kind}: use plaintext or sasl_ssl`);
  const material = makeTlsMaterial();
  process.on('exit', () => material.destroy());
  // The drivers inherit these (runCommand passes the environment on).
  process.env['COMPAT_SECURITY_PROTOCOL'] = 'SASL_SSL';
  process.env['COMPAT_SASL_MECHANISM'] = 'SCRAM-SHA-512';
  process.env['COMPAT_SASL_USERNAME'] = COMPAT_USER;
  process.env['COMPAT_SASL_PASSWORD'] = COMPAT_PASSWORD;
  process.env['COMPAT_SSL_CA_FILE'] = material.caPath;
  return { material, mechanism: 'SCRAM-SHA-512', username: COMPAT_USER, password: COMPAT_PASSWORD };
}

export function kafkaBroker(requestLog: string | undefined, security: SecurityMode | null = null): Broker {
  const dataDir = mkdtempSync(join(tmpdir(), 'highwater-compat-kafka-'));
  const script = (name: string) => join(repoRoot, 'bench/kafka', name);
  let port = 0;
  let controllerPort = 0;
  const broker: Broker = {
    description: 'Apache Kafka',
    bootstrap: '',
    canRestart: true,
    async start() {
      if (port === 0) {
        port = await freePort();
        controllerPort = await freePort();
        broker.bootstrap = `127.0.0.1:${port}`;
        const fetched = await runCommand([script('fetch.sh')], 600_000);
        if (fetched.code !== 0) throw new Error(`bench/kafka/fetch.sh failed: ${fetched.stderr}`);
      }
      const securityArgs: string[] = [];
      if (security) {
        const props = join(dataDir, 'security.properties');
        writeFileSync(props, [
          `ssl.keystore.type=PEM`,
          `ssl.keystore.location=${security.material.serverKeystorePath}`,
          `sasl.enabled.mechanisms=${security.mechanism}`,
          `sasl.mechanism.inter.broker.protocol=${security.mechanism}`,
          `listener.name.sasl_ssl.${security.mechanism.toLowerCase()}.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="${security.username}" password="${security.password}";`,
          `ssl.truststore.type=PEM`,
          `ssl.truststore.location=${security.material.caPath}`,
          '',
        ].join('\n'));
        securityArgs.push('--listener-protocol', 'SASL_SSL', '--extra-properties', props,
          '--add-scram', `${security.mechanism}=[name=${security.username},password=${security.password}]`);
      }
      const started = await runCommand(
        [
          script('start.sh'), '--port', String(port), '--controller-port', String(controllerPort), '--data-dir', dataDir,
          ...(requestLog ? ['--request-log'] : []), ...securityArgs,
        ],
        120_000,
      );
      if (started.code !== 0) throw new Error(`bench/kafka/start.sh failed: ${started.stderr}${started.stdout}`);
      const version = /Apache Kafka (\S+) started/.exec(started.stdout)?.[1];
      if (version) broker.description = `Apache Kafka ${version} (bench/kafka, KRaft single node)`;
      process.stderr.write(started.stdout);
    },
    async restart() {
      await broker.stop();
      await broker.start();
    },
    async stop() {
      await runCommand([script('stop.sh'), '--data-dir', dataDir, '--timeout', '30'], 60_000);
    },
  };
  process.on('exit', () => {
    const log = join(dataDir, 'logs/requests.log');
    if (requestLog && existsSync(log)) copyFileSync(log, resolve(requestLog));
    rmSync(dataDir, { recursive: true, force: true });
  });
  return broker;
}

/**
 * How Highwater is started. The CLI does not exist yet; this is the one place to adjust when it
 * does. Restart = SIGTERM, wait for exit, start again on the same data dir.
 */
export function highwaterCommand(port: number, dataDir: string, security: SecurityMode | null = null): string[] {
  // Three partitions for auto-created topics, as bench/kafka/start.sh gives the reference broker.
  const command = [node, 'src/cli/main.ts', 'start', '--port', String(port), '--data-dir', dataDir, '--http-port', '0', '--num-partitions', '3'];
  if (security) {
    command.push(
      '--listeners', `SASL_SSL://127.0.0.1:${port}`,
      '--ssl-keystore-location', security.material.serverKeystorePath,
      '--sasl-enabled-mechanisms', security.mechanism,
      '--scram-bootstrap-credentials', `${security.mechanism}=[name=${security.username},password=${security.password}]`,
    );
  }
  return command;
}

async function waitForPort(port: number, timeoutMs: number, alive: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!alive()) throw new Error('broker exited during start-up');
    const open = await new Promise<boolean>((resolveOpen) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolveOpen(true);
      });
      socket.once('error', () => resolveOpen(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`port ${port} did not open within ${timeoutMs} ms`);
}

export function highwaterBroker(security: SecurityMode | null = null): Broker {
  const dataDir = mkdtempSync(join(tmpdir(), 'highwater-compat-hw-'));
  let port = 0;
  let child: ChildProcess | undefined;
  let exited = false;
  let logTail = '';
  const broker: Broker = {
    description: 'Highwater',
    bootstrap: '',
    canRestart: true,
    async start() {
      if (port === 0) {
        port = await freePort();
        broker.bootstrap = `127.0.0.1:${port}`;
        try {
          const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string };
          broker.description = `Highwater ${pkg.version}`;
        } catch {
          // The description stays generic.
        }
      }
      const [file, ...args] = highwaterCommand(port, dataDir, security);
      exited = false;
      child = spawn(file!, args, { cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'] });
      child.stderr!.on('data', (chunk: Buffer) => {
        logTail = (logTail + chunk.toString()).slice(-4000);
      });
      child.on('exit', () => {
        exited = true;
      });
      try {
        await waitForPort(port, 30_000, () => !exited);
      } catch (error) {
        throw new Error(`Highwater did not start: ${(error as Error).message}\n${logTail}`, { cause: error });
      }
    },
    async restart() {
      await broker.stop();
      await broker.start();
    },
    async stop() {
      if (!child || exited) return;
      const running = child;
      const gone = new Promise<void>((r) => running.once('exit', () => r()));
      running.kill('SIGTERM');
      const timer = setTimeout(() => running.kill('SIGKILL'), 30_000);
      await gone;
      clearTimeout(timer);
    },
  };
  process.on('exit', () => {
    if (child && !exited) child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });
  return broker;
}

function externalBroker(address: string): Broker {
  return {
    description: `external broker at ${address}`,
    bootstrap: address,
    canRestart: false,
    async start() {},
    async restart() {},
    async stop() {},
  };
}

// ---------------------------------------------------------------- drivers

interface ClientReport {
  name: string;
  installed: boolean;
  notInstalledReason: string;
  versions: string[];
  outcomes: Map<Scenario, Outcome>;
  seconds: number;
}

const RESULT_LINE = /^(PASS|FAIL|SKIP) ([a-z0-9-]+)(?:: (.*))?$/;

function parseResults(stdout: string): { versions: string[]; results: Map<string, Outcome> } {
  const versions: string[] = [];
  const results = new Map<string, Outcome>();
  for (const line of stdout.split('\n')) {
    if (line.startsWith('VERSION ')) versions.push(line.slice('VERSION '.length).trim());
    const match = RESULT_LINE.exec(line.trim());
    if (match) results.set(match[2]!, { status: match[1] as Status, detail: match[3] ?? '' });
  }
  return { versions, results };
}

function lastLines(text: string, count: number): string {
  return text.trim().split('\n').slice(-count).join(' | ').slice(0, 300);
}

async function runDriver(
  client: ClientSpec,
  broker: Broker,
  scenario: string,
  prefix: string,
  timeoutMs: number,
): Promise<RunResult> {
  const argv = [...client.command, '--bootstrap', broker.bootstrap, '--scenario', scenario, '--topic-prefix', prefix];
  return runCommand(argv, timeoutMs, (line) => {
    if (RESULT_LINE.test(line.trim())) process.stderr.write(`  ${client.name}: ${line.trim()}\n`);
  });
}

function fillMissing(report: ClientReport, run: RunResult, expected: Scenario[], phaseName: string): void {
  for (const scenario of expected) {
    if (report.outcomes.has(scenario)) continue;
    const why = run.timedOut
      ? 'timeout'
      : `no result from ${phaseName} (exit ${run.code}): ${lastLines(run.stderr || run.stdout, 3)}`;
    report.outcomes.set(scenario, { status: 'FAIL', detail: why });
  }
}

// ---------------------------------------------------------------- report

function cell(outcome: Outcome | undefined): string {
  return outcome ? outcome.status : '—';
}

function matrixMarkdown(broker: Broker, reports: ClientReport[], startedAt: Date, command: string): string {
  const lines: string[] = [];
  lines.push(`Date: ${startedAt.toISOString()}  `);
  lines.push(`Broker: ${broker.description}, ${broker.bootstrap}${broker.canRestart ? '' : ' (no restart between group-resume phases)'}  `);
  lines.push(`Command: \`${command}\``);
  lines.push('');
  lines.push(`| client | version | ${SCENARIOS.join(' | ')} | s |`);
  lines.push(`| --- | --- | ${SCENARIOS.map(() => '---').join(' | ')} | --: |`);
  for (const report of reports) {
    if (!report.installed) {
      lines.push(`| ${report.name} | not installed: ${report.notInstalledReason.replace(/\|/g, '/')} | ${SCENARIOS.map(() => '—').join(' | ')} | |`);
      continue;
    }
    const cells = SCENARIOS.map((s) => cell(report.outcomes.get(s)));
    lines.push(`| ${report.name} | ${report.versions.join('; ').replace(/\|/g, '/')} | ${cells.join(' | ')} | ${report.seconds.toFixed(0)} |`);
  }
  lines.push('');
  lines.push('Details (FAIL and SKIP reasons, and what each PASS measured):');
  lines.push('');
  for (const report of reports) {
    if (!report.installed) continue;
    for (const scenario of SCENARIOS) {
      const outcome = report.outcomes.get(scenario);
      if (outcome?.detail) lines.push(`- ${report.name} / ${scenario}: ${outcome.status} — ${outcome.detail.replace(/\|/g, '/')}`);
    }
  }
  return lines.join('\n') + '\n';
}

const MATRIX_START = '<!-- compat-matrix:start -->';
const MATRIX_END = '<!-- compat-matrix:end -->';

/** Replaces the marked section of an existing document, or writes a document of its own. */
function writeReport(outPath: string, broker: Broker, matrix: string): void {
  const absolute = resolve(repoRoot, outPath);
  const existing = existsSync(absolute) ? readFileSync(absolute, 'utf8') : '';
  const start = existing.indexOf(MATRIX_START);
  const end = existing.indexOf(MATRIX_END);
  if (start >= 0 && end > start) {
    writeFileSync(absolute, existing.slice(0, start + MATRIX_START.length) + '\n' + matrix + existing.slice(end));
    return;
  }
  const title = `# Client compatibility: ${broker.description.split(' (')[0]}\n\n`;
  const preface =
    'Generated by `test/compat/run.ts`; scenarios are described in docs/compat.md. ' +
    'PASS = every check of the scenario held, SKIP = the client cannot do it, FAIL = a check failed.\n\n';
  writeFileSync(absolute, title + preface + MATRIX_START + '\n' + matrix + MATRIX_END + '\n');
}

// ---------------------------------------------------------------- main

interface Options {
  broker: string;
  clients: string[] | undefined;
  out: string | undefined;
  timeoutSeconds: number;
  kafkaRequestLog: string | undefined;
  security: string;
}

function parseArgs(argv: string[]): Options {
  const options: Options = {
    broker: 'kafka',
    clients: undefined,
    out: undefined,
    timeoutSeconds: 300,
    kafkaRequestLog: undefined,
    security: 'plaintext',
  };
  for (let i = 0; i < argv.length; i++) {
    const value = argv[i + 1];
    switch (argv[i]) {
      case '--broker':
        options.broker = value ?? '';
        i++;
        break;
      case '--clients':
        options.clients = (value ?? '').split(',').filter(Boolean);
        i++;
        break;
      case '--out':
        options.out = value;
        i++;
        break;
      case '--kafka-request-log':
        options.kafkaRequestLog = value;
        i++;
        break;
      case '--security':
        options.security = value ?? '';
        i++;
        break;
      case '--timeout':
        options.timeoutSeconds = Number(value);
        i++;
        break;
      default:
        throw new Error(`unknown argument ${argv[i]}`);
    }
  }
  return options;
}

function makeBroker(kind: string, requestLog: string | undefined, security: SecurityMode | null): Broker {
  if (kind === 'kafka') return kafkaBroker(requestLog, security);
  if (kind === 'highwater') return highwaterBroker(security);
  if (kind.startsWith('external:')) return externalBroker(kind.slice('external:'.length));
  throw new Error(`unknown broker ${kind}: use highwater, kafka or external:<host:port>`);
}

async function main(): Promise<number> {
  let options: Options;
  let broker: Broker;
  try {
    options = parseArgs(process.argv.slice(2));
    broker = makeBroker(options.broker, options.kafkaRequestLog, securityMode(options.security));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    return 2;
  }
  const unknown = (options.clients ?? []).filter((name) => !CLIENTS.some((c) => c.name === name));
  if (unknown.length > 0) {
    process.stderr.write(`unknown clients: ${unknown.join(', ')}; known: ${CLIENTS.map((c) => c.name).join(', ')}\n`);
    return 2;
  }
  const clients = CLIENTS.filter((c) => !options.clients || options.clients.includes(c.name));
  const startedAt = new Date();
  const runId = startedAt.getTime().toString(36);
  const timeoutMs = options.timeoutSeconds * 1000;
  const reports: ClientReport[] = clients.map((c) => ({
    name: c.name,
    installed: existsSync(join(repoRoot, c.installedMarker)),
    notInstalledReason: existsSync(join(repoRoot, c.installedMarker)) ? '' : `${c.installedMarker} missing`,
    versions: [],
    outcomes: new Map(),
    seconds: 0,
  }));
  const prefixOf = (name: string) => `compat-${runId}-${name}`;

  const onSignal = () => {
    void broker.stop().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    process.stderr.write(`starting broker: ${options.broker}\n`);
    await broker.start();
    for (const [index, client] of clients.entries()) {
      const report = reports[index]!;
      if (!report.installed) continue;
      process.stderr.write(`${client.name}: phase 1\n`);
      const began = Date.now();
      const run = await runDriver(client, broker, PHASE_ONE, prefixOf(client.name), timeoutMs);
      report.seconds += (Date.now() - began) / 1000;
      const { versions, results } = parseResults(run.stdout);
      if (run.code === NOT_INSTALLED_EXIT && results.size === 0) {
        report.installed = false;
        report.notInstalledReason = lastLines(run.stderr, 1).replace(/^not installed: /, '') || 'driver says not installed';
        continue;
      }
      report.versions = versions;
      for (const [name, outcome] of results) {
        if (name === 'group-resume-1') {
          if (outcome.status !== 'PASS') report.outcomes.set('group-resume', { ...outcome, detail: `phase 1: ${outcome.detail}` });
        } else if ((SCENARIOS as readonly string[]).includes(name)) {
          report.outcomes.set(name as Scenario, outcome);
        }
      }
      if (!results.has('group-resume-1') && !report.outcomes.has('group-resume')) {
        fillMissing(report, run, ['group-resume'], 'phase 1');
      }
      fillMissing(report, run, SCENARIOS.filter((s) => s !== 'group-resume'), 'phase 1');
    }

    const needPhaseTwo = reports.filter((r) => r.installed && !r.outcomes.has('group-resume'));
    if (needPhaseTwo.length > 0) {
      if (broker.canRestart) {
        process.stderr.write('restarting broker between group-resume phases\n');
        await broker.restart();
      }
      for (const report of needPhaseTwo) {
        const client = clients.find((c) => c.name === report.name)!;
        process.stderr.write(`${client.name}: phase 2\n`);
        const began = Date.now();
        const run = await runDriver(client, broker, PHASE_TWO, prefixOf(client.name), Math.min(timeoutMs, 120_000));
        report.seconds += (Date.now() - began) / 1000;
        const outcome = parseResults(run.stdout).results.get(PHASE_TWO);
        if (outcome) report.outcomes.set('group-resume', outcome);
        else fillMissing(report, run, ['group-resume'], 'phase 2');
      }
    }
  } catch (error) {
    process.stderr.write(`runner error: ${(error as Error).message}\n`);
    await broker.stop();
    return 1;
  }
  await broker.stop();

  const command = `node test/compat/run.ts ${process.argv.slice(2).join(' ')}`.trim();
  // start() sets the description, so the security mode is added only now.
  if (options.security !== 'plaintext') broker.description += `, over ${options.security.toUpperCase()} with SCRAM-SHA-512`;
  const matrix = matrixMarkdown(broker, reports, startedAt, command);
  process.stdout.write('\n' + matrix);
  if (options.out) writeReport(options.out, broker, matrix);
  const failed = reports.some((r) => r.installed && [...r.outcomes.values()].some((o) => o.status === 'FAIL'));
  return failed ? 1 : 0;
}

// Run only as a script: test/compat/services/run.ts imports the broker starters above.
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) process.exitCode = await main();
