import { z } from 'zod';
import { type TelemetryConfig, parseTelemetry } from './telemetry';
import { DEFAULTS, DEFAULT_EMBEDDING_MODEL, LOCAL_EMBEDDING_MODEL, LOCAL_ENVIRONMENT, MIN_API_KEY_LENGTH, defaultEmbeddingDimensions, embeddingWidthProblem } from './defaults';
import { type Problem, ValidationError } from './errors';
import { type LlmConfig, type LlmSettingsInput, llmDocumentOf, parseLlmSettings } from './llm-config';
import { DEPLOYED_INDEX_ID, EMBEDDING_MODEL, OPENAI_MODEL, ENVIRONMENT_NAME, HOST_PORT, PROJECT_ID, REGION, type Rule, TENANT, matches, vertexResourceName } from './rules';
import { MEMORY_NAMESPACE } from './mid-term-indexes';
import { SECRET_PLACEHOLDER, type SecretRef, SecretValue, type Sensitive, isSecretRef } from './secrets';
import { RuntimeSettings as S, llmApiKeySetting } from './settings';

/** The runtime's settings that failed to parse; each problem names its variable. */
export class ConfigError extends ValidationError {
  static readonly CODE = 'RUNTIME_INVALID_CONFIG';
  constructor(problems: readonly Problem[]) {
    super(ConfigError.CODE, 'invalid runtime configuration', problems);
  }
}

/** Where Google APIs are called: shared by Vector Search, the embedding model and Gemini. */
export interface GoogleConfig {
  /** GOOGLE_CLOUD_PROJECT. */
  readonly projectId?: string;
  /** ORCHESTRA_REGION: a region; `global` only for Gemini. */
  readonly region?: string;
  /** ORCHESTRA_VERTEX_API_HOST. @default - the region's Vertex AI endpoint */
  readonly vertexApiHost?: string;
}

/** ORCHESTRA_EMBEDDING_PROVIDER: what turns text into vectors. */
export type EmbeddingProvider = 'local' | 'hashing' | 'vertex' | 'openai-compatible';

export const EMBEDDING_PROVIDERS: readonly EmbeddingProvider[] = ['local', 'hashing', 'vertex', 'openai-compatible'];

/** The embedder when none is named: Vertex AI's beside a Vector Search index, else the local model. */
export function defaultEmbeddingProvider(vectorSearch: boolean): EmbeddingProvider {
  return vectorSearch ? 'vertex' : 'local';
}

/** How long-term memory turns text into vectors; the width is the vector index's. */
export interface EmbeddingConfig<Ref = never> {
  /** @default - `vertex` with Vector Search, else `local` */
  readonly provider?: EmbeddingProvider;
  /** @default "text-embedding-005"; "bge-small-en-v1.5" for `local` (required for `openai-compatible`) */
  readonly model: string;
  /** @default - the model's own width (768 for text-embedding-005, 384 for the local model; required for `openai-compatible`) */
  readonly dimensions: number;
  /** `local` only: where its model files are kept. @default - ~/.cache/orchestra/models */
  readonly modelDir?: string;
  /** `openai-compatible` only: the server's base URL up to `/v1`. */
  readonly baseUrl?: string;
  /** `openai-compatible` only: sent as `Authorization: Bearer …`. @default none */
  readonly apiKey?: Sensitive<string, Ref>;
}

interface RedisCommon<Ref> {
  /** ORCHESTRA_REDIS_TLS (with a URL, `rediss://` also means TLS). @default false */
  readonly tls: boolean;
  /** PEM of the CA that signs the server's certificate (Memorystore's own). */
  readonly caCert?: string;
  /** The AUTH string. */
  readonly password?: Sensitive<string, Ref>;
}

/** Redis as deployed: Memorystore's private address. */
export interface RedisByHost<Ref = never> extends RedisCommon<Ref> {
  readonly host: string;
  /** @default 6379 */
  readonly port: number;
}

/** Redis by URL (`redis://` or `rediss://`), e.g. a local server; it may carry credentials. */
export interface RedisByUrl<Ref = never> extends RedisCommon<Ref> {
  readonly url: Sensitive<string, Ref>;
}

export type RedisConfig<Ref = never> = RedisByHost<Ref> | RedisByUrl<Ref>;

/** Redis as a deployment gives it: port and TLS may be left to their defaults. */
export type RedisInput<Ref = never> =
  | (Omit<RedisByHost<Ref>, 'port' | 'tls'> & { readonly port?: number; readonly tls?: boolean })
  | (Omit<RedisByUrl<Ref>, 'tls'> & { readonly tls?: boolean });

