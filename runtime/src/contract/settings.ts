/**
 * The names of the runtime's settings: the environment variables the runtime reads at start and
 * the infrastructure renders (`renderRuntimeSettings`), so renaming one here renames it on both
 * sides.
 */
export const RuntimeSettings = {
  /** Deployment environment name (`dev`, `staging`, `prod`); `local` when unset. */
  environment: 'ORCHESTRA_ENV',
  /** Google Cloud project that hosts the backends. */
  projectId: 'GOOGLE_CLOUD_PROJECT',
  /** Region of the regional APIs (Vertex AI, Memorystore). */
  region: 'ORCHESTRA_REGION',

  /** Prefix of every key, collection and restrict the memory writes (default `orchestra`). */
  memoryNamespace: 'ORCHESTRA_MEMORY_NAMESPACE',
  /** Seconds a short-term item lives (default 3600). */
  shortTermTtlSeconds: 'ORCHESTRA_SHORT_TERM_TTL_SECONDS',
  /** Turns kept per conversation in short-term memory (default 20). */
  recentMessages: 'ORCHESTRA_RECENT_MESSAGES',
  /** Days a MEDIUM item lives in mid-term memory (default 30; HIGH items are kept). */
  midTermTtlDays: 'ORCHESTRA_MID_TERM_TTL_DAYS',
  /** Per-layer time budget of a context retrieval, in milliseconds (default 1500). */
  layerTimeoutMs: 'ORCHESTRA_LAYER_TIMEOUT_MS',
  /**
   * Cosine similarity a semantic match must score above, from -1 to 1, when only the dense signal
   * found it: a match that also shares words with the query (hybrid search's lexical signal) is
   * kept whatever its cosine, since rare words (codes, names, numbers) are where embeddings score
   * low. Default: the embedder's own cutoff. The embedded hashing embedder's is 0.1, measured
   * (`npm run bench:min-score`, BENCHMARKS.md); Vertex AI's models have none, since Google
   * documents no score below which their vectors are unrelated: matches are ranked, not cut, until
   * this is set from the deployment's own data.
   */
  semanticMinScore: 'ORCHESTRA_SEMANTIC_MIN_SCORE',
  /**
   * Weight of dense (embedding) similarity against lexical (BM25 / sparse) matching in long-term
   * memory's hybrid search, from 0 (lexical only) to 1 (dense only), fused by reciprocal rank.
   * Default: the long-term store's own, hybrid (0.3 for the embedded store, chosen on
   * `bench/hybrid-alpha.ts`; BENCHMARKS.md).
   */
  hybridAlpha: 'ORCHESTRA_HYBRID_ALPHA',

  /** Short-term memory: Memorystore for Redis, by host (as deployed) or by URL (local). */
  redisUrl: 'ORCHESTRA_REDIS_URL',
  redisHost: 'ORCHESTRA_REDIS_HOST',
  redisPort: 'ORCHESTRA_REDIS_PORT',
  /** AUTH string, from Secret Manager. */
  redisPassword: 'ORCHESTRA_REDIS_PASSWORD',
  /** `true` when the server requires in-transit encryption. */
  redisTls: 'ORCHESTRA_REDIS_TLS',
  /** PEM of the server's CA, to verify Memorystore's TLS certificate. */
  redisCaCert: 'ORCHESTRA_REDIS_CA_CERT',

  /** Mid-term memory: a MongoDB connection string (Firestore with MongoDB compatibility or external). */
  mongoUri: 'ORCHESTRA_MONGODB_URI',
  mongoDatabase: 'ORCHESTRA_MONGODB_DATABASE',

  /** Long-term memory: Vertex AI Vector Search. */
  vectorIndex: 'ORCHESTRA_VECTOR_INDEX',
  vectorIndexEndpoint: 'ORCHESTRA_VECTOR_INDEX_ENDPOINT',
  vectorDeployedIndexId: 'ORCHESTRA_VECTOR_DEPLOYED_INDEX_ID',
  /** Host that serves queries: the endpoint's public domain, or its PSC / private services access address. */
  vectorQueryHost: 'ORCHESTRA_VECTOR_QUERY_HOST',
  /**
   * How queries reach the deployed index: `public` (the public domain, TLS on 443, FindNeighbors)
   * or `private` (the PSC / private services access IP, plaintext on 10000, the container
   * MatchService). Unset means `public`, which an IP address as the query host may not leave unset.
   */
  vectorQueryAccess: 'ORCHESTRA_VECTOR_QUERY_ACCESS',
  /**
   * What turns text into vectors: `local` (a small sentence-embedding model run in process,
   * bge-small-en-v1.5, downloaded once from Maven Central), `hashing` (feature hashing of words, no
   * model, no meaning), `vertex` (a Vertex AI publisher model, RETRIEVAL_DOCUMENT / RETRIEVAL_QUERY
   * task types) or `openai-compatible` (`POST {base URL}/embeddings`: OpenAI, LiteLLM, Ollama,
   * vLLM…). Default: `vertex` with Vector Search, else `local`.
   */
  embeddingProvider: 'ORCHESTRA_EMBEDDING_PROVIDER',
  /** Base URL up to `/v1` of the openai-compatible embedder (e.g. Ollama's `http://127.0.0.1:11434/v1`); required for it, refused otherwise. */
  embeddingBaseUrl: 'ORCHESTRA_EMBEDDING_BASE_URL',
  /** Bearer key of the openai-compatible embedder, from Secret Manager; optional (a keyless local server). */
  embeddingApiKey: 'ORCHESTRA_EMBEDDING_API_KEY',
  /** The embedding model: a Vertex AI model id (default `text-embedding-005`), the openai-compatible server's model (required for it), or the local one (`bge-small-en-v1.5`, the only one). */
  embeddingModel: 'ORCHESTRA_EMBEDDING_MODEL',
  /** Directory of the `local` embedder's model files (default `~/.cache/orchestra/models`); the files are downloaded there when missing. */
  embeddingModelDir: 'ORCHESTRA_EMBEDDING_MODEL_DIR',
  /** Embedding width: the vector index's (default: the embedding model's own, 768 for text-embedding-005, 384 for the local model). */
  vectorDimensions: 'ORCHESTRA_VECTOR_DIMENSIONS',
  /** Host of the regional Vertex AI API (default `<region>-aiplatform.googleapis.com`). */
  vertexApiHost: 'ORCHESTRA_VERTEX_API_HOST',

  /**
   * API keys accepted on `/v1` routes, from Secret Manager: comma-separated, each `tenant=key` or
   * a bare key (tenant `default`). Required outside local development.
   */
  apiKeys: 'ORCHESTRA_API_KEYS',
  /**
   * Operators' keys for `/v1/admin` (tenant purge), from Secret Manager: comma-separated
   * `name=key`, none shared with ORCHESTRA_API_KEYS. Optional: unset, or the secret still holding
   * the stack's placeholder, means no admin routes outside local development.
   */
  adminApiKeys: 'ORCHESTRA_ADMIN_API_KEYS',

  /** Port to listen on; Cloud Run sets it (default 8080). */
  port: 'PORT',
  /** Address to bind (default 127.0.0.1 locally, 0.0.0.0 elsewhere). */
  host: 'ORCHESTRA_HOST',
  /** pino level (default info). */
  logLevel: 'ORCHESTRA_LOG_LEVEL',
  /**
   * `true` records message content (prompts, replies, tool arguments and results) in trace spans
   * (`gen_ai.input.messages`…); default false: spans carry names, models, token counts only.
   */
  traceContent: 'ORCHESTRA_TRACE_CONTENT',
  /** Largest request body in bytes (default 1 MiB). */
  bodyLimitBytes: 'ORCHESTRA_BODY_LIMIT_BYTES',
  /** Requests per minute per API key (or per client address without auth); default 600. */
  rateLimitPerMinute: 'ORCHESTRA_RATE_LIMIT_PER_MINUTE',
  /**
   * Milliseconds a message may take, model calls, retries and memory included, before it is
   * answered 504 (default 240000): keep it below the platform's request timeout (Cloud Run's, 300 s
   * as `RuntimeService` deploys it), or the platform answers first, outside the error shape.
   */
  requestTimeoutMs: 'ORCHESTRA_REQUEST_TIMEOUT_MS',
  /**
   * Seconds the answer to a request with an `Idempotency-Key` is kept for its retries (default
   * 86400, a day). Kept in Redis when short-term memory is, else in the process.
   */
  idempotencyTtlSeconds: 'ORCHESTRA_IDEMPOTENCY_TTL_SECONDS',
  /** Directory of team configs, *.yaml / *.json (default: the teams shipped with the runtime). */
  teamsDir: 'ORCHESTRA_TEAMS_DIR',
  /** LLM deployments, fallbacks and limits: inline JSON or a path to a JSON/YAML file (default: offline). */
  llmConfig: 'ORCHESTRA_LLM_CONFIG',
} as const;

export type RuntimeSettingName = (typeof RuntimeSettings)[keyof typeof RuntimeSettings];

/** The variable carrying the API key of the LLM provider called `provider` (e.g. `openai`, `my-proxy`). */
export function llmApiKeySetting(provider: string): string {
  return `ORCHESTRA_LLM_${provider.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_API_KEY`;
}

const LLM_API_KEY_SETTING = /^ORCHESTRA_LLM_([A-Z][A-Z0-9_]*)_API_KEY$/;

/** The provider whose key `variable` carries (`ORCHESTRA_LLM_MY_PROXY_API_KEY` → `my-proxy`), or undefined. */
export function llmProviderOfSetting(variable: string): string | undefined {
  const match = LLM_API_KEY_SETTING.exec(variable);
  return match ? match[1].toLowerCase().replace(/_/g, '-') : undefined;
}
