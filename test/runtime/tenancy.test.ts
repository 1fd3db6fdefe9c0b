import { TENANT } from '../../runtime/src/contract';
import { parseId } from '../../runtime/src/memory/item-schema';
import { EmbeddedLongTermStore } from '../../runtime/src/memory/long-term/embedded-long-term';
import { datapointOf, tokenRestricts } from '../../runtime/src/memory/long-term/vertex-long-term';
import { EmbeddedMidTermStore } from '../../runtime/src/memory/mid-term/embedded-mid-term';
import { conversationFilter, documentOf, itemFilter } from '../../runtime/src/memory/mid-term/mongo-mid-term';
import { EmbeddedShortTermStore } from '../../runtime/src/memory/short-term/embedded-short-term';
import { redisKeys } from '../../runtime/src/memory/short-term/redis-short-term';
import { TenantScopeError, decodeScopedId, ofTenant, scopedId } from '../../runtime/src/memory/tenancy';
import type { StoredItem } from '../../runtime/src/memory/types';
import { TenantScope } from '../../runtime/src/server/tenant-scope';

// A property test with a seeded generator of its own (fast-check is not a dependency yet): the
// same cases on every run, many of them built to collide under a naive `<tenant>:<id>`.

/** mulberry32: a small deterministic PRNG, enough to spread cases (not for cryptography). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Few letters and every separator-like character, so prefixes and separators meet often.
const FIRST = ['a', 'b', '1', '4'];
const REST = ['a', 'b', '1', '4', ':', '.', '_', '@', '-'];
const CLIENT_ID = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/; // the HTTP schema's ClientId

function word(random: () => number, maxLength: number): string {
  const length = 1 + Math.floor(random() * maxLength);
  let s = FIRST[Math.floor(random() * FIRST.length)];
  while (s.length < length) s += REST[Math.floor(random() * REST.length)];
  return s;
}

type Pair = { readonly tenant: string; readonly id: string };

/**
 * Random pairs, then for each every other split of its naive `tenant:id` at a `:` (tenant `a`
 * with id `b:c` next to tenant `a:b` with id `c`), plus the longest tenants and ids there are.
 */
function cases(seed: number, count: number): Pair[] {
  const random = prng(seed);
  const pairs: Pair[] = [
    { tenant: 'a', id: 'b:c' },
    { tenant: 'a:b', id: 'c' },
    { tenant: '1', id: '1.a:b' },
    { tenant: '1.a', id: 'b' },
    { tenant: 't'.repeat(64), id: 'i'.repeat(128) },
    { tenant: 't'.repeat(63), id: `t:${'i'.repeat(126)}` },
  ];
  for (let n = 0; n < count; n++) {
    const tenant = word(random, 8);
    const id = word(random, 10);
    pairs.push({ tenant, id });
    const naive = `${tenant}:${id}`;
    for (let at = naive.indexOf(':'); at >= 0; at = naive.indexOf(':', at + 1)) {
      const split = { tenant: naive.slice(0, at), id: naive.slice(at + 1) };
      if (TENANT.pattern.test(split.tenant) && CLIENT_ID.test(split.id)) pairs.push(split);
    }
  }
  const seen = new Set<string>();
  return pairs.filter((p) => {
    const key = JSON.stringify(p);
    return seen.has(key) ? false : (seen.add(key), true);
  });
}

const PAIRS = cases(20260101, 2000);
const label = (p: Pair) => JSON.stringify(p);

/** Asserts `encode` maps distinct pairs to distinct values (compared as JSON), naming the first collision. */
function expectInjective(what: string, encode: (p: Pair) => unknown): void {
  const owner = new Map<string, Pair>();
  for (const pair of PAIRS) {
    const key = JSON.stringify(encode(pair));
    const previous = owner.get(key);
    if (previous !== undefined) throw new Error(`${what}: ${label(previous)} and ${label(pair)} both map to ${key}`);
    owner.set(key, pair);
  }
}

const itemOf = (p: Pair, content = label(p)): StoredItem => {
  const id = scopedId(p.tenant, p.id);
  return { id, content, conversationId: id, tenantId: p.tenant, createdAt: '2026-01-01T00:00:00.000Z' };
};

