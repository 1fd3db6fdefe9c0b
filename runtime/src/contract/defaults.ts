/**
 * Defaults shared by the runtime and the infrastructure that deploys it, each written once: the
 * runtime falls back to them when a setting is unset, the constructs size resources by them (the
 * vector index's width is the embedding model's), and the settings a deployment does not set are
 * left to them rather than copied into its configuration.
 */

/** ORCHESTRA_ENV when unset: a developer's machine (no auth required, binds 127.0.0.1). */
export const LOCAL_ENVIRONMENT = 'local';

export const DEFAULTS = Object.freeze({
  /** Prefix of every key, collection and restrict the memory writes. */
  memoryNamespace: 'orchestra',
  /** Seconds a short-term item lives. */
  shortTermTtlSeconds: 3600,
  /** Turns kept per conversation in short-term memory. */
  recentMessages: 20,
  /** Days a MEDIUM item lives in mid-term memory (HIGH items are kept until forgotten). */
  midTermTtlDays: 30,
  /** Per-layer time budget of a context retrieval. */
  layerTimeoutMs: 1500,
  mongoDatabase: 'orchestra',
  /** Redis without TLS; Memorystore serves in-transit encryption on 6378. */
  redisPort: 6379,
  /** The port Cloud Run sends traffic to (it sets PORT to it). */
  port: 8080,
  /** Bind address locally: nothing else on the network reaches a development server. */
  localHost: '127.0.0.1',
  /** Bind address when deployed (a container's network is its own). */
  deployedHost: '0.0.0.0',
  logLevel: 'info',
  bodyLimitBytes: 1024 * 1024,
  rateLimitPerMinute: 600,
  /**
   * One request's deadline: a minute under Cloud Run's 300 s request timeout (`RuntimeService`'s
   * default), so the runtime answers 504 in its error shape, with the trace, before Cloud Run cuts
   * the connection with its own bare 504. Lower it with that timeout.
   */
  requestTimeoutMs: 240_000,
  /** How long the answer to a request with an `Idempotency-Key` is replayed to its retries: a day, as Stripe keeps keys. */
  idempotencyTtlSeconds: 24 * 3600,
} as const);

export interface EmbeddingModel {
  /**
   * The width of the model's vectors, and the widest it gives: a narrower index asks for its own
   * width (`outputDimensionality`), a wider one cannot be filled.
   */
  readonly dimensions: number;
}

/**
 * Vertex AI text embedding models by id (Google's "Get text embeddings" page: gemini-embedding-001
 * gives 3072-d vectors and can be reduced; the text-embedding-00x and multilingual models 768).
 * A model not listed here is accepted, at any width; left unset, its width is the default model's.
 */
export const EMBEDDING_MODELS: Readonly<Record<string, EmbeddingModel>> = Object.freeze({
  'text-embedding-005': { dimensions: 768 },
  'text-embedding-004': { dimensions: 768 },
  'text-multilingual-embedding-002': { dimensions: 768 },
  'gemini-embedding-001': { dimensions: 3072 },
});

/**
 * The model the `local` embedder runs in process (its files and how to run it:
 * memory/long-term/local-model.ts). Its width is fixed: it cannot give fewer dimensions, nor more.
 */
export const LOCAL_EMBEDDING_MODEL = Object.freeze({ id: 'bge-small-en-v1.5', dimensions: 384 });

/** The model long-term memory embeds with, and so the vector index's width, unless configured. */
export const DEFAULT_EMBEDDING_MODEL = 'text-embedding-005';

/** The width of `model`'s vectors: its own for a known model, else the default model's. */
export function defaultEmbeddingDimensions(model: string = DEFAULT_EMBEDDING_MODEL): number {
  return (EMBEDDING_MODELS[model] ?? EMBEDDING_MODELS[DEFAULT_EMBEDDING_MODEL]).dimensions;
}

/**
 * Why an index of `dimensions` cannot hold `model`'s vectors (wider than the model gives), or
 * undefined when it can: checked by the environment schema, the index construct and the runtime.
 */
export function embeddingWidthProblem(model: string, dimensions: number): string | undefined {
  const widest = EMBEDDING_MODELS[model]?.dimensions;
  return widest !== undefined && dimensions > widest ? `${model} gives at most ${widest} dimensions, got ${dimensions}` : undefined;
}

/** API keys shorter than this are refused: guessable keys are no auth. */
export const MIN_API_KEY_LENGTH = 16;
