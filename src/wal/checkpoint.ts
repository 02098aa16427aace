// The two small per-partition state files of the log: the recovery checkpoint (how far the log is
// known durable, and the log start offset) and the clean-shutdown marker. Layouts drawn once here.
//
// recovery-checkpoint: two 512-byte slots (one per disk sector, so a torn write spoils at most
// one); a write goes to the slot not holding the newest good copy, and a read takes the valid
// slot with the highest sequence. Slot layout, big-endian:
//
//   +0  uint32 magic 0x48574350 ('HWCP')   +4  uint16 CHECKPOINT_VERSION   +6  uint16 zero
//   +8  int64  sequence (grows by one per write)
//   +16 int64  logStartOffset
//   +24 int64  base offset of the segment holding the recovery point
//   +32 int64  recovery position: bytes [0, position) of that segment are durable
//   +40 int64  recovery offset: the offset of the batch starting at that position
//   +48 uint32 CRC-32C of [0, 48)
//
// clean-shutdown: written (and fsynced) by close() as the last act; deleted (and the directory
// fsynced) by open before anything is appended, so a crash later cannot pass for clean:
//
//   +0  uint32 magic 0x48574353 ('HWCS')   +4  uint16 CHECKPOINT_VERSION   +6  uint16 zero
//   +8  int64  base offset of the active segment
//   +16 int64  size of the active segment's .log
//   +24 int64  logEndOffset
//   +32 uint32 CRC-32C of [0, 32)
import { closeSync, constants, fdatasyncSync, fsyncSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32c } from '../protocol/crc32c.ts';

export const CHECKPOINT_VERSION = 1;
export const CHECKPOINT_FILE = 'recovery-checkpoint';
export const CLEAN_SHUTDOWN_FILE = 'clean-shutdown';

const CHECKPOINT_MAGIC = 0x48574350;
const CLEAN_MAGIC = 0x48574353;
const SLOT_BYTES = 512;
const SLOT_CRC_AT = 48;
const SLOT_USED = SLOT_CRC_AT + 4;
const CLEAN_CRC_AT = 32;
const CLEAN_BYTES = CLEAN_CRC_AT + 4;

export interface RecoveryCheckpoint {
  logStartOffset: bigint;
  segmentBase: bigint;
  position: number;
  offset: bigint;
}

export interface CleanShutdown {
  activeSegmentBase: bigint;
  activeSegmentSize: number;
  logEndOffset: bigint;
}

function decodeSlot(buf: Buffer, at: number): { sequence: bigint; checkpoint: RecoveryCheckpoint } | null {
  if (buf.length < at + SLOT_USED) return null;
  if (buf.readUInt32BE(at) !== CHECKPOINT_MAGIC || buf.readUInt16BE(at + 4) !== CHECKPOINT_VERSION) return null;
  if (buf.readUInt32BE(at + SLOT_CRC_AT) !== crc32c(buf.subarray(at, at + SLOT_CRC_AT))) return null;
  return {
    sequence: buf.readBigInt64BE(at + 8),
    checkpoint: {
      logStartOffset: buf.readBigInt64BE(at + 16),
      segmentBase: buf.readBigInt64BE(at + 24),
      position: Number(buf.readBigInt64BE(at + 32)),
      offset: buf.readBigInt64BE(at + 40),
    },
  };
}

/** Owns the open checkpoint file of one partition; writes alternate between the two slots. */
export class CheckpointFile {
  /** Opened on the first write and closed while idle (releaseDescriptor): -1 when closed. */
  private fd = -1;
  private readonly path: string;
  private sequence: bigint;
  private readonly slot = Buffer.alloc(SLOT_USED);
  /** The newest valid checkpoint found on open, or null. */
  readonly loaded: RecoveryCheckpoint | null;

