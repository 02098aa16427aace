// Test helper: finds a message's generated encode/decode functions by name, lists its versions,
// and derives a reproducible seed per (message, version, sample).
import * as generated from '../../../../src/protocol/generated/index.ts';
import type { Reader, Writer } from '../../../../src/protocol/primitives.ts';

export interface MessageCodec {
  encode(w: Writer, version: number, m: unknown): void;
  decode(r: Reader, version: number): unknown;
}

export function codecOf(name: string): MessageCodec {
  const module = (generated as unknown as Record<string, Record<string, unknown> | undefined>)[name];
  const encode = module?.[`encode${name}`];
  const decode = module?.[`decode${name}`];
  if (typeof encode !== 'function' || typeof decode !== 'function') throw new Error(`no generated codec for ${name}`);
  return { encode: encode as MessageCodec['encode'], decode: decode as MessageCodec['decode'] };
}

export function versionsOf(validVersions: string): number[] {
  const match = /^(\d+)(?:-(\d+))?$/.exec(validVersions);
  if (!match) throw new Error(`bad validVersions ${validVersions}`);
  const min = Number(match[1]);
  const max = match[2] === undefined ? min : Number(match[2]);
  return Array.from({ length: max - min + 1 }, (_, i) => min + i);
}

/** FNV-1a over the name, mixed with version and sample: stable across runs and machines. */
export function seedFor(name: string, version: number, sample: number): number {
  let hash = 0x811c9dc5;
  for (const char of `${name}/${version}/${sample}`) hash = Math.imul(hash ^ char.charCodeAt(0), 0x01000193);
  return hash >>> 0;
}
