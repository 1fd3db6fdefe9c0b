import { TerraformStack, Testing } from 'cdktf';
import { GoogleProvider } from '@cdktf/provider-google/lib/provider';
import { DEPLOYER_PROJECT_ROLES, DeployerIdentity, GITHUB_OIDC_ISSUER, PLANNER_PROJECT_ROLES, STATE_READER_ROLE } from '../../infra/src/security/deployer-identity';
import { ServiceAccount } from '../../infra/src/security/service-account';
import { applyGuardrails } from '../../infra/src/guardrails';
import { PRIMITIVE_ROLES } from '../../infra/src/iam';
import { onlyResource, resourcesOf, synth } from '../helpers/synth';
import { githubClaims, impersonableAccounts } from '../helpers/workload-identity';

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
      "assertion.repository == 'acme/orchestra' && (assertion.sub == 'repo:acme/orchestra:ref:refs/heads/main' || assertion.sub == 'repo:acme/orchestra:pull_request')",
    );
  });

  it('takes the deploy and plan subjects, e.g. a GitHub environment', () => {
    const { json } = build({ deploySubjects: ['repo:acme/orchestra:environment:prod'], planSubjects: [] });
    expect(onlyResource(json, 'google_iam_workload_identity_pool_provider').attribute_condition).toBe(
      "assertion.repository == 'acme/orchestra' && (assertion.sub == 'repo:acme/orchestra:environment:prod')",
    );
    expect(resourcesOf(json, 'google_service_account').map((a) => a.account_id)).toEqual(['orchestra-deployer']);
  });

  it('lets each subject impersonate only its own account: pull requests the planner, the environment the deployer', () => {
    const { json } = build({ deploySubjects: ['repo:acme/orchestra:environment:prod'] });
    expect(impersonableAccounts(json, githubClaims(repository, { pullRequest: 7 }))).toEqual(['orchestra-planner']);
    expect(impersonableAccounts(json, githubClaims(repository, { environment: 'prod' }))).toEqual(['orchestra-deployer']);
    // Refused by the provider's condition: another environment, another branch, another repository.
    expect(impersonableAccounts(json, githubClaims(repository, { environment: 'dev' }))).toEqual([]);
    expect(impersonableAccounts(json, githubClaims(repository, { ref: 'refs/heads/feature' }))).toEqual([]);
    expect(impersonableAccounts(json, githubClaims('evil/orchestra', { environment: 'prod' }))).toEqual([]);
    const bindings = resourcesOf(json, 'google_service_account_iam_member').filter((b) => b.role === 'roles/iam.workloadIdentityUser');
    for (const b of bindings) expect(b.member).toMatch(/^principal:\/\/iam\.googleapis\.com\/\$\{google_iam_workload_identity_pool\.\w+\.name\}\/subject\/repo:acme\/orchestra:/);
  });

  it("the model catches the old binding: the repository's whole principal set lets a pull request act as the deployer", () => {
    // What this construct used to bind (and a regression would bind again).
    const { json } = build({ deploySubjects: ['repo:acme/orchestra:environment:prod'] });
    const deployerBinding = Object.values(json.resource!.google_service_account_iam_member).find(
      (b) => b.role === 'roles/iam.workloadIdentityUser' && String(b.service_account_id).includes('deployer_account'),
    )!;
    deployerBinding.member = 'principalSet://iam.googleapis.com/${google_iam_workload_identity_pool.deployer_pool_AB.name}/attribute.repository/acme/orchestra';
    expect(impersonableAccounts(json, githubClaims(repository, { pullRequest: 7 }))).toEqual(['orchestra-deployer', 'orchestra-planner']);
  });

  it('gives the planner read-only roles and the state bucket only, and the deployer manages the planner account', () => {
    const { json } = build({ stateBucket: 'acme-tfstate' });
    const plannerGrants = resourcesOf(json, 'google_project_iam_member').filter((g) => String(g.member).includes('planner'));
    expect(plannerGrants.map((g) => g.role).sort()).toEqual([...PLANNER_PROJECT_ROLES.map((r) => r.role), STATE_READER_ROLE].sort());
    for (const g of plannerGrants) expect(g.role).toMatch(/viewer|reader|Reviewer|Viewer/);
    expect(plannerGrants.find((g) => g.role === STATE_READER_ROLE)?.condition).toMatchObject({ expression: 'resource.name.startsWith("projects/_/buckets/acme-tfstate/")' });
    const onPlanner = resourcesOf(json, 'google_service_account_iam_member').filter((b) => String(b.service_account_id).includes('planner'));
    expect(onPlanner.map((b) => b.role).sort()).toEqual(['roles/iam.serviceAccountAdmin', 'roles/iam.workloadIdentityUser']);
  });

  it('grants the listed project roles, none of them basic, and no project-wide service account impersonation', () => {
    const { json } = build();
    const deployerGrants = resourcesOf(json, 'google_project_iam_member').filter((g) => String(g.member).includes('deployer_account'));
    const roles = deployerGrants.map((g) => g.role as string);
    expect(roles.sort()).toEqual(DEPLOYER_PROJECT_ROLES.map((r) => r.role).sort());
    for (const role of roles) expect(PRIMITIVE_ROLES).not.toContain(role);
    expect(roles).not.toEqual(expect.arrayContaining(['roles/iam.serviceAccountUser']));
    expect(roles).not.toContain('roles/iam.serviceAccountAdmin');
    expect(roles).not.toContain('roles/iam.serviceAccountTokenCreator');
    for (const r of DEPLOYER_PROJECT_ROLES) expect(r.why.length).toBeGreaterThan(10);
    for (const g of resourcesOf(json, 'google_project_iam_member')) {
      expect(g).toMatchObject({ project, member: expect.stringMatching(/^\$\{google_service_account\.deployer_(account|planner)_\w+\.member\}$/) });
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
    expect(() => build({ deploySubjects: ['repo:other/repo:environment:prod'] })).toThrow(/deploySubjects: "repo:other\/repo:environment:prod" must be/);
    expect(() => build({ planSubjects: ['repo:acme/orchestra:*'] })).toThrow(/planSubjects: .*without wildcards/);
    expect(() => build({ deploySubjects: [] })).toThrow(/deploySubjects: give at least one/);
    expect(() => build({ deploySubjects: ['repo:acme/orchestra:pull_request'] })).toThrow(/deploySubjects: .*pull request's subject; .* may only plan/);
    expect(() => build({ deploySubjects: ['repo:acme/orchestra:environment:prod'], planSubjects: ['repo:acme/orchestra:environment:prod'] })).toThrow(/also in planSubjects/);
    expect(() => build({ plannerProjectRoles: ['roles/viewer'] })).toThrow(/basic role/);
    expect(() => build({ poolId: 'gcp-pool' })).toThrow(/poolId: "gcp-pool"/);
    expect(() => build({ providerId: 'GH' })).toThrow(/providerId: "GH"/);
    expect(() => build({ projectRoles: ['roles/editor'] })).toThrow(/basic role/);
    expect(() => build({ projectRoles: ['roles/owner'] })).toThrow(/basic role/);
  });
});
