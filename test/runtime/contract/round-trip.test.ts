import {
  ConfigError,
  type RuntimeConfig,
  type RuntimeSettingsInput,
  RuntimeSettings,
  SecretValue,
  fromSecret,
  llmApiKeySetting,
  parseRuntimeConfig,
  renderRuntimeSettings,
} from '../../../runtime/src/contract';

// renderRuntimeSettings and parseRuntimeConfig are inverse of each other: whatever configuration
// the parser returns, rendering it gives variables the parser turns back into the same
// configuration; and the variables of a deployment, parsed and rendered, are the same variables.

const PEM = '-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ\n-----END CERTIFICATE-----';
const KEY = 'k'.repeat(24);

/** Every setting away from its default: Redis by host, Firestore, Vector Search, every LLM provider. */
const deployed: RuntimeConfig = {
  environment: 'prod',
  local: false,
  google: { projectId: 'acme-prod', region: 'europe-west4', vertexApiHost: '10.0.0.5:443' },
  memory: {
    namespace: 'acme',
    shortTermTtlSeconds: 600,
    recentMessages: 12,
    midTermTtlDays: 90,
    layerTimeoutMs: 900,
    semanticMinScore: 0.42,
    hybridAlpha: 0.65,
    embedding: { model: 'gemini-embedding-001', dimensions: 1536 },
    redis: { host: '10.20.0.3', port: 6378, tls: true, caCert: PEM, password: 'memorystore-auth' },
    mongo: { uri: 'mongodb://abc.europe-west4.firestore.goog:443/acme?loadBalanced=true&tls=true&retryWrites=false', database: 'acme-memory' },
    vectorSearch: {
      indexName: 'projects/123/locations/europe-west4/indexes/456',
      indexEndpointName: 'projects/123/locations/europe-west4/indexEndpoints/789',
      deployedIndexId: 'acme_memory',
      queryHost: '1234.europe-west4-567.vdb.vertexai.goog',
    },
  },
  server: {
    port: 9090,
    host: '0.0.0.0',
    logLevel: 'debug',
    traceContent: true,
    bodyLimitBytes: 65_536,
    rateLimitPerMinute: 120,
    requestTimeoutMs: 120_000,
    idempotencyTtlSeconds: 3600,
    teamsDir: '/srv/teams',
    apiKeys: [
      { tenant: 'acme', key: KEY },
      { tenant: 'globex', key: `${KEY}x` },
    ],
    adminApiKeys: [{ name: 'ops@acme', key: `${KEY}admin` }],
  },
  llm: {
    deployments: [
      { name: 'primary', provider: 'openai-compatible', model: 'gpt-4o-mini', baseUrl: 'http://litellm:4000/v1', apiKeyProvider: 'my-proxy', timeoutMs: 20_000 },
      { name: 'gemini', provider: 'vertex-gemini', model: 'gemini-2.5-flash' },
      { name: 'offline', provider: 'offline', model: 'offline' },
    ],
    fallbacks: { primary: ['gemini', 'offline'] },
    contextWindowFallbacks: { primary: ['gemini'] },
    retries: 4,
    timeoutMs: 45_000,
    cooldownMs: 0,
    allowOfflineOnly: false,
    apiKeys: { 'my-proxy': new SecretValue('sk-proxy-0123456789') },
  },
};

/** Vector Search behind Private Service Connect (queried on the address's private protocol), embedded by a LiteLLM proxy. */
const deployedPrivately: RuntimeConfig = {
  ...deployed,
  memory: {
    ...deployed.memory,
    embedding: { provider: 'openai-compatible', model: 'text-embedding-3-small', dimensions: 1536, baseUrl: 'http://litellm:4000/v1', apiKey: 'sk-embed-0123456789' },
    vectorSearch: { ...deployed.memory.vectorSearch!, queryHost: '10.60.0.5', access: 'private' },
  },
};

/** The other shapes: Redis by URL, no Firestore or Vector Search, a developer's machine, the defaults. */
const local: RuntimeConfig = {
  environment: 'local',
  local: true,
  google: {},
  memory: {
    namespace: 'orchestra',
    shortTermTtlSeconds: 3600,
    recentMessages: 20,
    midTermTtlDays: 30,
    layerTimeoutMs: 1500,
    embedding: { model: 'bge-small-en-v1.5', dimensions: 384, modelDir: '/opt/orchestra/models' },
    redis: { url: 'rediss://:pw@127.0.0.1:6380', tls: true, password: 'separate-auth' },
  },
  server: { port: 8080, host: '127.0.0.1', logLevel: 'info', traceContent: false, bodyLimitBytes: 1024 * 1024, rateLimitPerMinute: 600, requestTimeoutMs: 240_000, idempotencyTtlSeconds: 86_400, apiKeys: [], adminApiKeys: [] },
  llm: {
    deployments: [{ name: 'offline', provider: 'offline', model: 'offline' }],
    fallbacks: {},
    contextWindowFallbacks: {},
    retries: 2,
    timeoutMs: 30_000,
    cooldownMs: 30_000,
    allowOfflineOnly: false,
    apiKeys: {},
  },
};

/** A configuration with its held keys shown, so that two configurations with different keys differ (jest does not see #private). */
function comparable(config: RuntimeConfig): unknown {
  return { ...config, llm: { ...config.llm, apiKeys: Object.fromEntries(Object.entries(config.llm.apiKeys).map(([p, k]) => [p, k.reveal()])) } };
}

const env = (config: RuntimeSettingsInput) => renderRuntimeSettings(config).env;

