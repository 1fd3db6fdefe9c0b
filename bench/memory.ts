// Benchmark (not a test): the layered memory against real servers on loopback, each figure a
// ratio to a baseline measured in the same run.
//
//   npm run bench:memory               # defaults below
//   BENCH_OPS=20000 BENCH_ROUNDS=300 npm run bench:memory
//
// 1. store(LOW) throughput, 64 in flight, vs raw ioredis SET, 64 in flight (same server, same value size).
// 2. retrieveContext p50 vs the p50 of each layer's own read run alone (Redis, FerretDB, and the
//    real Vertex AI client against the local gRPC server), to show the layers are read concurrently.
// 3. Embedded vector search p50 at 10k and 100k stored 768-d vectors (float32, and int8 with its
//    recall against exact search), and the whole hybrid search over 100k stored turns.

import Redis from 'ioredis';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { EmbeddedLongTermStore } from '../runtime/src/memory/long-term/embedded-long-term';
import { HashingEmbedder } from '../runtime/src/memory/long-term/hashing-embedder';
import { normalize } from '../runtime/src/memory/long-term/vectors';
import { VertexLongTermStore } from '../runtime/src/memory/long-term/vertex-long-term';
import { LayeredMemoryManager } from '../runtime/src/memory/manager';
import type { StoredItem } from '../runtime/src/memory/types';
import { MongoMidTermStore } from '../runtime/src/memory/mid-term/mongo-mid-term';
import { RedisShortTermStore } from '../runtime/src/memory/short-term/redis-short-term';
import { startMongo } from '../test/servers/mongo-server';
import { startRedis } from '../test/servers/redis-server';
import { ensureFerretdb, ensureRedis } from '../test/servers/tools';
import { localStoreOptions } from '../test/servers/vertex-server';

const OPS = Number(process.env.BENCH_OPS ?? 20_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 200);
const IN_FLIGHT = 64;
const VALUE = 'x'.repeat(200);

const PROJECT = 'bench-project';
const REGION = 'us-central1';
const INDEX = `projects/${PROJECT}/locations/${REGION}/indexes/1`;
const ENDPOINT = `projects/${PROJECT}/locations/${REGION}/indexEndpoints/2`;
const DEPLOYED = 'bench_memory';

/** Runs `op(i)` for i in [0, total) with at most `width` in flight; returns operations per second. */
async function throughput(total: number, width: number, op: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < total) await op(next++);
    }),
  );
  return total / ((performance.now() - started) / 1000);
}

/** Median latency in ms of `rounds` sequential calls, after a few unmeasured warm-up calls. */
async function p50(rounds: number, op: (i: number) => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 5; i++) await op(i);
  const samples: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t = performance.now();
    await op(i);
    samples.push(performance.now() - t);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)];
}

const fmt = (n: number, digits = 2) => n.toFixed(digits);

async function storeVersusSet(redisUrl: string): Promise<string[]> {
  const raw = new Redis(redisUrl);
  const shortTerm = new RedisShortTermStore({ url: redisUrl, prefix: 'bench' });
  const manager = new LayeredMemoryManager(
    { shortTerm, midTerm: new MongoMidTermStore({ uri: 'mongodb://127.0.0.1:1', database: 'unused' }), longTerm: new EmbeddedLongTermStore() },
    {},
  );
  await shortTerm.init();
  const item = (i: number) => ({ id: `item-${i}`, content: VALUE, conversationId: `c-${i % 500}`, role: 'user' });
  // Baseline and subject alternate, three pairs; the median pair's ratio is reported, so drift on
  // a shared machine hits both sides of a pair alike.
  // Unmeasured warm-up of both paths first (JIT, connection, script cache).
  await throughput(OPS / 4, IN_FLIGHT, (i) => raw.set(`raw:${i}`, JSON.stringify(item(i)), 'EX', 3600));
  await throughput(OPS / 4, IN_FLIGHT, (i) => manager.store(item(i), 'low'));
  const pairs: { set: number; store: number }[] = [];
  for (let round = 0; round < 3; round++) {
    const set = await throughput(OPS, IN_FLIGHT, (i) => raw.set(`raw:${i}`, JSON.stringify(item(i)), 'EX', 3600));
    const store = await throughput(OPS, IN_FLIGHT, (i) => manager.store(item(i), 'low'));
    pairs.push({ set, store });
  }
  raw.disconnect();
  await shortTerm.close();
  pairs.sort((a, b) => a.store / a.set - b.store / b.set);
  const { set, store } = pairs[1];
  return [
    `| store(LOW), ${IN_FLIGHT} in flight (ops/s) | ${fmt(store, 0)} |`,
    `| raw ioredis SET, ${IN_FLIGHT} in flight (ops/s) | ${fmt(set, 0)} |`,
    `| **ratio store / SET** (target ≥ 0.7; median of 3 pairs) | **${fmt(store / set)}** |`,
    `| … all pairs | ${pairs.map((p) => fmt(p.store / p.set)).join(', ')} |`,
  ];
}

