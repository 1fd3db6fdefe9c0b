// The delivery files are checked here, so a typo fails this suite rather than the first push:
// .github/workflows/infrastructure.yml (structure, and actionlint) and runtime/cloudbuild.yaml.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse } from 'yaml';
import { ENVIRONMENTS } from '../../environments';

const ROOT = path.resolve(__dirname, '../..');
const WORKFLOW = path.join(ROOT, '.github/workflows/infrastructure.yml');
const CLOUDBUILD = path.join(ROOT, 'runtime/cloudbuild.yaml');

/** actionlint, pinned; built from the Go module proxy into the tools cache on first use. */
const ACTIONLINT_VERSION = '1.7.7';

type Step = { uses?: string; run?: string; with?: Record<string, unknown>; env?: Record<string, unknown>; name?: string };
type Job = {
  if?: string;
  needs?: string | string[];
  environment?: string | { name: string };
  concurrency?: { group: string; 'cancel-in-progress'?: boolean };
  strategy?: { matrix: { include: { environment: string; key: string }[] } };
  steps: Step[];
};
type Workflow = { on: Record<string, unknown>; permissions: Record<string, string>; env?: Record<string, string>; jobs: Record<string, Job> };

const text = fs.readFileSync(WORKFLOW, 'utf8');
const workflow = parse(text) as Workflow;
const envNames = ENVIRONMENTS.map((e) => e.name as string);
const needsOf = (job: Job) => (job.needs === undefined ? [] : Array.isArray(job.needs) ? job.needs : [job.needs]);
const runs = (job: Job) => job.steps.map((s) => s.run).filter((r): r is string => r !== undefined);
const allSteps = Object.values(workflow.jobs).flatMap((j) => j.steps);

