// A Kafka "discard server": speaks just enough of the protocol (ApiVersions, Metadata, Produce,
// InitProducerId) to acknowledge produce requests without storing anything. Load against it
// measures the generator and the loopback alone: the baseline no broker can beat on this machine.
// With --write-dir it also appends every partition's records to a file there before answering:
// the most any broker that writes to the page cache could do on this machine.
// Usage: node bench/discard-server.ts [--port 19099] [--partitions 8] [--write-dir DIR]
import net from 'node:net';
import { closeSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Reader, Writer } from '../src/protocol/primitives.ts';
import { decodeRequestHeader, encodeResponseHeader, responseHeaderVersion } from '../src/protocol/headers.ts';
import { ApiKey, apiCodecs } from '../src/protocol/generated/index.ts';
import { FrameSplitter } from '../src/protocol/frames.ts';
import { LAST_OFFSET_DELTA_POSITION, LOG_OVERHEAD, readBatchSize } from '../src/protocol/record-batch.ts';
import type { ProduceRequest } from '../src/protocol/generated/produce-request.ts';
import type { MetadataRequest } from '../src/protocol/generated/metadata-request.ts';

const UNSUPPORTED_VERSION = 35;
const NODE_ID = 1;

/** What this server answers, and the versions of each (capped by our codecs and by sense). */
const SERVED: ReadonlyMap<number, { min: number; max: number }> = new Map([
  [ApiKey.Produce, { min: 3, max: 11 }],
  [ApiKey.Metadata, { min: 1, max: 12 }],
  [ApiKey.ApiVersions, { min: 0, max: 4 }],
  [ApiKey.InitProducerId, { min: 0, max: apiCodecs.get(ApiKey.InitProducerId)!.maxVersion }],
]);

export interface DiscardServer {
  port: number;
  /** Records acknowledged so far, by "topic-partition". */
  acknowledged: Map<string, bigint>;
  close(): Promise<void>;
}

export interface DiscardServerOptions {
  host?: string;
  port?: number;
  /** Partitions every topic is said to have. */
  partitions?: number;
  /**
   * When set, each partition's produced records are appended to `<dir>/<topic>-<partition>.log`
   * (a synchronous write on this one thread) before the answer: a ceiling for any broker that
   * writes to the page cache, measured with the same harness (docs/notes/bench.md).
   */
  writeDir?: string;
}

/** Records in a partition's batches, from the batch headers alone (lastOffsetDelta + 1 each). */
function countRecords(records: Buffer | null): number {
  if (!records) return 0;
  let count = 0;
  for (let at = 0; records.length - at >= LOG_OVERHEAD + 49;) {
    const size = readBatchSize(records, at);
    if (size > records.length - at) break;
    count += records.readInt32BE(at + LAST_OFFSET_DELTA_POSITION) + 1;
    at += size;
  }
  return count;
}

