import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { grpc } from 'google-gax';
import { HashingEmbedder } from '../../runtime/src/memory/long-term/hashing-embedder';
import { VertexEmbedder, type VertexEmbedderOptions } from '../../runtime/src/memory/long-term/vertex-embedder';
import { termDimension } from '../../runtime/src/memory/long-term/lexical';
import { BM25_B, BM25_K1 } from '../../runtime/src/memory/long-term/bm25-index';
import { BM25_REFERENCE_LENGTH, type SparseEmbedding, documentSparseEmbedding, querySparseEmbedding } from '../../runtime/src/memory/long-term/sparse-embedding';
import {
  DEFAULT_HYBRID_ALPHA,
  OCCURRED_AT_NAMESPACE,
  PRIVATE_MATCH_PORT,
  VectorSearchAccessError,
  VertexLongTermStore,
  type VertexLongTermOptions,
  queryTargetOf,
} from '../../runtime/src/memory/long-term/vertex-long-term';
import { dot, normalize } from '../../runtime/src/memory/long-term/vectors';
import type { Embedder, StoredItem } from '../../runtime/src/memory/types';
import { PRIVATE_MATCH_SERVICE, loadPrivateDefinition, startVertexServer, type IndexDatapoint, type VertexServer } from '../servers/vertex-server';
import { uniqueId } from '../runtime/contracts/harness';
import { longTermContract } from '../runtime/contracts/long-term-contract';
import { hybridLongTermContract } from '../runtime/contracts/hybrid-long-term-contract';

// The Google clients must never look for a metadata server here (it would wait for timeouts).
process.env.METADATA_SERVER_DETECTION = 'none';

const PROJECT = 'orchestra-test';
const REGION = 'us-central1';
const INDEX = `projects/${PROJECT}/locations/${REGION}/indexes/memory`;
const ENDPOINT = `projects/${PROJECT}/locations/${REGION}/indexEndpoints/memory-endpoint`;
const DEPLOYED = 'memory_deployed';
const MODEL_PATH = `projects/${PROJECT}/locations/${REGION}/publishers/google/models/text-embedding-005`;

const local = new HashingEmbedder(768);
let server: VertexServer;

const item = (id: string, content: string, extra: Partial<StoredItem> = {}): StoredItem => ({
  id,
  content,
  createdAt: '2026-01-01T00:00:00.000Z',
  ...extra,
});

function options(overrides: Partial<VertexLongTermOptions> = {}): VertexLongTermOptions {
  return {
    project: PROJECT,
    region: REGION,
    indexName: INDEX,
    indexEndpointName: ENDPOINT,
    deployedIndexId: DEPLOYED,
    queryHost: server.host,
    apiHost: server.host,
    clientOptions: { sslCreds: grpc.credentials.createInsecure() },
    ...overrides,
  };
}

const open: VertexLongTermStore[] = [];
async function openStore(overrides: Partial<VertexLongTermOptions> = {}): Promise<VertexLongTermStore> {
  const store = new VertexLongTermStore(options(overrides));
  open.push(store);
  await store.init();
  return store;
}

const norm = (v: readonly number[]) => Math.sqrt(dot(v, v));
const restricts = (d: IndexDatapoint) => Object.fromEntries(d.restricts.map((r) => [r.namespace, r.allowList]));

/** The dot product of two sparse embeddings (what Vector Search's `sparse_distance` is). */
function sparseDot(a: SparseEmbedding | undefined, b: SparseEmbedding | undefined): number {
  if (!a || !b) return 0;
  const weights = new Map(b.dimensions.map((d, i) => [d, b.values[i]]));
  return a.dimensions.reduce((sum, d, i) => sum + a.values[i] * (weights.get(d) ?? 0), 0);
}

/**
 * An embedder with meaning and a blind spot, like a real model's: words of one concept share a
 * dimension (so "automobile" finds "vehicle"), and every other token — codes, names, numbers —
 * adds nothing but a small common component. Google's hybrid search page: "arbitrary product
 * numbers or SKUs ... don't work with semantic search", which is what token-based search is for.
 */
const CONCEPTS: Readonly<Record<string, number>> = {
  car: 1, automobile: 1, vehicle: 1,
  tyres: 2, tire: 2, wheel: 2,
  parcel: 3, shipped: 3, delivery: 3,
  cooking: 4, recipe: 4, soup: 4,
};
const concepts: Embedder = {
  dimensions: 768,
  embed: async (texts) =>
    texts.map((text) => {
      const v = new Float32Array(768);
      v[0] = 0.1;
      for (const word of text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) if (CONCEPTS[word]) v[CONCEPTS[word]] += 1;
      return normalize(v);
    }),
};


// The credentials guard is checked in child processes (a real unhandled rejection would take jest
// down with it); they start with the file and run alongside the in-process tests.
const ROOT = path.resolve(__dirname, '../..');
const STORE_MODULE = JSON.stringify(path.join(ROOT, 'runtime/src/memory/long-term/vertex-long-term.ts'));
const CLIENT_MODULE = JSON.stringify(path.join(ROOT, 'node_modules/@google-cloud/aiplatform/build/src/v1/match_service_client.js'));

const GUARDED_STORE = `
  const { VertexLongTermStore, VertexCredentialsError } = await import(${STORE_MODULE});
  const store = new VertexLongTermStore({
    project: 'p', region: 'us-central1', deployedIndexId: 'd', queryHost: '127.0.0.1:9',
    indexName: 'projects/p/locations/us-central1/indexes/i',
    indexEndpointName: 'projects/p/locations/us-central1/indexEndpoints/e',
  });
  try { await store.init(); console.log('init resolved'); }
  catch (err) { console.log('rejected: ' + (err instanceof VertexCredentialsError) + ' ' + err.message); }
  await store.search('x', { limit: 1 }).catch((err) => console.log('search: ' + err.message));
  console.log((await store.status()).detail);
  await store.close();
  // Credentials from another grpc-js copy: the client's stub fails; init() must own that failure.
  const foreign = new VertexLongTermStore({
    project: 'p', region: 'us-central1', deployedIndexId: 'd', queryHost: '127.0.0.1:9',
    indexName: 'projects/p/locations/us-central1/indexes/i',
    indexEndpointName: 'projects/p/locations/us-central1/indexEndpoints/e',
    clientOptions: { sslCreds: {} },
  });
  await foreign.init().then(() => console.log('foreign init resolved'), (err) => console.log('foreign: ' + err.message));
  await foreign.close();`;

// The control: what the guard prevents, in the same environment.
const BARE_CLIENT = `
  const { MatchServiceClient } = await import(${CLIENT_MODULE});
  const client = new MatchServiceClient({ apiEndpoint: '127.0.0.1', port: 9 });
  await client.findNeighbors({ indexEndpoint: 'e' }).catch(() => undefined);`;

