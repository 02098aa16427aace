// Client quotas: the sampled rate (Kafka's Rate over a SampledStat), the entity precedence of Kafka's
// DefaultQuotaCallback (which quota applies and which clients share a rate), the throttle time
// formula, and DescribeClientQuotas / AlterClientQuotas validation as Kafka's controller does it.
import { describe, expect, test } from 'vitest';
import { ClusterMetadata, type MetadataRecord } from '../../../../src/metadata/cluster-metadata.ts';
import { ClientQuotas, MatchType, QuotaRequestError, throttleConnection } from '../../../../src/acceptor/quotas/client-quotas.ts';
import { SampledRate } from '../../../../src/acceptor/quotas/sampled-rate.ts';
import { ErrorCode } from '../../../../src/protocol/errors.ts';

function quotas(samples = 11) {
  const cluster = new ClusterMetadata(1);
  const writes: MetadataRecord[][] = [];
  const q = new ClientQuotas({
    store: { get clientQuotas() { return cluster.clientQuotas; }, async write(r) { writes.push(r); for (const x of r) cluster.apply(x); } },
    settings: { quotaWindowNum: samples, quotaWindowSizeSeconds: 1 },
  });
  const set = (entity: Record<string, string | null>, key: string, value: number) => cluster.apply({ type: 'client-quota', entity, key, value });
  return { q, cluster, writes, set };
}

describe('SampledRate', () => {
  test('a burst is spread over (samples - 1) windows; old samples expire', () => {
    const rate = new SampledRate(11, 1000);
    rate.record(10_000, 0);
    expect(rate.windowSizeMs(0)).toBe(10_000);
    expect(rate.rate(0)).toBe(1000);
    rate.record(10_000, 15_000);
    // The first sample is older than 11 windows: gone.
    expect(rate.rate(15_000)).toBe(1000);
    expect(rate.windowSizeMs(25_500)).toBe(10_500);
  });
});

describe('quota resolution and throttling', () => {
  test('no quota: nothing is recorded or throttled', () => {
    const { q } = quotas();
    expect(q.record('produce', 'User:alice', 'app', 1e9, 0)).toBe(0);
  });

  test('throttle = (rate - quota) / quota × window, as Kafka computes it', () => {
    const { q, set } = quotas();
    set({ 'client-id': 'app' }, 'producer_byte_rate', 1000);
    expect(q.record('produce', 'User:ANONYMOUS', 'app', 10_000, 0)).toBe(0);
    // 20 000 bytes over a 10 s window: 2000 B/s, twice the quota: throttled one window.
    expect(q.record('produce', 'User:ANONYMOUS', 'app', 10_000, 0)).toBe(10_000);
    expect(q.record('fetch', 'User:ANONYMOUS', 'app', 1e9, 0)).toBe(0);
  });

  test('precedence: user+client, user+default client, user, default user+client, ..., default client', () => {
    // With 2 samples of 1 s the window is 1 s at first: 2000 bytes are 2000 B/s, and the throttle
    // (2000 - limit) / limit × 1000 ms tells which limit is in force.
    const limitOf = (user: string, client: string) => {
      const { q, set } = quotas(2);
      for (const [e, v] of entries) set(e, 'producer_byte_rate', v);
      return Math.round(2000 / (1 + q.record('produce', `User:${user}`, client, 2000, 0) / 1000));
    };
    const entries: [Record<string, string | null>, number][] = [
      [{ 'client-id': null }, 100],
      [{ 'client-id': 'c' }, 200],
      [{ user: null }, 300],
      [{ user: null, 'client-id': null }, 400],
      [{ user: null, 'client-id': 'c' }, 500],
      [{ user: 'u' }, 600],
      [{ user: 'u', 'client-id': null }, 700],
      [{ user: 'u', 'client-id': 'c' }, 800],
    ];
    expect(limitOf('u', 'c')).toBe(800);
    expect(limitOf('u', 'other')).toBe(700);
    expect(limitOf('v', 'c')).toBe(500);
    expect(limitOf('v', 'other')).toBe(400);
  });

  test('a user-level quota is one rate for all the user\'s client ids', () => {
    const { q, set } = quotas();
    set({ user: 'u' }, 'producer_byte_rate', 1000);
    expect(q.record('produce', 'User:u', 'a', 10_000, 0)).toBe(0);
    expect(q.record('produce', 'User:u', 'b', 10_000, 0)).toBeGreaterThan(0);
    expect(q.record('produce', 'User:other', 'a', 10_000, 0)).toBe(0);
  });

  test('unrecord takes a throttled fetch back', () => {
    const { q, set } = quotas();
    set({ 'client-id': null }, 'consumer_byte_rate', 1000);
    expect(q.record('fetch', 'User:x', 'c', 20_000, 0)).toBeGreaterThan(0);
    q.unrecord('fetch', 'User:x', 'c', 20_000, 0);
    expect(q.record('fetch', 'User:x', 'c', 0, 0)).toBe(0);
  });
});

