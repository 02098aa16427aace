// Compression codecs of Kafka record batches (attributes bits 0-2), for tests, the CLI, the load
// generator, and the produce path's validation of compressed batches (record-validation.ts, which
// uses decompressAsync so that batches inflate on libuv's thread pool, off the shard).
import zlib from 'node:zlib';
import { createRequire } from 'node:module';

export type CompressionCodec = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';

/** Index = the codec id in the low three bits of a batch's attributes. */
export const COMPRESSION_CODECS: readonly CompressionCodec[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];

export function compressionCodecId(codec: CompressionCodec): number {
  const id = COMPRESSION_CODECS.indexOf(codec);
  if (id < 0) throw new RangeError(`unknown compression codec ${String(codec)}`);
  return id;
}

/** The codec named by a batch's attributes, or null for the ids Kafka leaves undefined (5-7). */
export function compressionCodecOf(attributes: number): CompressionCodec | null {
  return COMPRESSION_CODECS[attributes & 0x07] ?? null;
}

type SnappyModule = {
  compressSync(input: Uint8Array): Buffer;
  compress(input: Uint8Array): Promise<Buffer>;
  uncompressSync(input: Uint8Array, options: { asBuffer: true }): Buffer;
  uncompress(input: Uint8Array, options: { asBuffer: true }): Promise<Buffer>;
};
type Lz4Module = {
  compressFrameSync(input: Buffer): Buffer;
  decompressFrameSync(input: Buffer): Buffer;
  decompressFrame(input: Uint8Array): Promise<Buffer>;
  compressFrame(input: Uint8Array): Promise<Buffer>;
};

// The snappy and lz4 bindings are native (prebuilt per platform) and only some callers need them,
// so they load on first use: a broker on a platform without a prebuilt binary still starts.
const requireFromHere = createRequire(import.meta.url);
let snappyModule: SnappyModule | undefined;
let lz4Module: Lz4Module | undefined;

function snappy(): SnappyModule {
  snappyModule ??= requireFromHere('snappy') as SnappyModule;
  return snappyModule;
}

function lz4(): Lz4Module {
  lz4Module ??= requireFromHere('lz4-napi') as Lz4Module;
  return lz4Module;
}

function zstdAvailable(): boolean {
  return typeof zlib.zstdCompressSync === 'function';
}

// zlib.zstd* arrived in Node 22.15 / 23.8; the engines floor (^22.18 || >=24) has them.
function requireZstd(): void {
  if (!zstdAvailable()) throw new Error(`zstd needs node:zlib zstd support (Node >= 22.15); this is ${process.version}`);
}

// The Java client frames snappy the way xerial's SnappyOutputStream does: this 8-byte magic, two
// int32 versions, then blocks of (int32 compressed length, raw snappy block).
const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER_SIZE = 16;
// The Java client's default block size, so our output looks like what Kafka clients produce.
const XERIAL_BLOCK_SIZE = 32 * 1024;

function isXerialFramed(data: Buffer): boolean {
  return data.length >= XERIAL_HEADER_SIZE && data.subarray(0, 8).equals(XERIAL_MAGIC);
}

function xerialFramed(blocks: Buffer[]): Buffer {
  const header = Buffer.alloc(XERIAL_HEADER_SIZE);
  XERIAL_MAGIC.copy(header, 0);
  header.writeInt32BE(1, 8); // version
  header.writeInt32BE(1, 12); // oldest compatible version
  const parts: Buffer[] = [header];
  for (const block of blocks) {
    const length = Buffer.alloc(4);
    length.writeInt32BE(block.length, 0);
    parts.push(length, block);
  }
  return Buffer.concat(parts);
}

function xerialBlocksOf(data: Buffer): Buffer[] {
  const blocks: Buffer[] = [];
  for (let start = 0; start < data.length; start += XERIAL_BLOCK_SIZE) blocks.push(data.subarray(start, start + XERIAL_BLOCK_SIZE));
  return blocks;
}

function snappyCompressXerial(data: Buffer): Buffer {
  return xerialFramed(xerialBlocksOf(data).map((block) => snappy().compressSync(block)));
}

/** The raw snappy blocks of a xerial-framed stream, or the whole input when it is one raw block. */
function snappyBlocks(data: Buffer): Buffer[] {
  // librdkafka and the KafkaJS codecs write one raw snappy block with no framing.
  if (!isXerialFramed(data)) return [data];
  const blocks: Buffer[] = [];
  let position = XERIAL_HEADER_SIZE;
  while (position < data.length) {
    if (position + 4 > data.length) throw new Error('xerial snappy: truncated block length');
    const length = data.readInt32BE(position);
    position += 4;
    if (length < 0 || position + length > data.length) throw new Error('xerial snappy: block past the end of the data');
    blocks.push(data.subarray(position, position + length));
    position += length;
  }
  return blocks;
}