interface ChildResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `body` (an async function's body) under tsx with no Google credentials anywhere: HOME empty, no GOOGLE_* variables. */
async function runWithoutCredentials(body: string): Promise<ChildResult> {
  const home = await mkdtemp(path.join(os.tmpdir(), 'no-creds-'));
  try {
    const script = path.join(home, 'script.ts');
    await writeFile(
      script,
      `process.on('unhandledRejection', (reason) => { console.log('unhandledRejection: ' + String(reason)); process.exitCode = 3; });
async function main() {${body}\n}
// The wait gives stray client promises time to reject.
main().then(() => new Promise((r) => setTimeout(r, 300)), (err) => { console.log('main failed: ' + err); process.exitCode = 4; });\n`,
    );
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(GOOGLE_|GCLOUD|CLOUDSDK|GCE_)/.test(k)));
    Object.assign(env, { HOME: home, METADATA_SERVER_DETECTION: 'none' });
    return await new Promise((resolve) =>
      execFile(path.join(ROOT, 'node_modules/.bin/tsx'), [script], { cwd: ROOT, env, timeout: 25_000 }, (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
      ),
    );
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

let guarded: Promise<ChildResult>;
let bare: Promise<ChildResult>;

beforeAll(async () => {
  guarded = runWithoutCredentials(GUARDED_STORE);
  bare = runWithoutCredentials(BARE_CLIENT);
  server = await startVertexServer({ indexName: INDEX, indexEndpointName: ENDPOINT, deployedIndexId: DEPLOYED });
});
afterAll(async () => server.stop());
beforeEach(() => server.clearRequests());
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

describe('VertexLongTermStore against a local Vertex AI', () => {
  it('embeds stored items as documents and upserts unit vectors with tenant and conversation restricts', async () => {
    const store = await openStore();
    const [a, b] = [uniqueId('a'), uniqueId('b')];
    await store.upsert([
      item(a, 'the quarterly report is due friday', { tenantId: 't1', conversationId: 'c1' }),
      item(b, 'no tenant and no conversation'),
    ]);

    const [predict] = server.requestsOf('Predict');
    expect(predict.endpoint).toBe(MODEL_PATH);
    expect(predict.instances).toEqual([
      { content: 'the quarterly report is due friday', task_type: 'RETRIEVAL_DOCUMENT' },
      { content: 'no tenant and no conversation', task_type: 'RETRIEVAL_DOCUMENT' },
    ]);
    expect(predict.parameters).toEqual({ autoTruncate: true });

    const upserts = server.requestsOf('UpsertDatapoints');
    expect(upserts).toHaveLength(1);
    expect(upserts[0].index).toBe(INDEX);
    const [da, db] = upserts[0].datapoints;
    expect([da.datapointId, db.datapointId]).toEqual([a, b]);
    for (const d of [da, db]) {
      expect(d.featureVector).toHaveLength(768);
      expect(norm(d.featureVector)).toBeCloseTo(1, 5);
    }
    expect(restricts(da)).toEqual({ tenant: ['t1'], conversation: ['c1'] });
    expect(db.restricts).toEqual([]);
    expect(server.datapointIds(INDEX)).toEqual(expect.arrayContaining([a, b]));
  });

  it('searches dense only with alpha 1: best first, scores being cosine similarities, no token half sent', async () => {
    const store = await openStore();
    const tenantId = uniqueId('tenant');
    const texts = { near: 'the cat sat on the mat', mid: 'a cat chased a mouse', far: 'quarterly revenue grew' };
    await store.upsert(Object.entries(texts).map(([id, content]) => item(`${tenantId}-${id}`, content, { tenantId })));
    server.clearRequests();

    const matches = await store.search('the cat on the mat', { limit: 3, tenantId, alpha: 1 });

    expect(matches.map((m) => m.id)).toEqual(['near', 'mid', 'far'].map((k) => `${tenantId}-${k}`));
    const query = local.embedOne('the cat on the mat');
    matches.forEach((m, i) => {
      expect(m.score).toBeCloseTo(dot(query, local.embedOne(Object.values(texts)[i])), 5);
      expect(m).toEqual({ id: m.id, score: m.score, dense: m.score });
    });

    const [predict] = server.requestsOf('Predict');
    expect(predict.instances).toEqual([{ content: 'the cat on the mat', task_type: 'RETRIEVAL_QUERY' }]);
    const [find] = server.requestsOf('FindNeighbors');
    expect(find).toMatchObject({ indexEndpoint: ENDPOINT, deployedIndexId: DEPLOYED, returnFullDatapoint: false });
    expect(find.queries).toHaveLength(1);
    expect(find.queries[0].neighborCount).toBe(3);
    expect(find.queries[0].datapoint?.featureVector).toHaveLength(768);
    expect(norm(find.queries[0].datapoint?.featureVector ?? [])).toBeCloseTo(1, 5);
    expect(restricts(find.queries[0].datapoint as IndexDatapoint)).toEqual({ tenant: [tenantId] });
    // Google: alpha "1, or not specified: Hybrid search uses only dense search results".
    expect(find.queries[0].datapoint?.sparseEmbedding).toBeNull();
    expect(find.queries[0].rrf).toBeUndefined();
  });

  it('isolates tenants and conversations through restricts', async () => {
    const store = await openStore();
    const [t1, t2] = [uniqueId('t'), uniqueId('t')];
    await store.upsert([
      item(`${t1}-x`, 'shared words about deployments', { tenantId: t1, conversationId: 'c1' }),
      item(`${t1}-y`, 'shared words about deployments', { tenantId: t1, conversationId: 'c2' }),
      item(`${t2}-x`, 'shared words about deployments', { tenantId: t2, conversationId: 'c1' }),
    ]);

    const ids = async (o: { tenantId?: string; conversationId?: string }) =>
      (await store.search('deployments', { limit: 10, ...o })).map((m) => m.id).sort();
    expect(await ids({ tenantId: t1 })).toEqual([`${t1}-x`, `${t1}-y`]);
    expect(await ids({ tenantId: t2 })).toEqual([`${t2}-x`]);
    expect(await ids({ tenantId: t1, conversationId: 'c2' })).toEqual([`${t1}-y`]);
    expect(await ids({ tenantId: uniqueId('nobody') })).toEqual([]);
  });

  it('removes datapoints, and sends nothing for an empty list', async () => {
    const store = await openStore();
    const tenantId = uniqueId('tenant');
    await store.upsert([item(`${tenantId}-keep`, 'alpha beta', { tenantId }), item(`${tenantId}-drop`, 'alpha gamma', { tenantId })]);

    await store.remove([`${tenantId}-drop`]);
    await store.remove([]);

    expect(server.requestsOf('RemoveDatapoints')).toEqual([{ index: INDEX, datapointIds: [`${tenantId}-drop`] }]);
    expect((await store.search('alpha', { limit: 5, tenantId })).map((m) => m.id)).toEqual([`${tenantId}-keep`]);
  });

  it('caches query embeddings but not document embeddings', async () => {
    const store = await openStore();
    await store.search('what did we decide', { limit: 1 });
    await store.search('what did we decide', { limit: 1 });
    expect(server.requestsOf('Predict')).toHaveLength(1);
    expect(server.requestsOf('FindNeighbors')).toHaveLength(2);

    await store.search('something else', { limit: 1 });
    expect(server.requestsOf('Predict')).toHaveLength(2);

    await store.upsert([item(uniqueId('d'), 'what did we decide')]);
    await store.upsert([item(uniqueId('d'), 'what did we decide')]);
    expect(server.requestsOf('Predict')).toHaveLength(4);
  });

  it('sends one text per request to gemini-embedding models, asking for the index dimensions', async () => {
    // A 768-d index with a model whose own width is 3072: the store asks for the index's width.
    const store = await openStore({ embeddingModel: 'gemini-embedding-001', dimensions: 768 });
    await store.upsert(['one', 'two', 'three'].map((t) => item(uniqueId('g'), t)));

    const predicts = server.requestsOf('Predict');
    expect(predicts.map((p) => p.instances.length)).toEqual([1, 1, 1]);
    expect(predicts[0].endpoint).toBe(`projects/${PROJECT}/locations/${REGION}/publishers/google/models/gemini-embedding-001`);
    expect(predicts[0].parameters).toEqual({ autoTruncate: true, outputDimensionality: 768 });
  });

  it('writes more than 1000 datapoints in several upsert calls, with an injected embedder', async () => {
    // A 16-dimension index keeps 1001 datapoints cheap to send.
    const small = await startVertexServer({ indexName: INDEX, indexEndpointName: ENDPOINT, deployedIndexId: DEPLOYED, dimensions: 16 });
    try {
      const store = await openStore({ embedder: new HashingEmbedder(16), queryHost: small.host, apiHost: small.host });
      await store.upsert(Array.from({ length: 1001 }, (_, i) => item(uniqueId('many'), `n ${i}`)));
      expect(small.requestsOf('UpsertDatapoints').map((u) => u.datapoints.length)).toEqual([1000, 1]);
      expect(small.requestsOf('Predict')).toHaveLength(0);
    } finally {
      await small.stop();
    }
  });

  it('surfaces server errors as rejections and reports them in status() until a probe succeeds', async () => {
    const store = await openStore();
    expect(await store.status()).toMatchObject({ layer: 'long-term', backend: 'vertex-ai', embedded: false, ok: true });
    expect(server.requests).toHaveLength(0); // a healthy status costs no call

    server.failNext('FindNeighbors', grpc.status.PERMISSION_DENIED, 2, 'caller lacks aiplatform.indexEndpoints.queryVectors');
    await expect(store.search('anything', { limit: 1 })).rejects.toMatchObject({ code: grpc.status.PERMISSION_DENIED });

    const down = await store.status(); // its probe meets the second failure
    expect(down.ok).toBe(false);
    expect(down.detail).toContain('queryVectors');
    const probes = server.requestsOf('FindNeighbors');
    expect(probes).toHaveLength(2);
    expect(server.requestsOf('Predict')).toHaveLength(1); // the probe spends no embedding quota

    expect(await store.status()).toMatchObject({ ok: true });
  });

  it('surfaces a failed embedding and a failed upsert as rejections', async () => {
    const store = await openStore();
    server.failNext('Predict', grpc.status.RESOURCE_EXHAUSTED, 1, 'quota exceeded');
    await expect(store.upsert([item(uniqueId('e'), 'x')])).rejects.toMatchObject({ code: grpc.status.RESOURCE_EXHAUSTED });
    expect(server.requestsOf('UpsertDatapoints')).toHaveLength(0);

    server.failNext('UpsertDatapoints', grpc.status.FAILED_PRECONDITION, 1, 'index is not STREAM_UPDATE');
    await expect(store.upsert([item(uniqueId('e'), 'x')])).rejects.toThrow('STREAM_UPDATE');
  });

  it('ends a query the server never answers at its gRPC deadline (the memory manager only abandons it)', async () => {
    const store = await openStore({ queryTimeoutMs: 200 });
    server.delayNext('FindNeighbors', 60_000, 1);
    await expect(store.search('anything', { limit: 1 })).rejects.toMatchObject({ code: grpc.status.DEADLINE_EXCEEDED });
  });

  it('closes only after the calls still running have settled, abandoned ones included', async () => {
    const store = new VertexLongTermStore(options());
    await store.init();
    server.delayNext('FindNeighbors', 300, 1);
    const settled: string[] = [];
    const query = store.search('anything', { limit: 1 }).then(
      () => settled.push('query'),
      () => settled.push('query'),
    );
    // Until the server holds the query (the embedding comes first); no clock involved.
    while (server.requestsOf('FindNeighbors').length === 0) await new Promise((resolve) => setImmediate(resolve));
    await store.close().then(() => settled.push('close'));
    await query;
    expect(settled).toEqual(['query', 'close']);
  });

  it('rejects with NOT_FOUND when the deployed index id is wrong', async () => {
    const store = await openStore({ deployedIndexId: 'someone_else' });
    await expect(store.search('x', { limit: 1 })).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
  });

  it('recovers after the server restarts', async () => {
    const store = await openStore();
    await store.search('before the restart', { limit: 1 });
    await server.restart();
    await expect(store.search('after the restart', { limit: 1 })).resolves.toEqual(expect.any(Array));
  });

  it('with lazy, is healthy and idle until first use, then connects on its own', async () => {
    const store = new VertexLongTermStore(options({ lazy: true }));
    await store.init();
    expect(await store.status()).toMatchObject({ ok: true, detail: 'idle: connects on first use' });
    expect(server.requests).toHaveLength(0);
    await expect(store.search('anything', { limit: 1 })).resolves.toEqual(expect.any(Array));
    expect(await store.status()).toMatchObject({ ok: true, detail: expect.stringContaining(DEPLOYED) });
    await store.close();
  });

  it('reports a failing init() in a status() asked meanwhile, and afterwards', async () => {
    // Credentials of another grpc-js copy: the client's stub fails to build.
    const store = new VertexLongTermStore(options({ clientOptions: { sslCreds: {} as grpc.ChannelCredentials } }));
    const init = store.init();
    const status = store.status();
    await expect(init).rejects.toThrow('ChannelCredentials');
    expect(await status).toMatchObject({ ok: false, detail: expect.stringContaining('ChannelCredentials') });
    expect(await store.status()).toMatchObject({ ok: false, detail: expect.stringContaining('ChannelCredentials') });
  });

  it('refuses vectors of the wrong length from an injected embedder', async () => {
    const broken: Embedder = { dimensions: 768, embed: async (texts) => texts.map(() => new Float32Array(3)) };
    const store = await openStore({ embedder: broken });
    await expect(store.upsert([item(uniqueId('w'), 'x')])).rejects.toThrow('embedder returned 3 dimensions, the index has 768');
    await expect(store.search('x', { limit: 1 })).rejects.toThrow('embedder returned 3 dimensions');
    expect(server.requests).toHaveLength(0);
  });

  it('rejects bad options, naming every problem', () => {
    const wrongSize: Embedder = { dimensions: 256, embed: async () => [] };
    expect(() => new VertexLongTermStore(options({ indexEndpointName: 'https://1234.us-central1-1.vdb.vertexai.goog', queryHost: 'https://x', embedder: wrongSize, dimensions: 768 }))).toThrow(
      /indexEndpointName: must be .*\n.*queryHost: must be a host.*\n.*embedder.dimensions: \(256\) differs/,
    );
  });
});

describe('VertexLongTermStore hybrid search (Google\u2019s "About hybrid search")', () => {
  it('upserts a BM25-weighted sparse embedding of the terms beside the dense vector, none for a text without terms', async () => {
    const store = await openStore();
    const [a, b, c] = [uniqueId('a'), uniqueId('b'), uniqueId('c')];
    await store.upsert([item(a, 'Parcel XJ9Q shipped on Monday, parcel tracked'), item(b, 'the and of'), item(c, 'parcel')]);

    const [upsert] = server.requestsOf('UpsertDatapoints');
    const [da, db, dc] = upsert.datapoints;
    // Terms without stop words ("on"): parcel ×2, xj9q, shipped, monday, tracked; 6 terms in all.
    const weight = (tf: number, length: number) => (tf * (BM25_K1 + 1)) / (tf + BM25_K1 * (1 - BM25_B + (BM25_B * length) / BM25_REFERENCE_LENGTH));
    expect(da.sparseEmbedding?.dimensions).toEqual(['parcel', 'xj9q', 'shipped', 'monday', 'tracked'].map((t) => String(termDimension(t))));
    const expected = [weight(2, 6), weight(1, 6), weight(1, 6), weight(1, 6), weight(1, 6)];
    da.sparseEmbedding?.values.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 5));
    expect(db.sparseEmbedding).toBeNull();
    // Saturation: twice the word, less than twice the weight; length: the same word weighs more in a shorter text.
    expect(expected[0]).toBeLessThan(2 * expected[1]);
    expect(dc.sparseEmbedding?.values[0]).toBeGreaterThan(expected[1]);
    expect(dc.featureVector).toHaveLength(768);
  });

  it('queries with the sparse embedding of the query terms (1 each) and RRF at the default alpha, on the public endpoint', async () => {
    const store = await openStore();
    const tenantId = uniqueId('tenant');
    await store.upsert([item(`${tenantId}-a`, 'parcel XJ9Q shipped', { tenantId })]);
    server.clearRequests();

    await store.search('Where is parcel XJ9Q? parcel!', { limit: 3, tenantId });

    const [find] = server.requestsOf('FindNeighbors');
    const [query] = find.queries;
    expect(query.datapoint?.sparseEmbedding).toEqual({ values: [1, 1], dimensions: ['parcel', 'xj9q'].map((t) => String(termDimension(t))) });
    expect(query.rrf).toEqual({ alpha: DEFAULT_HYBRID_ALPHA });
    expect(query.datapoint?.featureVector).toHaveLength(768);
    expect(restricts(query.datapoint as IndexDatapoint)).toEqual({ tenant: [tenantId] });
  });

  it('sends the store’s alpha, a search’s own alpha over it, and alpha 0 as a set RRF (token results only)', async () => {
    const store = await openStore({ alpha: 0.25 });
    await store.search('parcel', { limit: 1 });
    await store.search('parcel', { limit: 1, alpha: 0.75 });
    await store.search('parcel', { limit: 1, alpha: 0 });
    expect(server.requestsOf('FindNeighbors').map((f) => f.queries[0].rrf)).toEqual([{ alpha: 0.25 }, { alpha: 0.75 }, { alpha: 0 }]);
  });

  it('finds a lexical-only match (a code the embedding cannot see) that dense search ranks last', async () => {
    const store = await openStore({ embedder: concepts });
    const tenantId = uniqueId('tenant');
    const code = `${tenantId}-code`;
    await store.upsert([
      item(code, 'parcel XJ9Q shipped for delivery', { tenantId }),
      item(`${tenantId}-1`, 'my car needs new tyres', { tenantId }),
      item(`${tenantId}-2`, 'vehicle inspection is due', { tenantId }),
      item(`${tenantId}-3`, 'cooking soup tonight', { tenantId }),
    ]);

    const denseOnly = await store.search('where is XJ9Q', { limit: 4, tenantId, alpha: 1 });
    expect(denseOnly.at(-1)?.id).toBe(code); // the embedding sees nothing of the code
    expect((await store.search('where is XJ9Q', { limit: 2, tenantId, alpha: 1 })).map((m) => m.id)).not.toContain(code);

    const hybrid = await store.search('where is XJ9Q', { limit: 2, tenantId });
    expect(hybrid[0]).toEqual({ id: code, score: 1 / 61, dense: expect.any(Number), lexical: expect.any(Number) });
    expect(hybrid[0].lexical).toBeCloseTo(sparseDot(querySparseEmbedding('where is XJ9Q'), documentSparseEmbedding('parcel XJ9Q shipped for delivery')), 5);
    expect(hybrid[0].dense).toBeCloseTo(denseOnly.at(-1)!.score, 5);
    expect(hybrid[1].lexical).toBeUndefined(); // found by meaning (barely), shares no token
  });

  it('finds a semantic-only match (no shared word) that token search cannot', async () => {
    const store = await openStore({ embedder: concepts });
    const tenantId = uniqueId('tenant');
    const meaning = `${tenantId}-vehicle`;
    await store.upsert([
      item(meaning, 'vehicle inspection is due', { tenantId }),
      item(`${tenantId}-museum`, 'automobile museum tickets for cooking class', { tenantId }),
      item(`${tenantId}-soup`, 'tomato soup recipe', { tenantId }),
    ]);

    const tokens = await store.search('automobile', { limit: 3, tenantId, alpha: 0 });
    expect(tokens.map((m) => m.id)).toEqual([`${tenantId}-museum`]);
    expect(tokens[0].dense).toBeUndefined(); // alpha 0: the dense half was not searched

    const hybrid = await store.search('automobile', { limit: 3, tenantId });
    expect(hybrid.map((m) => m.id)).toContain(meaning);
    const found = hybrid.find((m) => m.id === meaning)!;
    expect(found.lexical).toBeUndefined();
    expect(found.dense).toBeGreaterThan(0.99);
    for (let i = 1; i < hybrid.length; i++) expect(hybrid[i - 1].score).toBeGreaterThan(hybrid[i].score);
  });

  it('weighs the two rankings by alpha, as reciprocal-rank fusion does', async () => {
    const store = await openStore({ embedder: concepts });
    const tenantId = uniqueId('tenant');
    const [a, b, c] = ['a', 'b', 'c'].map((k) => `${tenantId}-${k}`);
    await store.upsert([
      item(a, 'vehicle inspection', { tenantId }), // dense 1st, no shared token
      item(b, 'automobile XJ9Q delivery', { tenantId }), // dense 2nd, the only token match
      item(c, 'parcel shipped', { tenantId }), // dense 3rd
    ]);
    const order = async (alpha: number) => (await store.search('automobile XJ9Q', { limit: 3, tenantId, alpha })).map((m) => m.id);
    // Google's RRF: alpha/rank_dense + (1 - alpha)/rank_sparse. 0.5: b 0.25 + 0.5 beats a 0.5; 0.9: a 0.9 beats b 0.45 + 0.1.
    expect(await order(0.5)).toEqual([b, a, c]);
    expect(await order(0.9)).toEqual([a, b, c]);
    expect(await order(0)).toEqual([b]);
    expect(await order(1)).toEqual([a, b, c]);
  });

  it('keeps tenant and conversation restricts on both halves', async () => {
    const store = await openStore({ embedder: concepts });
    const [mine, theirs] = [uniqueId('tenant'), uniqueId('tenant')];
    await store.upsert([
      item(`${theirs}-code`, 'parcel XJ9Q shipped', { tenantId: theirs, conversationId: 'c1' }), // token and meaning match, other tenant
      item(`${mine}-other-conversation`, 'parcel XJ9Q shipped', { tenantId: mine, conversationId: 'c2' }),
      item(`${mine}-here`, 'vehicle inspection', { tenantId: mine, conversationId: 'c1' }),
    ]);
    for (const alpha of [0, 0.5, 1]) {
      const ids = (await store.search('parcel XJ9Q', { limit: 10, tenantId: mine, conversationId: 'c1', alpha })).map((m) => m.id);
      expect(ids).toEqual(alpha === 0 ? [] : [`${mine}-here`]);
      const tenantWide = (await store.search('parcel XJ9Q', { limit: 10, tenantId: mine, alpha })).map((m) => m.id);
      expect(tenantWide).not.toContain(`${theirs}-code`);
      expect(tenantWide).toContain(`${mine}-other-conversation`);
    }
    expect((await store.search('parcel XJ9Q', { limit: 10, tenantId: theirs, alpha: 0 })).map((m) => m.id)).toEqual([`${theirs}-code`]);
  });

  it('replaces the sparse embedding too when an item is overwritten', async () => {
    const store = await openStore();
    const tenantId = uniqueId('tenant');
    const id = `${tenantId}-x`;
    await store.upsert([item(id, 'penguins waddle on ice', { tenantId })]);
    await store.upsert([item(id, 'volcanoes erupt lava', { tenantId })]);
    expect(await store.search('penguins', { limit: 5, tenantId, alpha: 0 })).toEqual([]);
    expect((await store.search('volcanoes', { limit: 5, tenantId, alpha: 0 })).map((m) => m.id)).toEqual([id]);
  });

  it('searches dense only for a query of stop words, and sends nothing token-only for it', async () => {
    const store = await openStore();
    const hits = await store.search('what is it', { limit: 2 });
    const [find] = server.requestsOf('FindNeighbors');
    expect(find.queries[0].rrf).toBeUndefined();
    expect(find.queries[0].datapoint?.sparseEmbedding).toBeNull();
    for (const m of hits) expect(m.score).toBe(m.dense);

    server.clearRequests();
    expect(await store.search('what is it', { limit: 2, alpha: 0 })).toEqual([]);
    expect(server.requests).toHaveLength(0);
  });

  it('refuses an alpha outside [0, 1], in the options and in a search, sending nothing', async () => {
    expect(() => new VertexLongTermStore(options({ alpha: 1.5 }))).toThrow(/alpha: must be a number within \[0, 1\], got 1\.5/);
    expect(() => new VertexLongTermStore(options({ alpha: Number.NaN }))).toThrow(/alpha: must be a number within \[0, 1\], got NaN/);
    const store = await openStore();
    await expect(store.search('parcel', { limit: 1, alpha: -0.1 })).rejects.toThrow(new RangeError('alpha must be within [0, 1], got -0.1'));
    expect(server.requests).toHaveLength(0);
    expect(await store.status()).toMatchObject({ ok: true }); // a caller's mistake is not the layer's failure
  });

  it('gives the same answers on the private endpoint (container MatchService: sparse_embedding, rrf)', async () => {
    const [pub, priv] = [await openStore({ embedder: concepts }), await openStore({ embedder: concepts, access: 'private', queryHost: server.privateHost })];
    const tenantId = uniqueId('tenant');
    await pub.upsert([
      item(`${tenantId}-a`, 'vehicle inspection', { tenantId }),
      item(`${tenantId}-b`, 'automobile XJ9Q delivery', { tenantId }),
      item(`${tenantId}-c`, 'parcel shipped', { tenantId }),
    ]);
    for (const alpha of [0, 0.5, 0.9, 1]) {
      const [a, b] = await Promise.all([pub.search('automobile XJ9Q', { limit: 3, tenantId, alpha }), priv.search('automobile XJ9Q', { limit: 3, tenantId, alpha })]);
      expect(b).toEqual(a);
    }
    expect(server.requestsOf('Match').map((m) => m.rrf)).toEqual([{ alpha: 0 }, { alpha: 0.5 }, { alpha: expect.closeTo(0.9, 6) }, undefined]);
  });
});

