// The HTTP service's public API (`@orchestra/runtime/server`): build the whole service from its
// settings, or the fastify app from parts you built yourself.
export { createService, BUNDLED_TEAMS_DIR, type Service, type ServiceOptions } from './service';
export { buildApp, type BuildOptions } from './app';
export type { AgentDirectory, ServiceDeps, TeamDirectory, TeamMessage, TeamResponse } from './deps';
export type { ErrorBody } from './errors';
export type { DoneRecord, IdempotencyRecord, IdempotencyRecords, RunningRecord } from './idempotency/records';
export { InProcessIdempotencyRecords } from './idempotency/in-process-records';
export { RedisIdempotencyRecords } from './idempotency/redis-records';
