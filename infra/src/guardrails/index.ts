import { Annotations, Aspects } from 'cdktf';
import type { IConstruct } from 'constructs';
import { GuardrailOptions, guardrailOptions } from './options';
import { GuardrailRule, allRules } from './rules';

export * from './rule-ids';
export * from './options';
export {
  DeletionProtectionRule,
  GuardrailRule,
  LabelsRule,
  NoLiteralSecretsRule,
  NoPrimitiveRolesRule,
  NoPublicPrincipalsRule,
  PrivateIngressRule,
  RedisAuthTlsRule,
} from './rules';

/**
 * The guardrail aspects for an environment of `options.kind`: every rule that applies to that
 * kind and is not disabled. Throws a `GuardrailOptionsError` when a rule is disabled without a
 * written reason.
 */
export function orchestraGuardrails(options: GuardrailOptions): GuardrailRule[] {
  const resolved = guardrailOptions(options);
  const off = new Set(resolved.disabled.map((d) => d.rule));
  return allRules(resolved).filter((r) => r.appliesTo(resolved.kind) && !off.has(r.rule));
}

/**
 * Adds the guardrails to `scope` (a stack, usually): at synth every resource under it is checked
 * and each violation becomes an error annotation, which fails `app.synth()`. Each disabled rule is
 * recorded as an info annotation with its reason.
 */
export function applyGuardrails(scope: IConstruct, options: GuardrailOptions): GuardrailRule[] {
  const aspects = orchestraGuardrails(options);
  for (const aspect of aspects) Aspects.of(scope).add(aspect);
  for (const { rule, reason } of guardrailOptions(options).disabled) {
    Annotations.of(scope).addInfo(`guardrail ${rule} disabled: ${reason}`);
  }
  return aspects;
}
