/**
 * The real LiteLLM proxy (PyPI, pinned, its own venv cached under ~/.cache/orchestra) as a test
 * peer: `startLiteLlmProxy(config)` writes the config as YAML to a temp dir, starts
 * `litellm --config … --host 127.0.0.1 --port <free>` in its own process group, and resolves once
 * `/health/liveliness` answers. A random master key (it refuses to start without one), no
 * database: nothing is kept between runs.
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { freePort } from './process-server';

/**
 * The newest release whose `[proxy]` extra resolves from PyPI on python 3.11: from 1.110 on, the
 * extra pins a `litellm-proxy` distribution that PyPI does not serve.
 */
export const LITELLM_VERSION = '1.108.5';
const VENV = path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'orchestra', `litellm-${LITELLM_VERSION}`);
const LITELLM_BIN = path.join(VENV, 'bin', 'litellm');
/** Cold start on 2 cores is some seconds (importing litellm); generous, it is only the failure bound. */
const START_TIMEOUT_MS = 90_000;
const STOP_TIMEOUT_MS = 5_000;

/**
 * Keeps startup short and offline: the model cost map from the package instead of the network,
 * no telemetry, no admin UI or docs, no schema/prisma work (there is no DATABASE_URL anyway).
 */
const QUIET_ENV: Readonly<Record<string, string>> = {
  LITELLM_LOCAL_MODEL_COST_MAP: 'True',
  LITELLM_TELEMETRY: 'False',
  TELEMETRY: 'False',
  DISABLE_ADMIN_UI: 'True',
  NO_DOCS: 'True',
  NO_REDOC: 'True',
  DISABLE_SCHEMA_UPDATE: 'True',
  LITELLM_LOG: 'ERROR',
  PYTHONDONTWRITEBYTECODE: '1',
};

/** One entry of `model_list`: a deployment of the model group `model_name`. */
export interface LiteLlmDeployment {
  readonly model_name: string;
  readonly litellm_params: Readonly<Record<string, unknown>> & { readonly model: string };
  readonly model_info?: Readonly<Record<string, unknown>>;
}

/** LiteLLM's config.yaml, as an object (docs/litellm-router.md lists the keys). */
export interface LiteLlmConfig {
  readonly model_list: readonly LiteLlmDeployment[];
  readonly router_settings?: Readonly<Record<string, unknown>>;
  readonly litellm_settings?: Readonly<Record<string, unknown>>;
  readonly general_settings?: Readonly<Record<string, unknown>>;
}

export interface LiteLlmProxy {
  /** `http://127.0.0.1:<port>`; the OpenAI-compatible routes are under `/v1`. */
  readonly baseUrl: string;
  /** The master key: clients send it as `Authorization: Bearer …`. */
  readonly apiKey: string;
  /** What the proxy printed (the last 16 kB), for a failing test's message. */
  output(): string;
  stop(): Promise<void>;
}

/** The venv with the pinned `litellm[proxy]`, made once (test/servers/install.sh makes it ahead of jest). */
export function ensureLiteLlm(log: (line: string) => void = console.log): string {
  if (!fs.existsSync(LITELLM_BIN)) {
    log(`installing litellm[proxy] ${LITELLM_VERSION} into ${VENV} (once)`);
    fs.rmSync(VENV, { recursive: true, force: true });
    execFileSync('python3', ['-m', 'venv', VENV], { stdio: 'inherit' });
    execFileSync(path.join(VENV, 'bin', 'pip'), ['install', '--quiet', '--disable-pip-version-check', '--no-input', `litellm[proxy]==${LITELLM_VERSION}`], { stdio: 'inherit' });
  }
  return LITELLM_BIN;
}

export async function startLiteLlmProxy(config: LiteLlmConfig): Promise<LiteLlmProxy> {
  const bin = ensureLiteLlm();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'litellm-'));
  const configPath = path.join(dir, 'config.yaml');
  fs.writeFileSync(configPath, stringify(config));
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const apiKey = `sk-${randomBytes(32).toString('hex')}`;
  const env: NodeJS.ProcessEnv = { ...process.env, ...QUIET_ENV, LITELLM_MASTER_KEY: apiKey };
  // A DATABASE_URL or key from the developer's shell would switch on prisma or real providers.
  for (const name of ['DATABASE_URL', 'OPENAI_API_KEY', 'OPENAI_BASE_URL', 'REDIS_HOST', 'REDIS_URL']) delete env[name];
  // Its own process group: `litellm` may fork workers, and stop() ends them all at once.
  const child = spawn(bin, ['--config', configPath, '--host', '127.0.0.1', '--port', String(port), '--num_workers', '1', '--telemetry', 'False'], {
    cwd: dir,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (d: Buffer) => (output = (output + d.toString()).slice(-16_000));
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      const timer = setTimeout(() => killGroup(child.pid!, 'SIGKILL'), STOP_TIMEOUT_MS);
      killGroup(child.pid, 'SIGTERM');
      await exited;
      clearTimeout(timer);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };

  try {
    await waitForLiveliness(baseUrl, () => child.exitCode !== null || child.signalCode !== null);
  } catch (error) {
    await stop();
    throw new Error(`litellm did not start: ${(error as Error).message}\n${output.slice(-4_000)}`);
  }
  return { baseUrl, apiKey, output: () => output, stop };
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is gone already.
  }
}

/** Polls `/health/liveliness` (LiteLLM's "the app is up" route, no upstream calls) until it answers 200. */
async function waitForLiveliness(baseUrl: string, hasExited: () => boolean): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (hasExited()) throw new Error('the process exited');
    try {
      const res = await fetch(`${baseUrl}/health/liveliness`, { signal: AbortSignal.timeout(2_000) });
      if (res.ok) return;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) throw new Error(`no answer on ${baseUrl}/health/liveliness after ${START_TIMEOUT_MS} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
