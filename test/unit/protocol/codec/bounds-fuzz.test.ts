// Malformed input: truncations, negative and huge lengths, random bytes, bit flips. Decoders must
// throw ProtocolDecodeError (never RangeError, TypeError or a hang) or return a value.
import { describe, expect, it } from 'vitest';
import { ProtocolDecodeError, Reader, Writer } from '../../../../src/protocol/primitives.ts';
import { messageSchemas } from '../../../../src/protocol/generated/schemas.ts';
import { decodeProduceRequest } from '../../../../src/protocol/generated/produce-request.ts';
import { decodeFetchRequest } from '../../../../src/protocol/generated/fetch-request.ts';
import { decodeMetadataRequest } from '../../../../src/protocol/generated/metadata-request.ts';
import { Prng, randomStruct } from './random-message.ts';
import { codecOf, seedFor, versionsOf } from './codec-lookup.ts';

const int16 = (v: number) => [(v >> 8) & 0xff, v & 0xff];
const int32 = (v: number) => [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];

/** Runs a decode and reports what happened; anything but ProtocolDecodeError is a failure. */
function outcome(decode: () => unknown): 'ok' | 'rejected' {
  try {
    decode();
    return 'ok';
  } catch (error) {
    if (error instanceof ProtocolDecodeError) return 'rejected';
    throw new Error(`decoder threw ${(error as Error).name}: ${(error as Error).message}`, { cause: error });
  }
}

const SAMPLE_APIS = ['ProduceRequest', 'FetchRequest', 'FetchResponse', 'MetadataRequest', 'MetadataResponse', 'ApiVersionsResponse', 'CreateTopicsRequest', 'JoinGroupRequest', 'OffsetCommitRequest', 'DescribeTopicPartitionsResponse'];

describe('bounds', () => {
  for (const name of SAMPLE_APIS) {
    const schema = messageSchemas.get(name)!;
    const codec = codecOf(name);
    it(`${name}: every truncation of a valid encoding is rejected, in every version`, () => {
      for (const version of versionsOf(schema.validVersions)) {
        const w = new Writer();
        codec.encode(w, version, randomStruct(schema.fields, version, new Prng(seedFor(name, version, 99))));
        const bytes = Buffer.from(w.finish());
        for (let cut = 0; cut < bytes.length; cut++) {
          expect(outcome(() => codec.decode(new Reader(bytes, 0, cut), version)), `${name} v${version} cut at ${cut}`).toBe('rejected');
        }
      }
    });
  }

  it('rejects negative, null and huge array lengths', () => {
    const produceV3 = (topicCount: number) => Buffer.from([...int16(0xffff), ...int16(1), ...int32(1000), ...int32(topicCount)]);
    expect(() => decodeProduceRequest(new Reader(produceV3(-1)), 3)).toThrow(ProtocolDecodeError);
    expect(() => decodeProduceRequest(new Reader(produceV3(-7)), 3)).toThrow(ProtocolDecodeError);
    expect(() => decodeProduceRequest(new Reader(produceV3(0x7fffffff)), 3)).toThrow(/array length 2147483647 exceeds/);
    // Fetch v12 (flexible): a topics array of 2^32 - 2 entries in a 30-byte frame.
    const fetchV12 = Buffer.from([...int32(-1), ...int32(500), ...int32(1), ...int32(1 << 20), 0, ...int32(0), ...int32(-1), 0xff, 0xff, 0xff, 0xff, 0x0f]);
    expect(() => decodeFetchRequest(new Reader(fetchV12), 12)).toThrow(/array length 4294967294 exceeds/);
  });

  it('rejects negative and huge string lengths', () => {
    // Metadata v1: topics = [name], name length -5 / 30000
    expect(() => decodeMetadataRequest(new Reader(Buffer.from([...int32(1), ...int16(-5)])), 1)).toThrow(ProtocolDecodeError);
    expect(() => decodeMetadataRequest(new Reader(Buffer.from([...int32(1), ...int16(30000), 65])), 1)).toThrow(ProtocolDecodeError);
    // Metadata v1 topics null is allowed (nullable from v1), v0 it is not.
    expect(decodeMetadataRequest(new Reader(Buffer.from(int32(-1))), 1).topics).toBeNull();
    expect(() => decodeMetadataRequest(new Reader(Buffer.from(int32(-1))), 0)).toThrow(ProtocolDecodeError);
  });
});

describe('fuzz', () => {
  const schemas = [...messageSchemas.values()];
  const ITERATIONS = 4000;

  it(`${ITERATIONS} random frames and mutated encodings never throw anything but ProtocolDecodeError`, () => {
    const rng = new Prng(0x5eed);
    let rejected = 0;
    for (let i = 0; i < ITERATIONS; i++) {
      const schema = rng.pick(schemas);
      const version = rng.pick(versionsOf(schema.validVersions));
      const codec = codecOf(schema.name);
      let bytes: Buffer;
      const mode = rng.int(4);
      if (mode === 0) {
        bytes = rng.bytes(rng.int(64));
      } else {
        const w = new Writer();
        codec.encode(w, version, randomStruct(schema.fields, version, rng));
        bytes = Buffer.from(w.finish());
        if (mode === 1 && bytes.length > 0) {
          for (let flips = 1 + rng.int(3); flips > 0; flips--) bytes[rng.int(bytes.length)]! ^= 1 << rng.int(8);
        } else if (mode === 2) {
          bytes = bytes.subarray(0, rng.int(bytes.length + 1));
        } else if (bytes.length > 0) {
          const at = rng.int(bytes.length);
          bytes = Buffer.concat([bytes.subarray(0, at), rng.bytes(1 + rng.int(8)), bytes.subarray(at)]);
        }
      }
      if (outcome(() => codec.decode(new Reader(bytes), version)) === 'rejected') rejected++;
    }
    expect(rejected).toBeGreaterThan(ITERATIONS / 4);
  });
});
