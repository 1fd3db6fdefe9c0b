import { setTimeout as sleepFor } from 'node:timers/promises';
import { recordChatContent } from '../telemetry/spans';
import { ExponentialBackoff, TaskCancelledError, TimeoutStrategy, timeout, type IBackoff } from 'cockatiel';
import { LLM_FAILURE_KINDS, LLM_ROUTER_DEFAULTS, ROUTING_STRATEGIES, type LlmFailureKind, type Problem, type RoutingStrategy, ValidationError, formatPath, groupIssues, generalFallbacks, groupNames, routingNameIssues } from '../contract';
import { Cooldowns } from './cooldowns';
import { contentFilteredError, failureKindOf, fallbackKindOf, overLimitError, type FallbackKind } from './router-errors';
import { MemoryRouterState, type RouterStateStore } from './router-state';
import { LatencyWindow, chooseDeployment } from './routing-strategies';
import { OverlapTrimmer, continuationRequest, sameCall } from './stream-continuation';
import { LlmError, type Attempt, type ChatRequest, type ChatResult, type LanguageModel, type LlmClient, type LlmErrorKind, type RoutedChatResult, type RoutedStreamPart, type StreamPart, type ToolCall } from './types';

export interface RouterDeployment {
  /** Unique; what attempts record. */
  readonly name: string;
  readonly model: LanguageModel;
  /** This deployment's per-call timeout. @default the router's `timeoutMs` */
  readonly timeoutMs?: number;
  /** The model group it serves: what `chat(…, { deployment })` and fallbacks name. @default its own name */
  readonly group?: string;
  /** Requests per minute; a deployment at its limit is skipped until the next minute. @default unlimited */
  readonly rpm?: number;
  /** Tokens (input + output) per minute, counted from the answers' usage. @default unlimited */
  readonly tpm?: number;
  /** simple-shuffle share. @default rpm, else tpm, else equal shares */
  readonly weight?: number;
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

type Fallbacks = Readonly<Record<string, readonly string[]>>;

export interface ModelRouterOptions {
  /** The first one's group is the default. */
  readonly deployments: readonly RouterDeployment[];
  /** Per call (one attempt), passed to the model as an AbortSignal. @default 30000 */
  readonly timeoutMs?: number;
  /** Further attempts after a retryable failure (rate-limit, server, timeout, network). @default 2 */
  readonly retries?: number;
  /** Retries per failure kind, overriding `retries` (LiteLLM's retry_policy). @default retries for the retryable kinds, 0 for the others */
  readonly retryPolicy?: Partial<Record<LlmFailureKind, number>>;
  /** Exponential backoff with decorrelated jitter between retries. @default { initialMs: 250, maxMs: 4000 } */
  readonly backoff?: { readonly initialMs?: number; readonly maxMs?: number };
  /** A server's Retry-After replaces the backoff, up to this much. @default 30000 */
  readonly maxRetryAfterMs?: number;
  /** Group → groups tried in order once its retries are exhausted (and after auth/not-found errors). */
  readonly fallbacks?: Fallbacks;
  /** Group → groups tried in order when its prompt is too long; `fallbacks` when none are given. */
  readonly contextWindowFallbacks?: Fallbacks;
  /** Group → groups tried after a content-policy failure or a filtered completion; never the general ones. */
  readonly contentPolicyFallbacks?: Fallbacks;
  /** Fallbacks of a group without a `fallbacks` entry. @default none */
  readonly defaultFallbacks?: readonly string[];
  /** Most fallback groups one call tries. @default 5 */
  readonly maxFallbacks?: number;
  /** How long a deployment is skipped once it cools down; 0 turns cooldowns off. @default 30000 */
  readonly cooldownMs?: number;
  /** Failures per minute a deployment may have; the next one cools it down (a 429 at once). @default 3 */
  readonly allowedFails?: number;
  /** Allowed failures per minute per kind, instead of `allowedFails`. */
  readonly allowedFailsPolicy?: Partial<Record<LlmFailureKind, number>>;
  /** @default simple-shuffle */
  readonly routingStrategy?: RoutingStrategy;
  readonly groupRoutingStrategy?: Readonly<Record<string, RoutingStrategy>>;
  readonly routingStrategyArgs?: { readonly lowestLatencyBuffer?: number; readonly maxLatencyListSize?: number };
  /** Cooldowns and per-minute usage; a `RedisRouterState` shares them between instances. @default in this process */
  readonly state?: RouterStateStore;
  /** Clock of cooldowns, minutes and deadlines (tests move it). @default Date.now */
  readonly now?: () => number;
  /** The routing strategies' randomness. @default Math.random */
  readonly random?: () => number;
  /** The wait between retries; resolves early when `signal` aborts. @default an abortable timer */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export interface ChatOptions {
  /** The model group (or a deployment's own group name) to call. @default the first deployment's group */
  readonly deployment?: string;
  /** Epoch milliseconds (router clock): no attempt starts after it and waits end at it. */
  readonly deadline?: number;
}

/**
 * One attempt's work on a deployment: a whole chat here; a streaming call passes its own (the
 * stream opened up to its first token) and reuses the choice, retries, cooldowns and fallbacks.
 */
interface AttemptSpec<T> {
  run(deployment: RouterDeployment, request: ChatRequest): Promise<T>;
  /** A result that counts as a failure (a filtered completion when content-policy fallbacks exist). */
  reject?(value: T, deployment: RouterDeployment, contentPolicyFallbacks: boolean): LlmError | undefined;
  /** Tokens the result used, for tpm. */
  tokens?(value: T): number;
  /** Ranks latency-based groups by time to first token. */
  readonly stream?: boolean;
  /**
   * The value outlives the attempt (an opened stream): its signal is not aborted when `run`
   * returns, and the caller records the attempt's outcome and latency once it really ends.
   */
  readonly endsLater?: boolean;
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

/** What one routed call carries from group to group. */
interface CallState {
  readonly first: string;
  /** A stream's continuation replaces it with the answer so far and the instruction to go on. */
  request: ChatRequest;
  readonly attempts: Attempt[];
  readonly deadline?: number;
  /** Whether the call has fallbacks at all: without, cooldowns are ignored (the caller has nothing else). */
  readonly honourCooldowns: boolean;
  /** Whether the called group has content-policy fallbacks: a filtered completion then counts as a failure. */
  readonly contentPolicy: boolean;
  readonly tried: Set<string>;
  /** The group attempts are made in now. */
  group: string;
  fallbacksUsed: number;
  /** Retries spent in the current group, per failure kind. */
  retried: Partial<Record<LlmFailureKind, number>>;
  backoff?: IBackoff<unknown>;
}

/**
 * Routes a chat to a model group with LiteLLM's router semantics:
 * - a group's deployment is chosen by its routing strategy among those not cooling down and
 *   under their rpm/tpm limits this minute (all at their limits: the router's own 429, which the
 *   fallbacks take);
 * - a failure is retried per its kind's retry policy, after Retry-After (capped) or a jittered
 *   backoff, each retry choosing again within the group;
 * - then the requested group's fallbacks for that kind, up to `maxFallbacks`: context-window
 *   failures go to `contextWindowFallbacks` (else the general ones), content-policy failures and
 *   filtered completions to `contentPolicyFallbacks` only, bad requests nowhere, everything else
 *   to `fallbacks` (else `defaultFallbacks`);
 * - a 429 cools a deployment down at once, other health failures after `allowedFails` a minute.
 *
 * Decisions, LiteLLM's where it has one:
 * - after a 429, or once the group is cooling down, its remaining retries are skipped when a
 *   fallback is left (waiting out Retry-After would stall the call for nothing).
 * - a call with no fallbacks never skips a deployment for cooling down: the caller has nothing
 *   else, and the retries honour Retry-After anyway.
 * - only the requested group's fallback lists are used, not the fallbacks' own lists.
 * - unlike LiteLLM, a content-policy failure without content-policy fallbacks is not sent to the
 *   general ones: another model would be asked the same thing for the same refusal.
 */
export class ModelRouter implements LlmClient {
  /** The model groups callers may name, the default first. */
  readonly deployments: readonly string[];
  private readonly members: ReadonlyMap<string, readonly RouterDeployment[]>;
  private readonly all: readonly RouterDeployment[];
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly retryPolicy: Partial<Record<LlmFailureKind, number>>;
  private readonly backoffMs: { readonly initialMs: number; readonly maxMs: number };
  private readonly maxRetryAfterMs: number;
  private readonly fallbacks: Fallbacks;
  private readonly contextWindowFallbacks: Fallbacks;
  private readonly contentPolicyFallbacks: Fallbacks;
  private readonly defaultFallbacks: readonly string[];
  private readonly maxFallbacks: number;
  private readonly strategyOf: (group: string) => RoutingStrategy;
  private readonly lowestLatencyBuffer: number;
  private readonly latency: LatencyWindow;
  private readonly inFlight = new Map<string, number>();
  private readonly cooldowns: Cooldowns;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;

