// Kafka request and response headers: which header version an API version uses, reading a request
// header tolerantly (so even a request we cannot serve gets its correlation id back), writing a response header.
import { ProtocolDecodeError } from './primitives.ts';
import type { Reader, Writer } from './primitives.ts';
import { ApiKey, apiCodecs } from './generated/index.ts';

export interface RequestHeader {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
  /** The header version the rest of the header was read with (see requestHeaderVersion). */
  headerVersion: 0 | 1 | 2;
  /** False when the apiKey is not in Kafka's definitions: the header was read as v1 and any tagged fields are left unread. */
  knownApiKey: boolean;
}

/**
 * The outcome of reading a header. When `ok` is false, whatever came before the fault is still
 * given (null when not reached), so a broker can answer with an error when the correlation id was read.
 */
export type DecodedRequestHeader =
  | ({ ok: true } & RequestHeader)
  | { ok: false; error: string; apiKey: number | null; apiVersion: number | null; correlationId: number | null };

/**
 * 2 for flexible request versions, else 1; 0 only for ControlledShutdown v0, which predates the
 * client id. An unknown apiKey gets 1 (every non-v0 header starts the same way).
 * A version above an API's newest is treated like the newest: flexibility never ends once begun.
 */
export function requestHeaderVersion(apiKey: number, apiVersion: number): 0 | 1 | 2 {
  if (apiKey === ApiKey.ControlledShutdown && apiVersion === 0) return 0;
  const codec = apiCodecs.get(apiKey);
  if (codec === undefined) return 1;
  return apiVersion >= codec.flexibleMinVersion ? 2 : 1;
}

/** 1 for flexible response versions, else 0; ApiVersions responses always use 0 so a client can read them before it knows what the broker speaks. */
export function responseHeaderVersion(apiKey: number, apiVersion: number): 0 | 1 {
  if (apiKey === ApiKey.ApiVersions) return 0;
  const codec = apiCodecs.get(apiKey);
  if (codec === undefined) return 0;
  return apiVersion >= codec.flexibleMinVersion ? 1 : 0;
}

/** Reads a request header, leaving `r` at the start of the request body. Never throws. */
export function decodeRequestHeader(r: Reader): DecodedRequestHeader {
  let apiKey: number | null = null;
  let apiVersion: number | null = null;
  let correlationId: number | null = null;
  try {
    apiKey = r.int16();
    apiVersion = r.int16();
    correlationId = r.int32();
    const headerVersion = requestHeaderVersion(apiKey, apiVersion);
    // Even header v2 keeps the classic int16-length client id, so that any broker can read an
    // ApiVersions request of any version.
    const clientId = headerVersion === 0 ? null : r.nullableString();
    const knownApiKey = apiCodecs.has(apiKey);
    if (headerVersion === 2) r.skipTaggedFields();
    return { ok: true, apiKey, apiVersion, correlationId, clientId, headerVersion, knownApiKey };
  } catch (error) {
    if (!(error instanceof ProtocolDecodeError)) throw error;
    return { ok: false, error: error.message, apiKey, apiVersion, correlationId };
  }
}

/** Writes a request header (for clients, tests and benchmarks). */
export function encodeRequestHeader(w: Writer, header: Omit<RequestHeader, 'headerVersion' | 'knownApiKey'>): void {
  w.int16(header.apiKey);
  w.int16(header.apiVersion);
  w.int32(header.correlationId);
  const headerVersion = requestHeaderVersion(header.apiKey, header.apiVersion);
  if (headerVersion === 0) return;
  w.nullableString(header.clientId);
  if (headerVersion === 2) w.uvarint(0);
}

export function encodeResponseHeader(w: Writer, headerVersion: 0 | 1, correlationId: number): void {
  w.int32(correlationId);
  if (headerVersion === 1) w.uvarint(0);
}

/** Reads a response header (for clients, tests and benchmarks); returns the correlation id. */
export function decodeResponseHeader(r: Reader, headerVersion: 0 | 1): number {
  const correlationId = r.int32();
  if (headerVersion === 1) r.skipTaggedFields();
  return correlationId;
}
