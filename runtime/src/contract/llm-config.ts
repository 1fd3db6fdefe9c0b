import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { type Problem, joinPath, problemsFromZod } from './errors';
import { LLM_PROVIDER_NAME, PROJECT_ID, VERTEX_LOCATION, matches } from './rules';
import { SecretValue, type Sensitive } from './secrets';
import { RuntimeSettings as S, llmApiKeySetting, llmProviderOfSetting } from './settings';

/** The providers a deployment may name. */
export const LLM_PROVIDERS = ['openai-compatible', 'vertex-gemini', 'offline'] as const;
export type LlmProvider = (typeof LLM_PROVIDERS)[number];

/** The router's settings when the LLM configuration leaves them out (LiteLLM's defaults where it has them). */
export const LLM_ROUTER_DEFAULTS = Object.freeze({
  timeoutMs: 30_000,
  retries: 2,
  backoff: Object.freeze({ initialMs: 250, maxMs: 4_000 }),
  maxRetryAfterMs: 30_000,
  cooldownMs: 30_000,
  /** LiteLLM's DEFAULT_ALLOWED_FAILS: the fourth failure in a minute cools a deployment down. */
  allowedFails: 3,
  /** LiteLLM's ROUTER_MAX_FALLBACKS. */
  maxFallbacks: 5,
  routingStrategy: 'simple-shuffle' as RoutingStrategy,
  /** LiteLLM's lowest_latency defaults: no buffer, the last 10 latencies per deployment. */
  lowestLatencyBuffer: 0,
  maxLatencyListSize: 10,
  /** Namespace of the router's keys in a shared Redis. */
  redisKeyPrefix: 'orchestra:llm-router',
});

/** How a model group picks among its deployments (LiteLLM's `routing_strategy` names). */
export const ROUTING_STRATEGIES = ['simple-shuffle', 'least-busy', 'latency-based-routing'] as const;
export type RoutingStrategy = (typeof ROUTING_STRATEGIES)[number];

/**
 * The error kinds a retry policy and an allowed-fails policy name, with LiteLLM's field each
 * stands for: rateLimit (RateLimitError), timeout (Timeout), server (InternalServerError,
 * ServiceUnavailableError, BadGatewayError), network (APIConnectionError), auth
 * (AuthenticationError), notFound (NotFoundError), badRequest (BadRequestError), contentPolicy
 * (ContentPolicyViolationError), contextWindow (ContextWindowExceededError).
 */
export const LLM_FAILURE_KINDS = ['rateLimit', 'timeout', 'server', 'network', 'auth', 'notFound', 'badRequest', 'contentPolicy', 'contextWindow'] as const;
export type LlmFailureKind = (typeof LLM_FAILURE_KINDS)[number];

const deploymentName = z.string().regex(/^[A-Za-z0-9_-]{1,40}$/, 'letters, digits, _ or -, at most 40');
const names = z.array(deploymentName);

const price = z.number('a price per million tokens').min(0, 'a price of 0 or more').max(1_000_000, 'at most 1000000 a million tokens');