async function retrieveVersusLayers(redisUrl: string, mongoUri: string, vertexPort: number): Promise<string[]> {
  const shortTerm = new RedisShortTermStore({ url: redisUrl, prefix: 'bench-ctx' });
  const midTerm = new MongoMidTermStore({ uri: mongoUri, database: 'bench' });
  const longTerm = new VertexLongTermStore(
    localStoreOptions(vertexPort, { project: PROJECT, region: REGION, indexName: INDEX, indexEndpointName: ENDPOINT, deployedIndexId: DEPLOYED }),
  );
  const manager = new LayeredMemoryManager({ shortTerm, midTerm, longTerm }, { layerTimeoutMs: 5000 });
  await manager.init();
  const topics = ['billing', 'deployment', 'latency', 'memory', 'vectors', 'redis', 'mongodb', 'agents'];
  for (let i = 0; i < 200; i++) {
    await manager.store({ id: `turn-${i}`, content: `turn ${i} about ${topics[i % topics.length]} and ${topics[(i * 3) % topics.length]}`, conversationId: `conv-${i % 10}` }, 'high');
  }
  const conversation = (i: number) => `conv-${i % 10}`;
  const query = (i: number) => `what did we say about ${topics[i % topics.length]}`;

  // Each layer's share of a retrieval, run alone: the same calls the manager makes.
  const shortP50 = await p50(ROUNDS, (i) => shortTerm.recent(conversation(i), 20));
  const midP50 = await p50(ROUNDS, (i) => midTerm.byConversation(conversation(i), 40));
  // The manager's long-term branch: search, then the items from short-term, the rest from mid-term.
  const longP50 = await p50(ROUNDS, async (i) => {
    const ids = (await longTerm.search(query(i), { limit: 5 })).map((m) => m.id);
    const cached = new Set((await shortTerm.getItems(ids)).map((item) => item.id));
    const missing = ids.filter((id) => !cached.has(id));
    if (missing.length > 0) await midTerm.getMany(missing);
  });
  const retrieveP50 = await p50(ROUNDS, (i) => manager.retrieveContext(query(i), conversation(i)));
  await manager.close();

  const slowest = Math.max(shortP50, midP50, longP50);
  const sum = shortP50 + midP50 + longP50;
  return [
    `| short-term alone: Redis LRANGE (p50 ms) | ${fmt(shortP50)} |`,
    `| mid-term alone: FerretDB find by conversation (p50 ms) | ${fmt(midP50)} |`,
    `| long-term alone: embed + FindNeighbors + items from Redis (p50 ms) | ${fmt(longP50)} |`,
    `| retrieveContext, all three (p50 ms) | ${fmt(retrieveP50)} |`,
    `| **ratio retrieveContext / slowest layer** (target ≤ 1.3) | **${fmt(retrieveP50 / slowest)}** |`,
    `| ratio retrieveContext / sum of layers (sequential would be ≈ 1) | ${fmt(retrieveP50 / sum)} |`,
  ];
}

/** The ids of `a` also in `b`, as a share of `b` (recall of `a` against `b`). */
const recall = (a: readonly { id: string }[], b: readonly { id: string }[]) => a.filter((m) => b.some((n) => n.id === m.id)).length / b.length;

