import { TopK } from '../../runtime/src/memory/long-term/top-k';
import { VectorTable } from '../../runtime/src/memory/long-term/vector-table';
import { normalize } from '../../runtime/src/memory/long-term/vectors';

/** A seeded generator, so a failure reproduces. */
function random(seed: number): () => number {
  return () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1;
}
const unit = (next: () => number, dims: number) => normalize(Float32Array.from({ length: dims }, next));
const exactDot = (a: Float32Array, b: Float32Array) => a.reduce((sum, x, i) => sum + x * b[i], 0);

describe('VectorTable', () => {
  // Widths around the kernel's blocks (16 f32 lanes, 32 int8 codes): padding must add nothing.
  it.each([1, 3, 15, 16, 17, 31, 33, 100, 768])('scores every row exactly at width %i (f32)', (dims) => {
    const next = random(dims);
    const table = new VectorTable(dims, { initialCapacity: 2 });
    const rows = Array.from({ length: 37 }, () => unit(next, dims));
    rows.forEach((v, i) => table.put(`r${i}`, v));
    const query = unit(next, dims);
    const expected = rows.map((v, i) => ({ id: `r${i}`, score: exactDot(query, v) })).sort((a, b) => b.score - a.score);
    const found = table.nearest(query, rows.length);
    expect(found.map((m) => m.id)).toEqual(expected.map((m) => m.id));
    found.forEach((m, k) => expect(m.score).toBeCloseTo(expected[k].score, 5));
  });

  it.each([1, 17, 768])('approximates every score within int8 rounding at width %i', (dims) => {
    const next = random(7 * dims);
    const table = new VectorTable(dims, { precision: 'int8' });
    const rows = Array.from({ length: 50 }, () => unit(next, dims));
    rows.forEach((v, i) => table.put(`r${i}`, v));
    const query = unit(next, dims);
    const scores = new Map(table.nearest(query, rows.length).map((m) => [m.id, m.score]));
    expect(scores.size).toBe(rows.length);
    // Each code is off by at most half a step (max/127/2) per component, on both sides.
    rows.forEach((v, i) => expect(Math.abs(scores.get(`r${i}`)! - exactDot(query, v))).toBeLessThan(0.01));
  });

  it('keeps the best k, best first, earlier rows first among equal scores', () => {
    const table = new VectorTable(2);
    const at = (angle: number) => Float32Array.of(Math.cos(angle), Math.sin(angle));
    [0.1, 1.2, 0.5, 2.5, 0.3, 3.0, 0.5].forEach((a, i) => table.put(`p${i}`, at(a)));
    expect(table.nearest(at(0), 4).map((m) => m.id)).toEqual(['p0', 'p4', 'p2', 'p6']);
    expect(table.nearest(at(0), 0)).toEqual([]);
    expect(new VectorTable(2).nearest(at(0), 3)).toEqual([]);
  });

  it('restricts to a tenant and a conversation, and finds nothing for one no row has', () => {
    const table = new VectorTable(2);
    const v = Float32Array.of(1, 0);
    table.put('a', v, { tenantId: 't1', conversationId: 'c1' });
    table.put('b', v, { tenantId: 't1', conversationId: 'c2' });
    table.put('c', v, { tenantId: 't2', conversationId: 'c1' });
    table.put('d', v, {});
    const ids = (restricts: object) => table.nearest(v, 10, restricts).map((m) => m.id);
    expect(ids({})).toEqual(['a', 'b', 'c', 'd']);
    expect(ids({ tenantId: 't1' })).toEqual(['a', 'b']);
    expect(ids({ tenantId: 't1', conversationId: 'c1' })).toEqual(['a']);
    expect(ids({ conversationId: 'c1' })).toEqual(['a', 'c']);
    expect(ids({ tenantId: 't3' })).toEqual([]);
    expect(ids({ tenantId: 't2', conversationId: 'c2' })).toEqual([]);
  });

  it('moves a row with its restricts when it replaces an id, and frees what no row has any more', () => {
    const table = new VectorTable(2);
    const v = Float32Array.of(0, 1);
    table.put('a', v, { tenantId: 'old' });
    table.put('a', Float32Array.of(1, 0), { tenantId: 'new' });
    expect(table.size).toBe(1);
    expect(table.nearest(v, 10, { tenantId: 'old' })).toEqual([]);
    expect(table.nearest(v, 10, { tenantId: 'new' })).toEqual([{ id: 'a', score: 0 }]);
    table.remove('a');
    expect(table.nearest(v, 10, { tenantId: 'new' })).toEqual([]);
    table.put('b', v, { tenantId: 'other' });
    expect(table.nearest(v, 10, { tenantId: 'new' })).toEqual([]);
    expect(table.nearest(v, 10, { tenantId: 'other' })).toEqual([{ id: 'b', score: 1 }]);
  });

  it('grows past its capacity and survives swap-removal with every row and restrict in place', () => {
    const dims = 40;
    const next = random(3);
    const table = new VectorTable(dims, { initialCapacity: 1 });
    const rows = new Map<string, { v: Float32Array; tenantId: string }>();
    for (let i = 0; i < 300; i++) {
      const row = { v: unit(next, dims), tenantId: `t${i % 3}` };
      rows.set(`r${i}`, row);
      table.put(`r${i}`, row.v, { tenantId: row.tenantId });
    }
    for (let i = 0; i < 300; i += 7) {
      expect(table.remove(`r${i}`)).toBe(true);
      rows.delete(`r${i}`);
    }
    expect(table.remove('r0')).toBe(false);
    expect(table.size).toBe(rows.size);
    for (const [id, { v, tenantId }] of rows) {
      const [best] = table.nearest(v, 1, { tenantId });
      expect(best.id).toBe(id);
      expect(best.score).toBeCloseTo(1, 5);
    }
  });

  it.each(['float32', 'int8'] as const)('keeps to a time range [occurredFrom, occurredBefore) through swap-removals and overwrites (%s)', (precision) => {
    const next = random(11);
    const table = new VectorTable(8, { precision, initialCapacity: 2 });
    const query = unit(next, 8);
    // Row i occurred at i ms; every third has no time (unknown: outside every range).
    const occurred = new Map<string, number | undefined>();
    for (let i = 0; i < 30; i++) {
      const time = i % 3 === 2 ? undefined : i;
      occurred.set(`r${i}`, time);
      table.put(`r${i}`, unit(next, 8), { tenantId: 't', ...(time === undefined ? {} : { occurredAt: time }) });
    }
    for (let i = 0; i < 30; i += 4) {
      table.remove(`r${i}`); // the last row moves into its place, with its time
      occurred.delete(`r${i}`);
    }
    table.put('r1', unit(next, 8), { tenantId: 't', occurredAt: 100 }); // an overwrite takes the new time
    occurred.set('r1', 100);
    const within = (from: number | undefined, before: number | undefined) =>
      [...occurred].filter(([, t]) => t !== undefined && (from === undefined || t >= from) && (before === undefined || t < before)).map(([id]) => id).sort();
    for (const [from, before] of [[10, 20], [undefined, 5], [27, undefined], [100, 101], [5, 5]] as const) {
      const found = table.nearest(query, 50, { tenantId: 't', ...(from === undefined ? {} : { occurredFrom: from }), ...(before === undefined ? {} : { occurredBefore: before }) });
      expect(found.map((m) => m.id).sort()).toEqual(within(from, before));
    }
    expect(table.nearest(query, 50, { tenantId: 't' })).toHaveLength(occurred.size);
  });

  it('refuses vectors of the wrong width', () => {
    const table = new VectorTable(4);
    expect(() => table.put('x', new Float32Array(3))).toThrow(/3 dimensions, expected 4/);
    expect(() => table.nearest(new Float32Array(5), 1)).toThrow(/5 dimensions, expected 4/);
  });

  it('forgets everything on clear', () => {
    const table = new VectorTable(2);
    table.put('a', Float32Array.of(1, 0), { tenantId: 't' });
    table.clear();
    expect(table.size).toBe(0);
    expect(table.nearest(Float32Array.of(1, 0), 5)).toEqual([]);
    table.put('b', Float32Array.of(1, 0), { tenantId: 't' });
    expect(table.nearest(Float32Array.of(1, 0), 5, { tenantId: 't' }).map((m) => m.id)).toEqual(['b']);
  });
});

