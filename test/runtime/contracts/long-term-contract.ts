import type { LongTermStore, StoredItem } from '../../../runtime/src/memory/types';
import { scopedId } from '../../../runtime/src/memory/tenancy';
import { collidingTenants, uniqueId } from './harness';

const item = (id: string, content: string, extra: Partial<StoredItem> = {}): StoredItem => ({
  id,
  content,
  createdAt: '2026-01-01T00:00:00.000Z',
  ...extra,
});

/**
 * The behaviour every long-term store shares (embedded and Vertex AI alike). Expects an embedder
 * where texts sharing words score closer (the hashing embedder, or a real model).
 */
export function longTermContract(name: string, create: () => Promise<{ store: LongTermStore; teardown(): Promise<void> }>): void {
  describe(`long-term contract: ${name}`, () => {
    let store: LongTermStore;
    let teardown: () => Promise<void>;
    const tenant = uniqueId('tenant');
    beforeAll(async () => {
      ({ store, teardown } = await create());
      await store.init();
    });
    afterAll(async () => teardown());

    it('finds the closest items first, with scores in [-1, 1] descending', async () => {
      const ids = { cats: uniqueId('cats'), rockets: uniqueId('rockets'), soup: uniqueId('soup') };
      await store.upsert([
        item(ids.cats, 'cats purr and sleep on warm windowsills', { tenantId: tenant }),
        item(ids.rockets, 'rockets burn fuel to reach orbit around the earth', { tenantId: tenant }),
        item(ids.soup, 'tomato soup with basil and warm bread', { tenantId: tenant }),
      ]);
      const matches = await store.search('why do rockets need fuel for orbit', { limit: 3, tenantId: tenant });
      expect(matches[0].id).toBe(ids.rockets);
      expect(matches).toHaveLength(3);
      for (let i = 1; i < matches.length; i++) expect(matches[i - 1].score).toBeGreaterThanOrEqual(matches[i].score);
      for (const m of matches) expect(Math.abs(m.score)).toBeLessThanOrEqual(1.0001);
    });

    it('honours the limit', async () => {
      expect(await store.search('warm', { limit: 1, tenantId: tenant })).toHaveLength(1);
    });

    it('never shows one tenant another tenant’s items', async () => {
      const [mine, theirs] = [uniqueId('tenant'), uniqueId('tenant')];
      const secret = uniqueId('secret');
      await store.upsert([item(secret, 'the launch code is under the blue mat', { tenantId: theirs })]);
      await store.upsert([item(uniqueId('public'), 'the doormat is blue', { tenantId: mine })]);
      const hits = await store.search('launch code under the blue mat', { limit: 10, tenantId: mine });
      expect(hits.map((h) => h.id)).not.toContain(secret);
      expect(hits.length).toBeGreaterThan(0);
      expect((await store.search('launch code', { limit: 10, tenantId: theirs })).map((h) => h.id)).toContain(secret);
    });

    it('restricts to one conversation when asked', async () => {
      const [c1, c2] = [uniqueId('conv'), uniqueId('conv')];
      const [in1, in2] = [uniqueId('i'), uniqueId('i')];
      await store.upsert([
        item(in1, 'my favourite colour is green', { tenantId: tenant, conversationId: c1 }),
        item(in2, 'my favourite colour is purple', { tenantId: tenant, conversationId: c2 }),
      ]);
      const hits = await store.search('favourite colour', { limit: 10, tenantId: tenant, conversationId: c1 });
      expect(hits.map((h) => h.id)).toEqual([in1]);
    });

    it('overwrites by id', async () => {
      const id = uniqueId('i');
      const t = uniqueId('tenant');
      await store.upsert([item(id, 'penguins waddle on ice', { tenantId: t }), item(uniqueId('i'), 'volcanoes erupt lava', { tenantId: t })]);
      await store.upsert([item(id, 'volcanoes erupt molten lava and ash', { tenantId: t })]);
      // Dense only (alpha 1): the score is the cosine similarity, ~1 for the same text.
      const hits = await store.search('volcanoes erupt molten lava and ash', { limit: 2, tenantId: t, alpha: 1 });
      expect(hits[0]).toMatchObject({ id });
      expect(hits[0].score).toBeGreaterThan(0.99);
      expect(hits.filter((h) => h.id === id)).toHaveLength(1);
    });

    it('removes items', async () => {
      const t = uniqueId('tenant');
      const [a, b] = [uniqueId('i'), uniqueId('i')];
      await store.upsert([item(a, 'alpha beta gamma', { tenantId: t }), item(b, 'alpha beta delta', { tenantId: t })]);
      await store.remove([a]);
      await store.remove([]);
      expect((await store.search('alpha beta gamma', { limit: 10, tenantId: t })).map((h) => h.id)).toEqual([b]);
    });

    it('keeps tenant "x" and tenant "x:b" apart when their ids would join the same (b:c / c)', async () => {
      const { a, b, naive } = collidingTenants();
      expect(naive(a)).toBe(naive(b));
      const [idA, idB] = [scopedId(a.tenant, a.clientId), scopedId(b.tenant, b.clientId)];
      await store.upsert([item(idA, 'the vault combination is four two', { tenantId: a.tenant, conversationId: idA })]);
      await store.upsert([item(idB, 'the vault combination is seven one', { tenantId: b.tenant, conversationId: idB })]);
      const search = (t: string, conversationId?: string) => store.search('vault combination', { limit: 10, tenantId: t, conversationId }).then((m) => m.map((x) => x.id));
      expect(await search(a.tenant)).toEqual([idA]);
      expect(await search(b.tenant)).toEqual([idB]);
      expect(await search(a.tenant, idA)).toEqual([idA]);
      expect(await search(a.tenant, idB)).toEqual([]);
      await store.remove([idB]);
      expect(await search(a.tenant)).toEqual([idA]);
      expect(await search(b.tenant)).toEqual([]);
    });

    // Both signals of a hybrid store apply the restricts themselves (alpha 0: lexical only, 1:
    // dense only); a dense-only store ignores alpha and must pass as well.
    describe.each([
      ['lexical only', 0],
      ['hybrid, the store’s default', undefined],
      ['dense only', 1],
    ])('restricts, %s', (_name, alpha) => {
      const text = 'the courier code for the Hamburg depot is ZK4412';

      it('never makes another tenant’s item a candidate, however well it matches', async () => {
        const [mine, theirs] = [uniqueId('tenant'), uniqueId('tenant')];
        const [secret, own] = [uniqueId('secret'), uniqueId('own')];
        await store.upsert([item(secret, text, { tenantId: theirs }), item(own, 'the depot opens at nine', { tenantId: mine })]);
        const hits = (await store.search(text, { limit: 10, tenantId: mine, alpha })).map((h) => h.id);
        expect(hits).not.toContain(secret);
        expect(hits).toContain(own);
        expect((await store.search(text, { limit: 10, tenantId: theirs, alpha })).map((h) => h.id)).toEqual([secret]);
      });

      it('never makes another conversation’s item a candidate when restricted to one', async () => {
        const t = uniqueId('tenant');
        const [c1, c2] = [uniqueId('conv'), uniqueId('conv')];
        const [elsewhere, here] = [uniqueId('i'), uniqueId('i')];
        await store.upsert([item(elsewhere, text, { tenantId: t, conversationId: c2 }), item(here, 'which depot was it again', { tenantId: t, conversationId: c1 })]);
        const hits = (await store.search(text, { limit: 10, tenantId: t, conversationId: c1, alpha })).map((h) => h.id);
        expect(hits).not.toContain(elsewhere);
        expect(hits).toContain(here);
        expect((await store.search(text, { limit: 10, tenantId: t, alpha })).map((h) => h.id)).toEqual([elsewhere, here]);
      });

      // Half-open [occurredAfter, occurredBefore) (TimeRange); an item stored without occurredAt
      // occurred when it was created (createdAt 2026-01-01 here).
      it('keeps to a time range on occurredAt, the start included and the end not', async () => {
        const t = uniqueId('tenant');
        const ids = { created: uniqueId('created'), jan: uniqueId('jan'), feb: uniqueId('feb'), mar: uniqueId('mar') };
        await store.upsert([
          item(ids.created, `${text} (no time given)`, { tenantId: t }),
          item(ids.jan, `${text} in January`, { tenantId: t, occurredAt: '2026-01-15T12:00:00.000Z' }),
          item(ids.feb, `${text} in February`, { tenantId: t, occurredAt: '2026-02-01T00:00:00.000Z' }),
          item(ids.mar, `${text} in March`, { tenantId: t, occurredAt: '2026-03-01T00:00:00.000Z' }),
        ]);
        const found = async (range: { occurredAfter?: string; occurredBefore?: string }) =>
          (await store.search(text, { limit: 10, tenantId: t, alpha, ...range })).map((h) => h.id).sort();
        expect(await found({ occurredAfter: '2026-02-01T00:00:00.000Z', occurredBefore: '2026-03-01T00:00:00.000Z' })).toEqual([ids.feb]);
        expect(await found({ occurredAfter: '2026-02-01T00:00:00.000Z' })).toEqual([ids.feb, ids.mar].sort());
        expect(await found({ occurredBefore: '2026-02-01T00:00:00.000Z' })).toEqual([ids.created, ids.jan].sort());
        expect(await found({ occurredAfter: '2027-01-01T00:00:00.000Z' })).toEqual([]);
        expect(await found({})).toEqual(Object.values(ids).sort());
      });
    });

    it('reports its status', async () => {
      expect(await store.status()).toMatchObject({ layer: 'long-term', ok: true });
    });
  });
}