describe('.github/workflows/infrastructure.yml', () => {
  it('runs on pull requests and on pushes to main', () => {
    expect(Object.keys(workflow.on).sort()).toEqual(['pull_request', 'push']);
    expect(workflow.on.push).toEqual({ branches: ['main'] });
  });

  it('may read the repository and mint an OIDC token, nothing else', () => {
    expect(workflow.permissions).toEqual({ contents: 'read', 'id-token': 'write' });
    for (const job of Object.values(workflow.jobs)) expect(job).not.toHaveProperty('permissions');
    expect(workflow.env?.CHECKPOINT_DISABLE).toBe('1');
  });

  it('pins every action to a version', () => {
    const uses = allSteps.map((s) => s.uses).filter((u): u is string => u !== undefined);
    expect(uses.length).toBeGreaterThan(0);
    for (const u of uses) expect(u).toMatch(/^[\w.-]+\/[\w.\/-]+@(v\d+(\.\d+){0,2}|[0-9a-f]{40})$/);
  });

  it('holds no key material and uses workload identity federation for every Google login', () => {
    expect(text).not.toMatch(/credentials_json|private_key|secrets\.|GOOGLE_APPLICATION_CREDENTIALS|BEGIN [A-Z ]*PRIVATE KEY/);
    const logins = allSteps.filter((s) => s.uses?.startsWith('google-github-actions/auth@'));
    expect(logins.length).toBe(2 * envNames.length - 2); // one diff (matrix) + one per deploy job
    for (const step of logins) {
      expect(Object.keys(step.with ?? {}).sort()).toEqual(['service_account', 'workload_identity_provider']);
      expect(String(step.with?.workload_identity_provider)).toMatch(/vars(\.GCP_WIF_PROVIDER_|\[format\('GCP_WIF_PROVIDER_)/);
      expect(String(step.with?.service_account)).toMatch(/vars(\.GCP_DEPLOYER_|\[format\('GCP_PLANNER_)/);
    }
  });

  it('uses the Node version of .nvmrc everywhere', () => {
    const setups = allSteps.filter((s) => s.uses?.startsWith('actions/setup-node@'));
    expect(setups).toHaveLength(Object.keys(workflow.jobs).length);
    for (const s of setups) expect(s.with?.['node-version-file']).toBe('.nvmrc');
  });

  it('tests, synthesizes, scans and validates in the test job', () => {
    const test = workflow.jobs.test;
    expect(test.if).toBeUndefined();
    expect(runs(test).map((r) => r.split(' -- ')[0])).toEqual(expect.arrayContaining(['npm test', 'npm run synth', 'npm run scan', 'npm run validate']));
    const order = ['npm ci', 'npm test', 'npm run synth', 'npm run scan', 'npm run validate'].map((c) => runs(test).findIndex((r) => r.startsWith(c)));
    expect(order).toEqual([...order].sort((a, b) => a - b));
  });

  it('runs only npm scripts that package.json defines', () => {
    const scripts = Object.keys((JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts);
    const used = Object.values(workflow.jobs).flatMap(runs).flatMap((r) => [...r.matchAll(/npm run ([\w:-]+)/g)].map((m) => m[1]));
    expect(used.filter((s) => !scripts.includes(s))).toEqual([]);
  });

  it('diffs every environment on pull requests from this repository', () => {
    const diff = workflow.jobs.diff;
    expect(diff.if).toContain("github.event_name == 'pull_request'");
    expect(needsOf(diff)).toEqual(['test']);
    expect(diff.environment).toBeUndefined(); // a diff must not wait for prod's reviewers
    expect(diff.strategy?.matrix.include).toEqual(envNames.map((environment) => ({ environment, key: environment.toUpperCase() })));
    expect(runs(diff)).toContain('npx cdktf diff "orchestra-${{ matrix.environment }}"');
    // A pull request can edit this workflow, so it gets the read-only planner, never the deployer,
    // and plans without taking the state lock (a write).
    const login = diff.steps.find((s) => s.uses?.startsWith('google-github-actions/auth@'));
    expect(login?.with?.service_account).toBe("${{ vars[format('GCP_PLANNER_{0}', matrix.key)] }}");
    expect(diff.steps.find((s) => s.run?.startsWith('npx cdktf diff'))?.env).toEqual({ TF_CLI_ARGS_plan: '-lock=false' });
  });

  it('deploys dev, then staging, then prod, each in its GitHub environment, one run at a time', () => {
    let previous = 'test';
    for (const env of envNames) {
      const job = workflow.jobs[`deploy-${env}`];
      expect(job).toBeDefined();
      expect(job.if).toBe("github.event_name == 'push' && github.ref == 'refs/heads/main'");
      expect(needsOf(job)).toEqual([previous]);
      expect(job.environment).toBe(env);
      expect(job.concurrency).toEqual({ group: `deploy-${env}`, 'cancel-in-progress': false });
      expect(runs(job)).toContain(`npx cdktf deploy orchestra-${env} --auto-approve`);
      const login = job.steps.find((s) => s.uses?.startsWith('google-github-actions/auth@'));
      expect(login?.with).toEqual({
        workload_identity_provider: `\${{ vars.GCP_WIF_PROVIDER_${env.toUpperCase()} }}`,
        service_account: `\${{ vars.GCP_DEPLOYER_${env.toUpperCase()} }}`,
      });
      // Authenticate after installing: npm ci runs package scripts that need no Google credentials.
      expect(job.steps.findIndex((s) => s === login)).toBeGreaterThan(job.steps.findIndex((s) => s.run?.startsWith('npm ci')));
      previous = `deploy-${env}`;
    }
    expect(Object.keys(workflow.jobs).sort()).toEqual(['diff', 'test', ...envNames.map((e) => `deploy-${e}`)].sort());
  });

  it('runs Terraform without the output wrapper (cdktf parses its output)', () => {
    const tf = allSteps.filter((s) => s.uses?.startsWith('hashicorp/setup-terraform@'));
    expect(tf).toHaveLength(Object.keys(workflow.jobs).length);
    for (const s of tf) expect(s.with?.terraform_wrapper).toBe(false);
  });

  describe('actionlint', () => {
    const binary = actionlintBinary();
    const required = process.env.CI === 'true';
    if (binary === undefined && !required) {
      it.skip(`actionlint ${ACTIONLINT_VERSION}: not available (needs Go and the Go module proxy; required when CI=true)`, () => {});
      return;
    }
    it(`accepts the workflow (actionlint ${ACTIONLINT_VERSION})`, () => {
      if (binary === undefined) throw new Error(`actionlint ${ACTIONLINT_VERSION} is required under CI=true and could not be built (go install github.com/rhysd/actionlint/cmd/actionlint@v${ACTIONLINT_VERSION})`);
      const result = spawnSync(binary, ['-no-color', '-shellcheck=', '-pyflakes=', WORKFLOW], { cwd: ROOT, encoding: 'utf8' });
      expect(`${result.stdout}${result.stderr}`).toBe('');
      expect(result.status).toBe(0);
    });
    it('fails a workflow with a typo (so a pass above means something)', () => {
      if (binary === undefined) throw new Error(`actionlint ${ACTIONLINT_VERSION} is required under CI=true`);
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'actionlint-typo-'));
      try {
        const bad = path.join(dir, 'typo.yml');
        fs.writeFileSync(bad, text.replace('needs: deploy-dev', 'needs: deploy-devv'));
        const result = spawnSync(binary, ['-no-color', '-shellcheck=', '-pyflakes=', bad], { cwd: dir, encoding: 'utf8' });
        expect(result.status).toBe(1);
        expect(result.stdout).toContain('deploy-devv');
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});

describe('runtime/cloudbuild.yaml', () => {
  type CloudBuild = {
    substitutions: Record<string, string>;
    options?: Record<string, unknown>;
    steps: { id?: string; name: string; args: string[] }[];
    images: string[];
  };
  const build = parse(fs.readFileSync(CLOUDBUILD, 'utf8')) as CloudBuild;
  const image = '${_REGION}-docker.pkg.dev/$PROJECT_ID/${_REPOSITORY}/${_IMAGE}:$COMMIT_SHA';

  it('builds runtime/Dockerfile from the repository root, tagged with the commit', () => {
    expect(build.steps).toHaveLength(1);
    const [step] = build.steps;
    expect(step.name).toBe('gcr.io/cloud-builders/docker');
    expect(step.args[0]).toBe('build');
    expect(step.args).toContain('--file=runtime/Dockerfile');
    expect(step.args).toContain(`--tag=${image}`);
    expect(step.args.at(-1)).toBe('.');
    expect(fs.existsSync(path.join(ROOT, 'runtime/Dockerfile'))).toBe(true);
  });

  it('pushes through `images`, so the digest is recorded in the build results', () => {
    expect(build.images).toEqual([image]);
  });

  it('defaults every user substitution it uses to the stack defaults', () => {
    expect(build.substitutions).toEqual({ _REGION: 'us-central1', _REPOSITORY: 'orchestra', _IMAGE: 'runtime' });
    const used = new Set([...JSON.stringify([build.steps, build.images]).matchAll(/\$\{?(_[A-Z_]+)/g)].map((m) => m[1]));
    expect([...used].sort()).toEqual(Object.keys(build.substitutions).sort());
  });
});

/**
 * The actionlint binary, building it with `go install` into the tools cache when missing.
 * Undefined when it cannot be had here (no Go, offline).
 */
function actionlintBinary(): string | undefined {
  const dir = path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'orchestra', 'bin');
  const binary = path.join(dir, `actionlint-${ACTIONLINT_VERSION}`);
  if (fs.existsSync(binary)) return binary;
  const gobin = fs.mkdtempSync(path.join(os.tmpdir(), 'actionlint-'));
  try {
    execFileSync('go', ['install', `github.com/rhysd/actionlint/cmd/actionlint@v${ACTIONLINT_VERSION}`], {
      env: { ...process.env, GOBIN: gobin },
      stdio: 'ignore',
      timeout: 240_000,
    });
    fs.mkdirSync(dir, { recursive: true });
    fs.copyFileSync(path.join(gobin, 'actionlint'), `${binary}.tmp`);
    fs.chmodSync(`${binary}.tmp`, 0o755);
    fs.renameSync(`${binary}.tmp`, binary);
    return binary;
  } catch {
    return undefined;
  } finally {
    fs.rmSync(gobin, { recursive: true, force: true });
  }
}
