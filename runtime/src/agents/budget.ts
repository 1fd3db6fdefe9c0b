/**
 * Per-run budgets: one pool of tokens (and of cost, when the deployments have prices) shared by
 * the coordinator and every agent it delegates to. Each model call reserves its worst case before
 * it starts (the prompt's estimate plus the most it may write) and settles with what it really
 * used; a call the pool cannot cover is not started, and the run stops with what it has.
 *
 * Cost is in the unit the deployments' prices are written in (`inputCostPerMillionTokens`,
 * `outputCostPerMillionTokens`): USD, EUR or credits, as long as every deployment uses the same.
 * The runtime never converts it.
 *
 * The run's budget travels with its `TraceRecorder` (`attachBudget`), which every model call of a
 * run already receives through `tracedChat`: an agent type written outside this package is
 * budgeted without knowing of it.
 */
import { z } from 'zod';
import { type LlmConfig, type LlmDeploymentConfig, type Problem, generalFallbacks } from '../contract';
import type { ChatRequest, ChatResult } from '../llm/types';
import { BudgetExceededError, BudgetRequestError } from './errors';
import type { TraceRecorder } from './trace';

/**
 * The prompt estimator: 4 characters a token, rounded up, per message (its text, and its tool
 * calls' names and arguments as JSON), plus MESSAGE_OVERHEAD_TOKENS a message for its role and
 * separators, plus the tools' definitions as JSON, plus REQUEST_OVERHEAD_TOKENS for the reply's
 * priming. English averages about 4 characters a token with the GPT and Gemini tokenizers; text
 * in other scripts can take more tokens, which the provider's usage then corrects at settlement.
 * No tokenizer: one per provider would be needed, and none is exact for another's model.
 */
export const CHARS_PER_TOKEN = 4;
/** OpenAI's cookbook counts 3 tokens of framing a message; one more covers a name or tool-call id. */
export const MESSAGE_OVERHEAD_TOKENS = 4;
export const REQUEST_OVERHEAD_TOKENS = 3;
/**
 * The output a call may write when its request names no `maxOutputTokens` and the team's budget
 * sets none: sent as the call's `maxOutputTokens` whenever the run has a limit, so that the
 * reservation is a bound the provider enforces, not a guess.
 */
export const DEFAULT_MAX_OUTPUT_TOKENS = 2048;
const TOKENS_PER_PRICE_UNIT = 1_000_000;

const tokens = (text: string) => Math.ceil(text.length / CHARS_PER_TOKEN);

/** The prompt's tokens as the estimator counts them (see CHARS_PER_TOKEN). */
export function estimatePromptTokens(request: Pick<ChatRequest, 'messages' | 'tools' | 'responseFormat'>): number {
  let total = REQUEST_OVERHEAD_TOKENS;
  for (const message of request.messages) {
    total += MESSAGE_OVERHEAD_TOKENS + tokens(message.content);
    if (message.role === 'assistant') for (const call of message.toolCalls ?? []) total += tokens(call.name) + tokens(JSON.stringify(call.arguments));
  }
  if (request.tools && request.tools.length > 0) total += tokens(JSON.stringify(request.tools));
  if (request.responseFormat?.schema) total += tokens(JSON.stringify(request.responseFormat.schema));
  return total;
}

/** The reply's tokens by the same estimator, for a provider that reports no usage. */
export function estimateOutputTokens(result: Pick<ChatResult, 'text' | 'toolCalls'>): number {
  return tokens(result.text) + result.toolCalls.reduce((n, call) => n + tokens(call.name) + tokens(JSON.stringify(call.arguments)), 0);
}

const positiveInt = (what: string) => z.int(`a whole number of ${what}`).min(1, `at least 1 ${what.replace(/s$/, '')}`);
const positiveCost = z.number('a cost, in the unit of the deployments\' prices').positive('a cost above 0');

/** Limits of one run: a request's, or what a team's config sets. Absent: unlimited. */
export const BudgetLimitsSchema = z.strictObject({
  /** Input + output tokens of every model call of the run. */
  maxTokens: positiveInt('tokens').optional(),
  /** Cost of every model call of the run, in the unit of the deployments' prices. Needs every deployment priced. */
  maxCost: positiveCost.optional(),
});
export type BudgetLimits = z.infer<typeof BudgetLimitsSchema>;