  constructor(partitionDir: string) {
    const path = join(partitionDir, CHECKPOINT_FILE);
    let existing: Buffer;
    try {
      existing = readFileSync(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      existing = Buffer.alloc(0);
    }
    const slots = [decodeSlot(existing, 0), decodeSlot(existing, SLOT_BYTES)];
    const newest = slots[0] && slots[1] ? (slots[0].sequence >= slots[1].sequence ? slots[0] : slots[1]) : (slots[0] ?? slots[1]);
    this.loaded = newest?.checkpoint ?? null;
    this.sequence = newest?.sequence ?? 0n;
    this.path = path;
  }

  /** Writes `checkpoint` to the older slot; `durable` adds an fdatasync (for logStartOffset). */
  write(checkpoint: RecoveryCheckpoint, durable: boolean): void {
    this.sequence++;
    const s = this.slot;
    s.writeUInt32BE(CHECKPOINT_MAGIC, 0);
    s.writeUInt16BE(CHECKPOINT_VERSION, 4);
    s.writeUInt16BE(0, 6);
    s.writeBigInt64BE(this.sequence, 8);
    s.writeBigInt64BE(checkpoint.logStartOffset, 16);
    s.writeBigInt64BE(checkpoint.segmentBase, 24);
    s.writeBigInt64BE(BigInt(checkpoint.position), 32);
    s.writeBigInt64BE(checkpoint.offset, 40);
    s.writeUInt32BE(crc32c(s.subarray(0, SLOT_CRC_AT)), SLOT_CRC_AT);
    if (this.fd < 0) this.fd = openSync(this.path, constants.O_RDWR | constants.O_CREAT);
    writeSync(this.fd, s, 0, SLOT_USED, Number(this.sequence & 1n) * SLOT_BYTES);
    if (durable) fdatasyncSync(this.fd);
  }

  /** Closes the descriptor until the next write (an idle partition, issue 15 defect 3). */
  releaseDescriptor(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }

  close(): void {
    this.releaseDescriptor();
  }
}

export function readCleanShutdown(partitionDir: string): CleanShutdown | null {
  let buf: Buffer;
  try {
    buf = readFileSync(join(partitionDir, CLEAN_SHUTDOWN_FILE));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  if (buf.length < CLEAN_BYTES) return null;
  if (buf.readUInt32BE(0) !== CLEAN_MAGIC || buf.readUInt16BE(4) !== CHECKPOINT_VERSION) return null;
  if (buf.readUInt32BE(CLEAN_CRC_AT) !== crc32c(buf.subarray(0, CLEAN_CRC_AT))) return null;
  return {
    activeSegmentBase: buf.readBigInt64BE(8),
    activeSegmentSize: Number(buf.readBigInt64BE(16)),
    logEndOffset: buf.readBigInt64BE(24),
  };
}

export function writeCleanShutdown(partitionDir: string, state: CleanShutdown): void {
  const buf = Buffer.alloc(CLEAN_BYTES);
  buf.writeUInt32BE(CLEAN_MAGIC, 0);
  buf.writeUInt16BE(CHECKPOINT_VERSION, 4);
  buf.writeBigInt64BE(state.activeSegmentBase, 8);
  buf.writeBigInt64BE(BigInt(state.activeSegmentSize), 16);
  buf.writeBigInt64BE(state.logEndOffset, 24);
  buf.writeUInt32BE(crc32c(buf.subarray(0, CLEAN_CRC_AT)), CLEAN_CRC_AT);
  const fd = openSync(join(partitionDir, CLEAN_SHUTDOWN_FILE), 'w');
  try {
    writeSync(fd, buf, 0, buf.length, 0);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  syncDirectory(partitionDir);
}

/** Removes the marker, durably, so that a crash from here on is recovered as unclean. */
export function removeCleanShutdown(partitionDir: string): void {
  try {
    unlinkSync(join(partitionDir, CLEAN_SHUTDOWN_FILE));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  syncDirectory(partitionDir);
}

/** Makes creations, deletions and renames of entries in `dir` durable. */
export function syncDirectory(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Creations, deletions and renames in `dir` made durable on the libuv threadpool. */
export async function syncDirectoryAsync(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** fdatasync of a file by path (any descriptor of a file flushes all its dirty pages); a missing file is skipped. */
export function syncFileSync(path: string): void {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  try {
    fdatasyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** syncFileSync on the libuv threadpool. */
export async function syncFileAsync(path: string): Promise<void> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  try {
    await handle.datasync();
  } finally {
    await handle.close();
  }
}
