import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Aspects, TerraformStack } from 'cdktf';
import { CloudRunV2Service, CloudRunV2ServiceConfig } from '@cdktf/provider-google/lib/cloud-run-v2-service';
import { CloudRunV2ServiceIamMember } from '@cdktf/provider-google/lib/cloud-run-v2-service-iam-member';
import { DataGoogleIamPolicy } from '@cdktf/provider-google/lib/data-google-iam-policy';
import { FirestoreDatabase } from '@cdktf/provider-google/lib/firestore-database';
import { ProjectIamBinding } from '@cdktf/provider-google/lib/project-iam-binding';
import { ProjectIamMember } from '@cdktf/provider-google/lib/project-iam-member';
import { ProjectIamPolicy } from '@cdktf/provider-google/lib/project-iam-policy';
import { GoogleProvider } from '@cdktf/provider-google/lib/provider';
import { RedisInstance } from '@cdktf/provider-google/lib/redis-instance';
import { SecretManagerSecret } from '@cdktf/provider-google/lib/secret-manager-secret';
import { SecretManagerSecretVersion } from '@cdktf/provider-google/lib/secret-manager-secret-version';
import { StorageBucket } from '@cdktf/provider-google/lib/storage-bucket';
import { StorageBucketIamMember } from '@cdktf/provider-google/lib/storage-bucket-iam-member';
import { ENVIRONMENTS, EnvironmentSchema, loadEnvironment } from '../../environments';
import { synthesizeEnvironments } from '../../environments/app';
import {
  GUARDRAIL_RULE_IDS,
  GuardrailOptions,
  GuardrailOptionsError,
  GuardrailRule,
  RuleId,
  applyGuardrails,
  orchestraGuardrails,
} from '../../infra/src/guardrails';
import { OrchestraStack } from '../../environments/stack';
import { SECRET_PLACEHOLDER } from '../../runtime/src/contract';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'orchestra-guardrails-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const LABELS = { app: 'orchestra', env: 'test' };

interface StackSetup {
  /** default_labels of the provider; null: none. */
  readonly defaultLabels?: Record<string, string> | null;
}

/**
 * Builds a small stack (a Google provider with default labels, then `build`), applies the
 * guardrails and synthesizes it with `app.synth()`. Returns the error message, or undefined.
 */
function synthError(options: GuardrailOptions, build: (stack: TerraformStack) => void, setup: StackSetup = {}): string | undefined {
  const app = new App({ outdir: fs.mkdtempSync(path.join(root, 'app-')) });
  const stack = new TerraformStack(app, 'bad');
  const provider = new GoogleProvider(stack, 'google', { project: 'my-project', region: 'us-central1' });
  const labels = setup.defaultLabels === undefined ? LABELS : setup.defaultLabels;
  if (labels) provider.addOverride('default_labels', labels);
  build(stack);
  applyGuardrails(stack, options);
  try {
    app.synth();
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/** The error line of `rule` for the construct at `constructPath`. */
function violation(rule: RuleId, constructPath: string): RegExp {
  const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`guardrail ${escape(rule)}: ${escape(constructPath)} \\(`);
}

const service = (stack: TerraformStack, id: string, extra: Partial<CloudRunV2ServiceConfig> = {}) =>
  new CloudRunV2Service(stack, id, {
    name: 'svc',
    location: 'us-central1',
    ingress: 'INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER',
    deletionProtection: true,
    template: { containers: [{ image: 'us-docker.pkg.dev/cloudrun/container/hello' }] },
    ...extra,
  });
const secret = (stack: TerraformStack, id: string, deletionProtection = true) =>
  new SecretManagerSecret(stack, id, { secretId: id, replication: { auto: {} }, deletionProtection });
const redis = (stack: TerraformStack, id: string, secure: boolean, preventDestroy = true) =>
  new RedisInstance(stack, id, {
    name: id,
    memorySizeGb: 1,
    authEnabled: secure,
    transitEncryptionMode: secure ? 'SERVER_AUTHENTICATION' : 'DISABLED',
    lifecycle: { preventDestroy },
  });

describe('the real environments', () => {
  const outdir = path.join(root, 'environments');
  const app = synthesizeEnvironments(ENVIRONMENTS, { outdir, shell: {} }); // app.synth() throws on any guardrail error

  it('synthesize with no guardrail annotation at all', () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(outdir, 'manifest.json'), 'utf8')) as {
      stacks: Record<string, { annotations: { level: string; message: string }[] }>;
    };
    expect(Object.keys(manifest.stacks).sort()).toEqual(['orchestra-dev', 'orchestra-prod', 'orchestra-staging']);
    for (const [name, stack] of Object.entries(manifest.stacks)) {
      expect({ name, errors: stack.annotations.filter((a) => a.level === 'ERROR' || /guardrail/.test(a.message)) }).toEqual({ name, errors: [] });
    }
  });

  it('have the guardrails of their kind applied to every stack', () => {
    const applied = Object.fromEntries(
      app.node.children
        .filter((c): c is OrchestraStack => c instanceof OrchestraStack)
        .map((s) => [s.config.name, Aspects.of(s).all.filter((a): a is GuardrailRule => a instanceof GuardrailRule).map((a) => a.rule)]),
    );
    const everywhere = ['labels', 'no-primitive-roles', 'no-public-principals', 'no-literal-secrets'];
    expect(applied).toEqual({
      dev: everywhere,
      staging: ['labels', 'no-primitive-roles', 'no-public-principals', 'redis-auth-tls', 'no-literal-secrets'],
      prod: [...GUARDRAIL_RULE_IDS],
    });
  });

  it('fail when a resource of the real production stack is changed to break a rule', () => {
    const prod = loadEnvironment(ENVIRONMENTS.find((e) => e.name === 'prod')!, {});
    const prodApp = new App({ outdir: fs.mkdtempSync(path.join(root, 'prod-')) });
    const stack = new OrchestraStack(prodApp, prod);
    const run = stack.node.findAll().find((c): c is CloudRunV2Service => c instanceof CloudRunV2Service)!;
    run.addOverride('ingress', 'INGRESS_TRAFFIC_ALL');
    expect(() => prodApp.synth()).toThrow(violation('private-ingress', run.node.path));
  });
});

