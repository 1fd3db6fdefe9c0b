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
    why: "project-level grants the stack makes (the runtime's custom roles, these roles); no narrower role can set project IAM. Consequence: the deployer can change project IAM — guard the workflow that holds it",
  },
  { role: 'roles/serviceusage.serviceUsageAdmin', why: 'enabling the project APIs (google_project_service)' },
  { role: 'roles/iam.serviceAccountCreator', why: 'creating the runtime service account; managing it afterwards is granted on that account only' },
  { role: 'roles/iam.workloadIdentityPoolAdmin', why: 'this workload identity pool and provider, which live in the same stack' },
  { role: 'roles/iam.roleAdmin', why: "the project's custom roles that give the runtime exactly the permissions its calls need (infra/src/security/custom-role.ts)" },
];

/**
 * Project roles of the planner: the read-only counterpart of each deployer role (Google's
 * predefined-roles reference, https://cloud.google.com/iam/docs/roles-permissions), enough for
 * `cdktf diff` (`terraform plan` with refresh) to read every resource the stack manages and its
 * IAM policy, and nothing that changes anything. `roles/viewer` would be shorter but is a basic
 * role (refused, see above). The Terraform state is read through `stateBucket` (object reads on
 * that bucket only); plans run with `-lock=false`, since taking the lock is a write.
 */
export const PLANNER_PROJECT_ROLES: readonly { readonly role: string; readonly why: string }[] = [
  { role: 'roles/compute.viewer', why: 'VPC, subnet, router + NAT, addresses, forwarding rules, load balancer, certificates, policies' },
  { role: 'roles/redis.viewer', why: 'Memorystore for Redis instance' },
  { role: 'roles/datastore.viewer', why: 'Firestore database and its indexes' },
  { role: 'roles/aiplatform.viewer', why: 'Vector Search index, index endpoint and deployed index' },
  { role: 'roles/secretmanager.viewer', why: 'secret metadata (never payloads: that is secretmanager.versions.access, not in this role)' },
  { role: 'roles/artifactregistry.reader', why: 'the Docker repository' },
  { role: 'roles/run.viewer', why: 'the Cloud Run service' },
  { role: 'roles/iam.securityReviewer', why: 'IAM policies of the project and of each resource, and custom roles' },
  { role: 'roles/iam.serviceAccountViewer', why: 'the runtime, deployer and planner service accounts' },
  { role: 'roles/iam.workloadIdentityPoolViewer', why: 'this workload identity pool and provider' },
  { role: 'roles/serviceusage.serviceUsageViewer', why: 'the enabled project APIs' },
  { role: 'roles/storage.bucketViewer', why: 'bucket metadata of the vector contents bucket (objects stay unreadable)' },
];

/** Object reads on the Terraform state bucket only (the planner's `stateBucket` grant). */
export const STATE_READER_ROLE = 'roles/storage.objectViewer';

export interface DeployerIdentityProps {
  /** Project of the pool, the provider, the service accounts and the project-level grants. */
  readonly project: string;
  /** The GitHub repository allowed to deploy, `owner/name` (e.g. `your-org/orchestra`). */
  readonly repository: string;
  /**
   * GitHub OIDC subjects (`sub` claim) that may act as the **deployer**, each `repo:<repository>:…`:
   * e.g. `repo:o/r:environment:prod` (a job with `environment: prod`, which GitHub can guard
   * with required reviewers and branch rules) or `repo:o/r:ref:refs/heads/main`. Never a pull
   * request: a pull request can edit the workflow that runs it. No wildcards.
   * @default - [`repo:<repository>:ref:refs/heads/main`]
   */
  readonly deploySubjects?: readonly string[];
  /**
   * Subjects that may act as the read-only **planner** (`cdktf diff` on pull requests). Empty:
   * no planner account.
   * @default - [`repo:<repository>:pull_request`]
   */
  readonly planSubjects?: readonly string[];
  /** The Terraform state the planner reads (object reads on this bucket only). @default - the planner cannot read state */
  readonly stateBucket?: string;
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
   * Deployer service account id (6–30 characters).
   * @default '<prefix>-deployer'
   */
  readonly accountId?: string;
  /**
   * Planner service account id (6–30 characters).
   * @default '<prefix>-planner'
   */
  readonly plannerAccountId?: string;
  /**
   * Project roles of the deployer.
   * @default - DEPLOYER_PROJECT_ROLES
   */
  readonly projectRoles?: readonly string[];
  /**
   * Project roles of the planner.
   * @default - PLANNER_PROJECT_ROLES
   */
  readonly plannerProjectRoles?: readonly string[];
}

