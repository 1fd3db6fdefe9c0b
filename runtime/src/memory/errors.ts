import { type Problem, ValidationError } from '../contract';
import type { ErasureTarget, LayerName } from './types';

/**
 * A memory item or argument that is not acceptable; nothing was written. Each problem's path is
 * the field (`content`, `metadata.tags`, `importance`).
 */
export class MemoryValidationError extends ValidationError {
  static readonly CODE = 'MEMORY_INVALID_ITEM';
  constructor(problems: readonly Problem[]) {
    super(MemoryValidationError.CODE, 'invalid memory input', problems);
  }

  /** One problem: `field` must be `expected`. */
  static of(field: string, expected: string): MemoryValidationError {
    return new MemoryValidationError([{ path: field, message: `expected ${expected}` }]);
  }
}

/** Options a memory store cannot be built from (a programming or configuration mistake). */
export class MemoryOptionsError extends ValidationError {
  static readonly CODE = 'MEMORY_INVALID_OPTIONS';
  constructor(store: string, problems: readonly Problem[]) {
    super(MemoryOptionsError.CODE, `${store}: invalid options`, problems);
  }
}

export interface LayerFailure {
  readonly layer: LayerName;
  readonly reason: string;
}

/**
 * A write that did not reach a layer the item's importance requires (no silent loss). Writes
 * are idempotent by id, so retrying the whole store is safe.
 */
export class MemoryWriteError extends Error {
  readonly code = 'MEMORY_WRITE_FAILED';
  constructor(
    readonly failures: readonly LayerFailure[],
    /** Layers that did take the write. */
    readonly written: readonly LayerName[],
  ) {
    super(`memory write failed: ${failures.map((f) => `${f.layer}: ${f.reason}`).join('; ')}`);
    this.name = 'MemoryWriteError';
  }
}

/**
 * A forget that did not reach every layer; what was removed is reported, and retrying is safe:
 * the ids still owed are found again (long-term goes before the mid-term documents that list them).
 */
export class MemoryForgetError extends Error {
  readonly code = 'MEMORY_FORGET_FAILED';
  constructor(
    readonly failures: readonly LayerFailure[],
    readonly removed: Partial<Record<LayerName, number>>,
    /** The id of the erasure's record (state `failed`), when one was written. */
    readonly receipt?: string,
  ) {
    super(`forget did not complete: ${failures.map((f) => `${f.layer}: ${f.reason}`).join('; ')}`);
    this.name = 'MemoryForgetError';
  }
}

/**
 * A write begun before its item, conversation or tenant was erased: stale, so refused (a
 * forgotten id stays forgotten). Nothing was written.
 */
export class MemoryErasedError extends Error {
  readonly code = 'MEMORY_ERASED';
  constructor(
    readonly target: ErasureTarget,
    /** ISO-8601: when the erasure was asked for. */
    readonly erasedAt: string,
  ) {
    super(`the ${target.kind} this write belongs to was erased at ${erasedAt}, after the write began`);
    this.name = 'MemoryErasedError';
  }
}

/** Why an embedder failed: what the caller may do about it differs (fix settings, wait, retry). */
export type EmbeddingErrorKind =
  /** 401/403: the key is missing, wrong or lacks access. */
  | 'auth'
  /** 404: no such model on the server. */
  | 'not-found'
  /** 429 still, after the retries (each waited as `Retry-After` asked). */
  | 'rate-limit'
  /** 5xx still after the retries, a timeout, or no connection. */
  | 'unavailable'
  /** Another 4xx: the request was refused as it was. */
  | 'bad-request'
  /** A 200 whose body is not the documented shape. */
  | 'bad-response'
  /** Vectors of another width than the index's: the settings disagree with the model. */
  | 'width-mismatch';

/** An embedding request that failed; `kind` says why, `status` is the HTTP status when there was one. */
export class EmbeddingError extends Error {
  readonly code = 'MEMORY_EMBEDDING_FAILED';
  constructor(
    readonly kind: EmbeddingErrorKind,
    message: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'EmbeddingError';
  }
}
