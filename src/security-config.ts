// The security settings (listeners, TLS, SASL, connection limits) parsed from their Kafka-style
// text forms into what the acceptor uses. Pure: no I/O, so config errors surface at load time as
// one line (ConfigError) and tests can parse settings alone.

/** Kafka's four security protocols (org.apache.kafka.common.security.auth.SecurityProtocol). */
export type SecurityProtocol = 'PLAINTEXT' | 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL';
const SECURITY_PROTOCOLS: ReadonlySet<string> = new Set(['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL']);

export type SaslMechanism = 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512';
export const SUPPORTED_SASL_MECHANISMS: readonly SaslMechanism[] = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'];
export type ScramMechanismName = 'SCRAM-SHA-256' | 'SCRAM-SHA-512';

export type SslClientAuth = 'none' | 'requested' | 'required';

export class SecurityConfigError extends Error {}

/** One listener as `listeners` and `advertised.listeners` describe it. */
export interface ListenerSpec {
  /** The listener name (PLAINTEXT, SASL_SSL, or a custom name mapped by listener.security.protocol.map). */
  name: string;
  securityProtocol: SecurityProtocol;
  /** Bind address; Kafka's empty host (`PLAINTEXT://:9092`) binds every interface. */
  host: string;
  port: number;
  /** What Metadata tells clients of this listener; port 0 means the bound port. */
  advertisedHost: string;
  advertisedPort: number;
}

/** A bootstrap SCRAM credential (what `kafka-storage format --add-scram` takes). */
export interface BootstrapScramCredential {
  mechanism: ScramMechanismName;
  name: string;
  password: string;
  iterations: number;
}

/** Kafka's default iterations for a SCRAM credential made by its tools. */
export const DEFAULT_SCRAM_ITERATIONS = 4096;
/** ScramMechanism.minIterations in Kafka, for both SHA-256 and SHA-512. */
export const MIN_SCRAM_ITERATIONS = 4096;
/** ScramControlManager.MAX_ITERATIONS. */
export const MAX_SCRAM_ITERATIONS = 16384;

const LISTENER = /^([A-Za-z0-9_]+):\/\/(\[[^\]]*\]|[^:/]*):(\d+)$/;

function splitList(text: string): string[] {
  return text.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
}

/** `listener.security.protocol.map`: NAME:PROTOCOL,... */
export function parseProtocolMap(text: string): Map<string, SecurityProtocol> {
  const map = new Map<string, SecurityProtocol>();
  for (const entry of splitList(text)) {
    const [name, protocol, ...rest] = entry.split(':');
    if (!name || !protocol || rest.length > 0 || !SECURITY_PROTOCOLS.has(protocol.toUpperCase())) {
      throw new SecurityConfigError(`listener-security-protocol-map: '${entry}' is not NAME:PROTOCOL with PROTOCOL one of PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL`);
    }
    map.set(name.toUpperCase(), protocol.toUpperCase() as SecurityProtocol);
  }
  return map;
}

function parseListenerList(setting: string, text: string): Array<{ name: string; host: string; port: number }> {
  const out: Array<{ name: string; host: string; port: number }> = [];
  for (const entry of splitList(text)) {
    const m = LISTENER.exec(entry);
    if (!m) throw new SecurityConfigError(`${setting}: '${entry}' is not NAME://host:port`);
    const port = Number(m[3]);
    if (port > 65535) throw new SecurityConfigError(`${setting}: port ${port} in '${entry}' is out of range`);
    const host = m[2]!.startsWith('[') ? m[2]!.slice(1, -1) : m[2]!;
    const name = m[1]!.toUpperCase();
    if (out.some((l) => l.name === name)) throw new SecurityConfigError(`${setting}: listener name ${name} appears twice`);
    out.push({ name, host, port });
  }
  return out;
}

export interface ListenerSettings {
  host: string;
  port: number;
  advertisedHost: string;
  advertisedPort: number;
  listeners: string;
  advertisedListeners: string;
  listenerSecurityProtocolMap: string;
}

/**
 * The listeners to open. With `listeners` empty, the one PLAINTEXT listener of --host/--port
 * (advertised as --advertised-host/--advertised-port), as before listeners existed.
 */