/** A team config's `budget`: the default limits of its runs (a request may lower them). */
export const TeamBudgetSchema = BudgetLimitsSchema.extend({
  /** What a call may write when its agent sets no bound, sent as its max output. @default DEFAULT_MAX_OUTPUT_TOKENS */
  maxOutputTokens: positiveInt('tokens').default(DEFAULT_MAX_OUTPUT_TOKENS),
}).default({ maxOutputTokens: DEFAULT_MAX_OUTPUT_TOKENS });
export type TeamBudget = z.infer<typeof TeamBudgetSchema>;

/** A deployment's prices, per million tokens. */
export interface Price {
  readonly input: number;
  readonly output: number;
}

const costOf = (price: Price, input: number, output: number) => (input * price.input + output * price.output) / TOKENS_PER_PRICE_UNIT;

type PricingConfig = Pick<LlmConfig, 'deployments' | 'fallbacks' | 'contextWindowFallbacks'> &
  Partial<Pick<LlmConfig, 'contentPolicyFallbacks' | 'defaultFallbacks'>>;

/**
 * The deployments' prices, and for each name a call may ask for (a group, or a deployment's own
 * name) the worst case over every deployment the router may send that call to: the group's own
 * deployments and those of every group its fallback lists name (general, context-window and
 * content-policy, or the default fallbacks), as the router's `fallbackList` reads them.
 */
export class LlmPricing {
  private constructor(
    private readonly prices: ReadonlyMap<string, Price | undefined>,
    private readonly reach: ReadonlyMap<string, readonly string[]>,
  ) {}

  static fromConfig(config: PricingConfig): LlmPricing {
    const prices = new Map(config.deployments.map((d) => [d.name, priceOf(d)]));
    const groupOf = (d: LlmDeploymentConfig) => d.group ?? d.name;
    const members = (group: string) => config.deployments.filter((d) => groupOf(d) === group || d.name === group).map((d) => d.name);
    const reach = new Map<string, readonly string[]>();
    for (const group of new Set(config.deployments.flatMap((d) => [d.name, groupOf(d)]))) {
      const general = generalFallbacks(group, config.fallbacks, config.defaultFallbacks);
      const lists = [general, config.contextWindowFallbacks[group] ?? [], config.contentPolicyFallbacks?.[group] ?? []];
      reach.set(group, [...new Set([group, ...lists.flat()].flatMap(members))]);
    }
    return new LlmPricing(prices, reach);
  }

  /** Deployments without prices: cost is neither limited nor reported while there are any. */
  get unpriced(): string[] {
    return [...this.prices].filter(([, p]) => p === undefined).map(([name]) => name);
  }

  /** Whether every deployment has prices, so a run's cost is known. */
  get complete(): boolean {
    return this.prices.size > 0 && this.unpriced.length === 0;
  }

  /** The answering deployment's prices. */
  of(deployment: string): Price | undefined {
    return this.prices.get(deployment) ?? this.worstCase(deployment);
  }

  /** The highest input and output prices a call asking for `name` may be charged. */
  worstCase(name: string): Price | undefined {
    const reached = (this.reach.get(name) ?? []).map((d) => this.prices.get(d));
    if (reached.length === 0 || reached.some((p) => p === undefined)) return undefined;
    const known = reached as Price[];
    return { input: Math.max(...known.map((p) => p.input)), output: Math.max(...known.map((p) => p.output)) };
  }
}

function priceOf(d: LlmDeploymentConfig): Price | undefined {
  const { inputCostPerMillionTokens: input, outputCostPerMillionTokens: output } = d;
  return input === undefined || output === undefined ? undefined : { input, output };
}

/** Problems with a team's budget before any run: paths inside the team config. */
export function teamBudgetProblems(budget: TeamBudget, pricing: LlmPricing | undefined): Problem[] {
  const problems: Problem[] = [];
  if (budget.maxTokens !== undefined && budget.maxTokens <= budget.maxOutputTokens) {
    problems.push({ path: 'budget.maxTokens', message: `more than budget.maxOutputTokens (${budget.maxOutputTokens}), or no model call fits` });
  }
  const costless = costProblem(pricing);
  if (budget.maxCost !== undefined && costless) problems.push({ path: 'budget.maxCost', message: costless });
  return problems;
}

function costProblem(pricing: LlmPricing | undefined): string | undefined {
  if (pricing?.complete) return undefined;
  const missing = pricing?.unpriced ?? [];
  return `no value: a cost limit needs inputCostPerMillionTokens and outputCostPerMillionTokens on every deployment${missing.length > 0 ? ` (${missing.join(', ')} have none)` : ''}`;
}

