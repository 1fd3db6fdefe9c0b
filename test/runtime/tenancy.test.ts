import fc from 'fast-check';
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
import { ClientId } from '../../runtime/src/server/schemas';
import { TenantScope } from '../../runtime/src/server/tenant-scope';

// Property tests (fast-check), seeded: the same cases on every run, and a failure names its seed and
// shrunk case. Each case is a set of (tenant, id) pairs made to collide under a naive
// `<tenant>:<id>`: every pair comes with every other split of its naive id at a `:` (tenant `a`
// with id `b:c` next to tenant `a:b` with id `c`). The last describe block checks that the cases
// are strong enough: the same properties fail for the naive encoding.
const SEED = 20260101;
const RUNS = 1000;

type Pair = { readonly tenant: string; readonly id: string };

const CLIENT_ID = new RegExp(ClientId.pattern ?? '(?!)'); // the HTTP schema's client ids
const valid = (p: Pair) => TENANT.pattern.test(p.tenant) && CLIENT_ID.test(p.id);
const naive = (p: Pair) => `${p.tenant}:${p.id}`;
const label = (p: Pair) => JSON.stringify(p);

// Few letters and every separator-like character, so prefixes and separators meet often.
const FIRST = ['a', 'b', '1', '4'];
const REST = [...FIRST, ':', '.', '_', '@', '-'];
const word = (maxLength: number) =>
  fc.tuple(fc.constantFrom(...FIRST), fc.string({ unit: fc.constantFrom(...REST), maxLength: maxLength - 1 })).map(([first, rest]) => first + rest);

/** Tenants and ids the rules allow: short and dense in separators, up to the longest, or anything the rule matches. */
const pairArb: fc.Arbitrary<Pair> = fc.record({
  tenant: fc.oneof(word(8), word(64), fc.stringMatching(TENANT.pattern)),
  id: fc.oneof(word(10), word(128), fc.stringMatching(CLIENT_ID)),
});

/** `p` and every valid pair with the same naive id. */
function family(p: Pair): Pair[] {
  const joined = naive(p);
  const pairs = [p];
  for (let at = joined.indexOf(':'); at >= 0; at = joined.indexOf(':', at + 1)) {
    const split = { tenant: joined.slice(0, at), id: joined.slice(at + 1) };
    if (valid(split) && split.tenant !== p.tenant) pairs.push(split);
  }
  return pairs;
}

/** Distinct pairs, families of naive collisions among them. */
const pairsArb: fc.Arbitrary<Pair[]> = fc.array(pairArb.map(family), { minLength: 1, maxLength: 16 }).map((families) => {
  const seen = new Set<string>();
  return families.flat().filter((p) => !seen.has(label(p)) && !!seen.add(label(p)));
});

/** Cases written out: the collision that motivated the encoding, and the longest tenant and id. */
const EXAMPLES: Pair[][] = [
  [
    { tenant: 'a', id: 'b:c' },
    { tenant: 'a:b', id: 'c' },
    { tenant: '1', id: '1.a:b' },
    { tenant: '1.a', id: 'b' },
    { tenant: 't'.repeat(64), id: 'i'.repeat(128) },
    { tenant: 't'.repeat(63), id: `t:${'i'.repeat(126)}` },
  ],
];

/** Throws, naming the first collision, unless `encode` maps the distinct `pairs` to distinct values (compared as JSON). */
function expectInjective(what: string, pairs: readonly Pair[], encode: (p: Pair) => unknown): void {
  const owner = new Map<string, Pair>();
  for (const pair of pairs) {
    const key = JSON.stringify(encode(pair));
    const previous = owner.get(key);
    if (previous !== undefined) throw new Error(`${what}: ${label(previous)} and ${label(pair)} both map to ${key}`);
    owner.set(key, pair);
  }
}

/** A property over sets of distinct pairs; `scope` is the stored-id encoding under test (the real one but in the self-check). */
type Check = (pairs: readonly Pair[], scope: (tenant: string, id: string) => string) => void;

const itemOf = (p: Pair, scope: (tenant: string, id: string) => string = scopedId, content = label(p)): StoredItem => {
  const id = scope(p.tenant, p.id);
  return { id, content, conversationId: id, tenantId: p.tenant, createdAt: '2026-01-01T00:00:00.000Z' };
};

/** Whether a MongoDB equality filter (every value a string, as these are) selects `doc`. */
function selects(filter: Record<string, unknown>, doc: Record<string, unknown>): boolean {
  return Object.entries(filter).every(([field, value]) => typeof value === 'string' && doc[field] === value);
}

/**
 * Whether a datapoint passes a query's token restricts: for each namespace the query names, the
 * datapoint has a token of that namespace in the query's allow list (Vector Search, "Filter vector
 * matches", https://cloud.google.com/vertex-ai/docs/vector-search/filtering). Our datapoints carry
 * both namespaces, so what the docs leave to a datapoint without one does not arise.
 */
