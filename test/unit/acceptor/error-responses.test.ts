// Every handler's error response, at every version it serves, for random requests: it encodes with
// the generated codec, and every error code in it is the one it was given (Kafka's getErrorResponse).
import { describe, expect, test } from 'vitest';
import { Reader, Writer } from '../../../src/protocol/primitives.ts';
import { apiCodecs, ApiKey } from '../../../src/protocol/generated/index.ts';
import { messageSchemas } from '../../../src/protocol/generated/schemas.ts';
import { ErrorCode } from '../../../src/protocol/errors.ts';
import { allHandlers } from '../../../src/acceptor/handlers/index.ts';
import type { FieldSchema } from '../../../src/protocol/generated/schemas.ts';
import { Prng, inVersions, randomStruct } from '../protocol/codec/random-message.ts';
import { seedFor } from '../protocol/codec/codec-lookup.ts';
import { errorResponseOf, fakeServices } from '../../helpers/fake-services.ts';

const SAMPLES = 4;
const ACL_APIS: ReadonlySet<number> = new Set([ApiKey.CreateAcls, ApiKey.DescribeAcls, ApiKey.DeleteAcls]);

/** Every error_code field the version carries (a decoded field the version lacks is only a default). */
function errorCodesIn(fields: readonly FieldSchema[], version: number, value: Record<string, unknown>, out: number[] = []): number[] {
  for (const field of fields) {
    if (!inVersions(field.versions, version)) continue;
    const v = value[field.property];
    if (field.name === 'ErrorCode') out.push(v as number);
    else if (field.fields && Array.isArray(v)) for (const item of v) errorCodesIn(field.fields, version, item as Record<string, unknown>, out);
    else if (field.fields && v && typeof v === 'object') errorCodesIn(field.fields, version, v as Record<string, unknown>, out);
  }
  return out;
}

describe.each(allHandlers.map((h) => [h.name, h] as const))('%s', (name, handler) => {
  const codec = apiCodecs.get(handler.apiKey)!;
  const schema = messageSchemas.get(`${name}Request`)!;
  const responseSchema = messageSchemas.get(`${name}Response`)!;
  test('error response encodes at every served version and carries the error in every error field', () => {
    const services = fakeServices();
    for (let version = handler.minVersion; version <= handler.maxVersion; version++) {
      for (let sample = 0; sample < SAMPLES; sample++) {
        // A random request, through the real decoder, as a handler would get it.
        const w = new Writer();
        codec.encodeRequest(w, version, randomStruct(schema.fields, version, new Prng(seedFor(name, version, sample))));
        const request = codec.decodeRequest(new Reader(w.finish()), version) as Record<string, unknown>;
        const response = errorResponseOf(handler, services, version, request, ErrorCode.UNKNOWN_SERVER_ERROR);
        // An ACL request carrying an UNKNOWN code (most random ones) does not parse on Kafka, which
        // closes the connection; the ACL handlers' own tests cover their error responses.
        if (response === null && ACL_APIS.has(handler.apiKey)) continue;
        if (response === null) {
          // Only a fire-and-forget produce has no response: Kafka closes the connection instead.
          expect(handler.apiKey).toBe(ApiKey.Produce);
          expect(request.acks).toBe(0);
          continue;
        }
        const out = new Writer();
        codec.encodeResponse(out, version, response);
        const decoded = codec.decodeResponse(new Reader(out.finish()), version) as Record<string, unknown>;
        const codes = errorCodesIn(responseSchema.fields, version, decoded);
        for (const code of codes) expect(code, `${name} v${version}`).toBe(ErrorCode.UNKNOWN_SERVER_ERROR);
      }
    }
  });
});