describe('the generated cases', () => {
  it('are many, valid, and collide under the naive `tenant:id`', () => {
    expect(PAIRS.length).toBeGreaterThan(2000);
    expect(PAIRS.filter((p) => !TENANT.pattern.test(p.tenant) || !CLIENT_ID.test(p.id))).toEqual([]);
    const naive = new Map<string, number>();
    for (const p of PAIRS) naive.set(`${p.tenant}:${p.id}`, (naive.get(`${p.tenant}:${p.id}`) ?? 0) + 1);
    expect([...naive.values()].filter((n) => n > 1).length).toBeGreaterThan(500);
  });
});

describe('scopedId', () => {
  it('never maps two distinct (tenant, id) pairs to one stored id', () => {
    expectInjective('scopedId', (p) => scopedId(p.tenant, p.id));
  });

  it('is decoded back to its tenant and id, and stays a valid memory id', () => {
    const wrong = PAIRS.filter((p) => {
      const stored = scopedId(p.tenant, p.id);
      const decoded = decodeScopedId(stored);
      return decoded?.tenant !== p.tenant || decoded.id !== p.id || parseId('id', stored) !== stored;
    });
    expect(wrong).toEqual([]);
  });

  it('refuses tenants the configuration would refuse', () => {
    for (const tenant of ['', ':a', '.a', 'a b', 'a/b', 'a%3A', 't'.repeat(65)]) {
      expect(() => scopedId(tenant, 'x')).toThrow(TenantScopeError);
    }
  });

  it('decodes nothing it cannot have produced', () => {
    for (const stored of ['', 'a:b:c', 'acme:c1', '4.acm:c1', '4.acmex', '04.acme:c', '0.:c', '5.acme:c', '.acme:c', '100.a:b', `3.:ab:c`]) {
      expect(decodeScopedId(stored)).toBeUndefined();
    }
  });
});

describe('every backend keeps distinct (tenant, id) pairs apart', () => {
  it('Redis: item, recent-list and id-set keys never meet, across kinds too', () => {
    const keys = redisKeys('orchestra');
    const owner = new Map<string, string>();
    for (const p of PAIRS) {
      const id = scopedId(p.tenant, p.id);
      for (const [kind, key] of [['item', keys.item(id)], ['recent', keys.recent(id)], ['ids', keys.ids(id)]] as const) {
        const previous = owner.get(key);
        if (previous !== undefined) throw new Error(`Redis key ${key} of ${kind} ${label(p)} is also ${previous}`);
        owner.set(key, `${kind} ${label(p)}`);
      }
    }
  });

  it('MongoDB: document ids, item filters and conversation filters', () => {
    const now = new Date('2026-01-01T00:00:00Z');
    expectInjective('document _id', (p) => documentOf(itemOf(p), undefined, now)._id);
    expectInjective('item filter', (p) => itemFilter(scopedId(p.tenant, p.id), p.tenant));
    expectInjective('conversation filter', (p) => conversationFilter(scopedId(p.tenant, p.id), p.tenant));
    // A filter matches its own document and nobody else's, even one keyed by the naive id.
    for (const p of PAIRS.slice(0, 200)) {
      const doc = documentOf(itemOf(p), undefined, now);
      expect(conversationFilter(doc.conversationId as string, p.tenant)).toEqual({ conversationId: doc.conversationId, tenantId: p.tenant });
      expect(itemFilter(doc._id, p.tenant)).toEqual({ _id: doc._id, tenantId: p.tenant });
    }
  });

  it('Vector Search: datapoint ids, and the restricts written and searched', () => {
    const vector = new Float32Array([1, 0]);
    expectInjective('datapoint id', (p) => datapointOf(itemOf(p), vector).datapointId);
    expectInjective('datapoint restricts', (p) => datapointOf(itemOf(p), vector).restricts);
    expectInjective('search restricts', (p) => tokenRestricts(p.tenant, scopedId(p.tenant, p.id)));
    // A search's tenant token is exactly the tenant written on its datapoints: no prefix of another.
    for (const p of PAIRS.slice(0, 200)) {
      const written = datapointOf(itemOf(p), vector).restricts ?? [];
      expect(written).toEqual([
        { namespace: 'tenant', allowList: [p.tenant] },
        { namespace: 'conversation', allowList: [scopedId(p.tenant, p.id)] },
      ]);
    }
  });

  it('the embedded stores: each pair reads back its own item only, and forgetting one spares the rest', async () => {
    const sample = PAIRS.filter((p) => PAIRS.some((q) => q !== p && `${q.tenant}:${q.id}` === `${p.tenant}:${p.id}`)).slice(0, 150);
    expect(sample.length).toBe(150);
    const short = new EmbeddedShortTermStore();
    const mid = new EmbeddedMidTermStore();
    const long = new EmbeddedLongTermStore();
    for (const p of sample) {
      await short.remember(itemOf(p), 10, 60);
      await mid.upsert(itemOf(p));
    }
    await long.upsert(sample.map((p) => itemOf(p)));
    for (const p of sample) {
      const id = scopedId(p.tenant, p.id);
      expect((await short.getItem(id, p.tenant))?.content).toBe(label(p));
      expect((await short.recent(id, 10, p.tenant)).map((i) => i.content)).toEqual([label(p)]);
      expect((await mid.byConversation(id, 10, p.tenant)).map((i) => i.content)).toEqual([label(p)]);
      expect((await long.search(label(p), { limit: 10, tenantId: p.tenant, conversationId: id })).map((m) => m.id)).toEqual([id]);
    }
    const [gone, ...rest] = sample;
    const goneId = scopedId(gone.tenant, gone.id);
    expect(await short.forgetConversation(goneId)).toBe(1);
    expect(await mid.deleteConversation(goneId, gone.tenant)).toBe(1);
    await long.remove([goneId]);
    for (const p of rest) {
      const id = scopedId(p.tenant, p.id);
      expect((await short.getItem(id))?.content).toBe(label(p));
      expect((await mid.get(id))?.content).toBe(label(p));
    }
    expect(long.size).toBe(rest.length);
  });
});