const DeploymentSchema = z.strictObject({
  name: deploymentName,
  provider: z.enum(LLM_PROVIDERS, { error: `one of ${LLM_PROVIDERS.join(', ')}` }),
  model: z.string().regex(/^[A-Za-z0-9._:/@-]{1,200}$/, 'a model id such as gemini-2.5-flash'),
  baseUrl: z.url({ protocol: /^https?$/, error: 'an http:// or https:// URL' }).optional(),
  /** Whose API key to send: read from `ORCHESTRA_LLM_<PROVIDER>_API_KEY`. */
  apiKeyProvider: z.string().regex(LLM_PROVIDER_NAME.pattern, LLM_PROVIDER_NAME.expected).optional(),
  /**
   * Vertex AI location of a vertex-gemini model (default: the runtime's region). Gemini 3.x
   * models are served from `global` (https://cloud.google.com/vertex-ai/generative-ai/docs/learn/locations).
   */
  location: z.string().regex(VERTEX_LOCATION.pattern, VERTEX_LOCATION.expected).optional(),
  timeoutMs: z.int().min(1).max(600_000).optional(),
  /** The model group it serves (what callers and fallbacks name). @default its own name */
  group: deploymentName.optional(),
  /** Requests per minute it may take; over it, the group's other deployments serve. @default unlimited */
  rpm: z.int().min(1).optional(),
  /** Tokens (input + output) per minute it may use. @default unlimited */
  tpm: z.int().min(1).optional(),
  /** Its share of a simple-shuffle group's calls, relative to the others'. @default rpm, else tpm, else equal shares */
  weight: z.number().positive().optional(),
  /**
   * Price of a million input (prompt) tokens, in the unit every priced deployment uses (USD, EUR,
   * credits: the runtime never converts). With `outputCostPerMillionTokens`, runs report their
   * cost and a team's budget may limit it (`budget.maxCost`), which needs every deployment priced.
   */
  inputCostPerMillionTokens: price.optional(),
  /** Price of a million output tokens, in the same unit; set with `inputCostPerMillionTokens`. */
  outputCostPerMillionTokens: price.optional(),
});

const retryCount = z.int().min(0).max(10);
/** Retries per failure kind; a kind left out takes `retries` when retryable (rateLimit, timeout, server, network), else 0. */
const RetryPolicySchema = z.strictObject(Object.fromEntries(LLM_FAILURE_KINDS.map((k) => [k, retryCount.optional()])) as Record<LlmFailureKind, z.ZodOptional<typeof retryCount>>);
const failCount = z.int().min(0).max(1_000);
/** Failures per minute of one kind a deployment may have before it cools down; a kind left out counts against `allowedFails`. */
const AllowedFailsPolicySchema = z.strictObject(Object.fromEntries(LLM_FAILURE_KINDS.map((k) => [k, failCount.optional()])) as Record<LlmFailureKind, z.ZodOptional<typeof failCount>>);
const routingStrategy = z.enum(ROUTING_STRATEGIES, { error: `one of ${ROUTING_STRATEGIES.join(', ')}` });

/** A problem at a path given as segments (`['fallbacks', 'a', 0]`), as zod takes it. */
export interface PathIssue {
  readonly path: (string | number)[];
  readonly message: string;
}

/**
 * Problems with the fallback lists `field` over the deployments `known`: a list of an unknown
 * deployment, to an unknown one, or to itself. Shared by this schema and the router's options.
 */
export function fallbackIssues(known: readonly string[], field: string, fallbacks: Readonly<Record<string, readonly string[]>> | undefined): PathIssue[] {
  const issues: PathIssue[] = [];
  for (const [from, to] of Object.entries(fallbacks ?? {})) {
    if (!known.includes(from)) issues.push({ path: [field, from], message: `unknown deployment "${from}"` });
    to.forEach((name, j) => {
      if (!known.includes(name)) issues.push({ path: [field, from, j], message: `unknown deployment "${name}"` });
      else if (name === from) issues.push({ path: [field, from, j], message: 'a deployment cannot fall back to itself' });
    });
  }
  return issues;
}

/**
 * `ORCHESTRA_LLM_CONFIG` as written: the deployments (the first is the default), their fallbacks
 * and the router's limits. Unset fields take `LLM_ROUTER_DEFAULTS` when the runtime parses it; the
 * schema adds no defaults, so a document validated at synth is rendered as it was written.
 */
