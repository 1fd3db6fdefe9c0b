/** What a contract suite needs from one implementation of a layer. */
export interface Harness<T> {
  readonly store: T;
  /** Moves time forward: a fake clock for embedded stores, a real wait for servers. */
  advance(ms: number): Promise<void>;
  teardown(): Promise<void>;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

let counter = 0;
/** Ids unique within a test run, so suites sharing a server never see each other's data. */
export function uniqueId(prefix: string): string {
  counter += 1;
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${counter}`;
}

/** A fake clock for embedded stores. */
export function fakeClock(start = Date.parse('2026-01-01T00:00:00Z')) {
  let now = start;
  return {
    now: () => now,
    date: () => new Date(now),
    advance: async (ms: number) => {
      now += ms;
    },
  };
}

/**
 * Two tenants, `<base>` and `<base>:b`, and an id for each that a naive `<tenant>:<id>` would make
 * the same stored id (`<base>:b:c`); `scopedId` is what the service stores them under.
 */
export function collidingTenants() {
  const base = uniqueId('t');
  const a = { tenant: base, clientId: 'b:c' };
  const b = { tenant: `${base}:b`, clientId: 'c' };
  return { a, b, naive: (t: { tenant: string; clientId: string }) => `${t.tenant}:${t.clientId}` };
}
