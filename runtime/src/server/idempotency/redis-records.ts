import type Redis from 'ioredis';
import { RedisConnection, type RedisConnectionOptions } from '../../memory/redis-connection';
import type { DoneRecord, IdempotencyRecord, IdempotencyRecords, RunningRecord } from './records';

export interface RedisRecordsOptions extends RedisConnectionOptions {
  /** Prefix of every key, the memory's namespace: records are `<prefix>:idempotency:<key>`. */
  readonly prefix: string;
}

// The claim's owner alone may turn it into the answer or drop it: the lock pattern of Redis' SET
// documentation (a random value per claim, compared in a script before the write or DEL), so a
// request that outlived its claim cannot overwrite or release the claim of the retry after it.
const OWN_CLAIM = `
local current = redis.call('GET', KEYS[1])
if not current then return 0 end
local ok, record = pcall(cjson.decode, current)
if not ok or type(record) ~= 'table' or record.state ~= 'running' or record.token ~= ARGV[1] then return 0 end`;

const COMPLETE = `${OWN_CLAIM}
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1`;

const RELEASE = `${OWN_CLAIM}
redis.call('DEL', KEYS[1])
return 1`;

interface ScriptedRedis extends Redis {
  completeClaim(key: string, token: string, json: string, ttlMs: number): Promise<number>;
  releaseClaim(key: string, token: string): Promise<number>;
}

/**
 * Records in Redis, shared by every instance of the service: the server short-term memory uses,
 * over a connection of its own with the same settings (TLS, AUTH, CA, reconnection). Each record
 * expires by Redis' own clock: a claim after `claimMs`, an answer after the records' TTL.
 */
export class RedisIdempotencyRecords implements IdempotencyRecords {
  private readonly connection: RedisConnection;
  private readonly prefix: string;

  constructor(options: RedisRecordsOptions) {
    this.prefix = options.prefix;
    this.connection = new RedisConnection(options, { component: 'RedisIdempotencyRecords', log: { component: 'idempotency' } });
    this.connection.client.defineCommand('completeClaim', { numberOfKeys: 1, lua: COMPLETE });
    this.connection.client.defineCommand('releaseClaim', { numberOfKeys: 1, lua: RELEASE });
  }

  async init(): Promise<void> {
    await this.connection.init();
  }

  async claim(key: string, running: RunningRecord, claimMs: number): Promise<IdempotencyRecord | undefined> {
    // One atomic command: set when absent, else the record found (NX with GET: Redis 7.0+;
    // Memorystore deploys 7.2).
    const found = await this.redis.set(this.key(key), JSON.stringify(running), 'PX', claimMs, 'NX', 'GET');
    return found === null ? undefined : (JSON.parse(found) as IdempotencyRecord);
  }

  async complete(key: string, token: string, done: DoneRecord, ttlMs: number): Promise<boolean> {
    return (await this.redis.completeClaim(this.key(key), token, JSON.stringify(done), ttlMs)) === 1;
  }

  async release(key: string, token: string): Promise<void> {
    await this.redis.releaseClaim(this.key(key), token);
  }

  async close(): Promise<void> {
    await this.connection.close();
  }

  /** The Redis key of a record: a word of its own after the prefix, apart from the memory's keys. */
  key(key: string): string {
    return `${this.prefix}:idempotency:${key}`;
  }

  private get redis(): ScriptedRedis {
    return this.connection.ready as ScriptedRedis;
  }
}