describe('labels', () => {
  const bucket = (stack: TerraformStack, labels?: Record<string, string>) =>
    new StorageBucket(stack, 'bucket', { name: 'b', location: 'US', labels });

  it('fails a labellable resource when the provider has no default_labels and the resource none', () => {
    const error = synthError({ kind: 'development' }, (s) => bucket(s), { defaultLabels: null });
    expect(error).toMatch(violation('labels', 'bad/bucket'));
    expect(error).toMatch(/missing label\(s\) "app", "env"/);
  });

  it('fails when default_labels lack env', () => {
    expect(synthError({ kind: 'development' }, (s) => bucket(s), { defaultLabels: { app: 'orchestra' } })).toMatch(/guardrail labels: bad\/bucket .*"env"/);
  });

  it('passes with default_labels, or with app and env on the resource itself', () => {
    expect(synthError({ kind: 'development' }, (s) => bucket(s))).toBeUndefined();
    expect(synthError({ kind: 'development' }, (s) => bucket(s, LABELS), { defaultLabels: null })).toBeUndefined();
  });

  it('ignores resources that take no labels', () => {
    const grant = (s: TerraformStack) => new ProjectIamMember(s, 'grant', { project: 'p', role: 'roles/run.invoker', member: 'user:a@example.com' });
    expect(synthError({ kind: 'development' }, grant, { defaultLabels: null })).toBeUndefined();
  });
});

describe('no-primitive-roles', () => {
  it.each(['roles/owner', 'roles/editor', 'roles/viewer'])('fails an IAM member granting %s', (role) => {
    const error = synthError({ kind: 'development' }, (s) => new ProjectIamMember(s, 'grant', { project: 'p', role, member: 'user:a@example.com' }));
    expect(error).toMatch(violation('no-primitive-roles', 'bad/grant'));
    expect(error).toContain(role);
  });

  it('fails an IAM binding and a literal IAM policy', () => {
    expect(
      synthError({ kind: 'development' }, (s) => new ProjectIamBinding(s, 'binding', { project: 'p', role: 'roles/owner', members: ['group:g@example.com'] })),
    ).toMatch(violation('no-primitive-roles', 'bad/binding'));
    const policyData = JSON.stringify({ bindings: [{ role: 'roles/editor', members: ['group:g@example.com'] }] });
    expect(synthError({ kind: 'development' }, (s) => new ProjectIamPolicy(s, 'policy', { project: 'p', policyData }))).toMatch(
      violation('no-primitive-roles', 'bad/policy'),
    );
  });

  it('fails a basic role in a google_iam_policy data source feeding a policy', () => {
    const error = synthError({ kind: 'development' }, (s) => {
      const data = new DataGoogleIamPolicy(s, 'policy-data', { binding: [{ role: 'roles/viewer', members: ['group:g@example.com'] }] });
      new ProjectIamPolicy(s, 'policy', { project: 'p', policyData: data.policyData });
    });
    expect(error).toMatch(violation('no-primitive-roles', 'bad/policy-data'));
  });

  it('passes a predefined role', () => {
    expect(
      synthError({ kind: 'production' }, (s) => new ProjectIamMember(s, 'grant', { project: 'p', role: 'roles/datastore.user', member: 'user:a@example.com' })),
    ).toBeUndefined();
  });
});

