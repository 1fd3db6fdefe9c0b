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

const ids = (items: readonly StoredItem[]) => items.map((i) => i.id);

/**
 * Moves time on in small steps until `id` has expired, so a real server is polled rather than
 * slept on once and trusted; fails instead of looping forever.
 */
async function advanceUntilExpired(h: Harness<ShortTermStore>, id: string): Promise<void> {
  for (let step = 0; step < 200; step++) {
    if ((await h.store.getItem(id)) === undefined) return;
    await h.advance(50);
  }
  throw new Error(`${id} never expired`);
}

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

    it('lists only the turns still alive when turns with different TTLs expire at different times', async () => {
      const conversation = uniqueId('c');
      const [older, newer] = [uniqueId('i'), uniqueId('i')];
      await h.store.remember(item(older, conversation, 'older'), 10, 0.2);
      await h.advance(50);
      // Pushes the conversation's own expiry a minute past the older turn's.
      await h.store.remember(item(newer, conversation, 'newer'), 10, 60);
      await advanceUntilExpired(h, older);
      expect(ids(await h.store.recent(conversation, 10))).toEqual([newer]);
      expect(ids(await h.store.recent(conversation, 1))).toEqual([newer]);
      expect(ids(await h.store.getItems([older, newer]))).toEqual([newer]);
      expect(await h.store.forgetItem(older)).toBe(false);
      expect(await h.store.forgetItem(newer)).toBe(true);
      // Nothing of the expired turn is left to serve once the live one is forgotten.
      expect(await h.store.recent(conversation, 10)).toEqual([]);
    });

    it('a short-lived turn does not cut short the conversation of the turns before it', async () => {
      const conversation = uniqueId('c');
      const [long, short] = [uniqueId('i'), uniqueId('i')];
      await h.store.remember(item(long, conversation, 'long'), 10, 60);
      await h.store.remember(item(short, conversation, 'short'), 10, 0.2);
      await advanceUntilExpired(h, short);
      expect(ids(await h.store.recent(conversation, 10))).toEqual([long]);
      expect(ids(await h.store.recent(conversation, 1))).toEqual([long]);
      expect(await h.store.forgetConversation(conversation)).toBe(1);
      expect(await h.store.getItem(long)).toBeUndefined();
    });

    it('a turn stored again after it expired is listed once, where its new write puts it', async () => {
      const conversation = uniqueId('c');
      const [again, anchor] = [uniqueId('i'), uniqueId('i')];
      await h.store.remember(item(again, conversation, 'first write'), 10, 0.2);
      await h.store.remember(item(anchor, conversation, 'anchor'), 10, 60);
      await advanceUntilExpired(h, again);
      await h.store.remember(item(again, conversation, 'second write'), 10, 60);
      expect((await h.store.recent(conversation, 10)).map((i) => i.content)).toEqual(['anchor', 'second write']);
      expect(await h.store.forgetItem(again)).toBe(true);
      expect((await h.store.recent(conversation, 10)).map((i) => i.content)).toEqual(['anchor']);
    });

    it('a turn that expired and was stored again in another conversation is listed there only', async () => {
      const [first, second] = [uniqueId('c'), uniqueId('c')];
      const [moved, anchor] = [uniqueId('i'), uniqueId('i')];
      await h.store.remember(item(moved, first, 'moved'), 10, 0.2);
      await h.store.remember(item(anchor, first, 'anchor'), 10, 60);
      await advanceUntilExpired(h, moved);
      await h.store.remember(item(moved, second, 'moved'), 10, 60);
      expect(ids(await h.store.recent(first, 10))).toEqual([anchor]);
      expect(ids(await h.store.recent(second, 10))).toEqual([moved]);
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
      const stored = item(id, uniqueId('c'), 'hello', { role: 'user', tenantId: 't1', occurredAt: '2025-12-24T18:30:00.000Z', metadata: { lang: 'en', tags: ['a'] } });
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

    it('forgets a whole tenant: its conversations, their turns, its loose items — and nothing of the tenant whose name extends it', async () => {
      const { a, b } = collidingTenants();
      const conversationA = scopedId(a.tenant, 'chat');
      const turns = [1, 2, 3].map((n) => scopedId(a.tenant, `turn-${n}`));
      // Trimmed from the recent list (keep 2): still the tenant's, still forgotten.
      for (const id of turns) await h.store.remember(item(id, conversationA, id, { tenantId: a.tenant }), 2, 60);
      const loose = scopedId(a.tenant, 'note');
      await h.store.remember(item(loose, undefined, 'loose', { tenantId: a.tenant }), 2, 60);
      const ofB = scopedId(b.tenant, 'chat');
      await h.store.remember(item(ofB, ofB, 'of b', { tenantId: b.tenant }), 2, 60);

      expect(await h.store.forgetTenant(a.tenant)).toBe(4);
      for (const id of [...turns, loose]) expect(await h.store.getItem(id)).toBeUndefined();
      expect(await h.store.recent(conversationA, 10)).toEqual([]);
      expect((await h.store.getItem(ofB, b.tenant))?.content).toBe('of b');
      expect(await h.store.forgetTenant(a.tenant)).toBe(0);
    });

    it('reports its status', async () => {
      expect(await h.store.status()).toMatchObject({ layer: 'short-term', ok: true });
    });
  });
}
