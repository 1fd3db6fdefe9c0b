/**
 * Ids of the synth-time guardrails (see `./index.ts`). Kept in a file of its own, free of cdktf
 * imports, so the environment schema can validate `guardrails.disabled[].rule` against the same
 * list the aspects use.
 */
export const GUARDRAIL_RULE_IDS = [
  'labels',
  'no-primitive-roles',
  'no-public-principals',
  'deletion-protection',
  'redis-auth-tls',
  'private-ingress',
  'no-literal-secrets',
] as const;

export type RuleId = (typeof GUARDRAIL_RULE_IDS)[number];

/** The shortest reason accepted for switching a rule off. */
export const MIN_DISABLE_REASON_LENGTH = 10;

export function isRuleId(value: unknown): value is RuleId {
  return typeof value === 'string' && (GUARDRAIL_RULE_IDS as readonly string[]).includes(value);
}
