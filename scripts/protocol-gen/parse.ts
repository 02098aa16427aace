// Parses one Kafka message definition (JSON with // line comments) into the typed model, rejecting
// anything it does not understand with an error naming the file and the field.
import {
  DefinitionError, MAX_VERSION, NO_VERSIONS, PRIMITIVE_TYPES, formatRange, isEmptyRange,
} from './model.ts';
import type {
  DefaultValue, FieldDef, FieldType, MessageDef, MessageKind, PrimitiveName, StructDef, VersionRange,
} from './model.ts';

const MESSAGE_KEYS = new Set([
  'apiKey', 'type', 'listeners', 'name', 'validVersions', 'deprecatedVersions', 'flexibleVersions',
  'latestVersionUnstable', 'fields', 'commonStructs',
]);
const FIELD_KEYS = new Set([
  'name', 'type', 'versions', 'nullableVersions', 'taggedVersions', 'tag', 'default', 'ignorable',
  'entityType', 'mapKey', 'about', 'fields', 'flexibleVersions', 'zeroCopy',
]);
const KINDS: readonly MessageKind[] = ['request', 'response', 'header', 'data'];

/** Kafka's files carry whole-line // comments only (checked: no trailing ones), so dropping those lines is exact. */
export function stripLineComments(text: string): string {
  return text.replace(/^\s*\/\/.*$/gm, '');
}

export function parseVersionRange(text: string, onError: (problem: string) => never): VersionRange {
  if (text === 'none') return NO_VERSIONS;
  const match = /^(\d+)(?:(\+)|-(\d+))?$/.exec(text.trim());
  if (!match) onError(`cannot read version range ${JSON.stringify(text)}`);
  const min = Number(match[1]);
  const max = match[2] ? MAX_VERSION : match[3] !== undefined ? Number(match[3]) : min;
  if (max < min) onError(`empty version range ${JSON.stringify(text)}`);
  return { min, max };
}

function intersect(a: VersionRange, b: VersionRange): VersionRange {
  const range = { min: Math.max(a.min, b.min), max: Math.min(a.max, b.max) };
  return isEmptyRange(range) ? NO_VERSIONS : range;
}

export function camelCase(name: string): string {
  return name[0]!.toLowerCase() + name.slice(1);
}

interface RawObject {
  readonly [key: string]: unknown;
}

function isObject(value: unknown): value is RawObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

class MessageParser {
  private readonly structs = new Map<string, StructDef>();
  private readonly file: string;
  private readonly messageName: string;
  private readonly validVersions: VersionRange;
  private readonly commonStructs: Map<string, RawObject>;

  constructor(file: string, messageName: string, validVersions: VersionRange, commonStructs: Map<string, RawObject>) {
    this.file = file;
    this.messageName = messageName;
    this.validVersions = validVersions;
    this.commonStructs = commonStructs;
  }

  fail(where: string, problem: string): never {
    throw new DefinitionError(this.file, where, problem);
  }

  parseStruct(name: string, rawFields: unknown, where: string): StructDef {
    if (!Array.isArray(rawFields)) this.fail(where, '"fields" is not a list');
    const fields = rawFields.map((raw, i) => this.parseField(raw, `${where}.fields[${i}]`));
    const seen = new Set<string>();
    for (const field of fields) {
      if (seen.has(field.name)) this.fail(`${where}.${field.name}`, 'defined twice in one struct');
      seen.add(field.name);
    }
    const tags = new Set<number>();
    for (const field of fields) {
      if (field.tag === null) continue;
      if (tags.has(field.tag)) this.fail(`${where}.${field.name}`, `tag ${field.tag} used twice in one struct`);
      tags.add(field.tag);
    }
    return { name, fields };
  }

  private registerStruct(name: string, rawFields: unknown, where: string): void {
    if (name === this.messageName) this.fail(where, `struct ${name} has the name of the message`);
    if (this.structs.has(name)) this.fail(where, `struct ${name} defined twice`);
    const struct = this.parseStruct(name, rawFields, where);
    this.structs.set(name, struct);
  }