describe('throttleConnection', () => {
  test('pauses the connection for the throttle time, extended by a longer one', async () => {
    const events: string[] = [];
    const c = { closed: false, pause: (r: string) => events.push(`pause ${r}`), resume: (r: string) => events.push(`resume ${r}`) };
    throttleConnection(c, 20);
    throttleConnection(c, 5);
    await new Promise((r) => setTimeout(r, 60));
    expect(events).toEqual(['pause quota', 'resume quota']);
  });
});

describe('describe', () => {
  const { q, set } = quotas();
  set({ user: 'u', 'client-id': 'c' }, 'producer_byte_rate', 1);
  set({ user: 'u' }, 'consumer_byte_rate', 2);
  set({ user: null }, 'request_percentage', 3.5);
  set({ 'client-id': 'c' }, 'producer_byte_rate', 4);
  const found = (components: { entityType: string; matchType: number; match: string | null }[], strict = false) =>
    q.describe(components, strict).map((e) => JSON.stringify(e.entity)).sort();

  test('exact, default, specified and strict', () => {
    expect(found([{ entityType: 'user', matchType: MatchType.EXACT, match: 'u' }])).toEqual(['{"user":"u","client-id":"c"}', '{"user":"u"}']);
    expect(found([{ entityType: 'user', matchType: MatchType.EXACT, match: 'u' }], true)).toEqual(['{"user":"u"}']);
    expect(found([{ entityType: 'user', matchType: MatchType.DEFAULT, match: null }])).toEqual(['{"user":null}']);
    expect(found([{ entityType: 'client-id', matchType: MatchType.SPECIFIED, match: null }])).toEqual(['{"client-id":"c"}', '{"user":"u","client-id":"c"}']);
    expect(found([]).length).toBe(4);
  });

  test('bad filters: Kafka\'s errors', () => {
    const codeOf = (components: { entityType: string; matchType: number; match: string | null }[]) => {
      try { q.describe(components, false); return ErrorCode.NONE; } catch (e) { return (e as QuotaRequestError).errorCode; }
    };
    expect(codeOf([{ entityType: 'user', matchType: MatchType.EXACT, match: null }])).toBe(ErrorCode.INVALID_REQUEST);
    expect(codeOf([{ entityType: 'user', matchType: MatchType.DEFAULT, match: 'x' }])).toBe(ErrorCode.INVALID_REQUEST);
    expect(codeOf([{ entityType: 'user', matchType: 7, match: null }])).toBe(ErrorCode.INVALID_REQUEST);
    expect(codeOf([{ entityType: 'user', matchType: 1, match: null }, { entityType: 'user', matchType: 2, match: null }])).toBe(ErrorCode.INVALID_REQUEST);
    expect(codeOf([{ entityType: 'ip', matchType: 2, match: null }, { entityType: 'user', matchType: 2, match: null }])).toBe(ErrorCode.INVALID_REQUEST);
    expect(codeOf([{ entityType: 'topic', matchType: 2, match: null }])).toBe(ErrorCode.UNSUPPORTED_VERSION);
    expect(codeOf([{ entityType: '', matchType: 2, match: null }])).toBe(ErrorCode.INVALID_REQUEST);
  });
});

