import { Construct } from 'constructs';
import { Token } from 'cdktf';
import { ProjectIamMember } from '@cdktf/provider-google/lib/project-iam-member';
import { InvalidPropsError } from './props-validator';

/**
 * Something that can be granted access: a principal in IAM member form
 * (`serviceAccount:…`, `user:…`, `group:…`, `domain:…`, `principal:…`, `principalSet:…`).
 * A created `ServiceAccount` is one; so is `{ member: 'group:ops@example.com' }`.
 */
export interface IGrantable {
  readonly member: string;
}

/** Principals that mean "anyone": never granted unless a config opts in explicitly. */
export const PUBLIC_PRINCIPALS: readonly string[] = ['allUsers', 'allAuthenticatedUsers'];

/** Basic roles, too broad for anything this kit creates. */
export const PRIMITIVE_ROLES: readonly string[] = ['roles/owner', 'roles/editor', 'roles/viewer'];

const MEMBER_PATTERN =
  /^(user|serviceAccount|group|domain|principal|principalSet):\S+$|^(allUsers|allAuthenticatedUsers)$/;

/** True when `member` is a well-formed IAM member string (or a token resolved at deploy). */
export function isIamMember(member: string): boolean {
  return Token.isUnresolved(member) || MEMBER_PATTERN.test(member);
}

export function isPublicPrincipal(member: string): boolean {
  return PUBLIC_PRINCIPALS.includes(member);
}

/**
 * Throws an `InvalidPropsError` unless `role` is a predefined or custom role other than a basic
 * one: every grant this kit makes goes through here, so no construct can hand out owner/editor/viewer.
 */
export function assertLeastPrivilegeRole(path: string, role: string): void {
  if (PRIMITIVE_ROLES.includes(role)) {
    throw new InvalidPropsError(path, [{ path: 'role', message: `"${role}" is a basic role; grant a predefined role instead` }]);
  }
}

/**
 * A construct id for one grant, stable across synths and independent of call order (state keys
 * must not shift when a grant is added before another): from the grantee's construct address
 * when it is a construct, else from its member string.
 */
export function grantId(kind: string, grantee: IGrantable): string {
  const node = (grantee as { node?: { addr?: string } }).node;
  if (node?.addr) return `${kind}-${node.addr.slice(0, 12)}`;
  if (Token.isUnresolved(grantee.member)) {
    throw new InvalidPropsError(kind, [{ path: 'grantee.member', message: 'cannot derive a stable grant id from an unresolved member; pass a construct or a literal member' }]);
  }
  return `${kind}-${grantee.member.replace(/[^A-Za-z0-9]+/g, '-').toLowerCase()}`;
}

/** Throws unless `grantee` names a specific principal (never "anyone"). */
export function assertNamedPrincipal(path: string, grantee: IGrantable): void {
  if (!isIamMember(grantee.member) || isPublicPrincipal(grantee.member)) {
    throw new InvalidPropsError(path, [{ path: 'grantee.member', message: `cannot grant access to "${grantee.member}": a named principal (user:, group:, serviceAccount:, …) is required` }]);
  }
}

/** Condition narrowing a project-level grant to matching resources. */
export interface IamCondition {
  readonly title: string;
  readonly expression: string;
  readonly description?: string;
}

/**
 * A project-level grant, for services without resource-level IAM (Vertex AI Vector Search,
 * Firestore databases). Made under `scope` so the grant lives beside the resource it opens.
 */
export function grantProjectRole(
  scope: Construct,
  project: string,
  role: string,
  grantee: IGrantable,
  condition?: IamCondition,
): ProjectIamMember {
  assertLeastPrivilegeRole(scope.node.path, role);
  assertNamedPrincipal(scope.node.path, grantee);
  const id = grantId(role.replace(/^roles\//, '').replace(/\./g, '-'), grantee);
  return onceGrant(scope, id, () => new ProjectIamMember(scope, id, { project, role, member: grantee.member, condition }));
}

/**
 * Returns the grant `id` under `scope` if it was made already, else makes it: granting the same
 * access twice (say, by a construct and by its caller) is a no-op, not a duplicate binding.
 */
export function onceGrant<T extends Construct>(scope: Construct, id: string, make: () => T): T {
  return (scope.node.tryFindChild(id) as T | undefined) ?? make();
}
