// Request/response header versions and the tolerant request-header reader.
import { describe, expect, it } from 'vitest';
import { Reader, Writer } from '../../../../src/protocol/primitives.ts';
import {
  decodeRequestHeader, decodeResponseHeader, encodeRequestHeader, encodeResponseHeader, requestHeaderVersion, responseHeaderVersion,
} from '../../../../src/protocol/headers.ts';
import { ApiKey } from '../../../../src/protocol/generated/index.ts';

const bytesOf = (write: (w: Writer) => void) => { const w = new Writer(); write(w); return Buffer.from(w.finish()); };

describe('header versions', () => {
  it('follows each API\'s flexible versions', () => {
    expect(requestHeaderVersion(ApiKey.Produce, 8)).toBe(1);
    expect(requestHeaderVersion(ApiKey.Produce, 9)).toBe(2);
    expect(requestHeaderVersion(ApiKey.Fetch, 12)).toBe(2);
    expect(requestHeaderVersion(ApiKey.Metadata, 8)).toBe(1);
    expect(responseHeaderVersion(ApiKey.Metadata, 9)).toBe(1);
    expect(responseHeaderVersion(ApiKey.Produce, 8)).toBe(0);
  });

  it('answers ApiVersions with response header v0 even in flexible versions', () => {
    expect(requestHeaderVersion(ApiKey.ApiVersions, 3)).toBe(2);
    expect(responseHeaderVersion(ApiKey.ApiVersions, 3)).toBe(0);
    expect(responseHeaderVersion(ApiKey.ApiVersions, 4)).toBe(0);
  });

  it('uses header v0 for ControlledShutdown v0 and treats versions past the newest as flexible', () => {
    expect(requestHeaderVersion(ApiKey.ControlledShutdown, 0)).toBe(0);
    expect(requestHeaderVersion(ApiKey.ControlledShutdown, 1)).toBe(1);
    expect(requestHeaderVersion(ApiKey.ApiVersions, 99)).toBe(2);
    expect(requestHeaderVersion(12345, 0)).toBe(1);
  });
});

describe('decodeRequestHeader', () => {
  it('reads a v2 header with tagged fields and leaves the reader at the body', () => {
    const bytes = Buffer.from([0, 18, 0, 3, 0, 0, 0, 7, 0, 4, ...Buffer.from('kcat'), 1, 5, 1, 0xee, 0xbb]);
    const r = new Reader(bytes);
    expect(decodeRequestHeader(r)).toEqual({ ok: true, apiKey: 18, apiVersion: 3, correlationId: 7, clientId: 'kcat', headerVersion: 2, knownApiKey: true });
    expect(r.remaining).toBe(1);
  });

  it('round-trips with encodeRequestHeader for v0, v1 and v2 headers and a null client id', () => {
    for (const [apiKey, apiVersion, clientId] of [[ApiKey.ControlledShutdown, 0, null], [ApiKey.Produce, 3, 'p'], [ApiKey.Fetch, 13, null]] as const) {
      const r = new Reader(bytesOf((w) => encodeRequestHeader(w, { apiKey, apiVersion, correlationId: -5, clientId })));
      const header = decodeRequestHeader(r);
      expect(header).toMatchObject({ ok: true, apiKey, apiVersion, correlationId: -5, clientId, headerVersion: requestHeaderVersion(apiKey, apiVersion) });
      expect(r.remaining).toBe(0);
    }
  });

  it('still yields apiKey, version and correlation id for an unknown API or an unsupported version', () => {
    const unknown = decodeRequestHeader(new Reader(Buffer.from([0x10, 0x00, 0, 1, 0, 0, 0, 9, 0xff, 0xff])));
    expect(unknown).toEqual({ ok: true, apiKey: 4096, apiVersion: 1, correlationId: 9, clientId: null, headerVersion: 1, knownApiKey: false });
    const tooNew = decodeRequestHeader(new Reader(Buffer.from([0, 18, 0, 77, 0, 0, 0, 3, 0, 0, 0])));
    expect(tooNew).toMatchObject({ ok: true, apiKey: 18, apiVersion: 77, correlationId: 3, clientId: '', headerVersion: 2 });
  });

  it('reports a malformed header without throwing, with whatever was read', () => {
    expect(decodeRequestHeader(new Reader(Buffer.from([0, 1, 0])))).toMatchObject({ ok: false, apiKey: 1, apiVersion: null, correlationId: null });
    const truncatedClientId = decodeRequestHeader(new Reader(Buffer.from([0, 1, 0, 4, 0, 0, 0, 42, 0, 9, 65])));
    expect(truncatedClientId).toMatchObject({ ok: false, apiKey: 1, apiVersion: 4, correlationId: 42 });
    expect(truncatedClientId.ok === false && truncatedClientId.error).toMatch(/string length 9 exceeds/);
  });
});

describe('response headers', () => {
  it('writes v0 as the correlation id and v1 with an empty tagged section', () => {
    expect([...bytesOf((w) => encodeResponseHeader(w, 0, 258))]).toEqual([0, 0, 1, 2]);
    expect([...bytesOf((w) => encodeResponseHeader(w, 1, 258))]).toEqual([0, 0, 1, 2, 0]);
    expect(decodeResponseHeader(new Reader(Buffer.from([0, 0, 1, 2, 1, 3, 0])), 1)).toBe(258);
  });
});
