/**
 * The OpenAI-compatible embedder against a real HTTP server on loopback speaking `POST /v1/embeddings`
 * as OpenAI's API reference ("Create embeddings") documents it: `{model, input: [...],
 * encoding_format, dimensions?}` in, `{data: [{embedding, index}]}` out, errors as
 * `{error: {message, type, code}}` with 429's `Retry-After`.
 */
import { inspect } from 'node:util';
import { parseRuntimeConfig, renderRuntimeSettings, fromSecret, RuntimeSettings as S } from '../../runtime/src/contract';
import { EmbeddingError, OpenAIEmbedder, type OpenAIEmbedderOptions } from '../../runtime/src/memory';
import { createMemory } from '../../runtime/src/memory/create-memory';
import { reply, startOpenAIServer, testVector, type OpenAIServer } from '../servers/openai-compatible-server';
import { VECTOR_SEARCH_SETTINGS, configProblems } from '../helpers/config-problems';

const KEY = 'sk-embed-test-4c8d2e9a';
let server: OpenAIServer;

beforeAll(async () => {
  server = await startOpenAIServer();
});
afterAll(async () => server.stop());
beforeEach(() => server.reset());

const embedder = (overrides: Partial<OpenAIEmbedderOptions> = {}) =>
  new OpenAIEmbedder({ baseUrl: server.url, model: 'nomic-embed-text', dimensions: 8, apiKey: KEY, maxRetries: 1, ...overrides });

async function failure(promise: Promise<unknown>): Promise<EmbeddingError> {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  if (!(err instanceof EmbeddingError)) throw new Error(`expected an EmbeddingError, got ${inspect(err)}`);
  return err;
}

const length = (v: Float32Array) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));

describe('OpenAIEmbedder requests and answers', () => {
  it('posts {model, input, encoding_format: "float"} to /embeddings with the bearer key, and returns unit vectors in input order', async () => {
    server.enqueue(reply.embeddings({ reversed: true }));
    const vectors = await embedder().embed(['alpha', 'beta gamma'], 'document');
    expect(server.requests).toHaveLength(1);
    const [request] = server.requests;
    expect(request.path).toBe('/v1/embeddings');
    expect(request.headers.authorization).toBe(`Bearer ${KEY}`);
    // Not a text-embedding-3 model: no `dimensions` (other servers refuse or ignore it).
    expect(request.body).toEqual({ model: 'nomic-embed-text', input: ['alpha', 'beta gamma'], encoding_format: 'float' });
    // `data` came back reversed; each vector still lands at its input's `index`.
    const expected = (text: string) => {
      const raw = testVector(text, 8);
      const norm = Math.sqrt(raw.reduce((s, x) => s + x * x, 0));
      return raw.map((x) => x / norm);
    };
    vectors.forEach((v, i) => {
      expect(length(v)).toBeCloseTo(1, 5);
      Array.from(v).forEach((x, j) => expect(x).toBeCloseTo(expected(['alpha', 'beta gamma'][i])[j], 5));
    });
  });

  it('sends no Authorization header without a key, and `dimensions` to text-embedding-3 models only', async () => {
    await embedder({ apiKey: undefined, model: 'text-embedding-3-small' }).embed(['x'], 'query');
    expect(server.requests[0].headers.authorization).toBeUndefined();
    expect(server.requests[0].body).toMatchObject({ model: 'text-embedding-3-small', dimensions: 8 });
  });

  it('batches at most maxBatchSize inputs per request and keeps the order across batches', async () => {
    const texts = ['one', 'two', 'three', 'four', 'five'];
    const vectors = await embedder({ maxBatchSize: 2 }).embed(texts, 'document');
    expect(server.requests.map((r) => r.body['input'])).toEqual([['one', 'two'], ['three', 'four'], ['five']]);
    const single = await embedder().embed(['four'], 'document');
    expect(Array.from(vectors[3])).toEqual(Array.from(single[0]));
    expect(Array.from(vectors[2])).not.toEqual(Array.from(single[0]));
  });

  it('refuses a batch size above OpenAI\'s documented 2048 inputs per request, naming the option', () => {
    expect(() => embedder({ maxBatchSize: 4096 })).toThrow(/maxBatchSize: at most 2048/);
  });

  it('sends a space for an empty text (OpenAI refuses empty inputs) and returns nothing for no texts without a request', async () => {
    expect(await embedder().embed([], 'document')).toEqual([]);
    expect(server.requests).toHaveLength(0);
    await embedder().embed([''], 'query');
    expect(server.requests[0].body['input']).toEqual([' ']);
  });
});

