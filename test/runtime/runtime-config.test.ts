import { DEFAULT_GEMINI_MODELS, SECRET_PLACEHOLDER, geminiLlmConfig, parseRuntimeConfig, RuntimeSettings as S } from '../../runtime/src/contract';

/** A deployed runtime on the offline model, said on purpose. */
const OFFLINE_ON_PURPOSE = JSON.stringify({ deployments: [{ name: 'offline', provider: 'offline', model: 'offline' }], allowOfflineOnly: true });
import { createMemory } from '../../runtime/src/memory/create-memory';
import { VECTOR_SEARCH_SETTINGS, configProblems } from '../helpers/config-problems';

const vertexEnv = VECTOR_SEARCH_SETTINGS;

const problems = configProblems;

describe('parseRuntimeConfig', () => {
  it('runs every layer embedded with no settings at all', () => {
    expect(parseRuntimeConfig({})).toMatchObject({
      environment: 'local',
      local: true,
      google: {},
      memory: { namespace: 'orchestra', shortTermTtlSeconds: 3600, recentMessages: 20, midTermTtlDays: 30, layerTimeoutMs: 1500, embedding: { model: 'bge-small-en-v1.5', dimensions: 384 } },
    });
    expect(parseRuntimeConfig({}).memory).not.toHaveProperty('redis');
  });

  it('takes Redis by host as deployed (TLS, AUTH, CA) or by URL', () => {
    const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----';
    expect(parseRuntimeConfig({ [S.redisHost]: '10.20.0.3', [S.redisPort]: '6378', [S.redisTls]: 'true', [S.redisPassword]: 'auth', [S.redisCaCert]: pem }).memory.redis).toEqual({
      host: '10.20.0.3',
      port: 6378,
      password: 'auth',
      tls: true,
      caCert: pem,
    });
    expect(parseRuntimeConfig({ [S.redisUrl]: 'redis://127.0.0.1:6379' }).memory.redis).toEqual({ url: 'redis://127.0.0.1:6379', tls: false });
    expect(parseRuntimeConfig({ [S.redisUrl]: 'rediss://127.0.0.1:6380' }).memory.redis).toEqual({ url: 'rediss://127.0.0.1:6380', tls: true });
  });

  it('takes MongoDB by URI, Vertex AI by its resource names, each layer on its own', () => {
    const config = parseRuntimeConfig({ [S.mongoUri]: 'mongodb://127.0.0.1:27017', ...vertexEnv });
    expect(config.memory.redis).toBeUndefined();
    expect(config.memory.mongo).toEqual({ uri: 'mongodb://127.0.0.1:27017', database: 'orchestra' });
    expect(config.google).toEqual({ projectId: 'acme-prod', region: 'europe-west4' });
    expect(config.memory.vectorSearch).toEqual({
      indexName: vertexEnv[S.vectorIndex],
      indexEndpointName: vertexEnv[S.vectorIndexEndpoint],
      deployedIndexId: 'orchestra_memory',
      queryHost: vertexEnv[S.vectorQueryHost],
    });
    expect(config.memory.embedding).toEqual({ model: 'text-embedding-005', dimensions: 768 });
  });

  it('leaves Vertex off when only the project and region are set (every deployment sets them)', () => {
    expect(parseRuntimeConfig({ [S.projectId]: 'acme-prod', [S.region]: 'europe-west4' }).memory.vectorSearch).toBeUndefined();
  });

  it("takes the embedding model's own width unless the width is given, and refuses one the model cannot give", () => {
    const hashing = { [S.embeddingProvider]: 'hashing' };
    expect(parseRuntimeConfig({ ...hashing, [S.embeddingModel]: 'gemini-embedding-001' }).memory.embedding).toEqual({ provider: 'hashing', model: 'gemini-embedding-001', dimensions: 3072 });
    expect(parseRuntimeConfig({ ...hashing, [S.embeddingModel]: 'gemini-embedding-001', [S.vectorDimensions]: '1536' }).memory.embedding.dimensions).toBe(1536);
    expect(problems({ ...hashing, [S.vectorDimensions]: '1536' })).toMatch(/ORCHESTRA_VECTOR_DIMENSIONS: text-embedding-005 gives at most 768 dimensions, got 1536/);
  });

  it('refuses a Vector Search region of global (indexes are regional)', () => {
    expect(problems({ ...vertexEnv, [S.region]: 'global' })).toMatch(/ORCHESTRA_REGION: expected a Google Cloud region such as us-central1 \(Vector Search indexes are regional\)/);
  });

  it.each<[string, Record<string, string>, RegExp]>([
    ['a non-numeric port', { [S.redisHost]: 'h', [S.redisPort]: 'abc' }, /ORCHESTRA_REDIS_PORT: expected .*got "abc"/],
    ['TLS that is not a boolean', { [S.redisHost]: 'h', [S.redisTls]: 'yes' }, /ORCHESTRA_REDIS_TLS: expected .*got "yes"/],
    ['both Redis URL and host', { [S.redisHost]: 'h', [S.redisUrl]: 'redis://h:1' }, /ORCHESTRA_REDIS_URL: set ORCHESTRA_REDIS_URL or ORCHESTRA_REDIS_HOST, not both/],
    ['a Redis password without a server', { [S.redisPassword]: 'x' }, /ORCHESTRA_REDIS_PASSWORD: set without ORCHESTRA_REDIS_HOST or ORCHESTRA_REDIS_URL/],
    ['a CA that is not PEM', { [S.redisHost]: 'h', [S.redisCaCert]: 'not a cert' }, /ORCHESTRA_REDIS_CA_CERT: expected a PEM certificate/],
    ['half of the Vertex settings', { [S.vectorIndex]: vertexEnv[S.vectorIndex] }, /long-term memory on Vertex AI needs ORCHESTRA_VECTOR_INDEX_ENDPOINT, .*GOOGLE_CLOUD_PROJECT, ORCHESTRA_REGION as well/],
    ['an index given as a URL', { ...vertexEnv, [S.vectorIndex]: 'https://x/indexes/1' }, /ORCHESTRA_VECTOR_INDEX: expected a resource name projects\/…\/locations\/…\/indexes\/…/],
    ['a Redis port without a server', { [S.redisPort]: '6378' }, /ORCHESTRA_REDIS_PORT: set without ORCHESTRA_REDIS_HOST or ORCHESTRA_REDIS_URL/],
    ['a zero TTL', { [S.shortTermTtlSeconds]: '0' }, /ORCHESTRA_SHORT_TERM_TTL_SECONDS: expected/],
    ['a bad namespace', { [S.memoryNamespace]: 'has spaces' }, /ORCHESTRA_MEMORY_NAMESPACE: expected letters, digits/],
  ])('rejects %s, naming the variable', (_case, env, message) => {
    expect(problems(env)).toMatch(message);
  });

  it('reports every bad variable at once', () => {
    const message = problems({ [S.redisHost]: 'h', [S.redisPort]: '0', [S.recentMessages]: '-1', [S.layerTimeoutMs]: 'soon' });
    expect(message.split('\n').filter((l) => l.startsWith('  - '))).toHaveLength(3);
  });

  it('never echoes a malformed credential', () => {
    const message = problems({ [S.mongoUri]: 'postgres://user:s3cr3t-pass@db/x', [S.redisUrl]: 'http://:hunter2@h' });
    expect(message).toMatch(/ORCHESTRA_MONGODB_URI: expected a mongodb:\/\/ or mongodb\+srv:\/\/ connection string \(value not shown\)/);
    expect(message).not.toMatch(/s3cr3t|hunter2/);
  });
});

