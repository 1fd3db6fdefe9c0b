// `npm run fuzz`: schemathesis (PyPI, pinned, its own venv cached under ~/.cache/orchestra)
// generates requests from the runtime's own OpenAPI document (/docs/json) and runs every check
// against the service, on real Redis and MongoDB-wire servers (`npm run local`'s), with auth on:
// the API key of a deployed environment, the offline model said on purpose.
//
//   npm run fuzz                       FUZZ_MAX_EXAMPLES=50 per operation
//
// Exits with schemathesis's status: 0 only when no check failed.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort } from '../servers/process-server';
import { startLocal } from '../servers/local';

const SCHEMATHESIS_VERSION = '4.32.5';
const VENV = path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'orchestra', `schemathesis-${SCHEMATHESIS_VERSION}`);
const MAX_EXAMPLES = process.env.FUZZ_MAX_EXAMPLES ?? '50';

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

async function main(): Promise<void> {
  const st = ensureSchemathesis();
  const port = await freePort();
  const key = randomBytes(24).toString('hex');
  const local = await startLocal({
    port,
    quiet: true,
    extraEnv: {
      ORCHESTRA_ENV: 'fuzz',
      ORCHESTRA_HOST: '127.0.0.1',
      ORCHESTRA_API_KEYS: `fuzz=${key}`,
      ORCHESTRA_LLM_CONFIG: JSON.stringify({ deployments: [{ name: 'offline', provider: 'offline', model: 'offline' }], allowOfflineOnly: true }),
      // Policy, not what is fuzzed: a 429 halfway would hide the answers after it.
      ORCHESTRA_RATE_LIMIT_PER_MINUTE: '1000000',
    },
  });
  let status = 1;
  try {
    await local.ready();
    const run = spawnSync(
      st,
      [
        'run', `${local.url}/docs/json`,
        '--checks', 'all',
        '--max-examples', MAX_EXAMPLES,
        '--header', `Authorization: Bearer ${key}`,
        '--seed', process.env.FUZZ_SEED ?? '20261201',
        '--no-color',
      ],
      { stdio: 'inherit', env: { ...process.env, SCHEMATHESIS_TELEMETRY: 'false' } },
    );
    status = run.status ?? 1;
  } finally {
    await local.stop();
  }
  process.exitCode = status;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