/**
 * The limits of one run: the team's, each lowered by the request's. Throws `BudgetRequestError`
 * naming `budget.<field>` and the team's limit for a request that would raise one.
 */
export function runLimits(team: TeamBudget, requested: BudgetLimits | undefined, pricing: LlmPricing | undefined): BudgetLimits {
  const problems: Problem[] = [];
  const limits: { maxTokens?: number; maxCost?: number } = {};
  for (const field of ['maxTokens', 'maxCost'] as const) {
    const own = team[field];
    const asked = requested?.[field];
    if (asked !== undefined && own !== undefined && asked > own) problems.push({ path: `budget.${field}`, message: `at most the team's limit (${own})` });
    const limit = asked ?? own;
    if (limit !== undefined) limits[field] = limit;
  }
  const costless = costProblem(pricing);
  if (requested?.maxCost !== undefined && team.maxCost === undefined && costless) problems.push({ path: 'budget.maxCost', message: costless });
  if (problems.length > 0) throw new BudgetRequestError(problems);
  return limits;
}

/** Tokens and cost, as the report counts them; `cost` only when every deployment is priced. */
export interface Amount {
  readonly tokens: number;
  readonly cost?: number;
}

/** A run's model calls, added up. */
export interface RunUsage {
  readonly inputTokens: number;
  readonly outputTokens: number;
  /** In the unit of the deployments' prices; absent unless every deployment has prices. */
  readonly cost?: number;
  /** Model calls that started (refused ones are not). */
  readonly calls: number;
}

/** One model call's usage, on its `llm-call` trace step. */
export interface CallUsage {
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cost?: number;
  /** True when the provider reported no usage (or part of it) and the estimator filled it in. */
  readonly estimated?: boolean;
}

/** The call a run's budget could not cover. */
export interface BudgetStop {
  readonly agent: string;
  /** The deployment (group) it asked for. */
  readonly deployment: string;
  /** What it would have reserved. */
  readonly needed: Amount;
  /** What was left, unreserved, when it asked: of each limit the run has. */
  readonly remaining: { readonly tokens?: number; readonly cost?: number };
  /** The same, in words safe to show a client. */
  readonly message: string;
}

/** A run's budget as its answer reports it. */
export interface BudgetReport {
  readonly limits: BudgetLimits;
  readonly used: Amount;
  /** Held by calls still running when the report was made (none once a run has ended). */
  readonly reserved: Amount;
  /** Set when a model call was refused and the run stopped with what it had. */
  readonly stoppedBecause?: BudgetStop;
}

/** A call's hold on the pool until it settles. */
export interface Reservation {
  readonly tokens: number;
  readonly cost: number;
  readonly promptTokens: number;
  /** The request as sent: with `maxOutputTokens` set whenever the run has a limit. */
  readonly request: ChatRequest;
  settled: boolean;
}

/**
 * One run's pool. Reserving and settling are synchronous: in one process no two calls interleave
 * between the check and the hold, so concurrent calls of a run (members working in parallel)
 * cannot together overdraw it.
 */
export class RunBudget {
  private usedCost = 0;
  private reservedTokens = 0;
  private reservedCost = 0;
  private inputTokens = 0;
  private outputTokens = 0;
  private calls = 0;
  private stop?: BudgetStop;
  private readonly costKnown: boolean;

  constructor(
    readonly limits: BudgetLimits,
    private readonly pricing: LlmPricing | undefined,
    private readonly maxOutputTokens: number = DEFAULT_MAX_OUTPUT_TOKENS,
  ) {
    this.costKnown = pricing?.complete ?? false;
  }

  get limited(): boolean {
    return this.limits.maxTokens !== undefined || this.limits.maxCost !== undefined;
  }

  private usedTokens(): number {
    return this.inputTokens + this.outputTokens;
  }

  get stoppedBecause(): BudgetStop | undefined {
    return this.stop;
  }

