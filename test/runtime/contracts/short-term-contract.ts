import type { ShortTermStore, StoredItem } from '../../../runtime/src/memory/types';
import { scopedId } from '../../../runtime/src/memory/tenancy';
import { Harness, collidingTenants, uniqueId } from './harness';

const item = (id: string, conversationId: string | undefined, content: string, extra: Partial<StoredItem> = {}): StoredItem => ({
  id,
  content,
  conversationId,
  createdAt: '2026-01-01T00:00:00.000Z',
  ...extra,
});

/** The behaviour every short-term store shares (embedded and Redis alike). */
export function shortTermContract(name: string, create: () => Promise<Harness<ShortTermStore>>): void {
  describe(`short-term contract: ${name}`, () => {
    let h: Harness<ShortTermStore>;
    beforeAll(async () => {
      h = await create();
      await h.store.init();
    });
    afterAll(async () => h.teardown());

    it('expires items and their conversation after the TTL, and only those', async () => {
      const conversation = uniqueId('c');
      const id = uniqueId('i');
      const long = uniqueId('i');
      await h.store.remember(item(id, conversation, 'soon gone'), 10, 0.2);
      await h.store.remember(item(long, uniqueId('c'), 'stays'), 10, 60);
      expect((await h.store.getItem(id))?.content).toBe('soon gone');
      await h.advance(400);
      expect(await h.store.getItem(id)).toBeUndefined();
      expect(await h.store.recent(conversation, 10)).toEqual([]);
      expect((await h.store.getItem(long))?.content).toBe('stays');
    });

    it('keeps the newest turns of a conversation, oldest first, trimmed to keep', async () => {
      const conversation = uniqueId('c');
      for (let n = 1; n <= 5; n++) await h.store.remember(item(`${conversation}-t${n}`, conversation, `turn ${n}`), 3, 60);
      expect((await h.store.recent(conversation, 10)).map((i) => i.content)).toEqual(['turn 3', 'turn 4', 'turn 5']);
      expect((await h.store.recent(conversation, 2)).map((i) => i.content)).toEqual(['turn 4', 'turn 5']);
      expect(await h.store.recent(uniqueId('unknown'), 10)).toEqual([]);
    });

    it('returns items as stored, by id', async () => {
      const id = uniqueId('i');
      const stored = item(id, uniqueId('c'), 'hello', { role: 'user', tenantId: 't1', metadata: { lang: 'en', tags: ['a'] } });
      await h.store.remember(stored, 10, 60);
      expect(await h.store.getItem(id)).toEqual(stored);
    });

    it('gets many items by id in one call, skipping unknown ones', async () => {
      const [a, b] = [uniqueId('i'), uniqueId('i')];
      await h.store.remember(item(a, uniqueId('c'), 'a'), 10, 60);
      await h.store.remember(item(b, undefined, 'b'), 10, 60);
      expect((await h.store.getItems([a, uniqueId('missing'), b])).map((i) => i.content).sort()).toEqual(['a', 'b']);
      expect(await h.store.getItems([])).toEqual([]);
    });

    it('overwriting an item replaces it in its conversation instead of adding a duplicate', async () => {
      const conversation = uniqueId('c');
      const id = uniqueId('i');
      await h.store.remember(item(id, conversation, 'draft'), 10, 60);
      await h.store.remember(item(id, conversation, 'final'), 10, 60);
      expect((await h.store.recent(conversation, 10)).map((i) => i.content)).toEqual(['final']);
    });

    it('keeps conversations apart', async () => {
      const [a, b] = [uniqueId('c'), uniqueId('c')];
      await h.store.remember(item(uniqueId('i'), a, 'in a'), 10, 60);
      await h.store.remember(item(uniqueId('i'), b, 'in b'), 10, 60);
      expect((await h.store.recent(a, 10)).map((i) => i.content)).toEqual(['in a']);
    });

    it('forgets one item, from its conversation too', async () => {
      const conversation = uniqueId('c');
      const [x, y] = [uniqueId('i'), uniqueId('i')];
      await h.store.remember(item(x, conversation, 'x'), 10, 60);
      await h.store.remember(item(y, conversation, 'y'), 10, 60);
      expect(await h.store.forgetItem(x)).toBe(true);
      expect(await h.store.forgetItem(x)).toBe(false);
      expect(await h.store.getItem(x)).toBeUndefined();
      expect((await h.store.recent(conversation, 10)).map((i) => i.id)).toEqual([y]);
    });

    it('forgets a whole conversation, including turns trimmed from the recent list', async () => {
      const conversation = uniqueId('c');
      const other = uniqueId('c');
      const ids = [1, 2, 3, 4].map((n) => `${conversation}-${n}`);
      for (const id of ids) await h.store.remember(item(id, conversation, id), 2, 60);
      await h.store.remember(item(`${other}-1`, other, 'other'), 2, 60);
      expect(await h.store.forgetConversation(conversation)).toBe(4);
      for (const id of ids) expect(await h.store.getItem(id)).toBeUndefined();
      expect(await h.store.recent(conversation, 10)).toEqual([]);
      expect(await h.store.getItem(`${other}-1`)).toBeDefined();
      expect(await h.store.forgetConversation(conversation)).toBe(0);
    });

    it('stores items that belong to no conversation', async () => {
      const id = uniqueId('i');
      await h.store.remember(item(id, undefined, 'loose'), 10, 60);
      expect((await h.store.getItem(id))?.content).toBe('loose');
      expect(await h.store.forgetItem(id)).toBe(true);
    });

    it('keeps tenant "x" and tenant "x:b" apart when their ids would join the same (b:c / c)', async () => {
      const { a, b, naive } = collidingTenants();
      expect(naive(a)).toBe(naive(b));
      const [idA, idB] = [scopedId(a.tenant, a.clientId), scopedId(b.tenant, b.clientId)];
      await h.store.remember(item(idA, idA, 'of a', { tenantId: a.tenant }), 10, 60);
      await h.store.remember(item(idB, idB, 'of b', { tenantId: b.tenant }), 10, 60);
      expect((await h.store.getItem(idA, a.tenant))?.content).toBe('of a');
      expect((await h.store.getItem(idB, b.tenant))?.content).toBe('of b');
      expect((await h.store.recent(idA, 10, a.tenant)).map((i) => i.content)).toEqual(['of a']);
      expect((await h.store.recent(idB, 10, b.tenant)).map((i) => i.content)).toEqual(['of b']);
      expect(await h.store.forgetConversation(idB)).toBe(1);
      expect(await h.store.forgetItem(idB)).toBe(false);
      expect((await h.store.getItem(idA, a.tenant))?.content).toBe('of a');
      expect((await h.store.recent(idA, 10, a.tenant)).map((i) => i.content)).toEqual(['of a']);
    });

    it('never returns an item stored with another tenant, whatever id is asked for', async () => {
      const conversation = uniqueId('c');
      const id = uniqueId('i');
      await h.store.remember(item(id, conversation, 'of acme', { tenantId: 'acme' }), 10, 60);
      await h.store.remember(item(uniqueId('i'), conversation, 'no tenant'), 10, 60);
      for (const other of ['globex', 'acme:b', 'acm']) {
        expect(await h.store.getItem(id, other)).toBeUndefined();
        expect(await h.store.getItems([id], other)).toEqual([]);
        expect(await h.store.recent(conversation, 10, other)).toEqual([]);
      }
      expect((await h.store.getItem(id, 'acme'))?.content).toBe('of acme');
      expect((await h.store.getItems([id], 'acme')).map((i) => i.content)).toEqual(['of acme']);
      expect((await h.store.recent(conversation, 10, 'acme')).map((i) => i.content)).toEqual(['of acme']);
      expect((await h.store.recent(conversation, 10)).map((i) => i.content)).toEqual(['of acme', 'no tenant']);
    });

    it('reports its status', async () => {
      expect(await h.store.status()).toMatchObject({ layer: 'short-term', ok: true });
    });
  });
}
