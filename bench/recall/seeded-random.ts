import { unsafeUniformIntDistribution, xoroshiro128plus, type RandomGenerator } from 'pure-rand';

/**
 * The generator's only source of chance: xoroshiro128+ from pure-rand, seeded, so one seed gives
 * the same data set on every machine and Node version (Math.random cannot be seeded).
 */
export class SeededRandom {
  private readonly rng: RandomGenerator;

  constructor(seed: number) {
    if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
    this.rng = xoroshiro128plus(seed);
  }

  /** An integer in [from, to], both included. */
  int(from: number, to: number): number {
    return unsafeUniformIntDistribution(from, to, this.rng);
  }

  /** True with probability `p` (in steps of 1/1000). */
  chance(p: number): boolean {
    return this.int(0, 999) < p * 1000;
  }

  pick<T>(values: readonly T[]): T {
    if (values.length === 0) throw new RangeError('pick from an empty list');
    return values[this.int(0, values.length - 1)];
  }

  /** A shuffled copy (Fisher–Yates). */
  shuffle<T>(values: readonly T[]): T[] {
    const out = [...values];
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(0, i);
      [out[i], out[j]] = [out[j], out[i]];
    }
    return out;
  }

  /** `count` distinct values of `values`, in random order. */
  sample<T>(values: readonly T[], count: number): T[] {
    if (count > values.length) throw new RangeError(`cannot take ${count} distinct values of ${values.length}`);
    return this.shuffle(values).slice(0, count);
  }
}
