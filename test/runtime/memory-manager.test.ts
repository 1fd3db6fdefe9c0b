import { MemoryForgetError, MemoryValidationError, MemoryWriteError } from '../../runtime/src/memory/errors';
import { EmbeddedLongTermStore } from '../../runtime/src/memory/long-term/embedded-long-term';
import { MAX_METADATA_BYTES, MAX_METADATA_DEPTH, MAX_METADATA_KEYS, MAX_METADATA_KEY_LENGTH, MAX_METADATA_VALUE_BYTES } from '../../runtime/src/memory/item-schema';
import { LayeredMemoryManager, MemoryManagerOptions } from '../../runtime/src/memory/manager';
import { EmbeddedMidTermStore } from '../../runtime/src/memory/mid-term/embedded-mid-term';
import { EmbeddedShortTermStore } from '../../runtime/src/memory/short-term/embedded-short-term';
import type { LongTermStore, MidTermStore, ShortTermStore } from '../../runtime/src/memory/types';

const NOW = new Date('2026-03-01T12:00:00.000Z');

function embedded(options: MemoryManagerOptions = {}) {
  // The stores run on the same fixed clock as the manager, so TTLs are measured from NOW.
  const shortTerm = new EmbeddedShortTermStore({ clock: () => NOW.getTime() });
  const midTerm = new EmbeddedMidTermStore({ clock: () => NOW.getTime() });
  const longTerm = new EmbeddedLongTermStore();
  const manager = new LayeredMemoryManager({ shortTerm, midTerm, longTerm }, { clock: () => NOW, ...options });
  return { manager, shortTerm, midTerm, longTerm };
}

/** Replaces one method of a store with `impl`, keeping the rest real. */
function override<T extends object, K extends keyof T>(store: T, method: K, impl: T[K]): T {
  return Object.assign(Object.create(Object.getPrototypeOf(store)), store, { [method]: impl });
}

const never = () => new Promise<never>(() => {});
const turn = (id: string, content: string, conversationId = 'c1') => ({ id, content, conversationId });

describe('forget within a tenant', () => {
  it('leaves durable items of another tenant, and their vectors, where they are', async () => {
    const { manager, midTerm, longTerm } = embedded();
    await manager.store({ ...turn('mine', 'my note', 'shared'), tenantId: 'acme' }, 'high');
    await manager.store({ ...turn('theirs', 'their note', 'shared'), tenantId: 'globex' }, 'high');
    const { removed } = await manager.forget({ conversationId: 'shared', tenantId: 'acme' });
    expect(removed['mid-term']).toBe(1);
    expect(removed['long-term']).toBe(1);
    expect(await midTerm.get('theirs', 'globex')).toMatchObject({ content: 'their note' });
    expect((await longTerm.search('their note', { limit: 5, tenantId: 'globex' })).map((m) => m.id)).toEqual(['theirs']);
    expect((await manager.forget({ itemId: 'theirs', tenantId: 'acme' })).removed['mid-term']).toBe(0);
    await expect(manager.forget({ itemId: 'theirs', tenantId: 'not a tenant' })).rejects.toThrow(MemoryValidationError);
  });
});

