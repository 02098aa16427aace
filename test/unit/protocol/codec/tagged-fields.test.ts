// Flexible versions: unknown tagged fields are skipped (at message and struct level, with one- and
// two-byte sizes), known ones are read wherever they appear, and a known tag whose size lies is rejected.
import { describe, expect, it } from 'vitest';
import { ProtocolDecodeError, Reader, Writer } from '../../../../src/protocol/primitives.ts';
import { decodeApiVersionsRequest } from '../../../../src/protocol/generated/api-versions-request.ts';
import { decodeApiVersionsResponse, encodeApiVersionsResponse } from '../../../../src/protocol/generated/api-versions-response.ts';
import { decodeProduceRequest } from '../../../../src/protocol/generated/produce-request.ts';

// Hand-built bytes, independent of the generated encoders.
const int16 = (v: number) => [(v >> 8) & 0xff, v & 0xff];
const int32 = (v: number) => [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
const compactString = (s: string) => [Buffer.byteLength(s) + 1, ...Buffer.from(s)];

describe('tagged fields', () => {
  it('skips unknown tags in a message that knows none', () => {
    const bytes = Buffer.from([
      ...compactString('kcat'), ...compactString('1.7'),
      2, // two tagged fields, both unknown to ApiVersionsRequest
      7, 3, 0xaa, 0xbb, 0xcc,
      200, 1, // tag 200 as a two-byte varint
      0x80, 0x01, ...new Array(128).fill(0x11), // size 128 as a two-byte varint
    ]);
    const r = new Reader(bytes);
    expect(decodeApiVersionsRequest(r, 3)).toEqual({ clientSoftwareName: 'kcat', clientSoftwareVersion: '1.7' });
    expect(r.remaining).toBe(0);
  });

  it('reads known tags among unknown ones, in any order', () => {
    const bytes = Buffer.from([
      ...int16(0), 1, ...int32(0), // errorCode, empty apiKeys, throttleTimeMs
      4,
      9, 2, 0xde, 0xad, // unknown
      3, 1, 1, // zkMigrationReady = true
      1, 8, ...int32(0), ...int32(42), // finalizedFeaturesEpoch = 42
      100, 0, // unknown, empty
    ]);
    const r = new Reader(bytes);
    const decoded = decodeApiVersionsResponse(r, 3);
    expect(decoded.zkMigrationReady).toBe(true);
    expect(decoded.finalizedFeaturesEpoch).toBe(42n);
    expect(decoded.supportedFeatures).toEqual([]);
    expect(r.remaining).toBe(0);
  });

  it('skips unknown tags inside nested structs', () => {
    const bytes = Buffer.from([
      0, // transactionalId null
      ...int16(-1), ...int32(30000),
      2, // one topic
      ...compactString('t'),
      2, // one partition
      ...int32(5), 0, // index 5, records null
      1, 42, 1, 0xff, // partition-level unknown tag 42
      1, 5, 0, // topic-level unknown tag 5, empty
      0, // message-level: no tags
    ]);
    const r = new Reader(bytes);
    expect(decodeProduceRequest(r, 9)).toEqual({
      transactionalId: null, acks: -1, timeoutMs: 30000,
      topicData: [{ name: 't', partitionData: [{ index: 5, records: null }] }],
    });
    expect(r.remaining).toBe(0);
  });

  it('writes only tagged fields that differ from their defaults, in tag order', () => {
    const w = new Writer();
    encodeApiVersionsResponse(w, 3, { errorCode: 0, apiKeys: [], finalizedFeaturesEpoch: -1n, zkMigrationReady: true });
    expect([...w.finish()]).toEqual([...int16(0), 1, ...int32(0), 1, 3, 1, 1]);
  });

  it('rejects a known tag whose declared size does not match its value', () => {
    const bytes = Buffer.from([...int16(0), 1, ...int32(0), 1, 1, 9, ...new Array(9).fill(0)]);
    expect(() => decodeApiVersionsResponse(new Reader(bytes), 3)).toThrow(ProtocolDecodeError);
  });
});
