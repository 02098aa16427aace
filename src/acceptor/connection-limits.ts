// max.connections, max.connections.per.ip and its overrides, with Kafka's semantics
// (ConnectionQuotas in SocketServer): a new connection from an address already at its limit is
// closed at once; when the broker as a whole is at max.connections the acceptor stops taking new
// connections until one closes, so they wait (here: accepted but not read, in a bounded queue
// standing in for the kernel's listen backlog; past it they are closed).

/** Kafka's socket.listen.backlog.size default: how many connections may wait for a slot. */
const WAITING_CONNECTIONS = 50;

export interface ConnectionLimitSettings {
  maxConnections: number;
  maxConnectionsPerIp: number;
  perIpOverrides: ReadonlyMap<string, number>;
}

/** "::ffff:127.0.0.1" and "127.0.0.1" are one address. */
export function normalizeAddress(address: string | undefined): string {
  if (!address) return '';
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

export class ConnectionLimits {
  readonly #s: ConnectionLimitSettings;
  readonly #perIp = new Map<string, number>();
  #total = 0;
  readonly #waiting: Array<() => void> = [];

  constructor(settings: ConnectionLimitSettings) {
    this.#s = settings;
  }

  get open(): number {
    return this.#total;
  }

  get waiting(): number {
    return this.#waiting.length;
  }

  #limitFor(ip: string): number {
    return this.#s.perIpOverrides.get(ip) ?? this.#s.maxConnectionsPerIp;
  }

  /**
   * Asks for a slot for a new connection from `ip`. 'over-ip-limit' and 'backlog-full' mean close
   * it now; 'accepted' means it holds a slot (release it once); 'waiting' means `start` runs when
   * a slot frees, with true when the slot is then held (false: its address reached its own limit
   * meanwhile, so close it).
   */
  admit(ip: string, start: (admitted: boolean) => void): 'accepted' | 'waiting' | 'over-ip-limit' | 'backlog-full' {
    const count = this.#perIp.get(ip) ?? 0;
    if (count >= this.#limitFor(ip)) return 'over-ip-limit';
    if (this.#total >= this.#s.maxConnections) {
      if (this.#waiting.length >= WAITING_CONNECTIONS) return 'backlog-full';
      this.#waiting.push(() => {
        // Counted per IP only once it really starts; the per-IP check is repeated then.
        if ((this.#perIp.get(ip) ?? 0) >= this.#limitFor(ip)) {
          start(false);
          return;
        }
        this.#take(ip);
        start(true);
      });
      return 'waiting';
    }
    this.#take(ip);
    return 'accepted';
  }

  #take(ip: string): void {
    this.#perIp.set(ip, (this.#perIp.get(ip) ?? 0) + 1);
    this.#total += 1;
  }

  release(ip: string): void {
    const count = (this.#perIp.get(ip) ?? 0) - 1;
    if (count <= 0) this.#perIp.delete(ip);
    else this.#perIp.set(ip, count);
    this.#total -= 1;
    while (this.#total < this.#s.maxConnections && this.#waiting.length > 0) this.#waiting.shift()!();
  }

  /** Forgets every waiting connection (shutdown); their sockets are closed by their owner. */
  clearWaiting(): void {
    this.#waiting.length = 0;
  }
}
