import { ENVIRONMENTS } from '../../environments';
import { RuntimeSettings, googleApiCallsIn, parseRuntimeConfig } from '../../runtime/src/contract';
import { type CloudRunEnvVar, runtimeEnvironment } from '../helpers/runtime-env';
import { synthesizeChanged, synthesizeStacks } from '../helpers/environment-stacks';
import { TerraformJson, allResources, onlyResource } from '../helpers/synth';
import { METHOD_PERMISSIONS, ROLE_PERMISSIONS } from './iam/google-iam-reference';

// The IAM contract: in every synthesized environment, the runtime's service account holds
// exactly the permissions of the Google API calls its settings make. The calls are the runtime's
// declaration (google-api-calls.ts), the settings are the Cloud Run variables parsed back with
// the runtime's own parser, and permissions come from Google's reference (iam/google-iam-reference.ts).

interface Need {
  readonly method: string;
  readonly permission: string;
  /** A resource name, or a secret's Terraform address. */
  readonly resource: string;
}

type Scope =
  | { readonly kind: 'project'; readonly project: string; readonly condition?: string }
  | { readonly kind: 'secret'; readonly secret: string }
  | { readonly kind: 'other'; readonly type: string };

interface Grant {
  readonly address: string;
  readonly role: string;
  readonly scope: Scope;
  readonly permissions: readonly string[];
}

export interface IamReport {
  /** `permission on resource (method)` for each need no grant covers. */
  readonly missing: string[];
  /** Per grant: applicable permissions no call of the runtime needs there. */
  readonly broader: { grant: string; role: string; extra: string[] }[];
  /** Roles whose permissions the table does not hold completely: they cannot be shown narrow enough. */
  readonly unverifiable: string[];
}

const ref = (value: unknown, type: string, attribute: string): string | undefined =>
  typeof value === 'string' ? new RegExp(`^\\$\\{(${type}\\.[^.}]+)\\.${attribute}\\}$`).exec(value)?.[1] : undefined;

/** Every grant to the runtime's service account in `json`, and what the runtime's calls need. */
export function checkIam(json: TerraformJson): IamReport {
  const sa = ref(json.output?.runtime_service_account?.value, 'google_service_account', 'email');
  if (!sa) throw new Error('no runtime_service_account output naming a google_service_account');
  const member = `\${${sa}.member}`;

  // What the runtime calls, from its settings as Cloud Run passes them.
  const service = onlyResource(json, 'google_cloud_run_v2_service');
  const vars = service.template.containers[0].env as CloudRunEnvVar[];
  const project = vars.find((v) => v.name === RuntimeSettings.projectId)?.value ?? '';
  const env = runtimeEnvironment(json);
  const secretVariables = Object.fromEntries(
    vars.filter((v) => v.value_source).map((v) => [v.name, ref(v.value_source!.secret_key_ref.secret, 'google_secret_manager_secret', 'secret_id') ?? v.value_source!.secret_key_ref.secret]),
  );
  const config = parseRuntimeConfig(env);
  const needs: Need[] = googleApiCallsIn({ config, secretVariables }).flatMap(({ call, targets }) => {
    const known = METHOD_PERMISSIONS[call.method];
    if (!known) throw new Error(`${call.method} is not in the IAM reference table (test/environments/iam/google-iam-reference.ts)`);
    return known.permissions.flatMap((permission) => targets.map((resource) => ({ method: call.method, permission, resource })));
  });

  // What the account is granted.
  const unverifiable: string[] = [];
  const customRoles = json.resource?.google_project_iam_custom_role ?? {};
  const permissionsOf = (role: string): readonly string[] => {
    const custom = ref(role, 'google_project_iam_custom_role', 'name');
    if (custom) return customRoles[custom.split('.')[1]].permissions as string[];
    const predefined = ROLE_PERMISSIONS[role];
    if (!predefined) {
      unverifiable.push(`${role}: not in the IAM reference table`);
      return [];
    }
    if (predefined.copied === 'partial') unverifiable.push(`${role}: only part of its permissions are in the table (${predefined.source})`);
    return predefined.permissions;
  };
  const grants: Grant[] = Object.entries(json.resource ?? {}).flatMap(([type, resources]) =>
    Object.entries(resources)
      .filter(([, r]) => type.endsWith('_iam_member') && r.member === member)
      .map(([name, r]) => {
        const scope: Scope =
          type === 'google_project_iam_member'
            ? { kind: 'project', project: r.project as string, condition: (r.condition as { expression?: string } | undefined)?.expression }
            : type === 'google_secret_manager_secret_iam_member'
              ? { kind: 'secret', secret: ref(r.secret_id, 'google_secret_manager_secret', 'id') ?? (r.secret_id as string) }
              : { kind: 'other', type };
        return { address: `${type}.${name}`, role: r.role as string, scope, permissions: permissionsOf(r.role as string) };
      }),
  );

  const covers = (scope: Scope, resource: string): boolean => {
    if (scope.kind === 'secret') return scope.secret === resource;
    if (scope.kind !== 'project') return false;
    // A secret of this stack lives in the provider's project, which is the runtime's.
    const inProject = resource.startsWith('google_secret_manager_secret.') ? scope.project === project : resource.startsWith(`projects/${scope.project}/`);
    if (!inProject) return false;
    if (scope.condition === undefined) return true;
    // The one condition form the kit writes; any other is not trusted to cover anything.
    const named = /^resource\.name == "([^"]+)"$/.exec(scope.condition)?.[1];
    return named !== undefined && (resource === named || resource.startsWith(`${named}/`));
  };
  // A permission can only take effect on the resource a grant is made on, or below it.
  const applies = (scope: Scope, permission: string): boolean => {
    if (scope.kind === 'secret') return /^secretmanager\.(secrets|versions)\./.test(permission);
    if (scope.kind === 'project' && scope.condition !== undefined && /^resource\.name == "projects\/[^/]+\/databases\/[^/"]+"$/.test(scope.condition)) {
      return permission.startsWith('datastore.');
    }
    return true;
  };

  const missing = needs
    .filter((n) => !grants.some((g) => g.permissions.includes(n.permission) && covers(g.scope, n.resource)))
    .map((n) => `${n.permission} on ${n.resource} (${n.method})`);
  const broader = grants
    .map((g) => {
      const needed = new Set(needs.filter((n) => covers(g.scope, n.resource)).map((n) => n.permission));
      return { grant: g.address, role: g.role, extra: g.permissions.filter((p) => applies(g.scope, p) && !needed.has(p)) };
    })
    .filter((b) => b.extra.length > 0);
  return { missing: [...new Set(missing)], broader, unverifiable: [...new Set(unverifiable)] };
}

