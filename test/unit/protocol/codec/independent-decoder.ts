// Test helper: a decoder that interprets Kafka's JSON definitions directly, sharing no code with the
// generator or src/protocol. The conformance test runs the generated encoders' output through it.
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { inVersions } from './random-message.ts';

export const MESSAGES_DIR = resolve(import.meta.dirname, '../../../../../shared/kafka-protocol/messages');

export interface RawField {
  name: string;
  type: string;
  versions: string;
  nullableVersions?: string;
  taggedVersions?: string;
  tag?: number | string;
  default?: unknown;
  flexibleVersions?: string;
  fields?: RawField[];
}

export interface RawMessage {
  name: string;
  type: string;
  apiKey?: number;
  validVersions: string;
  flexibleVersions: string;
  fields: RawField[];
  commonStructs?: { name: string; fields: RawField[] }[];
}

export function loadRawMessages(): RawMessage[] {
  return readdirSync(MESSAGES_DIR).filter((f) => f.endsWith('.json')).sort().map((file) => {
    const text = readFileSync(join(MESSAGES_DIR, file), 'utf8').split('\n').filter((line) => !line.trim().startsWith('//')).join('\n');
    return JSON.parse(text) as RawMessage;
  });
}

/** Plain DataView reads, no bounds policy beyond what DataView itself throws. */
export class Cursor {
  at = 0;
  private readonly view: DataView;
  private readonly bytes: Uint8Array;

  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get done(): boolean { return this.at === this.bytes.length; }
  i8(): number { return this.view.getInt8(this.at++); }
  i16(): number { const v = this.view.getInt16(this.at); this.at += 2; return v; }
  u16(): number { const v = this.view.getUint16(this.at); this.at += 2; return v; }
  i32(): number { const v = this.view.getInt32(this.at); this.at += 4; return v; }
  u32(): number { const v = this.view.getUint32(this.at); this.at += 4; return v; }
  i64(): bigint { const v = this.view.getBigInt64(this.at); this.at += 8; return v; }
  f64(): number { const v = this.view.getFloat64(this.at); this.at += 8; return v; }
  uvarint(): number {
    let value = 0;
    for (let shift = 0; ; shift += 7) {
      const b = this.bytes[this.at++]!;
      value += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return value;
    }
  }
  take(n: number): Buffer { const v = Buffer.from(this.bytes.subarray(this.at, this.at + n)); this.at += n; return v; }
}

const camel = (name: string) => name[0]!.toLowerCase() + name.slice(1);

export class SpecDecoder {
  private readonly common: Map<string, RawField[]>;
  private readonly flexibleVersions: string;
  private readonly version: number;

  constructor(message: RawMessage, version: number) {
    this.common = new Map((message.commonStructs ?? []).map((s) => [s.name, s.fields]));
    this.flexibleVersions = message.flexibleVersions;
    this.version = version;
  }

  private get flexible(): boolean { return inVersions(this.flexibleVersions, this.version); }

  /** Decodes a struct; fields the wire does not carry (absent or untransmitted tags) are left out. */
  struct(fields: readonly RawField[], c: Cursor): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const tagged = new Map<number, RawField>();
    for (const field of fields) {
      if (!inVersions(field.versions, this.version)) continue;
      if (this.flexible && field.tag !== undefined && inVersions(field.taggedVersions, this.version)) {
        tagged.set(Number(field.tag), field);
        continue;
      }
      out[camel(field.name)] = this.value(field, field.type, c, true);
    }
    if (this.flexible) {
      for (let count = c.uvarint(); count > 0; count--) {
        const tag = c.uvarint();
        const size = c.uvarint();
        const field = tagged.get(tag);
        if (!field) { c.take(size); continue; }
        const end = c.at + size;
        out[camel(field.name)] = this.value(field, field.type, c, true);
        if (c.at !== end) throw new Error(`tag ${tag} (${field.name}) size ${size} but read ${c.at - end + size}`);
      }
    }
    return out;
  }

  private value(field: RawField, type: string, c: Cursor, top: boolean): unknown {
    const nullable = top && inVersions(field.nullableVersions, this.version);
    const compact = this.flexible && field.flexibleVersions !== 'none';
    const length = () => (compact ? c.uvarint() - 1 : type.startsWith('[]') || type === 'bytes' || type === 'records' ? c.i32() : c.i16());
    if (type.startsWith('[]')) {
      const n = length();
      if (n < 0) { if (!nullable) throw new Error(`null array in ${field.name}`); return null; }
      return Array.from({ length: n }, () => this.value(field, type.slice(2), c, false));
    }
    switch (type) {
      case 'bool': return c.i8() !== 0;
      case 'int8': return c.i8();
      case 'int16': return c.i16();
      case 'uint16': return c.u16();
      case 'int32': return c.i32();
      case 'uint32': return c.u32();
      case 'int64': return c.i64();
      case 'float64': return c.f64();
      case 'uuid': return c.take(16).toString('hex').replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5');
      case 'string': {
        const n = length();
        if (n < 0) { if (!nullable) throw new Error(`null string in ${field.name}`); return null; }
        return c.take(n).toString('utf8');
      }
      case 'bytes': case 'records': {
        const n = length();
        if (n < 0) return null;
        return c.take(n);
      }
      default: {
        if (nullable && c.i8() < 0) return null;
        const fields = field.fields ?? this.common.get(type);
        if (!fields) throw new Error(`unknown struct ${type}`);
        return this.struct(fields, c);
      }
    }
  }
}