  constructor(options: ModelRouterOptions) {
    validate(options);
    const d = ROUTER_DEFAULTS;
    this.all = options.deployments;
    this.deployments = groupNames(options.deployments);
    this.members = new Map(this.deployments.map((g) => [g, options.deployments.filter((x) => (x.group ?? x.name) === g)]));
    this.timeoutMs = options.timeoutMs ?? d.timeoutMs;
    this.retries = options.retries ?? d.retries;
    this.retryPolicy = options.retryPolicy ?? {};
    this.backoffMs = { initialMs: options.backoff?.initialMs ?? d.backoff.initialMs, maxMs: options.backoff?.maxMs ?? d.backoff.maxMs };
    this.maxRetryAfterMs = options.maxRetryAfterMs ?? d.maxRetryAfterMs;
    this.fallbacks = options.fallbacks ?? {};
    this.contextWindowFallbacks = options.contextWindowFallbacks ?? {};
    this.contentPolicyFallbacks = options.contentPolicyFallbacks ?? {};
    this.defaultFallbacks = options.defaultFallbacks ?? [];
    this.maxFallbacks = options.maxFallbacks ?? d.maxFallbacks;
    const strategy = options.routingStrategy ?? d.routingStrategy;
    this.strategyOf = (group) => options.groupRoutingStrategy?.[group] ?? strategy;
    this.lowestLatencyBuffer = options.routingStrategyArgs?.lowestLatencyBuffer ?? d.lowestLatencyBuffer;
    this.latency = new LatencyWindow(options.routingStrategyArgs?.maxLatencyListSize ?? d.maxLatencyListSize);
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    this.sleep = options.sleep ?? ((ms, signal) => sleepFor(ms, undefined, { signal }).catch(() => undefined));
    this.cooldowns = new Cooldowns(options.state ?? new MemoryRouterState(this.now), {
      cooldownMs: options.cooldownMs ?? d.cooldownMs,
      allowedFails: options.allowedFails ?? d.allowedFails,
      allowedFailsPolicy: options.allowedFailsPolicy ?? {},
      now: this.now,
    });
  }