export function resolveListeners(s: ListenerSettings): ListenerSpec[] {
  if (!s.listeners.trim()) {
    return [{ name: 'PLAINTEXT', securityProtocol: 'PLAINTEXT', host: s.host, port: s.port, advertisedHost: s.advertisedHost, advertisedPort: s.advertisedPort }];
  }
  const protocols = parseProtocolMap(s.listenerSecurityProtocolMap);
  const advertised = new Map(parseListenerList('advertised-listeners', s.advertisedListeners).map((l) => [l.name, l]));
  const specs = parseListenerList('listeners', s.listeners).map((l): ListenerSpec => {
    const securityProtocol = protocols.get(l.name);
    if (!securityProtocol) throw new SecurityConfigError(`listeners: listener ${l.name} has no security protocol in listener-security-protocol-map`);
    const bindHost = l.host === '' ? '0.0.0.0' : l.host;
    const adv = advertised.get(l.name);
    // Kafka advertises the listener's own address when advertised.listeners does not name it; a
    // wildcard bind is told to clients as loopback, as --advertised-host does.
    const wildcard = bindHost === '0.0.0.0' || bindHost === '::';
    const advertisedHost = adv ? adv.host : wildcard ? '127.0.0.1' : bindHost;
    if (adv && (adv.host === '0.0.0.0' || adv.host === '::' || adv.host === '')) {
      throw new SecurityConfigError(`advertised-listeners: listener ${l.name} cannot advertise the wildcard address '${adv.host}'`);
    }
    return { name: l.name, securityProtocol, host: bindHost, port: l.port, advertisedHost, advertisedPort: adv ? adv.port : 0 };
  });
  for (const name of advertised.keys()) {
    if (!specs.some((l) => l.name === name)) throw new SecurityConfigError(`advertised-listeners: ${name} is not in listeners`);
  }
  const ports = specs.filter((l) => l.port !== 0).map((l) => `${l.host}:${l.port}`);
  if (new Set(ports).size !== ports.length) throw new SecurityConfigError('listeners: two listeners bind the same host and port');
  return specs;
}

export function isSaslProtocol(p: SecurityProtocol): boolean {
  return p === 'SASL_PLAINTEXT' || p === 'SASL_SSL';
}

export function isTlsProtocol(p: SecurityProtocol): boolean {
  return p === 'SSL' || p === 'SASL_SSL';
}

/** `sasl.enabled.mechanisms`: only what Highwater implements may be named. */
export function parseSaslMechanisms(text: string): SaslMechanism[] {
  const out: SaslMechanism[] = [];
  for (const m of splitList(text)) {
    const upper = m.toUpperCase();
    if (!(SUPPORTED_SASL_MECHANISMS as readonly string[]).includes(upper)) {
      throw new SecurityConfigError(`sasl-enabled-mechanisms: ${m} is not supported (supported: ${SUPPORTED_SASL_MECHANISMS.join(', ')})`);
    }
    if (!out.includes(upper as SaslMechanism)) out.push(upper as SaslMechanism);
  }
  return out;
}

/**
 * Bootstrap credentials in kafka-storage's `--add-scram` form, several separated by ';':
 * `SCRAM-SHA-256=[name=alice,password=alice-secret]` with an optional `iterations=N`. A password
 * holding ',' or ']' is written in double quotes.
 */
