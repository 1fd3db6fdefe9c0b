import Redis from 'ioredis';
import { RedisShortTermStore } from '../../runtime/src/memory/short-term/redis-short-term';
import { startRedis } from '../servers/redis-server';
import { sleep, uniqueId } from '../runtime/contracts/harness';
import { shortTermContract } from '../runtime/contracts/short-term-contract';

let server: Awaited<ReturnType<typeof startRedis>>;
beforeAll(async () => {
  server = await startRedis();
});
afterAll(async () => server.stop());

shortTermContract('redis', async () => {
  const store = new RedisShortTermStore({ url: server.url, prefix: uniqueId('contract') });
  return { store, advance: sleep, teardown: () => store.close() };
});

describe('RedisShortTermStore', () => {
  let store: RedisShortTermStore;
  let raw: Redis;
  const prefix = 'orchestra-test';
  beforeAll(async () => {
    store = new RedisShortTermStore({ url: server.url, prefix, ttlSeconds: 120 });
    await store.init();
    raw = new Redis(server.url);
  });
  afterAll(async () => {
    await store.close();
    raw.disconnect();
  });

  it('lays keys out under <prefix>: with the TTL on each', async () => {
    const conversation = uniqueId('c');
    const id = uniqueId('i');
    await store.remember({ id, content: 'hi', conversationId: conversation, createdAt: '2026-01-01T00:00:00.000Z' }, 5);
    expect(JSON.parse((await raw.get(`${prefix}:item:${id}`))!)).toMatchObject({ id, content: 'hi' });
    expect(await raw.lrange(`${prefix}:recent:${conversation}`, 0, -1)).toEqual([id]);
    expect(await raw.smembers(`${prefix}:ids:${conversation}`)).toEqual([id]);
    for (const key of [`${prefix}:item:${id}`, `${prefix}:recent:${conversation}`, `${prefix}:ids:${conversation}`]) {
      const ttl = await raw.pttl(key);
      expect({ key, inRange: ttl > 110_000 && ttl <= 120_000 }).toEqual({ key, inRange: true });
    }
  });

  it('keeps each conversation key as long as its longest-lived turn', async () => {
    const conversation = uniqueId('c');
    await store.remember({ id: uniqueId('i'), content: 'long', conversationId: conversation, createdAt: '2026-01-01T00:00:00.000Z' }, 5);
    await store.remember({ id: uniqueId('i'), content: 'short', conversationId: conversation, createdAt: '2026-01-01T00:00:00.000Z' }, 5, 1);
    for (const key of [`${prefix}:recent:${conversation}`, `${prefix}:ids:${conversation}`]) {
      const ttl = await raw.pttl(key);
      expect({ key, inRange: ttl > 110_000 && ttl <= 120_000 }).toEqual({ key, inRange: true });
    }
  });

  it('lists ids, not copies, and drops an expired turn from the list and the id set when read', async () => {
    const conversation = uniqueId('c');
    const [older, newer] = [uniqueId('i'), uniqueId('i')];
    for (const id of [older, newer]) await store.remember({ id, content: `content of ${id}`, conversationId: conversation, createdAt: '2026-01-01T00:00:00.000Z' }, 5);
    const recentKey = `${prefix}:recent:${conversation}`;
    expect(await raw.lrange(recentKey, 0, -1)).toEqual([older, newer]);
    // Expires the older key by Redis's own clock, however long the writes above took.
    await raw.pexpire(`${prefix}:item:${older}`, 1);
    while ((await raw.exists(`${prefix}:item:${older}`)) === 1) await sleep(5);
    expect((await store.recent(conversation, 5)).map((i) => i.id)).toEqual([newer]);
    expect(await raw.lrange(recentKey, 0, -1)).toEqual([newer]);
    expect(await raw.smembers(`${prefix}:ids:${conversation}`)).toEqual([newer]);
  });

  it('remembers and reads recent turns in one command each (server-side script, no round trips per key)', async () => {
    const conversation = uniqueId('c');
    const monitor = await raw.monitor();
    const commands: string[] = [];
    monitor.on('monitor', (_time: string, args: string[]) => commands.push(args[0].toLowerCase()));
    await store.remember({ id: uniqueId('i'), content: 'x', conversationId: conversation, createdAt: '2026-01-01T00:00:00.000Z' }, 5);
    await store.recent(conversation, 5);
    await sleep(50);
    monitor.disconnect();
    const clientCommands = commands.filter((c) => ['evalsha', 'eval', 'lrange', 'set', 'rpush', 'get'].includes(c));
    // The script's own calls show up too, after the evalsha that ran them.
    expect(clientCommands[0]).toMatch(/^eval(sha)?$/);
    expect(clientCommands.filter((c) => c === 'lrange')).toHaveLength(1);
  });

  it('reports a stopped server, fails fast, and recovers when it is back', async () => {
    const own = new RedisShortTermStore({ url: server.url, prefix: uniqueId('p') });
    await own.init();
    try {
      await server.stop();
      expect(await own.status()).toMatchObject({ ok: false, backend: 'redis' });
      // Fails at once, with why, instead of queueing the command until the server returns.
      await expect(own.getItem('k')).rejects.toThrow(/^redis 127\.0\.0\.1:\d+ connecting \(attempt \d+, next in \d+ ms\)/);
      await expect(own.recent('c', 5)).rejects.toThrow(/^redis 127\.0\.0\.1:\d+ connecting \(attempt \d+, next in \d+ ms\)/);
      await server.start();
      // Polled up to 25 s (under the test timeout): reconnecting takes one backoff step (≤ 1 s),
      // longer on a machine busy enough to delay the timers (6 s of polling once fell short).
      let status = await own.status();
      const deadline = Date.now() + 25_000;
      while (!status.ok && Date.now() < deadline) {
        await sleep(100);
        status = await own.status();
      }
      expect(status.ok).toBe(true);
      // The restarted server has no scripts cached: each one is loaded again on first use.
      await own.remember({ id: 'k', content: 'back', conversationId: 'c', createdAt: '2026-01-01T00:00:00.000Z' }, 5);
      expect((await own.getItem('k'))?.content).toBe('back');
      expect((await own.recent('c', 5)).map((i) => i.content)).toEqual(['back']);
    } finally {
      await own.close();
    }
  });

  it('authenticates with AUTH, and a wrong password fails without echoing it', async () => {
    const secured = await startRedis({ password: 'correct-horse-battery' });
    const good = new RedisShortTermStore({ url: secured.url, password: 'correct-horse-battery', prefix: 'auth' });
    const bad = new RedisShortTermStore({ url: secured.url, password: 'hunter2-wrong', prefix: 'auth' });
    try {
      await good.init();
      await good.remember({ id: 'k', content: 'v', createdAt: '2026-01-01T00:00:00.000Z' }, 5);
      expect((await good.getItem('k'))?.content).toBe('v');
      const failure = await bad.init().then(() => bad.getItem('k')).catch((e: Error) => e);
      expect(failure).toBeInstanceOf(Error);
      expect(String((failure as Error).message)).toMatch(/WRONGPASS|NOAUTH|invalid/i);
      const status = await bad.status();
      expect(status.ok).toBe(false);
      expect(JSON.stringify(status) + String(failure)).not.toContain('hunter2-wrong');
    } finally {
      await good.close();
      await bad.close();
      await secured.stop();
    }
  });
});
