// Raw-socket probe of a SASL_PLAINTEXT listener (SCRAM-SHA-512 enabled): what a broker answers to
// Metadata before the handshake, an unknown mechanism, Metadata after a v1 handshake (pipelined and
// not) and a 600 KiB SaslAuthenticate. Run it against Highwater and Apache Kafka and compare:
//   node test/compat/sasl-probe.ts <port>
import net from 'node:net';
import { Writer } from '../../src/protocol/primitives.ts';
const port = Number(process.argv[2]);
function frame(apiKey: number, v: number, body: (w: Writer) => void, cid = 9): Buffer {
  const w = new Writer(); const at = w.reserveInt32(); w.int16(apiKey); w.int16(v); w.int32(cid); w.nullableString('probe'); body(w);
  w.patchInt32(at, w.position - at - 4); return Buffer.from(w.finish());
}
function exchange(bytes: Buffer): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1'); const chunks: Buffer[] = []; let closed = false;
    s.on('data', (d) => chunks.push(d)); s.on('close', () => { closed = true; }); s.on('error', () => {});
    s.on('connect', () => s.write(bytes));
    setTimeout(() => { s.destroy(); const d = Buffer.concat(chunks); resolve(`${d.length} bytes back [${d.subarray(0, 40).toString('hex')}], closed=${closed}`); }, 1500);
  });
}
const md = frame(3, 12, (w) => { w.int8(0); w.int8(0); w.int8(0); w.int8(0); });
console.log('metadata before handshake:', await exchange(md));
console.log('GSSAPI handshake:', await exchange(frame(17, 1, (w) => w.string('GSSAPI'))));
console.log('v1 handshake then metadata:', await exchange(Buffer.concat([frame(17, 1, (w) => w.string('SCRAM-SHA-512'), 1), frame(3, 12, (w) => { w.int8(0); w.int8(0); w.int8(0); w.int8(0); }, 2)])));
console.log('v1 handshake then 600 KiB authenticate:', await exchange(Buffer.concat([frame(17, 1, (w) => w.string('SCRAM-SHA-512'), 1), frame(36, 1, (w) => w.bytes(Buffer.alloc(600 * 1024, 0x61)), 2)])));
const seq = await new Promise<string>((resolve) => {
  const s = net.connect(port, '127.0.0.1'); const chunks: Buffer[] = []; let closed = false;
  s.on('data', (d) => chunks.push(d)); s.on('close', () => { closed = true; }); s.on('error', () => {});
  s.on('connect', () => { s.write(frame(17, 1, (w) => w.string('SCRAM-SHA-512'), 1)); setTimeout(() => s.write(frame(3, 12, (w) => { w.int8(0); w.int8(0); w.int8(0); w.int8(0); }, 2)), 300); });
  setTimeout(() => { s.destroy(); const d = Buffer.concat(chunks); resolve(`${d.length} bytes back [${d.subarray(44, 80).toString('hex')}], closed=${closed}`); }, 2000);
});
console.log('v1 handshake, wait, then metadata:', seq);
