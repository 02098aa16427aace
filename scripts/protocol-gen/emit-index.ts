// Emits generated/index.ts (ApiKey, apiCodecs, the module re-exports) and generated/schemas.ts
// (the parsed definitions as data, for the conformance and round-trip tests).
import { formatRange } from './model.ts';
import type { FieldDef, MessageDef, StructDef } from './model.ts';
import { BANNER, kebabCase } from './emit.ts';

export function moduleFile(message: MessageDef): string {
  return `${kebabCase(message.name)}.ts`;
}

/** Pairs every request with its response by apiKey; throws on anything unpaired or inconsistent. */
export function pairApis(messages: readonly MessageDef[]): { request: MessageDef; response: MessageDef }[] {
  const requests = new Map<number, MessageDef>();
  const responses = new Map<number, MessageDef>();
  for (const message of messages) {
    const table = message.kind === 'request' ? requests : message.kind === 'response' ? responses : null;
    if (!table) continue;
    const other = table.get(message.apiKey!);
    if (other) throw new Error(`${message.file}: apiKey ${message.apiKey} is also used by ${other.file}`);
    table.set(message.apiKey!, message);
  }
  const pairs = [...requests.values()].map((request) => {
    const response = responses.get(request.apiKey!);
    if (!response) throw new Error(`${request.file}: no response with apiKey ${request.apiKey}`);
    if (!request.name.endsWith('Request') || response.name !== `${request.name.slice(0, -'Request'.length)}Response`) {
      throw new Error(`${request.file}: request/response names do not match (${request.name}, ${response.name})`);
    }
    for (const key of ['validVersions', 'flexibleVersions'] as const) {
      if (formatRange(request[key]) !== formatRange(response[key])) {
        throw new Error(`${request.file}: ${key} ${formatRange(request[key])} differs from the response's ${formatRange(response[key])}`);
      }
    }
    return { request, response };
  });
  for (const response of responses.values()) {
    if (!requests.has(response.apiKey!)) throw new Error(`${response.file}: no request with apiKey ${response.apiKey}`);
  }
  return pairs.sort((a, b) => a.request.apiKey! - b.request.apiKey!);
}

export function emitIndex(messages: readonly MessageDef[]): string {
  const pairs = pairApis(messages);
  const sorted = [...messages].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const apiName = (request: MessageDef) => request.name.slice(0, -'Request'.length);
  const lines = [
    `// ${BANNER}: do not edit.`,
    '// Every API by key, a codec table for the acceptor, and every message module as a namespace.',
    "import type { Reader, Writer } from '../primitives.ts';",
    ...sorted.filter((m) => m.kind === 'request' || m.kind === 'response').map((m) => `import * as ${m.name} from './${moduleFile(m)}';`),
    '',
    ...sorted.map((m) => `export * as ${m.name} from './${moduleFile(m)}';`),
    '',
    'export const ApiKey = {',
    ...pairs.map(({ request }) => `  ${apiName(request)}: ${request.apiKey},`),
    '} as const;',
    '',
    'export type ApiKeyNumber = (typeof ApiKey)[keyof typeof ApiKey];',
    '',
    'export interface ApiCodec {',
    '  apiKey: number;',
    '  name: string;',
    '  minVersion: number;',
    '  maxVersion: number;',
    '  /** First flexible version (compact encodings, tagged fields, request header v2); Infinity when none. */',
    '  flexibleMinVersion: number;',
    "  /** Kafka marks the newest version as still under development. */",
    '  latestVersionUnstable: boolean;',
    '  decodeRequest(r: Reader, version: number): unknown;',
    '  encodeRequest(w: Writer, version: number, m: unknown): void;',
    '  decodeResponse(r: Reader, version: number): unknown;',
    '  encodeResponse(w: Writer, version: number, m: unknown): void;',
    '}',
    '',
    'export const apiCodecs: ReadonlyMap<number, ApiCodec> = new Map<number, ApiCodec>([',
    ...pairs.map(({ request, response }) => {
      const flexible = request.flexibleVersions.min > request.flexibleVersions.max ? 'Infinity' : String(request.flexibleVersions.min);
      return [
        `  [${request.apiKey}, {`,
        `    apiKey: ${request.apiKey},`,
        `    name: '${apiName(request)}',`,
        `    minVersion: ${request.validVersions.min},`,
        `    maxVersion: ${request.validVersions.max},`,
        `    flexibleMinVersion: ${flexible},`,
        `    latestVersionUnstable: ${request.latestVersionUnstable},`,
        `    decodeRequest: ${request.name}.decode${request.name},`,
        `    encodeRequest: ${request.name}.encode${request.name},`,
        `    decodeResponse: ${response.name}.decode${response.name},`,
        `    encodeResponse: ${response.name}.encode${response.name},`,
        '  }],',
      ].join('\n');
    }),
    ']);',
  ];
  return lines.join('\n') + '\n';
}

