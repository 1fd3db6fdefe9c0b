import { GUARDRAIL_RULE_IDS, MIN_DISABLE_REASON_LENGTH, RuleId, isRuleId } from './rule-ids';

export type EnvironmentKind = 'development' | 'staging' | 'production';
const KINDS: readonly EnvironmentKind[] = ['development', 'staging', 'production'];

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
export class GuardrailOptionsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GuardrailOptionsError';
  }
}

/**
 * Validates guardrail options and returns a normalized copy. Throws a `GuardrailOptionsError`
 * naming the rule when a rule is disabled without a written reason.
 */
export function guardrailOptions(input: GuardrailOptions): Required<GuardrailOptions> {
  if (!KINDS.includes(input.kind)) {
    throw new GuardrailOptionsError(`guardrails: kind must be one of ${KINDS.join(', ')}, got "${String(input.kind)}"`);
  }
  const disabled = (input.disabled ?? []).map(({ rule, reason }) => {
    if (!isRuleId(rule)) {
      throw new GuardrailOptionsError(`guardrails: cannot disable unknown rule "${String(rule)}" (rules: ${GUARDRAIL_RULE_IDS.join(', ')})`);
    }
    if (typeof reason !== 'string' || reason.trim().length < MIN_DISABLE_REASON_LENGTH) {
      throw new GuardrailOptionsError(
        `guardrails: rule "${rule}" can only be disabled with a written reason (at least ${MIN_DISABLE_REASON_LENGTH} characters)`,
      );
    }
    return Object.freeze({ rule, reason: reason.trim() });
  });
  return Object.freeze({ kind: input.kind, allowPublicInvoker: input.allowPublicInvoker ?? false, disabled: Object.freeze(disabled) });
}
