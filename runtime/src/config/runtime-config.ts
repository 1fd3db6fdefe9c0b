import { z } from 'zod';
import type { VertexLongTermOptions } from '../memory/long-term/vertex-long-term';
import { RuntimeSettings as S } from './settings';

/** Settings that failed to parse; the message names every variable and what it expects. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid runtime configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export interface RedisConfig {
  /** `redis://…` or `rediss://…`, or built from host and port. */
  readonly url: string;
  readonly password?: string;
  readonly tls: boolean;
  /** PEM of the CA to trust for TLS (Memorystore's own CA). */
  readonly caCert?: string;
}

export interface MongoConfig {
  readonly uri: string;
  readonly database: string;
}

/** What the Vertex AI long-term store needs, every field resolved (its options say what each is). */
export type VertexConfig = Required<
  Pick<VertexLongTermOptions, 'project' | 'region' | 'indexName' | 'indexEndpointName' | 'deployedIndexId' | 'queryHost' | 'apiHost' | 'embeddingModel' | 'dimensions'>
>;

/** The memory's settings. A layer without backend settings runs embedded, in process. */
export interface MemoryConfig {
  readonly namespace: string;
  readonly shortTermTtlSeconds: number;
  readonly recentMessages: number;
  readonly midTermTtlDays: number;
  readonly layerTimeoutMs: number;
  readonly redis?: RedisConfig;
  readonly mongo?: MongoConfig;
  readonly vertex?: VertexConfig;
}

export interface ApiKey {
  /** Whose key it is: memory searches of its requests see only this tenant's items. */
  readonly tenant: string;
  readonly key: string;
}

export interface ServerConfig {
  readonly port: number;
  readonly host: string;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  readonly bodyLimitBytes: number;
  readonly rateLimitPerMinute: number;
  /** @default - the teams shipped with the runtime */
  readonly teamsDir?: string;
  /** Empty only in local development, where auth is then off. */
  readonly apiKeys: readonly ApiKey[];
}

export interface RuntimeConfig {
  /** `local` when unset: local development (no auth required, binds 127.0.0.1). */
  readonly environment: string;
  readonly local: boolean;
  readonly memory: MemoryConfig;
  readonly server: ServerConfig;
}

/** Keys shorter than this are refused: guessable keys are no auth. */
export const MIN_API_KEY_LENGTH = 16;

type Env = Readonly<Record<string, string | undefined>>;

const positiveInt = (max: number) => z.coerce.number().int().min(1).max(max);
const name = z.string().regex(/^[A-Za-z0-9_-]{1,40}$/, 'letters, digits, _ or -, at most 40');
const resourceName = (kind: string) =>
  z.string().regex(new RegExp(`^projects/[^/]+/locations/[^/]+/${kind}/[^/]+$`), `a resource name projects/…/locations/…/${kind}/…`);
const bool = z.enum(['true', 'false']).transform((v) => v === 'true');

/**
 * Reads the runtime's settings from `env` (normally `process.env`). Every problem is collected
 * and reported at once; nothing starts on a bad configuration.
 */
export function parseRuntimeConfig(env: Env): RuntimeConfig {
  const problems: string[] = [];
  const read = <T>(variable: string, schema: z.ZodType<T>, fallback?: T): T | undefined => {
    const raw = env[variable];
    if (raw === undefined || raw === '') return fallback;
    const result = schema.safeParse(raw);
    if (result.success) return result.data;
    problems.push(`${variable}: expected ${result.error.issues.map((i) => i.message).join('; ')}, got "${raw.length > 60 ? `${raw.slice(0, 60)}…` : raw}"`);
    return undefined;
  };
  // For values that may carry credentials (passwords, connection strings): never echoed back.
  const secretSafe = (variable: string, schema: z.ZodType<string>, expected: string): string | undefined => {
    const raw = env[variable];
    if (raw === undefined || raw === '') return undefined;
    if (schema.safeParse(raw).success) return raw;
    problems.push(`${variable}: expected ${expected} (value not shown)`);
    return undefined;
  };

  const memory: MemoryConfig = {
    namespace: read(S.memoryNamespace, name, 'orchestra')!,
    shortTermTtlSeconds: read(S.shortTermTtlSeconds, positiveInt(30 * 24 * 3600), 3600)!,
    recentMessages: read(S.recentMessages, positiveInt(1000), 20)!,
    midTermTtlDays: read(S.midTermTtlDays, positiveInt(3650), 30)!,
    layerTimeoutMs: read(S.layerTimeoutMs, positiveInt(60_000), 1500)!,
    redis: parseRedis(env, problems, read, secretSafe),
    mongo: parseMongo(read, secretSafe),
    vertex: parseVertex(env, problems, read),
  };
  const environment = read(S.environment, z.string().regex(/^[a-z][a-z0-9-]{0,19}$/, 'a lowercase environment name'), 'local')!;
  const local = environment === 'local';
  const server = parseServer(env, local, problems, read);
  if (problems.length > 0) throw new ConfigError(problems);
  return { environment, local, memory, server };
}

