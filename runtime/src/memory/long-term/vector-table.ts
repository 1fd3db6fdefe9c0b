import { F32_BLOCK_BYTES, I8_BLOCK_BYTES, RECORD_HEADER_BYTES, type VectorKernel, WASM_PAGE_BYTES, type WasmMemory, kernelMemory, vectorKernel } from './vector-kernel';
import { TopK } from './top-k';

/**
 * How vectors are held. `float32`: as given, scores exact (to f32 rounding). `int8`: each vector
 * scaled so its largest component is ±127 and rounded (symmetric per-vector scalar quantization),
 * a quarter of the memory and of the bytes a scan reads, scores approximate (recall against exact
 * search measured by `npm run bench:memory`, BENCHMARKS.md).
 */
export type VectorPrecision = 'float32' | 'int8';

export interface VectorTableOptions {
  /** @default "float32" */
  readonly precision?: VectorPrecision;
  /** Rows reserved up front; the table doubles when full. @default 1024 */
  readonly initialCapacity?: number;
}

export interface Neighbour {
  readonly id: string;
  readonly score: number;
}

/** What a row is stored with, and a scan restricted to; undefined: any. */
export interface RowRestricts {
  readonly tenantId?: string;
  readonly conversationId?: string;
  /** A row's: when its item occurred, in ms since the epoch (undefined: unknown, outside every time range). */
  readonly occurredAt?: number;
  /** A scan's: only rows that occurred at or after this instant (ms since the epoch). */
  readonly occurredFrom?: number;
  /** A scan's: only rows that occurred strictly before this instant (ms since the epoch). */
  readonly occurredBefore?: number;
}

/** Whether a row's `occurredAt` (NaN: unknown) lies within a scan's time range. */
export function occurredInRange(occurredAt: number, restricts: RowRestricts): boolean {
  if (restricts.occurredFrom !== undefined && !(occurredAt >= restricts.occurredFrom)) return false;
  if (restricts.occurredBefore !== undefined && !(occurredAt < restricts.occurredBefore)) return false;
  return true;
}

/** Whether a scan's restricts hold a time range. */
export const hasTimeRange = (restricts: RowRestricts): boolean => restricts.occurredFrom !== undefined || restricts.occurredBefore !== undefined;

/** Rows the kernel reports per call: bounds the output buffers, not the table. */
const CHUNK_ROWS = 4096;
const ANY = -1;

const alignUp = (n: number, to: number) => Math.ceil(n / to) * to;

/**
 * Small integers for the strings rows are restricted by (tenants, conversations), as the kernel
 * compares integers. Counted, so an ordinal is freed with its last row and reused.
 */
class Ordinals {
  private readonly byKey = new Map<string | undefined, { ordinal: number; rows: number }>();
  private readonly keyOf: (string | undefined)[] = [];
  private readonly free: number[] = [];

  acquire(key: string | undefined): number {
    const entry = this.byKey.get(key);
    if (entry) {
      entry.rows++;
      return entry.ordinal;
    }
    const ordinal = this.free.pop() ?? this.keyOf.length;
    this.keyOf[ordinal] = key;
    this.byKey.set(key, { ordinal, rows: 1 });
    return ordinal;
  }

  release(ordinal: number): void {
    const key = this.keyOf[ordinal];
    const entry = this.byKey.get(key)!;
    if (--entry.rows > 0) return;
    this.byKey.delete(key);
    this.free.push(ordinal);
  }

  /** The key's ordinal, or undefined when no row has it. */
  of(key: string | undefined): number | undefined {
    return this.byKey.get(key)?.ordinal;
  }

  clear(): void {
    this.byKey.clear();
    this.keyOf.length = 0;
    this.free.length = 0;
  }
}

/**
 * Vectors in one WebAssembly memory, one fixed-size record per row (tenant, conversation, scale,
 * vector), scanned exactly by the SIMD kernel: every row of the asked tenant and conversation is
 * scored, the best k kept by a bounded heap. Removal moves the last record into the hole, so the
 * rows stay contiguous; the memory doubles when full (WebAssembly memories only grow).
 */
