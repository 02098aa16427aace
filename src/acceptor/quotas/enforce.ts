// What a handler calls to charge a request to its client's quota: records the value, and when the
// quota is exceeded holds off reading the connection for the throttle time (KIP-219) and returns it
// for the response's throttle_time_ms.
import type { RequestContext } from '../registry.ts';
import { ApiKey } from '../../protocol/generated/index.ts';
import { principalOf } from '../acl/authorize.ts';
import { throttleConnection, type QuotaKind } from './client-quotas.ts';

export function chargeQuota(ctx: Pick<RequestContext, 'services' | 'connection' | 'clientId'>, kind: QuotaKind, value: number): number {
  const quotas = ctx.services.quotas;
  if (!quotas.hasQuotas()) return 0;
  const throttleMs = quotas.record(kind, principalOf(ctx), ctx.clientId, value);
  if (throttleMs > 0) throttleConnection(ctx.connection, throttleMs);
  return throttleMs;
}

/** APIs the request quota never throttles (as Kafka's ClientRequestQuotaManager exempts them). */
const REQUEST_QUOTA_EXEMPT: ReadonlySet<number> = new Set([ApiKey.ApiVersions, ApiKey.SaslHandshake, ApiKey.SaslAuthenticate]);

/**
 * Charges a request's handler time to the request_percentage quota (100 = one thread's whole time,
 * as Kafka counts it) and answers the throttle, bounded by one quota window as Kafka bounds it.
 */
export function chargeRequestTime(ctx: Pick<RequestContext, 'services' | 'connection' | 'clientId' | 'apiKey'>, nanos: bigint): number {
  const quotas = ctx.services.quotas;
  if (!quotas.hasQuotas() || REQUEST_QUOTA_EXEMPT.has(ctx.apiKey)) return 0;
  const throttleMs = Math.min(quotas.record('request', principalOf(ctx), ctx.clientId, Number(nanos) / 1e7), quotas.maxRequestThrottleMs);
  if (throttleMs > 0) throttleConnection(ctx.connection, throttleMs);
  return throttleMs;
}

/** The response's throttle_time_ms raised to `throttleMs`, when it has one (Kafka sends the larger of the two). */
export function withRequestThrottle(response: unknown, throttleMs: number): void {
  const r = response as { throttleTimeMs?: unknown } | null;
  if (r && typeof r === 'object' && 'throttleTimeMs' in r && typeof r.throttleTimeMs === 'number') r.throttleTimeMs = Math.max(r.throttleTimeMs, throttleMs);
}
