import type { DoneRecord, IdempotencyRecord, IdempotencyRecords, RunningRecord } from './records';

export interface InProcessRecordsOptions {
  /** Milliseconds since the epoch. @default Date.now */
  readonly now?: () => number;
}

/** How often, at most, expired records are swept out (on a claim; no timer holds the process). */
const SWEEP_EVERY_MS = 60_000;

/**
 * Records in this process only: right for one instance (local development, the embedded
 * default). Several instances each keep their own, so a retry that reaches another instance runs
 * again; a deployment with Redis shares them (`RedisIdempotencyRecords`).
 */
export class InProcessIdempotencyRecords implements IdempotencyRecords {
  private readonly records = new Map<string, { record: IdempotencyRecord; expiresAt: number }>();
  private readonly now: () => number;
  private nextSweep: number;

  constructor(options: InProcessRecordsOptions = {}) {
    this.now = options.now ?? Date.now;
    this.nextSweep = this.now() + SWEEP_EVERY_MS;
  }

  async init(): Promise<void> {}

  async claim(key: string, running: RunningRecord, claimMs: number): Promise<IdempotencyRecord | undefined> {
    const now = this.now();
    if (now >= this.nextSweep) this.sweep(now);
    const found = this.live(key, now);
    if (found) return found;
    this.records.set(key, { record: running, expiresAt: now + claimMs });
    return undefined;
  }

  async complete(key: string, token: string, done: DoneRecord, ttlMs: number): Promise<boolean> {
    const now = this.now();
    if (!this.claimedBy(key, token, now)) return false;
    this.records.set(key, { record: done, expiresAt: now + ttlMs });
    return true;
  }

  async release(key: string, token: string): Promise<void> {
    if (this.claimedBy(key, token, this.now())) this.records.delete(key);
  }

  async close(): Promise<void> {
    this.records.clear();
  }

  private live(key: string, now: number): IdempotencyRecord | undefined {
    const entry = this.records.get(key);
    if (entry && entry.expiresAt <= now) this.records.delete(key);
    return entry && entry.expiresAt > now ? entry.record : undefined;
  }

  private claimedBy(key: string, token: string, now: number): boolean {
    const record = this.live(key, now);
    return record?.state === 'running' && record.token === token;
  }

  private sweep(now: number): void {
    for (const [key, { expiresAt }] of this.records) if (expiresAt <= now) this.records.delete(key);
    this.nextSweep = now + SWEEP_EVERY_MS;
  }
}
