import { termDimension } from '../../runtime/src/memory/long-term/lexical';
import { BM25_B, BM25_K1 } from '../../runtime/src/memory/long-term/bm25-index';
import { BM25_REFERENCE_LENGTH, documentSparseEmbedding, querySparseEmbedding } from '../../runtime/src/memory/long-term/sparse-embedding';

// BM25's document-side term weight (Robertson & Zaragoza 2009) with the reference length as avgdl.
const bm25 = (tf: number, length: number) => (tf * (BM25_K1 + 1)) / (tf + BM25_K1 * (1 - BM25_B + (BM25_B * length) / BM25_REFERENCE_LENGTH));
const weightOf = (text: string, term: string) => {
  const sparse = documentSparseEmbedding(text);
  const i = sparse?.dimensions.indexOf(termDimension(term)) ?? -1;
  return i < 0 ? undefined : sparse?.values[i];
};

describe('sparse embeddings for Vector Search hybrid search', () => {
  it('weighs a document’s terms by BM25 saturated term frequency against the reference length', () => {
    const text = 'Lyon bakery, Lyon croissants and Lyon bread';
    // Terms: lyon ×3, bakery, croissants, bread ("and" is a stop word): 6 in all.
    expect(documentSparseEmbedding(text)?.dimensions).toEqual(['lyon', 'bakery', 'croissants', 'bread'].map(termDimension));
    expect(weightOf(text, 'lyon')).toBeCloseTo(bm25(3, 6), 12);
    expect(weightOf(text, 'bread')).toBeCloseTo(bm25(1, 6), 12);
    expect(weightOf(text, 'and')).toBeUndefined();
  });

  it('saturates repetition and normalizes length', () => {
    // Three times the word is worth less than three times the weight, and never more than k1 + 1.
    expect(weightOf('lyon lyon lyon', 'lyon')!).toBeLessThan(3 * weightOf('lyon', 'lyon')!);
    expect(weightOf(Array(200).fill('lyon').join(' '), 'lyon')!).toBeLessThan(BM25_K1 + 1);
    // The same single mention weighs less in a longer text; at the reference length it is plain BM25's tf 1 weight, 1.
    const words = (n: number) => ['lyon', ...Array.from({ length: n - 1 }, (_, i) => `w${i}`)].join(' ');
    expect(weightOf(words(40), 'lyon')!).toBeLessThan(weightOf(words(4), 'lyon')!);
    expect(weightOf(words(BM25_REFERENCE_LENGTH), 'lyon')).toBeCloseTo(1, 12);
  });

  it('gives each distinct query term weight 1, so the dot product is BM25 with IDF 1', () => {
    expect(querySparseEmbedding('Where is my bakery? The bakery in Lyon!')).toEqual({ dimensions: ['bakery', 'lyon'].map(termDimension), values: [1, 1] });
    const doc = documentSparseEmbedding('my bakery in Lyon sells bread')!;
    const q = querySparseEmbedding('bakery Lyon')!;
    const dotProduct = q.dimensions.reduce((sum, d, i) => sum + q.values[i] * (doc.values[doc.dimensions.indexOf(d)] ?? 0), 0);
    expect(dotProduct).toBeCloseTo(2 * bm25(1, 4), 12); // bakery, lyon, sells, bread
  });

  it('has no sparse embedding for a text without terms', () => {
    expect(documentSparseEmbedding('')).toBeUndefined();
    expect(documentSparseEmbedding('the and of, it is!')).toBeUndefined();
    expect(querySparseEmbedding('what is it')).toBeUndefined();
  });

  it('adds up two terms that hash to one dimension, as the dot product would', () => {
    // A known FNV-1a 32-bit collision.
    expect(termDimension('costarring')).toBe(termDimension('liquid'));
    expect(querySparseEmbedding('costarring liquid')).toEqual({ dimensions: [termDimension('liquid')], values: [2] });
    expect(documentSparseEmbedding('costarring liquid')).toEqual({ dimensions: [termDimension('liquid')], values: [2 * bm25(1, 2)] });
  });
});