function parseServer(env: Env, local: boolean, problems: string[], read: Reader): ServerConfig {
  const apiKeys = parseApiKeys(env[S.apiKeys], problems);
  if (!local && apiKeys.length === 0 && env[S.apiKeys] === undefined) {
    // Refuse to serve unauthenticated anywhere but a developer's machine.
    problems.push(`${S.apiKeys}: required outside local development (${S.environment} is "${env[S.environment]}"); set it from Secret Manager`);
  }
  return {
    port: read(S.port, z.coerce.number().int().min(1).max(65535), 8080)!,
    host: read(S.host, z.string().regex(/^[0-9a-fA-F.:]+$|^localhost$/, 'an IP address to bind'), local ? '127.0.0.1' : '0.0.0.0')!,
    logLevel: read(S.logLevel, z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']), 'info')!,
    bodyLimitBytes: read(S.bodyLimitBytes, positiveInt(32 * 1024 * 1024), 1024 * 1024)!,
    rateLimitPerMinute: read(S.rateLimitPerMinute, positiveInt(1_000_000), 600)!,
    teamsDir: read(S.teamsDir, z.string().min(1)),
    apiKeys,
  };
}

/** `tenant=key,key2` → keys; never echoes a key in an error. */
function parseApiKeys(raw: string | undefined, problems: string[]): ApiKey[] {
  if (raw === undefined) return [];
  const keys: ApiKey[] = [];
  const entries = raw.split(',').map((e) => e.trim()).filter((e) => e.length > 0);
  if (entries.length === 0) problems.push(`${S.apiKeys}: expected at least one key (it is set but empty)`);
  entries.forEach((entry, i) => {
    const eq = entry.indexOf('=');
    const tenant = eq > 0 ? entry.slice(0, eq) : 'default';
    const key = eq > 0 ? entry.slice(eq + 1) : entry;
    if (!/^[A-Za-z0-9][A-Za-z0-9._:@-]{0,63}$/.test(tenant)) problems.push(`${S.apiKeys}[${i}]: the tenant before "=" must be letters, digits or . _ : @ -`);
    else if (key.length < MIN_API_KEY_LENGTH || /\s/.test(key)) problems.push(`${S.apiKeys}[${i}] (tenant ${tenant}): expected a key of at least ${MIN_API_KEY_LENGTH} characters without spaces (value not shown)`);
    else keys.push({ tenant, key });
  });
  return keys;
}

type Reader = <T>(variable: string, schema: z.ZodType<T>, fallback?: T) => T | undefined;
type SecretReader = (variable: string, schema: z.ZodType<string>, expected: string) => string | undefined;

function parseRedis(env: Env, problems: string[], read: Reader, secret: SecretReader): RedisConfig | undefined {
  const url = secret(S.redisUrl, z.string().regex(/^rediss?:\/\/\S+$/), 'a redis:// or rediss:// URL');
  const host = read(S.redisHost, z.string().regex(/^[A-Za-z0-9.-]+$/, 'a host name or IP address'));
  const port = read(S.redisPort, z.coerce.number().int().min(1).max(65535), 6379)!;
  const tls = read(S.redisTls, bool, false)!;
  const password = secret(S.redisPassword, z.string().min(1), 'a non-empty AUTH string');
  const caCert = read(S.redisCaCert, z.string().includes('BEGIN CERTIFICATE', { message: 'a PEM certificate' }));
  if (url && host) problems.push(`${S.redisUrl} and ${S.redisHost}: set one, not both`);
  if (!url && !host) {
    for (const v of [S.redisPassword, S.redisTls, S.redisCaCert]) {
      if (env[v]) problems.push(`${v}: set without ${S.redisHost} or ${S.redisUrl}`);
    }
    return undefined;
  }
  return {
    url: url ?? `${tls ? 'rediss' : 'redis'}://${host}:${port}`,
    password,
    tls: tls || (url?.startsWith('rediss://') ?? false),
    caCert,
  };
}

function parseMongo(read: Reader, secret: SecretReader): MongoConfig | undefined {
  const uri = secret(S.mongoUri, z.string().regex(/^mongodb(\+srv)?:\/\/\S+$/), 'a mongodb:// or mongodb+srv:// connection string');
  const database = read(S.mongoDatabase, z.string().regex(/^[A-Za-z0-9_-]{1,63}$/, 'a database name'), 'orchestra')!;
  return uri ? { uri, database } : undefined;
}

function parseVertex(env: Env, problems: string[], read: Reader): VertexConfig | undefined {
  const required = [S.vectorIndex, S.vectorIndexEndpoint, S.vectorDeployedIndexId, S.vectorQueryHost, S.projectId, S.region] as const;
  const present = required.filter((v) => env[v]);
  // The project and region alone (set on every deployment) do not turn Vertex on.
  if (!present.some((v) => v.startsWith('ORCHESTRA_VECTOR'))) return undefined;
  const missing = required.filter((v) => !env[v]);
  if (missing.length > 0) {
    problems.push(`long-term memory on Vertex AI needs ${missing.join(', ')} as well (${present.join(', ')} set)`);
    return undefined;
  }
  const region = read(S.region, z.string().regex(/^[a-z]+-[a-z]+\d+$/, 'a region such as us-central1'))!;
  return {
    project: read(S.projectId, z.string().regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, 'a project id'))!,
    region,
    indexName: read(S.vectorIndex, resourceName('indexes'))!,
    indexEndpointName: read(S.vectorIndexEndpoint, resourceName('indexEndpoints'))!,
    deployedIndexId: read(S.vectorDeployedIndexId, z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,127}$/, 'a deployed index id'))!,
    queryHost: read(S.vectorQueryHost, z.string().regex(/^[A-Za-z0-9.-]+(:\d{1,5})?$/, 'a host or host:port'))!,
    apiHost: read(S.vertexApiHost, z.string().regex(/^[A-Za-z0-9.-]+(:\d{1,5})?$/, 'a host or host:port'), `${region}-aiplatform.googleapis.com`)!,
    embeddingModel: read(S.embeddingModel, z.string().regex(/^[a-z0-9.-]+$/, 'a model id such as text-embedding-005'), 'text-embedding-005')!,
    dimensions: read(S.vectorDimensions, positiveInt(4096), 768)!,
  };
}
