// Benchmark (not a test): the runtime's HTTP service on loopback, each figure a ratio to a bare
// fastify server measured in the same run.
//
//   npm run bench:http                       # BENCH_SECONDS=5 per load run, 16 connections
//
// 1. Requests/s of POST /v1/teams/default/messages (embedded memory, offline model) vs a bare
//    fastify route echoing the same JSON. Target ≥ 0.5.
// 2. Start-up: process start → first 200 from /readyz, for the runtime on embedded defaults, the
//    runtime with Vertex AI configured (idle: its clients load and connect on first use), and a
//    bare fastify server answering /readyz.
//
// Both servers run compiled JavaScript under plain `node`, as in the container.

import autocannon from 'autocannon';
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { freePort } from '../test/servers/process-server';

const ROOT = path.resolve(__dirname, '..');
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = 16;
const STARTS = Number(process.env.BENCH_STARTS ?? 5);
const BODY = JSON.stringify({ conversationId: 'bench-conversation', content: 'What should we plan for the launch next week?' });

const BARE_SERVER = `
const app = require('fastify')({ logger: false });
app.get('/readyz', async () => ({ status: 'ready' }));
app.post('/echo', async (request) => ({ conversationId: request.body.conversationId, reply: { content: request.body.content, agent: 'echo' }, trace: [], degraded: [] }));
app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
`;

interface Server {
  readonly url: string;
  stop(): Promise<void>;
}

function compileRuntime(): string {
  // Inside the repository, so the compiled code resolves node_modules as the image's does.
  const outDir = fs.mkdtempSync(path.join(ROOT, 'runtime', '.bench-dist-'));
  execFileSync(path.join(ROOT, 'node_modules/.bin/tsc'), ['-p', 'runtime/tsconfig.json', '--outDir', outDir], { cwd: ROOT, stdio: 'inherit' });
  return outDir;
}

async function waitReady(url: string, child: ChildProcess, started: number): Promise<number> {
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    const ok = await fetch(`${url}/readyz`).then((r) => r.status === 200, () => false);
    if (ok) return performance.now() - started;
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function start(kind: 'bare' | 'runtime', dist: string, env: Record<string, string> = {}): Promise<Server & { startupMs: number }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const args = kind === 'bare' ? ['-e', BARE_SERVER] : [path.join(dist, 'server', 'main.js')];
  const started = performance.now();
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, PORT: String(port), ORCHESTRA_LOG_LEVEL: 'warn', ORCHESTRA_RATE_LIMIT_PER_MINUTE: '1000000', ORCHESTRA_TEAMS_DIR: path.join(ROOT, 'runtime/teams'), ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const startupMs = await waitReady(url, child, started);
  return {
    url,
    startupMs,
    stop: () => new Promise<void>((resolve) => (child.once('exit', () => resolve()), child.kill('SIGTERM'))),
  };
}

async function load(url: string): Promise<{ rps: number; p50: number; p99: number; errors: number }> {
  const result = await autocannon({ url, method: 'POST', body: BODY, headers: { 'content-type': 'application/json' }, connections: CONNECTIONS, duration: SECONDS });
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, errors: result.errors + result.non2xx };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (n: number, d = 0) => n.toFixed(d);

/**
 * A stand-in for Cloud Run's metadata server on loopback (google-auth-library honours
 * GCE_METADATA_HOST): hands out a token, so the runtime's credential check passes as on Cloud Run.
 */