// ---------------------------------------------------------------------------------------------

const stacks = synthesizeStacks();
const clone = (json: TerraformJson) => JSON.parse(JSON.stringify(json)) as TerraformJson;
const synthChanged = synthesizeChanged;

describe.each(ENVIRONMENTS.map((e) => e.name))('the runtime of orchestra-%s', (env) => {
  const json = stacks[env];

  it('holds exactly the permissions its calls need', () => {
    expect(checkIam(json)).toEqual({ missing: [], broader: [], unverifiable: [] });
  });

  it('is granted something for every call it makes (the check is not vacuous)', () => {
    const roles = allResources(json).filter(([type]) => type.endsWith('_iam_member')).length;
    expect(roles).toBeGreaterThan(3);
    const stripped = clone(json);
    for (const type of Object.keys(stripped.resource ?? {})) if (type.endsWith('_iam_member')) delete stripped.resource![type];
    const { missing } = checkIam(stripped);
    expect(missing).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^aiplatform\.endpoints\.predict on projects\/[^/]+\/locations\/[^/]+\/publishers\/google\/models\/text-embedding-005 \(google\.cloud\.aiplatform\.v1\.PredictionService\.Predict\)$/),
        expect.stringMatching(/^aiplatform\.indexes\.update on projects\/.+\/indexes\/456 /),
        expect.stringMatching(/^datastore\.entities\.update on projects\/orchestra-[a-z]+\/databases\/orchestra-memory /),
        expect.stringMatching(/^secretmanager\.versions\.access on google_secret_manager_secret\./),
      ]),
    );
  });
});