  async chat(request: ChatRequest, options: ChatOptions = {}): Promise<RoutedChatResult> {
    const { value, deployment, attempts } = await this.route(request, options, {
      run: (d, req) => d.model.doChat(req),
      reject: (result, d, contentPolicyFallbacks) => (contentPolicyFallbacks ? contentFilteredError(result, d.name) : undefined),
      tokens: (result: ChatResult) => (result.usage?.inputTokens ?? 0) + (result.usage?.outputTokens ?? 0),
    });
    recordChatContent(request.messages, value);
    return { ...value, deployment, attempts };
  }

  /**
   * `chat`, streamed. Before the first text it fails over exactly as `chat` does (the same
   * choice, retry policy, cooldowns and fallback lists; a deployment whose model cannot stream
   * answers by `doChat`, its text as one delta), recording each deployment's time to first token.
   *
   * Mid-stream failover: when a deployment fails after text (or tool calls) went out, the failure
   * counts as that attempt's (cooldown and allowed-fails accounting included) and the next
   * deployment is chosen as after any failed attempt: a retry in the group, else the fallback list
   * for the error's kind. It gets the original messages, an assistant message holding the text
   * already sent and a last user message, CONTINUE_INSTRUCTION. Its output goes through an
   * OverlapTrimmer: held while it could be a verbatim restart or a repeat of the last words, then
   * released without the longest overlap (≥ MIN_OVERLAP_CHARS, from a word start), so no
   * character reaches the client twice; a tool call already sent is not sent again. A `failover`
   * part marks the switch. The result's text is everything yielded, its usage the legs' sum.
   *
   * The per-call timeout bounds the wait for a stream's first chunk and each silence after it;
   * the deadline and `abortSignal` bound the whole stream; leaving the loop early aborts the
   * upstream request.
   */
  async *stream(request: ChatRequest, options: ChatOptions = {}): AsyncGenerator<RoutedStreamPart, void, undefined> {
    const stop = new AbortController();
    let deadlinePassed = false;
    const timer =
      options.deadline === undefined
        ? undefined
        : setTimeout(() => {
            deadlinePassed = true;
            stop.abort();
          }, Math.max(0, options.deadline - this.now()));
    const signal = request.abortSignal ? AbortSignal.any([request.abortSignal, stop.signal]) : stop.signal;
    const original: ChatRequest = { ...request, abortSignal: signal };
    let leg: AbortController | undefined;
    let parts: AsyncIterator<StreamPart> | undefined;
    try {
      const call = this.startCall(original, options);
      const ended = (err: unknown): LlmRouterError => {
        const attempts = err instanceof LlmRouterError ? err.attempts : call.attempts;
        if (deadlinePassed) return new LlmRouterError(attempts, new LlmError('timeout', `${call.first}: the request's deadline passed`));
        if (signal.aborted) return new LlmRouterError(attempts, callerAbort(call.first));
        return err instanceof LlmRouterError ? err : new LlmRouterError(attempts, err as LlmError);
      };
      let reported = 0;
      const newAttempts = function* (): Generator<RoutedStreamPart> {
        while (reported < call.attempts.length) yield { type: 'attempt', attempt: call.attempts[reported++] };
      };
      let text = '';
      const toolCalls: ToolCall[] = [];
      const usage = { inputTokens: 0, outputTokens: 0, reported: false };
      let broken: { from: string; reason: LlmErrorKind } | undefined;
      for (;;) {
        leg = new AbortController();
        const legSignal = AbortSignal.any([signal, leg.signal]);
        let opened: { value: OpenedStream; deployment: RouterDeployment };
        try {
          opened = await this.proceed(call, streamSpec(legSignal));
        } catch (err) {
          yield* newAttempts();
          throw ended(err);
        }
        yield* newAttempts();
        const { deployment } = opened;
        const { startedAt } = opened.value;
        if (broken) yield { type: 'failover', from: broken.from, to: deployment.name, reason: broken.reason, sentChars: text.length };
        const trimmer = broken ? new OverlapTrimmer(text) : undefined;
        const callsBefore = toolCalls.length;
        const idleMs = deployment.timeoutMs ?? this.timeoutMs;
        parts = opened.value.stream[Symbol.asyncIterator]();
        let firstToken = true;
        try {
          for (;;) {
            const next = await nextWithin(parts, idleMs, deployment.name);
            if (next.done) throw new LlmError('server', `${deployment.name}: the stream ended without a finish`);
            const part = next.value;
            if (firstToken) {
              this.recordTimeToFirstToken(deployment.name, performance.now() - startedAt);
              firstToken = false;
            }
            if (part.type === 'text-delta') {
              const out = trimmer ? trimmer.push(part.text) : part.text;
              if (out) {
                text += out;
                yield { type: 'text-delta', text: out };
              }
              continue;
            }
            const held = trimmer?.flush();
            if (held) {
              text += held;
              yield { type: 'text-delta', text: held };
            }
            if (part.type === 'tool-call') {
              if (toolCalls.slice(0, callsBefore).some((c) => sameCall(c, part.toolCall))) continue;
              toolCalls.push(part.toolCall);
              yield part;
              continue;
            }
            const { type: _, ...finish } = part;
            if (call.contentPolicy) {
              const rejected = contentFilteredError({ text, toolCalls, ...finish }, deployment.name);
              if (rejected) throw rejected;
            }
            if (finish.usage) {
              usage.inputTokens += finish.usage.inputTokens ?? 0;
              usage.outputTokens += finish.usage.outputTokens ?? 0;
              usage.reported = true;
              void this.cooldowns.addTokens(deployment.name, (finish.usage.inputTokens ?? 0) + (finish.usage.outputTokens ?? 0));
            }
            this.recordSuccess(call, deployment, startedAt);
            yield* newAttempts();
            const total = usage.reported ? { usage: { inputTokens: usage.inputTokens, outputTokens: usage.outputTokens } } : {};
            const { usage: _legUsage, ...rest } = finish;
            recordChatContent(request.messages, { text, toolCalls, finishReason: rest.finishReason });
            yield { type: 'finish', result: { ...rest, ...total, text, toolCalls, deployment: deployment.name, attempts: call.attempts } };
            return;
          }
        } catch (err) {
          leg.abort();
          void parts.return?.()?.catch(() => undefined);
          if (signal.aborted) throw ended(err);
          const error = asLlmError(err, deployment, idleMs);
          await this.recordFailure(call, deployment, error, startedAt, true);
          yield* newAttempts();
          try {
            await this.recover(call, error);
          } catch (failed) {
            throw ended(failed);
          }
          if (text !== '' || toolCalls.length > 0) {
            broken = { from: deployment.name, reason: error.kind };
            call.request = continuationRequest(original, text, toolCalls);
          }
        }
      }
    } finally {
      clearTimeout(timer);
      stop.abort();
      leg?.abort();
      void parts?.return?.()?.catch(() => undefined);
    }
  }

