// `npm run local`: the runtime on a laptop, on real servers instead of the embedded backends:
// Redis (with a password, as Memorystore has AUTH) and the MongoDB-wire server on 127.0.0.1,
// installed and started the way the tests start them, and the runtime given its settings through
// the same contract renderer the Cloud Run service's come from. Long-term memory stays embedded
// (Vector Search has no local server outside the tests). Ctrl-C stops everything.
//
//   npm run local                          runtime on http://127.0.0.1:8080 (PORT to change)
//   ORCHESTRA_LLM_CONFIG=… npm run local   any ORCHESTRA_* variable of your shell wins
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { DEFAULTS, LOCAL_ENVIRONMENT, renderRuntimeSettings } from '../../runtime/src/contract';
import { MongoMidTermStore } from '../../runtime/src/memory/mid-term/mongo-mid-term';
import { startMongo } from './mongo-server';
import type { LoopbackServer } from './process-server';
import { startRedis } from './redis-server';
import { ensureFerretdb, ensureRedis } from './tools';

const ROOT = path.resolve(__dirname, '../..');
const DATABASE = 'orchestra';

export interface LocalEnvironment {
  readonly url: string;
  readonly redis: LoopbackServer & { url: string };
  readonly mongo: LoopbackServer & { uri: string };
  readonly runtime: ChildProcess;
  /** Resolves with the ms until /readyz answers 200; rejects if the runtime exits meanwhile. */
  ready(): Promise<number>;
  /** Stops the runtime (SIGTERM, as Cloud Run does), then the servers; idempotent. */
  stop(): Promise<void>;
}

/** Starts Redis, the MongoDB-wire server and the runtime wired to them; `extraEnv` wins over the rendered settings. */
export async function startLocal(options: { port: number; extraEnv?: Record<string, string | undefined>; quiet?: boolean }): Promise<LocalEnvironment> {
  ensureRedis();
  ensureFerretdb((line) => console.log(line));
  const password = randomBytes(16).toString('hex');
  const [redis, mongo] = await Promise.all([startRedis({ password }), startMongo()]);
  const stopServers = async () => {
    await Promise.allSettled([redis.stop(), mongo.dispose()]);
  };

  try {
    // What the infrastructure does on Google Cloud (FirestoreMongoDatabase declares the indexes),
    // done here as the deploy step would: the runtime itself only checks them.
    const indexes = new MongoMidTermStore({ uri: mongo.uri, database: DATABASE });
    await indexes.ensureIndexes();
    await indexes.close();
  } catch (error) {
    await stopServers();
    throw error;
  }

  const { env } = renderRuntimeSettings<never>({
    environment: LOCAL_ENVIRONMENT,
    memory: { redis: { url: redis.url, password }, mongo: { uri: mongo.uri, database: DATABASE } },
    server: { port: options.port },
  });
  const runtime = spawn(path.join(ROOT, 'node_modules/.bin/tsx'), ['runtime/src/server/main.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env, ...options.extraEnv },
    stdio: ['ignore', options.quiet ? 'ignore' : 'inherit', 'inherit'],
  });
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      if (runtime.exitCode === null && runtime.signalCode === null) {
        await new Promise<void>((resolve) => {
          runtime.once('exit', () => resolve());
          runtime.kill('SIGTERM');
        });
      }
      await stopServers();
    })());
  const url = `http://127.0.0.1:${options.port}`;
  const ready = async () => {
    const start = performance.now();
    for (;;) {
      const res = await fetch(`${url}/readyz`).catch(() => undefined);
      if (res?.status === 200) return Math.round(performance.now() - start);
      if (runtime.exitCode !== null) throw new Error(`the runtime exited with ${runtime.exitCode}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  return { url, redis, mongo, runtime, ready, stop };
}

async function main(): Promise<void> {
  const fromShell = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('ORCHESTRA_')));
  const local = await startLocal({ port: Number(process.env.PORT ?? DEFAULTS.port), extraEnv: fromShell });
  console.log(`local: redis ${local.redis.url} (AUTH on), MongoDB wire ${local.mongo.uri}, runtime pid ${local.runtime.pid}; Ctrl-C stops all three`);
  const exit = (code: number) => void local.stop().then(() => process.exit(code));
  process.on('SIGINT', () => exit(0));
  process.on('SIGTERM', () => exit(0));
  local.runtime.on('exit', (code) => exit(code ?? 1));
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