async function embeddedSearch(): Promise<string[]> {
  const rows: string[] = [];
  const dims = 768;
  const exact = new EmbeddedLongTermStore({ embedder: new HashingEmbedder(dims), initialCapacity: 100_000 });
  const int8 = new EmbeddedLongTermStore({ embedder: new HashingEmbedder(dims), initialCapacity: 100_000, precision: 'int8' });
  let seed = 42;
  const random = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1;
  const vector = () => normalize(Float32Array.from({ length: dims }, random));
  const queries = Array.from({ length: 50 }, vector);
  const rounds = Math.min(ROUNDS, 50);
  for (const size of [10_000, 100_000]) {
    for (let i = exact.size; i < size; i++) {
      const v = vector();
      exact.put(`v${i}`, v, { tenantId: `t${i % 4}` });
      int8.put(`v${i}`, v, { tenantId: `t${i % 4}` });
    }
    const all = await p50(rounds, async (i) => exact.nearest(queries[i % queries.length], { limit: 10 }));
    const tenant = await p50(rounds, async (i) => exact.nearest(queries[i % queries.length], { limit: 10, tenantId: 't1' }));
    const quantized = await p50(rounds, async (i) => int8.nearest(queries[i % queries.length], { limit: 10 }));
    let kept = 0;
    let error = 0;
    for (const q of queries) {
      const [approximate, truth] = [int8.nearest(q, { limit: 10 }), exact.nearest(q, { limit: 10 })];
      kept += recall(approximate, truth) / queries.length;
      for (const m of approximate) for (const t of truth) if (t.id === m.id) error = Math.max(error, Math.abs(t.score - m.score));
    }
    rows.push(`| embedded exact search, ${size.toLocaleString('en')} × 768-d, top 10 (p50 ms) | ${fmt(all)} |`);
    rows.push(`| … restricted to one of 4 tenants (p50 ms) | ${fmt(tenant)} |`);
    rows.push(`| … int8 vectors (p50 ms) | ${fmt(quantized)} |`);
    rows.push(`| … int8 recall@10 against exact, ${queries.length} queries (largest score error) | ${fmt(kept, 3)} (${fmt(error, 4)}) |`);
  }
  await Promise.all([exact.close(), int8.close()]);

  // Random vectors are far apart at the top (the 10th best trails the best by ~0.03); real
  // neighbours are not. Clusters: 1,000 centres with 100 members each, a query near a centre, so
  // its top 10 lie within ~0.016 of each other and int8 rounding can reorder them.
  const centres = Array.from({ length: 1000 }, vector);
  const near = (c: Float32Array) => normalize(Float32Array.from(c, (x) => x + (0.5 * random()) / Math.sqrt(dims)));
  const clusteredExact = new EmbeddedLongTermStore({ embedder: new HashingEmbedder(dims), initialCapacity: 100_000 });
  const clusteredInt8 = new EmbeddedLongTermStore({ embedder: new HashingEmbedder(dims), initialCapacity: 100_000, precision: 'int8' });
  for (let i = 0; i < 100_000; i++) {
    const v = near(centres[i % centres.length]);
    clusteredExact.put(`v${i}`, v);
    clusteredInt8.put(`v${i}`, v);
  }
  const clusteredQueries = Array.from({ length: 50 }, (_, k) => near(centres[k * 7]));
  const clusteredRecall = clusteredQueries.reduce((sum, q) => sum + recall(clusteredInt8.nearest(q, { limit: 10 }), clusteredExact.nearest(q, { limit: 10 })), 0) / clusteredQueries.length;
  rows.push(`| … int8 recall@10 against exact, 100,000 clustered vectors (1,000 clusters of 100), 50 queries | ${fmt(clusteredRecall, 3)} |`);
  await Promise.all([clusteredExact.close(), clusteredInt8.close()]);

  // The whole hybrid search of a stored turn: embed the query, scan the vectors, BM25 over the
  // inverted index, fuse; turns of 12 words from a 5,000-word vocabulary (Zipf-like: low ranks common).
  const vocabulary = Array.from({ length: 5000 }, (_, k) => `w${k.toString(36)}`);
  const word = () => vocabulary[Math.floor(vocabulary.length * Math.abs(random()) ** 3)];
  const sentence = () => Array.from({ length: 12 }, word).join(' ');
  const turns = new EmbeddedLongTermStore({ embedder: new HashingEmbedder(dims), initialCapacity: 100_000 });
  const batch: StoredItem[] = [];
  for (let i = 0; i < 100_000; i++) {
    batch.push({ id: `turn-${i}`, content: sentence(), tenantId: `t${i % 4}`, conversationId: `c${i % 400}`, createdAt: '2026-01-01T00:00:00.000Z' });
    if (batch.length === 1000) await turns.upsert(batch.splice(0));
  }
  const questions = Array.from({ length: 50 }, () => Array.from({ length: 6 }, word).join(' '));
  const hybrid = await p50(rounds, (i) => turns.search(questions[i % questions.length], { limit: 10 }));
  const hybridTenant = await p50(rounds, (i) => turns.search(questions[i % questions.length], { limit: 10, tenantId: 't1' }));
  rows.push(`| embedded hybrid search (embed + dense + BM25 + fusion), 100,000 turns, top 10 (p50 ms) | ${fmt(hybrid)} |`);
  rows.push(`| … restricted to one of 4 tenants (p50 ms) | ${fmt(hybridTenant)} |`);
  await turns.close();
  return rows;
}

/** The local Vertex AI server in its own process, as the real service is not in ours. */
async function startVertexProcess(): Promise<{ port: number; stop(): Promise<void> }> {
  const tsx = path.join(__dirname, '..', 'node_modules', '.bin', 'tsx');
  const child = spawn(tsx, [path.join(__dirname, '..', 'test', 'servers', 'vertex-server-main.ts'), INDEX, ENDPOINT, DEPLOYED], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`vertex server exited with ${code}`)));
    child.stdout.on('data', (d: Buffer) => {
      const m = /port (\d+)/.exec(d.toString());
      if (m) resolve(Number(m[1]));
    });
  });
  return {
    port,
    stop: () => new Promise<void>((resolve) => (child.once('exit', () => resolve()), child.kill('SIGTERM'))),
  };
}

async function main(): Promise<void> {
  ensureRedis();
  ensureFerretdb((line) => console.error(line));
  process.env.METADATA_SERVER_DETECTION = 'none';
  const started = performance.now();
  const redis = await startRedis();
  const mongo = await startMongo();
  const vertex = await startVertexProcess();
  try {
    console.log(`# Memory benchmark: OPS=${OPS}, ROUNDS=${ROUNDS}, node ${process.version}\n`);
    console.log('| measure | value |\n|---|---:|');
    for (const row of await storeVersusSet(redis.url)) console.log(row);
    for (const row of await retrieveVersusLayers(redis.url, mongo.uri, vertex.port)) console.log(row);
    for (const row of await embeddedSearch()) console.log(row);
    console.log(`\nTotal bench time: ${fmt((performance.now() - started) / 1000, 1)} s`);
  } finally {
    await vertex.stop();
    await mongo.dispose();
    await redis.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
