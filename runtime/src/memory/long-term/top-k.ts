/**
 * The k best of a stream of (score, item) pairs: a bounded min-heap, so a scan of n scores costs
 * O(n log k) and keeps k entries, never n. Items are non-negative integers (row numbers).
 * Among equal scores the earlier-pushed item is kept and ranked first.
 */
export class TopK {
  private readonly scores: Float64Array;
  private readonly items: Int32Array;
  /** Push order, to break ties between equal scores in favour of the earlier item. */
  private readonly order: Float64Array;
  private count = 0;
  private pushed = 0;

  constructor(readonly k: number) {
    if (!Number.isInteger(k) || k < 0) throw new RangeError(`k must be a non-negative integer, got ${k}`);
    this.scores = new Float64Array(k);
    this.items = new Int32Array(k);
    this.order = new Float64Array(k);
  }

  get size(): number {
    return this.count;
  }

  /** A score must beat this to enter: the worst kept score once full, else -Infinity. */
  get threshold(): number {
    return this.count < this.k ? -Infinity : this.scores[0];
  }

  push(score: number, item: number): void {
    const order = this.pushed++;
    if (this.count < this.k) {
      this.scores[this.count] = score;
      this.items[this.count] = item;
      this.order[this.count] = order;
      this.up(this.count++);
    } else if (this.k > 0 && score > this.scores[0]) {
      this.scores[0] = score;
      this.items[0] = item;
      this.order[0] = order;
      this.down(0);
    }
  }

  /** The kept pairs, best first (equal scores in push order). */
  sorted(): { score: number; item: number }[] {
    const out = Array.from({ length: this.count }, (_, i) => ({ score: this.scores[i], item: this.items[i], order: this.order[i] }));
    out.sort((a, b) => b.score - a.score || a.order - b.order);
    return out.map(({ score, item }) => ({ score, item }));
  }

  /** Whether slot a ranks below slot b (the heap's root is the lowest). */
  private below(a: number, b: number): boolean {
    return this.scores[a] < this.scores[b] || (this.scores[a] === this.scores[b] && this.order[a] > this.order[b]);
  }

  private swap(a: number, b: number): void {
    [this.scores[a], this.scores[b]] = [this.scores[b], this.scores[a]];
    [this.items[a], this.items[b]] = [this.items[b], this.items[a]];
    [this.order[a], this.order[b]] = [this.order[b], this.order[a]];
  }

  private up(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.below(i, parent)) return;
      this.swap(i, parent);
      i = parent;
    }
  }

  private down(i: number): void {
    for (;;) {
      const [l, r] = [2 * i + 1, 2 * i + 2];
      let lowest = i;
      if (l < this.count && this.below(l, lowest)) lowest = l;
      if (r < this.count && this.below(r, lowest)) lowest = r;
      if (lowest === i) return;
      this.swap(i, lowest);
      i = lowest;
    }
  }
}
