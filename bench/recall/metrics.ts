/** The figures of the recall benchmark, each defined once. */
import { terms } from '../../runtime/src/memory/long-term/lexical';

/**
 * Share of `evidence` among the first `k` of `ranked` (best first): 1 when every evidence turn is
 * there, 0.5 when one of two is. A system that returns fewer than `k` is not padded.
 */
export function recallAt(k: number, evidence: readonly string[], ranked: readonly string[]): number {
  if (evidence.length === 0) throw new RangeError('recall of a question without evidence is undefined');
  const top = new Set(ranked.slice(0, k));
  return evidence.filter((id) => top.has(id)).length / evidence.length;
}

/** Nearest-rank percentile (q in (0, 1]) of ascending `sorted`; NaN for none. */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

export const mean = (values: readonly number[]): number => (values.length === 0 ? NaN : values.reduce((a, b) => a + b, 0) / values.length);

/**
 * Tokens of `text`, estimated as characters / 4 (rounded up): OpenAI's rule of thumb for English,
 * close enough to compare two systems' contexts. No tokenizer is a dependency of this repository.
 */
export const estimateTokens = (text: string): number => Math.ceil(text.length / 4);

/**
 * Share of the question's distinct terms (lexical.ts `terms`) that occur in its evidence: 1 when
 * the question could be answered by word matching alone, 0 when it shares no word with it.
 */
export function lexicalOverlap(question: string, evidence: readonly string[]): number {
  const asked = new Set(terms(question));
  if (asked.size === 0) return 0;
  const told = new Set(evidence.flatMap((text) => terms(text)));
  return [...asked].filter((t) => told.has(t)).length / asked.size;
}