describe('no-public-principals', () => {
  it.each(['allUsers', 'allAuthenticatedUsers'])('fails a grant to %s', (member) => {
    const error = synthError(
      { kind: 'development' },
      (s) => new StorageBucketIamMember(s, 'public-read', { bucket: 'b', role: 'roles/storage.objectViewer', member }),
    );
    expect(error).toMatch(violation('no-public-principals', 'bad/public-read'));
    expect(error).toContain(`"${member}"`);
  });

  it('fails a public member of a binding', () => {
    const error = synthError(
      { kind: 'development' },
      (s) => new ProjectIamBinding(s, 'binding', { project: 'p', role: 'roles/run.invoker', members: ['user:a@example.com', 'allUsers'] }),
    );
    expect(error).toMatch(violation('no-public-principals', 'bad/binding'));
  });

  describe('allowPublicInvoker', () => {
    const invoker = (role = 'roles/run.invoker') => (s: TerraformStack) => {
      const svc = service(s, 'svc');
      new CloudRunV2ServiceIamMember(s, 'public-invoker', { name: svc.name, location: svc.location, role, member: 'allUsers' });
    };

    it('permits allUsers as invoker of a Cloud Run service', () => {
      expect(synthError({ kind: 'production', allowPublicInvoker: true }, invoker())).toBeUndefined();
    });

    it('does not permit it without the option', () => {
      expect(synthError({ kind: 'production' }, invoker())).toMatch(violation('no-public-principals', 'bad/public-invoker'));
    });

    it('does not permit another role on Cloud Run, nor public access to anything else', () => {
      expect(synthError({ kind: 'production', allowPublicInvoker: true }, invoker('roles/run.developer'))).toMatch(
        violation('no-public-principals', 'bad/public-invoker'),
      );
      const bucketGrant = (s: TerraformStack) =>
        new StorageBucketIamMember(s, 'public-read', { bucket: 'b', role: 'roles/run.invoker', member: 'allUsers' });
      expect(synthError({ kind: 'development', allowPublicInvoker: true }, bucketGrant)).toMatch(violation('no-public-principals', 'bad/public-read'));
    });
  });
});

describe('no-public-principals: the IAM invoker check turned off', () => {
  const open = (ingress?: string) => (s: TerraformStack) => {
    const svc = service(s, 'svc');
    svc.invokerIamDisabled = true;
    if (ingress === 'unset') svc.resetIngress();
    else if (ingress) svc.ingress = ingress;
  };

  it('fails it with ingress "all" (or unset): the same as granting allUsers', () => {
    expect(synthError({ kind: 'development' }, open('INGRESS_TRAFFIC_ALL'))).toMatch(violation('no-public-principals', 'bad/svc'));
    expect(synthError({ kind: 'development' }, open('unset'))).toMatch(/invoker_iam_disabled with ingress "INGRESS_TRAFFIC_ALL"/);
    expect(synthError({ kind: 'development', allowPublicInvoker: true }, open('INGRESS_TRAFFIC_ALL'))).toBeUndefined();
  });

  it('passes it behind a load balancer', () => {
    expect(synthError({ kind: 'production', disabled: [{ rule: 'deletion-protection', reason: 'not what this test is about' }] }, open('INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER'))).toBeUndefined();
  });
});

