import { type Problem, ValidationError } from '@orchestra/runtime/contract';
import { GUARDRAIL_RULE_IDS, MIN_DISABLE_REASON_LENGTH, RuleId, isRuleId } from './rule-ids';

/** Kinds of environment, in promotion order: production adds deletion protection and private ingress, all but development Redis AUTH + TLS. */
export const ENVIRONMENT_KINDS = ['development', 'staging', 'production'] as const;
export type EnvironmentKind = (typeof ENVIRONMENT_KINDS)[number];

/** A rule switched off, with the written reason why. */
export interface DisabledRule {
  readonly rule: RuleId;
  readonly reason: string;
}

export interface GuardrailOptions {
  /** Which environment rules apply: production adds deletion protection and private ingress. */
  readonly kind: EnvironmentKind;
  /**
   * Let `allUsers`/`allAuthenticatedUsers` be granted `roles/run.invoker` on a Cloud Run service
   * (`google_cloud_run_v2_service_iam_member`); nothing else may name a public principal.
   * @default false
   */
  readonly allowPublicInvoker?: boolean;
  /** Rules switched off, each with a reason of at least 10 characters. @default [] */
  readonly disabled?: readonly DisabledRule[];
}

/** Options that cannot be used: an unknown kind or rule, or a rule disabled without a reason. */
export class GuardrailOptionsError extends ValidationError {
  static readonly CODE = 'INFRA_INVALID_GUARDRAIL_OPTIONS';
  constructor(problems: readonly Problem[]) {
    super(GuardrailOptionsError.CODE, 'invalid guardrail options', problems);
  }
}

/**
 * Validates guardrail options and returns a normalized copy. Throws a `GuardrailOptionsError`
 * naming every problem: an unknown kind or rule, a rule disabled without a written reason.
 */
export function guardrailOptions(input: GuardrailOptions): Required<GuardrailOptions> {
  const problems: Problem[] = [];
  if (!(ENVIRONMENT_KINDS as readonly string[]).includes(input.kind)) {
    problems.push({ path: 'kind', message: `must be one of ${ENVIRONMENT_KINDS.join(', ')}, got "${String(input.kind)}"` });
  }
  const disabled = (input.disabled ?? []).flatMap(({ rule, reason }, i) => {
    if (!isRuleId(rule)) {
      problems.push({ path: `disabled[${i}].rule`, message: `cannot disable unknown rule "${String(rule)}" (rules: ${GUARDRAIL_RULE_IDS.join(', ')})` });
      return [];
    }
    if (typeof reason !== 'string' || reason.trim().length < MIN_DISABLE_REASON_LENGTH) {
      problems.push({ path: `disabled[${i}].reason`, message: `rule "${rule}" can only be disabled with a written reason (at least ${MIN_DISABLE_REASON_LENGTH} characters)` });
      return [];
    }
    return [Object.freeze({ rule, reason: reason.trim() })];
  });
  if (problems.length > 0) throw new GuardrailOptionsError(problems);
  return Object.freeze({ kind: input.kind, allowPublicInvoker: input.allowPublicInvoker ?? false, disabled: Object.freeze(disabled) });
}
