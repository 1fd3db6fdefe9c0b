import Redis, { type RedisOptions } from 'ioredis';
import type { RedisConfig } from '../contract';
import { MemoryOptionsError } from './errors';
import { BackendUnavailableError, BackoffSequence, ConnectionState, type ReconnectOptions, reconnectBackoff } from './reconnect';

export interface RedisConnectionOptions {
  /** `redis://host:port` or `rediss://…` for TLS. */
  readonly url: string;
  /** AUTH string (Memorystore AUTH), kept out of the URL so it is never logged with it. */
  readonly password?: string;
  /** Verify the server with this CA (Memorystore's own; PEM). Implies TLS. */
  readonly caCert?: string;
  readonly tls?: boolean;
  /** Backoff between reconnection attempts, through outages and refused AUTH alike. @default RECONNECT_DEFAULTS (200 ms, capped at 1 s) */
  readonly reconnect?: ReconnectOptions;
  /** pino-compatible; told when the server becomes unreachable and when it is back. @default - silent (still in `describeState()`) */
  readonly logger?: { warn(obj: object, msg: string): void };
  /** Extra ioredis options (tests: timeouts). */
  readonly redisOptions?: RedisOptions;
}

/** The connection settings of a configured Redis (ioredis takes a URL; one is built for Redis given by host, Memorystore's address). */
export function redisConnectionOptions(redis: RedisConfig): Pick<RedisConnectionOptions, 'url' | 'password' | 'tls' | 'caCert'> {
  const url = 'url' in redis ? redis.url : `${redis.tls ? 'rediss' : 'redis'}://${redis.host}:${redis.port}`;
  return { url, password: redis.password, tls: redis.tls, caCert: redis.caCert };
}

/** Who holds the connection: the component named in option errors, and the fields of its log lines. */
export interface RedisConnectionOwner {
  /** e.g. `RedisShortTermStore`. */
  readonly component: string;
  /** e.g. `{ layer: 'short-term' }`. */
  readonly log: Readonly<Record<string, string>>;
}

/** Redis' answers to credentials it does not take (a password rotated on one side only). */
const AUTH_REFUSED = /^(WRONGPASS|NOAUTH|ERR AUTH|ERR invalid password|ERR Client sent AUTH)/;

/**
 * One ioredis client with the settings every Redis user of the runtime shares: TLS and AUTH as
 * configured, commands that fail at once while the server is unreachable (instead of queueing),
 * and reconnection in the background with capped backoff, the outage kept for status and errors.
 */
export class RedisConnection {
  /** The client itself, for defining commands; run commands through `ready`. */
  readonly client: Redis;
  private lastError?: string;
  private readonly state = new ConnectionState();
  private readonly backoff: BackoffSequence;

  constructor(
    private readonly options: RedisConnectionOptions,
    private readonly owner: RedisConnectionOwner,
  ) {
    this.backoff = new BackoffSequence(reconnectBackoff(options.reconnect));
    // ioredis reads "redis://host:typo" as port 6379 and retries a port out of range forever: a
    // URL that can never work fails the start instead (the URL may carry a password: not echoed).
    if (!validRedisUrl(options.url)) {
      throw new MemoryOptionsError(owner.component, [{ path: 'url', message: 'expected redis://host[:port] or rediss://host[:port] (value not shown)' }]);
    }
    const tls = options.tls || options.caCert !== undefined || options.url.startsWith('rediss://');
    this.client = new Redis(options.url, {
      password: options.password,
      tls: tls ? { ca: options.caCert ? [options.caCert] : undefined } : undefined,
      lazyConnect: true,
      // Fail fast while disconnected: callers report the outage instead of queueing commands that
      // may never run. ioredis keeps reconnecting in the background.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 3000,
      // close() of a client between attempts has no live socket, yet ioredis holds a timer this
      // long before destroying it, delaying the process' exit (default 2 s of Cloud Run's 10).
      disconnectTimeout: 300,
      // Never give up: an outage ends, and refused credentials are fixed by rotating the secret on
      // either side, neither of which a restart of this process would do sooner. Capped, so
      // recovery is noticed within the cap once the server takes us again.
      retryStrategy: (attempt) => this.retryIn(attempt),
      ...options.redisOptions,
    });
    // Connection errors surface through commands and status; without a listener ioredis would
    // print each one to stderr. The last one explains "Connection is closed" (wrong AUTH, TLS…).
    this.client.on('error', (error: Error) => {
      this.lastError = error.message;
    });
    this.client.on('ready', () => {
      // A later outage may end without an error event: a stale reason would misname it.
      this.lastError = undefined;
      this.backoff.restart();
      if (this.state.connected()) this.options.logger?.warn({ ...this.owner.log, redis: this.describe() }, 'Redis reachable again');
    });
  }

  /**
   * Connects, or, when the server is unreachable or refuses the credentials, returns anyway while
   * ioredis keeps trying in the background (calls fail at once with the reason meanwhile).
   */
  async init(): Promise<void> {
    if (this.client.status !== 'wait') return;
    // The reason is recorded (retryStrategy) and logged; the rejection itself says less.
    await this.client.connect().catch(() => undefined);
  }

  /** ioredis' retryStrategy: the next delay, and the outage recorded for status and callers. */
  private retryIn(attempt: number): number {
    if (attempt === 1) this.backoff.restart();
    const delay = this.backoff.next();
    const reason = this.lastError ?? 'connection closed';
    if (this.state.failed(reason, delay, attempt, AUTH_REFUSED.test(reason))) {
      this.options.logger?.warn({ ...this.owner.log, redis: this.describe(), reason }, 'Redis unreachable; reconnecting in the background');
    }
    return delay;
  }

  get up(): boolean {
    return this.state.up;
  }

  /** The client, or, while the server is not reachable, a `BackendUnavailableError` with why (ioredis would only say "Stream isn't writeable"). */
  get ready(): Redis {
    if (!this.state.up) throw new BackendUnavailableError(`redis ${this.describe()}`, this.state);
    return this.client;
  }

  /** Whether the server answers a PING now, and what to say about it (where, or why not). */
  async probe(): Promise<{ ok: boolean; detail: string }> {
    if (!this.state.up) return { ok: false, detail: `${this.describe()}: ${this.state.describe()}` };
    try {
      await this.client.ping();
      this.lastError = undefined;
      return { ok: true, detail: this.describe() };
    } catch (error) {
      return { ok: false, detail: `${this.describe()}: ${this.lastError ?? (error as Error).message}` };
    }
  }

  async close(): Promise<void> {
    if (this.client.status === 'end') return;
    // QUIT needs a live connection; anything else (reconnecting, never connected) just stops.
    if (this.client.status === 'ready') await this.client.quit().catch(() => this.client.disconnect());
    else this.client.disconnect();
  }

  /** Where it points, without credentials. */
  describe(): string {
    const { host, port } = this.client.options;
    return `${host}:${port}`;
  }
}

function validRedisUrl(url: string): boolean {
  try {
    const parsed = new URL(url);
    return (parsed.protocol === 'redis:' || parsed.protocol === 'rediss:') && parsed.hostname !== '';
  } catch {
    return false;
  }
}
