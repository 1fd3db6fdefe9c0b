import { Construct } from 'constructs';
import { IamWorkloadIdentityPool } from '@cdktf/provider-google/lib/iam-workload-identity-pool';
import { IamWorkloadIdentityPoolProvider } from '@cdktf/provider-google/lib/iam-workload-identity-pool-provider';
import { ProjectIamMember } from '@cdktf/provider-google/lib/project-iam-member';
import { ServiceAccountIamMember } from '@cdktf/provider-google/lib/service-account-iam-member';
import { IGrantable, assertLeastPrivilegeRole, grantId, grantProjectRole, onceGrant } from '../iam';
import { PropsValidator } from '../props-validator';
import { ServiceAccount } from './service-account';

/** GitHub Actions' OIDC token issuer. */
export const GITHUB_OIDC_ISSUER = 'https://token.actions.githubusercontent.com';

/** `owner/name` of a GitHub repository (GitHub's own character set for both parts). */
export const GITHUB_REPOSITORY_PATTERN = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;

/** Lets the federated principals impersonate the deployer service account. */
export const WORKLOAD_IDENTITY_USER_ROLE = 'roles/iam.workloadIdentityUser';

/**
 * Project roles the deployer holds so that `cdktf deploy orchestra-<env>` can create, change and
 * destroy everything an Orchestra stack manages. Each is the narrowest predefined role that
 * covers one service's resources; basic roles (owner/editor/viewer) are never used (the
 * `no-primitive-roles` guardrail and `assertLeastPrivilegeRole` refuse them).
 *
 * Deliberately NOT here, granted on single service accounts instead (checkov CKV_GCP_41/49 flag
 * them at project level, and project-wide they would let the deployer act as or take over every
 * service account in the project): `roles/iam.serviceAccountAdmin` and
 * `roles/iam.serviceAccountUser` — see `DeployerIdentity.manageServiceAccount`.
 */
export const DEPLOYER_PROJECT_ROLES: readonly { readonly role: string; readonly why: string }[] = [
  { role: 'roles/compute.networkAdmin', why: 'VPC, subnet, router + NAT, PSA and PSC addresses, forwarding rules, load balancer backends, URL map, proxies, NEG' },
  { role: 'roles/compute.securityAdmin', why: 'firewall rules, SSL policy and managed SSL certificate (networkAdmin excludes them)' },
  { role: 'roles/servicenetworking.networksAdmin', why: 'the private services access peering (google_service_networking_connection) Redis uses' },
  { role: 'roles/redis.admin', why: 'Memorystore for Redis instance' },
  { role: 'roles/datastore.owner', why: 'Firestore database create/update/delete (the documented role for managing databases)' },
  { role: 'roles/aiplatform.admin', why: 'Vector Search index, index endpoint and deployed index' },
  { role: 'roles/secretmanager.admin', why: 'secrets, the Redis AUTH secret version, and per-secret accessor bindings' },
  { role: 'roles/storage.admin', why: 'the vector contents bucket, and the Terraform state objects in the state bucket' },
  { role: 'roles/artifactregistry.admin', why: 'the Docker repository and its cleanup policies (includes pushing images)' },
  { role: 'roles/run.admin', why: 'Cloud Run service and its run.invoker bindings (setIamPolicy is not in run.developer)' },
  {
    role: 'roles/resourcemanager.projectIamAdmin',
    why: "project-level grants the stack makes (runtime's datastore.user/aiplatform.user, these roles); no narrower role can set project IAM. Consequence: the deployer can change project IAM — guard the workflow that holds it",
  },
  { role: 'roles/serviceusage.serviceUsageAdmin', why: 'enabling the project APIs (google_project_service)' },
  { role: 'roles/iam.serviceAccountCreator', why: 'creating the runtime service account; managing it afterwards is granted on that account only' },
  { role: 'roles/iam.workloadIdentityPoolAdmin', why: 'this workload identity pool and provider, which live in the same stack' },
];

