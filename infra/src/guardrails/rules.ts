import { Annotations, IAspect, TerraformDataSource, TerraformResource } from 'cdktf';
import type { IConstruct } from 'constructs';
import { SECRET_PLACEHOLDER } from '@orchestra/runtime/contract';
import { INVOKER_ROLE } from '../compute/runtime-service';
import { PRIMITIVE_ROLES, PUBLIC_PRINCIPALS } from '../iam';
import { CREDENTIAL_NAME } from '../security/credential-name';
import { Attributes, asList, dataSourceAttributes, isReference, isWholeReference, providerAttributes, providerOf, resourceAttributes, show } from './config';
import type { EnvironmentKind, GuardrailOptions } from './options';
import type { RuleId } from './rule-ids';

/**
 * One guardrail: an aspect that reads every Terraform resource (and data source) of the scope
 * it is added to and reports each violation as an error annotation, so `app.synth()` fails.
 * Messages read `guardrail <rule>: <construct path> (<terraform type>): <problem>`.
 */
export abstract class GuardrailRule implements IAspect {
  abstract readonly rule: RuleId;
  /** Which kinds of environment the rule applies to. */
  appliesTo(_kind: EnvironmentKind): boolean {
    return true;
  }

  visit(node: IConstruct): void {
    if (TerraformResource.isTerraformResource(node)) {
      for (const problem of this.checkResource(node.terraformResourceType, resourceAttributes(node), node)) {
        this.report(node, node.terraformResourceType, problem);
      }
    } else if (TerraformDataSource.isTerraformDataSource(node)) {
      for (const problem of this.checkDataSource(node.terraformResourceType, dataSourceAttributes(node))) {
        this.report(node, `data.${node.terraformResourceType}`, problem);
      }
    }
  }

  protected abstract checkResource(type: string, config: Attributes, resource: TerraformResource): string[];
  protected checkDataSource(_type: string, _config: Attributes): string[] {
    return [];
  }

  private report(node: IConstruct, type: string, problem: string): void {
    Annotations.of(node).addError(`guardrail ${this.rule}: ${node.node.path} (${type}): ${problem}`);
  }
}

/* labels ----------------------------------------------------------------------------------- */

const REQUIRED_LABELS = ['app', 'env'] as const;

/**
 * Every Google resource that takes labels ends up with `app` and `env`, from its provider's
 * `default_labels` (read once per provider) or its own `labels`.
 */
export class LabelsRule extends GuardrailRule {
  readonly rule = 'labels' as const;
  private readonly providerLabels = new WeakMap<object, unknown>();

  protected checkResource(type: string, config: Attributes, resource: TerraformResource): string[] {
    if (!type.startsWith('google') || !('labelsInput' in resource)) return [];
    const provider = providerOf(resource);
    let defaults: unknown;
    if (provider) {
      if (!this.providerLabels.has(provider)) this.providerLabels.set(provider, providerAttributes(provider).default_labels);
      defaults = this.providerLabels.get(provider);
    }
    const own: unknown = config.labels;
    if (isReference(defaults) || isReference(own)) return [];
    const effective: Record<string, unknown> = { ...(defaults as object), ...(own as object) };
    const missing = REQUIRED_LABELS.filter((k) => !(isReference(effective[k]) || (typeof effective[k] === 'string' && effective[k] !== '')));
    if (missing.length === 0) return [];
    return [
      `missing label(s) ${missing.map((k) => `"${k}"`).join(', ')}: set default_labels on the ${provider ? `provider (${provider.node.path})` : 'google provider (none found)'} or labels on the resource`,
    ];
  }
}

/* IAM -------------------------------------------------------------------------------------- */

interface Grant {
  readonly role: unknown;
  readonly members: unknown[];
}

function resourceGrants(type: string, config: Attributes): Grant[] {
  if (type.endsWith('_iam_member')) return [{ role: config.role, members: [config.member] }];
  if (type.endsWith('_iam_binding')) return [{ role: config.role, members: asList(config.members) }];
  if (type.endsWith('_iam_policy')) {
    const policy = config.policy_data;
    if (typeof policy !== 'string' || isReference(policy)) return []; // from a data source: checked there
    try {
      const parsed = JSON.parse(policy) as { bindings?: { role?: unknown; members?: unknown }[] };
      return asList(parsed.bindings).map((b) => ({ role: b.role, members: asList(b.members) }));
    } catch {
      return [];
    }
  }
  return [];
}

