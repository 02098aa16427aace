// Measures the reusePort prototype (bench/model/reuseport-server.ts): one vs two acceptor threads
// in front of one shard thread, alternating in each round. The client (this process) opens
// --connections sockets and keeps --in-flight frames of --frame-bytes outstanding on each for
// --seconds; the server's threads' CPU comes from /proc/<pid>/task. Prints MiB/s, CPU seconds per
// GiB for each acceptor, the shard, and the whole server, and how connections were spread.
//
// Usage: node bench/model/reuseport.ts [--rounds 2] [--seconds 6] [--connections 8] [--in-flight 8]
//          [--frame-bytes 16384] [--acceptors 1,2] [--port 28200]
import { spawn } from 'node:child_process';
import net from 'node:net';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { readThreads, type ThreadCpu } from '../memory/proc-threads.ts';

const { values: flags } = parseArgs({
  options: {
    rounds: { type: 'string', default: '2' },
    seconds: { type: 'string', default: '6' },
    connections: { type: 'string', default: '8' },
    'in-flight': { type: 'string', default: '8' },
    'frame-bytes': { type: 'string', default: '16384' },
    acceptors: { type: 'string', default: '1,2' },
    port: { type: 'string', default: '28200' },
  },
});
const seconds = Number(flags.seconds);
const connections = Number(flags.connections);
const inFlight = Number(flags['in-flight']);
const frameBytes = Number(flags['frame-bytes']);
const port = Number(flags.port);
const serverFile = fileURLToPath(new URL('./reuseport-server.ts', import.meta.url));

async function startServer(acceptors: number): Promise<{ pid: number; spread: () => string; stop: () => void }> {
  const child = spawn(process.execPath, [serverFile, String(port), String(acceptors)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let spread = '';
  return new Promise((resolve, reject) => {
    let buf = '';
    child.stdout!.on('data', (c: Buffer) => {
      buf += c.toString();
      const lines = buf.split('\n');
      buf = lines.pop()!;
      for (const l of lines) {
        if (l.startsWith('ready ')) resolve({ pid: child.pid!, spread: () => spread, stop: () => child.kill('SIGTERM') });
        if (l.startsWith('connections ')) spread = l.slice(12);
      }
    });
    child.once('exit', (code) => reject(new Error(`server exited ${code}`)));
  });
}

/** Drives the server; resolves with the frames answered inside the window. */
async function drive(windowSeconds: number): Promise<number> {
  const frame = Buffer.alloc(4 + frameBytes, 7);
  frame.writeInt32BE(frameBytes, 0);
  let answered = 0;
  let open = true;
  const sockets: net.Socket[] = [];
  await Promise.all(Array.from({ length: connections }, () => new Promise<void>((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1' }, () => resolve());
    s.setNoDelay(true);
    s.once('error', reject);
    sockets.push(s);
    let id = 0;
    let pendingBytes: Buffer = Buffer.alloc(0);
    const sendOne = () => {
      const f = Buffer.from(frame);
      f.writeInt32BE(id++, 4);
      s.write(f);
    };
    s.on('connect', () => { for (let i = 0; i < inFlight; i++) sendOne(); });
    s.on('data', (c: Buffer) => {
      pendingBytes = pendingBytes.length ? Buffer.concat([pendingBytes, c]) : c;
      const whole = Math.floor(pendingBytes.length / 8);
      pendingBytes = pendingBytes.subarray(whole * 8);
      if (open) answered += whole;
      if (open) for (let i = 0; i < whole; i++) sendOne();
    });
  })));
  await new Promise((r) => setTimeout(r, windowSeconds * 1000));
  open = false;
  const result = answered;
  for (const s of sockets) s.destroy();
  return result;
}

function cpuOf(pid: number, before: ThreadCpu[], after: ThreadCpu[]): Record<string, number> {
  const base = new Map(before.map((t) => [t.tid, t.cpuSeconds]));
  const out: Record<string, number> = {};
  for (const t of after) {
    const role = t.tid === pid ? 'main' : /^proto-/.test(t.comm) ? t.comm : /libuv/.test(t.comm) ? 'libuv pool' : 'V8 platform';
    out[role] = (out[role] ?? 0) + t.cpuSeconds - (base.get(t.tid) ?? 0);
  }
  return out;
}

for (let round = 1; round <= Number(flags.rounds); round++) {
  for (const acceptors of flags.acceptors.split(',').map(Number)) {
    const server = await startServer(acceptors);
    // Warm-up, unmeasured, so both variants are compiled before the window.
    await drive(2);
    const before = readThreads(server.pid);
    const frames = await drive(seconds);
    const after = readThreads(server.pid);
    const cpu = cpuOf(server.pid, before, after);
    const gib = (frames * frameBytes) / 2 ** 30;
    const total = Object.values(cpu).reduce((a, b) => a + b, 0);
    const per = Object.entries(cpu).filter(([, s]) => s >= 0.01).map(([k, s]) => `${k} ${(s / gib).toFixed(2)}`).join(', ');
    console.log(`round ${round} acceptors ${acceptors}: ${((frames * frameBytes) / 2 ** 20 / seconds).toFixed(0)} MiB/s, server ${(total / seconds).toFixed(2)} cores, ` +
      `CPU s/GiB: total ${(total / gib).toFixed(2)}; ${per}; connections per acceptor ${server.spread()}; load ${loadavg()[0]!.toFixed(2)}`);
    server.stop();
    await new Promise((r) => setTimeout(r, 500));
  }
}
