import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { ENVIRONMENTS } from '../../environments';
import { synthesizeEnvironments } from '../../environments/app';
import { PRIMITIVE_ROLES, PUBLIC_PRINCIPALS } from '../../infra/src/iam';
import { DEPLOYER_PROJECT_ROLES, PLANNER_PROJECT_ROLES, STATE_READER_ROLE } from '../../infra/src/security/deployer-identity';
import { RuntimeSettings, SECRET_PLACEHOLDER } from '../../runtime/src/contract';
import { synthesizeStacks } from '../helpers/environment-stacks';
import { TerraformJson, allResources, onlyResource, resourcesOf } from '../helpers/synth';

const stacks = synthesizeStacks();
const dev = stacks.dev;
const prod = stacks.prod;

/** Every string anywhere in a JSON value, with its path. */
function strings(value: unknown, at = ''): [string, string][] {
  if (typeof value === 'string') return [[at, value]];
  if (Array.isArray(value)) return value.flatMap((v, i) => strings(v, `${at}[${i}]`));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => strings(v, `${at}.${k}`));
  return [];
}

function cloudRunEnv(json: TerraformJson): Record<string, { value?: string; value_source?: unknown }> {
  const svc = onlyResource(json, 'google_cloud_run_v2_service');
  return Object.fromEntries(svc.template.containers[0].env.map((e: { name: string }) => [e.name, e]));
}

describe.each(Object.keys(stacks))('stack orchestra-%s', (env) => {
  const json = stacks[env];

  it('has the Google provider pinned to 6.50.0, labels on everything, and a GCS backend', () => {
    expect(json.terraform).toMatchObject({
      required_providers: { google: { source: 'google', version: '6.50.0' } },
      backend: { gcs: { bucket: `orchestra-${env}-tfstate`, prefix: `orchestra/${env}` } },
    });
    expect(json.provider?.google[0]).toMatchObject({ default_labels: { app: 'orchestra', env, 'managed-by': 'cdktf' } });
  });

  it('grants no basic role and nothing to a public principal', () => {
    for (const [where, value] of strings(json.resource)) {
      expect({ where, role: PRIMITIVE_ROLES.includes(value) }).toEqual({ where, role: false });
      expect({ where, public: PUBLIC_PRINCIPALS.includes(value) }).toEqual({ where, public: false });
    }
    const roles = allResources(json).filter(([type]) => type.endsWith('_iam_member')).map(([, r]) => r.role as string);
    expect(roles.length).toBeGreaterThan(0);
    // The deployer's roles are its own named, justified list (deployer-identity.ts); everything
    // else is one of the runtime's narrow grants.
    const deployerRoles = new Set([
      ...DEPLOYER_PROJECT_ROLES.map((r) => r.role),
      ...PLANNER_PROJECT_ROLES.map((r) => r.role),
      STATE_READER_ROLE,
      'roles/iam.workloadIdentityUser',
      'roles/iam.serviceAccountAdmin',
      'roles/iam.serviceAccountUser',
    ]);
    // Custom roles hold exactly what the runtime's calls check (iam-contract.test.ts).
    for (const role of roles.filter((r) => !deployerRoles.has(r))) {
      expect(role).toMatch(/^roles\/(secretmanager\.secretAccessor|run\.invoker|telemetry\.tracesWriter)$|^\$\{google_project_iam_custom_role\.[^.]+\.name\}$/);
    }
  });

  it('contains no literal secret value', () => {
    for (const version of resourcesOf(json, 'google_secret_manager_secret_version')) {
      // A reference, or the marker a first deploy writes until an operator adds the value.
      if (version.secret_data === SECRET_PLACEHOLDER) expect(version.lifecycle).toEqual({ ignore_changes: ['secret_data'] });
      else expect(version.secret_data).toMatch(/^\$\{[^}]+\}$/);
    }
    for (const [name, variable] of Object.entries(cloudRunEnv(json))) {
      if (/(PASSWORD|SECRET|TOKEN|API_KEYS?)$/.test(name)) expect({ name, source: variable.value_source }).toEqual({ name, source: expect.anything() });
    }
    const credentialShapes = /(sk-[A-Za-z0-9]{10,}|AIza[0-9A-Za-z_-]{20,}|-----BEGIN [A-Z ]*PRIVATE KEY|"private_key"|:\/\/[^/\s:@]+:[^/\s@]+@)/;
    for (const [where, value] of strings(json)) expect({ where, credential: credentialShapes.test(value) }).toEqual({ where, credential: false });
  });

  it('makes every resource wait for the project APIs', () => {
    for (const [type, resource] of allResources(json)) {
      if (type === 'google_project_service') continue;
      expect({ type, waits: (resource.depends_on ?? []).some((d: string) => d.startsWith('google_project_service.')) }).toEqual({ type, waits: true });
    }
  });

  it('wires every backend setting of the runtime from the other resources', () => {
    const vars = cloudRunEnv(json);
    for (const name of [
      RuntimeSettings.environment,
      RuntimeSettings.projectId,
      RuntimeSettings.region,
      RuntimeSettings.redisHost,
      RuntimeSettings.redisPort,
      RuntimeSettings.redisTls,
      RuntimeSettings.mongoUri,
      RuntimeSettings.mongoDatabase,
      RuntimeSettings.vectorIndex,
      RuntimeSettings.vectorIndexEndpoint,
      RuntimeSettings.vectorDeployedIndexId,
      RuntimeSettings.vectorQueryHost,
      RuntimeSettings.embeddingModel,
      RuntimeSettings.apiKeys,
      RuntimeSettings.llmConfig,
    ]) {
      expect({ name, set: name in vars }).toEqual({ name, set: true });
    }
    expect(vars[RuntimeSettings.vectorIndex].value).toMatch(/^\$\{google_vertex_ai_index\.\S+\.id\}$/);
    expect(vars[RuntimeSettings.redisHost].value).toMatch(/^\$\{google_redis_instance\.\S+\.host\}$/);
    expect(vars[RuntimeSettings.apiKeys].value_source).toBeDefined();
  });

  it('has outputs an operator needs', () => {
    expect(Object.keys(json.output ?? {})).toEqual(
      expect.arrayContaining(['service_url', 'redis_host', 'vector_index', 'vector_index_endpoint', 'vector_deployed_index_id', 'artifact_repository', 'runtime_service_account', 'secrets_to_fill']),
    );
  });
});