function dataSourceGrants(type: string, config: Attributes): Grant[] {
  if (type !== 'google_iam_policy') return [];
  return asList(config.binding).map((b) => ({ role: b.role, members: asList(b.members) }));
}

/** No IAM member, binding or policy grants roles/owner, roles/editor or roles/viewer. */
export class NoPrimitiveRolesRule extends GuardrailRule {
  readonly rule = 'no-primitive-roles' as const;
  protected checkResource(type: string, config: Attributes): string[] {
    return this.check(resourceGrants(type, config));
  }
  protected checkDataSource(type: string, config: Attributes): string[] {
    return this.check(dataSourceGrants(type, config));
  }
  private check(grants: Grant[]): string[] {
    return grants
      .filter((g) => typeof g.role === 'string' && PRIMITIVE_ROLES.includes(g.role))
      .map((g) => `role "${String(g.role)}" is a basic role; grant a predefined or custom role instead`);
  }
}

const PUBLIC_INVOKER_TYPE = 'google_cloud_run_v2_service_iam_member';

/**
 * No IAM grant names allUsers/allAuthenticatedUsers, except `roles/run.invoker` on a Cloud Run
 * service (`google_cloud_run_v2_service_iam_member`) when `allowPublicInvoker` is set.
 */
export class NoPublicPrincipalsRule extends GuardrailRule {
  readonly rule = 'no-public-principals' as const;
  constructor(private readonly allowPublicInvoker: boolean) {
    super();
  }
  protected checkResource(type: string, config: Attributes): string[] {
    const allowed = this.allowPublicInvoker && type === PUBLIC_INVOKER_TYPE && config.role === INVOKER_ROLE;
    if (type === 'google_cloud_run_v2_service' && config.invoker_iam_disabled === true && !this.allowPublicInvoker) {
      // Without the IAM check, ingress is the only gate: "all" is the same as granting allUsers.
      const ingress: unknown = config.ingress;
      if (ingress === undefined || ingress === 'INGRESS_TRAFFIC_ALL') {
        return [`invoker_iam_disabled with ingress ${show(ingress ?? 'INGRESS_TRAFFIC_ALL')} lets anyone on the internet invoke the service (allowPublicInvoker permits it)`];
      }
    }
    return allowed ? [] : this.check(resourceGrants(type, config));
  }
  protected checkDataSource(type: string, config: Attributes): string[] {
    return this.check(dataSourceGrants(type, config));
  }
  private check(grants: Grant[]): string[] {
    const hint = this.allowPublicInvoker ? '' : ' (allowPublicInvoker permits it only for roles/run.invoker on a Cloud Run service)';
    return grants.flatMap((g) =>
      g.members
        .filter((m): m is string => typeof m === 'string' && PUBLIC_PRINCIPALS.includes(m))
        .map((m) => `grants ${show(g.role)} to public principal "${m}"${hint}`),
    );
  }
}

/* Production ------------------------------------------------------------------------------- */

type Check = (config: Attributes) => string | undefined;

const PROTECTION: Record<string, Check> = {
  google_firestore_database: (c) =>
    c.delete_protection_state === 'DELETE_PROTECTION_ENABLED'
      ? undefined
      : `delete_protection_state must be "DELETE_PROTECTION_ENABLED", got ${show(c.delete_protection_state)}`,
  // Unset means true: the provider (6.x) defaults deletion_protection to true.
  google_cloud_run_v2_service: (c) =>
    c.deletion_protection === true || c.deletion_protection === undefined ? undefined : `deletion_protection must be true, got ${show(c.deletion_protection)}`,
  google_secret_manager_secret: (c) =>
    c.deletion_protection === true ? undefined : `deletion_protection must be true, got ${show(c.deletion_protection)}`,
  // Unset means false.
  google_storage_bucket: (c) =>
    c.force_destroy === false || c.force_destroy === undefined ? undefined : `force_destroy must be false, got ${show(c.force_destroy)}`,
  google_redis_instance: (c) =>
    c.lifecycle?.prevent_destroy === true ? undefined : `lifecycle.prevent_destroy must be true, got ${show(c.lifecycle?.prevent_destroy)}`,
};

