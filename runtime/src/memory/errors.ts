import type { LayerName } from './types';

/** A memory item or argument that is not acceptable; nothing was written. */
export class MemoryValidationError extends Error {
  readonly code = 'MEMORY_INVALID_ITEM';
  constructor(
    /** Dotted path of the offending field (`content`, `metadata.tags`, `importance`). */
    readonly field: string,
    /** What the field must be. */
    readonly expected: string,
  ) {
    super(`invalid memory item: ${field}: expected ${expected}`);
    this.name = 'MemoryValidationError';
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

/** A forget that did not reach every layer; what was removed is reported, and retrying is safe. */
export class MemoryForgetError extends Error {
  readonly code = 'MEMORY_FORGET_FAILED';
  constructor(
    readonly failures: readonly LayerFailure[],
    readonly removed: Partial<Record<LayerName, number>>,
  ) {
    super(`forget did not complete: ${failures.map((f) => `${f.layer}: ${f.reason}`).join('; ')}`);
    this.name = 'MemoryForgetError';
  }
}