  private parseType(text: string, raw: RawObject, where: string): FieldType {
    if (text.startsWith('[]')) {
      const element = this.parseType(text.slice(2), raw, where);
      if (element.kind === 'array') this.fail(where, `nested arrays are not supported: ${text}`);
      if (element.kind === 'primitive' && element.name === 'records') this.fail(where, 'arrays of records are not supported');
      return { kind: 'array', element };
    }
    if ((PRIMITIVE_TYPES as readonly string[]).includes(text)) {
      if (raw['fields'] !== undefined) this.fail(where, `primitive type ${text} cannot have "fields"`);
      return { kind: 'primitive', name: text as PrimitiveName };
    }
    if (!/^[A-Z][A-Za-z0-9]*$/.test(text)) this.fail(where, `unknown type ${JSON.stringify(text)}`);
    if (raw['fields'] !== undefined) {
      this.registerStruct(text, raw['fields'], `${where} (struct ${text})`);
    } else if (!this.structs.has(text)) {
      const common = this.commonStructs.get(text);
      if (!common) this.fail(where, `type ${text} has no "fields" and is not a common struct`);
      this.registerStruct(text, common['fields'], `commonStructs.${text}`);
    }
    return { kind: 'struct', struct: text };
  }

  private parseField(raw: unknown, where: string): FieldDef {
    if (!isObject(raw)) this.fail(where, 'field is not an object');
    const name = raw['name'];
    if (typeof name !== 'string' || !/^[A-Za-z][A-Za-z0-9]*$/.test(name)) this.fail(where, `bad field name ${JSON.stringify(name)}`);
    where = `${where} (${name})`;
    for (const key of Object.keys(raw)) {
      if (!FIELD_KEYS.has(key)) this.fail(where, `unknown key ${JSON.stringify(key)}`);
    }
    const range = (key: string, fallback: VersionRange): VersionRange => {
      const value = raw[key];
      if (value === undefined) return fallback;
      if (typeof value !== 'string') this.fail(where, `"${key}" is not a string`);
      return parseVersionRange(value, (problem) => this.fail(where, `${key}: ${problem}`));
    };
    const typeText = raw['type'];
    if (typeof typeText !== 'string') this.fail(where, '"type" missing');
    if (raw['versions'] === undefined) this.fail(where, '"versions" missing');
    const versions = intersect(range('versions', NO_VERSIONS), this.validVersions);
    const nullableVersions = intersect(range('nullableVersions', NO_VERSIONS), versions);
    const taggedVersions = range('taggedVersions', NO_VERSIONS);
    const flexibleVersions = raw['flexibleVersions'] === undefined ? null : range('flexibleVersions', NO_VERSIONS);
    const type = this.parseType(typeText, raw, where);

    let tag: number | null = null;
    if (raw['tag'] !== undefined) {
      tag = Number(raw['tag']);
      if (!Number.isInteger(tag) || tag < 0) this.fail(where, `bad tag ${JSON.stringify(raw['tag'])}`);
      if (isEmptyRange(taggedVersions)) this.fail(where, 'has a tag but no taggedVersions');
    } else if (!isEmptyRange(taggedVersions)) {
      this.fail(where, 'has taggedVersions but no tag');
    }
    if (!isEmptyRange(nullableVersions)) {
      const nullableKind = type.kind !== 'primitive' || ['string', 'bytes', 'records'].includes(type.name);
      if (!nullableKind) this.fail(where, `type ${typeText} cannot be nullable`);
    }
    if (flexibleVersions !== null && !(type.kind === 'primitive' && (type.name === 'string' || type.name === 'bytes'))) {
      this.fail(where, 'a field-level "flexibleVersions" is only understood on string and bytes fields');
    }
    const field: FieldDef = {
      name, property: camelCase(name), typeText, type, versions, nullableVersions, taggedVersions, tag,
      default: this.parseDefault(raw['default'], type, nullableVersions, where), flexibleVersions,
      about: typeof raw['about'] === 'string' ? raw['about'] : '',
    };
    return field;
  }