/** Production only: stateful resources cannot be deleted by a plan. */
export class DeletionProtectionRule extends GuardrailRule {
  readonly rule = 'deletion-protection' as const;
  appliesTo(kind: EnvironmentKind): boolean {
    return kind === 'production';
  }
  protected checkResource(type: string, config: Attributes): string[] {
    const problem = PROTECTION[type]?.(config);
    return problem ? [problem] : [];
  }
}

/** Outside development: Memorystore for Redis requires AUTH and serves TLS. */
export class RedisAuthTlsRule extends GuardrailRule {
  readonly rule = 'redis-auth-tls' as const;
  appliesTo(kind: EnvironmentKind): boolean {
    return kind !== 'development';
  }
  protected checkResource(type: string, config: Attributes): string[] {
    if (type !== 'google_redis_instance') return [];
    const problems: string[] = [];
    if (config.auth_enabled !== true) problems.push(`auth_enabled must be true, got ${show(config.auth_enabled)}`);
    if (config.transit_encryption_mode !== 'SERVER_AUTHENTICATION') {
      problems.push(`transit_encryption_mode must be "SERVER_AUTHENTICATION", got ${show(config.transit_encryption_mode)}`);
    }
    return problems;
  }
}

/** Production only: Cloud Run is not reachable straight from the internet. */
export class PrivateIngressRule extends GuardrailRule {
  readonly rule = 'private-ingress' as const;
  appliesTo(kind: EnvironmentKind): boolean {
    return kind === 'production';
  }
  protected checkResource(type: string, config: Attributes): string[] {
    if (type !== 'google_cloud_run_v2_service') return [];
    const ingress: unknown = config.ingress;
    if (typeof ingress === 'string' && !isReference(ingress) && ingress !== 'INGRESS_TRAFFIC_ALL') return [];
    const got = ingress === undefined ? 'unset (the default is INGRESS_TRAFFIC_ALL)' : show(ingress);
    return [`ingress must be INGRESS_TRAFFIC_INTERNAL_ONLY or INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER, got ${got}`];
  }
}

/* Secrets ---------------------------------------------------------------------------------- */


/**
 * No secret value written into the configuration: secret versions take their data from a
 * reference, and Cloud Run reads credential-named variables from Secret Manager (value_source).
 */
export class NoLiteralSecretsRule extends GuardrailRule {
  readonly rule = 'no-literal-secrets' as const;
  protected checkResource(type: string, config: Attributes): string[] {
    if (type === 'google_secret_manager_secret_version') {
      // The one literal allowed is the placeholder marker (`Secret`'s `placeholder`), which is not a credential.
      return ['secret_data', 'secret_data_wo']
        .filter((field) => config[field] !== undefined && !isWholeReference(config[field]) && config[field] !== SECRET_PLACEHOLDER)
        .map((field) => `${field} is a literal: take it from a reference (another resource's attribute or a variable), never a value in code`);
    }
    if (type === 'google_cloud_run_v2_service') {
      const problems: string[] = [];
      for (const container of asList(config.template).flatMap((t) => asList(t?.containers))) {
        for (const variable of asList(container?.env)) {
          const name: unknown = variable?.name;
          if (typeof name !== 'string' || !CREDENTIAL_NAME.test(name)) continue;
          if (variable.value !== undefined && variable.value !== null && variable.value !== '') {
            problems.push(`container env ${name} has a plain value: read it from Secret Manager (value_source.secret_key_ref)`);
          }
        }
      }
      return problems;
    }
    return [];
  }
}

/** Every rule, in id order, configured by `options` (not filtered). */
export function allRules(options: Required<GuardrailOptions>): GuardrailRule[] {
  return [
    new LabelsRule(),
    new NoPrimitiveRolesRule(),
    new NoPublicPrincipalsRule(options.allowPublicInvoker),
    new DeletionProtectionRule(),
    new RedisAuthTlsRule(),
    new PrivateIngressRule(),
    new NoLiteralSecretsRule(),
  ];
}