export interface DeployerIdentityProps {
  /** Project of the pool, the provider, the service account and the project-level grants. */
  readonly project: string;
  /** The GitHub repository allowed to deploy, `owner/name` (e.g. `your-org/orchestra`). */
  readonly repository: string;
  /**
   * GitHub OIDC subjects (`sub` claim) allowed in addition to the repository check, each
   * `repo:<repository>:…`: e.g. `repo:o/r:environment:prod` (a job with `environment: prod`),
   * `repo:o/r:pull_request`, `repo:o/r:ref:refs/heads/main`. No wildcards.
   * @default - [`repo:<repository>:pull_request`, `repo:<repository>:ref:refs/heads/main`]
   */
  readonly subjects?: readonly string[];
  /**
   * Prefix of the pool, provider and service account ids.
   * @default 'orchestra'
   */
  readonly prefix?: string;
  /**
   * Workload identity pool id: 4–32 lowercase letters, digits and hyphens, not starting with
   * `gcp-`. A deleted pool keeps its id for 30 days, so a destroy-and-recreate needs a new one.
   * @default '<prefix>-github'
   */
  readonly poolId?: string;
  /**
   * Provider id within the pool (same rules as the pool id).
   * @default 'github'
   */
  readonly providerId?: string;
  /**
   * Service account id (6–30 characters).
   * @default '<prefix>-deployer'
   */
  readonly accountId?: string;
  /**
   * Project roles of the deployer.
   * @default - DEPLOYER_PROJECT_ROLES
   */
  readonly projectRoles?: readonly string[];
}

/**
 * The identity CI deploys as, without any service-account key: a workload identity pool, an
 * OIDC provider trusting GitHub Actions tokens of one repository only, and a deployer service
 * account that tokens from that repository may impersonate (`google-github-actions/auth` with
 * `workloadIdentityProvider` and `serviceAccountEmail`).
 */
export class DeployerIdentity extends Construct implements IGrantable {
  /** `projects/<number>/locations/global/workloadIdentityPools/<pool>/providers/<provider>`: what google-github-actions/auth takes. */
  public readonly workloadIdentityProvider: string;
  /** `projects/<number>/locations/global/workloadIdentityPools/<pool>`. */
  public readonly poolName: string;
  /** The deployer service account. */
  public readonly serviceAccount: ServiceAccount;
  public readonly serviceAccountEmail: string;
  /** `serviceAccount:<deployer email>`, so the deployer can be granted more (e.g. `repository.grantPush(deployer)`). */
  public readonly member: string;
  /** The principal set federated tokens of the repository belong to. */
  public readonly principalSet: string;
  /** The provider's attribute condition (repository and subjects). */
  public readonly attributeCondition: string;
  /** The project-level grants, by role. */
  public readonly projectGrants: Readonly<Record<string, ProjectIamMember>>;

