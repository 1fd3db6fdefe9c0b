import { type ChildProcess, spawn } from 'node:child_process';
import * as net from 'node:net';
import * as path from 'node:path';
import { freePort } from '../servers/process-server';

const ROOT = path.resolve(__dirname, '../..');

/** Resolves with the response of `url` once it answers at all (each refused connection retried on the next turn). */
async function firstAnswer(url: string, child: ChildProcess): Promise<Response> {
  for (;;) {
    if (child.exitCode !== null) throw new Error(`npm run local exited with ${child.exitCode}`);
    try {
      return await fetch(url);
    } catch {
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
}

const refused = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(false)));
    socket.once('error', () => resolve(true));
  });

describe('npm run local', () => {
  it('runs the runtime on real Redis (with AUTH) and MongoDB-wire servers, and Ctrl-C stops all of them', async () => {
    const port = await freePort();
    let output = '';
    const child = spawn(path.join(ROOT, 'node_modules/.bin/tsx'), ['test/servers/local.ts'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, XDG_CACHE_HOME: process.env.XDG_CACHE_HOME, PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      let ready = await firstAnswer(`http://127.0.0.1:${port}/readyz`, child);
      while (ready.status !== 200) ready = await firstAnswer(`http://127.0.0.1:${port}/readyz`, child);
      const body = (await ready.json()) as { layers: { layer: string; backend: string; ok: boolean }[] };
      expect(body.layers.map((l) => [l.layer, l.backend, l.ok])).toEqual([
        ['short-term', 'redis', true],
        ['mid-term', 'mongodb', true],
        ['long-term', 'embedded', true],
      ]);
      // A turn goes through the real servers and comes back.
      const post = (route: string, body: unknown) =>
        fetch(`http://127.0.0.1:${port}/v1${route}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const stored = await post('/memory', { item: { id: 'turn-1', content: 'the launch is on Friday', conversationId: 'local-check' }, importance: 'medium' });
      expect(stored.status).toBe(201);
      const found = (await (await post('/memory/search', { query: 'launch', conversationId: 'local-check' })).json()) as { recent: { id: string }[] };
      expect(found.recent.map((i) => i.id)).toEqual(['turn-1']);
      const redisPort = Number(/redis:\/\/127\.0\.0\.1:(\d+)/.exec(output)?.[1]);
      const mongoPort = Number(/mongodb:\/\/127\.0\.0\.1:(\d+)/.exec(output)?.[1]);
      expect(output).toContain('(AUTH on)');

      child.kill('SIGINT');
      expect(await exited).toBe(0);
      expect([await refused(port), await refused(redisPort), await refused(mongoPort)]).toEqual([true, true, true]);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 120_000);
});