/**
 * The identities CI runs as, without any service-account key, split as cloud-foundation-fabric's
 * FAST stages split theirs: a workload identity pool and an OIDC provider trusting GitHub Actions
 * tokens of one repository only; a **deployer** account that only the deploy subjects (a GitHub
 * environment) may impersonate; and a read-only **planner** account for pull requests. Each
 * account trusts exact `principal://…/subject/<sub>` identities, not the repository's whole
 * principal set, so a token that passes the provider's condition still impersonates only the
 * account its subject was given.
 */
export class DeployerIdentity extends Construct implements IGrantable {
  /** `projects/<number>/locations/global/workloadIdentityPools/<pool>/providers/<provider>`: what google-github-actions/auth takes. */
  public readonly workloadIdentityProvider: string;
  /** `projects/<number>/locations/global/workloadIdentityPools/<pool>`. */
  public readonly poolName: string;
  /** The deployer service account. */
  public readonly serviceAccount: ServiceAccount;
  public readonly serviceAccountEmail: string;
  /** The read-only planner service account, unless `planSubjects` is empty. */
  public readonly planner?: ServiceAccount;
  /** `serviceAccount:<deployer email>`, so the deployer can be granted more (e.g. `repository.grantPush(deployer)`). */
  public readonly member: string;
  /** The provider's attribute condition (repository and subjects). */
  public readonly attributeCondition: string;
  /** The project-level grants of the deployer, by role. */
  public readonly projectGrants: Readonly<Record<string, ProjectIamMember>>;

