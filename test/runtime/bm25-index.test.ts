import { BM25_B, BM25_K1, Bm25Index, bm25Idf } from '../../runtime/src/memory/long-term/bm25-index';

// BM25 as in Robertson and Zaragoza, "The Probabilistic Relevance Framework: BM25 and Beyond"
// (2009), with Lucene's non-negative IDF, ln(1 + (N − n + 0.5) / (n + 0.5)), k1 = 1.2, b = 0.75.

describe('Bm25Index', () => {
  it('uses the common parameters', () => {
    expect([BM25_K1, BM25_B]).toEqual([1.2, 0.75]);
  });

  it('scores a small collection as computed by hand', () => {
    // Terms (stop words are none): d1 apple×2 banana (3 terms), d2 banana cherry (2), d3 cherry
    // date elderberry fig (4). N = 3, avgdl = 9 / 3 = 3. Query "the apple and cherry": apple, cherry.
    //   idf(apple, n=1)  = ln(1 + 2.5/1.5) = ln(8/3) = 0.980829…
    //   idf(cherry, n=2) = ln(1 + 1.5/2.5) = ln(1.6) = 0.470004…
    //   d1: apple  tf 2, dl 3: 0.980829 · 2·2.2 / (2 + 1.2·(0.25 + 0.75·3/3)) = 0.980829 · 4.4/3.2 = 1.348640
    //   d2: cherry tf 1, dl 2: 0.470004 · 2.2 / (1 + 1.2·(0.25 + 0.75·2/3)) = 0.470004 · 2.2/1.9 = 0.544215
    //   d3: cherry tf 1, dl 4: 0.470004 · 2.2 / (1 + 1.2·(0.25 + 0.75·4/3)) = 0.470004 · 2.2/2.5 = 0.413603
    const index = new Bm25Index();
    index.put('d1', 'Apple, banana; APPLE!', { tenantId: 't' });
    index.put('d2', 'banana cherry', { tenantId: 't' });
    index.put('d3', 'cherry date elderberry fig', { tenantId: 't' });
    expect(bm25Idf(1, 3)).toBeCloseTo(Math.log(8 / 3), 12);
    const hits = index.search('the apple and cherry', 10, { tenantId: 't' });
    expect(hits.map((h) => h.id)).toEqual(['d1', 'd2', 'd3']);
    expect(hits[0].score).toBeCloseTo(1.34864, 5);
    expect(hits[1].score).toBeCloseTo(0.544215, 5);
    expect(hits[2].score).toBeCloseTo(0.413603, 5);
  });

  it('keeps each tenant’s statistics its own: another tenant neither adds candidates nor moves scores', async () => {
    const index = new Bm25Index();
    const mine = () => index.search('apple cherry', 10, { tenantId: 'mine' });
    index.put('d1', 'apple banana apple', { tenantId: 'mine' });
    index.put('d2', 'banana cherry', { tenantId: 'mine' });
    const before = mine();
    for (let i = 0; i < 50; i++) index.put(`x${i}`, i % 2 ? 'apple apple apple' : 'cherry pie with apple', { tenantId: 'theirs' });
    expect(mine()).toEqual(before);
    expect(index.search('apple', 100, { tenantId: 'theirs' })).toHaveLength(50);
    expect(index.search('apple', 10, { tenantId: 'nobody' })).toEqual([]);
  });

  it('searches every tenant together without a tenant restrict, statistics summed', () => {
    const index = new Bm25Index();
    index.put('a', 'apple', { tenantId: 'x' });
    index.put('b', 'apple pie', { tenantId: 'y' });
    index.put('c', 'pear', {});
    const hits = index.search('apple', 10);
    expect(hits.map((h) => h.id)).toEqual(['a', 'b']);
    // N = 3, n = 2, avgdl = 4/3: a has dl 1.
    expect(hits[0].score).toBeCloseTo((bm25Idf(2, 3) * 2.2) / (1 + 1.2 * (0.25 + (0.75 * 1) / (4 / 3))), 12);
  });

  it('restricts to a conversation within the tenant’s statistics', () => {
    const index = new Bm25Index();
    index.put('a', 'apple tart', { tenantId: 't', conversationId: 'c1' });
    index.put('b', 'apple', { tenantId: 't', conversationId: 'c2' });
    index.put('c', 'apple', { tenantId: 'u', conversationId: 'c1' });
    const all = index.search('apple', 10, { tenantId: 't' });
    const inC1 = index.search('apple', 10, { tenantId: 't', conversationId: 'c1' });
    expect(inC1).toEqual([all.find((h) => h.id === 'a')]);
    expect(index.search('apple', 10, { conversationId: 'c1' }).map((h) => h.id).sort()).toEqual(['a', 'c']);
  });

  it('counts each distinct query term once, and finds nothing for a query of stop words', () => {
    const index = new Bm25Index();
    index.put('a', 'apple', {});
    index.put('b', 'banana', {});
    expect(index.search('apple apple apple', 10)).toEqual(index.search('apple', 10));
    expect(index.search('what is the', 10)).toEqual([]);
    expect(index.search('apple', 0)).toEqual([]);
  });

  it('honours the limit, best first, equal scores by id', () => {
    const index = new Bm25Index();
    for (const id of ['e', 'b', 'd', 'a', 'c']) index.put(id, 'same words here', {});
    index.put('z', 'same same words here', {});
    expect(index.search('same', 3).map((h) => h.id)).toEqual(['z', 'a', 'b']);
  });

  it('stays exact through replacement and removal: the postings of the surviving documents, no stale ones', () => {
    const changed = new Bm25Index();
    changed.put('d1', 'red apples', { tenantId: 't1' });
    changed.put('d2', 'green pears and red grapes', { tenantId: 't1' });
    changed.put('d3', 'yellow bananas', { tenantId: 't2' });
    changed.put('d4', 'purple plums', { tenantId: 't2', conversationId: 'c' });
    changed.put('d2', 'blue berries', { tenantId: 't1' }); // replaced: pears, grapes, green, red (of d2) go
    changed.remove('d1'); // red and apples go with it
    changed.put('d3', 'yellow lemons', { tenantId: 't1' }); // moved to another tenant, new words
    changed.put('d5', 'the', { tenantId: 't3' }); // no terms: not indexed
    expect(changed.remove('missing')).toBe(false);

    const fresh = new Bm25Index();
    fresh.put('d2', 'blue berries', { tenantId: 't1' });
    fresh.put('d3', 'yellow lemons', { tenantId: 't1' });
    fresh.put('d4', 'purple plums', { tenantId: 't2', conversationId: 'c' });
    expect(changed.snapshot()).toEqual(fresh.snapshot());
    expect(changed.snapshot()).toEqual({
      t1: { docs: 2, totalLength: 4, postings: { berries: ['d2'], blue: ['d2'], lemons: ['d3'], yellow: ['d3'] } },
      t2: { docs: 1, totalLength: 2, postings: { plums: ['d4'], purple: ['d4'] } },
    });
    expect(changed.search('red apples pears grapes bananas', 10)).toEqual([]);
    expect(changed.size).toBe(3);

    for (const id of ['d2', 'd3', 'd4']) expect(changed.remove(id)).toBe(true);
    expect(changed.snapshot()).toEqual({});
    expect(changed.size).toBe(0);
    expect(changed.search('blue', 10)).toEqual([]);
  });
});