describe('labels', () => {
  it('keep the keys a config gives, hyphens included', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orchestra-labels-'));
    try {
      const labelled = { ...ENVIRONMENTS[0], labels: { 'cost-center': 'ml-platform' } };
      synthesizeEnvironments([labelled], { outdir: dir, shell: {} });
      const json = JSON.parse(fs.readFileSync(path.join(dir, 'stacks', 'orchestra-dev', 'cdk.tf.json'), 'utf8')) as TerraformJson;
      expect(json.provider?.google[0]).toMatchObject({ default_labels: { 'cost-center': 'ml-platform', 'managed-by': 'cdktf' } });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('dev versus prod', () => {
  it('uses HA Redis with AUTH and TLS in prod, a basic instance in dev', () => {
    expect(onlyResource(dev, 'google_redis_instance')).toMatchObject({ tier: 'BASIC', auth_enabled: false, transit_encryption_mode: 'DISABLED' });
    expect(onlyResource(prod, 'google_redis_instance')).toMatchObject({ tier: 'STANDARD_HA', auth_enabled: true, transit_encryption_mode: 'SERVER_AUTHENTICATION' });
    expect(cloudRunEnv(prod)[RuntimeSettings.redisPassword].value_source).toBeDefined();
    // Every CA Memorystore lists (two during a rotation), not only the first.
    expect(cloudRunEnv(prod)[RuntimeSettings.redisCaCert].value).toMatch(/^\$\{join\("\\n", google_redis_instance\.\w+\.server_ca_certs\[\*\]\.cert\)\}$/);
    expect(cloudRunEnv(dev)[RuntimeSettings.redisPassword]).toBeUndefined();
  });

  it('protects every stateful resource from deletion in prod only', () => {
    expect(onlyResource(prod, 'google_redis_instance').lifecycle).toEqual({ prevent_destroy: true });
    expect(onlyResource(prod, 'google_firestore_database')).toMatchObject({ delete_protection_state: 'DELETE_PROTECTION_ENABLED', deletion_policy: 'ABANDON' });
    expect(onlyResource(prod, 'google_storage_bucket').force_destroy).toBe(false);
    expect(onlyResource(prod, 'google_cloud_run_v2_service').deletion_protection).toBe(true);
    for (const secret of resourcesOf(prod, 'google_secret_manager_secret')) expect(secret.deletion_protection).toBe(true);

    expect(onlyResource(dev, 'google_redis_instance').lifecycle).toBeUndefined();
    expect(onlyResource(dev, 'google_firestore_database').deletion_policy).toBe('DELETE');
    expect(onlyResource(dev, 'google_cloud_run_v2_service').deletion_protection).toBe(false);
  });

  it('keeps prod warm and off the public internet, behind the HTTPS load balancer', () => {
    const prodService = onlyResource(prod, 'google_cloud_run_v2_service');
    expect(prodService.ingress).toBe('INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER');
    expect(prodService.template.scaling.min_instance_count).toBeGreaterThanOrEqual(1);
    expect(resourcesOf(prod, 'google_compute_global_forwarding_rule')).toHaveLength(1);
    expect(onlyResource(dev, 'google_cloud_run_v2_service').template.scaling.min_instance_count).toBe(0);
    expect(resourcesOf(dev, 'google_compute_global_forwarding_rule')).toHaveLength(0);
    expect(resourcesOf(prod, 'google_cloud_run_v2_service_iam_member')).toHaveLength(0);
  });

  it('queries vectors over Private Service Connect in prod, the public endpoint in dev', () => {
    expect(onlyResource(prod, 'google_vertex_ai_index_endpoint').public_endpoint_enabled).toBe(false);
    expect(cloudRunEnv(prod)[RuntimeSettings.vectorQueryHost].value).toMatch(/google_compute_address\.\S+\.address/);
    expect(onlyResource(dev, 'google_vertex_ai_index_endpoint').public_endpoint_enabled).toBe(true);
    expect(cloudRunEnv(dev)[RuntimeSettings.vectorQueryHost].value).toMatch(/public_endpoint_domain_name/);
    expect(onlyResource(prod, 'google_vertex_ai_index_endpoint_deployed_index').dedicated_resources.min_replica_count).toBe(2);
  });
});

describe('the app entry point', () => {
  const run = (extraEnv: NodeJS.ProcessEnv) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orchestra-main-'));
    const result = spawnSync(path.join('node_modules', '.bin', 'tsx'), ['environments/main.ts'], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, CDKTF_OUTDIR: dir, ...extraEnv },
      encoding: 'utf8',
    });
    const written = fs.existsSync(path.join(dir, 'stacks')) ? fs.readdirSync(path.join(dir, 'stacks')).sort() : [];
    fs.rmSync(dir, { recursive: true, force: true });
    return { ...result, written };
  };

  it('synthesizes the three stacks into CDKTF_OUTDIR', () => {
    const result = run({});
    expect(result.status).toBe(0);
    expect(result.written).toEqual(['orchestra-dev', 'orchestra-prod', 'orchestra-staging']);
  });

  it('is what the cdktf CLI runs (cdktf.json), on the project\'s Node: `cdktf synth` writes the three stacks', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orchestra-cli-'));
    try {
      // The CLI's pseudo-terminal module has no prebuilt binary for Node 24: the postinstall builds it.
      const result = spawnSync(path.join('node_modules', '.bin', 'cdktf'), ['synth', '--output', dir], {
        env: { PATH: process.env.PATH, HOME: process.env.HOME, CHECKPOINT_DISABLE: '1', CI: 'true' },
        encoding: 'utf8',
        timeout: 120_000,
      });
      expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: expect.not.stringMatching(/ERR_DLOPEN_FAILED|pty\.node/) });
      expect(fs.readdirSync(path.join(dir, 'stacks')).sort()).toEqual(['orchestra-dev', 'orchestra-prod', 'orchestra-staging']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('exits non-zero with one message naming environment, field and rule, writing nothing', () => {
    const result = run({ ORCHESTRA_PROD_PROJECT_ID: 'Not_A_Project' });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/orchestra-prod: invalid environment config:\n {2}- projectId: must be 6-30 lowercase/);
    expect(result.stderr).not.toMatch(/at .*\.ts:\d+/); // a message, not a stack trace
    expect(result.written).toEqual([]);
  });
});
