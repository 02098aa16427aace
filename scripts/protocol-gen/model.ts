// The typed model of a Kafka message definition, produced by parse.ts and consumed by layout.ts and emit.ts.

/** An inclusive version range; `none` is represented as min > max. */
export interface VersionRange {
  readonly min: number;
  readonly max: number;
}

/** Upper bound of an open range ("3+"): Kafka versions are int16. */
export const MAX_VERSION = 0x7fff;
export const NO_VERSIONS: VersionRange = { min: 1, max: 0 };

export function inRange(range: VersionRange, version: number): boolean {
  return version >= range.min && version <= range.max;
}

export function isEmptyRange(range: VersionRange): boolean {
  return range.min > range.max;
}

export function formatRange(range: VersionRange): string {
  if (isEmptyRange(range)) return 'none';
  if (range.max === MAX_VERSION) return `${range.min}+`;
  if (range.min === range.max) return `${range.min}`;
  return `${range.min}-${range.max}`;
}

export const PRIMITIVE_TYPES = ['bool', 'int8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'float64', 'string', 'uuid', 'bytes', 'records'] as const;
export type PrimitiveName = (typeof PRIMITIVE_TYPES)[number];

export type FieldType =
  | { readonly kind: 'primitive'; readonly name: PrimitiveName }
  | { readonly kind: 'struct'; readonly struct: string }
  | { readonly kind: 'array'; readonly element: FieldType };

/** A `default` as written in the JSON, already checked against the field's type. */
export type DefaultValue = string | number | boolean | null | undefined;

export interface FieldDef {
  /** Kafka's name, e.g. TopicData. */
  readonly name: string;
  /** The TypeScript property, e.g. topicData. */
  readonly property: string;
  /** The type as written, e.g. "[]TopicProduceData". */
  readonly typeText: string;
  readonly type: FieldType;
  readonly versions: VersionRange;
  readonly nullableVersions: VersionRange;
  readonly taggedVersions: VersionRange;
  readonly tag: number | null;
  readonly default: DefaultValue;
  /** A field-level override of the message's flexible versions (only RequestHeader.ClientId uses it). */
  readonly flexibleVersions: VersionRange | null;
  readonly about: string;
}

export interface StructDef {
  readonly name: string;
  readonly fields: readonly FieldDef[];
}

export type MessageKind = 'request' | 'response' | 'header' | 'data';

export interface MessageDef {
  /** The JSON file it came from, for error messages and the generated banner. */
  readonly file: string;
  readonly name: string;
  readonly kind: MessageKind;
  readonly apiKey: number | null;
  readonly validVersions: VersionRange;
  readonly flexibleVersions: VersionRange;
  readonly latestVersionUnstable: boolean;
  /** The message's own fields, as a struct named after the message. */
  readonly root: StructDef;
  /** Every struct the message uses (nested and common), by Kafka type name, in definition order. */
  readonly structs: ReadonlyMap<string, StructDef>;
}

/** A definition the generator does not understand; names the file and field. */
export class DefinitionError extends Error {
  constructor(file: string, where: string, problem: string) {
    super(`${file}: ${where}: ${problem}`);
    this.name = 'DefinitionError';
  }
}