export interface MongoConfig<Ref = never> {
  /** A mongodb:// or mongodb+srv:// connection string (Firestore's has no password; Atlas's does). */
  readonly uri: Sensitive<string, Ref>;
  /** @default "orchestra" */
  readonly database: string;
}

/**
 * How queries reach a deployed index. `public`: the endpoint's public domain, TLS on 443,
 * `google.cloud.aiplatform.v1.MatchService.FindNeighbors`. `private`: an index deployed with
 * Private Service Connect or private services access, queried on its IP address directly
 * (Google's "Query private services access (VPC Network Peering) or Private Service Connect
 * indexes"), plaintext gRPC on port 10000, `google.cloud.aiplatform.container.v1.MatchService.Match`
 * (what the Vertex AI SDK for Python dials). Writes go to the regional API either way.
 */
export type VectorQueryAccess = 'public' | 'private';

export const VECTOR_QUERY_ACCESS: readonly VectorQueryAccess[] = ['public', 'private'];

/** Where long-term memory lives on Vertex AI Vector Search. */
export interface VectorSearchConfig {
  /** `projects/…/locations/…/indexes/…`: where upserts go. */
  readonly indexName: string;
  /** `projects/…/locations/…/indexEndpoints/…`: a resource name, not a URL. */
  readonly indexEndpointName: string;
  readonly deployedIndexId: string;
  /** `host` or `host:port` serving queries: the endpoint's public domain, or its PSC / private services access IP. */
  readonly queryHost: string;
  /**
   * ORCHESTRA_VECTOR_QUERY_ACCESS.
   * @default "public" (an IP address as `queryHost` must say which)
   */
  readonly access?: VectorQueryAccess;
}

/** The memory's settings. A layer without backend settings runs embedded, in process. */
export interface MemoryConfig {
  readonly namespace: string;
  readonly shortTermTtlSeconds: number;
  readonly recentMessages: number;
  readonly midTermTtlDays: number;
  readonly layerTimeoutMs: number;
  /**
   * ORCHESTRA_SEMANTIC_MIN_SCORE, from -1 to 1: the cosine a match found by the dense signal alone
   * must score above (a match also found lexically is kept).
   * @default - the embedder's own cutoff (none for Vertex AI's models)
   */
  readonly semanticMinScore?: number;
  /** ORCHESTRA_HYBRID_ALPHA, from 0 (lexical only) to 1 (dense only). @default - the long-term store's own (hybrid) */
  readonly hybridAlpha?: number;
  readonly embedding: EmbeddingConfig;
  readonly redis?: RedisConfig;
  readonly mongo?: MongoConfig;
  readonly vectorSearch?: VectorSearchConfig;
}

export interface ApiKey {
  /** Whose key it is: memory searches of its requests see only this tenant's items. */
  readonly tenant: string;
  readonly key: string;
}

/** An operator's key for the admin routes: acts on any tenant, never as one. */
export interface AdminApiKey {
  /** Who holds it, recorded in the receipts of what it erased. */
  readonly name: string;
  readonly key: string;
}

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface ServerConfig {
  readonly port: number;
  readonly host: string;
  readonly logLevel: LogLevel;
  /** ORCHESTRA_TRACE_CONTENT: message content in trace spans. @default false */
  readonly traceContent: boolean;
  readonly bodyLimitBytes: number;
  readonly rateLimitPerMinute: number;
  /** ORCHESTRA_REQUEST_TIMEOUT_MS: a message's deadline, below the platform's request timeout. @default 240000 */
  readonly requestTimeoutMs: number;
  /** ORCHESTRA_IDEMPOTENCY_TTL_SECONDS: how long an answer is replayed to retries with its Idempotency-Key. @default 86400 */
  readonly idempotencyTtlSeconds: number;
  /** @default - the teams shipped with the runtime */
  readonly teamsDir?: string;
  /** Empty only in local development, where auth is then off. */
  readonly apiKeys: readonly ApiKey[];
  /** Keys for `/v1/admin`; empty: no admin routes (except in local development with auth off). */
  readonly adminApiKeys: readonly AdminApiKey[];
}

/** Everything the runtime runs on, parsed from its environment with every default filled. */
export interface RuntimeConfig {
  /** `local` when unset: local development (no auth required, binds 127.0.0.1). */
  readonly environment: string;
  readonly local: boolean;
  readonly google: GoogleConfig;
  readonly memory: MemoryConfig;
  readonly server: ServerConfig;
  readonly llm: LlmConfig;
  /** Trace export (`OTEL_EXPORTER_OTLP_*`); absent: spans are not exported (nor made). */
  readonly telemetry?: TelemetryConfig;
}

