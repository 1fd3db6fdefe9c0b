/**
 * Names of environment variables that carry a credential (`…_PASSWORD`, `…_API_KEY`, `…_TOKEN`,
 * any case): such a variable must come from Secret Manager, never as a plain value. Checked when a
 * service is built (RuntimeService) and again over the whole stack at synth (the guardrail).
 */
export const CREDENTIAL_NAME = /(PASSWORD|SECRET|TOKEN|API_KEYS?|CREDENTIALS?)$/i;
