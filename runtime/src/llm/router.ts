import { setTimeout as sleep } from 'node:timers/promises';
import { DelegateBackoff, ExponentialBackoff, TaskCancelledError, TimeoutStrategy, handleWhen, retry, timeout, type IBackoff, type IRetryBackoffContext, type TimeoutPolicy } from 'cockatiel';
import { LLM_ROUTER_DEFAULTS, type Problem, ValidationError, fallbackIssues, formatPath } from '../contract';
import { Cooldowns } from './cooldowns';
import { LlmError, type Attempt, type ChatRequest, type ChatResult, type LanguageModel, type LlmClient, type RoutedChatResult } from './types';

export interface RouterDeployment {
  /** Unique; what `fallbacks` and `chat(…, { deployment })` refer to. */
  readonly name: string;
  readonly model: LanguageModel;
  /** This deployment's per-call timeout. @default the router's `timeoutMs` */
  readonly timeoutMs?: number;
}

/** The router's defaults (defined with the LLM settings they are the defaults of). */
export const ROUTER_DEFAULTS = LLM_ROUTER_DEFAULTS;

/** ModelRouter options that cannot make a router (code `LLM_INVALID_ROUTER_OPTIONS`). */
export class RouterOptionsError extends ValidationError {
  static readonly CODE = 'LLM_INVALID_ROUTER_OPTIONS';
  constructor(problems: readonly Problem[]) {
    super(RouterOptionsError.CODE, 'invalid ModelRouter options', problems);
  }
}

export interface ModelRouterOptions {
  /** The first is the default deployment. */
  readonly deployments: readonly RouterDeployment[];
  /** Per call (one attempt), passed to the model as an AbortSignal. @default 30000 */
  readonly timeoutMs?: number;
  /** Further attempts on the same deployment after a retryable failure (rate-limit, server, timeout, network). @default 2 */
  readonly retries?: number;
  /** Exponential backoff with decorrelated jitter between retries. @default { initialMs: 250, maxMs: 4000 } */
  readonly backoff?: { readonly initialMs?: number; readonly maxMs?: number };
  /** A server's Retry-After replaces the backoff, up to this much. @default 30000 */
  readonly maxRetryAfterMs?: number;
  /** Deployment → deployments tried in order once its retries are exhausted (and after auth/not-found errors). */
  readonly fallbacks?: Readonly<Record<string, readonly string[]>>;
  /** Deployment → deployments tried in order when its prompt is too long; `fallbacks` when none are given. */
  readonly contextWindowFallbacks?: Readonly<Record<string, readonly string[]>>;
  /** How long a deployment is skipped after a 429 or `allowedFailures` consecutive failures; 0 turns cooldowns off. @default 30000 */
  readonly cooldownMs?: number;
  /** Consecutive server/timeout/network failures that start a cooldown. @default 3 */
  readonly allowedFailures?: number;
  /** Clock of the cooldowns (tests move it). @default Date.now */
  readonly now?: () => number;
}

/** Every deployment the call could use failed or was cooling down. */
export class LlmRouterError extends Error {
  readonly code = 'LLM_ROUTER_FAILED';

  constructor(
    /** Every attempt, in order. */
    readonly attempts: readonly Attempt[],
    /** The error that ended the call: the last failure, or why there was nothing to try. */
    readonly lastError: LlmError,
  ) {
    const tried = attempts.map((a) => `${a.deployment} ${a.outcome === 'error' ? (a.errorKind ?? 'error') : a.outcome}`).join(', ');
    super(`LLM call failed after ${attempts.length} attempt${attempts.length === 1 ? '' : 's'}${tried ? ` (${tried})` : ''}: ${lastError.message}`, { cause: lastError });
    this.name = 'LlmRouterError';
  }
}

/**
 * Routes a chat to a deployment with LiteLLM's semantics: retries with backoff (Retry-After
 * honoured) for retryable failures, then the deployment's fallbacks in order, each with its own
 * retries; context-window failures are not retried and go to the context-window fallbacks;
 * deployments that answered 429 (or kept failing) are skipped while they cool down.
 *
 * Decisions, LiteLLM's where it has one:
 * - auth and not-found failures are not retried but do fall back (another deployment has another
 *   key or model); bad-request failures neither (the same request is malformed everywhere).
 * - after a 429, or once a deployment starts cooling down, its remaining retries are skipped
 *   when a fallback is available (waiting out Retry-After would stall the call for nothing).
 * - a deployment with no fallbacks is never skipped for cooling down: the caller has nothing
 *   else, and the retries honour Retry-After anyway.
 * - only the requested deployment's fallback list is used, not the fallbacks' own lists.
 */