// Google's "Filter vector matches" (numeric restricts) and IndexDatapoint.NumericRestriction of the
// v1 protos: a datapoint carries a value without an operator; a query carries value and operator,
// and a datapoint is eligible when "Operator is true relative to the query's Value".
describe('VertexLongTermStore time ranges (numeric restricts)', () => {
  const [feb, mar] = ['2026-02-01T00:00:00.000Z', '2026-03-01T00:00:00.000Z'];

  it('upserts occurredAt (or createdAt) as an int64 numeric restrict in ms, with no operator', async () => {
    const store = await openStore();
    const [a, b] = [uniqueId('a'), uniqueId('b')];
    await store.upsert([item(a, 'the report', { occurredAt: feb }), item(b, 'the other report')]);
    const [da, db] = server.requestsOf('UpsertDatapoints')[0].datapoints;
    expect(da.numericRestricts).toEqual([expect.objectContaining({ namespace: OCCURRED_AT_NAMESPACE, Value: 'valueInt', valueInt: String(Date.parse(feb)), op: 'OPERATOR_UNSPECIFIED' })]);
    expect(db.numericRestricts).toEqual([expect.objectContaining({ valueInt: String(Date.parse('2026-01-01T00:00:00.000Z')) })]); // createdAt
  });

  it('sends a time range as GREATER_EQUAL and LESS on the public endpoint, and none without one', async () => {
    const store = await openStore();
    await store.search('report', { limit: 3, occurredAfter: feb, occurredBefore: mar });
    await store.search('report', { limit: 3, occurredBefore: mar, alpha: 1 });
    await store.search('report', { limit: 3 });
    const sent = server.requestsOf('FindNeighbors').map((f) => f.queries[0].datapoint?.numericRestricts.map((n) => [n.namespace, n.valueInt, n.op]));
    expect(sent).toEqual([
      [
        [OCCURRED_AT_NAMESPACE, String(Date.parse(feb)), 'GREATER_EQUAL'],
        [OCCURRED_AT_NAMESPACE, String(Date.parse(mar)), 'LESS'],
      ],
      [[OCCURRED_AT_NAMESPACE, String(Date.parse(mar)), 'LESS']],
      [],
    ]);
  });

  it('sends the same restricts as NumericNamespace on the private endpoint, with the same answers', async () => {
    const [pub, priv] = [await openStore(), await openStore({ access: 'private', queryHost: server.privateHost })];
    const tenantId = uniqueId('tenant');
    await pub.upsert([
      item(`${tenantId}-jan`, 'report of January', { tenantId, occurredAt: '2026-01-20T00:00:00.000Z' }),
      item(`${tenantId}-feb`, 'report of February', { tenantId, occurredAt: feb }),
      item(`${tenantId}-mar`, 'report of March', { tenantId, occurredAt: mar }),
    ]);
    server.clearRequests();
    const range = { occurredAfter: feb, occurredBefore: mar };
    const [a, b] = await Promise.all([pub.search('report', { limit: 3, tenantId, ...range }), priv.search('report', { limit: 3, tenantId, ...range })]);
    expect(a.map((m) => m.id)).toEqual([`${tenantId}-feb`]);
    expect(b).toEqual(a);
    const [match] = server.requestsOf('Match');
    expect(match.numericRestricts.map((n) => [n.name, n.valueInt, n.op])).toEqual([
      [OCCURRED_AT_NAMESPACE, String(Date.parse(feb)), 'GREATER_EQUAL'],
      [OCCURRED_AT_NAMESPACE, String(Date.parse(mar)), 'LESS'],
    ]);
  });

  it('the local server refuses an operator on a datapoint and a namespace of mixed value types, as Google documents', async () => {
    const { IndexServiceClient } = await import('@google-cloud/aiplatform/build/src/v1/index_service_client.js');
    const index = new IndexServiceClient({ apiEndpoint: '127.0.0.1', port: server.port, sslCreds: grpc.credentials.createInsecure() });
    try {
      const featureVector = Array.from(local.embedOne('x'));
      const namespace = uniqueId('ns');
      const datapoint = (id: string, numeric: object) => ({ datapointId: id, featureVector, numericRestricts: [{ namespace, ...numeric }] });
      // "specifying this for a datapoint is an error"
      const withOp = uniqueId('op');
      await expect(index.upsertDatapoints({ index: INDEX, datapoints: [datapoint(withOp, { valueInt: 5, op: 'LESS' })] })).rejects.toMatchObject({
        code: grpc.status.INVALID_ARGUMENT,
        details: expect.stringContaining('op must not be specified for a datapoint'),
      });
      // "The type of Value must be consistent for all datapoints with a given namespace name."
      await index.upsertDatapoints({ index: INDEX, datapoints: [datapoint(uniqueId('int'), { valueInt: 5 })] });
      const asDouble = uniqueId('double');
      await expect(index.upsertDatapoints({ index: INDEX, datapoints: [datapoint(asDouble, { valueDouble: 5.5 })] })).rejects.toMatchObject({
        code: grpc.status.INVALID_ARGUMENT,
        details: expect.stringContaining('valueDouble, but the namespace holds valueInt'),
      });
      expect(server.datapointIds(INDEX)).not.toEqual(expect.arrayContaining([withOp]));
      expect(server.datapointIds(INDEX)).not.toEqual(expect.arrayContaining([asDouble]));
    } finally {
      await index.close();
    }
  });
});

