import { MemoryErasedError, MemoryForgetError, MemoryWriteError } from '../../runtime/src/memory/errors';
import { EmbeddedLongTermStore } from '../../runtime/src/memory/long-term/embedded-long-term';
import { LayeredMemoryManager } from '../../runtime/src/memory/manager';
import { EmbeddedMidTermStore } from '../../runtime/src/memory/mid-term/embedded-mid-term';
import { EmbeddedShortTermStore } from '../../runtime/src/memory/short-term/embedded-short-term';
import { scopedId } from '../../runtime/src/memory/tenancy';
import type { LongTermStore, MidTermStore } from '../../runtime/src/memory/types';

// Erasure as the issue asks for it: retry-safe (a failed attempt leaves what the retry needs to
// find the rest), complete (item, conversation, tenant), provable (a record without content), and
// final (a write begun before the erasure cannot bring the data back).

let now = Date.parse('2026-03-01T12:00:00.000Z');
const clock = () => new Date(now);
const tick = (ms = 1000) => (now += ms);

function layers() {
  const shortTerm = new EmbeddedShortTermStore({ clock: () => now });
  const midTerm = new EmbeddedMidTermStore({ clock: () => now });
  const longTerm = new EmbeddedLongTermStore();
  return { shortTerm, midTerm, longTerm };
}

function manager(parts: ReturnType<typeof layers>, overrides: { midTerm?: MidTermStore; longTerm?: LongTermStore } = {}) {
  return new LayeredMemoryManager({ ...parts, ...overrides }, { clock });
}

/** Replaces one method of a store with `impl`, keeping the rest real. */
function override<T extends object, K extends keyof T>(store: T, method: K, impl: T[K]): T {
  return Object.assign(Object.create(Object.getPrototypeOf(store)), store, { [method]: impl });
}

const down = async () => {
  throw new Error('UNAVAILABLE: connection refused');
};
const searchable = async (longTerm: LongTermStore, text: string, tenantId?: string) => (await longTerm.search(text, { limit: 10, tenantId })).map((m) => m.id);

describe('a failed erasure, retried, leaves nothing searchable', () => {
  it('keeps the documents that list the vectors when long-term fails, so the retry removes them and only then says complete', async () => {
    const parts = layers();
    const healthy = manager(parts);
    await healthy.store({ id: 'secret-1', content: 'the safe code is 4711', conversationId: 'c1' }, 'high');
    await healthy.store({ id: 'secret-2', content: 'the alarm code is 0815', conversationId: 'c1' }, 'high');

    const failing = manager(parts, { longTerm: override(parts.longTerm, 'remove', down) });
    const error = (await failing.forget({ conversationId: 'c1' }).catch((e: unknown) => e)) as MemoryForgetError;
    expect(error).toBeInstanceOf(MemoryForgetError);
    expect(error.failures).toEqual([{ layer: 'long-term', reason: 'UNAVAILABLE: connection refused' }]);
    expect(await searchable(parts.longTerm, 'safe code')).toContain('secret-1');
    // The failed attempt is on record as failed, with why.
    expect(await parts.midTerm.getErasure(error.receipt!)).toMatchObject({ state: 'failed', failures: ['long-term: UNAVAILABLE: connection refused'] });

    // The retry finds the ids again (the old order deleted the documents at once: the retry found
    // none, said success, and both vectors stayed searchable).
    tick();
    const retried = await healthy.forget({ conversationId: 'c1' });
    expect(retried.removed['long-term']).toBe(2);
    expect(retried.receipt.state).toBe('complete');
    expect(await searchable(parts.longTerm, 'safe code')).toEqual([]);
    expect(await searchable(parts.longTerm, 'alarm code')).toEqual([]);
    expect(await parts.midTerm.idsOfConversation('c1')).toEqual([]);
  });

  it('writes no vector for a HIGH item whose document mid-term refused, so no vector exists that forget cannot find', async () => {
    const parts = layers();
    const failing = manager(parts, { midTerm: override(parts.midTerm, 'upsert', down) });
    const error = (await failing.store({ id: 'h1', content: 'my passport number is X123', conversationId: 'c1' }, 'high').catch((e: unknown) => e)) as MemoryWriteError;
    expect(error).toBeInstanceOf(MemoryWriteError);
    expect(error.failures.map((f) => f.layer).sort()).toEqual(['long-term', 'mid-term']);
    expect(error.written).toEqual(['short-term']);
    // Concurrent writes used to put the vector in anyway: searchable, and in no document's list.
    expect(parts.longTerm.size).toBe(0);

    // The client's retry succeeds, and forgetting then reaches everything.
    await manager(parts).store({ id: 'h1', content: 'my passport number is X123', conversationId: 'c1' }, 'high');
    expect(await searchable(parts.longTerm, 'passport number')).toEqual(['h1']);
    await manager(parts).forget({ conversationId: 'c1' });
    expect(parts.longTerm.size).toBe(0);
  });

  it('removes nothing when the erasure cannot be recorded: nothing is erased without proof', async () => {
    const parts = layers();
    await manager(parts).store({ id: 'a', content: 'kept', conversationId: 'c1' }, 'high');
    const failing = manager(parts, { midTerm: override(parts.midTerm, 'recordErasure', down) });
    await expect(failing.forget({ conversationId: 'c1' })).rejects.toMatchObject({
      failures: [{ layer: 'mid-term', reason: expect.stringMatching(/^erasure not recorded, nothing removed: UNAVAILABLE/) }],
    });
    expect(await parts.shortTerm.getItem('a')).toBeDefined();
    expect(await parts.midTerm.get('a')).toBeDefined();
    expect(parts.longTerm.size).toBe(1);
  });
});