export class ModelRouter implements LlmClient {
  readonly deployments: readonly string[];
  private readonly byName: ReadonlyMap<string, RouterDeployment>;
  private readonly timeouts: ReadonlyMap<string, { readonly ms: number; readonly policy: TimeoutPolicy }>;
  private readonly retries: number;
  private readonly backoffMs: { readonly initialMs: number; readonly maxMs: number };
  private readonly maxRetryAfterMs: number;
  private readonly fallbacks: Readonly<Record<string, readonly string[]>>;
  private readonly contextWindowFallbacks: Readonly<Record<string, readonly string[]>>;
  private readonly cooldowns: Cooldowns;

  constructor(options: ModelRouterOptions) {
    validate(options);
    const d = ROUTER_DEFAULTS;
    this.deployments = options.deployments.map((x) => x.name);
    this.byName = new Map(options.deployments.map((x) => [x.name, x]));
    this.timeouts = new Map(
      options.deployments.map((x) => {
        const ms = x.timeoutMs ?? options.timeoutMs ?? d.timeoutMs;
        // Aggressive: the attempt ends at the deadline even if a model ignores its AbortSignal.
        return [x.name, { ms, policy: timeout(ms, TimeoutStrategy.Aggressive) }];
      }),
    );
    this.retries = options.retries ?? d.retries;
    this.backoffMs = { initialMs: options.backoff?.initialMs ?? d.backoff.initialMs, maxMs: options.backoff?.maxMs ?? d.backoff.maxMs };
    this.maxRetryAfterMs = options.maxRetryAfterMs ?? d.maxRetryAfterMs;
    this.fallbacks = options.fallbacks ?? {};
    this.contextWindowFallbacks = options.contextWindowFallbacks ?? {};
    this.cooldowns = new Cooldowns(options.cooldownMs ?? d.cooldownMs, options.allowedFailures ?? d.allowedFailures, options.now ?? Date.now);
  }

  async chat(request: ChatRequest, options: { readonly deployment?: string } = {}): Promise<RoutedChatResult> {
    const attempts: Attempt[] = [];
    const first = options.deployment ?? this.deployments[0];
    if (!this.byName.has(first)) {
      throw new LlmRouterError(attempts, new LlmError('not-found', `unknown deployment "${first}" (configured: ${this.deployments.join(', ')})`));
    }
    // Fallback ordering is hand-written: which list applies depends on how the first deployment failed.
    let candidates = [first, ...(this.fallbacks[first] ?? [])];
    let lastError: LlmError | undefined;
    for (let i = 0; i < candidates.length; i++) {
      if (request.abortSignal?.aborted) {
        lastError ??= callerAbort(first);
        break;
      }
      const deployment = this.byName.get(candidates[i]) as RouterDeployment;
      const later = candidates.slice(i + 1);
      if (candidates.length > 1 && this.cooldowns.remainingMs(deployment.name) > 0) {
        attempts.push({ ...describe(deployment), outcome: 'skipped-cooldown', durationMs: 0 });
        continue;
      }
      try {
        const result = await this.withRetries(deployment, request, attempts, () => later.some((n) => this.cooldowns.remainingMs(n) === 0));
        return { ...result, deployment: deployment.name, attempts };
      } catch (err) {
        lastError = err as LlmError; // attempt() throws nothing else
        if (lastError.kind === 'bad-request' || request.abortSignal?.aborted) break;
        if (i === 0 && lastError.kind === 'context-window' && this.contextWindowFallbacks[first]?.length) {
          candidates = [first, ...this.contextWindowFallbacks[first]];
        }
      }
    }
    throw new LlmRouterError(attempts, lastError ?? this.allCoolingDown(candidates));
  }

  /** Closes the deployments' models that hold connections (for a graceful shutdown). */
  async close(): Promise<void> {
    await Promise.all([...this.byName.values()].map((d) => d.model.close?.()));
  }

  private withRetries(deployment: RouterDeployment, request: ChatRequest, attempts: Attempt[], fallbackAvailable: () => boolean): Promise<ChatResult> {
    const signal = request.abortSignal;
    const retryable = (err: Error) =>
      err instanceof LlmError && err.retryable && !signal?.aborted && !(this.cooldowns.remainingMs(deployment.name) > 0 && fallbackAvailable());
    // cockatiel's own delay between attempts cannot be cut short by an abort: the backoff hands
    // cockatiel 0 and the wait is taken here, abortably, before the next attempt.
    let wait = 0;
    const policy = retry(handleWhen(retryable), { maxAttempts: this.retries, backoff: this.backoff((ms) => (wait = ms)) });
    return policy.execute(async () => {
      if (wait > 0) await sleep(wait, undefined, { signal }).catch(() => undefined);
      wait = 0;
      return this.attempt(deployment, request, attempts);
    }, signal);
  }

