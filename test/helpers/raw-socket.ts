// Raw bytes to a broker port, for the bad-input tests: what came back within a wait, and whether
// the broker closed the socket.
import net from 'node:net';

export function rawExchange(port: number, bytes: Buffer, waitMs: number): Promise<{ data: Buffer; closed: boolean }> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let closed = false;
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('close', () => { closed = true; });
    socket.on('error', () => undefined);
    socket.on('connect', () => socket.write(bytes));
    setTimeout(() => {
      socket.destroy();
      resolve({ data: Buffer.concat(chunks), closed });
    }, waitMs);
  });
}
