/**
 * The lexical side of long-term retrieval, shared by every backend so that the embedded BM25 index
 * and Vertex AI Vector Search's sparse embeddings see the same terms: text → terms, and a term →
 * its dimension in a sparse vector.
 *
 * Terms are Unicode words (letters, digits; apostrophes and hyphens inside a word split it),
 * case-folded and NFKC-normalized, without a small set of English function words, which carry no
 * signal but dominate any term-frequency weighting that has no corpus statistics (Vector Search's
 * sparse dot product). Numbers are kept: dates, amounts and codes are what lexical search finds
 * best where dense embeddings blur them.
 */

/** English function words (the shortest, most frequent ones): never terms. */
export const STOP_WORDS: ReadonlySet<string> = new Set(
  (
    'a an and are as at be been but by do does did for from had has have he her him his i if in into is it its me my ' +
    'no not of on or our she so than that the their them then there these they this those to too us was we were what ' +
    'when where which who whom why will with would you your'
  ).split(' '),
);

const WORD = /[\p{L}\p{N}]+/gu;
const utf8 = new TextEncoder();

/** The terms of `text`, in order, repeats kept (term frequency is the caller's to count). */
export function terms(text: string): string[] {
  const words = text.normalize('NFKC').toLowerCase().match(WORD) ?? [];
  return words.filter((w) => !STOP_WORDS.has(w));
}

/** Term → count. */
export function termFrequencies(text: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const term of terms(text)) counts.set(term, (counts.get(term) ?? 0) + 1);
  return counts;
}

/**
 * The dimension of `term` in a sparse vector: 32-bit FNV-1a of its UTF-8 bytes. Stable across
 * processes and releases (a stored sparse embedding must keep meaning what it meant), with
 * collisions rare enough (~1 in 4 billion per pair) to be noise next to tokenization's own.
 */
export function termDimension(term: string): number {
  let hash = 0x811c9dc5;
  for (const byte of utf8.encode(term)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}