describe('alter', () => {
  test('sets, changes and removes; unchanged values write nothing; validate_only writes nothing', async () => {
    const { q, cluster, writes } = quotas();
    const entity = [{ entityType: 'user', entityName: 'u' }];
    expect(await q.alter([{ entity, ops: [{ key: 'producer_byte_rate', value: 1024, remove: false }] }], true)).toEqual([{ entity: { user: 'u' }, errorCode: 0, errorMessage: null }]);
    expect(writes).toEqual([]);
    await q.alter([{ entity, ops: [{ key: 'producer_byte_rate', value: 1024, remove: false }, { key: 'request_percentage', value: 12.5, remove: false }] }], false);
    await q.alter([{ entity, ops: [{ key: 'producer_byte_rate', value: 1024, remove: false }] }], false);
    expect(writes.length).toBe(1);
    await q.alter([{ entity, ops: [{ key: 'producer_byte_rate', value: 0, remove: true }, { key: 'consumer_byte_rate', value: 0, remove: true }] }], false);
    expect([...cluster.clientQuotas.values()]).toEqual([{ entity: { user: 'u' }, quotas: { request_percentage: 12.5 } }]);
  });

  test('validation as Kafka\'s ClientQuotaControlManager, and the quotas Highwater does not enforce', async () => {
    const { q, cluster } = quotas();
    const codes = await q.alter([
      { entity: [], ops: [] },
      { entity: [{ entityType: 'user', entityName: '' }], ops: [] },
      { entity: [{ entityType: 'topic', entityName: 't' }], ops: [] },
      { entity: [{ entityType: 'user', entityName: 'a' }], ops: [{ key: 'producer_byte_rate', value: 1.5, remove: false }] },
      { entity: [{ entityType: 'user', entityName: 'b' }], ops: [{ key: 'producer_byte_rate', value: 0, remove: false }] },
      { entity: [{ entityType: 'user', entityName: 'c' }], ops: [{ key: 'nonsense', value: 1, remove: false }] },
      { entity: [{ entityType: 'user', entityName: 'd' }], ops: [{ key: 'controller_mutation_rate', value: 1, remove: false }] },
      { entity: [{ entityType: 'ip', entityName: '1.2.3.4' }], ops: [{ key: 'connection_creation_rate', value: 1, remove: false }] },
      { entity: [{ entityType: 'user', entityName: 'e' }], ops: [{ key: 'producer_byte_rate', value: 1, remove: false }, { key: 'producer_byte_rate', value: 2, remove: false }] },
      { entity: [{ entityType: 'client-id', entityName: null }], ops: [{ key: 'consumer_byte_rate', value: 10, remove: false }] },
      { entity: [{ entityType: 'user', entityName: 'f' }], ops: [{ key: 'producer_byte_rate', value: 1, remove: false }] },
      { entity: [{ entityType: 'user', entityName: 'f' }], ops: [{ key: 'producer_byte_rate', value: 2, remove: false }] },
      { entity: [{ entityType: 'user', entityName: 'x' }, { entityType: 'user', entityName: 'g' }], ops: [{ key: 'producer_byte_rate', value: 3, remove: false }] },
    ], false);
    // One answer per distinct entity; user f twice is refused (its first alteration kept, as Kafka); a type named twice keeps its last name (g).
    expect(codes.map((c) => c.errorCode)).toEqual([42, 42, 42, 42, 42, 42, 42, 42, 42, 0, 42, 0]);
    expect(codes[3]!.errorMessage).toBe('producer_byte_rate cannot be a fractional value.');
    expect(codes[5]!.errorMessage).toBe('Invalid configuration key nonsense');
    expect(codes[10]!.errorMessage).toMatch(/^Ignoring duplicate entity/);
    expect(codes[11]!.entity).toEqual({ user: 'g' });
    expect(cluster.clientQuotas.get('[["user","f"]]')?.quotas).toEqual({ producer_byte_rate: 1 });
  });
});

describe('request_percentage', () => {
  test('handler time is charged as a percentage of a second, the throttle bounded by one window; ApiVersions is exempt', async () => {
    const { fakeServices, fakeConnection } = await import('../../../helpers/fake-services.ts');
    const { chargeRequestTime, withRequestThrottle } = await import('../../../../src/acceptor/quotas/enforce.ts');
    const s = fakeServices();
    await s.quotas.alter([{ entity: [{ entityType: 'client-id', entityName: 'busy' }], ops: [{ key: 'request_percentage', value: 1, remove: false }] }], false);
    const connection = fakeConnection();
    const ctx = { services: s, connection, clientId: 'busy', apiKey: 3 };
    // 500 ms of handler time against 1% of one thread: far over, throttled one window (1 s).
    expect(chargeRequestTime(ctx, 500_000_000n)).toBe(1000);
    expect(connection.pauses).toEqual(['quota']);
    expect(chargeRequestTime({ ...ctx, apiKey: 18 }, 500_000_000n)).toBe(0);
    expect(chargeRequestTime({ ...ctx, clientId: 'idle' }, 500_000_000n)).toBe(0);
    const response = { throttleTimeMs: 20, topics: [] };
    withRequestThrottle(response, 1000);
    expect(response.throttleTimeMs).toBe(1000);
    await s.close();
  });
});
