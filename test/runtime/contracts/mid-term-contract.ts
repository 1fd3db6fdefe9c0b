import type { ErasureRecord, MidTermStore, StoredItem } from '../../../runtime/src/memory/types';
import { tombstoneKey } from '../../../runtime/src/memory/erasure-record';
import { scopedId } from '../../../runtime/src/memory/tenancy';
import { Harness, collidingTenants, uniqueId } from './harness';

const at = (second: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, second)).toISOString();
const item = (id: string, conversationId: string | undefined, content: string, second = 0, extra: Partial<StoredItem> = {}): StoredItem => ({
  id,
  content,
  conversationId,
  createdAt: at(second),
  ...extra,
});

/** The behaviour every mid-term store shares (embedded and MongoDB alike). */
export function midTermContract(name: string, create: () => Promise<Harness<MidTermStore> & { now(): number }>): void {
  describe(`mid-term contract: ${name}`, () => {
    let h: Harness<MidTermStore> & { now(): number };
    const later = (ms: number) => new Date(h.now() + ms);
    beforeAll(async () => {
      h = await create();
      await h.store.init();
    });
    afterAll(async () => h.teardown());

    it('round-trips an item with every field', async () => {
      const id = uniqueId('i');
      const stored = item(id, uniqueId('c'), 'a fact', 5, { role: 'assistant', tenantId: 'acme', occurredAt: '2025-12-24T18:30:00.000Z', metadata: { source: 'chat', score: 0.5, tags: ['x'], nested: { ok: true } } });
      await h.store.upsert(stored, later(60_000));
      expect(await h.store.get(id)).toEqual(stored);
      expect(await h.store.get(uniqueId('missing'))).toBeUndefined();
    });

    it('inserts if absent exactly once, of many concurrent calls, and takes an expired id', async () => {
      const id = uniqueId('claim');
      const results = await Promise.all(Array.from({ length: 8 }, (_, n) => h.store.insertIfAbsent(item(id, undefined, `claim ${n}`), later(60_000))));
      expect(results.filter(Boolean)).toHaveLength(1);
      const winner = results.indexOf(true);
      expect((await h.store.get(id))?.content).toBe(`claim ${winner}`);
      expect(await h.store.insertIfAbsent(item(id, undefined, 'late'))).toBe(false);

      const expired = uniqueId('claim');
      await h.store.upsert(item(expired, undefined, 'old'), new Date(Date.now() - 1000));
      expect(await h.store.insertIfAbsent(item(expired, undefined, 'new'), later(60_000))).toBe(true);
      expect((await h.store.get(expired))?.content).toBe('new');
    });

    it('upserts by id', async () => {
      const id = uniqueId('i');
      await h.store.upsert(item(id, undefined, 'first'));
      await h.store.upsert(item(id, undefined, 'second'));
      expect((await h.store.get(id))?.content).toBe('second');
    });

    it('gets many by id, skipping unknown ones', async () => {
      const [a, b] = [uniqueId('i'), uniqueId('i')];
      await h.store.upsert(item(a, undefined, 'a'));
      await h.store.upsert(item(b, undefined, 'b'));
      const found = await h.store.getMany([a, uniqueId('nope'), b]);
      expect(found.map((i) => i.content).sort()).toEqual(['a', 'b']);
      expect(await h.store.getMany([])).toEqual([]);
    });

    it('lists a conversation newest first, limited', async () => {
      const conversation = uniqueId('c');
      for (const s of [3, 1, 2]) await h.store.upsert(item(`${conversation}-${s}`, conversation, `at ${s}`, s));
      await h.store.upsert(item(uniqueId('i'), uniqueId('c'), 'elsewhere', 9));
      expect((await h.store.byConversation(conversation, 10)).map((i) => i.content)).toEqual(['at 3', 'at 2', 'at 1']);
      expect((await h.store.byConversation(conversation, 2)).map((i) => i.content)).toEqual(['at 3', 'at 2']);
    });

    // Half-open [occurredAfter, occurredBefore) (TimeRange), newest first by createdAt as without
    // a range, the limit counting only items within it; without occurredAt an item occurred at createdAt.
    it('lists a conversation within a time range on occurredAt, the start included and the end not', async () => {
      const conversation = uniqueId('c');
      const day = (d: number) => new Date(Date.UTC(2025, 11, d)).toISOString();
      await h.store.upsert(item(`${conversation}-1`, conversation, 'day 1', 1, { occurredAt: day(1) }));
      await h.store.upsert(item(`${conversation}-2`, conversation, 'day 2', 2, { occurredAt: day(2) }));
      await h.store.upsert(item(`${conversation}-3`, conversation, 'day 3', 3, { occurredAt: day(3) }));
      await h.store.upsert(item(`${conversation}-4`, conversation, 'day 4', 4, { occurredAt: day(4) }));
      await h.store.upsert(item(`${conversation}-x`, conversation, 'no time given', 6));
      await h.store.upsert(item(uniqueId('i'), uniqueId('c'), 'elsewhere, day 2', 7, { occurredAt: day(2) }));
      const within = async (range: { occurredAfter?: string; occurredBefore?: string }, limit = 10) =>
        (await h.store.byConversation(conversation, limit, undefined, range)).map((i) => i.content);
      expect(await within({ occurredAfter: day(2), occurredBefore: day(4) })).toEqual(['day 3', 'day 2']);
      expect(await within({ occurredAfter: day(2), occurredBefore: day(4) }, 1)).toEqual(['day 3']);
      expect(await within({ occurredBefore: day(2) })).toEqual(['day 1']);
      expect(await within({ occurredAfter: day(4) })).toEqual(['no time given', 'day 4']);
      expect(await within({ occurredAfter: day(5) })).toEqual(['no time given']);
      expect(await within({ occurredAfter: at(7) })).toEqual([]);
      expect(await within({})).toHaveLength(5);
    });

    it('never returns an expired item, but still knows its id for forgetting', async () => {
      const conversation = uniqueId('c');
      const [short, kept] = [uniqueId('short'), uniqueId('kept')];
      // Written already past its expiry, so no clock can make it live again on a busy machine
      // (the reads filter by expiry themselves: TTL removal runs late or not at all).
      await h.store.upsert(item(short, conversation, 'short-lived', 1), later(-1_000));
      await h.store.upsert(item(kept, conversation, 'kept', 2));
      expect(await h.store.get(short)).toBeUndefined();
      expect(await h.store.getMany([short, kept])).toEqual([expect.objectContaining({ id: kept })]);
      expect((await h.store.byConversation(conversation, 10)).map((i) => i.id)).toEqual([kept]);
      expect((await h.store.idsOfConversation(conversation)).sort()).toEqual([kept, short].sort());
    });

    it('deletes one item and whole conversations', async () => {
      const conversation = uniqueId('c');
      const other = uniqueId('i');
      await h.store.upsert(item(`${conversation}-1`, conversation, '1'));
      await h.store.upsert(item(`${conversation}-2`, conversation, '2'), later(100));
      await h.store.upsert(item(other, uniqueId('c'), 'other'));
      expect(await h.store.delete(`${conversation}-1`)).toBe(true);
      expect(await h.store.delete(`${conversation}-1`)).toBe(false);
      expect(await h.store.deleteConversation(conversation)).toBe(1);
      expect(await h.store.idsOfConversation(conversation)).toEqual([]);
      expect(await h.store.get(other)).toBeDefined();
    });

    it('keeps tenant "x" and tenant "x:b" apart when their ids would join the same (b:c / c)', async () => {
      const { a, b, naive } = collidingTenants();
      expect(naive(a)).toBe(naive(b));
      const [idA, idB] = [scopedId(a.tenant, a.clientId), scopedId(b.tenant, b.clientId)];
      await h.store.upsert(item(idA, idA, 'of a', 1, { tenantId: a.tenant }));
      await h.store.upsert(item(idB, idB, 'of b', 2, { tenantId: b.tenant }));
      expect((await h.store.get(idA, a.tenant))?.content).toBe('of a');
      expect((await h.store.get(idB, b.tenant))?.content).toBe('of b');
      expect((await h.store.byConversation(idA, 10, a.tenant)).map((i) => i.content)).toEqual(['of a']);
      expect(await h.store.idsOfConversation(idB, b.tenant)).toEqual([idB]);
      expect(await h.store.deleteConversation(idB, b.tenant)).toBe(1);
      expect(await h.store.delete(idB, b.tenant)).toBe(false);
      expect((await h.store.get(idA, a.tenant))?.content).toBe('of a');
      expect(await h.store.idsOfConversation(idA, a.tenant)).toEqual([idA]);
    });

    it('never returns, counts or deletes a document stored with another tenant', async () => {
      const conversation = uniqueId('c');
      const id = uniqueId('i');
      await h.store.upsert(item(id, conversation, 'of acme', 1, { tenantId: 'acme' }));
      for (const other of ['globex', 'acme:b', 'acm']) {
        expect(await h.store.get(id, other)).toBeUndefined();
        expect(await h.store.getMany([id], other)).toEqual([]);
        expect(await h.store.byConversation(conversation, 10, other)).toEqual([]);
        expect(await h.store.idsOfConversation(conversation, other)).toEqual([]);
        expect(await h.store.delete(id, other)).toBe(false);
        expect(await h.store.deleteConversation(conversation, other)).toBe(0);
      }
      expect((await h.store.get(id, 'acme'))?.content).toBe('of acme');
      expect((await h.store.getMany([id], 'acme')).map((i) => i.content)).toEqual(['of acme']);
      expect((await h.store.byConversation(conversation, 10, 'acme')).map((i) => i.content)).toEqual(['of acme']);
      expect(await h.store.deleteConversation(conversation, 'acme')).toBe(1);
      expect(await h.store.get(id)).toBeUndefined();
    });

    it('lists and deletes a tenant\'s items in batches, leaving other tenants\' alone', async () => {
      const { a, b } = collidingTenants();
      const ofA = [1, 2, 3].map((n) => scopedId(a.tenant, `i${n}`));
      for (const id of ofA) await h.store.upsert(item(id, undefined, id, 0, { tenantId: a.tenant }));
      // Expired items are the tenant's too: a purge removes them.
      await h.store.upsert(item(scopedId(a.tenant, 'old'), undefined, 'old', 0, { tenantId: a.tenant }), new Date(0));
      const ofB = scopedId(b.tenant, 'i1');
      await h.store.upsert(item(ofB, undefined, 'of b', 0, { tenantId: b.tenant }));

      const batch = await h.store.idsOfTenant(a.tenant, 2);
      expect(batch).toHaveLength(2);
      expect(await h.store.deleteMany([...batch, ofB], a.tenant)).toBe(2);
      const rest = await h.store.idsOfTenant(a.tenant, 10);
      expect(rest.sort()).toEqual([...ofA, scopedId(a.tenant, 'old')].filter((id) => !batch.includes(id)).sort());
      expect(await h.store.deleteMany(rest, a.tenant)).toBe(2);
      expect(await h.store.idsOfTenant(a.tenant, 10)).toEqual([]);
      expect(await h.store.deleteMany([], a.tenant)).toBe(0);
      expect((await h.store.get(ofB, b.tenant))?.content).toBe('of b');
    });

    it('keeps erasure records without content, per tenant, and the latest tombstone of each target', async () => {
      const tenant = uniqueId('t');
      const target = { kind: 'conversation' as const, id: scopedId(tenant, 'chat') };
      const pending: ErasureRecord = { id: uniqueId('r'), tenantId: tenant, target, requestedBy: `tenant:${tenant}#0123456789ab`, requestedAt: at(10), state: 'pending' };
      await h.store.recordErasure(pending);
      expect(await h.store.getErasure(pending.id, tenant)).toEqual(pending);
      const done: ErasureRecord = { ...pending, state: 'complete', completedAt: at(11), removed: { 'short-term': 1, 'mid-term': 2, 'long-term': 2 } };
      await h.store.recordErasure(done);
      expect(await h.store.getErasure(pending.id, tenant)).toEqual(done);
      expect(await h.store.getErasure(pending.id, `${tenant}:x`)).toBeUndefined();
      expect(await h.store.getErasure(uniqueId('r'))).toBeUndefined();

      const again: ErasureRecord = { ...pending, id: uniqueId('r'), requestedAt: at(20) };
      await h.store.recordErasure(again);
      const other = tombstoneKey({ kind: 'item', id: scopedId(tenant, 'never') });
      const stones = await h.store.tombstones([tombstoneKey(target), other]);
      expect([...stones]).toEqual([[tombstoneKey(target), Date.parse(at(20))]]);
      expect(await h.store.tombstones([])).toEqual(new Map());
    });

    it('reports its status', async () => {
      expect(await h.store.status()).toMatchObject({ layer: 'mid-term', ok: true });
    });
  });
}
