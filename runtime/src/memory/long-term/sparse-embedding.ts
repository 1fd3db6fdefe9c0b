/**
 * The sparse embeddings of Vertex AI Vector Search's token-based half of hybrid search.
 *
 * Google's "About hybrid search" (https://cloud.google.com/vertex-ai/docs/vector-search/about-hybrid-search)
 * leaves the weighting to the caller — "popular sparse embedding algorithms such as TF-IDF, BM25,
 * or SPLADE", BM25 named "an improved version of TF-IDF" — and reports how close a datapoint's
 * sparse embedding is to the query's as `sparse_distance` ("inverted distances, so a higher value
 * means a shorter distance"): in its example, a one-word query gets back each item's TF-IDF
 * weight of that word, the dot product. A ranking that is a sum over shared terms of a query
 * weight times a document weight is exactly such a dot product, and BM25 is one
 * (Robertson & Zaragoza, "The Probabilistic Relevance Framework: BM25 and Beyond", 2009):
 * `Σ IDF(t) · tf·(k1+1) / (tf + k1·(1 − b + b·|d|/avgdl))`. (The example's vectors are unit
 * length, so it cannot tell a dot product from a cosine; were it a cosine, the document weights
 * would in effect be length-normalized once more, and the ranking would stay lexical.)
 *
 * What a streaming index cannot give is corpus statistics: a datapoint's weights are fixed when it
 * is upserted, before most of the corpus exists, and Vector Search keeps no document frequencies.
 * So the weighting here is BM25 without them:
 * - document side, **BM25 saturated term frequency with length normalization against a fixed
 *   reference length** (`BM25_REFERENCE_LENGTH` standing in for avgdl): repeating a word stops
 *   paying after a few times, and a long text's many words count for less each;
 * - query side, **binary weights** (1 per distinct query term: BM25's query weight with IDF fixed
 *   at 1 and query term frequency ignored, as BM25 does for short queries).
 * The dot product is then BM25 with every IDF equal to 1. Rare-word emphasis is what is lost; the
 * stop words of `lexical.ts` remove the commonest words, which would otherwise dominate.
 */
import { bm25Term } from './bm25-index';
import { termDimension, termFrequencies } from './lexical';

/** `IndexDatapoint.SparseEmbedding` of the v1 protos: `values[i]` lies in dimension `dimensions[i]`. */
export interface SparseEmbedding {
  readonly values: number[];
  readonly dimensions: number[];
}

/**
 * The text length, in terms, that BM25's length normalization treats as ordinary (its avgdl): a
 * conversation turn or a stated fact is one or two sentences, a dozen or two words, of which the
 * stop words take about half. A shorter text's terms weigh more, a longer one's less; among texts
 * of one length the value changes no order.
 */
export const BM25_REFERENCE_LENGTH = 16;

/** A stored text's sparse embedding; undefined when it has no terms (nothing to match lexically). */
export function documentSparseEmbedding(text: string): SparseEmbedding | undefined {
  const frequencies = termFrequencies(text);
  let length = 0;
  for (const tf of frequencies.values()) length += tf;
  // BM25's term weight with an IDF of 1: a streaming index keeps no corpus statistics.
  return sparseOf([...frequencies].map(([term, tf]) => [term, bm25Term(tf, 1, length, BM25_REFERENCE_LENGTH)]));
}

/** A query's sparse embedding: 1 per distinct term; undefined when it has no terms. */
export function querySparseEmbedding(text: string): SparseEmbedding | undefined {
  return sparseOf([...termFrequencies(text).keys()].map((term) => [term, 1]));
}

/** Dimensions in first-seen order; two terms hashed to one dimension add up, as they would in the dot product. */
function sparseOf(weights: [string, number][]): SparseEmbedding | undefined {
  if (weights.length === 0) return undefined;
  const byDimension = new Map<number, number>();
  for (const [term, weight] of weights) {
    const dimension = termDimension(term);
    byDimension.set(dimension, (byDimension.get(dimension) ?? 0) + weight);
  }
  return { dimensions: [...byDimension.keys()], values: [...byDimension.values()] };
}
