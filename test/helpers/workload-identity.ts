/**
 * What Google does with a GitHub Actions OIDC token at a workload identity pool provider, modelled
 * from the documentation (not from our construct) so that tests can ask "may this job act as that
 * service account?" of a synthesized stack:
 *
 * - GitHub's claims: `sub` is `repo:<owner>/<repo>:pull_request` for a pull_request-triggered
 *   job, `repo:<owner>/<repo>:environment:<name>` for a job that names an environment, else
 *   `repo:<owner>/<repo>:ref:<ref>` ("OpenID Connect reference", Example subject claims,
 *   https://docs.github.com/en/actions/reference/security/oidc).
 * - The provider's attribute condition is a CEL expression over `assertion` (the claims); a
 *   token for which it is false is refused. Attribute mappings are CEL expressions too; a token
 *   maps to `google.subject` and `attribute.*` values ("Workload Identity Federation",
 *   Attribute mappings and Attribute conditions,
 *   https://cloud.google.com/iam/docs/workload-identity-federation#mapping).
 * - The principals a federated token stands for: `principal://…/subject/<google.subject>`,
 *   `principalSet://…/attribute.<name>/<value>` for each mapped attribute, and
 *   `principalSet://…/*` ("Principal identifiers", workload identity pools,
 *   https://cloud.google.com/iam/docs/principal-identifiers#v2).
 * - Impersonation (short-lived credentials for a service account) needs one of those principals
 *   in `roles/iam.workloadIdentityUser` on the account
 *   (https://cloud.google.com/iam/docs/workload-identity-federation-with-deployment-pipelines#grant-access).
 */
// The package is ESM-only; jest transforms it to CommonJS (package.json "jest.transform").
const { evaluate } = require('@marcbachmann/cel-js') as typeof import('@marcbachmann/cel-js', { with: { 'resolution-mode': 'import' } });
import type { TerraformJson } from './synth';
import { resourcesOf } from './synth';

export type GithubClaims = Record<string, string>;

/** The claims GitHub puts in a job's token (the ones that matter here). */
export function githubClaims(repository: string, job: { pullRequest: number } | { environment: string } | { ref: string }): GithubClaims {
  const [owner] = repository.split('/');
  const base = { iss: 'https://token.actions.githubusercontent.com', repository, repository_owner: owner, actor: 'someone' };
  if ('pullRequest' in job) return { ...base, sub: `repo:${repository}:pull_request`, event_name: 'pull_request', ref: `refs/pull/${job.pullRequest}/merge` };
  if ('environment' in job) return { ...base, sub: `repo:${repository}:environment:${job.environment}`, event_name: 'push', ref: 'refs/heads/main', environment: job.environment };
  return { ...base, sub: `repo:${repository}:ref:${job.ref}`, event_name: 'push', ref: job.ref };
}

/** The resolved name tests give the stack's pool (the synthesized JSON holds a reference). */
export const POOL_NAME = 'projects/123456789/locations/global/workloadIdentityPools/test-pool';

/** The principals a token stands for at `provider`, or `undefined` when the provider refuses it. */
export function federatedPrincipals(provider: Record<string, any>, claims: GithubClaims): string[] | undefined {
  if (provider.attribute_condition && evaluate(provider.attribute_condition, { assertion: claims }) !== true) return undefined;
  const principals = [`principalSet://iam.googleapis.com/${POOL_NAME}/*`];
  for (const [target, expression] of Object.entries(provider.attribute_mapping as Record<string, string>)) {
    let value: unknown;
    try {
      value = evaluate(expression, { assertion: claims });
    } catch {
      continue; // a claim this token lacks: no such attribute on it
    }
    if (typeof value !== 'string') continue;
    if (target === 'google.subject') principals.push(`principal://iam.googleapis.com/${POOL_NAME}/subject/${value}`);
    else if (target.startsWith('attribute.')) principals.push(`principalSet://iam.googleapis.com/${POOL_NAME}/${target}/${value}`);
  }
  return principals;
}

/** `${google_iam_workload_identity_pool.<id>.name}` resolved to POOL_NAME. */
function resolvePool(member: string): string {
  return member.replace(/\$\{google_iam_workload_identity_pool\.[\w-]+\.name\}/g, POOL_NAME);
}

/** Resource ids of the `google_service_account`s (by account_id) a token may impersonate in `json`. */
export function impersonableAccounts(json: TerraformJson, claims: GithubClaims): string[] {
  const providers = resourcesOf(json, 'google_iam_workload_identity_pool_provider');
  const principals = new Set(providers.flatMap((p) => federatedPrincipals(p, claims) ?? []));
  const accounts = json.resource?.google_service_account ?? {};
  const accountIdOf = (ref: string) => {
    const id = /^\$\{google_service_account\.([\w-]+)\.name\}$/.exec(ref)?.[1];
    return id ? String(accounts[id]?.account_id) : ref;
  };
  const allowed = resourcesOf(json, 'google_service_account_iam_member')
    .filter((b) => b.role === 'roles/iam.workloadIdentityUser' && principals.has(resolvePool(String(b.member))))
    .map((b) => accountIdOf(String(b.service_account_id)));
  return [...new Set(allowed)].sort();
}
