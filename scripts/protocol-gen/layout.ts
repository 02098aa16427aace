// Works out, for every struct and version, the exact wire layout (which fields, in which encoding),
// and merges versions whose layouts are identical so each distinct layout is emitted once.
import { formatRange, inRange } from './model.ts';
import type { FieldDef, MessageDef, StructDef } from './model.ts';

export interface FieldSlot {
  readonly field: FieldDef;
  /** Nullable in this version (the TypeScript type may still allow null from other versions). */
  readonly nullable: boolean;
  /** Compact string/bytes/records/array encoding in this version. */
  readonly compact: boolean;
  /** For struct and struct-array fields: the element's layout in this version. */
  readonly child: StructLayout | null;
}

export interface StructLayout {
  readonly struct: StructDef;
  /** Suffix of the emitted functions, e.g. TopicProduceDataV3 (named by the first version using it). */
  readonly id: string;
  readonly versions: number[];
  readonly flexible: boolean;
  /** Fields written in order in the body. */
  readonly regular: readonly FieldSlot[];
  /** Fields in the tagged section, by ascending tag. */
  readonly tagged: readonly FieldSlot[];
}

export interface MessageLayouts {
  /** The message's own layouts, in order of first version. */
  readonly root: readonly StructLayout[];
  /** Layouts of the nested structs, in order of creation (dependencies first). */
  readonly nested: readonly StructLayout[];
  readonly rootByVersion: ReadonlyMap<number, StructLayout>;
}

export function versionsText(versions: readonly number[]): string {
  const parts: string[] = [];
  let start = versions[0]!;
  for (let i = 1; i <= versions.length; i++) {
    if (versions[i] !== versions[i - 1]! + 1) {
      parts.push(formatRange({ min: start, max: versions[i - 1]! }));
      start = versions[i]!;
    }
  }
  return parts.join(', ');
}

export function computeLayouts(message: MessageDef): MessageLayouts {
  const bySignature = new Map<string, StructLayout>();
  const nested: StructLayout[] = [];
  const root: StructLayout[] = [];
  const rootByVersion = new Map<number, StructLayout>();

  const layoutOf = (struct: StructDef, version: number): StructLayout => {
    const flexible = inRange(message.flexibleVersions, version);
    const regular: FieldSlot[] = [];
    const tagged: FieldSlot[] = [];
    for (const field of struct.fields) {
      if (!inRange(field.versions, version)) continue;
      const elementType = field.type.kind === 'array' ? field.type.element : field.type;
      const childStruct = elementType.kind === 'struct' ? message.structs.get(elementType.struct)! : null;
      const slot: FieldSlot = {
        field,
        nullable: inRange(field.nullableVersions, version),
        compact: flexible && (field.flexibleVersions === null || inRange(field.flexibleVersions, version)),
        child: childStruct ? layoutOf(childStruct, version) : null,
      };
      if (flexible && field.tag !== null && inRange(field.taggedVersions, version)) tagged.push(slot);
      else regular.push(slot);
    }
    tagged.sort((a, b) => a.field.tag! - b.field.tag!);
    const describe = (slot: FieldSlot) => [slot.field.name, slot.nullable, slot.compact, slot.child?.id ?? null, slot.field.tag];
    const signature = JSON.stringify([struct.name, flexible, regular.map(describe), tagged.map(describe)]);
    const existing = bySignature.get(signature);
    if (existing) {
      if (!existing.versions.includes(version)) existing.versions.push(version);
      return existing;
    }
    const layout: StructLayout = { struct, id: `${struct.name}V${version}`, versions: [version], flexible, regular, tagged };
    bySignature.set(signature, layout);
    if (struct !== message.root) nested.push(layout);
    else root.push(layout);
    return layout;
  };

  for (let version = message.validVersions.min; version <= message.validVersions.max; version++) {
    rootByVersion.set(version, layoutOf(message.root, version));
  }
  return { root, nested, rootByVersion };
}
