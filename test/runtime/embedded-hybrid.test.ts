import { ConfigError, RuntimeSettings as S, parseRuntimeConfig } from '../../runtime/src/contract';
import { createMemory } from '../../runtime/src/memory/create-memory';
import { MemoryOptionsError } from '../../runtime/src/memory/errors';
import { EmbeddedLongTermStore } from '../../runtime/src/memory/long-term/embedded-long-term';
import { DEFAULT_HYBRID_ALPHA } from '../../runtime/src/memory/long-term/fusion';
import { Bm25Index } from '../../runtime/src/memory/long-term/bm25-index';
import { HASHING_HYBRID_ALPHA, HASHING_MIN_RELATED_SCORE, HashingEmbedder } from '../../runtime/src/memory/long-term/hashing-embedder';
import { normalize } from '../../runtime/src/memory/long-term/vectors';
import { LayeredMemoryManager } from '../../runtime/src/memory/manager';
import { EmbeddedMidTermStore } from '../../runtime/src/memory/mid-term/embedded-mid-term';
import { EmbeddedShortTermStore } from '../../runtime/src/memory/short-term/embedded-short-term';
import type { Embedder, LongTermStore, StoredItem, VectorMatch, VectorSearchOptions } from '../../runtime/src/memory/types';
import { hybridLongTermContract } from './contracts/hybrid-long-term-contract';

// Embedded only for now: the Vertex AI store becomes hybrid in parallel (see the contract's note).
hybridLongTermContract('embedded', async () => ({ store: new EmbeddedLongTermStore({ initialCapacity: 2 }), teardown: async () => {} }));
hybridLongTermContract('embedded, int8 vectors', async () => ({ store: new EmbeddedLongTermStore({ precision: 'int8' }), teardown: async () => {} }));

const item = (id: string, content: string, extra: Partial<StoredItem> = {}): StoredItem => ({ id, content, createdAt: '2026-01-01T00:00:00.000Z', ...extra });

/**
 * A stand-in for a model that knows meanings: words of one concept share a dimension, so
 * "automobile" and "car" embed alike while sharing no letters, which no lexical index can match.
 */
const CONCEPTS: Record<string, number> = { car: 0, automobile: 0, vehicle: 0, doctor: 1, physician: 1, garage: 2, parked: 2, parking: 2, appointment: 3, visit: 3 };
const conceptEmbedder: Embedder = {
  dimensions: 8,
  async embed(texts) {
    return texts.map((text) => {
      const v = new Float32Array(8);
      for (const word of text.toLowerCase().match(/\p{L}+/gu) ?? []) v[CONCEPTS[word] ?? 4 + (word.length % 4)] += 1;
      return normalize(v);
    });
  },
};

