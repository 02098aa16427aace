// What a handler calls to charge a request to its client's quota: records the value, and when the
// quota is exceeded holds off reading the connection for the throttle time (KIP-219) and returns it
// for the response's throttle_time_ms.
import type { RequestContext } from '../registry.ts';
import { principalOf } from '../acl/authorize.ts';
import { throttleConnection, type QuotaKind } from './client-quotas.ts';

export function chargeQuota(ctx: Pick<RequestContext, 'services' | 'connection' | 'clientId'>, kind: QuotaKind, value: number): number {
  const quotas = ctx.services.quotas;
  if (!quotas.hasQuotas()) return 0;
  const throttleMs = quotas.record(kind, principalOf(ctx), ctx.clientId, value);
  if (throttleMs > 0) throttleConnection(ctx.connection, throttleMs);
  return throttleMs;
}
