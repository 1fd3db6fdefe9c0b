import type Redis from 'ioredis';
import { DEFAULTS } from '../../contract';
import { MemoryOptionsError } from '../errors';
import { RedisConnection, type RedisConnectionOptions } from '../redis-connection';
import { ofTenant, scopedId } from '../tenancy';
import type { LayerStatus, ShortTermStore, StoredItem, TenantFilter } from '../types';

/** Where the server is and how to reach it (`RedisConnectionOptions`), and how keys are written. */
export interface RedisShortTermOptions extends RedisConnectionOptions {
  /** Prefix of every key. @default DEFAULTS.memoryNamespace ("orchestra") */
  readonly prefix?: string;
  /** Default time to live of a write, in seconds. @default DEFAULTS.shortTermTtlSeconds (3600) */
  readonly ttlSeconds?: number;
}

// Scripts run server-side and atomically, so each operation is one round trip however many keys
// it touches. The key prefix is baked into each script (it is fixed per store); the conversation's
// list and id-set keys are derived in the script, which keeps the call's arguments few — on the
// store() hot path the client's encoding and socket writes are the cost. SET … GET needs Redis
// 6.2+ (Memorystore offers 7.x). Keys not declared in KEYS are fine on a single-node instance
// (Memorystore for Redis); Redis Cluster would need hash tags.
//
// The recent list holds ids, not copies of the items: an item's own key is the only thing that
// expires or is forgotten, so the list can never serve a turn whose key is gone (a copy in the list
// outlived its key whenever a later write pushed the list's TTL forward, and forgetItem could not
// find it once the key had expired). Entries whose key is gone are dropped when the list is read.
const rememberScript = (prefix: string) => `
local old = redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2], 'GET')
if old then
  local ok, prev = pcall(cjson.decode, old)
  if ok and type(prev) == 'table' and type(prev.conversationId) == 'string' and prev.conversationId ~= ARGV[5] then
    redis.call('LREM', '${prefix}:recent:' .. prev.conversationId, 0, ARGV[4])
    redis.call('SREM', '${prefix}:ids:' .. prev.conversationId, ARGV[4])
  end
end
if ARGV[5] ~= '' then
  local recent = '${prefix}:recent:' .. ARGV[5]
  local ids = '${prefix}:ids:' .. ARGV[5]
  local ttl = tonumber(ARGV[2])
  -- Also drops the entry of an earlier write of this id that expired (SET … GET did not see it).
  redis.call('LREM', recent, 0, ARGV[4])
  if redis.call('RPUSH', recent, ARGV[4]) > tonumber(ARGV[3]) then
    redis.call('LTRIM', recent, -tonumber(ARGV[3]), -1)
  end
  redis.call('SADD', ids, ARGV[4])
  -- Each key lives as long as its longest-lived turn: a short-lived write must not cut short the
  -- list (or the forgettable ids) of the turns before it.
  if redis.call('PTTL', recent) < ttl then redis.call('PEXPIRE', recent, ttl) end
  if redis.call('PTTL', ids) < ttl then redis.call('PEXPIRE', ids, ttl) end
end
return 1`;

// Returns the live items of the list, oldest first; ids whose key is gone leave the list and the id
// set here, since forgetItem cannot reach an expired item's conversation (its key held the only link).
const recentScript = (prefix: string) => `
local ids = redis.call('LRANGE', KEYS[1], 0, -1)
local live = {}
for first = 1, #ids, 500 do
  local keys = {}
  for i = first, math.min(first + 499, #ids) do keys[#keys + 1] = '${prefix}:item:' .. ids[i] end
  local values = redis.call('MGET', unpack(keys))
  for i, value in ipairs(values) do
    if value then
      live[#live + 1] = value
    else
      redis.call('LREM', KEYS[1], 0, ids[first + i - 1])
      redis.call('SREM', KEYS[2], ids[first + i - 1])
    end
  end
end
return live`;

const FORGET_ITEM = `
local old = redis.call('GET', KEYS[1])
if not old then return 0 end
redis.call('DEL', KEYS[1])
local ok, prev = pcall(cjson.decode, old)
if ok and type(prev) == 'table' and type(prev.conversationId) == 'string' then
  redis.call('LREM', ARGV[1] .. ':recent:' .. prev.conversationId, 0, ARGV[2])
  redis.call('SREM', ARGV[1] .. ':ids:' .. prev.conversationId, ARGV[2])
end
return 1`;

const FORGET_CONVERSATION = `
local ids = redis.call('SMEMBERS', KEYS[2])
local removed = 0
for _, id in ipairs(ids) do
  local key = ARGV[1] .. ':item:' .. id
  local value = redis.call('GET', key)
  if value then
    local ok, item = pcall(cjson.decode, value)
    if ok and type(item) == 'table' and item.conversationId == ARGV[2] then
      redis.call('DEL', key)
      removed = removed + 1
    end
  end
end
redis.call('DEL', KEYS[1], KEYS[2])
return removed`;

export interface RedisKeys {
  item(id: string): string;
  recent(conversationId: string): string;
  ids(conversationId: string): string;
}

/**
 * The keys of a store with `prefix` (the Lua scripts above build the same ones). The prefix has no
 * `:` and a fixed word follows it, so keys of different kinds never meet, and within a kind the key
 * is injective in the (already tenant-scoped) id.
 */
export function redisKeys(prefix: string): RedisKeys {
  return {
    item: (id) => `${prefix}:item:${id}`,
    recent: (conversationId) => `${prefix}:recent:${conversationId}`,
    ids: (conversationId) => `${prefix}:ids:${conversationId}`,
  };
}

