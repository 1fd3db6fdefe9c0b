import { type Problem, defaultEmbeddingDimensions } from '../../contract';
import { MemoryOptionsError } from '../errors';
import type { Embedder } from '../types';
import { normalize } from './vectors';

/** FNV-1a, 32 bit: a fast, stable string hash (the same token lands in the same bucket everywhere). */
function fnv1a(text: string, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/**
 * Where related text starts for this embedder, measured by `npm run bench:min-score` (figures in
 * BENCHMARKS.md): the highest cutoff on a 0.05 grid that keeps every question paired with the fact
 * that answers it (the lowest such pair scores 0.119), which drops a fifth of the unrelated pairs
 * that pass at 0. Unrelated text often scores well above 0 here, since shared common words ("the",
 * "is", "my") land in the same buckets; a higher cutoff starts losing related pairs.
 */
export const HASHING_MIN_RELATED_SCORE = 0.1;

/**
 * The hashing embedder's weight of its ranking against BM25's in fusion, chosen with
 * `bench/hybrid-alpha.ts` (figures in BENCHMARKS.md, "Hybrid retrieval's fusion weight"): on its
 * generated conversations recall@10 stays within 0.005 of its best from 0.1 to 0.6, and drops
 * towards either pure signal (0.69 BM25 only, 0.67 dense only, 0.76 fused). 0.3 sits inside that
 * plateau, away from its edge at 0.1: a default for conversations in general, not the best point
 * of one generated set. It leans lexical because this embedder is the weaker signal (it knows
 * words, not meanings, and no word is rarer than another to it).
 */
export const HASHING_HYBRID_ALPHA = 0.3;

/**
 * A deterministic local embedder (feature hashing): each lowercase word and word pair adds ±1
 * to a hashed dimension, and the result is scaled to unit length. Texts that share words score
 * closer; there is no model to download, and no semantics beyond shared words either — it is the
 * embedded default for laptops and tests, not a substitute for a real embedding model.
 */
export class HashingEmbedder implements Embedder {
  readonly minRelatedScore = HASHING_MIN_RELATED_SCORE;
  readonly hybridAlpha = HASHING_HYBRID_ALPHA;

  constructor(readonly dimensions = defaultEmbeddingDimensions()) {
    const problems: Problem[] = Number.isInteger(dimensions) && dimensions >= 1 ? [] : [{ path: 'dimensions', message: `expected a positive integer, got ${dimensions}` }];
    if (problems.length > 0) throw new MemoryOptionsError('HashingEmbedder', problems);
  }

  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    return texts.map((t) => this.embedOne(t));
  }

  embedOne(text: string): Float32Array {
    const v = new Float32Array(this.dimensions);
    const words = text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
    const add = (feature: string, weight: number) => {
      const h = fnv1a(feature);
      v[h % this.dimensions] += (h & 0x80000000 ? -1 : 1) * weight;
    };
    for (let i = 0; i < words.length; i++) {
      add(words[i], 1);
      if (i > 0) add(`${words[i - 1]} ${words[i]}`, 0.5);
    }
    return normalize(v);
  }
}