function joined(parts: Buffer[]): Buffer {
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}

function snappyDecompress(data: Buffer): Buffer {
  return joined(snappyBlocks(data).map((block) => snappy().uncompressSync(block, { asBuffer: true })));
}

/** Compresses a batch's records section. Snappy is written xerial-framed, as the Java client does. */
export function compress(codec: CompressionCodec, data: Buffer): Buffer {
  switch (codec) {
    case 'none':
      return data;
    case 'gzip':
      return zlib.gzipSync(data);
    case 'snappy':
      return snappyCompressXerial(data);
    case 'lz4':
      // LZ4 frame format with independent blocks, which Kafka's own LZ4 stream reader requires.
      return lz4().compressFrameSync(data);
    case 'zstd':
      requireZstd();
      return zlib.zstdCompressSync(data);
    default:
      throw new RangeError(`unknown compression codec ${String(codec)}`);
  }
}

/**
 * Decompresses a batch's records section; snappy may be xerial-framed or a raw block. Output past
 * `maxBytes` throws (for gzip and zstd before it is inflated, for the others once it is), so a
 * small hostile batch cannot make the broker hold an unbounded amount of memory.
 */
export function decompress(codec: CompressionCodec, data: Buffer, maxBytes = Infinity): Buffer {
  const maxOutputLength = Number.isFinite(maxBytes) ? maxBytes : undefined;
  let out: Buffer;
  switch (codec) {
    case 'none':
      return data;
    case 'gzip':
      out = zlib.gunzipSync(data, { maxOutputLength });
      break;
    case 'snappy':
      out = snappyDecompress(data);
      break;
    case 'lz4':
      out = lz4().decompressFrameSync(data);
      break;
    case 'zstd':
      requireZstd();
      out = zlib.zstdDecompressSync(data, { maxOutputLength });
      break;
    default:
      throw new RangeError(`unknown compression codec ${String(codec)}`);
  }
  if (out.length > maxBytes) throw new RangeError(`decompressed data is larger than ${maxBytes} bytes`);
  return out;
}

function zlibAsync(run: (done: (err: Error | null, out: Buffer) => void) => void): Promise<Buffer> {
  return new Promise((resolve, reject) => run((err, out) => (err ? reject(err) : resolve(out))));
}

/**
 * decompress(), done on libuv's thread pool (node:zlib for gzip and zstd, the bindings' async
 * calls for snappy and lz4) so the calling thread's event loop keeps turning: DESIGN.md §1,
 * stateless CPU work off the shard.
 */
export async function decompressAsync(codec: CompressionCodec, data: Buffer, maxBytes = Infinity): Promise<Buffer> {
  const maxOutputLength = Number.isFinite(maxBytes) ? maxBytes : undefined;
  let out: Buffer;
  switch (codec) {
    case 'none':
      return data;
    case 'gzip':
      out = await zlibAsync((done) => zlib.gunzip(data, { maxOutputLength }, done));
      break;
    case 'snappy':
      out = joined(await Promise.all(snappyBlocks(data).map((block) => snappy().uncompress(block, { asBuffer: true }))));
      break;
    case 'lz4':
      out = await lz4().decompressFrame(data);
      break;
    case 'zstd':
      requireZstd();
      out = await zlibAsync((done) => zlib.zstdDecompress(data, { maxOutputLength }, done));
      break;
    default:
      throw new RangeError(`unknown compression codec ${String(codec)}`);
  }
  if (out.length > maxBytes) throw new RangeError(`decompressed data is larger than ${maxBytes} bytes`);
  return out;
}

/**
 * compress(), done on libuv's thread pool, with a level for gzip and zstd (Kafka's
 * compression.gzip.level and compression.zstd.level; undefined is the codec's default). lz4 and
 * snappy take no level here: the lz4 binding has none, so compression.lz4.level accepts only its
 * default (src/metadata/topic-configs.ts).
 */
export async function compressAsync(codec: CompressionCodec, data: Buffer, level?: number): Promise<Buffer> {
  switch (codec) {
    case 'none':
      return data;
    case 'gzip':
      // Kafka's -1 is Deflater.DEFAULT_COMPRESSION, which zlib spells the same way.
      return zlibAsync((done) => zlib.gzip(data, { level: level ?? -1 }, done));
    case 'snappy':
      return xerialFramed(await Promise.all(xerialBlocksOf(data).map((block) => snappy().compress(block))));
    case 'lz4':
      return lz4().compressFrame(data);
    case 'zstd': {
      requireZstd();
      const params = level === undefined ? {} : { [zlib.constants.ZSTD_c_compressionLevel]: level };
      return zlibAsync((done) => zlib.zstdCompress(data, { params }, done));
    }
    default:
      throw new RangeError(`unknown compression codec ${String(codec)}`);
  }
}
