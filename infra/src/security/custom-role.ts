import { createHash } from 'node:crypto';
import { Construct } from 'constructs';
import { TerraformStack } from 'cdktf';
import { ProjectIamCustomRole } from '@cdktf/provider-google/lib/project-iam-custom-role';
import { ProjectIamMember } from '@cdktf/provider-google/lib/project-iam-member';
import { IGrantable, type IamCondition, assertNamedPrincipal, grantId, onceGrant } from '../iam';
import { PropsValidator } from '../props-validator';

/**
 * Context key of a suffix appended to every custom role id (`cdktf.json` "context", or
 * `app.node.setContext`). Google keeps a deleted role's id for 37 days: within the first 7 the
 * provider undeletes the role when it is created again (`terraform destroy` then `deploy` of a
 * dev environment just works); from day 7 to day 37 the id cannot be used, and a re-created
 * environment needs a new suffix (Google's "Create and manage custom roles", deleting a custom role).
 */
export const CUSTOM_ROLE_SUFFIX_CONTEXT = 'orchestra:customRoleIdSuffix';

/** Custom role ids: letters, digits, underscores and periods, 3 to 64 (IAM's `roles.create`). */
const ROLE_ID = /^[a-zA-Z0-9_.]{3,64}$/;

export interface CustomRoleProps {
  readonly project: string;
  /**
   * Stable id, without the context suffix: hyphens become underscores. Keep it free of random
   * parts, so the same environment always names the same role.
   */
  readonly roleId: string;
  readonly title: string;
  readonly description: string;
  /** Exactly the permissions the role's holders need; nothing is added. */
  readonly permissions: readonly string[];
}

/**
 * A project custom role holding exactly `permissions`: for callers whose calls need fewer
 * permissions than any predefined role grants.
 */
export class CustomRole extends Construct {
  /** `projects/<project>/roles/<id>`: what a binding names. */
  public readonly name: string;
  public readonly roleId: string;
  public readonly permissions: readonly string[];
  private readonly project: string;

  constructor(scope: Construct, id: string, props: CustomRoleProps) {
    super(scope, id);
    const suffix = (this.node.tryGetContext(CUSTOM_ROLE_SUFFIX_CONTEXT) as string | undefined) ?? '';
    const roleId = `${props.roleId}${suffix}`.replace(/-/g, '_');
    const permissions = [...new Set(props.permissions)].sort();
    new PropsValidator(this.node.path)
      .check('roleId', roleId, ROLE_ID.test(roleId), `"${roleId}" must be 3-64 letters, digits, underscores or periods`)
      .check('permissions', permissions, permissions.length > 0 && permissions.every((p) => /^[a-z][a-zA-Z0-9]*(\.[a-zA-Z0-9]+){2}$/.test(p)), 'at least one permission, each service.resource.verb')
      .throwIfInvalid();
    const role = new ProjectIamCustomRole(this, 'role', {
      project: props.project,
      roleId,
      title: props.title,
      description: props.description,
      permissions,
    });
    this.project = props.project;
    this.roleId = roleId;
    this.permissions = permissions;
    this.name = role.name;
  }

  /** Binds the role to `grantee` on the project, narrowed by `condition` when given. */
  grant(grantee: IGrantable, condition?: IamCondition): ProjectIamMember {
    assertNamedPrincipal(this.node.path, grantee);
    // One binding per grantee and condition: the same grantee on two databases is two grants.
    const scoped = condition ? `grant-${createHash('sha256').update(condition.expression).digest('hex').slice(0, 8)}` : 'grant';
    const id = grantId(scoped, grantee);
    return onceGrant(this, id, () => new ProjectIamMember(this, id, { project: this.project, role: this.name, member: grantee.member, condition }));
  }

  /** The role `id` of the stack of `scope`, made by `make` the first time: one role however many constructs grant it. */
  static once(scope: Construct, id: string, make: (stack: Construct) => CustomRole): CustomRole {
    const stack = TerraformStack.of(scope);
    return (stack.node.tryFindChild(id) as CustomRole | undefined) ?? make(stack);
  }
}
