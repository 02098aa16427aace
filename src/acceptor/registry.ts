// The handler registry: apiKey -> the handler that serves it and the versions it serves.
// ApiVersions is built from this table, so only what is implemented is ever advertised
// (DESIGN.md §7 item 9).
import type { Broker } from './broker.ts';
import type { ConnectionInfo } from './connection.ts';

/** Returned by a handler when the protocol says no response is sent (Produce with acks=0). */
export const NO_RESPONSE = Symbol('no-response');

export interface RequestContext {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
  broker: Broker;
  connection: ConnectionInfo;
}

export interface ApiHandler<Req = unknown, Res = unknown> {
  apiKey: number;
  name: string;
  minVersion: number;
  maxVersion: number;
  /**
   * Decode, check, route, await, encode: the handler gets the decoded request and returns the
   * response object for the generated encoder. It must start every per-partition side effect
   * before its first await, so that requests on one connection reach the shards in order.
   */
  handle(ctx: RequestContext, request: Req): Res | typeof NO_RESPONSE | Promise<Res | typeof NO_RESPONSE>;
}

/** Typed helper for handler files; the registry stores them type-erased. */
export function defineHandler<Req, Res>(handler: ApiHandler<Req, Res>): ApiHandler {
  return handler as unknown as ApiHandler;
}

export class HandlerRegistry {
  readonly #handlers = new Map<number, ApiHandler>();

  constructor(handlers: ApiHandler[]) {
    for (const h of handlers) {
      if (this.#handlers.has(h.apiKey)) throw new Error(`two handlers for api key ${h.apiKey}`);
      this.#handlers.set(h.apiKey, h);
    }
  }

  get(apiKey: number): ApiHandler | undefined {
    return this.#handlers.get(apiKey);
  }

  /** Sorted by key, as ApiVersions lists them. */
  get all(): ApiHandler[] {
    return [...this.#handlers.values()].sort((a, b) => a.apiKey - b.apiKey);
  }
}