  /** Retry-After when the failure carried one (capped), else cockatiel's exponential backoff with decorrelated jitter. */
  private backoff(onDelay: (ms: number) => void): DelegateBackoff<IRetryBackoffContext<unknown>, IBackoff<unknown>> {
    const exponential = new ExponentialBackoff({ initialDelay: this.backoffMs.initialMs, maxDelay: this.backoffMs.maxMs });
    return new DelegateBackoff((context, previous) => {
      const next = previous ? previous.next(undefined) : exponential.next();
      const error = 'error' in context.result ? context.result.error : undefined;
      const retryAfter = error instanceof LlmError ? error.details.retryAfterMs : undefined;
      onDelay(retryAfter === undefined ? next.duration : Math.min(retryAfter, this.maxRetryAfterMs));
      return { delay: 0, state: next };
    });
  }

  /** One recorded try; failures come out as LlmError. */
  private async attempt(deployment: RouterDeployment, request: ChatRequest, attempts: Attempt[]): Promise<ChatResult> {
    // A caller's abort during the wait before a retry takes effect here, without another try.
    if (request.abortSignal?.aborted) throw callerAbort(deployment.name);
    const started = performance.now();
    const { ms, policy } = this.timeouts.get(deployment.name) as { ms: number; policy: TimeoutPolicy };
    try {
      const result = await policy.execute((_context, signal) => deployment.model.doChat({ ...request, abortSignal: signal }), request.abortSignal);
      attempts.push({ ...describe(deployment), outcome: 'ok', durationMs: Math.round(performance.now() - started) });
      this.cooldowns.succeeded(deployment.name);
      return result;
    } catch (err) {
      const error = request.abortSignal?.aborted ? callerAbort(deployment.name) : asLlmError(err, deployment, ms);
      attempts.push({
        ...describe(deployment),
        outcome: 'error',
        errorKind: error.kind,
        ...(error.details.status !== undefined ? { status: error.details.status } : {}),
        durationMs: Math.round(performance.now() - started),
      });
      // The caller giving up says nothing about the deployment's health.
      if (!request.abortSignal?.aborted) this.cooldowns.failed(deployment.name, error.kind);
      throw error;
    }
  }

  private allCoolingDown(candidates: readonly string[]): LlmError {
    const retryAfterMs = Math.min(...candidates.map((n) => this.cooldowns.remainingMs(n)));
    return new LlmError('rate-limit', `every deployment for this call is cooling down (${candidates.join(', ')})`, { retryAfterMs });
  }
}

function describe(deployment: RouterDeployment): Pick<Attempt, 'deployment' | 'provider' | 'model'> {
  return { deployment: deployment.name, provider: deployment.model.provider, model: deployment.model.modelId };
}

function callerAbort(deployment: string): LlmError {
  return new LlmError('timeout', `${deployment}: the call was aborted by the caller`);
}

function asLlmError(err: unknown, deployment: RouterDeployment, timeoutMs: number): LlmError {
  const details = { provider: deployment.model.provider, model: deployment.model.modelId };
  if (err instanceof LlmError) return err;
  if (err instanceof TaskCancelledError) return new LlmError('timeout', `${deployment.name}: no answer within ${timeoutMs} ms`, details);
  // A model broke its contract (threw something else): treat it as that deployment failing.
  const message = err instanceof Error ? err.message : String(err);
  return new LlmError('server', `${deployment.name}: ${deployment.model.provider} failed unexpectedly: ${message}`, { ...details, cause: err });
}

/** Every problem at once, each naming the option. */
function validate(options: ModelRouterOptions): void {
  const problems: Problem[] = [];
  const names = options.deployments.map((d) => d.name);
  if (names.length === 0) problems.push({ path: 'deployments', message: 'at least one is required' });
  names.forEach((n, i) => {
    if (names.indexOf(n) !== i) problems.push({ path: `deployments[${i}].name`, message: `duplicate name "${n}"` });
  });
  for (const field of ['fallbacks', 'contextWindowFallbacks'] as const) {
    for (const issue of fallbackIssues(names, field, options[field])) problems.push({ path: formatPath(issue.path), message: issue.message });
  }
  const counts = { retries: options.retries, cooldownMs: options.cooldownMs, maxRetryAfterMs: options.maxRetryAfterMs };
  for (const [field, value] of Object.entries(counts)) {
    if (value !== undefined && !(Number.isInteger(value) && value >= 0)) problems.push({ path: field, message: `expected a non-negative integer, got ${value}` });
  }
  const positive = {
    timeoutMs: options.timeoutMs,
    allowedFailures: options.allowedFailures,
    'backoff.initialMs': options.backoff?.initialMs,
    'backoff.maxMs': options.backoff?.maxMs,
    ...Object.fromEntries(options.deployments.map((d, i) => [`deployments[${i}].timeoutMs`, d.timeoutMs])),
  };
  for (const [field, value] of Object.entries(positive)) {
    if (value !== undefined && !(Number.isInteger(value) && value > 0)) problems.push({ path: field, message: `expected a positive integer, got ${value}` });
  }
  if (problems.length > 0) throw new RouterOptionsError(problems);
}
