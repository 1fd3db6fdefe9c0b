import type { LongTermStore, StoredItem } from '../../../runtime/src/memory/types';
import { HASHING_MIN_RELATED_SCORE, HashingEmbedder } from '../../../runtime/src/memory/long-term/hashing-embedder';
import { dot } from '../../../runtime/src/memory/long-term/vectors';
import { uniqueId } from './harness';

const item = (id: string, content: string, extra: Partial<StoredItem> = {}): StoredItem => ({ id, content, createdAt: '2026-01-01T00:00:00.000Z', ...extra });

// A rare code in a long turn: the hashing embedder (the embedded default, and the local Vertex AI
// server's Predict) scores it below its own cutoff of related text, while turns phrased like the
// question (its function words, which are no lexical terms) score far higher. Only the lexical
// signal finds it.
const CODE_TURN = 'Quick note before I forget: replacement router finally arrived, serial number QX7731 printed under its battery cover beside a barcode sticker';
const QUESTION = 'what is the status of QX7731';
const PHRASED_ALIKE = ['what is the name of the new neighbour', 'what is the colour of the front door', 'what is the price of the train ticket'];

/**
 * What every hybrid long-term store does: dense and lexical signals fused, each match carrying the
 * signal scores that found it. Needs the hashing embedder's vectors (the embedded default; the
 * local Vertex AI server embeds with it too).
 *
 * Run against the embedded store and the Vertex AI store on the local server (public and private
 * endpoints); the dense-only Vertex store failed three of these (the lexical-only match, the
 * signal scores, alpha 0).
 */
export function hybridLongTermContract(name: string, create: () => Promise<{ store: LongTermStore; teardown(): Promise<void> }>): void {
  describe(`hybrid long-term contract: ${name}`, () => {
    let store: LongTermStore;
    let teardown: () => Promise<void>;
    beforeAll(async () => {
      ({ store, teardown } = await create());
      await store.init();
    });
    afterAll(async () => teardown());

    it('has fixtures where the dense signal misses the code and the lexical one has it', () => {
      const hashing = new HashingEmbedder();
      const cosine = (a: string, b: string) => dot(hashing.embedOne(a), hashing.embedOne(b));
      expect(cosine(QUESTION, CODE_TURN)).toBeLessThan(HASHING_MIN_RELATED_SCORE);
      for (const text of PHRASED_ALIKE) expect(cosine(QUESTION, text)).toBeGreaterThan(2 * cosine(QUESTION, CODE_TURN));
    });

    it('finds a lexical-only match (a rare code) that dense search ranks last', async () => {
      const t = uniqueId('tenant');
      const code = uniqueId('code');
      await store.upsert([item(code, CODE_TURN, { tenantId: t }), ...PHRASED_ALIKE.map((text) => item(uniqueId('alike'), text, { tenantId: t }))]);
      const denseOnly = await store.search(QUESTION, { limit: 4, tenantId: t, alpha: 1 });
      expect(denseOnly.map((m) => m.id).indexOf(code)).toBe(3);
      const hybrid = await store.search(QUESTION, { limit: 2, tenantId: t });
      expect(hybrid[0]).toMatchObject({ id: code, lexical: expect.any(Number), dense: expect.any(Number) });
      expect(hybrid[0].lexical).toBeGreaterThan(0);
      expect(hybrid[0].dense).toBeLessThan(HASHING_MIN_RELATED_SCORE);
    });

    it('gives every match the scores of the signals that ranked it', async () => {
      const t = uniqueId('tenant');
      const [shared, wordless] = [uniqueId('shared'), uniqueId('wordless')];
      // "who are you" is stop words only: no lexical terms, a dense vector all the same.
      await store.upsert([item(shared, 'the lighthouse keeper paints the lighthouse red', { tenantId: t }), item(wordless, 'who are you', { tenantId: t })]);
      const hits = await store.search('lighthouse', { limit: 5, tenantId: t });
      expect(hits.map((h) => h.id)).toEqual([shared, wordless]);
      expect(hits[0]).toEqual({ id: shared, score: expect.any(Number), dense: expect.any(Number), lexical: expect.any(Number) });
      expect(hits[1]).toEqual({ id: wordless, score: expect.any(Number), dense: expect.any(Number) });
      for (const h of hits) expect(h.score).toBeGreaterThan(0);
    });

    it('is the dense ranking at alpha 1, with the cosine as the score', async () => {
      const t = uniqueId('tenant');
      const texts = ['red apples and green pears', 'apples in a red bowl', 'a red bicycle', 'pears only', 'nothing alike here'];
      const ids = texts.map(() => uniqueId('i'));
      await store.upsert(texts.map((text, k) => item(ids[k], text, { tenantId: t })));
      const hashing = new HashingEmbedder();
      const query = 'red apples';
      const byCosine = texts
        .map((text, k) => ({ id: ids[k], cosine: dot(hashing.embedOne(query), hashing.embedOne(text)) }))
        .sort((a, b) => b.cosine - a.cosine);
      const hits = await store.search(query, { limit: 5, tenantId: t, alpha: 1 });
      expect(hits.map((h) => h.id)).toEqual(byCosine.map((c) => c.id));
      // Within 0.005: a store may hold quantized vectors (the embedded store's int8 option).
      hits.forEach((h, k) => expect(h.score).toBeCloseTo(byCosine[k].cosine, 2));
    });

    it('is the lexical ranking at alpha 0: text without a query term is no match', async () => {
      const t = uniqueId('tenant');
      const [both, one, none] = [uniqueId('both'), uniqueId('one'), uniqueId('none')];
      await store.upsert([item(both, 'harbour cranes unload containers', { tenantId: t }), item(one, 'cranes are tall birds', { tenantId: t }), item(none, 'a quiet village', { tenantId: t })]);
      const hits = await store.search('harbour cranes', { limit: 5, tenantId: t, alpha: 0 });
      expect(hits.map((h) => h.id)).toEqual([both, one]);
      for (const h of hits) expect(h.lexical).toBeGreaterThan(0);
    });
  });
}
