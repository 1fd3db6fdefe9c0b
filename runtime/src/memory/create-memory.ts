import type { MemoryConfig, VertexConfig } from '../config/runtime-config';
import type { LongTermStore } from './types';
import { EmbeddedLongTermStore } from './long-term/embedded-long-term';
import { HashingEmbedder } from './long-term/hashing-embedder';
import { LayeredMemoryManager, MemoryManagerOptions } from './manager';
import { EmbeddedMidTermStore } from './mid-term/embedded-mid-term';
import { MongoMidTermStore } from './mid-term/mongo-mid-term';
import { EmbeddedShortTermStore } from './short-term/embedded-short-term';
import { RedisShortTermStore } from './short-term/redis-short-term';

/**
 * Vertex AI only when configured, and connected on first use (or `warmUp()`): the Google client
 * modules are not even loaded by a service that does not use them, or has not used them yet.
 */
function vertexStore(config: VertexConfig): LongTermStore {
  const { VertexLongTermStore } = require('./long-term/vertex-long-term') as typeof import('./long-term/vertex-long-term');
  return new VertexLongTermStore({ ...config, lazy: true });
}

/**
 * Builds the memory the configuration asks for, each layer on its own: a layer with backend
 * settings gets the real client, one without runs embedded in process. Call `init()` on the
 * result before use.
 */
export function createMemory(config: MemoryConfig, options: Pick<MemoryManagerOptions, 'logger' | 'clock'> = {}): LayeredMemoryManager {
  const shortTerm = config.redis
    ? new RedisShortTermStore({ ...config.redis, prefix: config.namespace, ttlSeconds: config.shortTermTtlSeconds })
    : new EmbeddedShortTermStore({ ttlSeconds: config.shortTermTtlSeconds });
  const midTerm = config.mongo
    ? new MongoMidTermStore({ uri: config.mongo.uri, database: config.mongo.database, collectionPrefix: config.namespace })
    : new EmbeddedMidTermStore();
  const longTerm = config.vertex ? vertexStore(config.vertex) : new EmbeddedLongTermStore({ embedder: new HashingEmbedder(768) });
  return new LayeredMemoryManager(
    { shortTerm, midTerm, longTerm },
    {
      recentMessages: config.recentMessages,
      shortTermTtlSeconds: config.shortTermTtlSeconds,
      midTermTtlDays: config.midTermTtlDays,
      layerTimeoutMs: config.layerTimeoutMs,
      ...options,
    },
  );
}