describe('TopK', () => {
  it('keeps the k largest of a stream, best first', () => {
    const next = random(11);
    const scores = Array.from({ length: 1000 }, next);
    const top = new TopK(10);
    scores.forEach((s, i) => top.push(s, i));
    const expected = scores.map((score, item) => ({ score, item })).sort((a, b) => b.score - a.score).slice(0, 10);
    expect(top.sorted()).toEqual(expected);
    expect(top.threshold).toBe(expected[9].score);
  });

  it('keeps the earlier of equal scores and ranks it first', () => {
    const top = new TopK(2);
    [5, 7, 5, 7, 5].forEach((s, i) => top.push(s, i));
    expect(top.sorted()).toEqual([
      { score: 7, item: 1 },
      { score: 7, item: 3 },
    ]);
    const ties = new TopK(3);
    [1, 1, 1, 1].forEach((s, i) => ties.push(s, i));
    expect(ties.sorted().map((e) => e.item)).toEqual([0, 1, 2]);
  });

  it('takes nothing at k 0 and refuses a negative or fractional k', () => {
    const none = new TopK(0);
    none.push(1, 0);
    expect(none.sorted()).toEqual([]);
    expect(() => new TopK(-1)).toThrow(RangeError);
    expect(() => new TopK(1.5)).toThrow(RangeError);
  });
});