describe('server settings', () => {
  const key = 'k'.repeat(24);

  it('defaults to a local development server on 127.0.0.1:8080 without auth', () => {
    expect(parseRuntimeConfig({}).server).toEqual({
      port: 8080,
      host: '127.0.0.1',
      logLevel: 'info',
      traceContent: false,
      bodyLimitBytes: 1024 * 1024,
      rateLimitPerMinute: 600,
      requestTimeoutMs: 240_000,
      idempotencyTtlSeconds: 86_400,
      teamsDir: undefined,
      apiKeys: [],
      adminApiKeys: [],
    });
  });

  it('records message content in traces only when ORCHESTRA_TRACE_CONTENT is true, and refuses another value', () => {
    expect(parseRuntimeConfig({ [S.traceContent]: 'true' }).server.traceContent).toBe(true);
    expect(parseRuntimeConfig({ [S.traceContent]: 'false' }).server.traceContent).toBe(false);
    expect(problems({ [S.traceContent]: 'yes' })).toMatch(/ORCHESTRA_TRACE_CONTENT/);
  });

  it('exports traces only when an OTLP endpoint is set, and reports a malformed one with the other settings', () => {
    expect(parseRuntimeConfig({}).telemetry).toBeUndefined();
    expect(parseRuntimeConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'https://telemetry.googleapis.com' }).telemetry).toEqual({ otlpEndpoint: 'https://telemetry.googleapis.com', google: true });
    const message = problems({ OTEL_EXPORTER_OTLP_ENDPOINT: 'not a url', [S.port]: '70000' });
    expect(message).toMatch(/OTEL_EXPORTER_OTLP_ENDPOINT: an http\(s\) URL of an OTLP endpoint/);
    expect(message).toMatch(/PORT/);
  });

  it('reads operators\' admin keys apart from tenant keys, refuses one shared with a tenant, and takes the stack\'s placeholder as none', () => {
    const admin = 'a'.repeat(32);
    const env = { [S.environment]: 'prod', [S.apiKeys]: `acme=${key}`, [S.llmConfig]: OFFLINE_ON_PURPOSE };
    expect(parseRuntimeConfig({ ...env, [S.adminApiKeys]: `ops@acme=${admin}` }).server.adminApiKeys).toEqual([{ name: 'ops@acme', key: admin }]);
    // A deploy that never filled the optional secret starts, with no admin routes.
    expect(parseRuntimeConfig({ ...env, [S.adminApiKeys]: SECRET_PLACEHOLDER }).server.adminApiKeys).toEqual([]);
    expect(() => parseRuntimeConfig({ ...env, [S.adminApiKeys]: key })).toThrow(/ORCHESTRA_ADMIN_API_KEYS\[0\]: expected name=key/);
    expect(() => parseRuntimeConfig({ ...env, [S.adminApiKeys]: `ops=${key}` })).toThrow(/ORCHESTRA_ADMIN_API_KEYS\[0\]: \(ops\) the key is also in ORCHESTRA_API_KEYS/);
    expect(() => parseRuntimeConfig({ ...env, [S.adminApiKeys]: 'ops=short' })).toThrow(/ORCHESTRA_ADMIN_API_KEYS\[0\]: \(ops\) expected a key of at least/);
    // Keys are never echoed, not even a refused one.
    expect(() => parseRuntimeConfig({ ...env, [S.adminApiKeys]: 'ops=short' })).not.toThrow(/short/);
  });

  it('answers a message within a deadline below Cloud Run\'s 300 s request timeout, and refuses one that could never fire', () => {
    expect(parseRuntimeConfig({}).server.requestTimeoutMs).toBeLessThan(300_000);
    expect(parseRuntimeConfig({ [S.requestTimeoutMs]: '60000' }).server.requestTimeoutMs).toBe(60_000);
    for (const bad of ['0', '-1', '1.5', 'soon', '3600001']) {
      expect(() => parseRuntimeConfig({ [S.requestTimeoutMs]: bad })).toThrow(new RegExp(`ORCHESTRA_REQUEST_TIMEOUT_MS: expected .*got "${bad}"`));
    }
  });

  it('binds every interface outside local development and reads tenant-named keys', () => {
    const config = parseRuntimeConfig({ [S.environment]: 'prod', [S.port]: '9000', [S.apiKeys]: `acme=${key}, ${key}x`, [S.llmConfig]: OFFLINE_ON_PURPOSE });
    expect(config).toMatchObject({ environment: 'prod', local: false, server: { host: '0.0.0.0', port: 9000 } });
    expect(config.server.apiKeys).toEqual([
      { tenant: 'acme', key },
      { tenant: 'default', key: `${key}x` },
    ]);
  });

  it('refuses to start outside local development on the offline model alone, unless the config says so', () => {
    const base = { [S.environment]: 'staging', [S.apiKeys]: `acme=${key}` };
    expect(problems(base)).toMatch(/ORCHESTRA_LLM_CONFIG: only the offline model \(canned answers\) outside local development \(ORCHESTRA_ENV is "staging"\)/);
    expect(problems({ ...base, [S.llmConfig]: JSON.stringify({ deployments: [{ name: 'o', provider: 'offline', model: 'offline' }] }) })).toMatch(/only the offline model/);
    expect(parseRuntimeConfig({ ...base, [S.llmConfig]: OFFLINE_ON_PURPOSE }).llm.allowOfflineOnly).toBe(true);
    // A real model beside it, or local development: no objection.
    const withGemini = JSON.stringify(geminiLlmConfig());
    expect(parseRuntimeConfig({ ...base, [S.llmConfig]: withGemini, [S.projectId]: 'acme-prod', [S.region]: 'us-central1' }).llm.deployments.map((d) => d.model)).toEqual([
      DEFAULT_GEMINI_MODELS.primary,
      DEFAULT_GEMINI_MODELS.fallback,
    ]);
    expect(parseRuntimeConfig({}).llm.deployments.map((d) => d.provider)).toEqual(['offline']);
  });

  it('refuses a secret that still holds the placeholder the stack wrote, without starting', () => {
    const message = problems({ [S.environment]: 'prod', [S.apiKeys]: SECRET_PLACEHOLDER, [S.llmConfig]: OFFLINE_ON_PURPOSE });
    expect(message).toMatch(/ORCHESTRA_API_KEYS: its Secret Manager secret still holds the placeholder the stack wrote: add the real value/);
    // Reported once, not also as a malformed key.
    expect(message.match(/ORCHESTRA_API_KEYS/g)).toHaveLength(1);
  });

  it('refuses to start outside local development without API keys', () => {
    expect(problems({ [S.environment]: 'prod' })).toMatch(/ORCHESTRA_API_KEYS: required outside local development \(ORCHESTRA_ENV is "prod"\)/);
  });

  it('refuses short keys and bad tenants without echoing the key', () => {
    const message = problems({ [S.apiKeys]: 'acme=short-key,bad tenant=' + key });
    expect(message).toMatch(/ORCHESTRA_API_KEYS\[0\]: \(tenant acme\) expected a key of at least 16 characters/);
    expect(message).toMatch(/ORCHESTRA_API_KEYS\[1\]: the tenant before "=" must be/);
    expect(message).not.toContain('short-key');
    expect(message).not.toContain(key);
  });

  it('validates port, log level, limits', () => {
    const message = problems({ [S.port]: '70000', [S.logLevel]: 'loud', [S.bodyLimitBytes]: '0', [S.idempotencyTtlSeconds]: '0' });
    expect(message).toMatch(/PORT: expected/);
    expect(message).toMatch(/ORCHESTRA_LOG_LEVEL: expected/);
    expect(message).toMatch(/ORCHESTRA_BODY_LIMIT_BYTES: expected/);
    expect(message).toMatch(/ORCHESTRA_IDEMPOTENCY_TTL_SECONDS: expected/);
  });

  it('keeps answers to Idempotency-Key retries a day unless told otherwise', () => {
    expect(parseRuntimeConfig({}).server.idempotencyTtlSeconds).toBe(86_400);
    expect(parseRuntimeConfig({ [S.idempotencyTtlSeconds]: '600' }).server.idempotencyTtlSeconds).toBe(600);
  });
});

describe('createMemory', () => {
  it('builds embedded layers when nothing is configured', async () => {
    const memory = createMemory(parseRuntimeConfig({}).memory);
    await memory.init();
    expect((await memory.status()).map((s) => `${s.layer}=${s.backend}`)).toEqual(['short-term=embedded', 'mid-term=embedded', 'long-term=embedded']);
    await memory.close();
  });

  it('builds the real client for each configured layer, independently', () => {
    const config = parseRuntimeConfig({ [S.redisUrl]: 'redis://127.0.0.1:1', ...vertexEnv });
    const memory = createMemory(config.memory, config.google);
    expect(memory.layers.shortTerm.constructor.name).toBe('RedisShortTermStore');
    expect(memory.layers.midTerm.constructor.name).toBe('EmbeddedMidTermStore');
    expect(memory.layers.longTerm.constructor.name).toBe('VertexLongTermStore');
    return memory.close();
  });
});
