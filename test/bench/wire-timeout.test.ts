// The bench's pipelined connection gives up on a broker that accepts and stops answering (issue 15
// defect 7): the pending request fails with the address and the timeout, instead of the run hanging.
import net from 'node:net';
import { expect, test } from 'vitest';
import { PipelinedConnection, encodeRequestFrame } from '../../bench/generator/wire.ts';
import { ApiKey } from '../../src/protocol/generated/index.ts';

test('a request unanswered past the request timeout fails the connection', async () => {
  const sockets: net.Socket[] = [];
  const silent = net.createServer((s) => { sockets.push(s); });
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  const port = (silent.address() as net.AddressInfo).port;
  try {
    const c = await PipelinedConnection.connect('127.0.0.1', port, 200);
    const frame = encodeRequestFrame(ApiKey.ApiVersions, 0, {});
    const error = await new Promise<Error | null>((resolve) => c.sendFrame(frame, ApiKey.ApiVersions, 0, (_response, err) => resolve(err)));
    expect(error?.message).toBe(`127.0.0.1:${port} did not answer a request within 0.2 s`);
    expect(c.failed).toBe(error);
    c.close();
  } finally {
    for (const s of sockets) s.destroy();
    await new Promise((r) => silent.close(r));
  }
});
