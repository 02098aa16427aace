// The sendfile addon (native/sendfile) on real loopback sockets: pieces arrive in order and intact,
// a reader that stops reading makes the job wait (EAGAIN, then EPOLLOUT) and finish when it reads
// again, a cancelled job ends with ECANCELED, a peer that went away fails the job, bad pieces are
// refused, and a missing addon is reported, not thrown.
import { mkdtempSync, openSync, closeSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ECANCELED, loadFileSender, socketFd, type FileSender } from '../../../src/acceptor/file-sender.ts';

const loaded = loadFileSender();
const sender: FileSender | null = 'sender' in loaded ? loaded.sender : null;
const dir = mkdtempSync(path.join(tmpdir(), 'highwater-sendfile-'));
const content = randomBytes(8 * 1024 * 1024);
let fd = -1;

beforeAll(() => {
  writeFileSync(path.join(dir, 'data'), content);
  fd = openSync(path.join(dir, 'data'), 'r');
});

afterAll(() => {
  if (fd >= 0) closeSync(fd);
  rmSync(dir, { recursive: true, force: true });
});

/** A connected pair over loopback: the server side (written by the addon) and the client side. */
async function pair(): Promise<{ server: net.Socket; client: net.Socket; close(): void }> {
  const listener = net.createServer();
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const port = (listener.address() as net.AddressInfo).port;
  const accepted = new Promise<net.Socket>((resolve) => listener.once('connection', resolve));
  const client = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve) => client.once('connect', resolve));
  const server = await accepted;
  listener.close();
  server.on('error', () => undefined);
  client.on('error', () => undefined);
  return { server, client, close: () => { server.destroy(); client.destroy(); } };
}

function collect(client: net.Socket, bytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let got = 0;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`only ${got} of ${bytes} bytes arrived`)), 30_000);
    client.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      got += chunk.length;
      if (got >= bytes) {
        clearTimeout(timer);
        resolve(Buffer.concat(chunks));
      }
    });
  });
}

function submit(s: FileSender, socket: net.Socket, pieces: Parameters<FileSender['submit']>[1]): { id: number; done: Promise<{ errno: number; sent: number }> } {
  let id = 0;
  const done = new Promise<{ errno: number; sent: number }>((resolve) => {
    id = s.submit(socketFd(socket), pieces, (errno, sent) => resolve({ errno, sent }));
  });
  return { id, done };
}

describe.skipIf(sender === null)('sendfile addon', () => {
  it('writes buffers and file ranges in order, byte for byte', async () => {
    const { server, client, close } = await pair();
    try {
      const head = Buffer.from('head:');
      const middle = new Uint8Array(Buffer.from('|middle|'));
      const tail = Buffer.from(':tail');
      const expected = Buffer.concat([head, content.subarray(100, 300_100), middle, content.subarray(5_000_000, 5_000_017), tail, Buffer.alloc(0)]);
      const arriving = collect(client, expected.length);
      const { done } = submit(sender!, server, [head, [fd, 100, 300_000], middle, [fd, 5_000_000, 17], tail, Buffer.alloc(0)]);
      expect(await done).toEqual({ errno: 0, sent: expected.length });
      expect((await arriving).equals(expected)).toBe(true);
    } finally {
      close();
    }
  });

  it('waits for a reader that stopped reading, and finishes when it reads again', async () => {
    const { server, client, close } = await pair();
    try {
      client.pause();
      const { done } = submit(sender!, server, [[fd, 0, content.length]]);
      // 8 MiB does not fit loopback socket buffers: the job is parked on EPOLLOUT, not finished.
      const early = await Promise.race([done, new Promise<'waiting'>((r) => setTimeout(() => r('waiting'), 300))]);
      expect(early).toBe('waiting');
      const arriving = collect(client, content.length);
      client.resume();
      expect(await done).toEqual({ errno: 0, sent: content.length });
      expect((await arriving).equals(content)).toBe(true);
    } finally {
      close();
    }
  });

  it('cancels a waiting job with ECANCELED', async () => {
    const { server, client, close } = await pair();
    try {
      client.pause();
      const { id, done } = submit(sender!, server, [[fd, 0, content.length]]);
      await new Promise((r) => setTimeout(r, 100));
      sender!.cancel(id);
      const result = await done;
      expect(result.errno).toBe(ECANCELED);
      expect(result.sent).toBeLessThan(content.length);
      sender!.cancel(id); // done already: nothing happens
    } finally {
      close();
    }
  });

  it('fails a job whose peer went away, with the socket error', async () => {
    const { server, client, close } = await pair();
    try {
      client.pause();
      const { done } = submit(sender!, server, [[fd, 0, content.length]]);
      await new Promise((r) => setTimeout(r, 100));
      client.destroy();
      const result = await done;
      expect(result.errno).toBeGreaterThan(0);
      expect(result.errno).not.toBe(ECANCELED);
    } finally {
      close();
    }
  });

  it('never sends short when the file ends before the range (EIO)', async () => {
    const { server, close } = await pair();
    try {
      const { done } = submit(sender!, server, [[fd, content.length - 10, 20]]);
      expect((await done).errno).toBe(5); // EIO
    } finally {
      close();
    }
  });

  it('refuses malformed pieces and sockets without fds', async () => {
    const { server, close } = await pair();
    try {
      expect(() => sender!.submit(socketFd(server), [], () => undefined)).toThrow();
      expect(() => sender!.submit(socketFd(server), [[fd, -1, 10]], () => undefined)).toThrow();
      expect(() => sender!.submit(socketFd(server), [[fd, 0]] as never, () => undefined)).toThrow();
      expect(() => sender!.submit(socketFd(server), [new Uint16Array(2)] as never, () => undefined)).toThrow();
      expect(() => sender!.submit(-1, [Buffer.from('x')], () => undefined)).toThrow();
      expect(() => sender!.submit(socketFd(server), [[987_654, 0, 1]], () => undefined)).toThrow(/dup/);
    } finally {
      close();
    }
  });
});

describe('sendfile addon loading', () => {
  it('reports a missing addon instead of throwing', () => {
    const missing = loadFileSender(path.join(dir, 'absent.node'));
    expect(missing).toEqual({ reason: expect.stringContaining('absent.node') });
  });

  it('is built on Linux CI (HIGHWATER_REQUIRE_SENDFILE)', () => {
    if (process.env.HIGHWATER_REQUIRE_SENDFILE) expect(loaded).toHaveProperty('sender');
    else expect(loaded).toSatisfy((l: object) => 'sender' in l || 'reason' in l);
  });
});