interface ScriptedRedis extends Redis {
  remember(item: string, json: string, ttlMs: number, keep: number, id: string, conversationId: string): Promise<number>;
  recentItems(recent: string, ids: string): Promise<string[]>;
  forgetItem(item: string, prefix: string, id: string): Promise<number>;
  forgetConversation(recent: string, ids: string, prefix: string, conversationId: string): Promise<number>;
}

/**
 * Short-term memory on Redis (Memorystore): namespaced JSON values with a TTL, and per
 * conversation a list of the ids of its newest turns plus the set of every item id (so forgetting
 * a conversation also reaches turns trimmed from the list).
 */
export class RedisShortTermStore implements ShortTermStore {
  private readonly connection: RedisConnection;
  private readonly client: ScriptedRedis;
  private readonly prefix: string;
  private readonly keys: RedisKeys;
  private readonly ttlSeconds: number;

  constructor(options: RedisShortTermOptions) {
    this.prefix = options.prefix ?? DEFAULTS.memoryNamespace;
    this.ttlSeconds = options.ttlSeconds ?? DEFAULTS.shortTermTtlSeconds;
    if (!/^[A-Za-z0-9_-]+$/.test(this.prefix)) {
      throw new MemoryOptionsError('RedisShortTermStore', [{ path: 'prefix', message: `expected letters, digits, _ or -, got "${this.prefix}"` }]);
    }
    this.keys = redisKeys(this.prefix);
    this.connection = new RedisConnection(options, { component: 'RedisShortTermStore', log: { layer: 'short-term' } });
    this.client = this.connection.client as ScriptedRedis;
    this.client.defineCommand('remember', { numberOfKeys: 1, lua: rememberScript(this.prefix) });
    this.client.defineCommand('recentItems', { numberOfKeys: 2, lua: recentScript(this.prefix) });
    this.client.defineCommand('forgetItem', { numberOfKeys: 1, lua: FORGET_ITEM });
    this.client.defineCommand('forgetConversation', { numberOfKeys: 2, lua: FORGET_CONVERSATION });
  }

  /**
   * Connects, or, when the server is unreachable or refuses the credentials, returns anyway while
   * ioredis keeps trying in the background: the service starts and serves what it can (calls here
   * fail at once with the reason; `status()` says it).
   */
  async init(): Promise<void> {
    await this.connection.init();
  }

  /** Fails at once, with why, while the server is not reachable. */
  private get redis(): ScriptedRedis {
    return this.connection.ready as ScriptedRedis;
  }

  async status(): Promise<LayerStatus> {
    return { layer: 'short-term', backend: 'redis', embedded: false, ...(await this.connection.probe()) };
  }

  async close(): Promise<void> {
    await this.connection.close();
  }

  async remember(item: StoredItem, keep: number, ttlSeconds?: number): Promise<void> {
    await this.redis.remember(this.keys.item(item.id), JSON.stringify(item), this.ttlMs(ttlSeconds), keep, item.id, item.conversationId ?? '');
  }

  async recent(conversationId: string, limit: number, tenantId?: TenantFilter): Promise<StoredItem[]> {
    const raw = await this.redis.recentItems(this.keys.recent(conversationId), this.keys.ids(conversationId));
    // An id that expired here and was stored again in another conversation still has an entry
    // here until it is trimmed or expires; the item's own conversation is the truth.
    const items = raw.map((r) => JSON.parse(r) as StoredItem).filter((i) => i.conversationId === conversationId && ofTenant(i, tenantId));
    return limit > 0 ? items.slice(-limit) : [];
  }

  async getItem(id: string, tenantId?: TenantFilter): Promise<StoredItem | undefined> {
    const raw = await this.redis.get(this.keys.item(id));
    const item = raw === null ? undefined : (JSON.parse(raw) as StoredItem);
    return item && ofTenant(item, tenantId) ? item : undefined;
  }

  async getItems(ids: readonly string[], tenantId?: TenantFilter): Promise<StoredItem[]> {
    if (ids.length === 0) return [];
    const raw = await this.redis.mget(ids.map((id) => this.keys.item(id)));
    return raw.flatMap((r) => (r === null ? [] : [JSON.parse(r) as StoredItem])).filter((item) => ofTenant(item, tenantId));
  }

  async forgetItem(id: string): Promise<boolean> {
    return (await this.redis.forgetItem(this.keys.item(id), this.prefix, id)) === 1;
  }

  async forgetConversation(conversationId: string): Promise<number> {
    return this.redis.forgetConversation(this.keys.recent(conversationId), this.keys.ids(conversationId), this.prefix, conversationId);
  }

  /**
   * SCANs (never KEYS, which blocks the server) for the tenant's conversations and scoped items:
   * every stored id of a tenant starts with `scopedId(tenant, '')`, whose characters are no glob
   * patterns (the TENANT rule). Items written while the scan runs are not promised gone: the
   * tombstone of the purge refuses writes begun before it.
   */
  async forgetTenant(tenantId: string): Promise<number> {
    const scope = scopedId(tenantId, '');
    let removed = 0;
    for await (const keys of this.redis.scanStream({ match: `${this.keys.ids(scope)}*`, count: 500 }) as AsyncIterable<string[]>) {
      for (const key of keys) removed += await this.forgetConversation(key.slice(this.keys.ids('').length));
    }
    for await (const keys of this.redis.scanStream({ match: `${this.keys.item(scope)}*`, count: 500 }) as AsyncIterable<string[]>) {
      for (const key of keys) if (await this.forgetItem(key.slice(this.keys.item('').length))) removed++;
    }
    return removed;
  }

  private ttlMs(ttlSeconds?: number): number {
    return Math.max(1, Math.round((ttlSeconds ?? this.ttlSeconds) * 1000));
  }
}