export const LlmConfigDocumentSchema = z
  .strictObject({
    deployments: z.array(DeploymentSchema).min(1, 'at least one deployment'),
    fallbacks: z.record(deploymentName, names).optional(),
    contextWindowFallbacks: z.record(deploymentName, names).optional(),
    retries: z.int().min(0).max(10).optional(),
    timeoutMs: z.int().min(1).max(600_000).optional(),
    cooldownMs: z.int().min(0).max(3_600_000).optional(),
    /** Group → groups tried in order after a content-policy failure (a filtered completion included); never the general fallbacks. */
    contentPolicyFallbacks: z.record(deploymentName, names).optional(),
    /** Fallbacks of every group without its own `fallbacks` entry. @default none */
    defaultFallbacks: names.optional(),
    /** Most fallback groups one call tries. @default 5 */
    maxFallbacks: z.int().min(0).max(20).optional(),
    /** How each group picks a deployment. @default simple-shuffle */
    routingStrategy: routingStrategy.optional(),
    /** Per-group strategy, overriding `routingStrategy`. */
    groupRoutingStrategy: z.record(deploymentName, routingStrategy).optional(),
    /** latency-based-routing: pick at random among deployments within (1 + buffer) × the lowest latency (default 0), over the last `maxLatencyListSize` calls (default 10). */
    routingStrategyArgs: z.strictObject({ lowestLatencyBuffer: z.number().min(0).max(10).optional(), maxLatencyListSize: z.int().min(1).max(1_000).optional() }).optional(),
    /** Retries per failure kind (LiteLLM's retry_policy). */
    retryPolicy: RetryPolicySchema.optional(),
    /** Failures per minute a deployment may have before it cools down; a 429 cools down at once unless `allowedFailsPolicy.rateLimit` is set. @default 3 */
    allowedFails: failCount.optional(),
    allowedFailsPolicy: AllowedFailsPolicySchema.optional(),
    /** Exponential backoff with decorrelated jitter between retries. @default { initialMs: 250, maxMs: 4000 } */
    backoff: z.strictObject({ initialMs: z.int().min(1).max(60_000).optional(), maxMs: z.int().min(1).max(600_000).optional() }).optional(),
    /** A server's Retry-After replaces the backoff, up to this much. @default 30000 */
    maxRetryAfterMs: z.int().min(0).max(3_600_000).optional(),
    /** `redis`: cooldowns and per-minute usage shared by every instance through the runtime's Redis (ORCHESTRA_REDIS_*). @default memory (per instance) */
    sharedState: z.enum(['memory', 'redis'], { error: 'memory or redis' }).optional(),
    /**
     * Let a deployed runtime (any environment but `local`) start with only the offline model,
     * which answers canned text: a demo or a smoke test, said on purpose.
     */
    allowOfflineOnly: z.boolean().optional(),
  })
  .superRefine((config, ctx) => {
    const known = config.deployments.map((d) => d.name);
    known.forEach((n, i) => {
      if (known.indexOf(n) !== i) ctx.addIssue({ code: 'custom', path: ['deployments', i, 'name'], message: `duplicate name "${n}"` });
    });
    config.deployments.forEach((d, i) => {
      if (d.provider === 'openai-compatible' && !d.baseUrl) ctx.addIssue({ code: 'custom', path: ['deployments', i, 'baseUrl'], message: 'required for openai-compatible' });
      for (const key of ['baseUrl', 'apiKeyProvider'] as const) {
        if (d.provider !== 'openai-compatible' && d[key] !== undefined) ctx.addIssue({ code: 'custom', path: ['deployments', i, key], message: `only for openai-compatible, not ${d.provider}` });
      }
      // One price alone would make every cost of this deployment a guess.
      const priced = [d.inputCostPerMillionTokens, d.outputCostPerMillionTokens].filter((p) => p !== undefined).length;
      if (priced === 1) {
        const missing = d.inputCostPerMillionTokens === undefined ? 'inputCostPerMillionTokens' : 'outputCostPerMillionTokens';
        ctx.addIssue({ code: 'custom', path: ['deployments', i, missing], message: 'required with the other price (both or neither)' });
      }
      if (d.provider !== 'vertex-gemini' && d.location !== undefined) ctx.addIssue({ code: 'custom', path: ['deployments', i, 'location'], message: `only for vertex-gemini, not ${d.provider}` });
    });
    for (const issue of groupIssues(config.deployments)) ctx.addIssue({ code: 'custom', ...issue });
    for (const issue of routingNameIssues(groupNames(config.deployments), config)) ctx.addIssue({ code: 'custom', ...issue });
    const { initialMs, maxMs } = config.backoff ?? {};
    if (initialMs !== undefined && maxMs !== undefined && maxMs < initialMs) ctx.addIssue({ code: 'custom', path: ['backoff', 'maxMs'], message: `expected at least initialMs (${initialMs})` });
  });

