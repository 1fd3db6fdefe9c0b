/**
 * The baseline: plain Okapi BM25 over the same turns, tokenized by the same `terms()` as the
 * memory's lexical side (runtime/src/memory/long-term/lexical.ts), so the two differ in scoring
 * only. Standalone on purpose: a baseline must not move when the memory's own index changes.
 */
import { terms } from '../../runtime/src/memory/long-term/lexical';

/** Robertson and Zaragoza, "The Probabilistic Relevance Framework: BM25 and Beyond" (2009): the usual defaults. */
export const BM25_K1 = 1.2;
export const BM25_B = 0.75;

export interface Bm25Match {
  readonly id: string;
  readonly score: number;
}

interface Posting {
  readonly doc: number;
  readonly tf: number;
}

/**
 * score(d, q) = Σ over the distinct terms t of q: idf(t) · tf·(k1 + 1) / (tf + k1·(1 − b + b·|d|/avgdl)),
 * idf(t) = ln(1 + (N − df + 0.5) / (df + 0.5)) — Lucene's form, never negative, so a term in most
 * documents still counts a little instead of counting against them.
 */
export class Bm25Index {
  private readonly ids: string[] = [];
  private readonly lengths: number[] = [];
  private readonly postings = new Map<string, Posting[]>();
  private totalLength = 0;

  constructor(
    private readonly k1 = BM25_K1,
    private readonly b = BM25_B,
  ) {}

  get size(): number {
    return this.ids.length;
  }

  add(id: string, text: string): void {
    const doc = this.ids.length;
    const words = terms(text);
    const counts = new Map<string, number>();
    for (const w of words) counts.set(w, (counts.get(w) ?? 0) + 1);
    for (const [term, tf] of counts) {
      const list = this.postings.get(term);
      if (list) list.push({ doc, tf });
      else this.postings.set(term, [{ doc, tf }]);
    }
    this.ids.push(id);
    this.lengths.push(words.length);
    this.totalLength += words.length;
  }

  idf(term: string): number {
    const df = this.postings.get(term)?.length ?? 0;
    return Math.log(1 + (this.ids.length - df + 0.5) / (df + 0.5));
  }

  /** The best `limit` documents sharing a term with `query`, best first; ties in the order added. */
  search(query: string, limit: number): Bm25Match[] {
    if (this.ids.length === 0 || limit <= 0) return [];
    const avgdl = this.totalLength / this.ids.length || 1;
    const scores = new Map<number, number>();
    for (const term of new Set(terms(query))) {
      const list = this.postings.get(term);
      if (!list) continue;
      const idf = this.idf(term);
      for (const { doc, tf } of list) {
        const norm = tf + this.k1 * (1 - this.b + (this.b * this.lengths[doc]) / avgdl);
        scores.set(doc, (scores.get(doc) ?? 0) + (idf * tf * (this.k1 + 1)) / norm);
      }
    }
    return [...scores]
      .sort(([da, a], [db, b]) => b - a || da - db)
      .slice(0, limit)
      .map(([doc, score]) => ({ id: this.ids[doc], score }));
  }
}