  /** Records a stream's time to first token on `deployment`, which latency-based routing ranks streams by. */
  recordTimeToFirstToken(deployment: string, ms: number): void {
    this.latency.recordTimeToFirstToken(deployment, ms);
  }

  /** Closes the deployments' models that hold connections (for a graceful shutdown). */
  async close(): Promise<void> {
    await Promise.all(this.all.map((d) => d.model.close?.()));
  }

  /** The whole routed call for any kind of attempt: groups, retries, fallbacks. */
  private async route<T>(request: ChatRequest, options: ChatOptions, spec: AttemptSpec<T>): Promise<{ value: T; deployment: string; attempts: Attempt[] }> {
    const call = this.startCall(request, options);
    const { value, deployment } = await this.proceed(call, spec);
    return { value, deployment: deployment.name, attempts: call.attempts };
  }

  private startCall(request: ChatRequest, options: ChatOptions): CallState {
    const first = options.deployment ?? this.deployments[0];
    if (!this.members.has(first)) {
      throw new LlmRouterError([], new LlmError('not-found', `unknown deployment "${first}" (configured: ${this.deployments.join(', ')})`));
    }
    const hasFallbacks = (['general', 'context-window', 'content-policy'] as const).some((k) => this.fallbackList(first, k).length > 0);
    const contentPolicy = this.fallbackList(first, 'content-policy').length > 0;
    return { first, request, attempts: [], deadline: options.deadline, honourCooldowns: hasFallbacks, contentPolicy, tried: new Set([first]), group: first, fallbacksUsed: 0, retried: {} };
  }

