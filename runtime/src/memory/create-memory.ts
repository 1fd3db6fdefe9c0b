import { type GoogleConfig, type MemoryConfig, type VectorSearchConfig, defaultEmbeddingProvider } from '../contract';
import { MemoryOptionsError } from './errors';
import type { Embedder, LongTermStore } from './types';
import { EmbeddedLongTermStore } from './long-term/embedded-long-term';
import { HashingEmbedder } from './long-term/hashing-embedder';
import { LayeredMemoryManager, MemoryManagerOptions } from './manager';
import { EmbeddedMidTermStore } from './mid-term/embedded-mid-term';
import { MongoMidTermStore } from './mid-term/mongo-mid-term';
import type { ReconnectOptions } from './reconnect';
import { redisConnectionOptions } from './redis-connection';
import { EmbeddedShortTermStore } from './short-term/embedded-short-term';
import { RedisShortTermStore } from './short-term/redis-short-term';

/**
 * Vertex AI only when configured, and connected on first use (or `warmUp()`): the Google client
 * modules are not even loaded by a service that does not use them, or has not used them yet.
 */
function vertexStore(vectorSearch: VectorSearchConfig, config: MemoryConfig, google: GoogleConfig, embedder: Embedder | undefined): LongTermStore {
  const { VertexLongTermStore } = require('./long-term/vertex-long-term') as typeof import('./long-term/vertex-long-term');
  const { projectId, region, vertexApiHost } = google;
  // The parser refuses Vector Search settings without a project and a region; a hand-built config may not.
  if (!projectId || !region) throw new Error('long-term memory on Vertex AI needs google.projectId and google.region');
  return new VertexLongTermStore({
    ...vectorSearch,
    project: projectId,
    region,
    apiHost: vertexApiHost,
    embeddingModel: config.embedding.model,
    dimensions: config.embedding.dimensions,
    // Undefined: the store's own Vertex AI embedder, sharing its credentials.
    ...(embedder ? { embedder } : {}),
    lazy: true,
  });
}

/**
 * The embedder `config.embedding` names, or undefined for the Vector Search store's own Vertex AI
 * one. The provider left unset is `vertex` with Vector Search and `local` without, as the
 * contract's parser reads it.
 */
function embedderOf(config: MemoryConfig, google: GoogleConfig, logger: CreateMemoryOptions['logger']): Embedder | undefined {
  const { provider = defaultEmbeddingProvider(config.vectorSearch !== undefined), model, dimensions, baseUrl, apiKey, modelDir } = config.embedding;
  switch (provider) {
    case 'local': {
      const { LocalEmbedder } = require('./long-term/local-embedder') as typeof import('./long-term/local-embedder');
      const embedder = new LocalEmbedder({
        ...(modelDir ? { directory: modelDir } : {}),
        onDownload: (url) => logger?.warn({ url }, `downloading the local embedding model ${model} once (34 MB), into ${modelDir ?? 'the user cache'}`),
      });
      if (embedder.dimensions !== dimensions) throw new MemoryOptionsError('createMemory', [{ path: 'embedding.dimensions', message: `${embedder.model} gives ${embedder.dimensions} dimensions, got ${dimensions}` }]);
      return embedder;
    }
    case 'hashing':
      return new HashingEmbedder(dimensions);
    case 'openai-compatible': {
      // Loaded only when used, like the Google clients: the SDK is not free to load at a cold start.
      const { OpenAIEmbedder } = require('./long-term/openai-embedder') as typeof import('./long-term/openai-embedder');
      if (!baseUrl) throw new MemoryOptionsError('createMemory', [{ path: 'embedding.baseUrl', message: 'required for the openai-compatible embedder' }]);
      return new OpenAIEmbedder({ baseUrl, model, dimensions, apiKey });
    }
    case 'vertex': {
      if (config.vectorSearch) return undefined;
      const { VertexEmbedder } = require('./long-term/vertex-embedder') as typeof import('./long-term/vertex-embedder');
      const { projectId, region, vertexApiHost } = google;
      if (!projectId || !region) throw new MemoryOptionsError('createMemory', [{ path: 'google', message: 'Vertex AI embeddings need google.projectId and google.region' }]);
      return new VertexEmbedder({ project: projectId, region, apiHost: vertexApiHost, model, dimensions });
    }
  }
}

export interface CreateMemoryOptions extends Pick<MemoryManagerOptions, 'logger' | 'clock'> {
  /** Backoff of the Redis and MongoDB clients while their server is unreachable. @default RECONNECT_DEFAULTS */
  readonly reconnect?: ReconnectOptions;
}

/**
 * Builds the memory the configuration asks for, each layer on its own: a layer with backend
 * settings gets the real client, one without runs embedded in process. Call `init()` on the
 * result before use. Settings a client cannot be built from throw `MemoryOptionsError` here.
 */
export function createMemory(config: MemoryConfig, google: GoogleConfig = {}, options: CreateMemoryOptions = {}): LayeredMemoryManager {
  const { redis, mongo, vectorSearch } = config;
  const { reconnect, ...managerOptions } = options;
  const shortTerm = redis
    ? new RedisShortTermStore({
        ...redisConnectionOptions(redis),
        prefix: config.namespace,
        ttlSeconds: config.shortTermTtlSeconds,
        reconnect,
        logger: options.logger,
      })
    : new EmbeddedShortTermStore({ ttlSeconds: config.shortTermTtlSeconds });
  const midTerm = mongo
    ? new MongoMidTermStore({ uri: mongo.uri, database: mongo.database, collectionPrefix: config.namespace, logger: options.logger, reconnect })
    : new EmbeddedMidTermStore();
  // The embedded store embeds as wide as the configured model would, so switching to Vertex AI keeps every width the same.
  const embedder = embedderOf(config, google, options.logger);
  const longTerm = vectorSearch ? vertexStore(vectorSearch, config, google, embedder) : new EmbeddedLongTermStore({ embedder: embedder ?? new HashingEmbedder(config.embedding.dimensions) });
  return new LayeredMemoryManager(
    { shortTerm, midTerm, longTerm },
    {
      recentMessages: config.recentMessages,
      shortTermTtlSeconds: config.shortTermTtlSeconds,
      midTermTtlDays: config.midTermTtlDays,
      layerTimeoutMs: config.layerTimeoutMs,
      // Unset: the long-term store decides (its embedder's cutoff, its own fusion weight).
      ...(config.semanticMinScore === undefined ? {} : { semanticMinScore: config.semanticMinScore }),
      ...(config.hybridAlpha === undefined ? {} : { hybridAlpha: config.hybridAlpha }),
      ...managerOptions,
    },
  );
}
