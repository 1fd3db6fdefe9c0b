import type { Ranked } from './fusion';
import { TopK } from './top-k';
import { termFrequencies, terms as termsOf } from './lexical';
import { type RowRestricts, hasTimeRange, occurredInRange } from './vector-table';

/**
 * BM25's parameters as commonly used: term-frequency saturation k1 = 1.2 and length normalization
 * b = 0.75 (Lucene's `BM25Similarity` defaults; Manning, Raghavan and Schütze, "Introduction to
 * Information Retrieval", §11.4.3: "reasonable values are … k1 between 1.2 and 2 … b = 0.75").
 */
export const BM25_K1 = 1.2;
export const BM25_B = 0.75;

/**
 * Inverse document frequency of a term in `n` of `N` documents: Robertson–Spärck Jones' weight
 * with Lucene's +1 inside the logarithm, which keeps it positive for terms in more than half of
 * the documents (the plain form goes negative there, and a tenant's first few items are exactly
 * such a small collection).
 */
export const bm25Idf = (n: number, N: number) => Math.log(1 + (N - n + 0.5) / (n + 0.5));

/**
 * One term's BM25 contribution (Robertson and Zaragoza, "The Probabilistic Relevance Framework:
 * BM25 and Beyond", Foundations and Trends in Information Retrieval 3(4), 2009, eq. 3.15 with
 * the IDF above): `idf · tf · (k1 + 1) / (tf + k1 · (1 − b + b · dl / avgdl))`.
 */
export const bm25Term = (tf: number, idf: number, length: number, averageLength: number) =>
  (idf * tf * (BM25_K1 + 1)) / (tf + BM25_K1 * (1 - BM25_B + (BM25_B * length) / averageLength));

interface Doc {
  readonly id: string;
  /** Its place in the score accumulator while indexed (freed slots are reused). */
  readonly slot: number;
  readonly tenantId?: string;
  readonly conversationId?: string;
  /** ms since the epoch; NaN: unknown. */
  readonly occurredAt: number;
  /** Terms in the document. */
  readonly length: number;
  readonly frequencies: ReadonlyMap<string, number>;
}

/** One tenant's documents: its own postings and statistics. */
interface Partition {
  docs: number;
  totalLength: number;
  /** Term → the documents holding it, with its frequency in each. */
  readonly postings: Map<string, Map<Doc, number>>;
}

/**
 * An in-process inverted index scoring by BM25 over the shared lexical `terms` (lexical.ts), so it
 * sees the words Vector Search's sparse embeddings see.
 *
 * Each tenant has its own partition: postings and collection statistics (document count, average
 * length, document frequencies), so another tenant's items are never candidates and never shift a
 * tenant's scores either. Without a tenant restrict the partitions are searched together, with
 * their statistics summed. A conversation restrict filters candidates within the tenant; the
 * statistics stay the tenant's. Documents without terms are not indexed (nor counted, as in
 * Lucene, whose statistics count documents that have the field). Removal and replacement take a
 * document's postings out exactly: no term keeps a posting of a document that no longer has it,
 * and a term without postings is dropped.
 */
export class Bm25Index {
  private readonly partitions = new Map<string | undefined, Partition>();
  private readonly docs = new Map<string, Doc>();
  private readonly freeSlots: number[] = [];
  private slots = 0;
  /** Score per slot during a search, zero between searches: no map of candidates to build. */
  private accumulator = new Float64Array(1024);

  get size(): number {
    return this.docs.size;
  }

  /** Indexes `text` under `id`, replacing what `id` had. */
  put(id: string, text: string, restricts: RowRestricts = {}): void {
    this.remove(id);
    const frequencies = termFrequencies(text);
    if (frequencies.size === 0) return;
    let length = 0;
    for (const tf of frequencies.values()) length += tf;
    const slot = this.freeSlots.pop() ?? this.slots++;
    if (slot >= this.accumulator.length) {
      const grown = new Float64Array(this.accumulator.length * 2);
      grown.set(this.accumulator);
      this.accumulator = grown;
    }
    const doc: Doc = { id, slot, tenantId: restricts.tenantId, conversationId: restricts.conversationId, occurredAt: restricts.occurredAt ?? NaN, length, frequencies };
    let partition = this.partitions.get(doc.tenantId);
    if (!partition) this.partitions.set(doc.tenantId, (partition = { docs: 0, totalLength: 0, postings: new Map() }));
    partition.docs++;
    partition.totalLength += length;
    for (const [term, tf] of frequencies) {
      let posting = partition.postings.get(term);
      if (!posting) partition.postings.set(term, (posting = new Map()));
      posting.set(doc, tf);
    }
    this.docs.set(id, doc);
  }