/**
 * Problems with every name the routing knobs give (the three fallback lists, `defaultFallbacks`,
 * `groupRoutingStrategy`'s keys) over the groups `groups`. Shared by this schema and the router's options.
 */
export function routingNameIssues(
  groups: readonly string[],
  knobs: Partial<Record<'fallbacks' | 'contextWindowFallbacks' | 'contentPolicyFallbacks', Readonly<Record<string, readonly string[]>>>> & {
    readonly defaultFallbacks?: readonly string[];
    readonly groupRoutingStrategy?: Readonly<Record<string, unknown>>;
  },
): PathIssue[] {
  const issues = (['fallbacks', 'contextWindowFallbacks', 'contentPolicyFallbacks'] as const).flatMap((field) => fallbackIssues(groups, field, knobs[field]));
  knobs.defaultFallbacks?.forEach((name, j) => {
    if (!groups.includes(name)) issues.push({ path: ['defaultFallbacks', j], message: `unknown deployment "${name}"` });
  });
  for (const group of Object.keys(knobs.groupRoutingStrategy ?? {})) {
    if (!groups.includes(group)) issues.push({ path: ['groupRoutingStrategy', group], message: `unknown group "${group}"` });
  }
  return issues;
}

/** `group`'s general fallbacks: its own list, else `defaultFallbacks` without itself (LiteLLM's `default_fallbacks`). */
export function generalFallbacks(group: string, fallbacks: Readonly<Record<string, readonly string[]>>, defaultFallbacks: readonly string[] = []): readonly string[] {
  return fallbacks[group] ?? defaultFallbacks.filter((g) => g !== group);
}

/** The names callers and fallbacks may use: each deployment's group (its own name when it has none), in order of first appearance. */
export function groupNames(deployments: readonly { readonly name: string; readonly group?: string }[]): string[] {
  return [...new Set(deployments.map((d) => d.group ?? d.name))];
}

/** A deployment named like another deployment's group would make a fallback name ambiguous. */
export function groupIssues(deployments: readonly { readonly name: string; readonly group?: string }[]): PathIssue[] {
  const groups = new Set(deployments.filter((d) => d.group !== undefined).map((d) => d.group));
  const issues: PathIssue[] = [];
  deployments.forEach((d, i) => {
    if (groups.has(d.name) && (d.group ?? d.name) !== d.name) issues.push({ path: ['deployments', i, 'name'], message: `"${d.name}" is also a group's name; name the deployment differently or put it in that group` });
  });
  return issues;
}

/** The LLM document as written (what an environment config holds, what is rendered). */
export type LlmConfigDocument = z.infer<typeof LlmConfigDocumentSchema>;
export type LlmDeploymentConfig = LlmConfigDocument['deployments'][number];

/** The runtime's LLM settings: the document with the router's defaults filled, and the API keys it reads. */
/** The router's further knobs, as written (unset: the router's defaults, `LLM_ROUTER_DEFAULTS`): the same in the parsed config and in what a deployment sets. */
export type LlmRouterKnobs = Partial<
  Pick<
    LlmConfigDocument,
    | 'contentPolicyFallbacks'
    | 'defaultFallbacks'
    | 'maxFallbacks'
    | 'routingStrategy'
    | 'groupRoutingStrategy'
    | 'routingStrategyArgs'
    | 'retryPolicy'
    | 'allowedFails'
    | 'allowedFailsPolicy'
    | 'backoff'
    | 'maxRetryAfterMs'
    | 'sharedState'
  >
>;