  /** Attempts from where the call stands (its group, retries spent) until one succeeds; LlmRouterError when none can. */
  private async proceed<T>(call: CallState, spec: AttemptSpec<T>): Promise<{ value: T; deployment: RouterDeployment }> {
    for (;;) {
      const stop = this.stopReason(call);
      if (stop) throw new LlmRouterError(call.attempts, stop);
      let deployment: RouterDeployment;
      try {
        deployment = await this.choose(call.group, call, spec.stream ?? false);
      } catch (err) {
        // Nothing to try in this group (cooling down, at its limits): straight to the fallbacks.
        this.fallBack(call, err as LlmError);
        continue;
      }
      try {
        return { value: await this.attempt(deployment, call, spec), deployment };
      } catch (err) {
        await this.recover(call, err as LlmError);
      }
    }
  }

  /**
   * After a failed attempt: a retry in the same group per the failure kind's retry policy (after
   * Retry-After or the backoff), else the next fallback group for that kind; LlmRouterError when
   * neither is left. A stream that broke after its first token comes here too.
   */
  private async recover(call: CallState, error: LlmError): Promise<void> {
    if (this.stopped(call)) throw new LlmRouterError(call.attempts, error);
    const kind = failureKindOf(error.kind);
    const done = call.retried[kind] ?? 0;
    const fallbackWaiting = call.honourCooldowns && this.nextFallback(call, fallbackKindOf(error.kind)) !== undefined;
    if (done >= this.retriesFor(kind) || (fallbackWaiting && (await this.groupCooling(call.group)))) return this.fallBack(call, error);
    call.retried[kind] = done + 1;
    call.backoff = call.backoff ? call.backoff.next(undefined) : new ExponentialBackoff({ initialDelay: this.backoffMs.initialMs, maxDelay: this.backoffMs.maxMs }).next();
    const retryAfter = error.details.retryAfterMs;
    const wait = Math.min(retryAfter === undefined ? call.backoff.duration : Math.min(retryAfter, this.maxRetryAfterMs), this.untilDeadline(call));
    if (wait > 0) await this.sleep(wait, call.request.abortSignal);
  }