describe('no-literal-secrets: the placeholder', () => {
  it('passes the placeholder marker a first deploy writes, and nothing else literal', () => {
    const write = (secretData: string) => (s: TerraformStack) => new SecretManagerSecretVersion(s, 'version', { secret: secret(s, 'secret').id, secretData });
    expect(synthError({ kind: 'development' }, write(SECRET_PLACEHOLDER))).toBeUndefined();
    expect(synthError({ kind: 'development' }, write(`${SECRET_PLACEHOLDER}x`))).toMatch(violation('no-literal-secrets', 'bad/version'));
  });
});

describe('deletion-protection', () => {
  const unprotected: [string, (s: TerraformStack) => void][] = [
    ['google_firestore_database', (s) => new FirestoreDatabase(s, 'res', { name: 'db', locationId: 'nam5', type: 'FIRESTORE_NATIVE', deleteProtectionState: 'DELETE_PROTECTION_DISABLED' })],
    ['google_cloud_run_v2_service', (s) => service(s, 'res', { deletionProtection: false })],
    ['google_secret_manager_secret', (s) => secret(s, 'res', false)],
    ['google_storage_bucket', (s) => new StorageBucket(s, 'res', { name: 'b', location: 'US', forceDestroy: true })],
    ['google_redis_instance', (s) => redis(s, 'res', true, false)],
  ];

  it.each(unprotected)('fails an unprotected %s in production', (type, build) => {
    const error = synthError({ kind: 'production' }, build);
    expect(error).toMatch(violation('deletion-protection', 'bad/res'));
    expect(error).toContain(`(${type})`);
  });

  it.each(unprotected)('does not apply to %s outside production', (_type, build) => {
    expect(synthError({ kind: 'staging' }, build)).toBeUndefined();
  });

  it('passes protected resources in production', () => {
    const error = synthError({ kind: 'production' }, (s) => {
      new FirestoreDatabase(s, 'db', { name: 'db', locationId: 'nam5', type: 'FIRESTORE_NATIVE', deleteProtectionState: 'DELETE_PROTECTION_ENABLED' });
      service(s, 'svc');
      secret(s, 'secret');
      new StorageBucket(s, 'bucket', { name: 'b', location: 'US', forceDestroy: false });
      redis(s, 'redis', true);
    });
    expect(error).toBeUndefined();
  });
});

describe('redis-auth-tls', () => {
  it.each(['staging', 'production'] as const)('fails Redis without AUTH and TLS in %s', (kind) => {
    const error = synthError({ kind }, (s) => redis(s, 'cache', false));
    expect(error).toMatch(violation('redis-auth-tls', 'bad/cache'));
    expect(error).toMatch(/auth_enabled must be true/);
    expect(error).toMatch(/transit_encryption_mode must be "SERVER_AUTHENTICATION"/);
  });

  it('allows it in development, and passes AUTH + TLS elsewhere', () => {
    expect(synthError({ kind: 'development' }, (s) => redis(s, 'cache', false))).toBeUndefined();
    expect(synthError({ kind: 'staging' }, (s) => redis(s, 'cache', true))).toBeUndefined();
  });
});

describe('private-ingress', () => {
  it('fails a production Cloud Run service open to all traffic, or left at the default', () => {
    expect(synthError({ kind: 'production' }, (s) => service(s, 'svc', { ingress: 'INGRESS_TRAFFIC_ALL' }))).toMatch(violation('private-ingress', 'bad/svc'));
    expect(synthError({ kind: 'production' }, (s) => service(s, 'svc', { ingress: undefined }))).toMatch(/guardrail private-ingress: bad\/svc .*unset/);
  });

  it('allows it outside production', () => {
    expect(synthError({ kind: 'staging' }, (s) => service(s, 'svc', { ingress: 'INGRESS_TRAFFIC_ALL' }))).toBeUndefined();
  });
});