export class VectorTable {
  readonly precision: VectorPrecision;
  private readonly memory: WasmMemory;
  private readonly kernel: VectorKernel;
  /** Bytes of a vector as stored, padded to whole kernel blocks. */
  private readonly vectorBytes: number;
  private readonly recordBytes: number;
  private readonly outScores: number;
  private readonly outRows: number;
  private readonly base: number;
  private capacity: number;
  private bytes!: Uint8Array;
  private f32!: Float32Array;
  private i32!: Int32Array;
  private i8!: Int8Array;
  private ids: string[] = [];
  /**
   * Each row's `occurredAt` (NaN: unknown), beside the records rather than in their header: the
   * kernel filters on tenant and conversation; a time range is checked on the few rows it reports.
   */
  private occurred: number[] = [];
  private readonly rowOf = new Map<string, number>();
  private readonly tenants = new Ordinals();
  private readonly conversations = new Ordinals();

  constructor(
    readonly dimensions: number,
    options: VectorTableOptions = {},
  ) {
    this.precision = options.precision ?? 'float32';
    this.vectorBytes = this.precision === 'int8' ? alignUp(dimensions, I8_BLOCK_BYTES) : alignUp(dimensions * 4, F32_BLOCK_BYTES);
    this.recordBytes = RECORD_HEADER_BYTES + this.vectorBytes;
    // Layout: [query][scores of a chunk][rows of a chunk][records…], each 16-byte aligned for v128 loads.
    this.outScores = this.vectorBytes;
    this.outRows = this.outScores + CHUNK_ROWS * 4;
    this.base = this.outRows + CHUNK_ROWS * 4;
    this.capacity = options.initialCapacity ?? 1024;
    if (!Number.isInteger(this.capacity) || this.capacity < 1) throw new RangeError(`initialCapacity must be a positive integer, got ${this.capacity}`);
    if (!Number.isInteger(dimensions) || dimensions < 1) throw new RangeError(`dimensions must be a positive integer, got ${dimensions}`);
    this.memory = kernelMemory(Math.ceil((this.base + this.capacity * this.recordBytes) / WASM_PAGE_BYTES));
    this.kernel = vectorKernel(this.memory);
    this.views();
  }

  get size(): number {
    return this.ids.length;
  }

  has(id: string): boolean {
    return this.rowOf.has(id);
  }

  /** Stores `vector` under `id`, replacing what `id` had. */
  put(id: string, vector: Float32Array, restricts: RowRestricts = {}): void {
    if (vector.length !== this.dimensions) throw new RangeError(`vector for ${id} has ${vector.length} dimensions, expected ${this.dimensions}`);
    const tenant = this.tenants.acquire(restricts.tenantId);
    const conversation = this.conversations.acquire(restricts.conversationId);
    let row = this.rowOf.get(id);
    if (row === undefined) {
      row = this.ids.length;
      if (row >= this.capacity) this.grow();
      this.ids.push(id);
      this.occurred.push(NaN);
      this.rowOf.set(id, row);
    } else {
      this.releaseRow(row);
    }
    this.occurred[row] = restricts.occurredAt ?? NaN;
    const at = this.base + row * this.recordBytes;
    this.i32[at / 4] = tenant;
    this.i32[at / 4 + 1] = conversation;
    this.i32[at / 4 + 3] = 0;
    this.f32[at / 4 + 2] = this.encode(vector, at + RECORD_HEADER_BYTES);
  }

  /** Removes `id`; false when it was not stored. */
  remove(id: string): boolean {
    const row = this.rowOf.get(id);
    if (row === undefined) return false;
    this.releaseRow(row);
    const last = this.ids.length - 1;
    if (row !== last) {
      const to = this.base + row * this.recordBytes;
      const from = this.base + last * this.recordBytes;
      this.bytes.copyWithin(to, from, from + this.recordBytes);
      this.ids[row] = this.ids[last];
      this.occurred[row] = this.occurred[last];
      this.rowOf.set(this.ids[row], row);
    }
    this.ids.pop();
    this.occurred.pop();
    this.rowOf.delete(id);
    return true;
  }

