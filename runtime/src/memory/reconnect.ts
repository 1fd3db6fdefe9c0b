import { ExponentialBackoff, type IBackoff } from 'cockatiel';

/**
 * How a store retries reaching its backend: capped exponential backoff with decorrelated jitter
 * (cockatiel's), so a fleet of instances coming back does not reconnect in lockstep.
 */
export interface ReconnectOptions {
  /** Scale of the first delays, in milliseconds. @default 200 */
  readonly initialDelayMs?: number;
  /**
   * No wait between attempts exceeds this, however long the outage. It bounds how long the
   * service stays degraded after a backend returns (npm run chaos holds it to 2 s): one connection
   * attempt a second per instance is cheap for Redis and MongoDB. @default 1000
   */
  readonly maxDelayMs?: number;
}

export const RECONNECT_DEFAULTS = { initialDelayMs: 200, maxDelayMs: 1_000 } as const;

export function reconnectBackoff(options: ReconnectOptions = {}): ExponentialBackoff<unknown> {
  return new ExponentialBackoff({
    initialDelay: options.initialDelayMs ?? RECONNECT_DEFAULTS.initialDelayMs,
    maxDelay: options.maxDelayMs ?? RECONNECT_DEFAULTS.maxDelayMs,
  });
}

/** Delays of one outage in turn; `restart()` when the connection is back, so the next outage starts small. */
export class BackoffSequence {
  private current?: IBackoff<unknown>;
  constructor(private readonly factory: ExponentialBackoff<unknown>) {}

  next(): number {
    this.current = this.current ? this.current.next(undefined) : this.factory.next();
    return Math.round(this.current.duration);
  }

  restart(): void {
    this.current = undefined;
  }
}

/**
 * What `status()` and a refused call say about a backend that is not reachable: since when, how
 * many attempts failed, when the next one is due and why the last one failed. Nothing is
 * recorded while the connection is up.
 */
export class ConnectionState {
  private outage?: { attempts: number; nextAt: number; reason: string; refusedAuth: boolean; gaveUp: boolean };

  get up(): boolean {
    return this.outage === undefined;
  }

  /** An attempt failed; the next one is `delayMs` away (undefined: no more attempts). Returns whether this started the outage. */
  failed(reason: string, delayMs: number | undefined, attempts: number, refusedAuth = false): boolean {
    const started = this.outage === undefined;
    this.outage = { attempts, nextAt: Date.now() + (delayMs ?? 0), reason, refusedAuth, gaveUp: delayMs === undefined };
    return started;
  }

  /** Connected (again). Returns whether an outage ended. */
  connected(): boolean {
    const ended = this.outage !== undefined;
    this.outage = undefined;
    return ended;
  }

  /** `connecting (attempt 3, next in 400 ms): connect ECONNREFUSED …`, `auth refused (WRONGPASS …), retrying (…)`. */
  describe(): string {
    const o = this.outage;
    if (!o) return 'connected';
    if (o.gaveUp) return `not retrying after attempt ${o.attempts}: ${o.reason}`;
    const retry = `attempt ${o.attempts}, next in ${Math.max(0, Math.round(o.nextAt - Date.now()))} ms`;
    return o.refusedAuth ? `auth refused (${o.reason}), retrying (${retry})` : `connecting (${retry}): ${o.reason}`;
  }
}

/** A call refused at once because the layer's backend is not reachable: its message is the reason. */
export class BackendUnavailableError extends Error {
  constructor(backend: string, state: ConnectionState) {
    super(`${backend} ${state.describe()}`);
    this.name = 'BackendUnavailableError';
  }
}