longTermContract('VertexLongTermStore on a local Vertex AI', async () => {
  const store = new VertexLongTermStore(options());
  return { store, teardown: () => store.close() };
});

longTermContract('VertexLongTermStore on a local Vertex AI, private endpoint (container MatchService)', async () => {
  const store = new VertexLongTermStore(options({ access: 'private', queryHost: server.privateHost }));
  return { store, teardown: () => store.close() };
});

hybridLongTermContract('VertexLongTermStore on a local Vertex AI', async () => {
  const store = new VertexLongTermStore(options());
  return { store, teardown: () => store.close() };
});

hybridLongTermContract('VertexLongTermStore on a local Vertex AI, private endpoint (container MatchService)', async () => {
  const store = new VertexLongTermStore(options({ access: 'private', queryHost: server.privateHost }));
  return { store, teardown: () => store.close() };
});

describe('VertexLongTermStore on a private endpoint (Private Service Connect / private services access)', () => {
  const privately = (overrides: Partial<VertexLongTermOptions> = {}) => openStore({ access: 'private', queryHost: server.privateHost, ...overrides });

  it('queries the private port with Match and writes through the public IndexService', async () => {
    const store = await privately();
    const tenantId = uniqueId('tenant');
    await store.upsert([item(`${tenantId}-a`, 'the cat sat on the mat', { tenantId, conversationId: 'c1' })]);

    const matches = await store.search('the cat on the mat', { limit: 4, tenantId, conversationId: 'c1' });

    expect(matches.map((m) => m.id)).toEqual([`${tenantId}-a`]);
    expect(matches[0].dense).toBeCloseTo(dot(local.embedOne('the cat on the mat'), local.embedOne('the cat sat on the mat')), 5);
    expect(matches[0].lexical).toBeCloseTo(sparseDot(querySparseEmbedding('the cat on the mat'), documentSparseEmbedding('the cat sat on the mat')), 5);
    expect(server.requestsOf('UpsertDatapoints')).toHaveLength(1);
    expect(server.requestsOf('FindNeighbors')).toHaveLength(0);
    const [match] = server.requestsOf('Match');
    expect(match).toMatchObject({ deployedIndexId: DEPLOYED, numNeighbors: 4, numericRestricts: [], embeddingEnabled: false });
    expect(match.floatVal).toHaveLength(768);
    expect(norm(match.floatVal)).toBeCloseTo(1, 5);
    expect(match.restricts).toEqual([
      { name: 'tenant', allowTokens: [tenantId], denyTokens: [] },
      { name: 'conversation', allowTokens: ['c1'], denyTokens: [] },
    ]);
    // The container proto's own names: SparseEmbedding {float_val, dimension}, MatchRequest.rrf.
    expect(match.sparseEmbedding).toEqual({ floatVal: [1, 1], dimension: ['cat', 'mat'].map((t) => String(termDimension(t))) });
    expect(match.rrf).toEqual({ alpha: DEFAULT_HYBRID_ALPHA });
  });

  it('filters by restricts exactly as the public path does', async () => {
    const [pub, priv] = [await openStore(), await privately()];
    const [t1, t2] = [uniqueId('t'), uniqueId('t')];
    await pub.upsert([
      item(`${t1}-x`, 'notes about the deployment', { tenantId: t1, conversationId: 'c1' }),
      item(`${t1}-y`, 'notes about the rollback', { tenantId: t1, conversationId: 'c2' }),
      item(`${t1}-z`, 'notes without a conversation', { tenantId: t1 }),
      item(`${t2}-x`, 'notes about the deployment', { tenantId: t2, conversationId: 'c1' }),
      item(uniqueId('nobody'), 'notes about the deployment'),
    ]);
    for (const filter of [{ tenantId: t1 }, { tenantId: t2 }, { tenantId: t1, conversationId: 'c1' }, { tenantId: t1, conversationId: 'c3' }, { tenantId: uniqueId('t') }]) {
      const [a, b] = await Promise.all([pub.search('deployment notes', { limit: 10, ...filter }), priv.search('deployment notes', { limit: 10, ...filter })]);
      expect(b.map((m) => m.id)).toEqual(a.map((m) => m.id));
      b.forEach((m, i) => expect(m.score).toBeCloseTo(a[i].score, 5));
    }
    expect((await priv.search('deployment notes', { limit: 10, tenantId: t1 })).map((m) => m.id).sort()).toEqual([`${t1}-x`, `${t1}-y`, `${t1}-z`]);
  });

  it('fails with a clear error when configured private but pointed at the public endpoint', async () => {
    const store = await privately({ queryHost: server.host, embedder: local });
    const search = store.search('x', { limit: 1 });
    await expect(search).rejects.toBeInstanceOf(VectorSearchAccessError);
    await expect(search).rejects.toMatchObject({ code: grpc.status.UNIMPLEMENTED, cause: expect.objectContaining({ code: grpc.status.UNIMPLEMENTED }) });
    await expect(search).rejects.toThrow(`${server.host} does not serve ${PRIVATE_MATCH_SERVICE}.Match (UNIMPLEMENTED): access "private"`);
    expect(server.requestsOf('FindNeighbors')).toHaveLength(0);
    expect(await store.status()).toMatchObject({ ok: false, detail: expect.stringContaining('takes access "public"') });
  });

  it('fails with a clear error when configured public but pointed at the private endpoint', async () => {
    const store = await openStore({ queryHost: server.privateHost, embedder: local });
    const search = store.search('x', { limit: 1 });
    await expect(search).rejects.toBeInstanceOf(VectorSearchAccessError);
    await expect(search).rejects.toThrow(`${server.privateHost} does not serve google.cloud.aiplatform.v1.MatchService.FindNeighbors (UNIMPLEMENTED): access "public"`);
    await expect(search).rejects.toThrow('takes access "private"');
    expect(server.requestsOf('Match')).toHaveLength(0);
  });

  it('cannot reach the plaintext private port over TLS', async () => {
    // What the public path's real credentials do (TLS), pointed at a private address.
    // By name: TLS to an IP literal draws Node's RFC 6066 server-name warning.
    const store = await openStore({ queryHost: `localhost:${server.privatePort}`, embedder: local, clientOptions: { sslCreds: grpc.credentials.createSsl() } });
    await expect(store.search('x', { limit: 1 })).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
    expect(server.requestsOf('Match')).toHaveLength(0);
    expect(server.requestsOf('FindNeighbors')).toHaveLength(0);
  });

  it('rejects with the service status, reports it in status(), and recovers when a probe succeeds', async () => {
    const store = await privately();
    server.failNext('Match', grpc.status.PERMISSION_DENIED, 2, 'caller is not on the PSC allowlist');
    await expect(store.search('anything', { limit: 1 })).rejects.toMatchObject({ code: grpc.status.PERMISSION_DENIED });
    const down = await store.status();
    expect(down).toMatchObject({ ok: false, detail: expect.stringContaining('PSC allowlist') });
    expect(server.requestsOf('Match').map((m) => m.numNeighbors)).toEqual([1, 1]); // the search, then the probe
    expect(server.requestsOf('Predict')).toHaveLength(1); // the probe spends no embedding quota
    expect(await store.status()).toMatchObject({ ok: true, detail: expect.stringContaining(`via ${server.privateHost} (private: ${PRIVATE_MATCH_SERVICE}.Match, plaintext)`) });
  });

  it('rejects with NOT_FOUND when the deployed index id is wrong', async () => {
    const store = await privately({ deployedIndexId: 'someone_else', embedder: local });
    await expect(store.search('x', { limit: 1 })).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
  });

  it('rejects with UNAVAILABLE when nothing listens at the address', async () => {
    const gone = await startVertexServer({ indexName: INDEX, indexEndpointName: ENDPOINT, deployedIndexId: DEPLOYED });
    await gone.stop();
    const store = await privately({ queryHost: gone.privateHost, embedder: local });
    await expect(store.search('x', { limit: 1 })).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
    expect(await store.status()).toMatchObject({ ok: false, detail: expect.stringContaining('UNAVAILABLE') });
  });

  it('recovers after the private endpoint restarts', async () => {
    const store = await privately({ embedder: local });
    await store.search('before the restart', { limit: 1 });
    await server.restart();
    await expect(store.search('after the restart', { limit: 1 })).resolves.toEqual(expect.any(Array));
    expect(server.requestsOf('Match')).toHaveLength(2);
  });

  it('dials the private address on port 10000 without TLS unless a port is given', () => {
    expect(PRIVATE_MATCH_PORT).toBe(10000);
    expect(queryTargetOf('10.60.0.5', 'private')).toEqual({ access: 'private', address: '10.60.0.5:10000', tls: false, service: `${PRIVATE_MATCH_SERVICE}.Match` });
    expect(queryTargetOf('10.60.0.5:10001', 'private').address).toBe('10.60.0.5:10001');
    expect(queryTargetOf('1234.us-central1-5678.vdb.vertexai.goog')).toEqual({
      access: 'public',
      address: '1234.us-central1-5678.vdb.vertexai.goog:443',
      tls: true,
      service: 'google.cloud.aiplatform.v1.MatchService.FindNeighbors',
    });
    expect(() => new VertexLongTermStore(options({ access: 'psc' as never }))).toThrow(/access: must be "public" or "private", got "psc"/);
  });
});