function fieldSchema(field: FieldDef, message: MessageDef, indent: string): string {
  const parts = [
    `name: '${field.name}'`,
    `property: '${field.property}'`,
    `type: '${field.typeText}'`,
    `versions: '${formatRange(field.versions)}'`,
  ];
  if (field.nullableVersions.min <= field.nullableVersions.max) parts.push(`nullableVersions: '${formatRange(field.nullableVersions)}'`);
  if (field.tag !== null) parts.push(`tag: ${field.tag}`, `taggedVersions: '${formatRange(field.taggedVersions)}'`);
  if (field.default !== undefined) parts.push(`default: ${JSON.stringify(field.default)}`);
  if (field.flexibleVersions) parts.push(`flexibleVersions: '${formatRange(field.flexibleVersions)}'`);
  const elementType = field.type.kind === 'array' ? field.type.element : field.type;
  if (elementType.kind === 'struct') {
    const struct = message.structs.get(elementType.struct)!;
    parts.push(`fields: ${fieldsSchema(struct, message, indent)}`);
  }
  return `{ ${parts.join(', ')} }`;
}

function fieldsSchema(struct: StructDef, message: MessageDef, indent: string): string {
  if (struct.fields.length === 0) return '[]';
  const inner = `${indent}  `;
  return `[\n${struct.fields.map((field) => `${inner}${fieldSchema(field, message, inner)},`).join('\n')}\n${indent}]`;
}

export function emitSchemas(messages: readonly MessageDef[]): string {
  const sorted = [...messages].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const lines = [
    `// ${BANNER}: do not edit.`,
    '// The message definitions as the generator read them (common structs inlined), for tests and tools.',
    '// Runtime code does not import this file.',
    '',
    'export interface FieldSchema {',
    '  name: string;',
    '  property: string;',
    '  type: string;',
    '  versions: string;',
    '  nullableVersions?: string;',
    '  tag?: number;',
    '  taggedVersions?: string;',
    '  default?: string | number | boolean | null;',
    '  flexibleVersions?: string;',
    '  fields?: readonly FieldSchema[];',
    '}',
    '',
    'export interface MessageSchema {',
    '  name: string;',
    "  type: 'request' | 'response' | 'header' | 'data';",
    '  apiKey: number | null;',
    '  validVersions: string;',
    '  flexibleVersions: string;',
    '  fields: readonly FieldSchema[];',
    '}',
    '',
    'export const messageSchemas: ReadonlyMap<string, MessageSchema> = new Map<string, MessageSchema>([',
    ...sorted.map((m) => [
      `  ['${m.name}', {`,
      `    name: '${m.name}',`,
      `    type: '${m.kind}',`,
      `    apiKey: ${m.apiKey},`,
      `    validVersions: '${formatRange(m.validVersions)}',`,
      `    flexibleVersions: '${formatRange(m.flexibleVersions)}',`,
      `    fields: ${fieldsSchema(m.root, m, '    ')},`,
      '  }],',
    ].join('\n')),
    ']);',
  ];
  return lines.join('\n') + '\n';
}
