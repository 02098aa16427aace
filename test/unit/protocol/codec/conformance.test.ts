// Conformance with Kafka's own definitions: schemas.ts lists exactly the JSON's fields (names, order,
// types, versions), and for every message and version the generated encoder's bytes, read by a
// decoder that interprets the JSON directly, give back the value that was encoded.
import { describe, expect, it } from 'vitest';
import { Writer } from '../../../../src/protocol/primitives.ts';
import { messageSchemas } from '../../../../src/protocol/generated/schemas.ts';
import type { FieldSchema } from '../../../../src/protocol/generated/schemas.ts';
import { Cursor, SpecDecoder, loadRawMessages } from './independent-decoder.ts';
import type { RawField, RawMessage } from './independent-decoder.ts';
import { Prng, inVersions, randomStruct } from './random-message.ts';
import { codecOf, seedFor, versionsOf } from './codec-lookup.ts';

const raw = loadRawMessages();

/** "name:type" of the fields present in one version, with nested structs, as one line per field. */
function fieldsIn(fields: readonly (RawField | FieldSchema)[], version: number, common: Map<string, RawField[]>, prefix = ''): string[] {
  const lines: string[] = [];
  for (const field of fields) {
    if (!inVersions(field.versions, version)) continue;
    const facts = [
      inVersions(field.nullableVersions, version) ? 'nullable' : '',
      field.tag !== undefined && inVersions(field.taggedVersions, version) ? `tag ${Number(field.tag)}` : '',
    ].filter(Boolean);
    lines.push(`${prefix}${field.name}: ${field.type}${facts.length ? ` (${facts.join(', ')})` : ''}`);
    const nested = field.fields ?? common.get(field.type.replace(/^\[\]/, ''));
    if (nested) lines.push(...fieldsIn(nested, version, common, `${prefix}${field.name}.`));
  }
  return lines;
}

it('covers every definition file', () => {
  expect([...messageSchemas.keys()].sort()).toEqual(raw.map((m) => m.name).sort());
});

for (const message of raw) {
  describe(message.name, () => {
    const schema = messageSchemas.get(message.name)!;
    const common = new Map((message.commonStructs ?? []).map((s) => [s.name, s.fields]));
    const versions = versionsOf(message.validVersions);

    it('has the JSON\'s versions and fields in every version', () => {
      expect([schema.validVersions, schema.flexibleVersions, schema.apiKey]).toEqual([message.validVersions, message.flexibleVersions, message.apiKey ?? null]);
      for (const version of versions) {
        expect(fieldsIn(schema.fields, version, new Map()), `v${version}`).toEqual(fieldsIn(message.fields, version, common));
      }
    });

    it('encodes what the JSON describes, in every version', () => {
      const codec = codecOf(message.name);
      for (const version of versions) {
        for (let sample = 0; sample < 3; sample++) {
          const seed = seedFor(`conformance/${message.name}`, version, sample);
          const value = randomStruct(schema.fields, version, new Prng(seed));
          const w = new Writer();
          codec.encode(w, version, value);
          const cursor = new Cursor(w.finish());
          const decoded = new SpecDecoder(message as RawMessage, version).struct(message.fields, cursor);
          expect(cursor.done, `v${version} seed ${seed}: bytes left`).toBe(true);
          expect(decoded, `v${version} seed ${seed}`).toEqual(onTheWire(value, schema.fields, version, message.flexibleVersions));
        }
      }
    });
  });
}

/** The part of a value that goes on the wire in `version`: absent fields dropped, tagged fields only when not default. */
function onTheWire(value: Record<string, unknown>, fields: readonly FieldSchema[], version: number, flexibleVersions: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const flexible = inVersions(flexibleVersions, version);
  for (const field of fields) {
    if (!inVersions(field.versions, version)) continue;
    let v = value[field.property];
    if (field.fields && v !== null) {
      const nested = (item: unknown) => onTheWire(item as Record<string, unknown>, field.fields!, version, flexibleVersions);
      v = Array.isArray(v) ? v.map(nested) : nested(v);
    }
    if (flexible && field.tag !== undefined && inVersions(field.taggedVersions, version) && isDefault(field, value[field.property])) continue;
    out[field.property] = v;
  }
  return out;
}

function isDefault(field: FieldSchema, v: unknown): boolean {
  if (field.default === null) return v === null;
  if (Array.isArray(v)) return v.length === 0;
  if (field.fields) return field.fields.every((f) => isDefault(f, (v as Record<string, unknown>)[f.property]));
  switch (field.type) {
    case 'bool': return v === (String(field.default) === 'true');
    case 'int64': return v === BigInt(String(field.default ?? 0));
    case 'string': return v === String(field.default ?? '');
    case 'uuid': return v === '00000000-0000-0000-0000-000000000000';
    case 'bytes': return (v as Buffer).length === 0;
    case 'records': return v === null;
    default: return v === Number(field.default ?? 0);
  }
}