  clear(): void {
    this.ids = [];
    this.occurred = [];
    this.rowOf.clear();
    this.tenants.clear();
    this.conversations.clear();
  }

  /** The `k` rows closest to `query` by dot product, best first, within `restricts`. */
  nearest(query: Float32Array, k: number, restricts: RowRestricts = {}): Neighbour[] {
    if (query.length !== this.dimensions) throw new RangeError(`query has ${query.length} dimensions, expected ${this.dimensions}`);
    const tenant = restricts.tenantId !== undefined ? this.tenants.of(restricts.tenantId) : ANY;
    const conversation = restricts.conversationId !== undefined ? this.conversations.of(restricts.conversationId) : ANY;
    // A tenant or conversation no row has: nothing to scan.
    if (k <= 0 || tenant === undefined || conversation === undefined) return [];
    const queryScale = this.encode(query, 0);
    const best = new TopK(k);
    const scores = this.outScores / 4;
    const rows = this.outRows / 4;
    const ranged = hasTimeRange(restricts);
    for (let start = 0; start < this.ids.length; start += CHUNK_ROWS) {
      const end = Math.min(this.ids.length, start + CHUNK_ROWS);
      const found =
        this.precision === 'int8'
          ? this.kernel.scanI8(this.base, start, end, this.recordBytes, 0, this.vectorBytes, tenant, conversation, this.outScores, this.outRows, queryScale)
          : this.kernel.scanF32(this.base, start, end, this.recordBytes, 0, this.vectorBytes, tenant, conversation, this.outScores, this.outRows);
      for (let j = 0; j < found; j++) {
        const score = this.f32[scores + j];
        if (score > best.threshold && (!ranged || occurredInRange(this.occurred[this.i32[rows + j]], restricts))) best.push(score, this.i32[rows + j]);
      }
    }
    return best.sorted().map(({ score, item }) => ({ id: this.ids[item], score }));
  }

  /**
   * Writes `vector` at byte `at` in the table's precision, zero-padded to the stored width;
   * returns its scale (int8: the factor back to the original values; float32: 1).
   */
  private encode(vector: Float32Array, at: number): number {
    if (this.precision === 'float32') {
      this.f32.set(vector, at / 4);
      this.f32.fill(0, at / 4 + vector.length, (at + this.vectorBytes) / 4);
      return 1;
    }
    let max = 0;
    for (let i = 0; i < vector.length; i++) max = Math.max(max, Math.abs(vector[i]));
    const scale = max / 127;
    for (let i = 0; i < vector.length; i++) this.i8[at + i] = scale === 0 ? 0 : Math.round(vector[i] / scale);
    this.i8.fill(0, at + vector.length, at + this.vectorBytes);
    return scale;
  }

  private releaseRow(row: number): void {
    const at = (this.base + row * this.recordBytes) / 4;
    this.tenants.release(this.i32[at]);
    this.conversations.release(this.i32[at + 1]);
  }

  private grow(): void {
    const next = this.capacity * 2;
    const pages = Math.ceil((this.base + next * this.recordBytes) / WASM_PAGE_BYTES) - this.memory.buffer.byteLength / WASM_PAGE_BYTES;
    try {
      if (pages > 0) this.memory.grow(pages);
    } catch (error) {
      throw new RangeError(`the embedded vector table cannot grow past ${this.capacity} vectors of ${this.dimensions} dimensions (WebAssembly memory is limited to 4 GiB): ${(error as Error).message}`);
    }
    this.capacity = next;
    this.views();
  }

  /** Growing a memory detaches its old buffer: every view is made anew. */
  private views(): void {
    const buffer = this.memory.buffer;
    this.bytes = new Uint8Array(buffer);
    this.f32 = new Float32Array(buffer);
    this.i32 = new Int32Array(buffer);
    this.i8 = new Int8Array(buffer);
  }
}
