import { RRF_K, fuseRanks } from '../../runtime/src/memory/long-term/fusion';

describe('reciprocal-rank fusion', () => {
  const dense = [
    { id: 'a', score: 0.9 },
    { id: 'b', score: 0.8 },
    { id: 'c', score: 0.7 },
  ];
  const lexical = [
    { id: 'c', score: 12.5 },
    { id: 'd', score: 3.1 },
  ];

  it('adds weighted 1/(k + rank) of each ranking, keeping each source score', () => {
    const fused = fuseRanks(dense, lexical, 0.5, 10);
    expect(fused.map((m) => m.id)).toEqual(['c', 'a', 'b', 'd']);
    expect(fused[0]).toEqual({ id: 'c', score: 0.5 / (RRF_K + 3) + 0.5 / (RRF_K + 1), dense: 0.7, lexical: 12.5 });
    expect(fused.find((m) => m.id === 'd')).toEqual({ id: 'd', score: 0.5 / (RRF_K + 2), lexical: 3.1 });
  });

  it('is the dense ranking at alpha 1 and the lexical one at alpha 0, limited', () => {
    expect(fuseRanks(dense, lexical, 1, 10).map((m) => m.id)).toEqual(['a', 'b', 'c']);
    expect(fuseRanks(dense, lexical, 0, 10).map((m) => m.id)).toEqual(['c', 'd']);
    expect(fuseRanks(dense, lexical, 0.5, 2)).toHaveLength(2);
    expect(fuseRanks([], [], 0.5, 5)).toEqual([]);
  });

  it('refuses an alpha outside [0, 1]', () => {
    for (const alpha of [-0.1, 1.5, Number.NaN]) expect(() => fuseRanks(dense, lexical, alpha, 5)).toThrow(RangeError);
  });
});
