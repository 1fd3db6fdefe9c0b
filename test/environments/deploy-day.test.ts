/**
 * A first `cdktf deploy` on a fresh project, rehearsed on the synthesized stacks against models
 * of what Google documents (test/helpers: request-paths, workload-identity; infra's
 * RESOURCE_APIS), not against what our constructs believe.
 */
import { ENVIRONMENTS } from '../../environments';
import { PLACEHOLDER_IMAGE, RESOURCE_APIS } from '../../infra/src';
import { RuntimeSettings } from '../../runtime/src/contract';
import { admits, requestPaths } from '../helpers/request-paths';
import { type CloudRunEnvVar, cloudRunVariables } from '../helpers/runtime-env';
import { synthesizeStacks } from '../helpers/environment-stacks';
import { allResources, onlyResource, resourcesOf } from '../helpers/synth';
import { githubClaims, impersonableAccounts } from '../helpers/workload-identity';

const stacks = synthesizeStacks();
const names = Object.keys(stacks);

describe('the way in: every environment has a documented path to an answer', () => {
  it('prod: the load balancer reaches the service, and a client without a Google identity token gets through', () => {
    const paths = requestPaths(stacks.prod).filter((p) => p.entry === 'load-balancer');
    expect(paths).toHaveLength(1);
    expect(admits(stacks.prod, paths[0], 'none')).toEqual({ ok: true });
    // Cloud Armor is the edge's gate in front of the runtime's API keys.
    const backend = onlyResource(stacks.prod, 'google_compute_backend_service');
    expect(backend.security_policy).toMatch(/^\$\{google_compute_security_policy\.[\w-]+\.id\}$/);
    const throttle = onlyResource(stacks.prod, 'google_compute_security_policy').rule.find((r: { action: string }) => r.action === 'throttle');
    expect(throttle.rate_limit_options).toMatchObject({ enforce_on_key: 'IP', exceed_action: 'deny(429)' });
  });

  it('prod: the run.app URL stays closed to the internet', () => {
    const runApp = requestPaths(stacks.prod).find((p) => p.entry === 'run.app')!;
    expect(admits(stacks.prod, runApp, 'identity-token')).toMatchObject({ ok: false, status: 404 });
  });

  it('the old prod (IAM check on behind the load balancer) refused everyone with 403', () => {
    const old = structuredClone(stacks.prod);
    delete onlyResource(old, 'google_cloud_run_v2_service').invoker_iam_disabled;
    const lb = requestPaths(old).find((p) => p.entry === 'load-balancer')!;
    expect(admits(old, lb, 'none')).toMatchObject({ ok: false, status: 403 });
  });

  it.each(['dev', 'staging'])('%s: the run.app URL with a Google identity token (IAM check on), and nothing without one', (env) => {
    const service = onlyResource(stacks[env], 'google_cloud_run_v2_service');
    expect(service.invoker_iam_disabled).toBeUndefined();
    const runApp = requestPaths(stacks[env]).find((p) => p.entry === 'run.app')!;
    expect(admits(stacks[env], runApp, 'identity-token')).toEqual({ ok: true });
    expect(admits(stacks[env], runApp, 'none')).toMatchObject({ ok: false, status: 403 });
  });

  it('the old staging (load-balancer ingress, no load balancer) was reachable from nowhere outside the VPC', () => {
    const old = structuredClone(stacks.staging);
    onlyResource(old, 'google_cloud_run_v2_service').ingress = 'INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER';
    const outside = requestPaths(old).filter((p) => p.entry !== 'vpc');
    expect(outside.map((p) => admits(old, p, 'identity-token').ok)).toEqual([false]);
  });

  it('never turns the IAM check off where the run.app URL is open', () => {
    for (const [env, json] of Object.entries(stacks)) {
      const service = onlyResource(json, 'google_cloud_run_v2_service');
      if (service.invoker_iam_disabled) expect({ env, ingress: service.ingress }).toEqual({ env, ingress: 'INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER' });
    }
  });
});