describe('the local Vertex AI server', () => {
  type Unary = (request: object, callback: (err: grpc.ServiceError | null, response?: unknown) => void) => void;
  const call = (Client: grpc.ServiceClientConstructor, host: string, method: string, request: object, creds = grpc.credentials.createInsecure()) =>
    new Promise<unknown>((resolve, reject) => {
      const client = new Client(host, creds) as unknown as Record<string, Unary> & grpc.Client;
      client[method](request, (err, response) => {
        client.close();
        if (err) reject(err);
        else resolve(response);
      });
    });
  const privateService = () => grpc.loadPackageDefinition(loadPrivateDefinition()).google as unknown as {
    cloud: { aiplatform: { container: { v1: { MatchService: grpc.ServiceClientConstructor } } } };
  };

  it('serves the container MatchService only on the private port, plaintext', async () => {
    const { MatchService } = privateService().cloud.aiplatform.container.v1;
    const query = { deployedIndexId: DEPLOYED, floatVal: Array.from(local.embedOne('x')), numNeighbors: 1 };
    await expect(call(MatchService, server.privateHost, 'Match', query)).resolves.toMatchObject({ neighbor: expect.any(Array) });
    await expect(call(MatchService, server.host, 'Match', query)).rejects.toMatchObject({ code: grpc.status.UNIMPLEMENTED });
    await expect(call(MatchService, `localhost:${server.privatePort}`, 'Match', query, grpc.credentials.createSsl())).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
    await expect(call(MatchService, server.privateHost, 'BatchGetEmbeddings', { deployedIndexId: DEPLOYED, id: ['a'] })).rejects.toMatchObject({
      code: grpc.status.UNIMPLEMENTED,
    });
  });

  it('answers BatchMatch per deployed index, an unknown one in its own status', async () => {
    const { MatchService } = privateService().cloud.aiplatform.container.v1;
    const id = uniqueId('batch');
    await (await openStore()).upsert([item(id, 'batch match me')]);
    const floatVal = Array.from(local.embedOne('batch match me'));
    const response = (await call(MatchService, server.privateHost, 'BatchMatch', {
      requests: [
        { deployedIndexId: DEPLOYED, requests: [{ deployedIndexId: DEPLOYED, floatVal, numNeighbors: 1 }] },
        { deployedIndexId: 'someone_else', requests: [{ deployedIndexId: 'someone_else', floatVal, numNeighbors: 1 }] },
      ],
    })) as { responses: { deployedIndexId: string; responses: { neighbor: { id: string }[] }[]; status: { code: number } }[] };
    expect(response.responses.map((r) => [r.deployedIndexId, r.status.code])).toEqual([
      [DEPLOYED, grpc.status.OK],
      ['someone_else', grpc.status.NOT_FOUND],
    ]);
    expect(response.responses[0].responses[0].neighbor[0].id).toBe(id);
  });

  it('refuses what it does not model instead of ignoring it', async () => {
    const { MatchService } = privateService().cloud.aiplatform.container.v1;
    const floatVal = Array.from(local.embedOne('x'));
    await expect(
      // A query's numeric restrict without an operator: "This MUST be specified for queries".
      call(MatchService, server.privateHost, 'Match', { deployedIndexId: DEPLOYED, floatVal, numericRestricts: [{ name: 'cost', valueInt: 5 }] }),
    ).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT, details: expect.stringContaining("a query's op must be specified") });
    await expect(call(MatchService, server.privateHost, 'Match', { deployedIndexId: DEPLOYED, floatVal: [1, 0] })).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT });
    // Fusion without a token half (the SDK: alpha "should not be specified for dense-only ... queries").
    await expect(call(MatchService, server.privateHost, 'Match', { deployedIndexId: DEPLOYED, floatVal, rrf: { alpha: 0.5 } })).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      details: expect.stringContaining('rrf without a sparse embedding'),
    });
  });

  it('refuses malformed hybrid requests: unpaired sparse values and dimensions, alpha outside [0, 1]', async () => {
    const { MatchService } = privateService().cloud.aiplatform.container.v1;
    const floatVal = Array.from(local.embedOne('x'));
    const match = (extra: object) => call(MatchService, server.privateHost, 'Match', { deployedIndexId: DEPLOYED, floatVal, ...extra });
    await expect(match({ sparseEmbedding: { floatVal: [1], dimension: [1, 2] }, rrf: { alpha: 0.5 } })).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      details: 'query: sparse embedding has 1 values for 2 dimensions',
    });
    await expect(match({ sparseEmbedding: { floatVal: [1], dimension: [1] }, rrf: { alpha: 1.5 } })).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      details: 'rrf.alpha must be between 0 and 1, got 1.5',
    });
    await expect(match({ sparseEmbedding: { floatVal: [1], dimension: [1] }, rrf: { alpha: 1 } })).resolves.toMatchObject({ neighbor: expect.any(Array) });

    const { IndexServiceClient } = await import('@google-cloud/aiplatform/build/src/v1/index_service_client.js');
    const index = new IndexServiceClient({ apiEndpoint: '127.0.0.1', port: server.port, sslCreds: grpc.credentials.createInsecure() });
    try {
      const datapoint = { datapointId: uniqueId('bad'), featureVector: floatVal, sparseEmbedding: { values: [1, 2], dimensions: [7] } };
      await expect(index.upsertDatapoints({ index: INDEX, datapoints: [datapoint] })).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT });
      expect(server.datapointIds(INDEX)).not.toContain(datapoint.datapointId);
    } finally {
      await index.close();
    }
  });

  it('loads the container proto with the field numbers of Google’s match_service.proto', () => {
    // From googleapis/python-aiplatform google/cloud/aiplatform/matching_engine/_protos/match_service.proto,
    // the wire format the private endpoint speaks: a renumbered field would be silently misread.
    interface Descriptor {
      name: string;
      field: { name: string; number: number }[];
      nestedType: Descriptor[];
    }
    const numbers = (message: string) => {
      const [outer, ...nested] = message.split('.');
      const top = (loadPrivateDefinition()[`google.cloud.aiplatform.container.v1.${outer}`] as { type: Descriptor }).type;
      const type = nested.reduce((d, name) => d.nestedType.find((n) => n.name === name)!, top);
      // The loader camel-cases names (keepCase: false); the proto spells them snake_case.
      return Object.fromEntries(type.field.map((f) => [f.name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), f.number]));
    };
    expect(numbers('MatchRequest')).toEqual({
      deployed_index_id: 1,
      float_val: 2,
      num_neighbors: 3,
      restricts: 4,
      per_crowding_attribute_num_neighbors: 5,
      approx_num_neighbors: 6,
      leaf_nodes_to_search_percent_override: 7,
      embedding_enabled: 8,
      fraction_leaf_nodes_to_search_override: 9,
      embedding_id: 10,
      numeric_restricts: 11,
      sparse_embedding: 12,
      rrf: 13,
    });
    expect(numbers('MatchResponse')).toEqual({ neighbor: 1, embeddings: 2 });
    expect(numbers('MatchResponse.Neighbor')).toEqual({ id: 1, distance: 2, crowding_attribute: 3, sparse_distance: 4 });
    expect(numbers('SparseEmbedding')).toEqual({ float_val: 1, dimension: 2 });
    expect(numbers('MatchRequest.RRF')).toEqual({ alpha: 1 });
    expect(numbers('Namespace')).toEqual({ name: 1, allow_tokens: 2, deny_tokens: 3 });
    expect(numbers('NumericNamespace')).toEqual({ name: 1, value_int: 2, value_float: 3, value_double: 4, op: 5 });
    expect(numbers('BatchMatchRequest.BatchMatchRequestPerIndex')).toEqual({ deployed_index_id: 1, requests: 2, low_level_batch_size: 3 });
  });
});

