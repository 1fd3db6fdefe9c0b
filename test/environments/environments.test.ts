import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ENVIRONMENTS, EnvironmentConfigError, EnvironmentInput, loadEnvironment } from '../../environments';
import dev from '../../environments/dev';
import prod from '../../environments/prod';
import staging from '../../environments/staging';
import { InvalidEnvironmentsError, synthesizeEnvironments } from '../../environments/app';
import { geminiLlmConfig } from '../../runtime/src/contract';

/** A deep copy of `base` with `patch` applied at a dotted path. */
function withField(base: EnvironmentInput, dotted: string, value: unknown): EnvironmentInput {
  const copy = structuredClone(base) as Record<string, any>;
  const keys = dotted.split('.');
  let node = copy;
  for (const k of keys.slice(0, -1)) node = node[k] ??= {};
  node[keys.at(-1)!] = value;
  return copy as EnvironmentInput;
}

function problemsOf(input: EnvironmentInput, shell: NodeJS.ProcessEnv = {}): string {
  try {
    loadEnvironment(input, shell);
  } catch (error) {
    expect(error).toBeInstanceOf(EnvironmentConfigError);
    return (error as Error).message;
  }
  throw new Error('expected the config to be rejected');
}

describe('environment configs', () => {
  it.each(ENVIRONMENTS.map((e) => [e.name, e]))('%s is valid as checked in', (_name, input) => {
    expect(() => loadEnvironment(input, {})).not.toThrow();
  });

  it('fills documented defaults', () => {
    const config = loadEnvironment(dev, {});
    expect(config.prefix).toBe('orchestra');
    expect(config.vectorSearch.dimensions).toBeUndefined(); // the model's own width, decided by the index construct
    expect(config.vectorSearch).toMatchObject({ embeddingModel: 'text-embedding-005', approximateNeighborsCount: 150, leafNodeEmbeddingCount: 500, leafNodesToSearchPercent: 10 });
    expect(config.runtime).toMatchObject({ deploy: true, concurrency: 80, invokers: [], allowPublicInvocation: false, llmProviders: [] });
    // Gemini on Vertex AI by default: a deployed environment never answers with the offline model.
    expect(config.runtime.llm).toEqual(geminiLlmConfig());
  });

  it('makes production stricter than development where production needs it', () => {
    const d = loadEnvironment(dev, {});
    const p = loadEnvironment(prod, {});
    expect([d.redis.tier, p.redis.tier]).toEqual(['BASIC', 'STANDARD_HA']);
    expect([d.deletionProtection, p.deletionProtection]).toEqual([false, true]);
    expect(p.runtime.minInstances).toBeGreaterThanOrEqual(1);
    expect(p.runtime.ingress).not.toBe('all');
    expect(p.vectorSearch.minReplicas).toBeGreaterThan(d.vectorSearch.minReplicas);
  });
});

