// Client quotas (KIP-13, KIP-55, KIP-124, KIP-546): producer_byte_rate, consumer_byte_rate and
// request_percentage per user and client id, with defaults, kept in the durable metadata log and
// enforced as Kafka's ClientQuotaManager enforces them. Which quota applies, and which clients share
// one rate, follow Kafka's DefaultQuotaCallback, first match wins:
//   1 user+client-id   2 user + default client-id   3 user   4 default user + client-id
//   5 default user + default client-id   6 default user   7 client-id   8 default client-id
// Levels 1, 2, 4 and 5 give each (user, client-id) its own rate; 3 and 6 one rate per user; 7 and 8
// one per client id. A request that takes a rate above its quota is answered at once with
// throttle_time_ms = (rate - quota) / quota × window, and the connection is not read for that long
// (KIP-219), so a client that ignores the field is held to its quota all the same.
import type { MetadataRecord, QuotaEntity } from '../../metadata/cluster-metadata.ts';
import { quotaEntityKey } from '../../metadata/cluster-metadata.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { SampledRate } from './sampled-rate.ts';

export const QuotaType = { produce: 'producer_byte_rate', fetch: 'consumer_byte_rate', request: 'request_percentage' } as const;
export type QuotaKind = keyof typeof QuotaType;

/** The keys AlterClientQuotas accepts for user and client-id entities, with their Kafka types. */
const QUOTA_KEYS: Record<string, 'long' | 'double'> = {
  producer_byte_rate: 'long',
  consumer_byte_rate: 'long',
  request_percentage: 'double',
};
/** Kafka keys Highwater does not enforce, so it refuses to store them. */
const UNSUPPORTED_KEYS = new Set(['controller_mutation_rate', 'connection_creation_rate']);

export const USER = 'user';
export const CLIENT_ID = 'client-id';
export const IP = 'ip';

/** Where quotas are read from (the cluster metadata) and written to (the metadata log). */
export interface QuotaStore {
  readonly clientQuotas: ReadonlyMap<string, { entity: QuotaEntity; quotas: Record<string, number> }>;
  write(records: MetadataRecord[]): Promise<void>;
}

export interface QuotaSettings {
  /** quota.window.num */
  quotaWindowNum: number;
  /** quota.window.size.seconds */
  quotaWindowSizeSeconds: number;
}

export interface QuotaAlteration {
  entity: { entityType: string; entityName: string | null }[];
  ops: { key: string; value: number; remove: boolean }[];
}

export interface QuotaComponent {
  entityType: string;
  matchType: number;
  match: string | null;
}

/** DescribeClientQuotas match types. */
export const MatchType = { EXACT: 0, DEFAULT: 1, SPECIFIED: 2 } as const;

export class QuotaRequestError extends Error {
  readonly errorCode: number;
  constructor(errorCode: number, message: string) {
    super(message);
    this.errorCode = errorCode;
  }
}

/** Sensors idle this long are dropped (Kafka's InactiveSensorExpirationTimeSeconds). */
const INACTIVE_SENSOR_MS = 3600_000;

/** The user name of a principal ("User:alice" → "alice"), as Kafka's sanitizedUser. */
export function userOf(principal: string): string {
  const at = principal.indexOf(':');
  return at >= 0 ? principal.slice(at + 1) : principal;
}

export class ClientQuotas {
  readonly #store: QuotaStore;
  readonly #samples: number;
  readonly #windowMs: number;
  readonly #sensors = new Map<string, SampledRate>();
  #lastSweepMs = 0;
  readonly #onThrottle: (quota: string) => void;

  constructor(options: { store: QuotaStore; settings: QuotaSettings; onThrottle?: (quota: string) => void }) {
    this.#store = options.store;
    this.#onThrottle = options.onThrottle ?? (() => undefined);
    this.#samples = options.settings.quotaWindowNum;
    this.#windowMs = options.settings.quotaWindowSizeSeconds * 1000;
  }

  /** The maximum a request quota may throttle, as Kafka's ClientRequestQuotaManager bounds it: one window. */
  get maxRequestThrottleMs(): number {
    return this.#windowMs;
  }

