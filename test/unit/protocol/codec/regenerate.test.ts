// The committed src/protocol/generated/ is exactly what the generator makes today; and the generator
// reports definitions it does not understand by file and field.
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_OUTPUT_DIR, generateProtocol } from '../../../../scripts/generate-protocol.ts';
import { parseMessage } from '../../../../scripts/protocol-gen/parse.ts';

describe('generator', () => {
  const outputDir = mkdtempSync(join(tmpdir(), 'highwater-codegen-'));
  afterAll(() => rmSync(outputDir, { recursive: true, force: true }));

  it('regenerates src/protocol/generated/ byte for byte (run `npm run generate` and commit if this fails)', () => {
    generateProtocol(outputDir);
    const committed = resolve(DEFAULT_OUTPUT_DIR);
    const fresh = readdirSync(outputDir).sort();
    expect(readdirSync(committed).sort()).toEqual(fresh);
    const differing = fresh.filter((file) => readFileSync(join(outputDir, file), 'utf8') !== readFileSync(join(committed, file), 'utf8'));
    expect(differing).toEqual([]);
  });

  const definition = (fields: string) => `// comment\n{ "apiKey": 99, "type": "request", "name": "ToyRequest", "validVersions": "0-1", "flexibleVersions": "1+", "fields": [${fields}] }`;
  const rejects: [string, string, RegExp][] = [
    ['an unknown type', '{ "name": "A", "type": "int128", "versions": "0+" }', /Toy\.json: .*\(A\): unknown type "int128"/],
    ['a bad version range', '{ "name": "A", "type": "int32", "versions": "1-0" }', /Toy\.json: .*\(A\): versions: empty version range/],
    ['a nullable int', '{ "name": "A", "type": "int32", "versions": "0+", "nullableVersions": "0+" }', /\(A\): type int32 cannot be nullable/],
    ['a tag without taggedVersions', '{ "name": "A", "type": "int32", "versions": "1+", "tag": 0 }', /\(A\): has a tag but no taggedVersions/],
    ['a tag in a non-flexible version', '{ "name": "A", "type": "int32", "versions": "0+", "tag": 0, "taggedVersions": "0+" }', /A: tagged in versions 0\+, which are not all flexible/],
    ['an unknown key', '{ "name": "A", "type": "int32", "versions": "0+", "wat": 1 }', /\(A\): unknown key "wat"/],
    ['a struct type without fields', '{ "name": "A", "type": "[]Thing", "versions": "0+" }', /\(A\): type Thing has no "fields" and is not a common struct/],
    ['a bad default', '{ "name": "A", "type": "int64", "versions": "0+", "default": "soon" }', /\(A\): bad int64 default "soon"/],
  ];
  for (const [what, field, message] of rejects) {
    it(`names the file and field for ${what}`, () => {
      expect(() => parseMessage('Toy.json', definition(field))).toThrow(message);
    });
  }
});