describe('renderRuntimeSettings ∘ parseRuntimeConfig', () => {
  it.each([
    ['deployed', deployed],
    ['deployed privately', deployedPrivately],
    ['local', local],
  ])('gives the %s configuration back unchanged', (_name, config) => {
    const rendered = renderRuntimeSettings(config);
    expect(rendered.secrets).toEqual({});
    expect(comparable(parseRuntimeConfig(rendered.env))).toEqual(comparable(config));
  });

  it('covers every setting the runtime reads (a setting nobody renders would be one the infrastructure cannot set)', () => {
    const rendered = new Set([...Object.keys(env(deployed)), ...Object.keys(env(deployedPrivately)), ...Object.keys(env(local))]);
    const settings = [...Object.values(RuntimeSettings), llmApiKeySetting('my-proxy')];
    expect(settings.filter((name) => !rendered.has(name))).toEqual([]);
    expect([...rendered].filter((name) => !settings.includes(name))).toEqual([]);
  });

  it('renders each key of the LLM providers to the variable the parser reads it from', () => {
    const variables = env(deployed);
    expect(variables[llmApiKeySetting('my-proxy')]).toBe('sk-proxy-0123456789');
    expect(llmApiKeySetting('my-proxy')).toBe('ORCHESTRA_LLM_MY_PROXY_API_KEY');
  });

  it('keeps a wrong value wrong: the parser refuses what it would refuse from an operator', () => {
    const broken = { ...deployed, memory: { ...deployed.memory, embedding: { model: 'text-embedding-005', dimensions: 1536 } } };
    expect(() => parseRuntimeConfig(env(broken))).toThrow(ConfigError);
  });
});

describe('parseRuntimeConfig ∘ renderRuntimeSettings', () => {
  it.each([
    ['deployment', deployed],
    ['private deployment', deployedPrivately],
  ])('gives a %s its variables back, every one', (_name, config) => {
    const variables = env(config);
    expect(renderRuntimeSettings(parseRuntimeConfig(variables)).env).toEqual(variables);
  });

  it('renders the request deadline to the variable the parser reads it from', () => {
    expect(env(deployed)[RuntimeSettings.requestTimeoutMs]).toBe('120000');
    expect(RuntimeSettings.requestTimeoutMs).toBe('ORCHESTRA_REQUEST_TIMEOUT_MS');
    expect(parseRuntimeConfig(env({ server: { requestTimeoutMs: 5_000 } })).server.requestTimeoutMs).toBe(5_000);
  });

  it('renders the query access to the variable the parser reads it from, and keeps the protocol mix-ups out', () => {
    const variables = env(deployedPrivately);
    expect(variables[RuntimeSettings.vectorQueryAccess]).toBe('private');
    const { [RuntimeSettings.vectorQueryAccess]: _dropped, ...withoutAccess } = variables;
    expect(() => parseRuntimeConfig(withoutAccess)).toThrow(/ORCHESTRA_VECTOR_QUERY_ACCESS: required when ORCHESTRA_VECTOR_QUERY_HOST is an IP address \("10\.60\.0\.5"\)/);
    const publicDomainPrivately = { ...env(deployed), [RuntimeSettings.vectorQueryAccess]: 'private' };
    expect(() => parseRuntimeConfig(publicDomainPrivately)).toThrow(/ORCHESTRA_VECTOR_QUERY_ACCESS: "private" with the public endpoint domain/);
    expect(() => parseRuntimeConfig({ ...variables, [RuntimeSettings.vectorQueryAccess]: 'psc' })).toThrow(/ORCHESTRA_VECTOR_QUERY_ACCESS: expected .*got "psc"/);
    // Saying "public" for an IP address is allowed: a proxy or a test server may serve FindNeighbors there.
    expect(parseRuntimeConfig({ ...variables, [RuntimeSettings.vectorQueryAccess]: 'public' }).memory.vectorSearch?.access).toBe('public');
  });

  it('writes a default only when it was given: an empty configuration is no variables, and parses to the defaults', () => {
    expect(renderRuntimeSettings({})).toEqual({ env: {}, secrets: {} });
    const { redis: _redis, embedding, ...memory } = local.memory;
    const { modelDir: _modelDir, ...defaultEmbedding } = embedding;
    expect(comparable(parseRuntimeConfig({}))).toEqual(comparable({ ...local, memory: { ...memory, embedding: defaultEmbedding } }));
  });
});

describe('credentials by reference', () => {
  it('come out as secrets by variable, never as values, for every credential setting', () => {
    const ref = (name: string) => fromSecret(`secret:${name}`);
    const rendered = renderRuntimeSettings<string>({
      environment: 'prod',
      memory: {
        redis: { host: '10.20.0.3', password: ref('redis-auth') },
        mongo: { uri: ref('atlas-uri') },
      },
      server: { apiKeys: ref('api-keys') },
      llm: { apiKeys: { openai: ref('openai') } },
    });
    expect(rendered.secrets).toEqual({
      [RuntimeSettings.redisPassword]: 'secret:redis-auth',
      [RuntimeSettings.mongoUri]: 'secret:atlas-uri',
      [RuntimeSettings.apiKeys]: 'secret:api-keys',
      ORCHESTRA_LLM_OPENAI_API_KEY: 'secret:openai',
    });
    expect(rendered.env).toEqual({ [RuntimeSettings.environment]: 'prod', [RuntimeSettings.redisHost]: '10.20.0.3' });
  });

  it('a Redis URL may be a secret too (it can carry the password)', () => {
    const rendered = renderRuntimeSettings<string>({ memory: { redis: { url: fromSecret('redis-url') } } });
    expect(rendered).toEqual({ env: {}, secrets: { [RuntimeSettings.redisUrl]: 'redis-url' } });
  });
});
