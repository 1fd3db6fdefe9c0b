import type Redis from 'ioredis';

/**
 * Where the router keeps what several instances should agree on: cooldowns and per-minute
 * counters (requests, tokens, failures). Plain numbers under string keys, each with an expiry,
 * so one in-process map and one Redis implement the same thing.
 */
export interface RouterStateStore {
  /** The values of `keys` (0 when missing or expired). */
  get(keys: readonly string[]): Promise<number[]>;
  /** Adds `by` to `key`, which expires `ttlMs` after its first increment; the new value. */
  increment(key: string, by: number, ttlMs: number): Promise<number>;
  /** Sets `key` to `value` for `ttlMs`. */
  set(key: string, value: number, ttlMs: number): Promise<void>;
}

/** Per instance (the default); expiry by the router's clock, so tests move time instead of waiting. */
export class MemoryRouterState implements RouterStateStore {
  private readonly values = new Map<string, { value: number; expiresAt: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  async get(keys: readonly string[]): Promise<number[]> {
    return keys.map((k) => this.live(k)?.value ?? 0);
  }

  async increment(key: string, by: number, ttlMs: number): Promise<number> {
    const entry = this.live(key);
    const value = (entry?.value ?? 0) + by;
    this.values.set(key, { value, expiresAt: entry?.expiresAt ?? this.now() + ttlMs });
    return value;
  }

  async set(key: string, value: number, ttlMs: number): Promise<void> {
    this.values.set(key, { value, expiresAt: this.now() + ttlMs });
  }

  private live(key: string): { value: number; expiresAt: number } | undefined {
    const entry = this.values.get(key);
    if (entry && entry.expiresAt <= this.now()) {
      this.values.delete(key);
      return undefined;
    }
    return entry;
  }
}

/**
 * Shared by every instance on one Redis (LiteLLM's DualCache idea): each write goes to this
 * instance's memory and to Redis, reads come from Redis. While Redis cannot be reached the
 * instance keeps routing on what it knows itself rather than failing calls: a cooldown is an
 * optimisation, never a reason to refuse a request.
 */
export class RedisRouterState implements RouterStateStore {
  private readonly local: MemoryRouterState;

  constructor(
    private readonly redis: Redis,
    /** Namespace of every key, e.g. `orchestra:llm-router`. */
    private readonly prefix: string,
    now: () => number = Date.now,
  ) {
    this.local = new MemoryRouterState(now);
  }

  async get(keys: readonly string[]): Promise<number[]> {
    if (keys.length === 0) return [];
    try {
      const values = await this.redis.mget(keys.map((k) => this.key(k)));
      return values.map((v) => (v === null ? 0 : Number(v)));
    } catch {
      return this.local.get(keys);
    }
  }

  async increment(key: string, by: number, ttlMs: number): Promise<number> {
    const local = await this.local.increment(key, by, ttlMs);
    try {
      // NX: the first increment starts the window; later ones must not extend it.
      const result = await this.redis.multi().incrby(this.key(key), by).pexpire(this.key(key), ttlMs, 'NX').exec();
      const [error, value] = result?.[0] ?? [new Error('transaction discarded'), null];
      if (error) throw error;
      return Number(value);
    } catch {
      return local;
    }
  }

  async set(key: string, value: number, ttlMs: number): Promise<void> {
    await this.local.set(key, value, ttlMs);
    if (ttlMs <= 0) return;
    await this.redis.set(this.key(key), String(value), 'PX', ttlMs).catch(() => undefined);
  }

  private key(key: string): string {
    return `${this.prefix}:${key}`;
  }
}