describe('store', () => {
  it('puts LOW in short-term only, MEDIUM also in mid-term, HIGH in all three', async () => {
    const { manager, shortTerm, midTerm, longTerm } = embedded();
    await expect(manager.store(turn('low-1', 'low'), 'low')).resolves.toMatchObject({ written: ['short-term'], degraded: [] });
    await expect(manager.store(turn('med-1', 'medium'), 'medium')).resolves.toMatchObject({ written: ['short-term', 'mid-term'] });
    await expect(manager.store(turn('high-1', 'high importance fact'), 'high')).resolves.toMatchObject({ written: ['short-term', 'mid-term', 'long-term'] });

    expect(await shortTerm.getItem('low-1')).toBeDefined();
    expect(await midTerm.get('low-1')).toBeUndefined();
    expect(await midTerm.get('med-1')).toBeDefined();
    expect(longTerm.size).toBe(1);
    expect((await longTerm.search('high importance fact', { limit: 1 }))[0].id).toBe('high-1');
  });

  it('defaults to LOW and stamps createdAt', async () => {
    const { manager, shortTerm } = embedded();
    await manager.store({ id: 'a', content: 'x' });
    expect(await shortTerm.getItem('a')).toEqual({ id: 'a', content: 'x', createdAt: NOW.toISOString(), occurredAt: NOW.toISOString() });
  });

  it('expires MEDIUM items after the mid-term TTL and keeps HIGH items (they back long-term)', async () => {
    const upserts: [string, Date | undefined][] = [];
    const base = embedded();
    const midTerm = override(base.midTerm, 'upsert', async (item, expiresAt) => {
      upserts.push([item.id, expiresAt]);
    });
    const manager = new LayeredMemoryManager({ ...base.manager.layers, midTerm }, { clock: () => NOW, midTermTtlDays: 7 });
    await manager.store(turn('m', 'medium'), 'medium');
    await manager.store(turn('h', 'high'), 'high');
    expect(upserts).toEqual([
      ['m', new Date(NOW.getTime() + 7 * 24 * 3600 * 1000)],
      ['h', undefined],
    ]);
  });

  it.each<[string, unknown, string, RegExp]>([
    ['missing id', { content: 'x' }, 'id', /required/],
    ['empty content', { id: 'a', content: '' }, 'content', /non-empty/],
    ['content of the wrong type', { id: 'a', content: 42 }, 'content', /string/],
    ['an id with spaces', { id: 'has space', content: 'x' }, 'id', /letters, digits/],
    ['a bad conversation id', { id: 'a', content: 'x', conversationId: '../etc' }, 'conversationId', /letters, digits/],
    ['a malformed date', { id: 'a', content: 'x', createdAt: 'yesterday' }, 'createdAt', /ISO-8601/],
    ['non-JSON metadata', { id: 'a', content: 'x', metadata: { n: Number.NaN } }, 'metadata.n', /.+/],
    ['an unknown field', { id: 'a', content: 'x', colour: 'red' }, 'colour', /unknown field/],
    ['not an object', 'just text', '(root)', /an object/],
  ])('rejects %s, naming the field, and writes nothing', async (_case, input, field, expected) => {
    const { manager, shortTerm, midTerm, longTerm } = embedded();
    const error = await manager.store(input, 'high').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MemoryValidationError);
    expect((error as MemoryValidationError).code).toBe('MEMORY_INVALID_ITEM');
    expect((error as MemoryValidationError).problems).toContainEqual({ path: field, message: expect.stringMatching(expected) });
    expect(await shortTerm.getItem('a')).toBeUndefined();
    expect(await midTerm.get('a')).toBeUndefined();
    expect(longTerm.size).toBe(0);
  });

  it('stores when an item occurred, normalized to UTC, and refuses a time that is no ISO-8601 date-time', async () => {
    const { manager, shortTerm } = embedded();
    await manager.store({ id: 'a', content: 'x', occurredAt: '2025-12-24T19:30:00+01:00' });
    expect(await shortTerm.getItem('a')).toMatchObject({ createdAt: NOW.toISOString(), occurredAt: '2025-12-24T18:30:00.000Z' });
    // Without occurredAt: the given createdAt, or now.
    await manager.store({ id: 'b', content: 'x', createdAt: '2026-01-02T00:00:00Z' });
    expect(await shortTerm.getItem('b')).toMatchObject({ createdAt: '2026-01-02T00:00:00.000Z', occurredAt: '2026-01-02T00:00:00.000Z' });
    for (const occurredAt of ['2025-12-24', '24/12/2025 18:30', 'yesterday', 1766600000000, '2025-12-24T18:30:00']) {
      const error = (await manager.store({ id: 'c', content: 'x', occurredAt }).catch((e: unknown) => e)) as MemoryValidationError;
      expect(error).toBeInstanceOf(MemoryValidationError);
      expect(error.problems).toEqual([{ path: 'occurredAt', message: expect.stringMatching(/ISO-8601 date-time|expected string/) }]);
    }
    expect(await shortTerm.getItem('c')).toBeUndefined();
  });

  it('reports every bad field at once', async () => {
    const { manager } = embedded();
    const error = (await manager.store({ id: 'has space', content: '', colour: 'red' }, 'high').catch((e: unknown) => e)) as MemoryValidationError;
    expect(error.problems.map((p) => p.path).sort()).toEqual(['colour', 'content', 'id']);
  });

  describe('metadata', () => {
    /** `{a: {a: … {a: leaf}}}`, `levels` objects deep. */
    const nested = (levels: number): unknown => {
      let value: unknown = 1;
      for (let i = 0; i < levels; i++) value = { a: value };
      return value;
    };
    const problemsOf = async (metadata: unknown) => {
      const { manager, shortTerm, midTerm } = embedded();
      const error = await manager.store({ id: 'm', content: 'x', metadata } as never, 'medium').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MemoryValidationError);
      // Nothing of a refused item reaches a layer.
      expect(await shortTerm.getItem('m')).toBeUndefined();
      expect(await midTerm.get('m')).toBeUndefined();
      return (error as MemoryValidationError).problems;
    };

    it('refuses keys Firestore refuses or cannot upsert, naming each key at any depth', async () => {
      const problems = await problemsOf({ '': 1, __x__: 2, ____: 3, $set: 4, 'a.b': 5, ['k'.repeat(65)]: 6, 'nul\0': 7, lone: { '\uD800': 8 }, list: [{ __y__: 9 }] });
      expect(problems.map((p) => p.path).sort()).toEqual(
        ['metadata.', 'metadata.__x__', 'metadata.____', 'metadata.$set', 'metadata.a.b', `metadata.${'k'.repeat(65)}`, 'metadata.nul\0', 'metadata.lone.\uD800', 'metadata.list[0].__y__'].sort(),
      );
      expect(problems.find((p) => p.path === 'metadata.__x__')?.message).toMatch(/__name__/);
      expect(problems.find((p) => p.path === 'metadata.$set')?.message).toMatch(/\$/);
    });

    it('accepts ordinary keys, and keys at the limits', async () => {
      const { manager, midTerm } = embedded();
      const metadata = { channel: 'web', 'x-trace': 'a/b', _private_: true, ['é'.repeat(MAX_METADATA_KEY_LENGTH)]: 1, '___': [1, 'two', null, { ok: false }] };
      await manager.store({ id: 'ok', content: 'x', metadata }, 'medium');
      expect((await midTerm.get('ok'))?.metadata).toEqual(metadata);
    });

    it(`nests at most ${MAX_METADATA_DEPTH} levels of objects and arrays, and never exhausts the stack`, async () => {
      const { manager } = embedded();
      await expect(manager.store({ id: 'ok', content: 'x', metadata: nested(MAX_METADATA_DEPTH) as never })).resolves.toBeDefined();
      expect(await problemsOf(nested(MAX_METADATA_DEPTH + 1))).toEqual([{ path: 'metadata.a.a.a.a.a', message: expect.stringMatching(/at most 5 levels/) }]);
      // Arrays count as levels too.
      expect((await problemsOf({ t: [{ a: [{ b: [1] }] }] })).map((p) => p.path)).toEqual(['metadata.t[0].a[0].b']);
      expect((await problemsOf(nested(100_000))).map((p) => p.path)).toEqual(['metadata.a.a.a.a.a']);
    });

    // Found by schemathesis: FerretDB v1 refused such an item on every write, a 503 (item-schema.ts).
    it('refuses an array directly inside an array, at any depth, and keeps arrays inside objects inside arrays', async () => {
      expect(await problemsOf({ grid: [[1, 2]], deep: { list: [1, { rows: [[]] }] } })).toEqual([
        { path: 'metadata.grid[0]', message: expect.stringMatching(/array directly inside an array/) },
        { path: 'metadata.deep.list[1].rows[0]', message: expect.stringMatching(/array directly inside an array/) },
      ]);
      const { manager, midTerm } = embedded();
      const metadata = { rows: [{ cells: [1, 2] }, { cells: [] }] };
      await manager.store({ id: 'ok', content: 'x', metadata }, 'medium');
      expect((await midTerm.get('ok'))?.metadata).toEqual(metadata);
    });

    it('bounds each top-level value and the whole metadata by their size as JSON', async () => {
      const { manager } = embedded();
      // JSON quotes the string: two bytes of the limit.
      const fits = 'x'.repeat(MAX_METADATA_VALUE_BYTES - 2);
      await expect(manager.store({ id: 'ok', content: 'x', metadata: { fits } })).resolves.toBeDefined();
      expect(await problemsOf({ big: `${fits}x`, small: 1 })).toEqual([{ path: 'metadata.big', message: `at most ${MAX_METADATA_VALUE_BYTES} bytes as JSON` }]);
      // Multi-byte characters count as their UTF-8 bytes.
      expect((await problemsOf({ big: 'é'.repeat(MAX_METADATA_VALUE_BYTES / 2) })).map((p) => p.path)).toEqual(['metadata.big']);
      const many = Object.fromEntries(Array.from({ length: MAX_METADATA_BYTES / MAX_METADATA_VALUE_BYTES + 1 }, (_, i) => [`k${i}`, fits]));
      expect(await problemsOf(many)).toEqual([{ path: 'metadata', message: `at most ${MAX_METADATA_BYTES} bytes as JSON` }]);
      const keys = Object.fromEntries(Array.from({ length: MAX_METADATA_KEYS + 1 }, (_, i) => [`k${i}`, i]));
      expect(await problemsOf(keys)).toEqual([{ path: 'metadata', message: `at most ${MAX_METADATA_KEYS} keys` }]);
    });

    it('refuses values that are not JSON, and metadata that is not an object', async () => {
      const problems = await problemsOf({ n: Number.POSITIVE_INFINITY, when: new Date(0), u: undefined, f: () => 1, ok: 'fine' });
      expect(problems.map((p) => p.path).sort()).toEqual(['metadata.f', 'metadata.n', 'metadata.u', 'metadata.when']);
      expect(await problemsOf(['a'])).toEqual([{ path: 'metadata', message: 'an object' }]);
    });
  });

  it('rejects an unknown importance', async () => {
    const { manager, shortTerm } = embedded();
    await expect(manager.store(turn('a', 'x'), 'critical')).rejects.toMatchObject({ problems: [{ path: 'importance', message: expect.stringMatching(/"low", "medium", "high"/) }] });
    expect(await shortTerm.getItem('a')).toBeUndefined();
  });

  it('fails a MEDIUM write whose durable layer is down (no silent loss)', async () => {
    const base = embedded();
    const midTerm = override(base.midTerm, 'upsert', async () => {
      throw new Error('connection refused');
    });
    const manager = new LayeredMemoryManager({ ...base.manager.layers, midTerm });
    const error = (await manager.store(turn('a', 'x'), 'medium').catch((e: unknown) => e)) as MemoryWriteError;
    expect(error).toBeInstanceOf(MemoryWriteError);
    expect(error.failures).toEqual([{ layer: 'mid-term', reason: 'connection refused' }]);
    expect(error.written).toEqual(['short-term']);
  });

  it('fails a HIGH write that long-term did not take, and a LOW write that short-term did not take', async () => {
    const base = embedded();
    const longTerm = override(base.longTerm, 'upsert', async () => {
      throw new Error('quota exceeded');
    });
    const shortTerm = override(base.shortTerm, 'remember', async () => {
      throw new Error('redis down');
    });
    const manager = new LayeredMemoryManager({ shortTerm, midTerm: base.midTerm, longTerm });
    await expect(manager.store(turn('h', 'x'), 'high')).rejects.toThrow(/long-term: quota exceeded/);
    await expect(manager.store(turn('l', 'x'), 'low')).rejects.toThrow(/short-term: redis down/);
  });

  it('accepts a MEDIUM write when only the short-term cache failed, and says so', async () => {
    const base = embedded();
    const shortTerm = override(base.shortTerm, 'remember', async () => {
      throw new Error('redis down');
    });
    const warnings: object[] = [];
    const manager = new LayeredMemoryManager({ ...base.manager.layers, shortTerm }, { logger: { warn: (o) => warnings.push(o) } });
    await expect(manager.store(turn('m', 'x'), 'medium')).resolves.toMatchObject({ written: ['mid-term'], degraded: ['short-term: redis down'] });
    expect(warnings).toHaveLength(1);
  });

  it('times out a write that hangs', async () => {
    const base = embedded();
    const midTerm = override(base.midTerm, 'upsert', never);
    const manager = new LayeredMemoryManager({ ...base.manager.layers, midTerm }, { writeTimeoutMs: 30 });
    await expect(manager.store(turn('m', 'x'), 'medium')).rejects.toThrow('mid-term: timeout');
  });
});