describe('ofTenant', () => {
  it('passes everything without a tenant, and only exact matches with one', () => {
    expect(ofTenant({}, undefined)).toBe(true);
    expect(ofTenant({ tenantId: 'a' }, 'a')).toBe(true);
    for (const stored of [undefined, 'a:b', 'A', 'a ']) expect(ofTenant({ tenantId: stored }, 'a')).toBe(false);
  });
});

describe('TenantScope', () => {
  const a = new TenantScope('a');
  const ab = new TenantScope('a:b');

  it('gives the client back its own ids, and nothing for another tenant’s', () => {
    expect(a.clientId(a.id('b:c'))).toBe('b:c');
    expect(ab.clientId(a.id('b:c'))).toBeUndefined();
    expect(a.clientId(ab.id('c'))).toBeUndefined();
    expect(a.id('b:c')).not.toBe(ab.id('c'));
  });

  it('shows only items stored with its tenant in its conversations, under the client’s ids', () => {
    const own: StoredItem = { id: a.id('b:c'), conversationId: a.id('b:c'), tenantId: 'a', content: 'mine', createdAt: '2026-01-01T00:00:00.000Z' };
    const team: StoredItem = { ...own, id: '5b0e7c3a-uuid', content: 'a turn a team stored' };
    const foreign: StoredItem = { ...own, id: ab.id('c'), conversationId: ab.id('c'), tenantId: 'a:b', content: 'theirs' };
    const mislabelled: StoredItem = { ...own, tenantId: 'a:b', content: 'tenant field differs' };
    const misplaced: StoredItem = { ...own, conversationId: ab.id('c'), content: 'in another tenant’s conversation' };
    expect(a.items([own, team, foreign, mislabelled, misplaced])).toEqual([
      { id: 'b:c', conversationId: 'b:c', content: 'mine', createdAt: own.createdAt },
      { id: '5b0e7c3a-uuid', conversationId: 'b:c', content: 'a turn a team stored', createdAt: own.createdAt },
    ]);
    expect(a.matches([{ item: foreign, score: 0.9 }, { item: own, score: 0.5 }])).toEqual([{ item: expect.objectContaining({ id: 'b:c' }), score: 0.5 }]);
  });
});