  constructor(scope: Construct, id: string, props: DeployerIdentityProps) {
    super(scope, id);
    const prefix = props.prefix ?? 'orchestra';
    const repo = props.repository;
    const poolId = props.poolId ?? `${prefix}-github`;
    const providerId = props.providerId ?? 'github';
    const deploySubjects = props.deploySubjects ?? [`repo:${repo}:ref:refs/heads/main`];
    const planSubjects = props.planSubjects ?? [`repo:${repo}:pull_request`];
    const roles = props.projectRoles ?? DEPLOYER_PROJECT_ROLES.map((r) => r.role);
    const plannerRoles = props.plannerProjectRoles ?? PLANNER_PROJECT_ROLES.map((r) => r.role);
    const wifId = (v: string) => /^[a-z0-9-]{4,32}$/.test(v) && !v.startsWith('gcp-');

    const validator = new PropsValidator(this.node.path)
      .check('repository', repo, GITHUB_REPOSITORY_PATTERN.test(repo), `"${repo}" must be "owner/name" (letters, digits, '_', '.', '-')`)
      .check('poolId', poolId, wifId(poolId), `"${poolId}" must be 4-32 lowercase letters, digits or hyphens, not starting with "gcp-"`)
      .check('providerId', providerId, wifId(providerId), `"${providerId}" must be 4-32 lowercase letters, digits or hyphens, not starting with "gcp-"`)
      .check('deploySubjects', deploySubjects, deploySubjects.length > 0, 'give at least one, or leave it unset for the default');
    const subjectOk = (s: string) => s.startsWith(`repo:${repo}:`) && s.length > `repo:${repo}:`.length && !/[*'"\\]/.test(s);
    for (const [field, list] of [['deploySubjects', deploySubjects], ['planSubjects', planSubjects]] as const) {
      for (const s of list) validator.check(field, s, subjectOk(s), `"${s}" must be "repo:${repo}:<something>" without wildcards or quotes`);
    }
    for (const s of deploySubjects) {
      // GitHub gives every pull_request-triggered job this subject, whatever the workflow says.
      validator.check('deploySubjects', s, s !== `repo:${repo}:pull_request`, `"${s}" is a pull request's subject; a pull request can edit its workflow, so it may only plan (planSubjects)`);
      validator.check('deploySubjects', s, !planSubjects.includes(s), `"${s}" is also in planSubjects; a subject is either the deployer or the planner`);
    }
    for (const role of [...roles, ...plannerRoles]) {
      validator.check(roles.includes(role) ? 'projectRoles' : 'plannerProjectRoles', role, /^(roles|projects\/[^/]+\/roles)\/[A-Za-z0-9_.]+$/.test(role), `"${role}" is not a role name`);
    }
    validator.throwIfInvalid();
    for (const role of [...roles, ...plannerRoles]) assertLeastPrivilegeRole(this.node.path, role);

    const pool = new IamWorkloadIdentityPool(this, 'pool', {
      project: props.project,
      workloadIdentityPoolId: poolId,
      displayName: 'GitHub Actions',
      description: `GitHub Actions of ${repo}`,
    });

    // Evaluated by Google before a token is exchanged: the repository (so no other repository on
    // GitHub can use this provider) and the subject (which workflows). checkov CKV_GCP_118/125
    // check the same. Which account a subject may then impersonate is decided by the bindings below.
    const quoted = (v: string) => `'${v}'`;
    const subjects = [...deploySubjects, ...planSubjects];
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
        'attribute.actor': 'assertion.actor',
      },
      attributeCondition: this.attributeCondition,
    });
    this.poolName = pool.name;
    this.workloadIdentityProvider = provider.name;

    this.serviceAccount = new ServiceAccount(this, 'account', {
      project: props.project,
      accountId: props.accountId ?? `${prefix}-deployer`,
      displayName: 'Orchestra deployer (GitHub Actions)',
      description: `cdktf deploy from ${repo} via workload identity federation; no keys`,
    });
    this.serviceAccountEmail = this.serviceAccount.email;
    this.member = this.serviceAccount.member;
    this.trustSubjects('workload-identity-user', this.serviceAccount, deploySubjects);

    const grants: Record<string, ProjectIamMember> = {};
    for (const role of roles) grants[role] = grantProjectRole(this, props.project, role, this);
    this.projectGrants = grants;

    // The deployer manages its own account (description, the binding above) on this account only.
    this.manageServiceAccount(this.serviceAccount, { actAs: false });

    if (planSubjects.length > 0) {
      const planner = new ServiceAccount(this, 'planner', {
        project: props.project,
        accountId: props.plannerAccountId ?? `${prefix}-planner`,
        displayName: 'Orchestra planner (GitHub Actions, read-only)',
        description: `cdktf diff on pull requests of ${repo}; reads, never writes`,
      });
      this.trustSubjects('planner-workload-identity-user', planner, planSubjects);
      for (const role of plannerRoles) grantProjectRole(planner, props.project, role, planner);
      if (props.stateBucket !== undefined) {
        grantProjectRole(planner, props.project, STATE_READER_ROLE, planner, {
          title: 'Terraform state only',
          expression: `resource.name.startsWith("projects/_/buckets/${props.stateBucket}/")`,
        });
      }
      this.deployerManages(planner);
      this.planner = planner;
    }
  }

  /** The federated identity of one GitHub subject in this pool (Google's `principal://…/subject/…` form). */
  subjectPrincipal(subject: string): string {
    return `principal://iam.googleapis.com/${this.poolName}/subject/${subject}`;
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

  private deployerManages(account: ServiceAccount): void {
    this.manageServiceAccount(account, { actAs: false });
  }

  private trustSubjects(id: string, account: ServiceAccount, subjects: readonly string[]): void {
    for (const subject of subjects) {
      // Named by the subject, so adding one does not shift the state addresses of the others.
      const suffix = subject.slice(subject.indexOf(':', 'repo:'.length) + 1).replace(/[^A-Za-z0-9]+/g, '-');
      new ServiceAccountIamMember(this, `${id}-${suffix}`, {
        serviceAccountId: account.name,
        role: WORKLOAD_IDENTITY_USER_ROLE,
        member: this.subjectPrincipal(subject),
      });
    }
  }
}
