// `npm run local`: the runtime on a laptop, on real servers instead of the embedded backends:
// Redis (with a password, as Memorystore has AUTH) and the MongoDB-wire server on 127.0.0.1,
// installed and started the way the tests start them, and the runtime given its settings through
// the same contract renderer the Cloud Run service's come from. Long-term memory stays embedded
// (Vector Search has no local server outside the tests). Ctrl-C stops everything.
//
//   npm run local                    runtime on http://127.0.0.1:8080 (PORT to change)
//   ORCHESTRA_LLM_CONFIG=… npm run local   any ORCHESTRA_* variable of your shell wins
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { DEFAULTS, LOCAL_ENVIRONMENT, renderRuntimeSettings } from '../../runtime/src/contract';
import { MongoMidTermStore } from '../../runtime/src/memory/mid-term/mongo-mid-term';
import { startMongo } from './mongo-server';
import { startRedis } from './redis-server';
import { ensureFerretdb, ensureRedis } from './tools';

const ROOT = path.resolve(__dirname, '../..');
const DATABASE = 'orchestra';

async function main(): Promise<void> {
  ensureRedis();
  ensureFerretdb((line) => console.log(line));
  const password = randomBytes(16).toString('hex');
  const [redis, mongo] = await Promise.all([startRedis({ password }), startMongo()]);
  const stopServers = () => Promise.allSettled([redis.stop(), mongo.dispose()]);

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

  const { env, secrets } = renderRuntimeSettings<never>({
    environment: LOCAL_ENVIRONMENT,
    memory: { redis: { url: redis.url, password }, mongo: { uri: mongo.uri, database: DATABASE } },
    server: { port: Number(process.env.PORT ?? DEFAULTS.port) },
  });
  if (Object.keys(secrets).length > 0) throw new Error(`unexpected secret references: ${Object.keys(secrets).join(', ')}`);
  const fromShell = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('ORCHESTRA_')));
  const runtime = spawn(path.join(ROOT, 'node_modules/.bin/tsx'), ['runtime/src/server/main.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env, ...fromShell },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  console.log(`local: redis ${redis.url} (AUTH on), MongoDB wire ${mongo.uri}, runtime pid ${runtime.pid}; Ctrl-C stops all three`);

  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    if (runtime.exitCode === null && runtime.signalCode === null) {
      await new Promise<void>((resolve) => {
        runtime.once('exit', () => resolve());
        runtime.kill('SIGTERM');
      });
    }
    await stopServers();
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
  runtime.on('exit', (code) => void stop(code ?? 1));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
