// Issue 15 defects 6 and 7: the CLI's common mistakes, each spawned as a user would type it. Every
// one must print exactly one line on stderr that says what is wrong and what to do, exit non-zero,
// and show no stack trace; an endpoint that accepts and never answers must not hang the CLI.
import net from 'node:net';
import http from 'node:http';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startBroker, tempDataDir, type TestBroker } from '../helpers/broker.ts';
import { runCli, type CliRun } from '../helpers/cli.ts';

const run = (args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> => runCli(args, { env });

/** One line on stderr, matching `expected`, no stack trace, a non-zero exit. */
function expectOneLineError(r: CliRun, expected: RegExp): void {
  const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^highwater: /);
  expect(lines[0]).toMatch(expected);
  expect(r.stderr).not.toMatch(/^\s+at /m);
  expect(r.stderr).not.toMatch(/Error:|node:internal/);
  expect(r.code).not.toBe(0);
  expect(r.code).not.toBeNull();
}

/** A port nothing listens on: bound, then closed. */
async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

describe('without a broker', () => {
  test('wrong port: connection refused, says to check the broker and its port', async () => {
    const port = await closedPort();
    expectOneLineError(await run(['topics', 'list', '-b', `127.0.0.1:${port}`]), new RegExp(`127\\.0\\.0\\.1:${port}: connection refused; is the broker running`));
  });

  test('the bootstrap comes from HIGHWATER_BROKERS when -b is not given, and its error names it', async () => {
    const port = await closedPort();
    expectOneLineError(await run(['groups', 'list'], { HIGHWATER_BROKERS: `127.0.0.1:${port}` }), new RegExp(`127\\.0\\.0\\.1:${port}: connection refused`));
  });

  test('pointed at an HTTP port: says it looks like an HTTP server (not "bad frame size 1213486160")', async () => {
    const server = http.createServer((_req, res) => res.end('ok'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const port = (server.address() as net.AddressInfo).port;
      const r = await run(['topics', 'list', '-b', `127.0.0.1:${port}`]);
      expectOneLineError(r, /answered in HTTP: it looks like an HTTP server .*not a Kafka port/);
      expect(r.stderr).not.toContain('1213486160');
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });

  test('defect 7: an endpoint that accepts and never answers ends at the request timeout with one line', async () => {
    const sockets: net.Socket[] = [];
    const silent = net.createServer((s) => { sockets.push(s); });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    try {
      const port = (silent.address() as net.AddressInfo).port;
      expectOneLineError(await run(['topics', 'list', '-b', `127.0.0.1:${port}`, '--request-timeout', '1s']), /did not answer ApiVersions within 1 s \(--request-timeout\)/);
      expectOneLineError(await run(['consume', 't', '-b', `127.0.0.1:${port}`, '--request-timeout', '500ms', '-e']), /did not answer ApiVersions within 500 ms/);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => silent.close(r));
    }
  });

  test('a timeout that is not a duration is refused by name', async () => {
    expectOneLineError(await run(['topics', 'list', '--request-timeout', 'soon']), /--request-timeout takes a duration such as 500ms/);
  });

  test('start with a missing --config file', async () => {
    expectOneLineError(await run(['start', '--config', '/nonexistent/highwater.json']), /--config \/nonexistent\/highwater\.json: no such file/);
  });

  test('start on a port already in use', async () => {
    const taken = net.createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const dataDir = tempDataDir('highwater-cli-errors-');
    try {
      const port = (taken.address() as net.AddressInfo).port;
      const r = await run(['start', '--port', String(port), '--http-port', '-1', '--data-dir', dataDir]);
      expectOneLineError(r, new RegExp(`port ${port} is already in use .*pick another with --port`));
    } finally {
      await new Promise((r) => taken.close(r));
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test('-c key without = (checked before connecting)', async () => {
    const port = await closedPort();
    expectOneLineError(await run(['topics', 'create', 't', '-b', `127.0.0.1:${port}`, '-c', 'retention.ms']), /-c\/--config takes name=value, not "retention\.ms"/);
  });

  test('produce from a missing input file (checked before connecting)', async () => {
    const port = await closedPort();
    expectOneLineError(await run(['produce', 't', '-b', `127.0.0.1:${port}`, '-F', '/nonexistent/records.txt']), /\/nonexistent\/records\.txt: no such file/);
  });

  test('commander\'s own errors (an unknown option, a missing argument) are one line too', async () => {
    expectOneLineError(await run(['topics', 'list', '--bogus']), /unknown option '--bogus' \(add --help for usage\)/);
    expectOneLineError(await run(['consume']), /missing required argument 'topics'/);
    expectOneLineError(await run(['start', '--config', import.meta.dirname]), /--config .*: cannot be read \(EISDIR\)/);
  });

  test('a bad -o is refused with what -o takes', async () => {
    expectOneLineError(await run(['consume', 't', '-o', 'soon']), /--offset takes beginning, end, <offset>/);
  });
});

describe('against a broker', () => {
  let tb: TestBroker;
  beforeAll(async () => { tb = await startBroker(); });
  afterAll(async () => { await tb?.destroy(); });

  test('bench consume on a missing topic says to produce to it first', async () => {
    expectOneLineError(await run(['bench', 'consume', '-b', tb.bootstrap, '-t', 'no-such-topic', '--progress-interval', '0']), /topic no-such-topic does not exist; create and fill it first with: highwater bench produce -t no-such-topic/);
  });

  test('describe of a missing topic and group: one line with Kafka\'s error name', async () => {
    expectOneLineError(await run(['topics', 'describe', 'no-such-topic', '-b', tb.bootstrap]), /topic no-such-topic: UNKNOWN_TOPIC_OR_PARTITION/);
    expectOneLineError(await run(['topics', 'offsets', 'no-such-topic', '-b', tb.bootstrap]), /topic no-such-topic: UNKNOWN_TOPIC_OR_PARTITION/);
  });

  test('a partition the topic does not have', async () => {
    const created = await run(['topics', 'create', 'two', '-p', '2', '-b', tb.bootstrap]);
    expect(created.code).toBe(0);
    expectOneLineError(await run(['topics', 'offsets', 'two', '-p', '5', '-b', tb.bootstrap]), /topic two has 2 partitions; there is no partition 5/);
  });
});