describe('retrieveContext', () => {
  it('returns recent turns, older durable ones, and semantic matches with their items', async () => {
    const { manager } = embedded({ recentMessages: 2 });
    await manager.store(turn('t1', 'my dog is called Rex', 'c1'), 'high');
    await manager.store({ ...turn('t2', 'I live in Lisbon', 'c1'), createdAt: '2026-03-01T11:00:01.000Z' }, 'medium');
    await manager.store({ ...turn('t3', 'what is the weather', 'c1'), createdAt: '2026-03-01T11:00:02.000Z' }, 'low');
    await manager.store(turn('o1', 'other conversation', 'c2'), 'medium');

    const context = await manager.retrieveContext('what is my dog called', 'c1');
    expect(context.recent.map((i) => i.id)).toEqual(['t2', 't3']);
    expect(context.related.map((i) => i.id)).toEqual(['t1']);
    expect(context.semantic).toEqual([{ item: expect.objectContaining({ id: 't1', content: 'my dog is called Rex' }), score: expect.any(Number), dense: expect.any(Number) }]);
    expect(context.degraded).toEqual([]);
  });

  it('queries the three layers concurrently', async () => {
    const base = embedded();
    const started: string[] = [];
    const release: (() => void)[] = [];
    const gate = <T>(name: string, value: T) => () => {
      started.push(name);
      return new Promise<T>((resolve) => release.push(() => resolve(value)));
    };
    const manager = new LayeredMemoryManager({
      shortTerm: override(base.shortTerm, 'recent', gate('short-term', [])),
      midTerm: override(base.midTerm, 'byConversation', gate('mid-term', [])),
      longTerm: override(base.longTerm, 'search', gate('long-term', [])),
    });
    const pending = manager.retrieveContext('q', 'c1');
    await new Promise((r) => setImmediate(r));
    // All three are in flight before any has answered: nothing was awaited one after another.
    expect(started.sort()).toEqual(['long-term', 'mid-term', 'short-term']);
    release.forEach((r) => r());
    await expect(pending).resolves.toMatchObject({ degraded: [] });
  });

  it('degrades instead of failing when a layer times out or errors', async () => {
    const base = embedded();
    await base.manager.store(turn('t1', 'remember me', 'c1'), 'medium');
    const manager = new LayeredMemoryManager(
      {
        shortTerm: base.shortTerm,
        midTerm: override(base.midTerm, 'byConversation', async () => {
          throw new Error('server selection timed out\nstack…');
        }),
        longTerm: override(base.longTerm, 'search', never),
      },
      { layerTimeoutMs: 30 },
    );
    const context = await manager.retrieveContext('remember', 'c1');
    expect(context.degraded).toEqual(['long-term: timeout', 'mid-term: server selection timed out']);
    expect(context.recent.map((i) => i.id)).toEqual(['t1']);
    expect(context.related).toEqual([]);
    expect(context.semantic).toEqual([]);
  });

  it('searches one tenant, or one conversation, when asked', async () => {
    const { manager } = embedded();
    await manager.store({ ...turn('a', 'the password hint is blue', 'c1'), tenantId: 'acme' }, 'high');
    await manager.store({ ...turn('b', 'the password hint is green', 'c2'), tenantId: 'globex' }, 'high');
    await manager.store({ ...turn('c', 'the password hint is red', 'c3'), tenantId: 'acme' }, 'high');
    const acme = await manager.retrieveContext('password hint', 'c1', { tenantId: 'acme' });
    expect(acme.semantic.map((m) => m.item.id).sort()).toEqual(['a', 'c']);
    const own = await manager.retrieveContext('password hint', 'c1', { tenantId: 'acme', semanticWithinConversation: true });
    expect(own.semantic.map((m) => m.item.id)).toEqual(['a']);
  });

  it('returns nothing of another tenant in any part, even from a shared conversation id and item id', async () => {
    const { manager, longTerm } = embedded();
    // Ids the service would never share between tenants: this is the wall behind the scoped ids.
    await manager.store({ ...turn('old', 'the door code is 1111', 'shared'), tenantId: 'acme' }, 'high');
    await manager.store({ ...turn('new', 'the door code is 2222', 'shared'), tenantId: 'acme' }, 'high');
    await manager.store({ ...turn('x', 'the door code is 3333', 'shared'), tenantId: 'acme:b' }, 'high');
    // Long-term still holds acme's `old` under its tenant; the item behind the id is now acme:b's.
    await manager.store({ ...turn('old', 'the door code is 4444', 'other'), tenantId: 'acme:b' }, 'medium');
    expect(longTerm.size).toBe(3);
    const context = await manager.retrieveContext('door code', 'shared', { tenantId: 'acme', semanticLimit: 10 });
    const seen = [...context.recent, ...context.related, ...context.semantic.map((m) => m.item)];
    expect(seen.map((i) => i.tenantId)).not.toContain('acme:b');
    expect(context.recent.map((i) => i.content)).toEqual(['the door code is 2222']);
    expect(context.semantic.map((m) => m.item.content)).toEqual(['the door code is 2222']);
  });

    it('drops semantic matches whose item is gone', async () => {
    const { manager, shortTerm, midTerm } = embedded();
    await manager.store(turn('a', 'orphaned vector'), 'high');
    await midTerm.delete('a');
    await shortTerm.forgetItem('a');
    expect((await manager.retrieveContext('orphaned vector', 'c1')).semantic).toEqual([]);
  });

  it('takes semantic items from short-term when it has them, from mid-term otherwise', async () => {
    const base = embedded();
    await base.manager.store(turn('hot', 'cached fact about llamas'), 'high');
    await base.manager.store(turn('cold', 'stored fact about llamas'), 'high');
    await base.shortTerm.forgetItem('cold');
    const asked: string[][] = [];
    const midTerm = override(base.midTerm, 'getMany', async (ids: readonly string[]) => {
      asked.push([...ids]);
      return base.midTerm.getMany(ids);
    });
    const manager = new LayeredMemoryManager({ ...base.manager.layers, midTerm });
    const context = await manager.retrieveContext('fact about llamas', 'c9');
    expect(context.semantic.map((m) => m.item.id).sort()).toEqual(['cold', 'hot']);
    expect(asked).toEqual([['cold']]);
  });

  // Half-open [occurredAfter, occurredBefore): the start included, the end not.
  it('limits every part to a time range on occurredAt', async () => {
    const { manager } = embedded({ recentMessages: 2 });
    const day = (d: number) => `2026-02-${String(d).padStart(2, '0')}T10:00:00.000Z`;
    // Stored in this order (createdAt), occurring on other days: recent and related go by storage order.
    await manager.store({ ...turn('d1', 'the boiler was serviced'), occurredAt: day(1), createdAt: '2026-03-01T11:00:01.000Z' }, 'high');
    await manager.store({ ...turn('d5', 'the boiler broke down'), occurredAt: day(5), createdAt: '2026-03-01T11:00:02.000Z' }, 'high');
    await manager.store({ ...turn('d3', 'the boiler made a noise'), occurredAt: day(3), createdAt: '2026-03-01T11:00:03.000Z' }, 'high');
    await manager.store({ ...turn('d9', 'the boiler was replaced'), occurredAt: day(9), createdAt: '2026-03-01T11:00:04.000Z' }, 'high');
    await manager.store({ ...turn('x4', 'a boiler elsewhere', 'c2'), occurredAt: day(4) }, 'high');

    const all = await manager.retrieveContext('boiler', 'c1', { semanticLimit: 10 });
    expect(all.recent.map((i) => i.id)).toEqual(['d3', 'd9']);
    expect(all.related.map((i) => i.id)).toEqual(['d5', 'd1']);
    expect(all.semantic.map((m) => m.item.id).sort()).toEqual(['d1', 'd3', 'd5', 'd9', 'x4']);

    const range = { occurredAfter: day(3), occurredBefore: day(9), semanticLimit: 10 };
    const within = await manager.retrieveContext('boiler', 'c1', range);
    expect(within.recent.map((i) => i.id)).toEqual(['d3']);
    // Mid-term is asked for the range itself (its limit counts only items within it).
    expect(within.related.map((i) => i.id)).toEqual(['d5']);
    expect(within.semantic.map((m) => m.item.id).sort()).toEqual(['d3', 'd5', 'x4']);
    for (const item of [...within.recent, ...within.related, ...within.semantic.map((m) => m.item)]) {
      expect(item.occurredAt! >= day(3) && item.occurredAt! < day(9)).toBe(true);
    }
    const open = await manager.retrieveContext('boiler', 'c1', { occurredAfter: day(9) });
    expect([...open.recent, ...open.related, ...open.semantic.map((m) => m.item)].map((i) => i.id)).toEqual(['d9', 'd9']);
  });

  it('passes the range to mid-term and long-term, and refuses a bad one naming the field', async () => {
    const base = embedded();
    const asked: unknown[] = [];
    const midTerm = override(base.midTerm, 'byConversation', async (...args: Parameters<MidTermStore['byConversation']>) => (asked.push(['mid', args[3]]), []));
    const longTerm = override(base.longTerm, 'search', async (_q: string, o: Parameters<LongTermStore['search']>[1]) => (asked.push(['long', o.occurredAfter, o.occurredBefore]), []));
    const manager = new LayeredMemoryManager({ ...base.manager.layers, midTerm, longTerm });
    await manager.retrieveContext('q', 'c1', { occurredAfter: '2026-01-01T01:00:00+01:00' });
    await manager.retrieveContext('q', 'c1');
    expect(asked).toEqual([
      ['mid', { occurredAfter: '2026-01-01T00:00:00.000Z' }],
      ['long', '2026-01-01T00:00:00.000Z', undefined],
      ['mid', undefined],
      ['long', undefined, undefined],
    ]);
    await expect(manager.retrieveContext('q', 'c1', { occurredAfter: 'last week' })).rejects.toMatchObject({ problems: [{ path: 'occurredAfter' }] });
    await expect(manager.retrieveContext('q', 'c1', { occurredBefore: '2026-13-01T00:00:00Z' })).rejects.toMatchObject({ problems: [{ path: 'occurredBefore' }] });
    // A range that ends before (or where) it starts is empty: nothing in it, and no layer is asked.
    for (const occurredBefore of ['2026-01-01T00:00:00Z', '2026-02-01T00:00:00Z']) {
      await expect(manager.retrieveContext('q', 'c1', { occurredAfter: '2026-02-01T00:00:00Z', occurredBefore })).resolves.toEqual({ recent: [], related: [], semantic: [], degraded: [] });
    }
    expect(asked).toHaveLength(4); // a refused read, or an empty range, calls no layer
  });

  it('validates its arguments', async () => {
    const { manager } = embedded();
    await expect(manager.retrieveContext('', 'c1')).rejects.toMatchObject({ problems: [{ path: 'query' }] });
    await expect(manager.retrieveContext('q', 'bad id')).rejects.toMatchObject({ problems: [{ path: 'conversationId' }] });
    await expect(manager.retrieveContext('q', 'c1', { tenantId: '' })).rejects.toMatchObject({ problems: [{ path: 'tenantId' }] });
  });
});

