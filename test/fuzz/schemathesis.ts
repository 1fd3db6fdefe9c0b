// `npm run fuzz`: schemathesis (PyPI, pinned, its own venv cached under ~/.cache/orchestra)
// generates requests from the runtime's own OpenAPI document (/docs/json) and runs every check
// against the service, on real Redis and MongoDB-wire servers (`npm run local`'s), with auth on:
// the API key of a deployed environment, the offline model said on purpose.
//
//   npm run fuzz                       50 examples per operation (FUZZ_MAX_EXAMPLES; .ci/run: 200)
//   FUZZ_SEED=1 npm run fuzz           other requests (the default seed makes the same ones each run)
//   npm run fuzz -- --include-path /v1/memory --phases fuzzing     more options of `st run`
//
// Exits with schemathesis's status: 0 only when no check failed, no request errored and no
// warning was given (schemathesis.toml makes warnings fail the run); 2 when the document could
// not be loaded. And 1 when the runtime exits during the run.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort } from '../servers/process-server';
import { startLocal } from '../servers/local';

const SCHEMATHESIS_VERSION = '4.32.5';
const VENV = path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'orchestra', `schemathesis-${SCHEMATHESIS_VERSION}`);
const MAX_EXAMPLES = process.env.FUZZ_MAX_EXAMPLES ?? '50';
/** What the command line does not say: warnings fail the run, no state kept between runs, the team to message. */
const CONFIG = path.join(__dirname, 'schemathesis.toml');

/** The venv with the pinned schemathesis, made once. */
function ensureSchemathesis(): string {
  const st = path.join(VENV, 'bin', 'st');
  if (!fs.existsSync(st)) {
    console.log(`installing schemathesis ${SCHEMATHESIS_VERSION} into ${VENV} (once)`);
    fs.rmSync(VENV, { recursive: true, force: true });
    execFileSync('python3', ['-m', 'venv', VENV], { stdio: 'inherit' });
    execFileSync(path.join(VENV, 'bin', 'pip'), ['install', '--quiet', '--disable-pip-version-check', '--no-input', `schemathesis==${SCHEMATHESIS_VERSION}`], { stdio: 'inherit' });
  }
  return st;
}

/**
 * The shipped teams, and a team whose assistant has a tool needing approval: schemathesis can then
 * resume a real stopped run (its id given through FUZZ_RUN_ID) instead of only ever meeting 404.
 */
function fuzzTeams(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orchestra-fuzz-teams-'));
  const shipped = path.join(__dirname, '..', '..', 'runtime', 'teams');
  for (const file of fs.readdirSync(shipped)) fs.copyFileSync(path.join(shipped, file), path.join(dir, file));
  fs.writeFileSync(
    path.join(dir, 'approvals.yaml'),
    [
      'id: approvals',
      'description: An assistant whose transfers need approval.',
      'coordinator: coordinator',
      'agents:',
      '  - { name: coordinator, type: coordinator, description: Routes to the assistant., config: { fallbackMember: assistant } }',
      '  - name: assistant',
      '    type: llm',
      '    description: Transfers money when asked.',
      '    capabilities: [chat]',
      `    config: { systemPrompt: Transfer money when asked., tools: { functions: [{ module: ${JSON.stringify(path.join(__dirname, 'approval-tools.ts'))} }] } }`,
      '',
    ].join('\n'),
  );
  return dir;
}

/** A run stopped for approval: the offline model calls the tool whose words the message shares. */
async function stoppedRun(url: string, key: string): Promise<string> {
  const res = await fetch(`${url}/v1/teams/approvals/messages`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ conversationId: 'fuzz-approval', content: 'transfer money to account 42' }),
  });
  const body = (await res.json()) as { runId?: string };
  if (res.status !== 202 || !body.runId) throw new Error(`expected a run stopped for approval (202), got ${res.status}: ${JSON.stringify(body)}`);
  return body.runId;
}

async function main(): Promise<void> {
  const schemathesis = ensureSchemathesis();
  const teams = fuzzTeams();
  const port = await freePort();
  const key = randomBytes(24).toString('hex');
  const adminKey = randomBytes(24).toString('hex');
  const local = await startLocal({
    port,
    quiet: true,
    extraEnv: {
      ORCHESTRA_ENV: 'fuzz',
      ORCHESTRA_HOST: '127.0.0.1',
      ORCHESTRA_API_KEYS: `fuzz=${key}`,
      // The admin routes too (a tenant purge of whatever tenant schemathesis names).
      ORCHESTRA_ADMIN_API_KEYS: `fuzz-operator=${adminKey}`,
      ORCHESTRA_LLM_CONFIG: JSON.stringify({ deployments: [{ name: 'offline', provider: 'offline', model: 'offline' }], allowOfflineOnly: true }),
      // Policy, not what is fuzzed: a 429 halfway would hide the answers after it.
      ORCHESTRA_RATE_LIMIT_PER_MINUTE: '1000000',
      ORCHESTRA_TEAMS_DIR: teams,
    },
  });
  let status = 1;
  try {
    await local.ready();
    const runId = await stoppedRun(local.url, key);
    const st = spawn(
      schemathesis,
      [
        '--config-file', CONFIG,
        'run', `${local.url}/docs/json`,
        '--checks', 'all',
        '--max-examples', MAX_EXAMPLES,
        '--seed', process.env.FUZZ_SEED ?? '20261201',
        '--no-color',
        ...process.argv.slice(2),
      ],
      // Hypothesis keeps its Unicode tables and constants beside the venv, not in the repository.
      { stdio: 'inherit', env: { ...process.env, SCHEMATHESIS_TELEMETRY: 'false', HYPOTHESIS_STORAGE_DIRECTORY: path.join(VENV, 'hypothesis'), FUZZ_API_KEY: key, FUZZ_ADMIN_API_KEY: adminKey, FUZZ_RUN_ID: runId } },
    );
    // A runtime that dies mid-run fails the run at once: schemathesis would go on reporting a
    // connection error per request for many minutes (a network error is an error: status 1).
    const died = () => {
      console.error(`the runtime exited (${local.runtime.exitCode ?? local.runtime.signalCode}) during the fuzz run`);
      st.kill('SIGTERM');
    };
    local.runtime.once('exit', died);
    status = await new Promise<number>((resolve) => {
      st.once('error', (error) => (console.error(error), resolve(1)));
      st.once('exit', (code) => resolve(local.runtime.exitCode !== null || local.runtime.signalCode !== null ? 1 : (code ?? 1)));
    });
    local.runtime.off('exit', died);
  } finally {
    await local.stop();
    fs.rmSync(teams, { recursive: true, force: true });
  }
  process.exitCode = status;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
