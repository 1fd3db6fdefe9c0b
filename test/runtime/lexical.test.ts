import { STOP_WORDS, termDimension, termFrequencies, terms } from '../../runtime/src/memory/long-term/lexical';

describe('lexical terms', () => {
  it('case-folds, normalizes and splits Unicode words, dropping function words but keeping numbers', () => {
    expect(terms('The Bakery in Lyon opened on 2024-05-03, ﬁnally!')).toEqual(['bakery', 'lyon', 'opened', '2024', '05', '03', 'finally']);
    expect(terms('Straße — ÉCOLE naïve 東京')).toEqual(['straße', 'école', 'naïve', '東京']);
    expect(terms('')).toEqual([]);
    expect(terms('the and of')).toEqual([]);
    for (const word of STOP_WORDS) expect(word).toBe(word.toLowerCase());
  });

  it('counts term frequencies', () => {
    expect([...termFrequencies('cat cat dog, the cat')]).toEqual([
      ['cat', 3],
      ['dog', 1],
    ]);
  });

  it('maps a term to its 32-bit FNV-1a dimension, stable across releases (published test vectors)', () => {
    // Test vectors of FNV-1a 32 (Fowler/Noll/Vo, draft-eastlake-fnv): "" → 0x811c9dc5, "a" → 0xe40c292c, "foobar" → 0xbf9cf968.
    expect(termDimension('')).toBe(0x811c9dc5);
    expect(termDimension('a')).toBe(0xe40c292c);
    expect(termDimension('foobar')).toBe(0xbf9cf968);
    expect(termDimension('école')).not.toBe(termDimension('ecole'));
  });
});
