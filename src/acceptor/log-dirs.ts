// The one log dir (the data dir) as DescribeLogDirs reports it: each partition's size (the bytes
// of its segment .log files, what Kafka's UnifiedLog.size counts) and the volume's total and
// usable bytes from statfs. Asynchronous fs only: this runs on the main thread (DESIGN.md §1).
import { readdir, stat, statfs } from 'node:fs/promises';
import path from 'node:path';
import { partitionDirName } from '../segments/layout.ts';

export interface LogDirPartition {
  topic: string;
  partition: number;
  sizeBytes: bigint;
}

export interface LogDirDescription {
  logDir: string;
  totalBytes: bigint;
  usableBytes: bigint;
}

/** What DescribeLogDirs reads (HandlerServices.logDirs). */
export interface LogDirsService {
  describe(): Promise<LogDirDescription>;
  /** The bytes of the partition's segments; 0 for a partition with no files yet. */
  partitionSize(topic: string, partition: number): Promise<bigint>;
}

export class DataDirLogDirs implements LogDirsService {
  readonly #dataDir: string;

  constructor(dataDir: string) {
    this.#dataDir = path.resolve(dataDir);
  }

  async describe(): Promise<LogDirDescription> {
    const fs = await statfs(this.#dataDir, { bigint: true });
    // bavail, not bfree: what a non-root process may still write, as Java's getUsableSpace.
    return { logDir: this.#dataDir, totalBytes: fs.blocks * fs.bsize, usableBytes: fs.bavail * fs.bsize };
  }

  async partitionSize(topic: string, partition: number): Promise<bigint> {
    const dir = path.join(this.#dataDir, partitionDirName(topic, partition));
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      return 0n;
    }
    const sizes = await Promise.all(names.filter((n) => n.endsWith('.log')).map(async (n) => {
      try {
        return BigInt((await stat(path.join(dir, n))).size);
      } catch {
        return 0n; // deleted by retention between readdir and stat
      }
    }));
    return sizes.reduce((a, b) => a + b, 0n);
  }
}