  /** Removes `id`; false when it was not indexed. */
  remove(id: string): boolean {
    const doc = this.docs.get(id);
    if (!doc) return false;
    this.docs.delete(id);
    this.freeSlots.push(doc.slot);
    const partition = this.partitions.get(doc.tenantId)!;
    for (const term of doc.frequencies.keys()) {
      const posting = partition.postings.get(term)!;
      posting.delete(doc);
      if (posting.size === 0) partition.postings.delete(term);
    }
    partition.docs--;
    partition.totalLength -= doc.length;
    if (partition.docs === 0) this.partitions.delete(doc.tenantId);
    return true;
  }

  clear(): void {
    this.partitions.clear();
    this.docs.clear();
    this.freeSlots.length = 0;
    this.slots = 0;
  }

  /**
   * The `limit` best documents for `query` by BM25, best first (equal scores by id), within
   * `restricts`. Each distinct query term counts once (a repeated word in a question is phrasing,
   * not emphasis).
   */
  search(query: string, limit: number, restricts: RowRestricts = {}): Ranked[] {
    const partitions = restricts.tenantId === undefined ? [...this.partitions.values()] : [this.partitions.get(restricts.tenantId)].filter((p) => p !== undefined);
    let N = 0;
    let totalLength = 0;
    for (const p of partitions) {
      N += p.docs;
      totalLength += p.totalLength;
    }
    if (N === 0 || limit <= 0) return [];
    const averageLength = totalLength / N;
    const acc = this.accumulator;
    const touched: Doc[] = [];
    // Like the conversation, a time range filters candidates; the statistics stay the tenant's.
    const ranged = hasTimeRange(restricts);
    for (const term of new Set(termsOf(query))) {
      const postings = partitions.map((p) => p.postings.get(term)).filter((s) => s !== undefined);
      const n = postings.reduce((sum, s) => sum + s.size, 0);
      if (n === 0) continue;
      const idf = bm25Idf(n, N);
      for (const posting of postings) {
        for (const [doc, tf] of posting) {
          if (restricts.conversationId !== undefined && doc.conversationId !== restricts.conversationId) continue;
          if (ranged && !occurredInRange(doc.occurredAt, restricts)) continue;
          if (acc[doc.slot] === 0) touched.push(doc);
          acc[doc.slot] += bm25Term(tf, idf, doc.length, averageLength);
        }
      }
    }
    // The limit-th best score, by a bounded heap (no sort of every candidate); then only what
    // reaches it is sorted, so that equal scores at the cut are taken by id, not by arrival.
    let cut = -Infinity;
    if (touched.length > limit) {
      const best = new TopK(limit);
      for (const doc of touched) best.push(acc[doc.slot], 0);
      cut = best.threshold;
    }
    const kept: Ranked[] = [];
    for (const doc of touched) {
      if (acc[doc.slot] >= cut) kept.push({ id: doc.id, score: acc[doc.slot] });
      acc[doc.slot] = 0;
    }
    return kept.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)).slice(0, limit);
  }

  /**
   * Every posting, as `tenant → term → ids` (sorted; `""` for documents without a tenant), with
   * each tenant's document count and total length: what the index holds, for checking that it is
   * exactly what its documents make.
   */
  snapshot(): Record<string, { docs: number; totalLength: number; postings: Record<string, string[]> }> {
    const out: Record<string, { docs: number; totalLength: number; postings: Record<string, string[]> }> = {};
    for (const [tenant, p] of this.partitions) {
      const postings: Record<string, string[]> = {};
      for (const term of [...p.postings.keys()].sort()) postings[term] = [...p.postings.get(term)!.keys()].map((d) => d.id).sort();
      out[tenant ?? ''] = { docs: p.docs, totalLength: p.totalLength, postings };
    }
    return out;
  }
}