/**
 * What a deployment sets, for `renderRuntimeSettings`: the runtime's configuration with every
 * defaulted field optional (left out, the runtime's default applies) and each credential given by
 * value or, with `Ref`, as a reference to a secret that the platform mounts.
 */
export interface RuntimeSettingsInput<Ref = never> {
  /** @default "local" */
  readonly environment?: string;
  readonly google?: GoogleConfig;
  readonly memory?: {
    readonly namespace?: string;
    readonly shortTermTtlSeconds?: number;
    readonly recentMessages?: number;
    readonly midTermTtlDays?: number;
    readonly layerTimeoutMs?: number;
    readonly semanticMinScore?: number;
    readonly hybridAlpha?: number;
    readonly embedding?: Partial<EmbeddingConfig<Ref>>;
    readonly redis?: RedisInput<Ref>;
    readonly mongo?: Omit<MongoConfig<Ref>, 'database'> & { readonly database?: string };
    readonly vectorSearch?: VectorSearchConfig;
  };
  readonly server?: Partial<Omit<ServerConfig, 'apiKeys' | 'adminApiKeys'>> & {
    readonly apiKeys?: Sensitive<readonly ApiKey[], Ref>;
    readonly adminApiKeys?: Sensitive<readonly AdminApiKey[], Ref>;
  };
  readonly llm?: LlmSettingsInput<Ref>;
}

/** The memory part of a deployment's settings: what the storage and AI constructs each contribute. */
export type MemorySettingsInput<Ref = never> = NonNullable<RuntimeSettingsInput<Ref>['memory']>;