describe('forget', () => {
  it('removes a conversation from every layer, including long-term vectors, and says how much', async () => {
    const { manager, shortTerm, midTerm, longTerm } = embedded();
    await manager.store(turn('a', 'alpha fact', 'c1'), 'high');
    await manager.store(turn('b', 'beta note', 'c1'), 'medium');
    await manager.store(turn('c', 'gamma chat', 'c1'), 'low');
    await manager.store(turn('z', 'other conversation', 'c2'), 'high');

    // Long-term counts removals requested (Vector Search does not say which ids it had): both
    // durable ids of the conversation are sent, though only the HIGH one had a vector.
    expect(await manager.forget({ conversationId: 'c1' })).toMatchObject({ removed: { 'short-term': 3, 'mid-term': 2, 'long-term': 2 }, receipt: { state: 'complete' } });
    expect(await shortTerm.recent('c1', 10)).toEqual([]);
    expect(await midTerm.idsOfConversation('c1')).toEqual([]);
    expect(longTerm.size).toBe(1);
    expect((await manager.retrieveContext('alpha fact', 'c1')).semantic).toEqual([]);
    expect(await midTerm.get('z')).toBeDefined();
  });

  it('removes one item everywhere', async () => {
    const { manager, shortTerm, midTerm, longTerm } = embedded();
    await manager.store(turn('a', 'alpha'), 'high');
    expect(await manager.forget({ itemId: 'a' })).toMatchObject({ removed: { 'short-term': 1, 'mid-term': 1, 'long-term': 1 }, receipt: { state: 'complete' } });
    expect(await shortTerm.getItem('a')).toBeUndefined();
    expect(await midTerm.get('a')).toBeUndefined();
    expect(longTerm.size).toBe(0);
  });

  it('reports a layer it could not reach, with what was removed elsewhere, and keeps the documents that list the vectors still owed', async () => {
    const base = embedded();
    await base.manager.store(turn('a', 'alpha'), 'high');
    const longTerm: LongTermStore = override(base.longTerm, 'remove', async () => {
      throw new Error('UNAVAILABLE');
    });
    const manager = new LayeredMemoryManager({ ...base.manager.layers, longTerm });
    const error = (await manager.forget({ conversationId: 'c1' }).catch((e: unknown) => e)) as MemoryForgetError;
    expect(error).toBeInstanceOf(MemoryForgetError);
    expect(error.failures).toEqual([{ layer: 'long-term', reason: 'UNAVAILABLE' }]);
    expect(error.removed).toMatchObject({ 'short-term': 1, 'mid-term': 0 });
    expect(await base.midTerm.get('a')).toBeDefined();
  });

  it('validates the target', async () => {
    const { manager } = embedded();
    await expect(manager.forget({ conversationId: 'no spaces please' })).rejects.toMatchObject({ problems: [{ path: 'conversationId' }] });
    await expect(manager.forget({ itemId: '' })).rejects.toMatchObject({ problems: [{ path: 'itemId' }] });
  });
});

