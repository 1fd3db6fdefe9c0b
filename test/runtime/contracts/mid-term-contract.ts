import type { MidTermStore, StoredItem } from '../../../runtime/src/memory/types';
import { Harness, uniqueId } from './harness';

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
      const stored = item(id, uniqueId('c'), 'a fact', 5, { role: 'assistant', tenantId: 'acme', metadata: { source: 'chat', score: 0.5, tags: ['x'], nested: { ok: true } } });
      await h.store.upsert(stored, later(60_000));
      expect(await h.store.get(id)).toEqual(stored);
      expect(await h.store.get(uniqueId('missing'))).toBeUndefined();
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

    it('never returns an expired item, but still knows its id for forgetting', async () => {
      const conversation = uniqueId('c');
      const [short, kept] = [uniqueId('short'), uniqueId('kept')];
      await h.store.upsert(item(short, conversation, 'short-lived', 1), later(200));
      await h.store.upsert(item(kept, conversation, 'kept', 2));
      expect(await h.store.get(short)).toBeDefined();
      await h.advance(400);
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

    it('reports its status', async () => {
      expect(await h.store.status()).toMatchObject({ layer: 'mid-term', ok: true });
    });
  });
}