export async function startDiscardServer(options: DiscardServerOptions = {}): Promise<DiscardServer> {
  const host = options.host ?? '127.0.0.1';
  const partitions = options.partitions ?? 8;
  const acknowledged = new Map<string, bigint>();
  const files = new Map<string, number>();
  const append = (key: string, records: Buffer | null) => {
    if (!options.writeDir || !records) return;
    let fd = files.get(key);
    if (fd === undefined) {
      fd = openSync(join(options.writeDir, `${key}.log`), 'w');
      files.set(key, fd);
    }
    writeSync(fd, records);
  };
  let nextProducerId = 1000n;
  let listenPort = 0;
  const topicIds = new Map<string, string>();
  const topicId = (name: string) => {
    let id = topicIds.get(name);
    if (!id) {
      id = crypto.randomUUID();
      topicIds.set(name, id);
    }
    return id;
  };

  function answer(apiKey: number, version: number, body: unknown): unknown {
    switch (apiKey) {
      case ApiKey.ApiVersions:
        return { errorCode: 0, throttleTimeMs: 0, apiKeys: [...SERVED].map(([k, v]) => ({ apiKey: k, minVersion: v.min, maxVersion: v.max })) };
      case ApiKey.Metadata: {
        const req = body as MetadataRequest;
        const names = (req.topics ?? []).map((t) => t.name).filter((n): n is string => n !== null);
        return {
          throttleTimeMs: 0,
          brokers: [{ nodeId: NODE_ID, host, port: listenPort, rack: null }],
          clusterId: 'discard',
          controllerId: NODE_ID,
          topics: names.map((name) => ({
            errorCode: 0, name, topicId: topicId(name), isInternal: false,
            partitions: Array.from({ length: partitions }, (_, p) => ({
              errorCode: 0, partitionIndex: p, leaderId: NODE_ID, leaderEpoch: 0, replicaNodes: [NODE_ID], isrNodes: [NODE_ID], offlineReplicas: [],
            })),
            topicAuthorizedOperations: -2147483648,
          })),
          clusterAuthorizedOperations: -2147483648,
        };
      }
      case ApiKey.Produce: {
        const req = body as ProduceRequest;
        const responses = req.topicData.map((t) => ({
          name: t.name,
          partitionResponses: t.partitionData.map((p) => {
            const key = `${t.name}-${p.index}`;
            const baseOffset = acknowledged.get(key) ?? 0n;
            acknowledged.set(key, baseOffset + BigInt(countRecords(p.records)));
            append(key, p.records);
            return { index: p.index, errorCode: 0, baseOffset, logAppendTimeMs: -1n, logStartOffset: 0n, recordErrors: [], errorMessage: null };
          }),
        }));
        return req.acks === 0 ? null : { responses, throttleTimeMs: 0 };
      }
      case ApiKey.InitProducerId:
        return { throttleTimeMs: 0, errorCode: 0, producerId: nextProducerId++, producerEpoch: 0 };
      default:
        return undefined;
    }
  }

  function onFrame(socket: net.Socket, frame: Buffer, w: Writer): void {
    const r = new Reader(frame);
    const header = decodeRequestHeader(r);
    if (!header.ok) {
      socket.destroy();
      return;
    }
    const { apiKey, apiVersion, correlationId } = header;
    const served = SERVED.get(apiKey);
    let response: unknown;
    let version = apiVersion;
    if (!served || apiVersion < served.min || apiVersion > served.max) {
      if (apiKey !== ApiKey.ApiVersions) {
        socket.destroy();
        return;
      }
      // KIP-511: an ApiVersions version we do not know is answered at v0 with the list.
      version = 0;
      response = { ...(answer(apiKey, 0, {}) as object), errorCode: UNSUPPORTED_VERSION };
    } else {
      response = answer(apiKey, apiVersion, apiCodecs.get(apiKey)!.decodeRequest(r, apiVersion));
    }
    if (response === null) return; // acks=0
    w.reset();
    const at = w.reserveInt32();
    encodeResponseHeader(w, responseHeaderVersion(apiKey, version), correlationId);
    apiCodecs.get(apiKey)!.encodeResponse(w, version, response);
    w.patchInt32(at, w.position - at - 4);
    socket.write(Buffer.from(w.finish()));
  }

  // Tracked so that close() does not wait for clients to hang up.
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.setNoDelay(true);
    const frames = new FrameSplitter(256 * 1024 * 1024);
    const w = new Writer(4096);
    socket.on('data', (chunk: Buffer) => {
      for (const event of frames.push(chunk)) {
        if (event.kind !== 'frame') {
          socket.destroy();
          return;
        }
        onFrame(socket, event.frame, w);
      }
    });
    socket.on('error', () => socket.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, resolve);
  });
  listenPort = (server.address() as net.AddressInfo).port;
  return {
    port: listenPort,
    acknowledged,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const fd of files.values()) closeSync(fd);
      files.clear();
      // Connections are dropped, not drained: nothing they carry is kept anyway.
      for (const s of sockets) s.destroy();
    }),
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const flag = (name: string, fallback: number) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? Number(args[i + 1]) : fallback;
  };
  const writeAt = args.indexOf('--write-dir');
  const writeDir = writeAt >= 0 ? args[writeAt + 1] : undefined;
  const s = await startDiscardServer({ port: flag('port', 19099), partitions: flag('partitions', 8), writeDir });
  console.log(JSON.stringify({ msg: 'discard server ready', port: s.port, pid: process.pid }));
  const stop = () => void s.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
