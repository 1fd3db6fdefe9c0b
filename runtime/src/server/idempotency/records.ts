/**
 * Where the answers to requests with an `Idempotency-Key` are kept: a record per key, first a
 * claim while its request runs, then the answer for its retries. One implementation in Redis
 * (shared by every instance), one in the process (the embedded default).
 */

/** A request with this key is running; `token` is its claim's, so only it can complete or release it. */
export interface RunningRecord {
  readonly state: 'running';
  readonly fingerprint: string;
  readonly token: string;
}

/** The first answer, as sent: what a retry gets again. */
export interface DoneRecord {
  readonly state: 'done';
  readonly fingerprint: string;
  readonly status: number;
  readonly contentType?: string;
  readonly body: string;
}

export type IdempotencyRecord = RunningRecord | DoneRecord;

export interface IdempotencyRecords {
  /** Connects (a shared store); never throws: an unreachable store fails the calls below instead. */
  init(): Promise<void>;
  /**
   * Claims `key` with `running` for `claimMs`, atomically, unless a record of it exists: returns
   * undefined when the claim was taken (the caller runs the request), else the record found.
   */
  claim(key: string, running: RunningRecord, claimMs: number): Promise<IdempotencyRecord | undefined>;
  /** Replaces the claim of `token` by the answer, kept `ttlMs`; false when the claim was no longer its own (expired, taken over). */
  complete(key: string, token: string, done: DoneRecord, ttlMs: number): Promise<boolean>;
  /** Drops the claim of `token`, so a retry runs again; nothing when the record is not its claim. */
  release(key: string, token: string): Promise<void>;
  close(): Promise<void>;
}