  /** Moves the call to the next fallback group for `error`'s kind, or ends it. */
  private fallBack(call: CallState, error: LlmError): void {
    if (this.stopped(call)) throw new LlmRouterError(call.attempts, error);
    const next = this.nextFallback(call, fallbackKindOf(error.kind));
    if (next === undefined || call.fallbacksUsed >= this.maxFallbacks) throw new LlmRouterError(call.attempts, error);
    call.fallbacksUsed++;
    call.tried.add(next);
    call.group = next;
    call.retried = {};
    call.backoff = undefined;
  }

  /** The group's deployment for the next attempt, or why there is none (the router's own 429). */
  private async choose(group: string, call: CallState, stream: boolean): Promise<RouterDeployment> {
    const members = this.members.get(group) as readonly RouterDeployment[];
    const names = members.map((m) => m.name);
    const state = await this.cooldowns.snapshot(names);
    const remaining = state.map((s) => s.remainingMs);
    let usable = members.filter((_, i) => remaining[i] === 0);
    if (usable.length === 0) {
      if (call.honourCooldowns) {
        for (const m of members) call.attempts.push({ ...describe(m), outcome: 'skipped-cooldown', durationMs: 0 });
        return Promise.reject(new LlmError('rate-limit', `every deployment of "${group}" is cooling down`, { retryAfterMs: Math.min(...remaining) }));
      }
      usable = [...members];
    }
    const underLimit = usable.filter((m) => {
      const u = state[members.indexOf(m)];
      return (m.rpm === undefined || u.requests < m.rpm) && (m.tpm === undefined || u.tokens < m.tpm);
    });
    if (underLimit.length === 0) throw overLimitError(group, this.cooldowns.msToNextMinute());
    return chooseDeployment(this.strategyOf(group), underLimit, {
      random: this.random,
      inFlight: (name) => this.inFlight.get(name) ?? 0,
      latencyMs: (name, s) => this.latency.meanMs(name, s),
      lowestLatencyBuffer: this.lowestLatencyBuffer,
      stream,
    });
  }

  /** A successful attempt in the call's record and the deployment's latencies. */
  private recordSuccess(call: CallState, deployment: RouterDeployment, startedAt: number): void {
    this.latency.record(deployment.name, performance.now() - startedAt);
    call.attempts.push({ ...describe(deployment), outcome: 'ok', durationMs: Math.round(performance.now() - startedAt) });
  }

  /** A failed attempt in the call's record, counted against the deployment (cooldowns) unless `counts` is false. */
  private async recordFailure(call: CallState, deployment: RouterDeployment, error: LlmError, startedAt: number, counts: boolean): Promise<void> {
    call.attempts.push({
      ...describe(deployment),
      outcome: 'error',
      errorKind: error.kind,
      ...(error.details.status !== undefined ? { status: error.details.status } : {}),
      durationMs: Math.round(performance.now() - startedAt),
    });
    if (counts) await this.cooldowns.failed(deployment.name, error.kind);
  }

