// The "several network threads" way out of the main-thread ceiling (docs/notes/scaling-model.md),
// as a prototype, not the broker: N acceptor threads each listen on the same port with reusePort
// (the kernel spreads connections over them), split length-prefixed frames, copy each frame's
// payload into their own request ring to one shard thread (an SPSC ring per acceptor, as
// src/shared-mem/ring.ts), and answer each frame when the shard's completion comes back on that
// acceptor's completion ring. The shard drains every acceptor's ring in turn. What it measures:
// CPU per MiB of each acceptor thread and of the shard when one vs two threads accept, and how the
// kernel spreads connections.
//
// Run by bench/model/reuseport.ts (it starts this file in its own process and reads /proc).
// Frame on the wire: [int32 length][int32 correlation id][payload]; answer: [int32 4][int32 id].
/// <reference lib="es2024.sharedmemory" />
import net from 'node:net';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { createShardRingBuffers, openAcceptorRings, openShardRings, type ShardRingBuffers } from '../../src/shared-mem/ring.ts';

interface AcceptorData { role: 'acceptor'; index: number; port: number; rings: ShardRingBuffers }
interface ShardData { role: 'shard'; rings: ShardRingBuffers[] }

const RING_BYTES = 8 * 1024 * 1024;
const COMPLETION_BYTES = 1024 * 1024;

if (isMainThread) {
  const port = Number(process.argv[2] ?? 28200);
  const acceptors = Number(process.argv[3] ?? 1);
  const rings = Array.from({ length: acceptors }, () => createShardRingBuffers(RING_BYTES, COMPLETION_BYTES));
  const url = new URL(import.meta.url);
  const shard = new Worker(url, { workerData: { role: 'shard', rings } satisfies ShardData, name: 'proto-shard' });
  shard.on('error', (e) => { console.error(e); process.exit(1); });
  let listening = 0;
  const stats: number[] = new Array<number>(acceptors).fill(0);
  for (let i = 0; i < acceptors; i++) {
    const w = new Worker(url, { workerData: { role: 'acceptor', index: i, port, rings: rings[i]! } satisfies AcceptorData, name: `proto-acceptor-${i}` });
    w.on('error', (e) => { console.error(e); process.exit(1); });
    w.on('message', (m: { listening?: boolean; connections?: number }) => {
      if (m.listening && ++listening === acceptors) console.log(`ready ${process.pid}`);
      if (m.connections !== undefined) {
        stats[i] = m.connections;
        console.log(`connections ${JSON.stringify(stats)}`);
      }
    });
  }
  process.on('SIGTERM', () => process.exit(0));
} else if ((workerData as AcceptorData | ShardData).role === 'acceptor') {
  const d = workerData as AcceptorData;
  const rings = openAcceptorRings(d.rings);
  const pending = new Map<number, { socket: net.Socket; correlationId: number }>();
  const waiting: { parts: Uint8Array[]; socket: net.Socket }[] = [];
  let nextId = 1;
  let connections = 0;
  const header = new Uint8Array(4);
  const headerView = new DataView(header.buffer);
  const send = (parts: Uint8Array[], socket: net.Socket): void => {
    if (waiting.length === 0 && rings.requests.tryWriteParts(parts)) return;
    // Full ring: copy (the frame's bytes are reused once we return), pause, retry when space frees.
    waiting.push({ parts: parts.map((p) => p.slice()), socket });
    socket.pause();
    if (waiting.length === 1) void (async () => {
      while (waiting.length > 0) {
        while (waiting.length > 0 && rings.requests.tryWriteParts(waiting[0]!.parts)) waiting.shift()!.socket.resume();
        if (waiting.length > 0) await rings.requests.waitForSpaceAsync(waiting[0]!.parts.reduce((n, p) => n + p.byteLength, 0), 100);
      }
    })();
  };
  const server = net.createServer((socket) => {
    connections++;
    parentPort!.postMessage({ connections });
    let buffered: Buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      let at = 0;
      while (buffered.length - at >= 8) {
        const length = buffered.readInt32BE(at);
        if (buffered.length - at - 4 < length) break;
        const correlationId = buffered.readInt32BE(at + 4);
        const id = nextId++;
        pending.set(id, { socket, correlationId });
        headerView.setUint32(0, id);
        send([header, buffered.subarray(at + 8, at + 4 + length)], socket);
        at += 4 + length;
      }
      buffered = at === buffered.length ? Buffer.alloc(0) : buffered.subarray(at);
    });
    socket.on('error', () => socket.destroy());
  });
  server.listen({ port: d.port, host: '127.0.0.1', reusePort: true }, () => parentPort!.postMessage({ listening: true }));
  // Completions: [uint32 id] each; answers for one socket in one turn go out in one write.
  void (async () => {
    const out = new Map<net.Socket, Buffer[]>();
    for (;;) {
      const n = rings.completions.drain((m) => {
        const id = new DataView(m.buffer, m.byteOffset, m.byteLength).getUint32(0);
        const p = pending.get(id);
        if (!p) return;
        pending.delete(id);
        const answer = Buffer.allocUnsafe(8);
        answer.writeInt32BE(4, 0);
        answer.writeInt32BE(p.correlationId, 4);
        let list = out.get(p.socket);
        if (!list) out.set(p.socket, (list = []));
        list.push(answer);
      });
      for (const [socket, list] of out) if (!socket.destroyed) socket.write(list.length === 1 ? list[0]! : Buffer.concat(list));
      out.clear();
      if (n === 0) await rings.completions.waitForDataAsync(1000);
    }
  })();
} else {
  // The shard: drains every acceptor's ring, "appends" by touching the payload (a sum over its
  // words stands in for a CRC pass), answers each request on its acceptor's completion ring.
  const d = workerData as ShardData;
  const rings = d.rings.map(openShardRings);
  let checksum = 0;
  let sleeps = 0;
  const completion = new Uint8Array(4);
  const completionView = new DataView(completion.buffer);
  void (async () => {
    for (;;) {
      let drained = 0;
      for (const r of rings) {
        drained += r.requests.drain((m) => {
          const view = new DataView(m.buffer, m.byteOffset, m.byteLength);
          for (let i = 4; i + 4 <= m.byteLength; i += 256) checksum = (checksum + view.getUint32(i)) | 0;
          completionView.setUint32(0, view.getUint32(0));
          while (!r.completions.tryWrite(completion)) r.completions.waitForSpace(4, 100);
        });
      }
      // Idle: sleep on one ring's doorbell at a time, 1 ms, rotating; the others are polled on
      // waking. (A shard fed by N threads in the broker would want one shared doorbell instead.)
      if (drained === 0) await rings[(sleeps++) % rings.length]!.requests.waitForDataAsync(rings.length === 1 ? 1000 : 1);
    }
  })();
  setInterval(() => { if (checksum === 0x7fffffff) console.log('unlikely'); }, 1 << 30);
}