describe('receipts', () => {
  it('records what, when and who — never the content', async () => {
    const parts = layers();
    const memory = manager(parts);
    const item = scopedId('acme', 'diary-1');
    await memory.store({ id: item, content: 'I told nobody about the move to Porto', conversationId: scopedId('acme', 'c1'), tenantId: 'acme' }, 'high');
    tick();
    const { receipt } = await memory.forget({ itemId: item, tenantId: 'acme' }, { requestedBy: 'tenant:acme#0123456789ab' });
    expect(receipt).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      tenantId: 'acme',
      target: { kind: 'item', id: item },
      requestedBy: 'tenant:acme#0123456789ab',
      requestedAt: clock().toISOString(),
      state: 'complete',
      completedAt: clock().toISOString(),
      removed: { 'short-term': 1, 'mid-term': 1, 'long-term': 1 },
    });
    const kept = await memory.erasure(receipt.id, 'acme');
    expect(kept).toEqual(receipt);
    expect(JSON.stringify(kept)).not.toMatch(/Porto|told nobody/);
    expect(await memory.erasure(receipt.id, 'globex')).toBeUndefined();
  });
});

describe('tombstones: a forgotten id stays forgotten', () => {
  const conversation = scopedId('acme', 'c1');

  it('refuses a write begun before its conversation, item or tenant was erased, and takes one begun after', async () => {
    const parts = layers();
    const memory = manager(parts);
    const begun = clock();
    await memory.store({ id: scopedId('acme', 't1'), content: 'first', conversationId: conversation, tenantId: 'acme' }, 'medium', { asOf: begun });
    tick();
    await memory.forget({ conversationId: conversation, tenantId: 'acme' });
    tick();

    // A reply generated while the conversation was being erased arrives now: stale.
    const stale = memory.store({ id: scopedId('acme', 't2'), content: 'the reply', conversationId: conversation, tenantId: 'acme' }, 'high', { asOf: begun });
    await expect(stale).rejects.toThrow(MemoryErasedError);
    await expect(stale).rejects.toMatchObject({ target: { kind: 'conversation' } });
    expect(await parts.shortTerm.getItem(scopedId('acme', 't2'))).toBeUndefined();
    expect(parts.longTerm.size).toBe(0);

    // A message begun after the erasure starts the conversation afresh.
    await expect(memory.store({ id: scopedId('acme', 't3'), content: 'hello again', conversationId: conversation, tenantId: 'acme' }, 'low', { asOf: clock() })).resolves.toMatchObject({ written: ['short-term'] });

    const item = scopedId('acme', 'note');
    const before = clock();
    await memory.store({ id: item, content: 'note', tenantId: 'acme' }, 'medium');
    tick();
    await memory.forget({ itemId: item, tenantId: 'acme' });
    await expect(memory.store({ id: item, content: 'note again', tenantId: 'acme' }, 'low', { asOf: before })).rejects.toMatchObject({ target: { kind: 'item', id: item } });
  });

  it('checks LOW writes when it can and says so when it cannot; a durable write that cannot be checked is refused', async () => {
    const parts = layers();
    const blind = manager(parts, { midTerm: override(parts.midTerm, 'tombstones', down) });
    const low = await blind.store({ id: 'l1', content: 'x', conversationId: 'c9' }, 'low', { asOf: clock() });
    expect(low.degraded).toEqual(['mid-term: erasures not checked: UNAVAILABLE: connection refused']);
    await expect(blind.store({ id: 'm1', content: 'x', conversationId: 'c9' }, 'medium', { asOf: clock() })).rejects.toThrow(MemoryWriteError);
    expect(await parts.midTerm.get('m1')).toBeUndefined();
  });
});