  /** One recorded try; failures come out as LlmError. */
  private async attempt<T>(deployment: RouterDeployment, call: CallState, spec: AttemptSpec<T>): Promise<T> {
    const { request } = call;
    const started = performance.now();
    const ms = Math.min(deployment.timeoutMs ?? this.timeoutMs, this.untilDeadline(call));
    // Aggressive: the attempt ends at its timeout even if a model ignores its AbortSignal.
    const policy = timeout(ms, { strategy: TimeoutStrategy.Aggressive, abortOnReturn: !spec.endsLater });
    this.inFlight.set(deployment.name, (this.inFlight.get(deployment.name) ?? 0) + 1);
    await this.cooldowns.addRequest(deployment.name);
    try {
      const value = await policy.execute((_context, signal) => spec.run(deployment, { ...request, abortSignal: signal }), request.abortSignal);
      void this.cooldowns.addTokens(deployment.name, spec.tokens?.(value) ?? 0);
      const rejected = spec.reject?.(value, deployment, call.contentPolicy);
      if (rejected) throw rejected;
      if (!spec.endsLater) this.recordSuccess(call, deployment, started);
      return value;
    } catch (err) {
      const error = request.abortSignal?.aborted ? callerAbort(deployment.name) : asLlmError(err, deployment, ms);
      // The caller giving up says nothing about the deployment's health.
      await this.recordFailure(call, deployment, error, started, !request.abortSignal?.aborted);
      throw error;
    } finally {
      this.inFlight.set(deployment.name, (this.inFlight.get(deployment.name) ?? 1) - 1);
    }
  }

  private retriesFor(kind: LlmFailureKind): number {
    const set = this.retryPolicy[kind];
    if (set !== undefined) return set;
    return kind === 'rateLimit' || kind === 'server' || kind === 'timeout' || kind === 'network' ? this.retries : 0;
  }

  /** The requested group's list for a kind of failure. */
  private fallbackList(group: string, kind: FallbackKind): readonly string[] {
    const general = generalFallbacks(group, this.fallbacks, this.defaultFallbacks);
    switch (kind) {
      case 'general':
        return general;
      case 'context-window':
        return this.contextWindowFallbacks[group]?.length ? this.contextWindowFallbacks[group] : general;
      case 'content-policy':
        return this.contentPolicyFallbacks[group] ?? [];
      case 'none':
        return [];
    }
  }

  private nextFallback(call: CallState, kind: FallbackKind): string | undefined {
    return this.fallbackList(call.first, kind).find((g) => !call.tried.has(g));
  }

  private async groupCooling(group: string): Promise<boolean> {
    const remaining = await this.cooldowns.remainingMs((this.members.get(group) ?? []).map((m) => m.name));
    return remaining.every((r) => r > 0);
  }

  private untilDeadline(call: CallState): number {
    return call.deadline === undefined ? Infinity : Math.max(0, call.deadline - this.now());
  }

  private stopped(call: CallState): boolean {
    return this.stopReason(call) !== undefined;
  }

