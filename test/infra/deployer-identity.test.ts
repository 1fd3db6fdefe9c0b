import { TerraformStack, Testing } from 'cdktf';
import { GoogleProvider } from '@cdktf/provider-google/lib/provider';
import { DEPLOYER_PROJECT_ROLES, DeployerIdentity, GITHUB_OIDC_ISSUER } from '../../infra/src/security/deployer-identity';
import { ServiceAccount } from '../../infra/src/security/service-account';
import { applyGuardrails } from '../../infra/src/guardrails';
import { PRIMITIVE_ROLES } from '../../infra/src/iam';
import { onlyResource, resourcesOf, synth } from '../helpers/synth';

const repository = 'acme/orchestra';
const project = 'acme-ml-dev';

function build(props: Partial<ConstructorParameters<typeof DeployerIdentity>[2]> = {}) {
  let deployer!: DeployerIdentity;
  const out = synth((s) => {
    deployer = new DeployerIdentity(s, 'deployer', { project, repository, ...props });
  });
  return { ...out, deployer };
}

describe('DeployerIdentity', () => {
  it('creates a pool and a GitHub OIDC provider restricted to the repository and its subjects', () => {
    const { json } = build();
    expect(onlyResource(json, 'google_iam_workload_identity_pool')).toMatchObject({ project, workload_identity_pool_id: 'orchestra-github' });
    const provider = onlyResource(json, 'google_iam_workload_identity_pool_provider');
    expect(provider).toMatchObject({
      project,
      workload_identity_pool_provider_id: 'github',
      oidc: { issuer_uri: GITHUB_OIDC_ISSUER },
      attribute_mapping: {
        'google.subject': 'assertion.sub',
        'attribute.repository': 'assertion.repository',
        'attribute.ref': 'assertion.ref',
      },
    });
    expect(provider.workload_identity_pool_id).toMatch(/^\$\{google_iam_workload_identity_pool\.\w+\.workload_identity_pool_id\}$/);
    expect(provider.attribute_condition).toBe(
      "assertion.repository == 'acme/orchestra' && (assertion.sub == 'repo:acme/orchestra:pull_request' || assertion.sub == 'repo:acme/orchestra:ref:refs/heads/main')",
    );
  });

  it('takes the allowed subjects, e.g. a GitHub environment', () => {
    const { json } = build({ subjects: ['repo:acme/orchestra:environment:prod'] });
    expect(onlyResource(json, 'google_iam_workload_identity_pool_provider').attribute_condition).toBe(
      "assertion.repository == 'acme/orchestra' && (assertion.sub == 'repo:acme/orchestra:environment:prod')",
    );
  });

  it("lets only the repository's principal set impersonate the deployer", () => {
    const { json } = build();
    const bindings = resourcesOf(json, 'google_service_account_iam_member').filter((b) => b.role === 'roles/iam.workloadIdentityUser');
    expect(bindings).toHaveLength(1);
    expect(bindings[0].member).toMatch(
      /^principalSet:\/\/iam\.googleapis\.com\/\$\{google_iam_workload_identity_pool\.\w+\.name\}\/attribute\.repository\/acme\/orchestra$/,
    );
    expect(bindings[0].service_account_id).toMatch(/^\$\{google_service_account\.deployer_account_\w+\.name\}$/);
    expect(onlyResource(json, 'google_service_account')).toMatchObject({ account_id: 'orchestra-deployer', project });
  });

  it('grants the listed project roles, none of them basic, and no project-wide service account impersonation', () => {
    const { json } = build();
    const roles = resourcesOf(json, 'google_project_iam_member').map((g) => g.role as string);
    expect(roles.sort()).toEqual(DEPLOYER_PROJECT_ROLES.map((r) => r.role).sort());
    for (const role of roles) expect(PRIMITIVE_ROLES).not.toContain(role);
    expect(roles).not.toEqual(expect.arrayContaining(['roles/iam.serviceAccountUser']));
    expect(roles).not.toContain('roles/iam.serviceAccountAdmin');
    expect(roles).not.toContain('roles/iam.serviceAccountTokenCreator');
    for (const r of DEPLOYER_PROJECT_ROLES) expect(r.why.length).toBeGreaterThan(10);
    for (const g of resourcesOf(json, 'google_project_iam_member')) {
      expect(g).toMatchObject({ project, member: expect.stringMatching(/^\$\{google_service_account\.deployer_account_\w+\.member\}$/) });
    }
  });

  it('manages and acts as a given service account on that account only', () => {
    const { json } = synth((s) => {
      const runtime = new ServiceAccount(s, 'runtime', { project, accountId: 'orchestra-runtime' });
      const deployer = new DeployerIdentity(s, 'deployer', { project, repository });
      deployer.manageServiceAccount(runtime);
      deployer.manageServiceAccount(runtime); // idempotent
    });
    const onRuntime = resourcesOf(json, 'google_service_account_iam_member').filter((b) => String(b.service_account_id).includes('runtime_account'));
    expect(onRuntime.map((b) => b.role).sort()).toEqual(['roles/iam.serviceAccountAdmin', 'roles/iam.serviceAccountUser']);
  });

  it('passes the guardrails of a production stack', () => {
    const app = Testing.app();
    const stack = new TerraformStack(app, 'prod');
    new GoogleProvider(stack, 'google', { project });
    new DeployerIdentity(stack, 'deployer', { project, repository });
    applyGuardrails(stack, { kind: 'production', disabled: [{ rule: 'labels', reason: 'no provider default labels in this test' }] });
    expect(() => Testing.fullSynth(stack)).not.toThrow();
  });

  it('exposes the provider resource name and the service account email', () => {
    const { deployer } = build();
    expect(deployer.workloadIdentityProvider).toMatch(/^\$\{TfToken\[/);
    expect(deployer.serviceAccountEmail).toMatch(/^\$\{TfToken\[/);
    expect(deployer.member).toMatch(/^\$\{TfToken\[/);
  });

  it.each(['acme', 'acme/orchestra/extra', 'https://github.com/acme/orchestra', 'acme/*', "acme/x' || true || '", ''])(
    'rejects repository %j',
    (bad) => {
      expect(() => build({ repository: bad })).toThrow(/repository: .* must be "owner\/name"/);
    },
  );

  it('rejects subjects of another repository or with wildcards, bad ids and basic roles', () => {
    expect(() => build({ subjects: ['repo:other/repo:pull_request'] })).toThrow(/subjects: "repo:other\/repo:pull_request" must be/);
    expect(() => build({ subjects: ['repo:acme/orchestra:*'] })).toThrow(/without wildcards/);
    expect(() => build({ subjects: [] })).toThrow(/subjects: give at least one/);
    expect(() => build({ poolId: 'gcp-pool' })).toThrow(/poolId: "gcp-pool"/);
    expect(() => build({ providerId: 'GH' })).toThrow(/providerId: "GH"/);
    expect(() => build({ projectRoles: ['roles/editor'] })).toThrow(/basic role/);
    expect(() => build({ projectRoles: ['roles/owner'] })).toThrow(/basic role/);
  });
});
