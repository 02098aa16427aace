// Kafka wire primitives: a growable Writer and a bounds-checked Reader over one Buffer.
// The generated codecs (src/protocol/generated/) are straight-line sequences of these calls and
// import them from here; the code sits in writer.ts, reader.ts, varint.ts and uuid.ts.
export { ProtocolDecodeError, Reader } from './reader.ts';
export { Writer } from './writer.ts';
export { uvarintSize } from './varint.ts';
export { ZERO_UUID } from './uuid.ts';