describe('warmUp', () => {
  it('connects lazy layers and never throws', async () => {
    const base = embedded();
    const calls: string[] = [];
    const longTerm = Object.assign(base.longTerm, { warmUp: async () => void calls.push('long-term') });
    const midTerm = Object.assign(base.midTerm, {
      warmUp: async () => {
        calls.push('mid-term');
        throw new Error('no credentials');
      },
    });
    const manager = new LayeredMemoryManager({ shortTerm: base.shortTerm, midTerm, longTerm });
    await expect(manager.warmUp()).resolves.toBeUndefined();
    expect(calls.sort()).toEqual(['long-term', 'mid-term']);
  });
});

describe('status', () => {
  it('reports each layer, embedded ones as embedded', async () => {
    const { manager } = embedded();
    expect(await manager.status()).toEqual([
      expect.objectContaining({ layer: 'short-term', backend: 'embedded', embedded: true, ok: true }),
      expect.objectContaining({ layer: 'mid-term', backend: 'embedded', embedded: true, ok: true }),
      expect.objectContaining({ layer: 'long-term', backend: 'embedded', embedded: true, ok: true }),
    ]);
  });

  it('reports a layer whose probe hangs as not ok', async () => {
    const base = embedded();
    const shortTerm: ShortTermStore = override(base.shortTerm, 'status', never);
    const midTerm: MidTermStore = base.midTerm;
    const manager = new LayeredMemoryManager({ ...base.manager.layers, shortTerm, midTerm }, { layerTimeoutMs: 20 });
    expect((await manager.status())[0]).toEqual({ layer: 'short-term', backend: 'unknown', embedded: false, ok: false, detail: 'timeout' });
  });
});
