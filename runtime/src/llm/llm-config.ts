import { readFileSync } from 'node:fs';
import path from 'node:path';
import { inspect } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../config/runtime-config';
import { RuntimeSettings, llmApiKeySetting } from '../config/settings';
import { OfflineModel } from './offline-model';
import { ModelRouter, ROUTER_DEFAULTS } from './router';
import type { LanguageModel } from './types';

/** `ORCHESTRA_LLM_CONFIG`: inline JSON, or the path of a JSON or YAML file. */
const LLM_CONFIG_SETTING = RuntimeSettings.llmConfig;

export const LLM_PROVIDERS = ['openai-compatible', 'vertex-gemini', 'offline'] as const;

/** An API key that does not print: `String()`, JSON and `util.inspect` all show `[redacted]`. */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return '[redacted]';
  }

  toJSON(): string {
    return '[redacted]';
  }

  [inspect.custom](): string {
    return '[redacted]';
  }
}

interface DeploymentBase {
  readonly name: string;
  readonly model: string;
  /** This deployment's per-call timeout; the config's `timeoutMs` when unset. */
  readonly timeoutMs?: number;
}

export type LlmDeploymentConfig =
  | (DeploymentBase & { readonly provider: 'offline' })
  | (DeploymentBase & {
      readonly provider: 'openai-compatible';
      readonly baseUrl: string;
      /** From `ORCHESTRA_LLM_<PROVIDER>_API_KEY`; none for a keyless proxy. */
      readonly apiKey?: Secret;
    })
  | (DeploymentBase & {
      readonly provider: 'vertex-gemini';
      /** From GOOGLE_CLOUD_PROJECT and ORCHESTRA_REGION. */
      readonly project: string;
      readonly region: string;
      /** From ORCHESTRA_VERTEX_API_HOST. @default the region's Vertex AI endpoint */
      readonly apiHost?: string;
    });

export interface LlmConfig {
  /** The first is the default. */
  readonly deployments: readonly LlmDeploymentConfig[];
  readonly fallbacks: Readonly<Record<string, readonly string[]>>;
  readonly contextWindowFallbacks: Readonly<Record<string, readonly string[]>>;
  readonly retries: number;
  readonly timeoutMs: number;
  readonly cooldownMs: number;
}

type Env = Readonly<Record<string, string | undefined>>;

const name = z.string().regex(/^[A-Za-z0-9_-]{1,40}$/, 'expected letters, digits, _ or -, at most 40');
const names = z.array(name);

const deploymentSchema = z.strictObject({
  name,
  provider: z.enum(LLM_PROVIDERS, { error: `expected one of ${LLM_PROVIDERS.join(', ')}` }),
  model: z.string().regex(/^[A-Za-z0-9._:/@-]{1,200}$/, 'expected a model id such as gemini-2.5-flash'),
  baseUrl: z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' }).optional(),
  apiKeyProvider: z.string().regex(/^[A-Za-z][A-Za-z0-9_-]{0,39}$/, 'expected a provider name such as openai').optional(),
  timeoutMs: z.int().min(1).max(600_000).optional(),
});

const configSchema = z
  .strictObject({
    deployments: z.array(deploymentSchema).min(1, 'expected at least one deployment'),
    fallbacks: z.record(name, names).optional(),
    contextWindowFallbacks: z.record(name, names).optional(),
    retries: z.int().min(0).max(10).optional(),
    timeoutMs: z.int().min(1).max(600_000).optional(),
    cooldownMs: z.int().min(0).max(3_600_000).optional(),
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
    });
    for (const field of ['fallbacks', 'contextWindowFallbacks'] as const) {
      for (const [from, to] of Object.entries(config[field] ?? {})) {
        if (!known.includes(from)) ctx.addIssue({ code: 'custom', path: [field, from], message: `unknown deployment "${from}"` });
        to.forEach((n, j) => {
          if (!known.includes(n)) ctx.addIssue({ code: 'custom', path: [field, from, j], message: `unknown deployment "${n}"` });
          else if (n === from) ctx.addIssue({ code: 'custom', path: [field, from, j], message: 'a deployment cannot fall back to itself' });
        });
      }
    }
  });

type RawConfig = z.infer<typeof configSchema>;

/**
 * Reads `ORCHESTRA_LLM_CONFIG` (inline JSON, or a JSON/YAML file path) and the variables it points
 * at: API keys from `ORCHESTRA_LLM_<PROVIDER>_API_KEY`, and for Vertex AI the project and region.
 * Unset: one `offline` deployment, so the service runs without any key. Every problem is
 * reported at once, as a `ConfigError` naming the path (`deployments[1].provider`) and never a
 * key's value.
 */
