import type { LlmFailureKind } from '../contract';
import { LlmError, type ChatResult, type LlmErrorKind } from './types';

/** The retry/allowed-fails policy name of an error kind (LiteLLM's names are listed with LLM_FAILURE_KINDS). */
export function failureKindOf(kind: LlmErrorKind): LlmFailureKind {
  switch (kind) {
    case 'rate-limit':
      return 'rateLimit';
    case 'not-found':
      return 'notFound';
    case 'bad-request':
      return 'badRequest';
    case 'context-window':
      return 'contextWindow';
    case 'content-filter':
      return 'contentPolicy';
    default:
      return kind;
  }
}

/** Whether a failure says something about the deployment's health (LiteLLM's _is_cooldown_required: 429, 401, 404, 408, 5xx; not other 4xx). */
export function countsTowardCooldown(kind: LlmErrorKind): boolean {
  return kind === 'rate-limit' || kind === 'server' || kind === 'timeout' || kind === 'network' || kind === 'auth' || kind === 'not-found';
}

/** Which fallback list a failure moves to. */
export type FallbackKind = 'general' | 'context-window' | 'content-policy' | 'none';

export function fallbackKindOf(kind: LlmErrorKind): FallbackKind {
  if (kind === 'bad-request') return 'none';
  if (kind === 'context-window') return 'context-window';
  if (kind === 'content-filter') return 'content-policy';
  return 'general';
}

/**
 * A completion the provider filtered, as a failure: LiteLLM raises ContentPolicyViolationError
 * for a `content_filter` finish only when the group has content-policy fallbacks
 * (`_should_raise_content_policy_error`); without them the caller gets the filtered answer.
 */
export function contentFilteredError(result: ChatResult, deployment: string): LlmError | undefined {
  if (result.finishReason !== 'content-filter') return undefined;
  return new LlmError('content-filter', `${deployment}: the provider filtered the completion (finish reason content-filter)`, { provider: result.provider, model: result.model });
}

/** The router's own 429: every deployment of a group is at its rpm/tpm limit this minute. */
export function overLimitError(group: string, retryAfterMs: number): LlmError {
  return new LlmError('rate-limit', `every deployment of "${group}" is at its rpm/tpm limit this minute`, { retryAfterMs });
}
