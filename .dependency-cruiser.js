// Import rules of src/ that `npm run lint` enforces (DESIGN.md §1, STYLE.md rules 2 and 13): no
// import cycle, code sorted by thread, a pure protocol layer. Type-only imports count too.
/** @type {import('dependency-cruiser').IConfiguration} */
export default {
  forbidden: [
    {
      name: 'no-cycle',
      comment: 'No import cycle among hand-written files in src/ (issue 11): nothing below the entry point needs the whole broker.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/protocol/generated/' },
      to: { circular: true },
    },
    {
      name: 'shard-worker-not-to-acceptor',
      comment: 'Shard code never touches the acceptor: the two threads meet only in src/shared-mem/ and the entry point.',
      severity: 'error',
      from: { path: '^src/shard-worker/' },
      to: { path: '^src/acceptor/' },
    },
    {
      name: 'acceptor-not-to-shard-worker',
      comment: 'The main thread reaches the shards through src/shared-mem/ (and acceptor/shards.ts), never into src/shard-worker/.',
      severity: 'error',
      from: { path: '^src/acceptor/' },
      to: { path: '^src/shard-worker/' },
    },
    {
      name: 'shared-mem-imports-neither-side',
      comment: 'src/shared-mem/ is the contract between the threads and imports neither of them.',
      severity: 'error',
      from: { path: '^src/shared-mem/' },
      to: { path: '^src/(acceptor|shard-worker)/' },
    },
    {
      name: 'protocol-no-io',
      comment: 'src/protocol/ is pure (STYLE.md rule 2): no node:net, node:fs or worker_threads.',
      severity: 'error',
      from: { path: '^src/protocol/' },
      to: { dependencyTypes: ['core'], path: '^(node:)?(net|fs|fs/promises|worker_threads)$' },
    },
    {
      name: 'protocol-imports-only-protocol',
      comment: 'src/protocol/ imports nothing else of the project (STYLE.md rule 2), so it can be fuzzed and benchmarked alone.',
      severity: 'error',
      from: { path: '^src/protocol/' },
      to: { dependencyTypes: ['local'], pathNot: '^src/protocol/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