export function parseLlmConfig(env: Env): LlmConfig {
  const problems: string[] = [];
  const raw = readRaw(env[LLM_CONFIG_SETTING], problems);
  if (raw === undefined) {
    if (problems.length > 0) throw new ConfigError(problems);
    return defaultConfig();
  }
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${LLM_CONFIG_SETTING} ${pathOf(i.path)}: ${messageOf(i)}`));
  }
  const deployments = parsed.data.deployments.map((d, i) => resolveDeployment(d, i, env, problems));
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    deployments: deployments.filter((d): d is LlmDeploymentConfig => d !== undefined),
    fallbacks: parsed.data.fallbacks ?? {},
    contextWindowFallbacks: parsed.data.contextWindowFallbacks ?? {},
    retries: parsed.data.retries ?? ROUTER_DEFAULTS.retries,
    timeoutMs: parsed.data.timeoutMs ?? ROUTER_DEFAULTS.timeoutMs,
    cooldownMs: parsed.data.cooldownMs ?? ROUTER_DEFAULTS.cooldownMs,
  };
}

/** The router over the configured deployments; no network until the first call. */
export function createLlmClient(config: LlmConfig): ModelRouter {
  return new ModelRouter({
    deployments: config.deployments.map((d) => ({ name: d.name, model: modelOf(d, d.timeoutMs ?? config.timeoutMs), timeoutMs: d.timeoutMs })),
    fallbacks: config.fallbacks,
    contextWindowFallbacks: config.contextWindowFallbacks,
    retries: config.retries,
    timeoutMs: config.timeoutMs,
    cooldownMs: config.cooldownMs,
  });
}

/**
 * The provider's own deadline matches the router's timeout, so an abandoned call ends on the
 * server too. A provider's module is loaded only when a deployment uses it: the OpenAI SDK and
 * the Google client take ~0.1 s and ~0.15 s to load, start-up time Cloud Run users wait for.
 */
function modelOf(d: LlmDeploymentConfig, timeoutMs: number): LanguageModel {
  switch (d.provider) {
    case 'offline':
      return new OfflineModel({ modelId: d.model });
    case 'openai-compatible': {
      const { OpenAICompatibleModel } = require('./openai-compatible-model') as typeof import('./openai-compatible-model');
      return new OpenAICompatibleModel({ baseUrl: d.baseUrl, model: d.model, apiKey: d.apiKey?.reveal(), timeoutMs });
    }
    case 'vertex-gemini': {
      const { VertexGeminiModel } = require('./vertex-gemini-model') as typeof import('./vertex-gemini-model');
      return new VertexGeminiModel({ project: d.project, region: d.region, apiHost: d.apiHost, model: d.model, timeoutMs });
    }
  }
}

function defaultConfig(): LlmConfig {
  const d = ROUTER_DEFAULTS;
  return {
    deployments: [{ name: 'offline', provider: 'offline', model: 'offline' }],
    fallbacks: {},
    contextWindowFallbacks: {},
    retries: d.retries,
    timeoutMs: d.timeoutMs,
    cooldownMs: d.cooldownMs,
  };
}

/** The setting's content as data: inline JSON when it starts with `{`, else a file (YAML unless it ends in .json). */
function readRaw(value: string | undefined, problems: string[]): unknown {
  const setting = value?.trim();
  if (!setting) return undefined;
  if (setting.startsWith('{')) return parseWith(() => JSON.parse(setting), 'inline JSON', problems);
  const file = path.resolve(setting);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    problems.push(`${LLM_CONFIG_SETTING}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'}); expected inline JSON or a JSON/YAML file path`);
    return undefined;
  }
  return file.endsWith('.json') ? parseWith(() => JSON.parse(text), file, problems) : parseWith(() => parseYaml(text), file, problems);
}

function parseWith(parse: () => unknown, source: string, problems: string[]): unknown {
  try {
    return parse();
  } catch (err) {
    problems.push(`${LLM_CONFIG_SETTING}: ${source} does not parse: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
    return undefined;
  }
}

const PROJECT_ID = /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/;
const REGION = /^([a-z]+-[a-z]+\d+|global)$/;

function resolveDeployment(d: RawConfig['deployments'][number], index: number, env: Env, problems: string[]): LlmDeploymentConfig | undefined {
  const base = { name: d.name, model: d.model, ...(d.timeoutMs !== undefined ? { timeoutMs: d.timeoutMs } : {}) };
  const at = `${LLM_CONFIG_SETTING} deployments[${index}]`;
  switch (d.provider) {
    case 'offline':
      return { ...base, provider: 'offline' };
    case 'openai-compatible': {
      if (!d.apiKeyProvider) return { ...base, provider: 'openai-compatible', baseUrl: d.baseUrl as string };
      const variable = llmApiKeySetting(d.apiKeyProvider);
      const key = env[variable];
      if (!key) {
        problems.push(`${at}.apiKeyProvider: ${variable} is not set (the API key of "${d.apiKeyProvider}")`);
        return undefined;
      }
      return { ...base, provider: 'openai-compatible', baseUrl: d.baseUrl as string, apiKey: new Secret(key) };
    }
    case 'vertex-gemini': {
      const { projectId, region, vertexApiHost } = RuntimeSettings;
      const project = env[projectId];
      const where = env[region];
      if (!project || !where) {
        problems.push(`${at}: vertex-gemini needs ${[...(project ? [] : [projectId]), ...(where ? [] : [region])].join(' and ')}`);
        return undefined;
      }
      if (!PROJECT_ID.test(project)) problems.push(`${at}: ${projectId} is not a project id`);
      if (!REGION.test(where)) problems.push(`${at}: ${region} is not a region such as us-central1 or global`);
      return { ...base, provider: 'vertex-gemini', project, region: where, ...(env[vertexApiHost] ? { apiHost: env[vertexApiHost] } : {}) };
    }
  }
}

/** `["deployments", 1, "provider"]` → `deployments[1].provider`. */
function pathOf(segments: readonly PropertyKey[]): string {
  return segments.map((s, i) => (typeof s === 'number' ? `[${s}]` : `${i === 0 ? '' : '.'}${String(s)}`)).join('') || '(root)';
}

function messageOf(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') return `unknown key${issue.keys.length === 1 ? '' : 's'} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  // zod's generic prefixes say nothing the path does not.
  return issue.message.replace(/^Invalid (input|option): /, '');
}