  /** Why no further attempt may start: the caller aborted, or the request's deadline passed. */
  private stopReason(call: CallState): LlmError | undefined {
    if (call.request.abortSignal?.aborted) return callerAbort(call.first);
    if (call.deadline !== undefined && this.now() >= call.deadline) return new LlmError('timeout', `${call.first}: the request's deadline passed`);
    return undefined;
  }
}

/** A stream opened on a deployment (its first chunk is there), and when its attempt started. */
interface OpenedStream {
  readonly stream: AsyncIterable<StreamPart>;
  readonly startedAt: number;
}

/**
 * A streaming attempt: the deployment's stream opened up to its first chunk. `legSignal` ends it
 * later (the attempt's own signal only covers the opening); a model that cannot stream answers by
 * `doChat`, replayed as parts.
 */
function streamSpec(legSignal: AbortSignal): AttemptSpec<OpenedStream> {
  return {
    stream: true,
    endsLater: true,
    async run(deployment, request) {
      const startedAt = performance.now();
      const abortSignal = request.abortSignal ? AbortSignal.any([request.abortSignal, legSignal]) : legSignal;
      const { model } = deployment;
      if (model.doStream) return { stream: (await model.doStream({ ...request, abortSignal })).stream, startedAt };
      const result = await model.doChat({ ...request, abortSignal });
      return { stream: replayResult(result), startedAt };
    },
  };
}

async function* replayResult(result: ChatResult): AsyncGenerator<StreamPart, void, undefined> {
  const { text, toolCalls, ...finish } = result;
  if (text !== '') yield { type: 'text-delta', text };
  for (const toolCall of toolCalls) yield { type: 'tool-call', toolCall };
  yield { type: 'finish', ...finish };
}

/** The stream's next part, or a `timeout` LlmError after `ms` of silence. */
async function nextWithin(parts: AsyncIterator<StreamPart>, ms: number, deployment: string): Promise<IteratorResult<StreamPart>> {
  let timer: NodeJS.Timeout | undefined;
  const next = parts.next();
  // The losing side of the race must not surface as an unhandled rejection.
  next.catch(() => undefined);
  try {
    return await Promise.race([
      next,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new LlmError('timeout', `${deployment}: the stream sent nothing for ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
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
  for (const issue of groupIssues(options.deployments)) problems.push({ path: formatPath(issue.path), message: issue.message });
  for (const issue of routingNameIssues(groupNames(options.deployments), options)) problems.push({ path: formatPath(issue.path), message: issue.message });
  for (const [group, strategy] of Object.entries(options.groupRoutingStrategy ?? {})) {
    if (!ROUTING_STRATEGIES.includes(strategy)) problems.push({ path: `groupRoutingStrategy.${group}`, message: `expected one of ${ROUTING_STRATEGIES.join(', ')}, got ${strategy}` });
  }
  if (options.routingStrategy !== undefined && !ROUTING_STRATEGIES.includes(options.routingStrategy)) {
    problems.push({ path: 'routingStrategy', message: `expected one of ${ROUTING_STRATEGIES.join(', ')}, got ${options.routingStrategy}` });
  }
  const counts: Record<string, number | undefined> = {
    retries: options.retries,
    cooldownMs: options.cooldownMs,
    maxRetryAfterMs: options.maxRetryAfterMs,
    allowedFails: options.allowedFails,
    maxFallbacks: options.maxFallbacks,
    ...Object.fromEntries(Object.entries(options.retryPolicy ?? {}).map(([k, v]) => [`retryPolicy.${k}`, v])),
    ...Object.fromEntries(Object.entries(options.allowedFailsPolicy ?? {}).map(([k, v]) => [`allowedFailsPolicy.${k}`, v])),
  };
  for (const [field, value] of Object.entries(counts)) {
    if (value !== undefined && !(Number.isInteger(value) && value >= 0)) problems.push({ path: field, message: `expected a non-negative integer, got ${value}` });
  }
  for (const field of ['retryPolicy', 'allowedFailsPolicy'] as const) {
    for (const key of Object.keys(options[field] ?? {})) {
      if (!(LLM_FAILURE_KINDS as readonly string[]).includes(key)) problems.push({ path: `${field}.${key}`, message: `expected one of ${LLM_FAILURE_KINDS.join(', ')}` });
    }
  }
  const positive: Record<string, number | undefined> = {
    timeoutMs: options.timeoutMs,
    'backoff.initialMs': options.backoff?.initialMs,
    'backoff.maxMs': options.backoff?.maxMs,
    'routingStrategyArgs.maxLatencyListSize': options.routingStrategyArgs?.maxLatencyListSize,
    ...Object.fromEntries(options.deployments.flatMap((d, i) => [[`deployments[${i}].timeoutMs`, d.timeoutMs], [`deployments[${i}].rpm`, d.rpm], [`deployments[${i}].tpm`, d.tpm]])),
  };
  for (const [field, value] of Object.entries(positive)) {
    if (value !== undefined && !(Number.isInteger(value) && value > 0)) problems.push({ path: field, message: `expected a positive integer, got ${value}` });
  }
  const nonNegative: Record<string, number | undefined> = {
    'routingStrategyArgs.lowestLatencyBuffer': options.routingStrategyArgs?.lowestLatencyBuffer,
    ...Object.fromEntries(options.deployments.map((d, i) => [`deployments[${i}].weight`, d.weight])),
  };
  for (const [field, value] of Object.entries(nonNegative)) {
    if (value !== undefined && !(Number.isFinite(value) && value >= 0)) problems.push({ path: field, message: `expected a non-negative number, got ${value}` });
  }
  if (problems.length > 0) throw new RouterOptionsError(problems);
}