  /** The quota in force and the rate it is counted in, or null (no quota: nothing to record). */
  #resolve(kind: QuotaKind, user: string, clientId: string): { limit: number; sensor: string } | null {
    const key = QuotaType[kind];
    const quotas = this.#store.clientQuotas;
    if (quotas.size === 0) return null;
    const levels: [QuotaEntity, string, string][] = [
      [{ [USER]: user, [CLIENT_ID]: clientId }, user, clientId],
      [{ [USER]: user, [CLIENT_ID]: null }, user, clientId],
      [{ [USER]: user }, user, ''],
      [{ [USER]: null, [CLIENT_ID]: clientId }, user, clientId],
      [{ [USER]: null, [CLIENT_ID]: null }, user, clientId],
      [{ [USER]: null }, user, ''],
      [{ [CLIENT_ID]: clientId }, '', clientId],
      [{ [CLIENT_ID]: null }, '', clientId],
    ];
    for (const [entity, userTag, clientTag] of levels) {
      const limit = quotas.get(quotaEntityKey(entity))?.quotas[key];
      if (limit !== undefined) return { limit, sensor: `${kind}\0${userTag}\0${clientTag}` };
    }
    return null;
  }

  /**
   * Records `value` (bytes, or request-thread time as a percentage of a second) against the quota
   * of the principal and client id, and answers the throttle time in ms (0: within the quota).
   */
  record(kind: QuotaKind, principal: string, clientId: string | null, value: number, nowMs = Date.now()): number {
    const resolved = this.#resolve(kind, userOf(principal), clientId ?? '');
    if (!resolved) return 0;
    this.#sweep(nowMs);
    let rate = this.#sensors.get(resolved.sensor);
    if (!rate) this.#sensors.set(resolved.sensor, rate = new SampledRate(this.#samples, this.#windowMs));
    rate.record(value, nowMs);
    const measured = rate.rate(nowMs);
    if (measured <= resolved.limit) return 0;
    this.#onThrottle(QuotaType[kind]);
    return Math.round((measured - resolved.limit) / resolved.limit * rate.windowSizeMs(nowMs));
  }

  /** Takes back a value recorded by `record` (a fetch answered empty because it was throttled). */
  unrecord(kind: QuotaKind, principal: string, clientId: string | null, value: number, nowMs = Date.now()): void {
    const resolved = this.#resolve(kind, userOf(principal), clientId ?? '');
    if (resolved) this.#sensors.get(resolved.sensor)?.record(-value, nowMs);
  }

  /** True when some quota of this kind exists (so a handler may skip measuring). */
  hasQuotas(): boolean {
    return this.#store.clientQuotas.size > 0;
  }

  #sweep(nowMs: number): void {
    if (nowMs - this.#lastSweepMs < 60_000) return;
    this.#lastSweepMs = nowMs;
    for (const [key, rate] of this.#sensors) if (nowMs - rate.lastRecordMs > INACTIVE_SENSOR_MS) this.#sensors.delete(key);
  }

  // ---- DescribeClientQuotas / AlterClientQuotas (Kafka's ClientQuotasImage.describe, ClientQuotaControlManager) ----

  describe(components: readonly QuotaComponent[], strict: boolean): { entity: QuotaEntity; quotas: Record<string, number> }[] {
    const exact = new Map<string, string | null>();
    const specified = new Set<string>();
    for (const c of components) {
      if (c.entityType.length === 0) throw new QuotaRequestError(ErrorCode.INVALID_REQUEST, 'Invalid empty entity type.');
      if (exact.has(c.entityType) || specified.has(c.entityType)) {
        throw new QuotaRequestError(ErrorCode.INVALID_REQUEST, `Entity type ${c.entityType} cannot appear more than once in the filter.`);
      }
      if (c.entityType !== IP && c.entityType !== USER && c.entityType !== CLIENT_ID) {
        throw new QuotaRequestError(ErrorCode.UNSUPPORTED_VERSION, `Unsupported entity type ${c.entityType}`);
      }
      switch (c.matchType) {
        case MatchType.EXACT:
          if (c.match === null) throw new QuotaRequestError(ErrorCode.INVALID_REQUEST, 'Request specified MATCH_TYPE_EXACT, but set match string to null.');
          exact.set(c.entityType, c.match);
          break;
        case MatchType.DEFAULT:
          if (c.match !== null) throw new QuotaRequestError(ErrorCode.INVALID_REQUEST, 'Request specified MATCH_TYPE_DEFAULT, but also specified a match string.');
          exact.set(c.entityType, null);
          break;
        case MatchType.SPECIFIED:
          if (c.match !== null) throw new QuotaRequestError(ErrorCode.INVALID_REQUEST, 'Request specified MATCH_TYPE_SPECIFIED, but also specified a match string.');
          specified.add(c.entityType);
          break;
        default:
          throw new QuotaRequestError(ErrorCode.INVALID_REQUEST, `Unknown match type ${c.matchType}`);
      }
    }
    const has = (t: string) => exact.has(t) || specified.has(t);
    if (has(IP) && (has(USER) || has(CLIENT_ID))) {
      throw new QuotaRequestError(ErrorCode.INVALID_REQUEST, 'Invalid entity filter component combination. IP filter component should not be used with user or clientId filter component.');
    }
    const out: { entity: QuotaEntity; quotas: Record<string, number> }[] = [];
    for (const { entity, quotas } of this.#store.clientQuotas.values()) {
      const types = Object.keys(entity);
      if (strict && types.length !== exact.size + specified.size) continue;
      let matches = true;
      for (const [type, name] of exact) if (!(type in entity) || entity[type] !== name) matches = false;
      for (const type of specified) if (!(type in entity)) matches = false;
      if (matches) out.push({ entity: { ...entity }, quotas: { ...quotas } });
    }
    return out;
  }

  /**
   * One result per distinct entity, in first-seen order. As a Kafka broker reads the request, an
   * entity is a map, so a type named twice keeps its last name; of an entity altered twice in one
   * request the first alteration is applied and the answer is "Ignoring duplicate entity", as
   * Kafka's controller does. Nothing is written when
   * `validateOnly`.
   */
  async alter(alterations: readonly QuotaAlteration[], validateOnly: boolean): Promise<{ entity: QuotaEntity; errorCode: number; errorMessage: string | null }[]> {
    const byEntity = new Map<string, { entity: QuotaEntity; alterations: QuotaAlteration[] }>();
    for (const a of alterations) {
      const entity: QuotaEntity = {};
      for (const { entityType, entityName } of a.entity) entity[entityType] = entityName;
      const key = quotaEntityKey(entity);
      const seen = byEntity.get(key);
      if (seen) seen.alterations.push(a);
      else byEntity.set(key, { entity, alterations: [a] });
    }
    const records: MetadataRecord[] = [];
    const results = [...byEntity.entries()].map(([key, { entity, alterations: forEntity }]) => {
      const a = forEntity[0]!;
      const result = this.#validateAlteration(a, entity);
      if (result.errorCode !== ErrorCode.NONE) return { entity, ...result };
      const current = this.#store.clientQuotas.get(key)?.quotas ?? {};
      for (const op of a.ops) {
        if (op.remove) {
          if (op.key in current) records.push({ type: 'client-quota', entity, key: op.key, value: null });
        } else if (current[op.key] !== op.value) {
          records.push({ type: 'client-quota', entity, key: op.key, value: op.value });
        }
      }
      // Kafka's controller keeps the first alteration of an entity named twice and answers the
      // entity with the refusal of the second (differential test).
      if (forEntity.length > 1) return { entity, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Ignoring duplicate entity ${describeEntity(entity)}` };
      return { entity, ...result };
    });
    if (!validateOnly && records.length > 0) await this.#store.write(records);
    return results;
  }

  #validateAlteration(a: QuotaAlteration, entity: QuotaEntity): { errorCode: number; errorMessage: string | null } {
    const invalid = (errorMessage: string) => ({ errorCode: ErrorCode.INVALID_REQUEST, errorMessage });
    const keys = new Set<string>();
    for (const op of a.ops) {
      if (keys.has(op.key)) return invalid(`Duplicate quota key ${op.key} not updating quota for this entity`);
      keys.add(op.key);
    }
    if (Object.keys(entity).length === 0) return invalid('Invalid empty client quota entity');
    for (const [entityType, entityName] of Object.entries(entity)) {
      if (entityType !== USER && entityType !== CLIENT_ID && entityType !== IP) return invalid(`Unhandled client quota entity type: ${entityType}`);
      if (entityName !== null && entityName.length === 0) return invalid(`Empty ${entityType} not supported`);
    }
    // Deliberate difference: ip entities carry connection_creation_rate, which Highwater does not enforce.
    if (IP in entity) return invalid('Highwater does not enforce ip quotas (connection_creation_rate)');
    for (const op of a.ops) {
      if (op.remove) continue;
      const type = QUOTA_KEYS[op.key];
      if (!type) {
        if (UNSUPPORTED_KEYS.has(op.key)) return invalid(`Highwater does not enforce the quota ${op.key}`);
        return invalid(`Invalid configuration key ${op.key}`);
      }
      if (!(op.value > 0)) return invalid(`Quota ${op.key} must be greater than 0`);
      if (type === 'long') {
        if (op.value > Number.MAX_SAFE_INTEGER * 1024) return invalid(`Proposed value for ${op.key} is too large for a LONG.`);
        if (Math.abs(op.value % 1) > 1e-6) return invalid(`${op.key} cannot be a fractional value.`);
      }
    }
    return { errorCode: ErrorCode.NONE, errorMessage: null };
  }
}

function describeEntity(entity: QuotaEntity): string {
  return `ClientQuotaEntity(entries=${JSON.stringify(entity)})`;
}

/** Holds off reading a throttled connection (KIP-219): extended, never shortened, by later throttles. */
export interface Throttleable {
  pause(reason: string): void;
  resume(reason: string): void;
  readonly closed: boolean;
}

const throttledUntil = new WeakMap<Throttleable, { until: number; timer: NodeJS.Timeout }>();

export function throttleConnection(connection: Throttleable, throttleMs: number, nowMs = Date.now()): void {
  if (throttleMs <= 0 || connection.closed) return;
  const until = nowMs + throttleMs;
  const current = throttledUntil.get(connection);
  if (current && current.until >= until) return;
  if (current) clearTimeout(current.timer);
  connection.pause('quota');
  const timer = setTimeout(() => {
    throttledUntil.delete(connection);
    connection.resume('quota');
  }, throttleMs);
  timer.unref();
  throttledUntil.set(connection, { until, timer });
}