async function startMetadataServer(): Promise<{ host: string; stop(): Promise<void> }> {
  const server = http.createServer((request, response) => {
    response.setHeader('Metadata-Flavor', 'Google');
    if (request.url?.includes('/token')) {
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ access_token: 'bench-token', expires_in: 3600, token_type: 'Bearer' }));
    } else if (request.url?.includes('/project/project-id')) response.end('bench-project');
    else response.end('');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { host: `127.0.0.1:${port}`, stop: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

const VERTEX_IDLE = {
  GOOGLE_CLOUD_PROJECT: 'bench-project',
  ORCHESTRA_REGION: 'us-central1',
  ORCHESTRA_VECTOR_INDEX: 'projects/bench-project/locations/us-central1/indexes/1',
  ORCHESTRA_VECTOR_INDEX_ENDPOINT: 'projects/bench-project/locations/us-central1/indexEndpoints/2',
  ORCHESTRA_VECTOR_DEPLOYED_INDEX_ID: 'bench',
  ORCHESTRA_VECTOR_QUERY_HOST: '127.0.0.1:9',
  // An IP address names a private endpoint's port (the runtime refuses to guess); idle, it is never dialled.
  ORCHESTRA_VECTOR_QUERY_ACCESS: 'private',
};

async function main(): Promise<void> {
  const began = performance.now();
  const dist = compileRuntime();
  const metadata = await startMetadataServer();
  const vertexIdle = { ...VERTEX_IDLE, GCE_METADATA_HOST: metadata.host };
  try {
    console.log(`# HTTP benchmark: ${SECONDS} s per load run, ${CONNECTIONS} connections, ${STARTS} starts each, node ${process.version}\n`);

    // Start-up, alternating kinds so machine drift hits all alike.
    const starts: Record<string, number[]> = { bare: [], embedded: [], vertexIdle: [] };
    for (let i = 0; i < STARTS; i++) {
      for (const [name, kind, env] of [['bare', 'bare', {}], ['embedded', 'runtime', {}], ['vertexIdle', 'runtime', vertexIdle]] as const) {
        const server = await start(kind, dist, env);
        starts[name].push(server.startupMs);
        await server.stop();
      }
    }

    const bare = await start('bare', dist);
    const runtime = await start('runtime', dist);
    // The same runtime with the hashing embedder: what the local model's inference costs a message
    // (each message's context search embeds the message once).
    const hashing = await start('runtime', dist, { ORCHESTRA_EMBEDDING_PROVIDER: 'hashing' });
    try {
      await load(`${bare.url}/echo`); // warm-up, unmeasured
      await load(`${runtime.url}/v1/teams/default/messages`);
      await load(`${hashing.url}/v1/teams/default/messages`);
      const b = await load(`${bare.url}/echo`);
      const r = await load(`${runtime.url}/v1/teams/default/messages`);
      const h = await load(`${hashing.url}/v1/teams/default/messages`);
      console.log('| measure | runtime | bare fastify | ratio |\n|---|---:|---:|---:|');
      console.log(`| requests/s (POST message vs echo) | ${fmt(r.rps)} | ${fmt(b.rps)} | **${fmt(r.rps / b.rps, 2)}** (target ≥ 0.5) |`);
      console.log(`| latency p50 / p99 (ms) | ${r.p50} / ${r.p99} | ${b.p50} / ${b.p99} | |`);
      console.log(`| errors + non-2xx | ${r.errors} | ${b.errors} | |`);
      console.log(`| requests/s, hashing embedder instead of the local model | ${fmt(h.rps)} | ${fmt(b.rps)} | ${fmt(h.rps / b.rps, 2)} |`);
      console.log(`| latency p50 / p99 (ms), hashing embedder | ${h.p50} / ${h.p99} | ${b.p50} / ${b.p99} | |`);
      const bareStart = median(starts.bare);
      console.log(`| start → /readyz 200, embedded (ms, median) | ${fmt(median(starts.embedded))} | ${fmt(bareStart)} | ${fmt(median(starts.embedded) / bareStart, 2)} |`);
      console.log(`| start → /readyz 200, Vertex AI configured, idle (ms, median) | ${fmt(median(starts.vertexIdle))} | ${fmt(bareStart)} | ${fmt(median(starts.vertexIdle) / bareStart, 2)} |`);
      console.log(`\nSamples (ms): bare ${starts.bare.map((x) => fmt(x)).join(', ')}; embedded ${starts.embedded.map((x) => fmt(x)).join(', ')}; vertex idle ${starts.vertexIdle.map((x) => fmt(x)).join(', ')}`);
    } finally {
      await bare.stop();
      await runtime.stop();
      await hashing.stop();
    }
    console.log(`\nTotal bench time: ${fmt((performance.now() - began) / 1000, 1)} s`);
  } finally {
    await metadata.stop();
    fs.rmSync(dist, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