  /**
   * Holds the worst case of a call of `agent` to `deployment` (a group, or the router's default),
   * or throws `BudgetExceededError` without holding anything: when the pool cannot cover it, and
   * for every call after one was refused (the run is stopping).
   */
  reserve(agent: string, request: ChatRequest, deployment: string): Reservation {
    if (this.stop) throw new BudgetExceededError(this.stop);
    const maxOutput = request.maxOutputTokens ?? (this.limited ? this.maxOutputTokens : undefined);
    const sent = maxOutput === request.maxOutputTokens ? request : { ...request, maxOutputTokens: maxOutput };
    const promptTokens = estimatePromptTokens(request);
    // Unlimited runs send the request as it was: their reservation only counts calls in flight.
    const worstTokens = promptTokens + (maxOutput ?? 0);
    const price = this.costKnown ? this.pricing?.worstCase(deployment) : undefined;
    const worstCost = price ? costOf(price, promptTokens, maxOutput ?? 0) : 0;
    const { maxTokens, maxCost } = this.limits;
    const leftTokens = maxTokens === undefined ? Infinity : maxTokens - this.usedTokens() - this.reservedTokens;
    const leftCost = maxCost === undefined ? Infinity : maxCost - this.usedCost - this.reservedCost;
    const short = [
      ...(worstTokens > leftTokens ? [`up to ${worstTokens} tokens (${promptTokens} of prompt, estimated, + ${maxOutput} of output) and ${Math.max(0, leftTokens)} of ${maxTokens} remain`] : []),
      ...(worstCost > leftCost ? [`up to ${round(worstCost)} in cost and ${round(Math.max(0, leftCost))} of ${maxCost} remain`] : []),
    ];
    if (short.length > 0) {
      this.stop = {
        agent,
        deployment,
        needed: this.amount(worstTokens, worstCost),
        remaining: { ...(maxTokens === undefined ? {} : { tokens: Math.max(0, leftTokens) }), ...(maxCost === undefined ? {} : { cost: Math.max(0, leftCost) }) },
        message: `budget exhausted: the next model call of agent "${agent}" needs ${short.join('; ')}`,
      };
      throw new BudgetExceededError(this.stop);
    }
    this.reservedTokens += worstTokens;
    this.reservedCost += worstCost;
    return { tokens: worstTokens, cost: worstCost, promptTokens, request: sent, settled: false };
  }

  /**
   * Releases the hold and counts what the call used: the provider's usage, or the estimator's
   * for what it does not report. Without a result (the call failed) nothing is counted: the
   * providers bill no failed request (a stream cut part-way is the known exception).
   */
  settle(reservation: Reservation, result?: Pick<ChatResult, 'usage' | 'text' | 'toolCalls'> & { readonly deployment?: string }): CallUsage | undefined {
    if (reservation.settled) return undefined;
    reservation.settled = true;
    this.reservedTokens -= reservation.tokens;
    this.reservedCost -= reservation.cost;
    if (!result) return undefined;
    const input = result.usage?.inputTokens ?? reservation.promptTokens;
    const output = result.usage?.outputTokens ?? estimateOutputTokens(result);
    const estimated = result.usage?.inputTokens === undefined || result.usage?.outputTokens === undefined;
    const price = this.costKnown && result.deployment !== undefined ? this.pricing?.of(result.deployment) : undefined;
    const cost = price ? costOf(price, input, output) : undefined;
    this.inputTokens += input;
    this.outputTokens += output;
    this.usedCost += cost ?? 0;
    this.calls++;
    return { inputTokens: input, outputTokens: output, ...(cost === undefined ? {} : { cost }), ...(estimated ? { estimated } : {}) };
  }

  /** Counts a call that started but failed, releasing its hold. */
  release(reservation: Reservation): void {
    const first = !reservation.settled;
    this.settle(reservation);
    if (first) this.calls++;
  }

  usage(): RunUsage {
    return { inputTokens: this.inputTokens, outputTokens: this.outputTokens, ...(this.costKnown ? { cost: this.usedCost } : {}), calls: this.calls };
  }

  report(): BudgetReport {
    return {
      limits: this.limits,
      used: this.amount(this.usedTokens(), this.usedCost),
      reserved: this.amount(this.reservedTokens, this.reservedCost),
      ...(this.stop ? { stoppedBecause: this.stop } : {}),
    };
  }

  private amount(tokenCount: number, cost: number | undefined): Amount {
    return this.costKnown && cost !== undefined ? { tokens: tokenCount, cost } : { tokens: tokenCount };
  }
}

const round = (n: number) => Math.round(n * 1e6) / 1e6;

const budgets = new WeakMap<TraceRecorder, RunBudget>();

/** Makes `budget` the pool of every model call recorded in `trace` (one run's). */
export function attachBudget(trace: TraceRecorder, budget: RunBudget): void {
  budgets.set(trace, budget);
}

/** The budget of the run `trace` records, if it has one. */
export function budgetOf(trace: TraceRecorder): RunBudget | undefined {
  return budgets.get(trace);
}
