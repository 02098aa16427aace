// Socket reads into one shared buffer: on the Node versions we support the accepted socket really
// is moved (a silent fallback would cost the produce path its main saving), reads land in the
// given memory, writes, pause/resume and close behave, and the listener's connection count is
// settled by the husk.
import net from 'node:net';
import { once } from 'node:events';
import { afterEach, expect, test } from 'vitest';
import { adoptWithReadBuffer } from '../../../src/acceptor/socket-reads.ts';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

async function pair(onChunk: (chunk: Buffer) => void, buffer: Buffer): Promise<{ server: net.Server; client: net.Socket; adopted: net.Socket }> {
  let serverRef: net.Server | undefined;
  const adoptedP = new Promise<net.Socket>((resolve, reject) => {
    const server = net.createServer({ pauseOnConnect: true }, (accepted) => {
      const adopted = adoptWithReadBuffer(accepted, buffer, onChunk);
      if (adopted) resolve(adopted);
      else reject(new Error('the runtime did not allow the socket to be moved'));
    });
    serverRef = server;
    server.listen(0, '127.0.0.1');
  });
  await once(serverRef!, 'listening');
  const server = serverRef!;
  const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  const adopted = await adoptedP;
  cleanups.push(() => {
    client.destroy();
    adopted.destroy();
    server.close();
  });
  return { server, client, adopted };
}

test('reads land in the shared buffer, writes go out, and the server no longer counts the husk', async () => {
  const buffer = Buffer.alloc(64 * 1024);
  const received: Buffer[] = [];
  let inShared = true;
  const { server, client, adopted } = await pair((chunk) => {
    inShared &&= chunk.buffer === buffer.buffer;
    received.push(Buffer.from(chunk));
  }, buffer);
  const payload = Buffer.alloc(300_000, 'x');
  client.write(payload);
  while (Buffer.concat(received).length < payload.length) await new Promise((r) => setTimeout(r, 5));
  expect(Buffer.concat(received)).toEqual(payload);
  expect(inShared).toBe(true);
  // More reads than the buffer holds: each one reused the same memory.
  expect(received.length).toBeGreaterThanOrEqual(Math.ceil(payload.length / buffer.length));

  const reply = once(client, 'data');
  adopted.write('pong');
  expect(String((await reply)[0])).toBe('pong');
  expect(adopted.remotePort).toBe(client.localPort);

  const count = await new Promise<number>((resolve, reject) => server.getConnections((err, n) => (err ? reject(err) : resolve(n))));
  expect(count).toBe(0);
});

test('pause stops reads until resume, and a peer close is seen', async () => {
  const buffer = Buffer.alloc(16 * 1024);
  let bytes = 0;
  const { client, adopted } = await pair((chunk) => { bytes += chunk.length; }, buffer);
  adopted.pause();
  client.write(Buffer.alloc(1000));
  await new Promise((r) => setTimeout(r, 50));
  expect(bytes).toBe(0);
  adopted.resume();
  while (bytes < 1000) await new Promise((r) => setTimeout(r, 5));
  expect(bytes).toBe(1000);
  const closed = once(adopted, 'close');
  client.end();
  await closed;
});