export interface LlmConfig extends LlmRouterKnobs {
  /** The first is the default. */
  readonly deployments: readonly LlmDeploymentConfig[];
  readonly fallbacks: Readonly<Record<string, readonly string[]>>;
  readonly contextWindowFallbacks: Readonly<Record<string, readonly string[]>>;
  readonly retries: number;
  readonly timeoutMs: number;
  readonly cooldownMs: number;
  /** Whether a deployed runtime may run on the offline model alone (see the document's field). */
  readonly allowOfflineOnly: boolean;
  /** Every `ORCHESTRA_LLM_<PROVIDER>_API_KEY` set, by provider name; held, never printed. */
  readonly apiKeys: Readonly<Record<string, SecretValue>>;
}

/** What a deployment sets: the document (left out: the offline model) and the keys it names, by value or secret reference. */
export interface LlmSettingsInput<Ref = never> extends LlmRouterKnobs {
  readonly deployments?: readonly LlmDeploymentConfig[];
  readonly fallbacks?: Readonly<Record<string, readonly string[]>>;
  readonly contextWindowFallbacks?: Readonly<Record<string, readonly string[]>>;
  readonly retries?: number;
  readonly timeoutMs?: number;
  readonly cooldownMs?: number;
  readonly allowOfflineOnly?: boolean;
  readonly apiKeys?: Readonly<Record<string, Sensitive<string | SecretValue, Ref>>>;
}

/**
 * Gemini models a Google Cloud deployment uses unless its environment names others: the latest
 * stable Flash and Flash-Lite on Vertex AI ("Model versions and lifecycle", Latest available
 * models: gemini-3.5-flash released 2026-05-19 and gemini-3.5-flash-lite 2026-07-21, both
 * available for at least 12 months; the 2.5 models retired on 2026-10-16,
 * https://docs.cloud.google.com/gemini-enterprise-agent-platform/models/model-versions).
 * Both are served from the `global` location.
 */
export const DEFAULT_GEMINI_MODELS = Object.freeze({ primary: 'gemini-3.5-flash', fallback: 'gemini-3.5-flash-lite', location: 'global' });

/**
 * The LLM document of a Google Cloud deployment: a primary Gemini model with a fallback, both
 * called as the runtime's service account (no key). Anything left out takes DEFAULT_GEMINI_MODELS.
 */
export function geminiLlmConfig(models: { primary?: string; fallback?: string; location?: string } = {}): LlmConfigDocument {
  const location = models.location ?? DEFAULT_GEMINI_MODELS.location;
  return {
    deployments: [
      { name: 'gemini-primary', provider: 'vertex-gemini', model: models.primary ?? DEFAULT_GEMINI_MODELS.primary, location },
      { name: 'gemini-fallback', provider: 'vertex-gemini', model: models.fallback ?? DEFAULT_GEMINI_MODELS.fallback, location },
    ],
    fallbacks: { 'gemini-primary': ['gemini-fallback'] },
  };
}

/** Without ORCHESTRA_LLM_CONFIG the service runs on the offline model, which needs no key. */
export const OFFLINE_DEPLOYMENT: LlmDeploymentConfig = Object.freeze({ name: 'offline', provider: 'offline', model: 'offline' });

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Reads `ORCHESTRA_LLM_CONFIG` (inline JSON, or the path of a JSON or YAML file) and every
 * `ORCHESTRA_LLM_<PROVIDER>_API_KEY`. A deployment's key must be set; a vertex-gemini deployment
 * needs the project and a location. Problems are added to `problems`, keys are never shown.
 */