describe('tenant purge', () => {
  it('removes every item of the tenant in every layer, in batches, and nothing of another tenant', async () => {
    const parts = layers();
    const memory = manager(parts);
    // More than one purge batch (500) of durable items, plus LOW turns only short-term holds.
    for (let i = 0; i < 1100; i++) {
      await memory.store({ id: scopedId('acme', `f${i}`), content: `fact number ${i}`, conversationId: scopedId('acme', `c${i % 7}`), tenantId: 'acme' }, i % 3 === 0 ? 'high' : 'medium');
    }
    await memory.store({ id: scopedId('acme', 'low'), content: 'fleeting', conversationId: scopedId('acme', 'c0'), tenantId: 'acme' }, 'low');
    await memory.store({ id: scopedId('acme:b', 'f1'), content: 'fact number 1 of acme:b', conversationId: scopedId('acme:b', 'c0'), tenantId: 'acme:b' }, 'high');
    tick();

    const { removed, receipt } = await memory.forget({ purgeTenant: 'acme' }, { requestedBy: 'admin:ops#abcdefabcdef' });
    expect(removed).toEqual({ 'short-term': 1101, 'mid-term': 1100, 'long-term': 1100 });
    expect(receipt).toMatchObject({ tenantId: 'acme', target: { kind: 'tenant', id: 'acme' }, requestedBy: 'admin:ops#abcdefabcdef', state: 'complete' });
    expect(await parts.midTerm.idsOfTenant('acme', 10)).toEqual([]);
    expect(await searchable(parts.longTerm, 'fact number', 'acme')).toEqual([]);
    expect(await parts.shortTerm.recent(scopedId('acme', 'c0'), 10)).toEqual([]);
    expect(await searchable(parts.longTerm, 'fact number 1 of acme:b', 'acme:b')).toEqual([scopedId('acme:b', 'f1')]);

    // The tenant's tombstone refuses what was begun before the purge.
    await expect(memory.store({ id: scopedId('acme', 'late'), content: 'late', tenantId: 'acme' }, 'low', { asOf: new Date(now - 2000) })).rejects.toMatchObject({
      target: { kind: 'tenant', id: 'acme' },
    });
  });

  it('stops at a long-term failure with the rest still listed, and a retry finishes', async () => {
    const parts = layers();
    const memory = manager(parts);
    for (let i = 0; i < 600; i++) await memory.store({ id: scopedId('acme', `f${i}`), content: `fact ${i}`, tenantId: 'acme' }, 'high');
    let calls = 0;
    const flaky = override(parts.longTerm, 'remove', async (ids: readonly string[]) => {
      if (++calls === 2) throw new Error('DEADLINE_EXCEEDED');
      return parts.longTerm.remove(ids);
    });
    const error = (await manager(parts, { longTerm: flaky }).forget({ purgeTenant: 'acme' }).catch((e: unknown) => e)) as MemoryForgetError;
    expect(error).toBeInstanceOf(MemoryForgetError);
    expect(error.removed).toMatchObject({ 'mid-term': 500, 'long-term': 500 });
    expect(await parts.midTerm.idsOfTenant('acme', 1000)).toHaveLength(100);
    expect(parts.longTerm.size).toBe(100);

    expect((await memory.forget({ purgeTenant: 'acme' })).removed).toMatchObject({ 'mid-term': 100, 'long-term': 100 });
    expect(parts.longTerm.size).toBe(0);
  });

  it('validates the tenant', async () => {
    await expect(manager(layers()).forget({ purgeTenant: 'not a tenant' })).rejects.toMatchObject({ problems: [{ path: 'purgeTenant' }] });
  });
});
