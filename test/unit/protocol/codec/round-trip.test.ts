// Every message, every version: a seeded random value encodes, decodes back to itself (fields the
// version lacks read as their defaults), consumes exactly its bytes, and re-encodes to the same bytes.
import { describe, expect, it } from 'vitest';
import { Reader, Writer } from '../../../../src/protocol/primitives.ts';
import { messageSchemas } from '../../../../src/protocol/generated/schemas.ts';
import { Prng, missingStruct, randomStruct } from './random-message.ts';
import { codecOf, versionsOf, seedFor } from './codec-lookup.ts';

const SAMPLES_PER_VERSION = 6;

for (const schema of messageSchemas.values()) {
  const codec = codecOf(schema.name);
  describe(schema.name, () => {
    for (const version of versionsOf(schema.validVersions)) {
      it(`v${version}: random values round-trip`, () => {
        for (let sample = 0; sample < SAMPLES_PER_VERSION; sample++) {
          const seed = seedFor(schema.name, version, sample);
          const value = randomStruct(schema.fields, version, new Prng(seed));
          const writer = new Writer(16);
          codec.encode(writer, version, value);
          const bytes = Buffer.from(writer.finish());
          const reader = new Reader(bytes);
          const decoded = codec.decode(reader, version);
          expect(decoded, `${schema.name} v${version} seed ${seed}`).toEqual(value);
          expect(reader.remaining, `bytes left over, seed ${seed}`).toBe(0);

          const again = new Writer(16);
          codec.encode(again, version, decoded);
          expect(Buffer.compare(again.finish(), bytes), `re-encoding differs, seed ${seed}`).toBe(0);
        }
      });

      it(`v${version}: an empty input encodes every field's default`, () => {
        const writer = new Writer();
        codec.encode(writer, version, {});
        const reader = new Reader(writer.finish());
        expect(codec.decode(reader, version)).toEqual(missingStruct(schema.fields, version));
        expect(reader.remaining).toBe(0);
      });
    }

    it('rejects versions outside its valid range', () => {
      const last = versionsOf(schema.validVersions).at(-1)!;
      expect(() => codec.decode(new Reader(Buffer.alloc(64)), last + 1)).toThrow(/valid versions/);
      expect(() => codec.encode(new Writer(), last + 1, {})).toThrow(RangeError);
    });
  });
}