function passes(query: ReturnType<typeof tokenRestricts>, restricts: ReturnType<typeof datapointOf>['restricts']): boolean {
  return query.every((r) => (restricts ?? []).some((d) => d.namespace === r.namespace && (d.allowList ?? []).some((token) => r.allow.includes(token))));
}

const NOW = new Date('2026-01-01T00:00:00Z');
const VECTOR = new Float32Array([1, 0]);

/** What every backend keys, filters and restricts on, each of which must keep distinct pairs apart. */
const BACKENDS: Record<string, Check> = {
  'the stored id': (pairs, scope) => expectInjective('stored id', pairs, (p) => scope(p.tenant, p.id)),

  'Redis: item, recent-list and id-set keys never meet, across kinds too': (pairs, scope) => {
    const keys = redisKeys('orchestra');
    const owner = new Map<string, string>();
    for (const p of pairs) {
      const id = scope(p.tenant, p.id);
      for (const [kind, key] of [['item', keys.item(id)], ['recent', keys.recent(id)], ['ids', keys.ids(id)]] as const) {
        const previous = owner.get(key);
        if (previous !== undefined) throw new Error(`Redis key ${key} of ${kind} ${label(p)} is also ${previous}`);
        owner.set(key, `${kind} ${label(p)}`);
      }
    }
  },

  'MongoDB: each item and conversation filter selects its own document and no other': (pairs, scope) => {
    const docs = pairs.map((p) => documentOf(itemOf(p, scope), undefined, NOW) as unknown as Record<string, unknown>);
    expectInjective('document _id', pairs, (p) => documentOf(itemOf(p, scope), undefined, NOW)._id);
    for (const p of pairs) {
      const id = scope(p.tenant, p.id);
      for (const [what, filter] of [['item filter', itemFilter(id, p.tenant)], ['conversation filter', conversationFilter(id, p.tenant)]] as const) {
        const selected = docs.flatMap((doc, j) => (selects(filter, doc) ? [pairs[j]] : []));
        if (selected.length !== 1 || selected[0] !== p) throw new Error(`${what} ${JSON.stringify(filter)} of ${label(p)} selects ${JSON.stringify(selected)}`);
      }
    }
  },

  'Vector Search: datapoint ids, and a search of one conversation passes its own datapoint only': (pairs, scope) => {
    const datapoints = pairs.map((p) => datapointOf(itemOf(p, scope), VECTOR));
    expectInjective('datapoint id', pairs, (p) => datapointOf(itemOf(p, scope), VECTOR).datapointId);
    pairs.forEach((p, i) => {
      const id = scope(p.tenant, p.id);
      // The tenant token is exactly the tenant: no prefix of another.
      if (JSON.stringify(datapoints[i].restricts) !== JSON.stringify([{ namespace: 'tenant', allowList: [p.tenant] }, { namespace: 'conversation', allowList: [id] }])) {
        throw new Error(`restricts of ${label(p)}: ${JSON.stringify(datapoints[i].restricts)}`);
      }
      const query = tokenRestricts(p.tenant, id);
      const passed = datapoints.flatMap((d, j) => (passes(query, d.restricts) ? [pairs[j]] : []));
      if (passed.length !== 1 || passed[0] !== p) throw new Error(`search ${JSON.stringify(query)} of ${label(p)} passes ${JSON.stringify(passed)}`);
    });
  },
};

/** The embedded stores, given every pair's item: each reads back its own only, and forgetting one spares the rest. */
async function embeddedStores(pairs: readonly Pair[], scope: (tenant: string, id: string) => string): Promise<void> {
  const short = new EmbeddedShortTermStore();
  const mid = new EmbeddedMidTermStore();
  const long = new EmbeddedLongTermStore();
  for (const p of pairs) {
    await short.remember(itemOf(p, scope), 10, 60);
    await mid.upsert(itemOf(p, scope));
  }
  await long.upsert(pairs.map((p) => itemOf(p, scope)));
  for (const p of pairs) {
    const id = scope(p.tenant, p.id);
    expect((await short.getItem(id, p.tenant))?.content).toBe(label(p));
    expect((await short.recent(id, 10, p.tenant)).map((i) => i.content)).toEqual([label(p)]);
    expect((await mid.byConversation(id, 10, p.tenant)).map((i) => i.content)).toEqual([label(p)]);
    expect((await long.search(label(p), { limit: 10, tenantId: p.tenant, conversationId: id })).map((m) => m.id)).toEqual([id]);
  }
  const [gone, ...rest] = pairs;
  const goneId = scope(gone.tenant, gone.id);
  expect(await short.forgetConversation(goneId)).toBe(1);
  expect(await mid.deleteConversation(goneId, gone.tenant)).toBe(1);
  await long.remove([goneId]);
  for (const p of rest) {
    const id = scope(p.tenant, p.id);
    expect((await short.getItem(id))?.content).toBe(label(p));
    expect((await mid.get(id))?.content).toBe(label(p));
  }
  expect(long.size).toBe(rest.length);
}