describe('validation rules (each names the environment, the field and the rule)', () => {
  it.each<[string, EnvironmentInput, RegExp]>([
    ['empty project id', withField(dev, 'projectId', ''), /orchestra-dev[\s\S]*projectId: must be 6-30 lowercase/],
    ['project id with capitals', withField(dev, 'projectId', 'My-Project'), /projectId: must be 6-30/],
    ['unknown region format', withField(dev, 'region', 'us_central'), /region: must be a Google Cloud region such as us-central1/],
    ['min instances above max', withField(dev, 'runtime.minInstances', 5), /runtime\.maxInstances: must be at least runtime\.minInstances \(5\), got 3/],
    ['replicas min above max', withField(staging, 'vectorSearch.minReplicas', 3), /orchestra-staging[\s\S]*vectorSearch\.maxReplicas: must be at least vectorSearch\.minReplicas \(3\)/],
    ['overlapping CIDRs', withField(dev, 'network.privateServicesCidr', '10.10.0.0/16'), /network\.privateServicesCidr: 10\.10\.0\.0\/16 overlaps network\.subnetCidr 10\.10\.0\.0\/24/],
    ['non-canonical CIDR', withField(dev, 'network.subnetCidr', '10.10.0.7/24'), /network\.subnetCidr: must be an IPv4 CIDR in canonical form/],
    ['subnet too small for Direct VPC egress', withField(dev, 'network.subnetCidr', '10.10.0.0/27'), /network\.subnetCidr: .*\/26 or larger/],
    ['prod without deletion protection', withField(prod, 'deletionProtection', false), /orchestra-prod[\s\S]*deletionProtection: must be true in production/],
    ['prod on BASIC Redis', withField(prod, 'redis.tier', 'BASIC'), /redis\.tier: must be STANDARD_HA in production, got BASIC/],
    ['prod scaled to zero', withField(prod, 'runtime.minInstances', 0), /runtime\.minInstances: must be at least 1 in production/],
    ['prod with public ingress', withField(prod, 'runtime.ingress', 'all'), /runtime\.ingress: must not be "all" in production/],
    ['prod with one vector replica', withField(prod, 'vectorSearch.minReplicas', 1), /vectorSearch\.minReplicas: must be at least 2 in production/],
    ['staging without Redis AUTH', withField(staging, 'redis.authEnabled', false), /redis\.authEnabled: must be true outside development \(kind "staging"\)/],
    ['staging without Redis TLS', withField(staging, 'redis.transitEncryption', false), /redis\.transitEncryption: must be true outside development/],
    ['a public invoker', withField(dev, 'runtime.invokers', ['allUsers']), /runtime\.invokers\[0\]: "allUsers" is public; set runtime\.allowPublicInvocation/],
    ['a malformed invoker', withField(dev, 'runtime.invokers', ['bob@example.com']), /runtime\.invokers\[0\]: must be an IAM member/],
    ['domains behind internal-only ingress', withField(prod, 'runtime.ingress', 'internal'), /runtime\.ingress: must be "internal-and-load-balancer" when runtime\.domains are set, got "internal"/],
    ['domains beside public ingress', withField(withField(prod, 'kind', 'staging'), 'runtime.ingress', 'all'), /runtime\.ingress: must be "internal-and-load-balancer" when runtime\.domains are set, got "all"/],
    ['a load-balancer ingress with no load balancer', withField(prod, 'runtime.domains', []), /runtime\.domains: give the load balancer its domains: with ingress "internal-and-load-balancer" and no load balancer, nothing outside the VPC can reach the service/],
    ['an unknown field', withField(dev, 'runtime.replicas', 3), /runtime\.replicas: unknown field/],
    ['an unknown redis tier', withField(dev, 'redis.tier', 'PREMIUM'), /redis\.tier: expected one of "BASIC"\|"STANDARD_HA"/],
    ['an unknown mid-term kind', withField(dev, 'midTerm.kind', 'dynamo'), /midTerm\.kind: /],
    ['a bad label value', withField(dev, 'labels', { team: 'Platform Team' }), /labels\.team: label values are lowercase/],
  ])('rejects %s', (_rule, input, message) => {
    expect(problemsOf(input)).toMatch(message);
  });

  it('checks the LLM configuration with the runtime’s own parser', () => {
    const good = withField(withField(prod, 'runtime.llmProviders', ['openai']), 'runtime.llm', {
      deployments: [{ name: 'primary', provider: 'openai-compatible', model: 'gpt-4o-mini', baseUrl: 'http://litellm.internal:4000/v1', apiKeyProvider: 'openai' }],
    });
    expect(loadEnvironment(good, {}).runtime.llm).toBeDefined();
    expect(problemsOf(withField(prod, 'runtime.llm', { deployments: [{ name: 'x', provider: 'carrier-pigeon', model: 'm' }] }))).toMatch(/runtime\.llm\.deployments\[0\]\.provider: one of openai-compatible, vertex-gemini, offline/);
    // A key the config names must be one of the environment's LLM provider secrets.
    expect(problemsOf(withField(prod, 'runtime.llm', { deployments: [{ name: 'p', provider: 'openai-compatible', model: 'm', baseUrl: 'http://x:1/v1', apiKeyProvider: 'anthropic' }] }))).toMatch(
      /runtime\.llm\.deployments\[0\]\.apiKeyProvider: "anthropic" has no key secret: add it to runtime\.llmProviders/,
    );
  });

  it('refuses an index wider than its embedding model gives', () => {
    expect(problemsOf(withField(dev, 'vectorSearch.dimensions', 1024))).toMatch(/vectorSearch\.dimensions: text-embedding-005 gives at most 768 dimensions, got 1024/);
    const gemini = withField(withField(dev, 'vectorSearch.embeddingModel', 'gemini-embedding-001'), 'vectorSearch.dimensions', 1536);
    expect(loadEnvironment(gemini, {}).vectorSearch).toMatchObject({ embeddingModel: 'gemini-embedding-001', dimensions: 1536 });
  });

  it('reports every problem of a config in one message', () => {
    const bad = withField(withField(prod, 'deletionProtection', false), 'runtime.minInstances', 0);
    const message = problemsOf(bad);
    expect(message).toMatch(/deletionProtection/);
    expect(message).toMatch(/runtime\.minInstances/);
  });
});

