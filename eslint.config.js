// Lint: typescript-eslint's recommended rules; the type check itself is `tsc --noEmit` in `npm run lint`.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', 'data/**', 'bench/results/**', 'test/compat/**/target/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  {
    // The protocol layer is pure (STYLE.md rule 2): no I/O, no threads, nothing else of the project.
    files: ['src/protocol/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['node:net', 'node:fs', 'node:fs/*', 'node:worker_threads', 'net', 'fs', 'worker_threads'], message: 'src/protocol is pure: no I/O, no threads.' },
          { group: ['../*', '!../protocol/*'], message: 'src/protocol imports nothing else of the project.' },
        ],
      }],
    },
  },
  {
    // Generated codecs sit one folder down and import the hand-written primitives beside them.
    files: ['src/protocol/generated/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['node:net', 'node:fs', 'node:fs/*', 'node:worker_threads', 'net', 'fs', 'worker_threads'], message: 'src/protocol is pure: no I/O, no threads.' },
          { group: ['../*', '../../*', '!../primitives.ts'], message: 'generated codecs import only ../primitives.ts and each other.' },
        ],
      }],
      // A message with no fields (e.g. ListClientMetricsResourcesRequest) is an empty interface, on purpose.
      '@typescript-eslint/no-empty-object-type': ['error', { allowInterfaces: 'always' }],
    },
  },
);