  constructor(scope: Construct, id: string, props: DeployerIdentityProps) {
    super(scope, id);
    const prefix = props.prefix ?? 'orchestra';
    const repo = props.repository;
    const poolId = props.poolId ?? `${prefix}-github`;
    const providerId = props.providerId ?? 'github';
    const subjects = props.subjects ?? [`repo:${repo}:pull_request`, `repo:${repo}:ref:refs/heads/main`];
    const roles = props.projectRoles ?? DEPLOYER_PROJECT_ROLES.map((r) => r.role);
    const wifId = (v: string) => /^[a-z0-9-]{4,32}$/.test(v) && !v.startsWith('gcp-');

    const validator = new PropsValidator(this.node.path)
      .check('repository', repo, GITHUB_REPOSITORY_PATTERN.test(repo), `"${repo}" must be "owner/name" (letters, digits, '_', '.', '-')`)
      .check('poolId', poolId, wifId(poolId), `"${poolId}" must be 4-32 lowercase letters, digits or hyphens, not starting with "gcp-"`)
      .check('providerId', providerId, wifId(providerId), `"${providerId}" must be 4-32 lowercase letters, digits or hyphens, not starting with "gcp-"`)
      .check('subjects', subjects, subjects.length > 0, 'give at least one, or leave it unset for the default');
    for (const s of subjects) {
      validator.check('subjects', s, s.startsWith(`repo:${repo}:`) && s.length > `repo:${repo}:`.length && !/[*'"\\]/.test(s), `"${s}" must be "repo:${repo}:<something>" without wildcards or quotes`);
    }
    for (const role of roles) {
      validator.check('projectRoles', role, /^(roles|projects\/[^/]+\/roles)\/[A-Za-z0-9_.]+$/.test(role), `"${role}" is not a role name`);
    }
    validator.throwIfInvalid();
    for (const role of roles) assertLeastPrivilegeRole(this.node.path, role);

    const pool = new IamWorkloadIdentityPool(this, 'pool', {
      project: props.project,
      workloadIdentityPoolId: poolId,
      displayName: 'GitHub Actions',
      description: `GitHub Actions of ${repo}`,
    });

    // Both checks are evaluated by Google before a token is exchanged: the repository (so no other
    // repository on GitHub can use this provider) and the subject (which workflows: pull requests,
    // a branch, a GitHub environment). checkov CKV_GCP_118/125 check the same.
    const quoted = (v: string) => `'${v}'`;
    this.attributeCondition =
      `assertion.repository == ${quoted(repo)} && (` + subjects.map((s) => `assertion.sub == ${quoted(s)}`).join(' || ') + ')';
    const provider = new IamWorkloadIdentityPoolProvider(this, 'provider', {
      project: props.project,
      workloadIdentityPoolId: pool.workloadIdentityPoolId,
      workloadIdentityPoolProviderId: providerId,
      displayName: 'GitHub Actions OIDC',
      description: `GitHub Actions OIDC tokens of ${repo}`,
      oidc: { issuerUri: GITHUB_OIDC_ISSUER },
      attributeMapping: {
        'google.subject': 'assertion.sub',
        'attribute.repository': 'assertion.repository',
        'attribute.repository_owner': 'assertion.repository_owner',
        'attribute.ref': 'assertion.ref',
        'attribute.event_name': 'assertion.event_name',
        'attribute.environment': 'assertion.environment',
        'attribute.actor': 'assertion.actor',
      },
      attributeCondition: this.attributeCondition,
    });

    this.serviceAccount = new ServiceAccount(this, 'account', {
      project: props.project,
      accountId: props.accountId ?? `${prefix}-deployer`,
      displayName: 'Orchestra deployer (GitHub Actions)',
      description: `cdktf deploy from ${repo} via workload identity federation; no keys`,
    });
    this.serviceAccountEmail = this.serviceAccount.email;
    this.member = this.serviceAccount.member;
    this.poolName = pool.name;
    this.workloadIdentityProvider = provider.name;
    this.principalSet = `principalSet://iam.googleapis.com/${pool.name}/attribute.repository/${repo}`;

    new ServiceAccountIamMember(this, 'workload-identity-user', {
      serviceAccountId: this.serviceAccount.name,
      role: WORKLOAD_IDENTITY_USER_ROLE,
      member: this.principalSet,
    });

    const grants: Record<string, ProjectIamMember> = {};
    for (const role of roles) grants[role] = grantProjectRole(this, props.project, role, this);
    this.projectGrants = grants;

    // The deployer manages its own account (description, the binding above) on this account only.
    this.manageServiceAccount(this.serviceAccount, { actAs: false });
  }

  /**
   * Lets the deployer manage `account` (update, delete, its IAM policy: `roles/iam.serviceAccountAdmin`)
   * and, with `actAs` (default), deploy workloads that run as it (`roles/iam.serviceAccountUser`,
   * e.g. a Cloud Run service) — on that one account, never project-wide.
   */
  manageServiceAccount(account: ServiceAccount, options: { actAs?: boolean } = {}): ServiceAccountIamMember[] {
    const grant = (kind: string, role: string) => {
      assertLeastPrivilegeRole(this.node.path, role);
      const id = grantId(kind, account);
      return onceGrant(this, id, () => new ServiceAccountIamMember(this, id, { serviceAccountId: account.name, role, member: this.member }));
    };
    const made = [grant('sa-admin', 'roles/iam.serviceAccountAdmin')];
    if (options.actAs ?? true) made.push(grant('sa-user', 'roles/iam.serviceAccountUser'));
    return made;
  }
}
