// Test helper: seeded random messages built from the generated schemas, and the value every field
// takes when a version lacks it. Shared by the round-trip and fuzz tests.
import { Buffer } from 'node:buffer';
import { ZERO_UUID } from '../../../../src/protocol/primitives.ts';
import type { FieldSchema } from '../../../../src/protocol/generated/schemas.ts';

/** mulberry32: small, fast, and reproducible from a 32-bit seed. */
export class Prng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(below: number): number {
    return Math.floor(this.next() * below);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  bytes(length: number): Buffer {
    const out = Buffer.alloc(length);
    for (let i = 0; i < length; i++) out[i] = this.int(256);
    return out;
  }
}

/** Parses "3+", "0-2", "5", "none" the same way Kafka does. */
export function inVersions(range: string | undefined, version: number): boolean {
  if (range === undefined || range === 'none') return false;
  const plus = /^(\d+)\+$/.exec(range);
  if (plus) return version >= Number(plus[1]);
  const span = /^(\d+)-(\d+)$/.exec(range);
  if (span) return version >= Number(span[1]) && version <= Number(span[2]);
  if (/^\d+$/.test(range)) return version === Number(range);
  throw new Error(`bad range ${range}`);
}

const INT_LIMITS: Record<string, [number, number]> = {
  int8: [-128, 127], int16: [-32768, 32767], uint16: [0, 65535],
  int32: [-2147483648, 2147483647], uint32: [0, 4294967295],
};

function numericDefault(field: FieldSchema): number {
  const text = String(field.default ?? '0');
  return /^-?0x/i.test(text) ? Number.parseInt(text, 16) : Number(text);
}

/** The value of a field in a decoded message when `version` does not carry it (Kafka's default). */
export function absentValue(field: FieldSchema): unknown {
  if (field.default === null) return null;
  if (field.type.startsWith('[]')) return [];
  if (field.fields) return defaultStruct(field.fields);
  switch (field.type) {
    case 'bool': return String(field.default) === 'true';
    case 'int64': return BigInt(String(field.default ?? '0'));
    case 'string': return String(field.default ?? '');
    case 'uuid': return ZERO_UUID;
    case 'bytes': return Buffer.alloc(0);
    case 'records': return null;
    default: return numericDefault(field);
  }
}

export function defaultStruct(fields: readonly FieldSchema[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of fields) out[field.property] = absentValue(field);
  return out;
}

/**
 * What an encoder writes, and a decoder then returns, for a field that is in `version` but was
 * left out of the input: the default, except that a null default in a version where the field
 * is not nullable becomes the type's empty value.
 */
export function missingInputValue(field: FieldSchema, version: number): unknown {
  if (field.tag !== undefined && inVersions(field.taggedVersions, version)) return absentValue(field);
  const nullableHere = inVersions(field.nullableVersions, version);
  if (nullableHere && field.default === null) return null;
  if (field.type.startsWith('[]')) return [];
  if (field.fields) return missingStruct(field.fields, version);
  if (field.type === 'records') return nullableHere ? null : Buffer.alloc(0);
  if (field.default === null) return field.type === 'string' ? '' : Buffer.alloc(0);
  return absentValue(field);
}

export function missingStruct(fields: readonly FieldSchema[], version: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of fields) out[field.property] = inVersions(field.versions, version) ? missingInputValue(field, version) : absentValue(field);
  return out;
}

const STRINGS = ['', 'a', 'topic-1', 'ünïcödé', '日本語のトピック', 'emoji 🚀🔥', 'x'.repeat(200), 'mixed ascii 和 ✓ 🧪'.repeat(9)];

function randomPrimitive(type: string, rng: Prng): unknown {
  switch (type) {
    case 'bool': return rng.chance(0.5);
    case 'int8': case 'int16': case 'uint16': case 'int32': case 'uint32': {
      const [min, max] = INT_LIMITS[type]!;
      const roll = rng.int(5);
      if (roll === 0) return min;
      if (roll === 1) return max;
      if (roll === 2) return type.startsWith('u') ? 0 : -1;
      return min + Math.floor(rng.next() * (max - min + 1));
    }
    case 'int64': {
      const roll = rng.int(5);
      if (roll === 0) return -(2n ** 63n);
      if (roll === 1) return 2n ** 63n - 1n;
      if (roll === 2) return -1n;
      return BigInt.asIntN(64, (BigInt(rng.int(2 ** 32)) << 32n) | BigInt(rng.int(2 ** 32)));
    }
    case 'float64': return rng.pick([0, -1.5, Math.PI, Number.MAX_VALUE, Number.MIN_VALUE, -Infinity, rng.next() * 1e9]);
    case 'string': return rng.pick(STRINGS);
    case 'uuid': return rng.chance(0.2) ? ZERO_UUID : rng.bytes(16).toString('hex').replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5');
    case 'bytes': case 'records': return rng.bytes(rng.pick([0, 1, 7, 130, 300]));
    default: throw new Error(`unknown primitive ${type}`);
  }
}

function randomValue(field: FieldSchema, version: number, rng: Prng, depth: number): unknown {
  if (inVersions(field.nullableVersions, version) && rng.chance(0.25)) return null;
  if (field.type.startsWith('[]')) {
    const elementType = field.type.slice(2);
    // Mostly short arrays; sometimes 130 elements so the compact length needs a two-byte varint.
    const length = field.fields
      ? (depth > 3 ? 0 : rng.pick([0, 1, 2, 3]))
      : rng.pick([0, 1, 3, 130]);
    const out: unknown[] = [];
    for (let i = 0; i < length; i++) {
      out.push(field.fields ? randomStruct(field.fields, version, rng, depth + 1) : randomPrimitive(elementType, rng));
    }
    return out;
  }
  if (field.fields) return randomStruct(field.fields, version, rng, depth + 1);
  return randomPrimitive(field.type, rng);
}

/** A random struct for `version`: fields of that version get random values, the others their defaults. */
export function randomStruct(fields: readonly FieldSchema[], version: number, rng: Prng, depth = 0): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of fields) {
    out[field.property] = inVersions(field.versions, version) ? randomValue(field, version, rng, depth) : absentValue(field);
  }
  return out;
}