describe('OpenAIEmbedder failures', () => {
  it('retries a 429 after its Retry-After and then succeeds', async () => {
    server.enqueue(reply.rateLimit({ retryAfter: '1' }));
    const vectors = await embedder().embed(['retry me'], 'document');
    expect(vectors).toHaveLength(1);
    expect(server.requests).toHaveLength(2);
    expect(server.requests[1].body).toEqual(server.requests[0].body);
  });

  it('retries a 5xx, and gives up with a typed rate-limit error when 429s outlast the retries', async () => {
    server.enqueue(reply.serverError(503));
    expect(await embedder().embed(['after 503'], 'document')).toHaveLength(1);
    server.reset();
    server.enqueue(reply.rateLimit({ retryAfterMs: 5 }), reply.rateLimit({ retryAfterMs: 5 }));
    const err = await failure(embedder({ maxRetries: 1 }).embed(['busy'], 'document'));
    expect(err).toMatchObject({ kind: 'rate-limit', status: 429 });
    expect(server.requests).toHaveLength(2);
  });

  it('fails a 401 at once as an auth error naming the key setting, without echoing the key', async () => {
    server.enqueue(reply.unauthorized());
    const err = await failure(embedder().embed(['secret'], 'document'));
    expect(err).toMatchObject({ kind: 'auth', status: 401 });
    expect(err.message).toContain(S.embeddingApiKey);
    expect(err.message).not.toContain(KEY);
    expect(inspect(embedder())).not.toContain(KEY);
    expect(server.requests).toHaveLength(1);
  });

  it('fails a 404 (unknown model) as not-found naming the model setting', async () => {
    server.enqueue(reply.notFound());
    expect(await failure(embedder().embed(['x'], 'document'))).toMatchObject({ kind: 'not-found', status: 404, message: expect.stringContaining(S.embeddingModel) });
  });

  it('refuses a 200 that is not the documented shape', async () => {
    server.enqueue(reply.raw(JSON.stringify({ object: 'list', data: [{ object: 'embedding', embedding: 'AAAA', index: 0 }] })));
    expect(await failure(embedder().embed(['x'], 'document'))).toMatchObject({ kind: 'bad-response' });
    server.enqueue(reply.raw(JSON.stringify({ object: 'list', data: [] })));
    expect((await failure(embedder().embed(['x'], 'document'))).message).toMatch(/returned 0 embeddings for 1 texts/);
  });

  it('refuses vectors of another width than the index\'s, naming both widths and the settings', async () => {
    server.enqueue(reply.embeddings({ dimensions: 12 }));
    const err = await failure(embedder().embed(['x'], 'document'));
    expect(err.kind).toBe('width-mismatch');
    expect(err.message).toContain('returns 12-dimensional vectors, but the index is 8-dimensional');
    expect(err.message).toContain(`${S.vectorDimensions}=12`);
  });
});

describe('the width check at start', () => {
  const env = (dimensions: number) => ({
    [S.embeddingProvider]: 'openai-compatible',
    [S.embeddingBaseUrl]: server.url,
    [S.embeddingModel]: 'nomic-embed-text:latest',
    [S.vectorDimensions]: String(dimensions),
  });

  it('fails init of the embedded store when the model gives another width than ORCHESTRA_VECTOR_DIMENSIONS', async () => {
    server.setEmbeddingDimensions(12);
    const memory = createMemory(parseRuntimeConfig(env(8)).memory);
    await expect(memory.init()).rejects.toThrow(/nomic-embed-text:latest returns 12-dimensional vectors, but the index is 8-dimensional: set ORCHESTRA_VECTOR_DIMENSIONS=12/);
    await memory.close();
  });

  it('starts when the widths agree, and stores and finds items through the server', async () => {
    server.setEmbeddingDimensions(8);
    const memory = createMemory(parseRuntimeConfig(env(8)).memory);
    await memory.init();
    const longTerm = memory.layers.longTerm;
    const createdAt = '2026-01-01T00:00:00.000Z';
    await longTerm.upsert([
      { id: 'a', content: 'the bakery is in Lyon', createdAt },
      { id: 'b', content: 'the invoice is overdue', createdAt },
    ]);
    const [best] = await longTerm.search('the bakery is in Lyon', { limit: 1, alpha: 1 });
    expect(best.id).toBe('a');
    expect(server.requests.filter((r) => r.body['input'] !== undefined).length).toBeGreaterThanOrEqual(3);
    await memory.close();
  });

  it('does not refuse to start while the server is unreachable (every response is checked later), but does on a 401', async () => {
    const down = new OpenAIEmbedder({ baseUrl: 'http://127.0.0.1:1/v1', model: 'm', dimensions: 8, maxRetries: 0 });
    await expect(down.verify()).resolves.toBeUndefined();
    await expect(down.embed(['x'], 'document')).rejects.toMatchObject({ kind: 'unavailable' });
    server.enqueue(reply.unauthorized());
    await expect(embedder().verify()).rejects.toMatchObject({ kind: 'auth' });
  });
});

