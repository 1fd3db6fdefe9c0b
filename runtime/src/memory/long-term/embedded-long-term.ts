import { type Problem, defaultEmbeddingDimensions } from '../../contract';
import { MemoryOptionsError } from '../errors';
import { type Embedder, type LayerStatus, type LongTermStore, type StoredItem, type VectorMatch, type VectorSearchOptions, occurredAtOf } from '../types';
import { Bm25Index } from './bm25-index';
import { DEFAULT_HYBRID_ALPHA, fuseRanks, isAlpha } from './fusion';
import { HashingEmbedder } from './hashing-embedder';
import { type RowRestricts, type VectorPrecision, VectorTable } from './vector-table';

/**
 * How deep each signal's ranking goes before fusion: fusion can only rank what one of the two
 * lists holds. An item past rank 200 in both adds at most 1/(60 + 200) per signal, under a quarter
 * of a first rank's 1/61. On `bench/hybrid-alpha.ts`, fusing whole rankings gives the same top 10
 * as 200 candidates for every question (100 changed 6 of 652, and missed one more evidence turn);
 * a candidate costs a heap slot in the dense scan, nothing more.
 */
export const FUSION_CANDIDATES = 200;

export interface EmbeddedLongTermOptions {
  /** @default a HashingEmbedder as wide as the default embedding model's vectors */
  readonly embedder?: Embedder;
  /** Vectors reserved up front; the table doubles when full. @default 1024 */
  readonly initialCapacity?: number;
  /** Weight of the dense ranking in fusion, from 0 (BM25 only) to 1 (dense only). @default the embedder's `hybridAlpha`, else DEFAULT_HYBRID_ALPHA */
  readonly alpha?: number;
  /**
   * `int8` holds each vector as int8 codes with a scale: a quarter of the memory, faster scans,
   * dense scores approximate (recall against exact search in BENCHMARKS.md). @default "float32"
   */
  readonly precision?: VectorPrecision;
}

/** A search's restricts as both signals apply them (times in ms since the epoch). */
function rowRestricts(options: VectorSearchOptions): RowRestricts {
  return {
    tenantId: options.tenantId,
    conversationId: options.conversationId,
    ...(options.occurredAfter === undefined ? {} : { occurredFrom: Date.parse(options.occurredAfter) }),
    ...(options.occurredBefore === undefined ? {} : { occurredBefore: Date.parse(options.occurredBefore) }),
  };
}

/**
 * In-process long-term memory with exact hybrid search: every stored vector of the asked tenant
 * (and conversation) is compared with the query (dot product of unit vectors = cosine similarity,
 * `VectorTable`), every document holding a query term is scored by BM25 (`Bm25Index`), and the two
 * rankings are fused by weighted reciprocal rank (`fuseRanks`). Both signals apply the restricts
 * themselves: an item of another tenant is never a candidate of either.
 */
export class EmbeddedLongTermStore implements LongTermStore {
  readonly alpha: number;
  private readonly embedder: Embedder;
  private readonly table: VectorTable;
  private readonly lexical = new Bm25Index();

  constructor(options: EmbeddedLongTermOptions = {}) {
    const problems: Problem[] = [];
    const embedder = options.embedder ?? new HashingEmbedder(defaultEmbeddingDimensions());
    const alpha = options.alpha ?? embedder.hybridAlpha ?? DEFAULT_HYBRID_ALPHA;
    if (!isAlpha(alpha)) problems.push({ path: 'alpha', message: `expected a number from 0 to 1, got ${alpha}` });
    const precision = options.precision ?? 'float32';
    if (precision !== 'float32' && precision !== 'int8') problems.push({ path: 'precision', message: `expected "float32" or "int8", got ${JSON.stringify(precision)}` });
    const capacity = options.initialCapacity;
    if (capacity !== undefined && !(Number.isInteger(capacity) && capacity >= 1)) problems.push({ path: 'initialCapacity', message: `expected a positive integer, got ${capacity}` });
    if (problems.length > 0) throw new MemoryOptionsError('EmbeddedLongTermStore', problems);
    this.alpha = alpha;
    this.embedder = embedder;
    this.table = new VectorTable(this.embedder.dimensions, { precision, initialCapacity: options.initialCapacity });
  }

  /** The embedder's own (`HASHING_MIN_RELATED_SCORE` for the default one). */
  get minRelatedScore(): number | undefined {
    return this.embedder.minRelatedScore;
  }

  get size(): number {
    return this.table.size;
  }

  /** Checks the embedder's width against the table's (a probe embedding, for embedders that need one). */
  async init(): Promise<void> {
    await this.embedder.verify?.();
  }

  async status(): Promise<LayerStatus> {
    const vectors = this.table.precision === 'int8' ? 'int8 vectors' : 'vectors';
    return { layer: 'long-term', backend: 'embedded', embedded: true, ok: true, detail: `${this.size} ${vectors} in process, exact hybrid search (dense + BM25)` };
  }

  async close(): Promise<void> {
    this.table.clear();
    this.lexical.clear();
    await this.embedder.close?.();
  }

  async upsert(items: readonly StoredItem[]): Promise<void> {
    const vectors = await this.embedder.embed(items.map((i) => i.content), 'document');
    items.forEach((item, k) => {
      const restricts = { tenantId: item.tenantId, conversationId: item.conversationId, occurredAt: Date.parse(occurredAtOf(item)) };
      this.table.put(item.id, vectors[k], restricts);
      this.lexical.put(item.id, item.content, restricts);
    });
  }

  /** Stores a ready vector (unit length expected) without text: found by dense search only. */
  put(id: string, vector: Float32Array, restricts: RowRestricts = {}): void {
    this.table.put(id, vector, restricts);
    this.lexical.remove(id);
  }

  async search(query: string, options: VectorSearchOptions): Promise<VectorMatch[]> {
    const alpha = options.alpha ?? this.alpha;
    if (!isAlpha(alpha)) throw new RangeError(`alpha must be within [0, 1], got ${alpha}`);
    const restricts = rowRestricts(options);
    const dense = async (limit: number) => {
      const [vector] = await this.embedder.embed([query], 'query');
      return this.table.nearest(vector, limit, restricts);
    };
    // Dense only: the cosine similarities themselves, as a dense-only store answers.
    if (alpha === 1) return (await dense(options.limit)).map((m) => ({ id: m.id, score: m.score, dense: m.score }));
    const depth = Math.max(options.limit, FUSION_CANDIDATES);
    const lexical = this.lexical.search(query, depth, restricts);
    return fuseRanks(alpha === 0 ? [] : await dense(depth), lexical, alpha, options.limit);
  }

  /** Exact top-k by dot product (dense only), honouring the tenant, conversation and time restricts. */
  nearest(vector: Float32Array, options: VectorSearchOptions): VectorMatch[] {
    return this.table.nearest(vector, options.limit, rowRestricts(options));
  }

  async remove(ids: readonly string[]): Promise<void> {
    for (const id of ids) {
      this.table.remove(id);
      this.lexical.remove(id);
    }
  }
}
