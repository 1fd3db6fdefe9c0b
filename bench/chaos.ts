// Chaos run (not a test): bounded load on `npm run local` (the runtime on real Redis and a
// MongoDB-wire server on loopback) while Redis and then the MongoDB-wire server are killed with
// SIGKILL and restarted on the same port.
//
//   npm run chaos                      CHAOS_SECONDS=20 of load, CHAOS_WORKERS=8 concurrent writers
//   CHAOS_SECONDS=8 npm run chaos      the short run .ci/run makes
//
// Reports acknowledged writes against writes found afterwards, per importance; responses by
// status; degraded answers; and the time from a backend's return to /readyz answering 200.
// Exits 1 when the bar is missed: an acknowledged MEDIUM or HIGH write lost, any 500, or a
// recovery slower than CHAOS_RECOVERY_MS (2000).
import { freePort } from '../test/servers/process-server';
import { type LocalEnvironment, startLocal } from '../test/servers/local';

const SECONDS = Number(process.env.CHAOS_SECONDS ?? 20);
const WORKERS = Number(process.env.CHAOS_WORKERS ?? 8);
const RECOVERY_BAR_MS = Number(process.env.CHAOS_RECOVERY_MS ?? 2000);
const IMPORTANCE = ['low', 'medium', 'high'] as const;
type Importance = (typeof IMPORTANCE)[number];

interface Write {
  readonly id: string;
  readonly conversationId: string;
  readonly importance: Importance;
  readonly status: number;
}

async function post(url: string, body: unknown): Promise<{ status: number; json: any }> {
  try {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, json: await res.json().catch(() => undefined) };
  } catch {
    return { status: 0, json: undefined }; // connection refused or reset: counted, never retried
  }
}

async function main(): Promise<void> {
  const port = await freePort();
  // The per-tenant rate limit is policy, not what this run measures: lifted so every request reaches memory.
  const local: LocalEnvironment = await startLocal({ port, quiet: true, extraEnv: { ORCHESTRA_RATE_LIMIT_PER_MINUTE: '1000000' } });
  const writes: Write[] = [];
  const searches: number[] = [];
  let degradedAnswers = 0;
  let sequence = 0;
  const recoveries: Record<string, number> = {};
  try {
    await local.ready();
    const deadline = performance.now() + SECONDS * 1000;

    // One writer per worker: each write its own conversation, so it is found again by one search.
    const worker = async (w: number) => {
      while (performance.now() < deadline) {
        const n = sequence++;
        const importance = IMPORTANCE[n % 3];
        const id = `chaos-${w}-${n}`;
        const conversationId = `conv-${id}`;
        const { status } = await post(`${local.url}/v1/memory`, { item: { id, content: `fact number ${n}`, conversationId }, importance });
        writes.push({ id, conversationId, importance, status });
        if (n % 5 === 0) {
          const search = await post(`${local.url}/v1/memory/search`, { query: 'fact', conversationId });
          searches.push(search.status);
          if ((search.json?.degraded ?? []).length > 0) degradedAnswers++;
        }
      }
    };

    // The timeline, as fractions of the run: Redis down from 20% to 40%, MongoDB from 55% to 75%.
    const at = (fraction: number) => new Promise((resolve) => setTimeout(resolve, SECONDS * 1000 * fraction));
    const chaos = (async () => {
      await at(0.2);
      await local.redis.kill();
      await at(0.2);
      await local.redis.start();
      recoveries.redis = await local.ready();
      await at(0.15);
      await local.mongo.kill();
      await at(0.2);
      await local.mongo.start();
      recoveries.mongodb = await local.ready();
    })();
    await Promise.all([...Array.from({ length: WORKERS }, (_, w) => worker(w)), chaos]);
    await local.ready();

    // Every acknowledged write, looked for afterwards through the API.
    const found = new Set<string>();
    const verification: number[] = [];
    for (const write of writes.filter((x) => x.status === 201)) {
      const { status, json } = await post(`${local.url}/v1/memory/search`, { query: 'fact', conversationId: write.conversationId });
      verification.push(status);
      const ids = [...(json?.recent ?? []), ...(json?.related ?? [])].map((i: { id: string }) => i.id);
      if (ids.includes(write.id)) found.add(write.id);
    }

    const byStatus = (list: number[]) => list.reduce<Record<string, number>>((acc, s) => ({ ...acc, [s]: (acc[s] ?? 0) + 1 }), {});
    const perImportance = Object.fromEntries(
      IMPORTANCE.map((importance) => {
        const acked = writes.filter((x) => x.importance === importance && x.status === 201);
        return [importance, { attempted: writes.filter((x) => x.importance === importance).length, acknowledged: acked.length, found: acked.filter((x) => found.has(x.id)).length }];
      }),
    );
    const lost = (['medium', 'high'] as const).reduce((sum, i) => sum + perImportance[i].acknowledged - perImportance[i].found, 0);
    const fiveHundreds = [...writes.map((x) => x.status), ...searches].filter((s) => s === 500).length;
    const slowest = Math.max(...Object.values(recoveries));
    const report = {
      seconds: SECONDS,
      workers: WORKERS,
      writes: perImportance,
      writeStatuses: byStatus(writes.map((x) => x.status)),
      searchStatuses: byStatus(searches),
      verificationStatuses: byStatus(verification),
      degradedAnswers,
      recoveryMs: recoveries,
      bar: { lostMediumHigh: lost, status500: fiveHundreds, recoveryMs: slowest, recoveryBarMs: RECOVERY_BAR_MS },
    };
    console.log(JSON.stringify(report, null, 2));
    const verified = verification.every((s) => s === 200);
    const ok = verified && lost === 0 && fiveHundreds === 0 && slowest <= RECOVERY_BAR_MS && writes.length > 0;
    console.log(ok ? 'chaos: bar met' : 'chaos: BAR MISSED');
    process.exitCode = ok ? 0 : 1;
  } finally {
    await local.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