export function parseBootstrapScram(text: string): BootstrapScramCredential[] {
  const out: BootstrapScramCredential[] = [];
  let rest = text.trim();
  while (rest.length > 0) {
    const m = /^(SCRAM-SHA-256|SCRAM-SHA-512)=\[/i.exec(rest);
    if (!m) throw new SecurityConfigError(`scram-bootstrap-credentials: expected SCRAM-SHA-256=[...] or SCRAM-SHA-512=[...] at '${rest.slice(0, 30)}'`);
    const mechanism = m[1]!.toUpperCase() as ScramMechanismName;
    let i = m[0].length;
    const fields: Record<string, string> = {};
    for (;;) {
      const key = /^\s*([a-z]+)=/.exec(rest.slice(i));
      if (!key) throw new SecurityConfigError('scram-bootstrap-credentials: expected key=value inside [...]');
      i += key[0].length;
      let value = '';
      if (rest[i] === '"') {
        const end = rest.indexOf('"', i + 1);
        if (end < 0) throw new SecurityConfigError('scram-bootstrap-credentials: unterminated quoted value');
        value = rest.slice(i + 1, end);
        i = end + 1;
      } else {
        while (i < rest.length && rest[i] !== ',' && rest[i] !== ']') value += rest[i++];
      }
      fields[key[1]!] = value;
      if (rest[i] === ',') { i++; continue; }
      if (rest[i] === ']') { i++; break; }
      throw new SecurityConfigError('scram-bootstrap-credentials: expected , or ] after a value');
    }
    const iterations = fields.iterations === undefined ? DEFAULT_SCRAM_ITERATIONS : Number(fields.iterations);
    if (!fields.name) throw new SecurityConfigError('scram-bootstrap-credentials: name is missing or empty');
    if (!fields.password) throw new SecurityConfigError(`scram-bootstrap-credentials: password of ${fields.name} is missing or empty`);
    if (!Number.isInteger(iterations) || iterations < MIN_SCRAM_ITERATIONS || iterations > MAX_SCRAM_ITERATIONS) {
      throw new SecurityConfigError(`scram-bootstrap-credentials: iterations must be between ${MIN_SCRAM_ITERATIONS} and ${MAX_SCRAM_ITERATIONS}`);
    }
    for (const k of Object.keys(fields)) {
      if (!['name', 'password', 'iterations'].includes(k)) throw new SecurityConfigError(`scram-bootstrap-credentials: unknown key ${k}`);
    }
    out.push({ mechanism, name: fields.name, password: fields.password, iterations });
    rest = rest.slice(i).replace(/^\s*;?\s*/, '');
  }
  return out;
}

export function parseClientAuth(text: string): SslClientAuth {
  const v = text.trim().toLowerCase();
  if (v === 'none' || v === 'requested' || v === 'required') return v;
  throw new SecurityConfigError(`ssl-client-auth must be none, requested or required, not '${text}'`);
}

/** Kafka's protocol names as node:tls knows them. */
const TLS_PROTOCOLS: ReadonlySet<string> = new Set(['TLSv1.2', 'TLSv1.3']);

/** `ssl.enabled.protocols`, reduced to the min/max range node:tls takes (a gap is refused). */
export function parseTlsProtocols(text: string): { minVersion: 'TLSv1.2' | 'TLSv1.3'; maxVersion: 'TLSv1.2' | 'TLSv1.3' } {
  const list = splitList(text);
  if (list.length === 0) throw new SecurityConfigError('ssl-enabled-protocols must name at least one protocol');
  for (const p of list) {
    if (!TLS_PROTOCOLS.has(p)) throw new SecurityConfigError(`ssl-enabled-protocols: ${p} is not supported (TLSv1.2, TLSv1.3)`);
  }
  const has12 = list.includes('TLSv1.2');
  const has13 = list.includes('TLSv1.3');
  return { minVersion: has12 ? 'TLSv1.2' : 'TLSv1.3', maxVersion: has13 ? 'TLSv1.3' : 'TLSv1.2' };
}

/** `max.connections.per.ip.overrides`: host:count,... (Kafka takes host names or IPs). */
export function parseConnectionOverrides(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const entry of splitList(text)) {
    const at = entry.lastIndexOf(':');
    const host = entry.slice(0, at).trim();
    const count = Number(entry.slice(at + 1));
    if (at <= 0 || !Number.isInteger(count) || count < 0) {
      throw new SecurityConfigError(`max-connections-per-ip-overrides: '${entry}' is not host:count`);
    }
    out.set(host.replace(/^\[|\]$/g, ''), count);
  }
  return out;
}

interface MappingRule {
  isDefault: boolean;
  pattern?: RegExp;
  replacement?: string;
  lower?: boolean;
  upper?: boolean;
}

// Kafka's SslPrincipalMapper grammar: DEFAULT, or RULE:pattern/replacement/ with an optional L or
// U, rules separated by commas; '\' escapes '/' and '\' inside pattern and replacement.
const RULE = /^\s*(?:(DEFAULT)|RULE:((?:\\.|[^\\/])*)\/((?:\\.|[^\\/])*)\/([LU]?))\s*(?:,\s*|$)/;

function compileRulePattern(source: string): RegExp {
  try {
    return new RegExp(`^(?:${source})$`);
  } catch (err) {
    throw new SecurityConfigError(`ssl-principal-mapping-rules: pattern '${source}' does not compile: ${(err as Error).message}`);
  }
}

/** Kafka's SslPrincipalMapper: the first rule that matches a subject names the principal. */
export class SslPrincipalMapper {
  readonly #rules: MappingRule[];

  constructor(rules: string) {
    this.#rules = [];
    let rest = rules.trim() || 'DEFAULT';
    while (rest.length > 0) {
      const m = RULE.exec(rest);
      if (!m) throw new SecurityConfigError(`ssl-principal-mapping-rules: invalid rule '${rest}'`);
      if (m[1]) this.#rules.push({ isDefault: true });
      else {
        this.#rules.push({
          isDefault: false,
          pattern: compileRulePattern(m[2]!),
          // Java's replacement syntax ($1) is also JavaScript's.
          replacement: m[3]!.replace(/\\(.)/g, '$1'),
          lower: m[4] === 'L',
          upper: m[4] === 'U',
        });
      }
      rest = rest.slice(m[0].length);
    }
  }

  /** The principal name for a certificate's subject (RFC 2253), or undefined when no rule applies. */
  name(distinguishedName: string): string | undefined {
    for (const rule of this.#rules) {
      if (rule.isDefault) return distinguishedName;
      if (!rule.pattern!.test(distinguishedName)) continue;
      let result = distinguishedName.replace(rule.pattern!, rule.replacement!);
      if (rule.lower) result = result.toLowerCase();
      else if (rule.upper) result = result.toUpperCase();
      return result;
    }
    return undefined;
  }
}