describe('shell overrides', () => {
  it('point an environment at the user\'s own project, state bucket and image', () => {
    const config = loadEnvironment(dev, {
      ORCHESTRA_DEV_PROJECT_ID: 'my-own-project',
      ORCHESTRA_DEV_STATE_BUCKET: 'my-state',
      ORCHESTRA_DEV_IMAGE: 'us-docker.pkg.dev/x/y/runtime@sha256:abc',
      ORCHESTRA_DEV_DEPLOY_RUNTIME: 'false',
      ORCHESTRA_PROD_PROJECT_ID: 'ignored-for-dev',
    });
    expect(config).toMatchObject({ projectId: 'my-own-project', state: { bucket: 'my-state' }, runtime: { image: 'us-docker.pkg.dev/x/y/runtime@sha256:abc', deploy: false } });
  });

  it('are validated like the file itself', () => {
    expect(problemsOf(dev, { ORCHESTRA_DEV_PROJECT_ID: 'X' })).toMatch(/orchestra-dev[\s\S]*projectId/);
    expect(problemsOf(dev, { ORCHESTRA_DEV_DEPLOY_RUNTIME: 'yes' })).toMatch(/ORCHESTRA_DEV_DEPLOY_RUNTIME: must be "true" or "false", got "yes"/);
  });

  it('leave the checked-in config untouched', () => {
    loadEnvironment(dev, { ORCHESTRA_DEV_PROJECT_ID: 'my-own-project', ORCHESTRA_DEV_IMAGE: 'img' });
    expect(dev.projectId).toBe('orchestra-dev');
    expect(dev.runtime.image).toBeUndefined();
  });
});

describe('synth with an invalid environment', () => {
  let outdir: string;
  beforeEach(() => {
    outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'orchestra-synth-'));
  });
  afterEach(() => fs.rmSync(outdir, { recursive: true, force: true }));

  it('writes nothing, and removes a stale output of the failing environment', () => {
    synthesizeEnvironments(ENVIRONMENTS, { outdir, shell: {} });
    expect(fs.readdirSync(path.join(outdir, 'stacks')).sort()).toEqual(['orchestra-dev', 'orchestra-prod', 'orchestra-staging']);
    const devBefore = fs.statSync(path.join(outdir, 'stacks', 'orchestra-dev', 'cdk.tf.json')).mtimeMs;

    expect(() => synthesizeEnvironments(ENVIRONMENTS, { outdir, shell: { ORCHESTRA_PROD_PROJECT_ID: 'BAD' } })).toThrow(InvalidEnvironmentsError);
    expect(fs.existsSync(path.join(outdir, 'stacks', 'orchestra-prod'))).toBe(false);
    // The valid environments were not re-synthesized (nothing is written when any config fails).
    expect(fs.statSync(path.join(outdir, 'stacks', 'orchestra-dev', 'cdk.tf.json')).mtimeMs).toBe(devBefore);
  });

  it('names each failing environment', () => {
    try {
      synthesizeEnvironments(ENVIRONMENTS, { outdir, shell: { ORCHESTRA_DEV_PROJECT_ID: '', ORCHESTRA_PROD_DEPLOY_RUNTIME: 'maybe' } });
      throw new Error('expected a failure');
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidEnvironmentsError);
      expect((error as InvalidEnvironmentsError).errors.map((e) => e.environment)).toEqual(['dev', 'prod']);
    }
    expect(fs.existsSync(path.join(outdir, 'stacks'))).toBe(false);
  });
});
