// The layered memory's public API (`@orchestra/runtime/memory`): the layer contracts, the manager,
// the embedded and production stores, and `createMemory`, which picks them from the settings.
// Google's client modules load only when a Vertex AI store first connects.
export * from './types';
export * from './errors';
export * from './manager';
export { scopedId, decodeScopedId, ofTenant, TenantScopeError } from './tenancy';
export { createMemory, type CreateMemoryOptions } from './create-memory';
export { RECONNECT_DEFAULTS, type ReconnectOptions } from './reconnect';
export { EmbeddedShortTermStore, type EmbeddedShortTermOptions } from './short-term/embedded-short-term';
export { RedisShortTermStore, type RedisShortTermOptions } from './short-term/redis-short-term';
export { EmbeddedMidTermStore } from './mid-term/embedded-mid-term';
export { MongoMidTermStore, type MongoMidTermOptions } from './mid-term/mongo-mid-term';
export { EmbeddedLongTermStore, type EmbeddedLongTermOptions } from './long-term/embedded-long-term';
export { DEFAULT_HYBRID_ALPHA } from './long-term/fusion';
export { HASHING_HYBRID_ALPHA } from './long-term/hashing-embedder';
export { LOCAL_HYBRID_ALPHA, LocalEmbedder, type LocalEmbedderOptions } from './long-term/local-embedder';
export { BGE_SMALL_EN_V15, type LocalModelSpec, defaultModelDirectory, ensureLocalModel } from './long-term/local-model';
export type { VectorPrecision } from './long-term/vector-table';
export { HashingEmbedder } from './long-term/hashing-embedder';
export { OpenAIEmbedder, type OpenAIEmbedderOptions, OPENAI_MAX_INPUTS_PER_REQUEST } from './long-term/openai-embedder';
export { VertexEmbedder, type VertexEmbedderOptions } from './long-term/vertex-embedder';
export { VertexLongTermStore, type VertexLongTermOptions, TENANT_NAMESPACE, CONVERSATION_NAMESPACE } from './long-term/vertex-long-term';
export { VertexCredentialsError } from '../google/client';
