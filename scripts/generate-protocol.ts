// Generates src/protocol/generated/ from Kafka's JSON message definitions (../shared/kafka-protocol/messages).
// Pipeline: parse (protocol-gen/parse.ts) -> typed model -> per-version layouts -> emitted TypeScript.
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseMessage } from './protocol-gen/parse.ts';
import { emitMessageModule } from './protocol-gen/emit.ts';
import { emitIndex, emitSchemas, moduleFile } from './protocol-gen/emit-index.ts';
import type { MessageDef } from './protocol-gen/model.ts';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const DEFAULT_MESSAGES_DIR = resolve(repoRoot, '../shared/kafka-protocol/messages');
export const DEFAULT_OUTPUT_DIR = resolve(repoRoot, 'src/protocol/generated');

export function readDefinitions(messagesDir: string = DEFAULT_MESSAGES_DIR): MessageDef[] {
  return readdirSync(messagesDir)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => parseMessage(file, readFileSync(join(messagesDir, file), 'utf8')));
}

/** The generated files by name, without touching the disk. */
export function generateSources(messages: readonly MessageDef[]): Map<string, string> {
  const files = new Map<string, string>();
  for (const message of messages) {
    const file = moduleFile(message);
    if (files.has(file)) throw new Error(`${message.file}: output file ${file} is also produced by another definition`);
    files.set(file, emitMessageModule(message));
  }
  files.set('index.ts', emitIndex(messages));
  files.set('schemas.ts', emitSchemas(messages));
  return files;
}

/** Regenerates every file into outputDir, removing stale .ts files there. Returns the file names written. */
export function generateProtocol(outputDir: string = DEFAULT_OUTPUT_DIR, messagesDir: string = DEFAULT_MESSAGES_DIR): string[] {
  const files = generateSources(readDefinitions(messagesDir));
  mkdirSync(outputDir, { recursive: true });
  for (const stale of readdirSync(outputDir)) {
    if (stale.endsWith('.ts') && !files.has(stale)) rmSync(join(outputDir, stale));
  }
  for (const [file, source] of files) writeFileSync(join(outputDir, file), source);
  return [...files.keys()];
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const outputDir = process.argv[2] ? resolve(process.argv[2]) : DEFAULT_OUTPUT_DIR;
  const written = generateProtocol(outputDir);
  console.log(`generated ${written.length} files in ${outputDir}`);
}
