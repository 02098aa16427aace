// Hostile clients for the issue 15 regressions (defects 2 and 4): raw sockets sending frames a
// broker must survive, and the broker process's resident memory read from /proc.
import net from 'node:net';
import { readFileSync } from 'node:fs';

/** VmRSS of a process, in bytes (Linux). */
export function residentBytes(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`no VmRSS for ${pid}`);
  return Number(match[1]) * 1024;
}

export const MiB = 1024 * 1024;

export function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Writes `chunk`; resolves true once it drained, false when it did not within `waitMs` (the broker stopped reading). */
function writeDrained(socket: net.Socket, chunk: Buffer, waitMs: number): Promise<boolean> {
  if (socket.write(chunk)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      socket.off('drain', onDrain);
      resolve(false);
    }, waitMs);
    const onDrain = () => {
      clearTimeout(timer);
      resolve(true);
    };
    socket.once('drain', onDrain);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(false);
    });
  });
}

/**
 * The oversized-frame attack: each socket announces a frame of `announcedBytes` and sends up to
 * `sentBytes` of it, 1 MiB at a time, giving up on a socket the broker has stopped reading.
 * Returns the bytes each socket got out.
 */
export async function oversizedFrames(sockets: net.Socket[], announcedBytes: number, sentBytes: number): Promise<number[]> {
  const piece = Buffer.alloc(MiB, 0x41);
  return Promise.all(sockets.map(async (socket) => {
    const header = Buffer.alloc(4);
    header.writeInt32BE(announcedBytes);
    socket.on('error', () => undefined);
    if (!(await writeDrained(socket, header, 2000))) return 0;
    let sent = 0;
    while (sent < sentBytes) {
      if (!(await writeDrained(socket, piece, 2000))) break;
      sent += piece.length;
    }
    return sent;
  }));
}

/** A deterministic stream of random-looking frames: sizes, API keys, versions and bodies all wrong in some way. */
export function fuzzFrames(seed: number, count: number): Buffer {
  let state = seed >>> 0 || 1;
  const next = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
  const frames: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const bodyLength = Math.floor(next() * 2048);
    const body = Buffer.alloc(bodyLength);
    for (let j = 0; j < bodyLength; j++) body[j] = Math.floor(next() * 256);
    if (bodyLength >= 4) {
      body.writeInt16BE(Math.floor(next() * 80) - 5, 0); // api key, some unknown
      body.writeInt16BE(Math.floor(next() * 20) - 2, 2); // api version, some out of range
    }
    const header = Buffer.alloc(4);
    // Mostly honest sizes; one in eight claims more than follows (the rest of the stream becomes its body).
    header.writeInt32BE(next() < 0.125 ? bodyLength + Math.floor(next() * 4 * MiB) : bodyLength);
    frames.push(header, body);
  }
  return Buffer.concat(frames);
}

/** Sends `bytes` on a fresh connection and waits until the broker closes it (or `waitMs` passes). */
export async function sendAndWaitClose(port: number, bytes: Buffer, waitMs = 5000): Promise<void> {
  const socket = await connect(port);
  socket.on('error', () => undefined);
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      socket.destroy();
      resolve();
    }, waitMs);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    socket.on('data', () => undefined);
    socket.end(bytes);
  });
}

/** Polls `probe` until it returns true or `attempts` × `everyMs` have passed; returns the last result. */
export async function eventually(probe: () => boolean, attempts = 60, everyMs = 500): Promise<boolean> {
  for (let i = 0; i < attempts; i++) {
    if (probe()) return true;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return probe();
}
