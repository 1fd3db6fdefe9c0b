import type { LlmErrorKind } from './types';

/**
 * Which deployments are cooling down, LiteLLM's way: at once after a 429, and after
 * `allowedFailures` consecutive failures of the other retryable kinds; a success clears the
 * count. Hand-written rather than cockatiel's circuit breaker: the breaker has no "open now"
 * for a 429 short of a manual isolate, lets a half-open probe through instead of simply waiting
 * the cooldown out, and runs on its own clock, which tests could only wait for.
 */
export class Cooldowns {
  private readonly until = new Map<string, number>();
  private readonly failures = new Map<string, number>();

  constructor(
    private readonly cooldownMs: number,
    private readonly allowedFailures: number,
    private readonly now: () => number,
  ) {}

  /** Milliseconds until `deployment` may be called again; 0 when it may be called now. */
  remainingMs(deployment: string): number {
    return Math.max(0, (this.until.get(deployment) ?? 0) - this.now());
  }

  succeeded(deployment: string): void {
    this.failures.delete(deployment);
  }

  failed(deployment: string, kind: LlmErrorKind): void {
    if (kind === 'rate-limit') return this.coolDown(deployment);
    if (kind !== 'server' && kind !== 'timeout' && kind !== 'network') return;
    const count = (this.failures.get(deployment) ?? 0) + 1;
    if (count >= this.allowedFailures) this.coolDown(deployment);
    else this.failures.set(deployment, count);
  }

  private coolDown(deployment: string): void {
    this.failures.delete(deployment);
    if (this.cooldownMs > 0) this.until.set(deployment, this.now() + this.cooldownMs);
  }
}