describe('embedding settings', () => {
  const problems = configProblems;
  const vectorSearch = VECTOR_SEARCH_SETTINGS;

  it('leaves the provider to the store when unset: the local model embedded, vertex with Vector Search', async () => {
    expect(parseRuntimeConfig({}).memory.embedding).toEqual({ model: 'bge-small-en-v1.5', dimensions: 384 });
    const embedded = createMemory(parseRuntimeConfig({}).memory);
    const [vector] = await embedded.layers.longTerm.upsert([{ id: 'h', content: 'hashing', createdAt: '2026-01-01T00:00:00.000Z' }]).then(() => embedded.layers.longTerm.search('hashing', { limit: 1 }));
    expect(vector.id).toBe('h');
    await embedded.close();
    const deployed = parseRuntimeConfig(vectorSearch);
    expect(deployed.memory.embedding.provider).toBeUndefined();
    expect(createMemory(deployed.memory, deployed.google).layers.longTerm.constructor.name).toBe('VertexLongTermStore');
    expect(server.requests).toHaveLength(0);
  });

  it('refuses an unknown provider, naming the variable and the choices', () => {
    expect(problems({ [S.embeddingProvider]: 'cohere' })).toMatch(/ORCHESTRA_EMBEDDING_PROVIDER: expected one of local, hashing, vertex, openai-compatible, got "cohere"/);
  });

  it('requires the base URL, the model and the width for openai-compatible, each by name', () => {
    const message = problems({ [S.embeddingProvider]: 'openai-compatible' });
    for (const variable of [S.embeddingBaseUrl, S.embeddingModel, S.vectorDimensions]) {
      expect(message).toContain(`${variable}: required when ORCHESTRA_EMBEDDING_PROVIDER is openai-compatible`);
    }
    expect(problems({ [S.embeddingProvider]: 'openai-compatible', [S.embeddingBaseUrl]: 'ftp://x', [S.embeddingModel]: 'm', [S.vectorDimensions]: '8' })).toContain(
      'ORCHESTRA_EMBEDDING_BASE_URL: expected an http:// or https:// URL',
    );
  });

  it('refuses a base URL or key that the chosen provider would ignore', () => {
    const message = problems({ [S.embeddingBaseUrl]: 'http://127.0.0.1:11434/v1', [S.embeddingApiKey]: KEY });
    expect(message).toContain('ORCHESTRA_EMBEDDING_BASE_URL: only used when ORCHESTRA_EMBEDDING_PROVIDER is openai-compatible (it is local)');
    expect(message).toContain('ORCHESTRA_EMBEDDING_API_KEY: only used');
    expect(message).not.toContain(KEY);
  });

  it('refuses the hashing embedder behind Vector Search, and Vertex AI embeddings without a project and region', () => {
    expect(problems({ ...vectorSearch, [S.embeddingProvider]: 'hashing' })).toContain('ORCHESTRA_EMBEDDING_PROVIDER: hashing is the embedded store');
    const message = problems({ [S.embeddingProvider]: 'vertex' });
    expect(message).toContain('GOOGLE_CLOUD_PROJECT: required for Vertex AI embeddings');
    expect(message).toContain('ORCHESTRA_REGION: required for Vertex AI embeddings');
  });

  it('builds the embedded store on Vertex AI embeddings, and Vector Search on an OpenAI-compatible model', () => {
    const vertex = parseRuntimeConfig({ [S.embeddingProvider]: 'vertex', [S.projectId]: 'acme-prod', [S.region]: 'europe-west4' });
    expect(createMemory(vertex.memory, vertex.google).layers.longTerm.constructor.name).toBe('EmbeddedLongTermStore');
    const openai = parseRuntimeConfig({ ...vectorSearch, [S.embeddingProvider]: 'openai-compatible', [S.embeddingBaseUrl]: 'https://litellm.internal/v1', [S.embeddingModel]: 'BAAI/bge-m3', [S.vectorDimensions]: '1024' });
    expect(openai.memory.embedding).toMatchObject({ provider: 'openai-compatible', model: 'BAAI/bge-m3', dimensions: 1024 });
    expect(createMemory(openai.memory, openai.google).layers.longTerm.constructor.name).toBe('VertexLongTermStore');
  });

  it('renders the key as a secret reference and round-trips the rest', () => {
    const rendered = renderRuntimeSettings({
      memory: { embedding: { provider: 'openai-compatible', baseUrl: 'http://127.0.0.1:11434/v1', model: 'nomic-embed-text:latest', dimensions: 768, apiKey: fromSecret('embedding-key') } },
    });
    expect(rendered.secrets).toEqual({ [S.embeddingApiKey]: 'embedding-key' });
    expect(rendered.env[S.embeddingApiKey]).toBeUndefined();
    const parsed = parseRuntimeConfig({ ...rendered.env, [S.embeddingApiKey]: KEY });
    expect(parsed.memory.embedding).toEqual({ provider: 'openai-compatible', baseUrl: 'http://127.0.0.1:11434/v1', model: 'nomic-embed-text:latest', dimensions: 768, apiKey: KEY });
    expect(parseRuntimeConfig(renderRuntimeSettings({ memory: parsed.memory }).env).memory.embedding).toEqual(parsed.memory.embedding);
  });
});
