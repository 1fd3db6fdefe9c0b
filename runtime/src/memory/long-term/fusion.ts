import type { VectorMatch } from '../types';

/**
 * The k of reciprocal-rank fusion (Cormack, Clarke and Büttcher, SIGIR 2009: "k = 60 was fixed
 * during a pilot investigation and not altered"): damps the weight of the very first ranks.
 */
export const RRF_K = 60;

/**
 * Dense and lexical rankings merged with equal weight, in every store, as in Google's hybrid
 * search example (`rrf_ranking_alpha=0.5`: "0.5 means they will be merged with the same weight",
 * "About hybrid search", https://cloud.google.com/vertex-ai/docs/vector-search/about-hybrid-search).
 * An embedder with a weight measured for it (`Embedder.hybridAlpha`) uses its own.
 */
export const DEFAULT_HYBRID_ALPHA = 0.5;

export interface Ranked {
  readonly id: string;
  readonly score: number;
}

/**
 * Fuses a dense and a lexical ranking (each best first) by weighted reciprocal rank:
 * `alpha / (k + rank_dense) + (1 - alpha) / (k + rank_lexical)`, ranks from 1, a missing rank
 * contributing nothing; `alpha` weighs dense against lexical as Vector Search's `RRF.alpha` does.
 * Ties keep the dense order, then the lexical one. Each match keeps its source scores.
 */
/** Whether `alpha` is a fusion weight: a number from 0 (lexical only) to 1 (dense only). */
export function isAlpha(alpha: unknown): alpha is number {
  return typeof alpha === 'number' && alpha >= 0 && alpha <= 1;
}

export function fuseRanks(dense: readonly Ranked[], lexical: readonly Ranked[], alpha: number, limit: number, k = RRF_K): VectorMatch[] {
  if (!isAlpha(alpha)) throw new RangeError(`alpha must be within [0, 1], got ${alpha}`);
  const fused = new Map<string, { score: number; dense?: number; lexical?: number; order: number }>();
  dense.forEach((m, i) => fused.set(m.id, { score: alpha / (k + i + 1), dense: m.score, order: i }));
  lexical.forEach((m, i) => {
    const entry = fused.get(m.id);
    const part = (1 - alpha) / (k + i + 1);
    if (entry) Object.assign(entry, { score: entry.score + part, lexical: m.score });
    else fused.set(m.id, { score: part, lexical: m.score, order: dense.length + i });
  });
  return [...fused.entries()]
    .filter(([, m]) => m.score > 0)
    .sort(([, a], [, b]) => b.score - a.score || a.order - b.order)
    .slice(0, limit)
    .map(([id, { score, dense: d, lexical: l }]) => ({ id, score, ...(d === undefined ? {} : { dense: d }), ...(l === undefined ? {} : { lexical: l }) }));
}