describe('the IAM contract check', () => {
  const dev = stacks.dev;
  const prod = stacks.prod;
  const memberOf = (json: TerraformJson) => `\${${ref(json.output!.runtime_service_account.value, 'google_service_account', 'email')}.member}`;

  it('reports a permission no grant gives: the Vector Search role removed', () => {
    const json = clone(dev);
    const members = json.resource!.google_project_iam_member;
    const roles = json.resource!.google_project_iam_custom_role;
    const vectorRole = Object.keys(roles).find((id) => (roles[id].role_id as string).endsWith('vector_search_user'))!;
    for (const [id, r] of Object.entries(members)) if (r.role === `\${google_project_iam_custom_role.${vectorRole}.name}`) delete members[id];
    expect(checkIam(json).missing).toEqual([
      'aiplatform.indexes.update on projects/orchestra-dev/locations/us-central1/indexes/456 (google.cloud.aiplatform.v1.IndexService.UpsertDatapoints)',
      'aiplatform.indexes.update on projects/orchestra-dev/locations/us-central1/indexes/456 (google.cloud.aiplatform.v1.IndexService.RemoveDatapoints)',
      'aiplatform.indexEndpoints.queryVectors on projects/orchestra-dev/locations/us-central1/indexEndpoints/789 (google.cloud.aiplatform.v1.MatchService.FindNeighbors)',
    ]);
  });

  it('reports one secret left unreadable', () => {
    const json = clone(dev);
    const secretGrants = json.resource!.google_secret_manager_secret_iam_member;
    const [dropped] = Object.keys(secretGrants);
    const secret = ref(secretGrants[dropped].secret_id, 'google_secret_manager_secret', 'id');
    delete secretGrants[dropped];
    expect(checkIam(json).missing).toEqual([`secretmanager.versions.access on ${secret} (google.cloud.secretmanager.v1.SecretManagerService.AccessSecretVersion)`]);
  });

  it('reports roles/aiplatform.user as broader than the calls, listing the extra permissions, and its list as partial', () => {
    const json = clone(dev);
    json.resource!.google_project_iam_member.broad = { project: 'orchestra-dev', role: 'roles/aiplatform.user', member: memberOf(json) };
    const report = checkIam(json);
    expect(report.missing).toEqual([]);
    expect(report.broader).toEqual([{ grant: 'google_project_iam_member.broad', role: 'roles/aiplatform.user', extra: expect.arrayContaining(['aiplatform.indexes.create', 'aiplatform.indexEndpoints.deploy', 'resourcemanager.projects.get']) }]);
    expect(report.broader[0].extra).not.toContain('aiplatform.indexes.update');
    expect(report.unverifiable).toEqual([expect.stringMatching(/^roles\/aiplatform\.user: only part of its permissions/)]);
  });

  it('reports roles/datastore.user on the database as broader: what the MongoDB commands do not check', () => {
    const json = clone(dev);
    const members = json.resource!.google_project_iam_member;
    const [id, conditional] = Object.entries(members).find(([, r]) => r.condition && r.member === memberOf(json))!;
    members[id] = { ...conditional, role: 'roles/datastore.user' };
    const report = checkIam(json);
    expect(report.missing).toEqual([]);
    expect(report.broader).toEqual([
      {
        grant: `google_project_iam_member.${id}`,
        role: 'roles/datastore.user',
        extra: ['datastore.databases.getMetadata', 'datastore.databases.list', 'datastore.entities.allocateIds', 'datastore.namespaces.get', 'datastore.namespaces.list', 'datastore.statistics.get', 'datastore.statistics.list'],
      },
    ]);
  });

  it('reports a query permission granted where queries go to a private endpoint, which checks no IAM', () => {
    const json = clone(prod);
    const roles = json.resource!.google_project_iam_custom_role;
    const vectorRole = Object.values(roles).find((r) => (r.role_id as string).endsWith('vector_search_user'))!;
    expect(vectorRole.permissions).toEqual(['aiplatform.indexes.update']);
    vectorRole.permissions = [...(vectorRole.permissions as string[]), 'aiplatform.indexEndpoints.queryVectors'];
    expect(checkIam(json).broader).toEqual([expect.objectContaining({ extra: ['aiplatform.indexEndpoints.queryVectors'] })]);
  });

  it('requires Gemini’s permission when an LLM deployment is vertex-gemini, and finds it granted', () => {
    const json = synthChanged('dev', (input) => ({
      ...input,
      runtime: { ...input.runtime, llm: { deployments: [{ name: 'gemini', provider: 'vertex-gemini' as const, model: 'gemini-2.5-flash' }] } },
    }));
    const stripped = clone(json);
    delete stripped.resource!.google_project_iam_member;
    expect(checkIam(stripped).missing).toContain(
      'aiplatform.endpoints.predict on projects/orchestra-dev/locations/us-central1/publishers/google/models/gemini-2.5-flash (google.cloud.aiplatform.v1.PredictionService.GenerateContent)',
    );
    expect(checkIam(json)).toEqual({ missing: [], broader: [], unverifiable: [] });
  });
});
