// The syncs that make a newly created partition log durable (its directory's entries, the parent's
// entry for the directory, the first recovery checkpoint), run on the libuv threadpool a few at a
// time instead of inline on the shard thread (issue 18: a 1,000-partition CreateTopics held the
// shard ~26 s in synchronous fsyncs while its other partitions waited). Per thread: each shard
// worker has its own module instance, like open-logs.ts.
//
// Why a small bound: the threadpool is shared by the whole process (group-commit fdatasyncs of
// every shard, the fetch path's reads on the main thread); a thousand queued directory fsyncs in
// front of them would move the stall from the shard's loop to the pool's queue.
// Why coalescing: every partition of one CreateTopics asks for the same parent directory's fsync;
// a request for a path whose sync is queued but not started joins it (that sync starts later, so
// it covers the caller's entries). A sync already running may not cover them: a new one is queued.
import { syncDirectoryAsync, syncFileAsync } from './checkpoint.ts';

/** Creation syncs running at once on this thread (the pool has 16 threads under the CLI). */
export const MAX_CREATION_SYNCS_IN_FLIGHT = 4;

type SyncKind = 'directory' | 'file';

interface SyncJob {
  kind: SyncKind;
  path: string;
  done: Promise<void>;
  resolve: () => void;
  reject: (err: unknown) => void;
}

const queue: SyncJob[] = [];
/** Jobs queued and not yet started, by kind and path: a later request for the same path joins one. */
const notStarted = new Map<string, SyncJob>();
let running = 0;

/**
 * Queues an fsync of `path` (a directory's entries, or a file's data) and resolves when one that
 * started after this call has finished. A directory or file that no longer exists (the partition
 * was deleted meanwhile) resolves: there is nothing left to make durable.
 */
export function queueCreationSync(kind: SyncKind, path: string): Promise<void> {
  const key = `${kind}:${path}`;
  const waiting = notStarted.get(key);
  if (waiting) return waiting.done;
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const done = new Promise<void>((res, rej) => { resolve = res; reject = rej; });
  const job: SyncJob = { kind, path, done, resolve, reject };
  notStarted.set(key, job);
  queue.push(job);
  startQueued();
  return done;
}

/**
 * Moves the not-yet-started syncs of these paths to the front of the queue: a group commit is
 * waiting for them (an append to a new partition under fsync=always), and it should not wait for
 * every other partition the same CreateTopics made.
 */
export function expediteCreationSyncs(paths: readonly { kind: SyncKind; path: string }[]): void {
  const front: SyncJob[] = [];
  for (const { kind, path } of paths) {
    const job = notStarted.get(`${kind}:${path}`);
    if (job === undefined) continue;
    queue.splice(queue.indexOf(job), 1);
    front.push(job);
  }
  if (front.length > 0) queue.unshift(...front);
}

function startQueued(): void {
  while (running < MAX_CREATION_SYNCS_IN_FLIGHT && queue.length > 0) {
    const job = queue.shift()!;
    notStarted.delete(`${job.kind}:${job.path}`);
    running++;
    const sync = job.kind === 'directory' ? syncDirectoryAsync(job.path) : syncFileAsync(job.path);
    sync.then(job.resolve, (err: unknown) => {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') job.resolve();
      else job.reject(err);
    }).finally(() => {
      running--;
      startQueued();
      if (running === 0 && queue.length === 0) for (const wake of idleWaiters.splice(0)) wake();
    });
  }
}

const idleWaiters: (() => void)[] = [];

/** Creation syncs queued or running on this thread. */
export function creationSyncsPending(): number {
  return queue.length + running;
}

/** Resolves once no creation sync is queued or running on this thread (tests, shutdown). */
export function creationSyncsIdle(): Promise<void> {
  if (creationSyncsPending() === 0) return Promise.resolve();
  return new Promise((resolve) => idleWaiters.push(resolve));
}