describe('VertexEmbedder', () => {
  const insecure = { sslCreds: grpc.credentials.createInsecure() };
  const embedders: VertexEmbedder[] = [];
  const embedder = (o: Partial<VertexEmbedderOptions> = {}) => {
    const e = new VertexEmbedder({ project: PROJECT, region: REGION, apiHost: server.host, clientOptions: insecure, ...o });
    embedders.push(e);
    return e;
  };
  afterEach(async () => {
    await Promise.all(embedders.splice(0).map((e) => e.close()));
  });

  // Short vectors (outputDimensionality) keep the 300 predictions cheap to encode and decode.
  it('splits 300 texts into predict calls of at most 250, keeping vectors in input order', async () => {
    const texts = Array.from({ length: 300 }, (_, i) => `document number ${i} about topic ${i % 7}`);
    server.delayNext('Predict', 50, 1, (p) => p.instances.length === 250); // the first batch answers last

    const vectors = await embedder({ dimensions: 16 }).embed(texts, 'document');

    // Batches run concurrently, so they arrive in any order.
    expect(server.requestsOf('Predict').map((p) => p.instances.length).sort((x, y) => y - x)).toEqual([250, 50]);
    expect(server.requestsOf('Predict')[0].parameters).toEqual({ autoTruncate: true, outputDimensionality: 16 });
    const expected = new HashingEmbedder(16);
    expect(vectors).toHaveLength(300);
    vectors.forEach((v, i) => expect(dot(v, expected.embedOne(texts[i]))).toBeCloseTo(1, 5));
  });

  it('splits by the ~20k token budget too', async () => {
    const long = (i: number) => `text ${i} `.padEnd(8000, 'x'); // 8000 chars ≈ 2000 tokens: 10 per request
    await embedder({ dimensions: 16 }).embed(Array.from({ length: 25 }, (_, i) => long(i)), 'document');
    expect(server.requestsOf('Predict').map((p) => p.instances.length).sort((x, y) => y - x)).toEqual([10, 10, 5]);
  });

  it('rejects embeddings of the wrong length with a clear error', async () => {
    const other = await startVertexServer({ indexName: INDEX, indexEndpointName: ENDPOINT, deployedIndexId: DEPLOYED, dimensions: 512 });
    try {
      await expect(embedder({ apiHost: other.host }).embed(['hello'], 'document')).rejects.toThrow('returned 512 dimensions, expected 768');
    } finally {
      await other.stop();
    }
  });

  it('returns copies from the query cache and evicts the least recently used entry', async () => {
    const e = embedder({ queryCacheSize: 2 });
    const [first] = await e.embed(['a'], 'query');
    first.fill(0);
    await e.embed(['b'], 'query');
    const [again] = await e.embed(['a'], 'query'); // cached (and now most recent)
    expect(dot(again, local.embedOne('a'))).toBeCloseTo(1, 5);
    await e.embed(['c'], 'query'); // evicts b
    await e.embed(['a', 'b'], 'query');
    expect(server.requestsOf('Predict').map((p) => p.instances.map((i) => (i as { content: string }).content))).toEqual([['a'], ['b'], ['c'], ['b']]);
  });
});

describe('credentials guard', () => {
  it('init() rejects with VertexCredentialsError and nothing rejects unhandled', async () => {
    const { code, stdout, stderr } = await guarded;
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toContain('rejected: true No usable Google Cloud credentials');
    expect(stdout).toContain('GOOGLE_APPLICATION_CREDENTIALS');
    // A later call tries to connect again, and fails the same way (credentials may appear later).
    expect(stdout).toContain('search: No usable Google Cloud credentials');
    expect(stdout).toMatch(/\nNo usable Google Cloud credentials.*\n/);
    expect(stdout).toContain('foreign: Channel credentials must be a ChannelCredentials object');
    expect(stdout).not.toContain('unhandledRejection');
  });

  it('(control) a bare Google client in the same environment does reject unhandled', async () => {
    expect((await bare).stdout).toContain('unhandledRejection');
  });
});