export function parseLlmSettings(env: Env, problems: Problem[]): LlmConfig {
  const apiKeys: Record<string, SecretValue> = {};
  for (const [variable, value] of Object.entries(env)) {
    const provider = llmProviderOfSetting(variable);
    if (provider !== undefined && value) apiKeys[provider] = new SecretValue(value);
  }
  const defaults = {
    fallbacks: {},
    contextWindowFallbacks: {},
    retries: LLM_ROUTER_DEFAULTS.retries,
    timeoutMs: LLM_ROUTER_DEFAULTS.timeoutMs,
    cooldownMs: LLM_ROUTER_DEFAULTS.cooldownMs,
    allowOfflineOnly: false,
    apiKeys,
  };
  const raw = readDocument(env[S.llmConfig], problems);
  if (raw === undefined) return { deployments: [OFFLINE_DEPLOYMENT], ...defaults };
  const parsed = LlmConfigDocumentSchema.safeParse(raw);
  if (!parsed.success) {
    problems.push(...problemsFromZod(parsed.error, S.llmConfig));
    return { deployments: [OFFLINE_DEPLOYMENT], ...defaults };
  }
  const document = parsed.data;
  document.deployments.forEach((d, i) => {
    const at = joinPath(S.llmConfig, `deployments[${i}]`);
    if (d.apiKeyProvider !== undefined && apiKeys[d.apiKeyProvider] === undefined) {
      problems.push({ path: `${at}.apiKeyProvider`, message: `${llmApiKeySetting(d.apiKeyProvider)} is not set (the API key of "${d.apiKeyProvider}")` });
    }
    if (d.provider === 'vertex-gemini') {
      const missing = [S.projectId, ...(d.location ? [] : [S.region])].filter((v) => !env[v]);
      if (missing.length > 0) problems.push({ path: at, message: `vertex-gemini needs ${missing.join(' and ')}` });
      if (env[S.projectId] && !matches(PROJECT_ID, env[S.projectId])) problems.push({ path: at, message: `${S.projectId}: expected ${PROJECT_ID.expected}` });
      if (env[S.region] && !matches(VERTEX_LOCATION, env[S.region])) problems.push({ path: at, message: `${S.region}: expected ${VERTEX_LOCATION.expected}` });
    }
  });
  if (document.sharedState === 'redis' && !env[S.redisUrl] && !env[S.redisHost]) {
    problems.push({ path: joinPath(S.llmConfig, 'sharedState'), message: `redis needs the runtime's Redis (${S.redisUrl} or ${S.redisHost})` });
  }
  const { deployments, fallbacks, contextWindowFallbacks, retries, timeoutMs, cooldownMs, allowOfflineOnly, ...router } = document;
  return {
    ...router,
    deployments,
    fallbacks: fallbacks ?? defaults.fallbacks,
    contextWindowFallbacks: contextWindowFallbacks ?? defaults.contextWindowFallbacks,
    retries: retries ?? defaults.retries,
    timeoutMs: timeoutMs ?? defaults.timeoutMs,
    cooldownMs: cooldownMs ?? defaults.cooldownMs,
    allowOfflineOnly: allowOfflineOnly ?? false,
    apiKeys,
  };
}

/** The document fields of `input` that are set, in the document's shape (what ORCHESTRA_LLM_CONFIG carries). */
export function llmDocumentOf(input: LlmSettingsInput<unknown>): Omit<LlmSettingsInput, 'apiKeys'> | undefined {
  const { apiKeys: _keys, ...document } = input;
  const set = Object.fromEntries(Object.entries(document).filter(([, v]) => v !== undefined));
  return Object.keys(set).length === 0 ? undefined : set;
}

/** The setting's content as data: inline JSON when it starts with `{`, else a file (YAML unless it ends in .json). */
function readDocument(value: string | undefined, problems: Problem[]): unknown {
  const setting = value?.trim();
  if (!setting) return undefined;
  if (setting.startsWith('{')) return parseWith(() => JSON.parse(setting), 'inline JSON', problems);
  const file = path.resolve(setting);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    problems.push({ path: S.llmConfig, message: `cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'}); expected inline JSON or a JSON/YAML file path` });
    return undefined;
  }
  return file.endsWith('.json') ? parseWith(() => JSON.parse(text), file, problems) : parseWith(() => parseYaml(text), file, problems);
}

function parseWith(parse: () => unknown, source: string, problems: Problem[]): unknown {
  try {
    return parse();
  } catch (err) {
    problems.push({ path: S.llmConfig, message: `${source} does not parse: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}` });
    return undefined;
  }
}