  private parseDefault(value: unknown, type: FieldType, nullable: VersionRange, where: string): DefaultValue {
    if (value === undefined) return undefined;
    if (value === 'null') {
      if (isEmptyRange(nullable)) this.fail(where, 'default is null but the field is never nullable');
      return null;
    }
    if (type.kind !== 'primitive') this.fail(where, `default ${JSON.stringify(value)} on a ${type.kind} field; only "null" is understood`);
    const text = String(value);
    switch (type.name) {
      case 'bool':
        if (text !== 'true' && text !== 'false') this.fail(where, `bad bool default ${JSON.stringify(value)}`);
        return text === 'true';
      case 'string':
        return text;
      case 'int64':
        if (!/^-?\d+$/.test(text)) this.fail(where, `bad int64 default ${JSON.stringify(value)}`);
        return text;
      case 'int8': case 'int16': case 'uint16': case 'int32': case 'uint32': case 'float64': {
        const number = /^-?0x[0-9a-f]+$/i.test(text) ? Number.parseInt(text, 16) : Number(text);
        if (!Number.isFinite(number) || text.trim() === '') this.fail(where, `bad numeric default ${JSON.stringify(value)}`);
        return number;
      }
      default:
        this.fail(where, `default ${JSON.stringify(value)} on a ${type.name} field is not understood`);
    }
  }

  structsInOrder(): ReadonlyMap<string, StructDef> {
    return this.structs;
  }
}

/** Parses the text of one definition file; `file` is only used in error messages. */
export function parseMessage(file: string, text: string): MessageDef {
  let raw: unknown;
  try {
    raw = JSON.parse(stripLineComments(text));
  } catch (error) {
    throw new DefinitionError(file, 'file', `not JSON after removing comments: ${(error as Error).message}`);
  }
  const fail = (problem: string): never => { throw new DefinitionError(file, 'message', problem); };
  if (!isObject(raw)) return fail('top level is not an object');
  for (const key of Object.keys(raw)) {
    if (!MESSAGE_KEYS.has(key)) fail(`unknown key ${JSON.stringify(key)}`);
  }
  const name = raw['name'];
  if (typeof name !== 'string' || !/^[A-Z][A-Za-z0-9]*$/.test(name)) return fail(`bad message name ${JSON.stringify(name)}`);
  const kind = raw['type'];
  if (!KINDS.includes(kind as MessageKind)) return fail(`unknown message type ${JSON.stringify(kind)}`);
  const apiKey = raw['apiKey'];
  if ((kind === 'request' || kind === 'response') && (typeof apiKey !== 'number' || !Number.isInteger(apiKey))) fail('requests and responses need an integer apiKey');
  const readRange = (key: string): VersionRange => {
    const value = raw[key];
    if (typeof value !== 'string') return fail(`"${key}" missing or not a string`);
    return parseVersionRange(value, (problem) => fail(`${key}: ${problem}`));
  };
  const validVersions = readRange('validVersions');
  const flexibleVersions = readRange('flexibleVersions');

  const commonStructs = new Map<string, RawObject>();
  const rawCommon = raw['commonStructs'] ?? [];
  if (!Array.isArray(rawCommon)) return fail('"commonStructs" is not a list');
  for (const struct of rawCommon) {
    if (!isObject(struct) || typeof struct['name'] !== 'string') return fail('a common struct has no name');
    commonStructs.set(struct['name'], struct);
  }
  const parser = new MessageParser(file, name, validVersions, commonStructs);
  const root = parser.parseStruct(name, raw['fields'] ?? [], name);
  for (const common of commonStructs.keys()) {
    if (!parser.structsInOrder().has(common)) parser.fail(`commonStructs.${common}`, 'defined but never used');
  }
  for (const struct of [root, ...parser.structsInOrder().values()]) {
    for (const field of struct.fields) {
      if (field.tag !== null && field.taggedVersions.min < flexibleVersions.min) {
        parser.fail(`${struct.name}.${field.name}`, `tagged in versions ${formatRange(field.taggedVersions)}, which are not all flexible`);
      }
    }
  }
  return {
    file, name, kind: kind as MessageKind, apiKey: typeof apiKey === 'number' ? apiKey : null,
    validVersions, flexibleVersions, latestVersionUnstable: raw['latestVersionUnstable'] === true,
    root, structs: parser.structsInOrder(),
  };
}