describe('no-literal-secrets', () => {
  it('fails a secret version with literal data', () => {
    const error = synthError({ kind: 'development' }, (s) => {
      const sec = secret(s, 'secret');
      new SecretManagerSecretVersion(s, 'version', { secret: sec.id, secretData: 'hunter2-but-longer' });
    });
    expect(error).toMatch(violation('no-literal-secrets', 'bad/version'));
  });

  it('fails literal text around a reference', () => {
    const error = synthError({ kind: 'development' }, (s) => {
      const sec = secret(s, 'secret');
      new SecretManagerSecretVersion(s, 'version', { secret: sec.id, secretData: `password-${sec.secretId}` });
    });
    expect(error).toMatch(violation('no-literal-secrets', 'bad/version'));
  });

  it('passes secret data taken from another resource', () => {
    const error = synthError({ kind: 'production' }, (s) => {
      const source = redis(s, 'redis', true);
      const sec = secret(s, 'secret');
      new SecretManagerSecretVersion(s, 'version', { secret: sec.id, secretData: source.authString });
    });
    expect(error).toBeUndefined();
  });

  it.each(['DB_PASSWORD', 'API_KEYS', 'LLM_OPENAI_API_KEY', 'GITHUB_TOKEN', 'GOOGLE_CREDENTIALS', 'CLIENT_SECRET'])(
    'fails a Cloud Run variable %s with a plain value',
    (name) => {
      const template = { containers: [{ image: 'img', env: [{ name: 'LOG_LEVEL', value: 'info' }, { name, value: 'plain' }] }] };
      const error = synthError({ kind: 'development' }, (s) => service(s, 'svc', { template }));
      expect(error).toMatch(violation('no-literal-secrets', 'bad/svc'));
      expect(error).toContain(`env ${name} has a plain value`);
    },
  );

  it('passes credential variables read from Secret Manager, and plain values of other variables', () => {
    const error = synthError({ kind: 'development' }, (s) => {
      const sec = secret(s, 'secret');
      service(s, 'svc', {
        template: {
          containers: [
            {
              image: 'img',
              env: [
                { name: 'LOG_LEVEL', value: 'info' },
                { name: 'DB_PASSWORD', valueSource: { secretKeyRef: { secret: sec.secretId, version: 'latest' } } },
              ],
            },
          ],
        },
      });
    });
    expect(error).toBeUndefined();
  });
});

describe('disabling a rule', () => {
  const ownerGrant = (s: TerraformStack) => new ProjectIamMember(s, 'grant', { project: 'p', role: 'roles/owner', member: 'user:a@example.com' });

  it('with a written reason lets the stack synthesize, and keeps the other rules', () => {
    const disabled = [{ rule: 'no-primitive-roles' as const, reason: 'break-glass account, ticket OPS-1234' }];
    expect(synthError({ kind: 'development' }, ownerGrant)).toMatch(violation('no-primitive-roles', 'bad/grant'));
    expect(synthError({ kind: 'development', disabled }, ownerGrant)).toBeUndefined();
    expect(orchestraGuardrails({ kind: 'production', disabled }).map((r) => r.rule)).toEqual(GUARDRAIL_RULE_IDS.filter((r) => r !== 'no-primitive-roles'));
    const publicGrant = (s: TerraformStack) => new ProjectIamMember(s, 'grant', { project: 'p', role: 'roles/owner', member: 'allUsers' });
    expect(synthError({ kind: 'development', disabled }, publicGrant)).toMatch(violation('no-public-principals', 'bad/grant'));
  });

  it.each(['', '   ', 'because'])('is refused without a reason of at least 10 characters (%j), naming the rule', (reason) => {
    const attempt = () => orchestraGuardrails({ kind: 'production', disabled: [{ rule: 'deletion-protection', reason }] });
    expect(attempt).toThrow(GuardrailOptionsError);
    expect(attempt).toThrow(/rule "deletion-protection" can only be disabled with a written reason/);
  });

  it('is refused for an unknown rule', () => {
    expect(() => orchestraGuardrails({ kind: 'production', disabled: [{ rule: 'no-such-rule' as RuleId, reason: 'a long enough reason' }] })).toThrow(
      /unknown rule "no-such-rule"/,
    );
  });

  it('is validated by the environment schema too', () => {
    const prod = ENVIRONMENTS.find((e) => e.name === 'prod')!;
    const parse = (disabled: unknown) => EnvironmentSchema.safeParse({ ...prod, guardrails: { disabled } });
    expect(parse([{ rule: 'private-ingress', reason: 'fronted by a partner proxy, see ADR-7' }]).success).toBe(true);
    expect(parse([{ rule: 'private-ingress', reason: 'short' }]).error?.issues.map((i) => i.message)).toEqual(['a written reason (at least 10 characters)']);
    expect(parse([{ rule: 'no-such-rule', reason: 'a long enough reason' }]).success).toBe(false);
    expect(EnvironmentSchema.parse(prod).guardrails).toEqual({ disabled: [] });
  });
});
