// Normalisation and field-by-field comparison of decoded responses. What two correct brokers may
// legitimately answer differently is replaced by a placeholder: throttle times, cluster ids,
// hosts and ports, topic ids, member ids and producer ids (by order of first appearance, so that
// "the same id twice" still compares), fetch session ids, broker clock times, and the wording of
// error messages (null, "" and a message stay distinct). Arrays of keyed elements (topics by name,
// partitions by index, ...) become maps keyed by that field, so order does not count.
import { decodeRecordBatch } from '../../src/protocol/records.ts';
import { forEachBatch } from '../../src/protocol/record-batch.ts';

/** The ids the cases themselves send, kept as they are. */
const LITERAL_IDS = new Set(['00000000-0000-0000-0000-000000000000', '11111111-1111-1111-1111-111111111111', 'AAAAAAAAAAAAAAAAAAAAAA']);
/** Anything later than this is the broker's clock, not a timestamp a case wrote. */
const BROKER_CLOCK_AFTER = 1_750_000_000_000n;
const KEY_FIELDS = ['name', 'topic', 'partitionIndex', 'partition', 'index', 'apiKey', 'groupId', 'key', 'resourceName', 'brokerId', 'nodeId', 'memberId'];

export class Normaliser {
  readonly #members = new Map<string, string>();
  readonly #producers = new Map<string, string>();

  normalise(value: unknown, field = ''): unknown {
    if (value === null || value === undefined) return value ?? null;
    if (Buffer.isBuffer(value) || value instanceof Uint8Array) {
      const buf = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
      return field === 'records' ? this.#records(buf) : `0x${buf.toString('hex')}`;
    }
    if (typeof value === 'bigint') return this.#bigint(value, field);
    if (typeof value === 'number') return this.#number(value, field);
    if (typeof value === 'string') return this.#string(value, field);
    if (Array.isArray(value)) return this.#array(value, field);
    if (typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = this.normalise(v, k);
      return out;
    }
    return value;
  }

  #bigint(value: bigint, field: string): unknown {
    if (field === 'producerId' && value >= 0n) return this.#numbered(this.#producers, String(value), 'producer');
    if (/time(stamp|Ms)?$/i.test(field) && value > BROKER_CLOCK_AFTER) return '<broker-clock>';
    return `${value}n`;
  }

  #number(value: number, field: string): unknown {
    if (field === 'throttleTimeMs') return 0;
    if (field === 'port') return '<port>';
    if (field === 'sessionId' && value !== 0) return '<session>';
    return value;
  }

  #string(value: string, field: string): unknown {
    if (field === 'clusterId') return '<cluster-id>';
    if (field === 'host') return '<host>';
    if (field === 'errorMessage' && value !== '') return '<message>';
    if (field === 'topicId' && !LITERAL_IDS.has(value)) return '<topic-id>';
    if ((field === 'memberId' || field === 'leader') && value !== '') return this.#numbered(this.#members, value, 'member');
    return value;
  }

  #array(value: unknown[], field: string): unknown {
    const items = value.map((v) => this.normalise(v, field));
    const keyField = KEY_FIELDS.find((k) => items.length > 0 && items.every((i) => i !== null && typeof i === 'object' && k in (i as object)
      && ['string', 'number'].includes(typeof (i as Record<string, unknown>)[k])));
    if (!keyField) return items;
    const keyed: Record<string, unknown> = {};
    for (const item of items) {
      let k = `${keyField}=${String((item as Record<string, unknown>)[keyField])}`;
      while (k in keyed) k += "'";
      keyed[k] = item;
    }
    return keyed;
  }

  #numbered(map: Map<string, string>, raw: string, kind: string): string {
    let named = map.get(raw);
    if (!named) {
      named = `<${kind}-${map.size + 1}>`;
      map.set(raw, named);
    }
    return named;
  }

  /** Record sets as their batches and records, with the broker's clock and CRCs left out. */
  #records(buf: Buffer): unknown {
    if (buf.length === 0) return '<empty records>';
    const batches: unknown[] = [];
    const walk = forEachBatch(buf, (at, size) => {
      const b = decodeRecordBatch(buf.subarray(at, at + size));
      batches.push({
        baseOffset: `${b.baseOffset}n`, lastOffsetDelta: b.lastOffsetDelta, partitionLeaderEpoch: b.partitionLeaderEpoch, magic: b.magic,
        attributes: b.attributes, producerEpoch: b.producerEpoch, baseSequence: b.baseSequence, recordCount: b.recordCount,
        producerId: this.#bigint(b.producerId, 'producerId'),
        maxTimestamp: this.#bigint(b.maxTimestamp, 'timestamp'),
        records: b.records.map((r) => `${r.offset}n ${r.key?.toString() ?? 'null'}=${r.value?.toString() ?? 'null'} ${r.headers.length}h`),
      });
    }, { origin: 'log' });
    return { batches, tail: walk.status };
  }
}

export interface Difference {
  path: string;
  kafka: unknown;
  highwater: unknown;
}

/** Every leaf where the two normalised values differ, by path. */
export function diff(kafka: unknown, highwater: unknown, path = ''): Difference[] {
  const isObject = (v: unknown) => v !== null && typeof v === 'object';
  if (isObject(kafka) && isObject(highwater) && Array.isArray(kafka) === Array.isArray(highwater)) {
    const out: Difference[] = [];
    const keys = new Set([...Object.keys(kafka as object), ...Object.keys(highwater as object)]);
    for (const k of keys) {
      const sub = Array.isArray(kafka) ? `${path}[${k}]` : path ? `${path}.${k}` : k;
      out.push(...diff((kafka as Record<string, unknown>)[k], (highwater as Record<string, unknown>)[k], sub));
    }
    return out;
  }
  if (JSON.stringify(kafka) === JSON.stringify(highwater)) return [];
  return [{ path: path || '(whole)', kafka: summarise(kafka), highwater: summarise(highwater) }];
}

function summarise(v: unknown): unknown {
  const text = JSON.stringify(v);
  return text !== undefined && text.length > 200 ? `${text.slice(0, 200)}…` : v;
}