describe('EmbeddedLongTermStore hybrid search', () => {
  it('is hybrid by default, at its embedder\'s weight, else at equal weight', () => {
    expect(new EmbeddedLongTermStore().alpha).toBe(HASHING_HYBRID_ALPHA);
    expect(new EmbeddedLongTermStore({ embedder: conceptEmbedder }).alpha).toBe(DEFAULT_HYBRID_ALPHA);
    expect(new EmbeddedLongTermStore({ embedder: conceptEmbedder, alpha: 0.9 }).alpha).toBe(0.9);
    for (const alpha of [HASHING_HYBRID_ALPHA, DEFAULT_HYBRID_ALPHA]) {
      expect(alpha).toBeGreaterThan(0);
      expect(alpha).toBeLessThan(1);
    }
  });

  it('finds a semantic-only match: no shared term, found by the dense signal', async () => {
    const store = new EmbeddedLongTermStore({ embedder: conceptEmbedder });
    await store.upsert([item('auto', 'the automobile is in the garage'), item('other', 'lunch with Sam on Friday')]);
    expect(await store.search('where is my car parked', { limit: 5, alpha: 0 })).toEqual([]);
    const [best] = await store.search('where is my car parked', { limit: 5 });
    expect(best).toEqual({ id: 'auto', score: expect.any(Number), dense: expect.any(Number) });
    expect(best.dense).toBeGreaterThan(0.5);
  });

  it('orders as dense-only search does at alpha 1 (nearest), and as BM25 alone at alpha 0', async () => {
    const store = new EmbeddedLongTermStore();
    const texts = ['billing invoice overdue', 'invoice for the cloud bill', 'deploy the cloud service', 'the service is down', 'overdue library books'];
    await store.upsert(texts.map((t, i) => item(`d${i}`, t)));
    const [vector] = await new HashingEmbedder().embed(['overdue cloud invoice']);
    const dense = store.nearest(vector, { limit: 5 });
    const atOne = await store.search('overdue cloud invoice', { limit: 5, alpha: 1 });
    expect(atOne.map((m) => m.id)).toEqual(dense.map((m) => m.id));
    expect(atOne.map((m) => m.score)).toEqual(dense.map((m) => m.score));
    const bm25 = new Bm25Index();
    texts.forEach((t, i) => bm25.put(`d${i}`, t));
    const atZero = await store.search('overdue cloud invoice', { limit: 5, alpha: 0 });
    expect(atZero.map((m) => m.id)).toEqual(bm25.search('overdue cloud invoice', 5).map((m) => m.id));
    expect(atZero.map((m) => m.lexical)).toEqual(bm25.search('overdue cloud invoice', 5).map((m) => m.score));
  });

  it('keeps the inverted index exact: replaced words and removed items are never found again, and score as if never stored', async () => {
    const store = new EmbeddedLongTermStore();
    await store.upsert([
      item('a', 'zeppelin hangar in Friedrichshafen', { tenantId: 't', conversationId: 'c1' }),
      item('b', 'zeppelin rides are pricey', { tenantId: 't' }),
      item('c', 'zeppelin museum by the lake', { tenantId: 't' }),
      item('d', 'lake zeppelin lake', { tenantId: 'u' }),
    ]);
    await store.upsert([item('a', 'a quiet afternoon by the lake', { tenantId: 't', conversationId: 'c2' })]);
    await store.remove(['b', 'never-stored']);
    await store.upsert([item('d', 'lake cruise', { tenantId: 't' })]);
    const lexical = (s: EmbeddedLongTermStore, query: string, extra: Partial<VectorSearchOptions> = {}) => s.search(query, { limit: 10, alpha: 0, tenantId: 't', ...extra });
    const ids = async (query: string, extra: Partial<VectorSearchOptions> = {}) => (await lexical(store, query, extra)).map((m) => m.id);
    expect(await ids('hangar Friedrichshafen rides pricey')).toEqual([]);
    expect(await ids('lake', { conversationId: 'c1' })).toEqual([]);
    expect(await ids('lake', { conversationId: 'c2' })).toEqual(['a']);
    expect(await ids('lake', { tenantId: 'u' })).toEqual([]);
    // Statistics too: the same scores as a store that only ever held the survivors.
    const fresh = new EmbeddedLongTermStore();
    await fresh.upsert([item('c', 'zeppelin museum by the lake', { tenantId: 't' }), item('a', 'a quiet afternoon by the lake', { tenantId: 't', conversationId: 'c2' }), item('d', 'lake cruise', { tenantId: 't' })]);
    const everyWord = 'zeppelin hangar Friedrichshafen rides pricey museum lake quiet afternoon cruise';
    expect(await lexical(store, everyWord)).toEqual(await lexical(fresh, everyWord));
    await store.remove(['a', 'c', 'd']);
    expect(await ids(everyWord)).toEqual([]);
    expect(store.size).toBe(0);
  });

  it('drops an item’s words when a ready vector replaces it (put): the text it had is gone', async () => {
    const store = new EmbeddedLongTermStore();
    await store.upsert([item('c', 'marzipan potatoes', { tenantId: 't' })]);
    store.put('c', normalize(Float32Array.from({ length: 768 }, (_, i) => (i === 3 ? 1 : 0))), { tenantId: 't' });
    expect(await store.search('marzipan', { limit: 5, alpha: 0, tenantId: 't' })).toEqual([]);
    expect(store.size).toBe(1);
  });

  it('forgets everything on close', async () => {
    const store = new EmbeddedLongTermStore();
    await store.upsert([item('a', 'walrus tusks', { tenantId: 't' })]);
    await store.close();
    expect(store.size).toBe(0);
    expect(await store.search('walrus', { limit: 5, tenantId: 't' })).toEqual([]);
  });

  it('says in its status that it searches both signals', async () => {
    expect((await new EmbeddedLongTermStore().status()).detail).toMatch(/0 vectors in process, exact hybrid search \(dense \+ BM25\)/);
    expect((await new EmbeddedLongTermStore({ precision: 'int8' }).status()).detail).toMatch(/0 int8 vectors/);
  });

  it('refuses a fusion weight outside [0, 1], an unknown precision and a nonsensical capacity, naming the option', async () => {
    for (const alpha of [-0.1, 1.01, Number.NaN]) {
      expect(() => new EmbeddedLongTermStore({ alpha })).toThrow(MemoryOptionsError);
      await expect(new EmbeddedLongTermStore().search('q', { limit: 1, alpha })).rejects.toThrow(/alpha must be within \[0, 1\]/);
    }
    expect(() => new EmbeddedLongTermStore({ precision: 'int4' as never })).toThrow(/precision: expected "float32" or "int8", got "int4"/);
    for (const initialCapacity of [0, 1.5, -3]) expect(() => new EmbeddedLongTermStore({ initialCapacity })).toThrow(`initialCapacity: expected a positive integer, got ${initialCapacity}`);
  });
});

