import type { LlmFailureKind } from '../contract';
import { countsTowardCooldown, failureKindOf } from './router-errors';
import type { RouterStateStore } from './router-state';
import type { LlmErrorKind } from './types';

/** Counters are per clock minute, like LiteLLM's (`{id}:fails:{HH-MM}`). */
const MINUTE_MS = 60_000;
/** A minute's counter outlives the minute a little, so a late read still finds it; then it expires. */
const COUNTER_TTL_MS = 2 * MINUTE_MS;

export interface CooldownOptions {
  /** 0 turns cooldowns off. */
  readonly cooldownMs: number;
  /** Failures per minute allowed; the next one cools the deployment down. */
  readonly allowedFails: number;
  /** Per kind, instead of `allowedFails`; with `rateLimit` set a 429 no longer cools down at once. */
  readonly allowedFailsPolicy: Partial<Record<LlmFailureKind, number>>;
  readonly now: () => number;
}

/**
 * Which deployments are cooling down, and each one's use this minute, LiteLLM's way: a 429
 * cools a deployment down at once; other failures that say something about its health (5xx,
 * timeouts, connection errors, 401, 404) once more than `allowedFails` of them happened in the
 * current minute. Hand-written rather than cockatiel's circuit breaker: the breaker has no "open
 * now" for a 429 short of a manual isolate, lets a half-open probe through instead of simply
 * waiting the cooldown out, runs on its own clock, and keeps its state in the process, where two
 * instances could not share it.
 */
export class Cooldowns {
  constructor(
    private readonly store: RouterStateStore,
    private readonly options: CooldownOptions,
  ) {}

  /** Milliseconds until each deployment may be called again; 0 when it may be called now. */
  async remainingMs(deployments: readonly string[]): Promise<number[]> {
    const until = await this.store.get(deployments.map((d) => `cooldown:${d}`));
    const now = this.options.now();
    return until.map((u) => Math.max(0, u - now));
  }

  /** Cooldowns and this minute's use of `deployments` in one read (one Redis round trip per choice). */
  async snapshot(deployments: readonly string[]): Promise<{ remainingMs: number; requests: number; tokens: number }[]> {
    const minute = this.minute();
    const values = await this.store.get(deployments.flatMap((d) => [`cooldown:${d}`, `rpm:${d}:${minute}`, `tpm:${d}:${minute}`]));
    const now = this.options.now();
    return deployments.map((_, i) => ({ remainingMs: Math.max(0, values[3 * i] - now), requests: values[3 * i + 1], tokens: values[3 * i + 2] }));
  }

  /** Records a failure; whether the deployment now cools down. */
  async failed(deployment: string, kind: LlmErrorKind): Promise<boolean> {
    if (!countsTowardCooldown(kind)) return false;
    const policyKind = failureKindOf(kind);
    const allowed = this.options.allowedFailsPolicy[policyKind];
    if (kind === 'rate-limit' && allowed === undefined) return this.coolDown(deployment);
    const key = allowed === undefined ? `fails:${deployment}:${this.minute()}` : `fails:${deployment}:${policyKind}:${this.minute()}`;
    const count = await this.store.increment(key, 1, COUNTER_TTL_MS);
    return count > (allowed ?? this.options.allowedFails) ? this.coolDown(deployment) : false;
  }

  async addRequest(deployment: string): Promise<void> {
    await this.store.increment(`rpm:${deployment}:${this.minute()}`, 1, COUNTER_TTL_MS);
  }

  async addTokens(deployment: string, tokens: number): Promise<void> {
    if (tokens > 0) await this.store.increment(`tpm:${deployment}:${this.minute()}`, tokens, COUNTER_TTL_MS);
  }

  /** Milliseconds until the next minute's counters start. */
  msToNextMinute(): number {
    return MINUTE_MS - (this.options.now() % MINUTE_MS);
  }

  private minute(): number {
    return Math.floor(this.options.now() / MINUTE_MS);
  }

  private async coolDown(deployment: string): Promise<boolean> {
    if (this.options.cooldownMs <= 0) return false;
    await this.store.set(`cooldown:${deployment}`, this.options.now() + this.options.cooldownMs, this.options.cooldownMs);
    return true;
  }
}
