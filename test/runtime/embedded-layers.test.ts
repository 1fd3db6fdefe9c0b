import { MemoryOptionsError } from '../../runtime/src/memory/errors';
import { EmbeddedLongTermStore } from '../../runtime/src/memory/long-term/embedded-long-term';
import { HashingEmbedder } from '../../runtime/src/memory/long-term/hashing-embedder';
import { dot } from '../../runtime/src/memory/long-term/vectors';
import { EmbeddedMidTermStore } from '../../runtime/src/memory/mid-term/embedded-mid-term';
import { EmbeddedShortTermStore } from '../../runtime/src/memory/short-term/embedded-short-term';
import { fakeClock } from './contracts/harness';
import { longTermContract } from './contracts/long-term-contract';
import { midTermContract } from './contracts/mid-term-contract';
import { shortTermContract } from './contracts/short-term-contract';

shortTermContract('embedded', async () => {
  const clock = fakeClock();
  return { store: new EmbeddedShortTermStore({ clock: clock.now }), advance: clock.advance, teardown: async () => {} };
});

midTermContract('embedded', async () => {
  const clock = fakeClock(Date.now());
  return { store: new EmbeddedMidTermStore({ clock: clock.now }), advance: clock.advance, now: clock.now, teardown: async () => {} };
});

longTermContract('embedded', async () => ({ store: new EmbeddedLongTermStore({ initialCapacity: 2 }), teardown: async () => {} }));
longTermContract('embedded, int8 vectors', async () => ({ store: new EmbeddedLongTermStore({ initialCapacity: 2, precision: 'int8' }), teardown: async () => {} }));

describe('HashingEmbedder', () => {
  const embedder = new HashingEmbedder(768);

  it('gives deterministic unit vectors of the configured width', () => {
    const a = embedder.embedOne('The quick brown fox');
    expect(a).toHaveLength(768);
    expect(dot(a, a)).toBeCloseTo(1, 5);
    expect(Array.from(embedder.embedOne('the QUICK brown fox!'))).toEqual(Array.from(a));
  });

  it('scores texts that share words closer than texts that do not', () => {
    const q = embedder.embedOne('deploy the service to cloud run');
    expect(dot(q, embedder.embedOne('how to deploy a cloud run service'))).toBeGreaterThan(dot(q, embedder.embedOne('banana bread recipe')));
  });

  it('maps text without words to the zero vector', () => {
    expect(Array.from(embedder.embedOne('!!! ...')).every((x) => x === 0)).toBe(true);
  });

  it('rejects a nonsensical width', () => {
    expect(() => new HashingEmbedder(0)).toThrow(MemoryOptionsError);
  });
});

describe('EmbeddedLongTermStore', () => {
  it('grows past its initial capacity and keeps rows consistent after swap-removal', async () => {
    const store = new EmbeddedLongTermStore({ embedder: new HashingEmbedder(16), initialCapacity: 1 });
    const basis = (i: number) => Float32Array.from({ length: 16 }, (_, j) => (j === i ? 1 : 0));
    for (let i = 0; i < 16; i++) store.put(`v${i}`, basis(i));
    expect(store.size).toBe(16);
    await store.remove(['v0', 'v7']);
    expect(store.size).toBe(14);
    for (const i of [1, 15, 8]) expect(store.nearest(basis(i), { limit: 1 })).toEqual([{ id: `v${i}`, score: 1 }]);
    expect(store.nearest(basis(0), { limit: 1 })[0].score).toBe(0);
  });

  it('returns exactly the top k in order', () => {
    const store = new EmbeddedLongTermStore({ embedder: new HashingEmbedder(2) });
    const angles = [0.1, 1.2, 0.5, 2.5, 0.3, 3.0];
    angles.forEach((a, i) => store.put(`p${i}`, Float32Array.of(Math.cos(a), Math.sin(a))));
    expect(store.nearest(Float32Array.of(1, 0), { limit: 3 }).map((m) => m.id)).toEqual(['p0', 'p4', 'p2']);
    expect(store.nearest(Float32Array.of(1, 0), { limit: 0 })).toEqual([]);
  });

  it('refuses a vector of the wrong width', () => {
    const store = new EmbeddedLongTermStore({ embedder: new HashingEmbedder(4) });
    expect(() => store.put('x', new Float32Array(3))).toThrow(/3 dimensions, expected 4/);
  });
});