describe('a first deploy on a fresh project', () => {
  it.each(names)('%s: every resource waits for each API its type is created through (RESOURCE_APIS), and those APIs are enabled', (env) => {
    const json = stacks[env];
    const enabled = new Map(Object.entries(json.resource?.google_project_service ?? {}).map(([id, s]) => [String(s.service), `google_project_service.${id}`]));
    const problems: string[] = [];
    for (const [type, resource] of allResources(json)) {
      if (type === 'google_project_service') continue;
      const known = RESOURCE_APIS[type];
      if (!known) {
        problems.push(`${type}: not in RESOURCE_APIS (infra/src/security/resource-apis.ts) — which API creates it?`);
        continue;
      }
      for (const api of known.apis) {
        const service = enabled.get(api);
        if (!service) problems.push(`${type}: ${api} is not enabled in the stack`);
        else if (!(resource.depends_on ?? []).includes(service)) problems.push(`${type} (${resource['//']?.metadata?.path}): does not wait for ${api}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('enables the Resource Manager API before the project IAM grants (the old stacks did not)', () => {
    for (const json of Object.values(stacks)) {
      const grant = resourcesOf(json, 'google_project_iam_member')[0];
      expect(grant.depends_on).toEqual(expect.arrayContaining([expect.stringMatching(/^google_project_service\.services_cloudresourcemanager_/)]));
    }
  });

  it.each(names)('%s: runs Google’s placeholder container until an image is pushed, never a tag of the still-empty repository', (env) => {
    const service = onlyResource(stacks[env], 'google_cloud_run_v2_service');
    expect(service.template.containers[0].image).toBe(PLACEHOLDER_IMAGE);
  });

  it('runs the pushed image once it is given (ORCHESTRA_<ENV>_IMAGE)', () => {
    const image = 'us-central1-docker.pkg.dev/orchestra-dev/orchestra/runtime@sha256:' + 'a'.repeat(64);
    const dev = ENVIRONMENTS.find((e) => e.name === 'dev')!;
    const json = synthesizeStacks([{ ...dev, runtime: { ...dev.runtime, image } }]).dev;
    expect(onlyResource(json, 'google_cloud_run_v2_service').template.containers[0].image).toBe(image);
  });

  it.each(names)('%s: every secret the service reads has a version in the stack, and the service waits for it', (env) => {
    const json = stacks[env];
    const service = onlyResource(json, 'google_cloud_run_v2_service');
    const secrets = json.resource?.google_secret_manager_secret ?? {};
    const versions = Object.entries(json.resource?.google_secret_manager_secret_version ?? {});
    const referenced = cloudRunVariables(json).filter((v): v is Required<CloudRunEnvVar> => v.value_source !== undefined);
    expect(referenced.map((v) => v.name)).toContain(RuntimeSettings.apiKeys);
    for (const variable of referenced) {
      const secretId = /^\$\{google_secret_manager_secret\.([\w-]+)\.secret_id\}$/.exec(variable.value_source.secret_key_ref.secret)?.[1];
      expect({ variable: variable.name, inStack: secretId !== undefined && secretId in secrets }).toEqual({ variable: variable.name, inStack: true });
      const version = versions.find(([, v]) => v.secret === `\${google_secret_manager_secret.${secretId}.id}`);
      expect({ variable: variable.name, version: version !== undefined }).toEqual({ variable: variable.name, version: true });
      expect(service.depends_on).toContain(`google_secret_manager_secret_version.${version![0]}`);
    }
  });
});

describe('delivery: pull requests plan, environments deploy', () => {
  const repository = 'your-org/orchestra';

  it.each(names)('%s: a pull request’s token can impersonate only the read-only planner', (env) => {
    expect(impersonableAccounts(stacks[env], githubClaims(repository, { pullRequest: 42 }))).toEqual(['orchestra-planner']);
  });

  it.each(names)('%s: only a job of the GitHub environment of the same name acts as the deployer', (env) => {
    for (const other of names) {
      const accounts = impersonableAccounts(stacks[env], githubClaims(repository, { environment: other }));
      expect({ other, accounts }).toEqual({ other, accounts: other === env ? ['orchestra-deployer'] : [] });
    }
    expect(impersonableAccounts(stacks[env], githubClaims(repository, { ref: 'refs/heads/main' }))).toEqual([]);
  });

  it('outputs the planner for the pull-request job (GitHub variable GCP_PLANNER_<ENV>)', () => {
    for (const json of Object.values(stacks)) expect(json.output?.planner_service_account).toBeDefined();
  });
});
