// Topic deletion in the object store: the ids of deleted remote-enabled topics whose objects are
// still in the bucket, kept durably in <dataDir>/remote-deletions.json (written before the
// topic's partitions are closed, replaced atomically) and worked off in the background by the tier
// manager, so a restart resumes what a crash interrupted.
import { open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { ObjectStore } from '../../object-store/object-store.ts';
import { tierCrashPoint } from '../../segments/remote-record.ts';

const FILE = 'remote-deletions.json';
/** Keys per delete call. */
const DELETE_BATCH = 1000;

export class RemoteDeletions {
  readonly #dataDir: string;
  #topicIds: string[] = [];
  #writing: Promise<void> = Promise.resolve();
  #onDeleted: (topicId: string) => void;

  private constructor(dataDir: string, onDeleted: (topicId: string) => void) {
    this.#dataDir = dataDir;
    this.#onDeleted = onDeleted;
  }

  static async open(dataDir: string, onDeleted: (topicId: string) => void = () => undefined): Promise<RemoteDeletions> {
    const d = new RemoteDeletions(dataDir, onDeleted);
    try {
      const parsed = JSON.parse(await readFile(join(dataDir, FILE), 'utf8')) as { topicIds: string[] };
      d.#topicIds = parsed.topicIds.filter((id) => typeof id === 'string');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    return d;
  }

  get pending(): readonly string[] { return this.#topicIds; }

  /** Records durably that a topic id's objects are to be deleted. */
  async add(topicId: string): Promise<void> {
    if (this.#topicIds.includes(topicId)) return;
    this.#topicIds = [...this.#topicIds, topicId];
    await this.#save();
  }

  /** Deletes every object of each pending topic id, then forgets the id. */
  async workOff(store: ObjectStore, signal: AbortSignal): Promise<void> {
    for (const topicId of [...this.#topicIds]) {
      let keys: string[] = [];
      for await (const info of store.list(`${topicId}/`, signal)) {
        keys.push(info.key);
        if (keys.length >= DELETE_BATCH) {
          await store.delete(keys, signal);
          keys = [];
        }
      }
      if (keys.length > 0) await store.delete(keys, signal);
      tierCrashPoint('after-topic-objects-deleted');
      this.#topicIds = this.#topicIds.filter((id) => id !== topicId);
      await this.#save();
      this.#onDeleted(topicId);
    }
  }

  #save(): Promise<void> {
    const body = JSON.stringify({ version: 1, topicIds: this.#topicIds });
    this.#writing = this.#writing.catch(() => undefined).then(async () => {
      const path = join(this.#dataDir, FILE);
      const tmp = `${path}.tmp`;
      const file = await open(tmp, 'w');
      try {
        await file.writeFile(body);
        await file.datasync();
      } finally {
        await file.close();
      }
      await rename(tmp, path);
      const dir = await open(this.#dataDir, 'r');
      try { await dir.sync(); } finally { await dir.close(); }
    });
    return this.#writing;
  }
}
