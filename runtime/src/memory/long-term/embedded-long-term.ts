import { defaultEmbeddingDimensions } from '../../contract';
import type { Embedder, LayerStatus, LongTermStore, StoredItem, VectorMatch, VectorSearchOptions } from '../types';
import { HashingEmbedder } from './hashing-embedder';
import { dot } from './vectors';

export interface EmbeddedLongTermOptions {
  /** @default a HashingEmbedder as wide as the default embedding model's vectors */
  readonly embedder?: Embedder;
  /** Rows reserved up front; the matrix doubles when full. @default 1024 */
  readonly initialCapacity?: number;
}

interface Row {
  tenantId?: string;
  conversationId?: string;
}

/**
 * In-process vector index with exact search: every stored vector is compared with the query
 * (dot product of unit vectors = cosine similarity). Vectors live in one contiguous Float32Array
 * so a scan is a tight loop over memory; removal swaps the last row into the hole.
 */
export class EmbeddedLongTermStore implements LongTermStore {
  private readonly embedder: Embedder;
  private readonly dims: number;
  private matrix: Float32Array;
  private rows: Row[] = [];
  private ids: string[] = [];
  private readonly rowOf = new Map<string, number>();

  constructor(options: EmbeddedLongTermOptions = {}) {
    this.embedder = options.embedder ?? new HashingEmbedder(defaultEmbeddingDimensions());
    this.dims = this.embedder.dimensions;
    this.matrix = new Float32Array((options.initialCapacity ?? 1024) * this.dims);
  }

  /** The embedder's own (`HASHING_MIN_RELATED_SCORE` for the default one). */
  get minRelatedScore(): number | undefined {
    return this.embedder.minRelatedScore;
  }

  get size(): number {
    return this.ids.length;
  }

  async init(): Promise<void> {}

  async status(): Promise<LayerStatus> {
    return { layer: 'long-term', backend: 'embedded', embedded: true, ok: true, detail: `${this.size} vectors in process, exact search` };
  }

  async close(): Promise<void> {
    this.rows = [];
    this.ids = [];
    this.rowOf.clear();
  }

  async upsert(items: readonly StoredItem[]): Promise<void> {
    const vectors = await this.embedder.embed(items.map((i) => i.content), 'document');
    items.forEach((item, k) => this.put(item.id, vectors[k], { tenantId: item.tenantId, conversationId: item.conversationId }));
  }

  /** Stores a ready vector (unit length expected). */
  put(id: string, vector: Float32Array, row: Row = {}): void {
    if (vector.length !== this.dims) throw new RangeError(`vector for ${id} has ${vector.length} dimensions, expected ${this.dims}`);
    let index = this.rowOf.get(id);
    if (index === undefined) {
      index = this.ids.length;
      if ((index + 1) * this.dims > this.matrix.length) this.grow();
      this.ids.push(id);
      this.rows.push(row);
      this.rowOf.set(id, index);
    } else {
      this.rows[index] = row;
    }
    this.matrix.set(vector, index * this.dims);
  }

  async search(query: string, options: VectorSearchOptions): Promise<VectorMatch[]> {
    const [vector] = await this.embedder.embed([query], 'query');
    return this.nearest(vector, options);
  }

  /** Exact top-k by dot product, honouring the tenant and conversation restricts. */
  nearest(vector: Float32Array, options: VectorSearchOptions): VectorMatch[] {
    const k = options.limit;
    if (k <= 0) return [];
    // A small sorted buffer of the best k: cheaper than sorting every score for k ≪ n.
    const best: VectorMatch[] = [];
    for (let i = 0; i < this.ids.length; i++) {
      const row = this.rows[i];
      if (options.tenantId !== undefined && row.tenantId !== options.tenantId) continue;
      if (options.conversationId !== undefined && row.conversationId !== options.conversationId) continue;
      const score = dot(vector, this.matrix, i * this.dims);
      if (best.length === k && score <= best[k - 1].score) continue;
      let at = best.length;
      while (at > 0 && best[at - 1].score < score) at--;
      best.splice(at, 0, { id: this.ids[i], score });
      if (best.length > k) best.pop();
    }
    return best;
  }

  async remove(ids: readonly string[]): Promise<void> {
    for (const id of ids) {
      const index = this.rowOf.get(id);
      if (index === undefined) continue;
      const last = this.ids.length - 1;
      if (index !== last) {
        this.matrix.copyWithin(index * this.dims, last * this.dims, (last + 1) * this.dims);
        this.ids[index] = this.ids[last];
        this.rows[index] = this.rows[last];
        this.rowOf.set(this.ids[index], index);
      }
      this.ids.pop();
      this.rows.pop();
      this.rowOf.delete(id);
    }
  }

  private grow(): void {
    const next = new Float32Array(Math.max(this.matrix.length * 2, this.dims));
    next.set(this.matrix);
    this.matrix = next;
  }
}