describe('every backend keeps distinct (tenant, id) pairs apart', () => {
  it.each(Object.keys(BACKENDS))('%s', (name) => {
    fc.assert(
      fc.property(pairsArb, (pairs) => BACKENDS[name](pairs, scopedId)),
      { seed: SEED, numRuns: RUNS, examples: EXAMPLES.map((pairs) => [pairs]) },
    );
  });

  it('the embedded stores: each pair reads back its own item only, and forgetting one spares the rest', async () => {
    await fc.assert(fc.asyncProperty(pairsArb, (pairs) => embeddedStores(pairs, scopedId)), { seed: SEED, numRuns: RUNS / 5, examples: EXAMPLES.map((pairs) => [pairs]) });
  });
});

describe('scopedId', () => {
  it('is decoded back to its tenant and id, and stays a valid memory id', () => {
    fc.assert(
      fc.property(pairArb, (p) => {
        const stored = scopedId(p.tenant, p.id);
        expect(decodeScopedId(stored)).toEqual({ tenant: p.tenant, id: p.id });
        expect(parseId('id', stored)).toBe(stored);
      }),
      { seed: SEED, numRuns: 2000, examples: EXAMPLES[0].map((p) => [p]) },
    );
  });

  // With the round trip above: stored ids and pairs correspond one to one.
  it('decodes only what it produced itself, in its one spelling', () => {
    const storedLike = fc.string({ unit: fc.constantFrom('0', '1', '2', '4', '6', '.', ':', 'a', 'b', '@'), maxLength: 12 });
    fc.assert(
      fc.property(fc.oneof(storedLike, pairArb.map((p) => scopedId(p.tenant, p.id)).chain((s) => fc.nat(s.length).map((n) => s.slice(0, n)))), (stored) => {
        const decoded = decodeScopedId(stored);
        if (decoded !== undefined) expect(scopedId(decoded.tenant, decoded.id)).toBe(stored);
      }),
      { seed: SEED, numRuns: 5000 },
    );
    for (const stored of ['', 'a:b:c', 'acme:c1', '4.acm:c1', '4.acmex', '04.acme:c', '0.:c', '5.acme:c', '.acme:c', '100.a:b', `3.:ab:c`]) {
      expect(decodeScopedId(stored)).toBeUndefined();
    }
  });

  it('refuses tenants the configuration would refuse', () => {
    for (const tenant of ['', ':a', '.a', 'a b', 'a/b', 'a%3A', 't'.repeat(65)]) {
      expect(() => scopedId(tenant, 'x')).toThrow(TenantScopeError);
    }
  });
});

// The properties above are only as good as their cases: the naive encoding must fail each one.
describe('the generated cases', () => {
  it('are valid, and many of them collide under the naive `tenant:id`', () => {
    const samples = fc.sample(pairsArb, { seed: SEED, numRuns: RUNS });
    expect(samples.flat().filter((p) => !valid(p))).toEqual([]);
    const colliding = samples.filter((pairs) => new Set(pairs.map(naive)).size < pairs.length);
    expect(colliding.length).toBeGreaterThan(RUNS / 2);
  });

  it.each(Object.keys(BACKENDS))('catch the naive encoding: %s', (name) => {
    const result = fc.check(
      fc.property(pairsArb, (pairs) => BACKENDS[name](pairs, (tenant, id) => `${tenant}:${id}`)),
      { seed: SEED, numRuns: RUNS },
    );
    expect(result.failed).toBe(true);
    // And for the reason meant: two of the pairs it reports share their naive id.
    const [pairs] = result.counterexample ?? [[]];
    expect(new Set(pairs.map(naive)).size).toBeLessThan(pairs.length);
  });

  it('catch the naive encoding: the embedded stores', async () => {
    const result = await fc.check(
      fc.asyncProperty(pairsArb, (pairs) => embeddedStores(pairs, (tenant, id) => `${tenant}:${id}`)),
      { seed: SEED, numRuns: RUNS / 5 },
    );
    expect(result.failed).toBe(true);
    const [pairs] = result.counterexample ?? [[]];
    expect(new Set(pairs.map(naive)).size).toBeLessThan(pairs.length);
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
      // occurredAt always shown: an item stored without one occurred when it was created.
      { id: 'b:c', conversationId: 'b:c', content: 'mine', createdAt: own.createdAt, occurredAt: own.createdAt },
      { id: '5b0e7c3a-uuid', conversationId: 'b:c', content: 'a turn a team stored', createdAt: own.createdAt, occurredAt: own.createdAt },
    ]);
    expect(a.matches([{ item: foreign, score: 0.9 }, { item: own, score: 0.5 }])).toEqual([{ item: expect.objectContaining({ id: 'b:c' }), score: 0.5 }]);
  });
});
