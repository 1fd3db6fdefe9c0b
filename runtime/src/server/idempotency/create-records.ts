import type { RuntimeConfig } from '../../contract';
import { redisConnectionOptions } from '../../memory/redis-connection';
import type { ReconnectOptions } from '../../memory/reconnect';
import { InProcessIdempotencyRecords } from './in-process-records';
import type { IdempotencyRecords } from './records';
import { RedisIdempotencyRecords } from './redis-records';

/**
 * The records the configuration calls for: in Redis when short-term memory is (every instance of
 * the service sees every key), else in this process, like the rest of the embedded memory.
 */
export function createIdempotencyRecords(
  config: RuntimeConfig,
  options: { readonly reconnect?: ReconnectOptions; readonly logger?: { warn(obj: object, msg: string): void } } = {},
): IdempotencyRecords {
  const { redis, namespace } = config.memory;
  if (!redis) return new InProcessIdempotencyRecords();
  return new RedisIdempotencyRecords({ ...redisConnectionOptions(redis), prefix: namespace, reconnect: options.reconnect, logger: options.logger });
}