describe('the manager over hybrid search', () => {
  // The cutoffs below are the hashing embedder's, measured for it.
  const HASHING = { [S.embeddingProvider]: 'hashing' };
  const CODE_TURN = 'Quick note before I forget: replacement router finally arrived, serial number QX7731 printed under its battery cover beside a barcode sticker';

  async function semantic(memory: LayeredMemoryManager, turns: string[], query: string): Promise<string[]> {
    await memory.init();
    for (const [i, content] of turns.entries()) await memory.store({ id: `turn-${i}`, content, conversationId: 'c1', tenantId: 'acme' }, 'high');
    const context = await memory.retrieveContext(query, 'c2', { tenantId: 'acme' });
    await memory.close();
    return context.semantic.map((m) => m.item.content);
  }

  it('keeps a match found lexically although its cosine is under the cutoff, and cuts a dense-only one under it', async () => {
    const found = await semantic(createMemory(parseRuntimeConfig(HASHING).memory), [CODE_TURN, 'what is the name of the new neighbour'], 'what is the status of QX7731');
    // The neighbour turn shares only function words: dense-only evidence, cosine 0.6, kept too.
    expect(found).toEqual([CODE_TURN, 'what is the name of the new neighbour']);
    const strict = await semantic(createMemory(parseRuntimeConfig({ ...HASHING, [S.semanticMinScore]: '0.7' }).memory), [CODE_TURN, 'what is the name of the new neighbour'], 'what is the status of QX7731');
    expect(strict).toEqual([CODE_TURN]);
    // Dense only (ORCHESTRA_HYBRID_ALPHA=1): the code's cosine, under the hashing cutoff, cuts it.
    const denseOnly = await semantic(createMemory(parseRuntimeConfig({ ...HASHING, [S.hybridAlpha]: '1' }).memory), [CODE_TURN], 'what is the status of QX7731');
    expect(denseOnly).toEqual([]);
    expect(HASHING_MIN_RELATED_SCORE).toBe(0.1);
  });

  it('passes its fusion weight to the store, and leaves the store its own without one', async () => {
    const seen: (number | undefined)[] = [];
    const spy: LongTermStore = {
      init: async () => {},
      status: async () => ({ layer: 'long-term', backend: 'spy', embedded: true, ok: true }),
      close: async () => {},
      upsert: async () => {},
      remove: async () => {},
      search: async (_query, options) => (seen.push(options.alpha), []),
    };
    const layers = () => ({ shortTerm: new EmbeddedShortTermStore(), midTerm: new EmbeddedMidTermStore(), longTerm: spy });
    await new LayeredMemoryManager(layers(), { hybridAlpha: 0.8 }).retrieveContext('q', 'c');
    await new LayeredMemoryManager(layers()).retrieveContext('q', 'c');
    expect(seen).toEqual([0.8, undefined]);
    expect(() => new LayeredMemoryManager(layers(), { hybridAlpha: 2 })).toThrow(/hybridAlpha: expected a number from 0 to 1, got 2/);
  });

  it('applies the cutoff to a dense-only store’s score, as before hybrid search', async () => {
    const matches: VectorMatch[] = [
      { id: 'x', score: 0.5 },
      { id: 'y', score: 0.05 },
    ];
    const denseOnly: LongTermStore = {
      init: async () => {},
      status: async () => ({ layer: 'long-term', backend: 'dense', embedded: true, ok: true }),
      close: async () => {},
      upsert: async () => {},
      remove: async () => {},
      search: async () => matches,
      minRelatedScore: 0.1,
    };
    const shortTerm = new EmbeddedShortTermStore();
    const memory = new LayeredMemoryManager({ shortTerm, midTerm: new EmbeddedMidTermStore(), longTerm: denseOnly });
    await memory.store({ id: 'x', content: 'x' }, 'low');
    await memory.store({ id: 'y', content: 'y' }, 'low');
    expect((await memory.retrieveContext('q', 'c')).semantic.map((m) => m.item.id)).toEqual(['x']);
  });
});

describe('ORCHESTRA_HYBRID_ALPHA', () => {
  it('is unset by default (the store decides: hybrid) and reads a weight from 0 to 1', () => {
    expect(parseRuntimeConfig({}).memory.hybridAlpha).toBeUndefined();
    expect(parseRuntimeConfig({ [S.hybridAlpha]: '0' }).memory.hybridAlpha).toBe(0);
    expect(parseRuntimeConfig({ [S.hybridAlpha]: ' .25 ' }).memory.hybridAlpha).toBe(0.25);
    expect(parseRuntimeConfig({ [S.hybridAlpha]: '1' }).memory.hybridAlpha).toBe(1);
  });

  it.each(['1.5', '-0.1', 'dense', '0x1', 'Infinity'])('refuses %s, naming the variable and the range', (value) => {
    let error: unknown;
    try {
      parseRuntimeConfig({ [S.hybridAlpha]: value });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([{ path: 'ORCHESTRA_HYBRID_ALPHA', message: `expected a number from 0 to 1, got "${value}"` }]);
  });
});