/** A configuration as environment variables: plain values, and those the platform reads from a secret store. */
export interface RenderedSettings<Ref = never> {
  readonly env: Readonly<Record<string, string>>;
  readonly secrets: Readonly<Record<string, Ref>>;
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Reads the runtime's settings from `env` (normally `process.env`): the inverse of
 * `renderRuntimeSettings`. Every problem is collected and thrown at once as a `ConfigError`;
 * nothing starts on a bad configuration, and a credential is never echoed.
 */
export function parseRuntimeConfig(given: Env): RuntimeConfig {
  const problems: Problem[] = [];
  const env = withoutPlaceholders(given, problems);
  const read = reader(env, problems);

  const environment = read(S.environment, ruleSchema(ENVIRONMENT_NAME), LOCAL_ENVIRONMENT)!;
  const local = environment === LOCAL_ENVIRONMENT;
  const google: GoogleConfig = omitUndefined({
    projectId: env[S.projectId] || undefined,
    region: env[S.region] || undefined,
    vertexApiHost: read(S.vertexApiHost, ruleSchema(HOST_PORT)),
  });
  const vectorSearch = parseVectorSearch(env, problems, read);
  const embedding = parseEmbedding(env, problems, read, google, vectorSearch !== undefined);
  const memory: MemoryConfig = omitUndefined({
    namespace: read(S.memoryNamespace, ruleSchema(MEMORY_NAMESPACE), DEFAULTS.memoryNamespace)!,
    shortTermTtlSeconds: read(S.shortTermTtlSeconds, positiveInt(30 * 24 * 3600), DEFAULTS.shortTermTtlSeconds)!,
    recentMessages: read(S.recentMessages, positiveInt(1000), DEFAULTS.recentMessages)!,
    midTermTtlDays: read(S.midTermTtlDays, positiveInt(3650), DEFAULTS.midTermTtlDays)!,
    layerTimeoutMs: read(S.layerTimeoutMs, positiveInt(60_000), DEFAULTS.layerTimeoutMs)!,
    semanticMinScore: read(S.semanticMinScore, cosine),
    hybridAlpha: read(S.hybridAlpha, fusionWeight),
    embedding,
    redis: parseRedis(env, problems, read),
    mongo: parseMongo(env, problems, read),
    vectorSearch,
  });
  const server = parseServer(env, local, problems, read);
  const llm = parseLlmSettings(env, problems);
  if (!local && llm.deployments.every((d) => d.provider === 'offline') && !llm.allowOfflineOnly) {
    problems.push({
      path: S.llmConfig,
      message: `only the offline model (canned answers) outside local development (${S.environment} is "${environment}"): configure a vertex-gemini or openai-compatible deployment, or set "allowOfflineOnly": true on purpose`,
    });
  }
  const telemetry = parseTelemetry(env);
  problems.push(...telemetry.problems);
  if (problems.length > 0) throw new ConfigError(problems);
  return { environment, local, google, memory, server, llm, ...(telemetry.config ? { telemetry: telemetry.config } : {}) };
}

/**
 * The environment variables that make the runtime run on `settings`: the inverse of
 * `parseRuntimeConfig` (`parseRuntimeConfig(env of renderRuntimeSettings(c))` gives `c` back for
 * every configuration it returns). Credentials given as `fromSecret(ref)` come out in `secrets`,
 * by variable, for the platform to mount; everything else in `env`. A field left out is not
 * rendered, so the runtime's own default applies. Values may be deploy-time tokens: nothing here
 * looks inside them.
 */
export function renderRuntimeSettings<Ref = never>(settings: RuntimeSettingsInput<Ref>): RenderedSettings<Ref> {
  const env: Record<string, string> = {};
  const secrets: Record<string, Ref> = {};
  const plain = (name: string, value: string | number | boolean | undefined) => {
    if (value !== undefined) env[name] = String(value);
  };
  const sensitive = <T>(name: string, value: T | SecretRef<Ref> | undefined, format: (v: T) => string) => {
    if (value === undefined) return;
    if (isSecretRef(value)) secrets[name] = (value as SecretRef<Ref>).secretRef;
    else env[name] = format(value as T);
  };

  plain(S.environment, settings.environment);
  plain(S.projectId, settings.google?.projectId);
  plain(S.region, settings.google?.region);
  plain(S.vertexApiHost, settings.google?.vertexApiHost);

  const memory = settings.memory ?? {};
  plain(S.memoryNamespace, memory.namespace);
  plain(S.shortTermTtlSeconds, memory.shortTermTtlSeconds);
  plain(S.recentMessages, memory.recentMessages);
  plain(S.midTermTtlDays, memory.midTermTtlDays);
  plain(S.layerTimeoutMs, memory.layerTimeoutMs);
  plain(S.semanticMinScore, memory.semanticMinScore);
  plain(S.hybridAlpha, memory.hybridAlpha);
  plain(S.embeddingProvider, memory.embedding?.provider);
  plain(S.embeddingModel, memory.embedding?.model);
  plain(S.vectorDimensions, memory.embedding?.dimensions);
  plain(S.embeddingBaseUrl, memory.embedding?.baseUrl);
  plain(S.embeddingModelDir, memory.embedding?.modelDir);
  sensitive<string>(S.embeddingApiKey, memory.embedding?.apiKey, String);
  const redis = memory.redis;
  if (redis) {
    if ('url' in redis) sensitive<string>(S.redisUrl, redis.url, String);
    else {
      plain(S.redisHost, redis.host);
      plain(S.redisPort, redis.port);
    }
    plain(S.redisTls, redis.tls);
    plain(S.redisCaCert, redis.caCert);
    sensitive<string>(S.redisPassword, redis.password, String);
  }
  if (memory.mongo) {
    sensitive<string>(S.mongoUri, memory.mongo.uri, String);
    plain(S.mongoDatabase, memory.mongo.database);
  }
  if (memory.vectorSearch) {
    plain(S.vectorIndex, memory.vectorSearch.indexName);
    plain(S.vectorIndexEndpoint, memory.vectorSearch.indexEndpointName);
    plain(S.vectorDeployedIndexId, memory.vectorSearch.deployedIndexId);
    plain(S.vectorQueryHost, memory.vectorSearch.queryHost);
    plain(S.vectorQueryAccess, memory.vectorSearch.access);
  }

  const server = settings.server ?? {};
  plain(S.port, server.port);
  plain(S.host, server.host);
  plain(S.logLevel, server.logLevel);
  plain(S.traceContent, server.traceContent);
  plain(S.bodyLimitBytes, server.bodyLimitBytes);
  plain(S.rateLimitPerMinute, server.rateLimitPerMinute);
  plain(S.requestTimeoutMs, server.requestTimeoutMs);
  plain(S.idempotencyTtlSeconds, server.idempotencyTtlSeconds);
  plain(S.teamsDir, server.teamsDir);
  // No keys is auth off (local development only), which is the variable unset, not set empty.
  const apiKeys = Array.isArray(server.apiKeys) && server.apiKeys.length === 0 ? undefined : server.apiKeys;
  sensitive<readonly ApiKey[]>(S.apiKeys, apiKeys, (keys) => keys.map((k) => `${k.tenant}=${k.key}`).join(','));
  const adminApiKeys = Array.isArray(server.adminApiKeys) && server.adminApiKeys.length === 0 ? undefined : server.adminApiKeys;
  sensitive<readonly AdminApiKey[]>(S.adminApiKeys, adminApiKeys, (keys) => keys.map((k) => `${k.name}=${k.key}`).join(','));

  if (settings.llm) {
    const document = llmDocumentOf(settings.llm);
    if (document) plain(S.llmConfig, JSON.stringify(document));
    for (const [provider, key] of Object.entries(settings.llm.apiKeys ?? {})) {
      sensitive<string | SecretValue>(llmApiKeySetting(provider), key, (k) => (k instanceof SecretValue ? k.reveal() : k));
    }
  }
  return { env, secrets };
}

/** Secrets a deployment may leave at the placeholder: it means "none" (no admin routes). */
const OPTIONAL_SECRETS: readonly string[] = [S.adminApiKeys];

/**
 * `env` without the variables whose secret still holds SECRET_PLACEHOLDER, each reported unless
 * optional: the stack created the secret, nobody has added its value yet.
 */
function withoutPlaceholders(env: Env, problems: Problem[]): Env {
  const kept: Record<string, string | undefined> = {};
  for (const [variable, value] of Object.entries(env)) {
    if (value?.trim() === SECRET_PLACEHOLDER && OPTIONAL_SECRETS.includes(variable)) continue;
    if (value?.trim() === SECRET_PLACEHOLDER) {
      problems.push({ path: variable, message: 'its Secret Manager secret still holds the placeholder the stack wrote: add the real value as a new version (gcloud secrets versions add <secret> --data-file=-)' });
    } else kept[variable] = value;
  }
  return kept;
}

// ---------------------------------------------------------------------------------------------

type Reader = <T>(variable: string, schema: z.ZodType<T>, fallback?: T) => T | undefined;

/** Reads one variable through `schema`; a bad value becomes a problem naming it (shortened). */
function reader(env: Env, problems: Problem[]): Reader {
  return <T>(variable: string, schema: z.ZodType<T>, fallback?: T): T | undefined => {
    const raw = env[variable];
    if (raw === undefined || raw === '') return fallback;
    const result = schema.safeParse(raw);
    if (result.success) return result.data;
    const shown = raw.length > 60 ? `${raw.slice(0, 60)}…` : raw;
    problems.push({ path: variable, message: `expected ${result.error.issues.map((i) => i.message).join('; ')}, got "${shown}"` });
    return undefined;
  };
}

/** For values that may carry credentials (passwords, connection strings): never echoed back. */
function readSecret(env: Env, problems: Problem[], variable: string, valid: (value: string) => boolean, expected: string): string | undefined {
  const raw = env[variable];
  if (raw === undefined || raw === '') return undefined;
  if (valid(raw)) return raw;
  problems.push({ path: variable, message: `expected ${expected} (value not shown)` });
  return undefined;
}

/** The widest vector an embedder may give: Vector Search's documented limit is far above every model's. */
const MAX_EMBEDDING_DIMENSIONS = 4096;
const positiveInt = (max: number) => z.coerce.number().int().min(1).max(max);
const port = z.coerce.number().int().min(1).max(65535);
const bool = z.enum(['true', 'false']).transform((v) => v === 'true');
/** A decimal number within [min, max] (no hex, no Infinity: what `Number()` alone would accept). */
const decimalWithin = (min: number, max: number) =>
  z
    .string()
    .regex(/^\s*[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*$/, `a number from ${min} to ${max}`)
    .transform(Number)
    .refine((n) => n >= min && n <= max, `a number from ${min} to ${max}`);
/** A cosine similarity: what a semantic match scores. */
const cosine = decimalWithin(-1, 1);
/** A weight in reciprocal-rank fusion: 1 dense only, 0 lexical only. */
const fusionWeight = decimalWithin(0, 1);
const ruleSchema = (r: Rule) => z.string().regex(r.pattern, r.expected);

function omitUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

function parseServer(env: Env, local: boolean, problems: Problem[], read: Reader): ServerConfig {
  const apiKeys = parseApiKeys(env[S.apiKeys], problems);
  const reported = problems.some((p) => p.path === S.apiKeys); // e.g. still the placeholder
  if (!local && apiKeys.length === 0 && env[S.apiKeys] === undefined && !reported) {
    // Refuse to serve unauthenticated anywhere but a developer's machine.
    problems.push({ path: S.apiKeys, message: `required outside local development (${S.environment} is "${env[S.environment]}"); set it from Secret Manager` });
  }
  return omitUndefined({
    port: read(S.port, port, DEFAULTS.port)!,
    host: read(S.host, z.string().regex(/^[0-9a-fA-F.:]+$|^localhost$/, 'an IP address to bind'), local ? DEFAULTS.localHost : DEFAULTS.deployedHost)!,
    logLevel: read<LogLevel>(S.logLevel, z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']), DEFAULTS.logLevel)!,
    traceContent: read(S.traceContent, bool, false)!,
    bodyLimitBytes: read(S.bodyLimitBytes, positiveInt(32 * 1024 * 1024), DEFAULTS.bodyLimitBytes)!,
    rateLimitPerMinute: read(S.rateLimitPerMinute, positiveInt(1_000_000), DEFAULTS.rateLimitPerMinute)!,
    // Cloud Run's longest request timeout is 60 minutes: a longer deadline could never fire.
    requestTimeoutMs: read(S.requestTimeoutMs, positiveInt(3_600_000), DEFAULTS.requestTimeoutMs)!,
    // Records hold whole answers: a month is the most a Redis sized for memory should keep.
    idempotencyTtlSeconds: read(S.idempotencyTtlSeconds, positiveInt(30 * 24 * 3600), DEFAULTS.idempotencyTtlSeconds)!,
    teamsDir: read(S.teamsDir, z.string().min(1)),
    apiKeys,
    adminApiKeys: parseAdminApiKeys(env[S.adminApiKeys], apiKeys, problems),
  });
}

/** `name=key,…` → operators' keys; a key that is also a tenant's would act in both scopes: refused. */
function parseAdminApiKeys(raw: string | undefined, tenantKeys: readonly ApiKey[], problems: Problem[]): AdminApiKey[] {
  if (raw === undefined || raw.trim() === '') return [];
  const keys: AdminApiKey[] = [];
  raw
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e.length > 0)
    .forEach((entry, i) => {
      const eq = entry.indexOf('=');
      const at = `${S.adminApiKeys}[${i}]`;
      const name = entry.slice(0, Math.max(eq, 0));
      const key = entry.slice(eq + 1);
      if (eq <= 0 || !TENANT.pattern.test(name)) problems.push({ path: at, message: 'expected name=key, the name letters, digits or . _ : @ - (value not shown)' });
      else if (key.length < MIN_API_KEY_LENGTH || /\s/.test(key)) problems.push({ path: at, message: `(${name}) expected a key of at least ${MIN_API_KEY_LENGTH} characters without spaces (value not shown)` });
      else if (tenantKeys.some((k) => k.key === key)) problems.push({ path: at, message: `(${name}) the key is also in ${S.apiKeys}: an admin key must be its own` });
      else keys.push({ name, key });
    });
  return keys;
}

/** `tenant=key,key2` → keys (a bare key is tenant `default`); never echoes a key in an error. */
function parseApiKeys(raw: string | undefined, problems: Problem[]): ApiKey[] {
  if (raw === undefined) return [];
  const keys: ApiKey[] = [];
  const entries = raw.split(',').map((e) => e.trim()).filter((e) => e.length > 0);
  if (entries.length === 0) problems.push({ path: S.apiKeys, message: 'expected at least one key (it is set but empty)' });
  entries.forEach((entry, i) => {
    const eq = entry.indexOf('=');
    const tenant = eq > 0 ? entry.slice(0, eq) : 'default';
    const key = eq > 0 ? entry.slice(eq + 1) : entry;
    const at = `${S.apiKeys}[${i}]`;
    if (!TENANT.pattern.test(tenant)) problems.push({ path: at, message: 'the tenant before "=" must be letters, digits or . _ : @ -' });
    else if (key.length < MIN_API_KEY_LENGTH || /\s/.test(key)) {
      problems.push({ path: at, message: `(tenant ${tenant}) expected a key of at least ${MIN_API_KEY_LENGTH} characters without spaces (value not shown)` });
    } else keys.push({ tenant, key });
  });
  return keys;
}

/**
 * The embedder and its width. Combinations that cannot work are refused here, naming the variable:
 * a base URL or key without the openai-compatible provider (it would be ignored), an
 * openai-compatible embedder without its URL, model or width (no default fits an unknown server),
 * Vertex AI embeddings without a project and region, a local model other than the one it runs
 * or at another width, and the hashing or local embedder behind a deployed Vector Search index
 * (word hashing has no meaning to search by; the local model is left out of the runtime image).
 * Every other pairing is useful: Vertex AI or a local Ollama embedding for the embedded store,
 * Vertex AI or an OpenAI-compatible model for Vector Search.
 */
function parseEmbedding(env: Env, problems: Problem[], read: Reader, google: GoogleConfig, vectorSearch: boolean): EmbeddingConfig {
  const provider = read<EmbeddingProvider>(S.embeddingProvider, z.enum(EMBEDDING_PROVIDERS, { error: `one of ${EMBEDDING_PROVIDERS.join(', ')}` }));
  const effective = provider ?? defaultEmbeddingProvider(vectorSearch);
  const openai = effective === 'openai-compatible';
  const local = effective === 'local';
  const defaultModel = openai ? undefined : local ? LOCAL_EMBEDDING_MODEL.id : DEFAULT_EMBEDDING_MODEL;
  const model = read(S.embeddingModel, ruleSchema(openai ? OPENAI_MODEL : EMBEDDING_MODEL), defaultModel);
  const dimensions = read(S.vectorDimensions, positiveInt(MAX_EMBEDDING_DIMENSIONS), openai ? undefined : local ? LOCAL_EMBEDDING_MODEL.dimensions : defaultEmbeddingDimensions(model));
  const baseUrl = read(S.embeddingBaseUrl, z.url({ protocol: /^https?$/, error: 'an http:// or https:// URL' }));
  const apiKey = readSecret(env, problems, S.embeddingApiKey, (v) => v.trim().length > 0 && !/\s/.test(v), 'a key without spaces');
  const modelDir = read(S.embeddingModelDir, z.string().regex(/^\S(.*\S)?$/, 'a directory path'));
  const given = (variable: string) => env[variable] !== undefined && env[variable] !== '';
  if (openai) {
    for (const variable of [S.embeddingBaseUrl, S.embeddingModel, S.vectorDimensions]) {
      if (!given(variable)) problems.push({ path: variable, message: `required when ${S.embeddingProvider} is openai-compatible` });
    }
  } else {
    for (const variable of [S.embeddingBaseUrl, S.embeddingApiKey]) {
      if (given(variable)) problems.push({ path: variable, message: `only used when ${S.embeddingProvider} is openai-compatible (it is ${effective}): unset it or set the provider` });
    }
  }
  if (!local && given(S.embeddingModelDir)) {
    problems.push({ path: S.embeddingModelDir, message: `only used when ${S.embeddingProvider} is local (it is ${effective}): unset it or set the provider` });
  }
  if (local && model !== undefined && model !== LOCAL_EMBEDDING_MODEL.id) {
    problems.push({ path: S.embeddingModel, message: `the local embedder runs ${LOCAL_EMBEDDING_MODEL.id} only, got ${JSON.stringify(model)}` });
  }
  if (local && dimensions !== undefined && dimensions !== LOCAL_EMBEDDING_MODEL.dimensions) {
    problems.push({ path: S.vectorDimensions, message: `${LOCAL_EMBEDDING_MODEL.id} gives ${LOCAL_EMBEDDING_MODEL.dimensions} dimensions, got ${dimensions}` });
  }
  if (effective === 'vertex' && !vectorSearch) {
    for (const variable of [S.projectId, S.region] as const) {
      const value = variable === S.projectId ? google.projectId : google.region;
      if (!value) problems.push({ path: variable, message: `required for Vertex AI embeddings (${S.embeddingProvider} is vertex)` });
    }
  }
  if (effective === 'hashing' && vectorSearch) {
    problems.push({ path: S.embeddingProvider, message: `hashing is the embedded store's embedder, with no meaning to search by: with ${S.vectorIndex} set, use vertex or openai-compatible` });
  }
  if (local && vectorSearch) {
    problems.push({ path: S.embeddingProvider, message: `local runs a model inside the runtime for the embedded store (the runtime image leaves it out): with ${S.vectorIndex} set, use vertex or openai-compatible` });
  }
  if (!openai && !local && model !== undefined && dimensions !== undefined) {
    const tooWide = embeddingWidthProblem(model, dimensions);
    if (tooWide) problems.push({ path: S.vectorDimensions, message: tooWide });
  }
  return omitUndefined({ provider, model: model ?? '', dimensions: dimensions ?? 0, baseUrl, apiKey, modelDir });
}

function parseRedis(env: Env, problems: Problem[], read: Reader): RedisConfig | undefined {
  const url = readSecret(env, problems, S.redisUrl, (v) => /^rediss?:\/\/\S+$/.test(v), 'a redis:// or rediss:// URL');
  const host = read(S.redisHost, z.string().regex(/^[A-Za-z0-9.-]+$/, 'a host name or IP address'));
  const redisPort = read(S.redisPort, port, DEFAULTS.redisPort)!;
  const tls = read(S.redisTls, bool, false)!;
  const password = readSecret(env, problems, S.redisPassword, (v) => v.length > 0, 'a non-empty AUTH string');
  const caCert = read(S.redisCaCert, z.string().includes('BEGIN CERTIFICATE', { message: 'a PEM certificate' }));
  if (url && host) problems.push({ path: S.redisUrl, message: `set ${S.redisUrl} or ${S.redisHost}, not both` });
  if (!url && !host) {
    for (const v of [S.redisPassword, S.redisTls, S.redisCaCert, S.redisPort]) {
      if (env[v]) problems.push({ path: v, message: `set without ${S.redisHost} or ${S.redisUrl}` });
    }
    return undefined;
  }
  const common = omitUndefined({ caCert, password });
  if (url) return { url, tls: tls || url.startsWith('rediss://'), ...common };
  return { host: host!, port: redisPort, tls, ...common };
}

function parseMongo(env: Env, problems: Problem[], read: Reader): MongoConfig | undefined {
  const uri = readSecret(env, problems, S.mongoUri, (v) => /^mongodb(\+srv)?:\/\/\S+$/.test(v), 'a mongodb:// or mongodb+srv:// connection string');
  const database = read(S.mongoDatabase, z.string().regex(/^[A-Za-z0-9_-]{1,63}$/, 'a database name'), DEFAULTS.mongoDatabase)!;
  return uri ? { uri, database } : undefined;
}

function parseVectorSearch(env: Env, problems: Problem[], read: Reader): VectorSearchConfig | undefined {
  const own = [S.vectorIndex, S.vectorIndexEndpoint, S.vectorDeployedIndexId, S.vectorQueryHost] as const;
  // The project and region alone (set on every deployment) do not turn Vector Search on.
  if (!own.some((v) => env[v])) return undefined;
  const required = [...own, S.projectId, S.region];
  const missing = required.filter((v) => !env[v]);
  if (missing.length > 0) {
    problems.push({ path: missing[0], message: `long-term memory on Vertex AI needs ${missing.join(', ')} as well (${required.filter((v) => env[v]).join(', ')} set)` });
    return undefined;
  }
  // Indexes are regional: `global` (which Gemini takes) is not a place for one.
  if (!matches(PROJECT_ID, env[S.projectId])) problems.push({ path: S.projectId, message: `expected ${PROJECT_ID.expected}, got "${env[S.projectId]}"` });
  if (!matches(REGION, env[S.region])) problems.push({ path: S.region, message: `expected ${REGION.expected} (Vector Search indexes are regional), got "${env[S.region]}"` });
  const queryHost = read(S.vectorQueryHost, ruleSchema(HOST_PORT))!;
  const access = read<VectorQueryAccess>(S.vectorQueryAccess, z.enum(VECTOR_QUERY_ACCESS));
  if (queryHost !== undefined) problems.push(...queryAccessProblems(queryHost, access, env[S.vectorQueryAccess]));
  return omitUndefined({
    indexName: read(S.vectorIndex, ruleSchema(vertexResourceName('indexes')))!,
    indexEndpointName: read(S.vectorIndexEndpoint, ruleSchema(vertexResourceName('indexEndpoints')))!,
    deployedIndexId: read(S.vectorDeployedIndexId, ruleSchema(DEPLOYED_INDEX_ID))!,
    queryHost,
    access,
  });
}

/**
 * The two mix-ups that reach production silently otherwise: a private address spoken to with the
 * public protocol (the default), and a public domain spoken to with the private one.
 */
function queryAccessProblems(queryHost: string, access: VectorQueryAccess | undefined, raw: string | undefined): Problem[] {
  const host = queryHost.replace(/:\d+$/, '');
  if (access === undefined && !raw && /^\d{1,3}(\.\d{1,3}){3}$/.test(host)) {
    return [{
      path: S.vectorQueryAccess,
      message: `required when ${S.vectorQueryHost} is an IP address ("${queryHost}"): "private" for a Private Service Connect or private services access endpoint (plaintext gRPC on port 10000), "public" only for an address that serves the public FindNeighbors over TLS`,
    }];
  }
  if (access === 'private' && /\.vdb\.vertexai\.goog$/.test(host)) {
    return [{ path: S.vectorQueryAccess, message: `"private" with the public endpoint domain "${queryHost}" in ${S.vectorQueryHost}: a public endpoint serves only "public" (TLS, FindNeighbors)` }];
  }
  return [];
}
