// Router bench (not a test): the same scripted upstream faults against our router (in process,
// built by createLlmClient from an ORCHESTRA_LLM_CONFIG document) and against the real LiteLLM
// proxy (same deployments, fallbacks, retries and timeouts), used through our OpenAI-compatible
// provider with no router features.
//
//   npm run bench:router                 BENCH_RUNS=10 calls per scenario and router, seed BENCH_SEED=7
//
// Per scenario: success rate, upstream attempts (counted at the fault server), wrong fallbacks
// (served by a deployment outside the list the failure kind should use), duplicated streamed
// characters, and overhead p50/p95. Ours: the call's time minus the upstream's own span (first
// request's arrival to last answer's end, retry waits included in the span); LiteLLM's from its
// `x-litellm-overhead-duration-ms` header, and client-measured the same way as ours.
import { parseLlmSettings, type Problem } from '../runtime/src/contract';
import { createLlmClient } from '../runtime/src/llm/create-llm-client';
import { OpenAICompatibleModel } from '../runtime/src/llm/openai-compatible-model';
import type { ModelRouter } from '../runtime/src/llm/router';
import { LlmError, collectStream, type ChatRequest } from '../runtime/src/llm/types';
import { startLiteLlmProxy, type LiteLlmProxy } from '../test/servers/litellm';
import { ANSWER, PRIMARY_MODEL, startFaultServer, type Fault, type FaultServer } from './router-fault-server';

const RUNS = Number(process.env.BENCH_RUNS ?? 10);
const SEED = Number(process.env.BENCH_SEED ?? 7);
const TIMEOUT_MS = 500;
const RETRIES = 1;
const COOLDOWN_MS = 5_000;
const UPSTREAM_KEY = 'sk-bench-upstream-0000';

/** Groups: the primary, and one fallback group per kind, each with its own upstream model. */
const GROUPS = { primary: PRIMARY_MODEL, 'general-fb': 'up-general', 'context-fb': 'up-context', 'policy-fb': 'up-policy' } as const;
type Group = keyof typeof GROUPS;

const SCENARIOS: readonly { fault: Fault; stream: boolean; expected: Group }[] = [
  { fault: 'rate-limit', stream: false, expected: 'general-fb' },
  { fault: 'server', stream: false, expected: 'general-fb' },
  { fault: 'timeout', stream: false, expected: 'general-fb' },
  { fault: 'context-window', stream: false, expected: 'context-fb' },
  { fault: 'content-policy', stream: false, expected: 'policy-fb' },
  { fault: 'mid-stream', stream: true, expected: 'general-fb' },
  { fault: 'jitter', stream: true, expected: 'primary' },
];

const request: ChatRequest = { messages: [{ role: 'user', content: 'Describe the fox at dawn in one sentence.' }] };

/** mulberry32: small, seeded, good enough to script faults reproducibly. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function ourRouter(upstream: FaultServer): ModelRouter {
  const document = {
    deployments: Object.entries(GROUPS).map(([name, model]) => ({ name, provider: 'openai-compatible', model, baseUrl: upstream.url, apiKeyProvider: 'bench' })),
    fallbacks: { primary: ['general-fb'] },
    contextWindowFallbacks: { primary: ['context-fb'] },
    contentPolicyFallbacks: { primary: ['policy-fb'] },
    retries: RETRIES,
    timeoutMs: TIMEOUT_MS,
    cooldownMs: COOLDOWN_MS,
  };
  const problems: Problem[] = [];
  const config = parseLlmSettings({ ORCHESTRA_LLM_CONFIG: JSON.stringify(document), ORCHESTRA_LLM_BENCH_API_KEY: UPSTREAM_KEY }, problems);
  if (problems.length > 0) throw new Error(`bench config: ${JSON.stringify(problems)}`);
  return createLlmClient(config);
}

function liteLlmConfig(upstream: FaultServer) {
  return {
    model_list: Object.entries(GROUPS).map(([name, model]) => ({ model_name: name, litellm_params: { model: `openai/${model}`, api_base: upstream.url, api_key: UPSTREAM_KEY } })),
    router_settings: {
      num_retries: RETRIES,
      timeout: TIMEOUT_MS / 1000,
      stream_timeout: TIMEOUT_MS / 1000,
      fallbacks: [{ primary: ['general-fb'] }],
      context_window_fallbacks: [{ primary: ['context-fb'] }],
      content_policy_fallbacks: [{ primary: ['policy-fb'] }],
      allowed_fails: 3,
      cooldown_time: COOLDOWN_MS / 1000,
    },
  };
}

interface Run {
  ok: boolean;
  attempts: number;
  wrongFallback: boolean;
  duplicated: number;
  /** Client-measured: total minus the upstream's span. */
  overheadMs?: number;
  /** LiteLLM's own header. */
  headerOverheadMs?: number;
}

/** What the fault server saw of one call: attempts, who served it, and the upstream's span. */
function upstreamOf(upstream: FaultServer, since: number) {
  const calls = upstream.requests.slice(since);
  const served = calls.filter((r) => r.served).at(-1);
  const group = served ? (Object.entries(GROUPS).find(([, m]) => m === served.model)?.[0] as Group | undefined) : undefined;
  const span = calls.length === 0 ? 0 : Math.max(...calls.map((r) => r.end)) - Math.min(...calls.map((r) => r.arrival));
  return { attempts: calls.length, group, span };
}

/** Waits until every request of the call has ended at the server (a cut or abandoned one closes a little later). */
async function settled(upstream: FaultServer, since: number): Promise<void> {
  for (let i = 0; i < 100 && upstream.requests.slice(since).some((r) => r.end === 0); i++) await new Promise((r) => setTimeout(r, 10));
}

async function runOurs(upstream: FaultServer, scenario: (typeof SCENARIOS)[number], router: ModelRouter): Promise<Run> {
  const since = upstream.requests.length;
  const started = performance.now();
  let text = '';
  let ok = true;
  try {
    if (scenario.stream) {
      for await (const part of router.stream(request)) if (part.type === 'text-delta') text += part.text;
    } else {
      text = (await router.chat(request)).text;
    }
  } catch {
    ok = false;
  }
  const total = performance.now() - started;
  await settled(upstream, since);
  return measure(upstream, since, scenario, ok, text, total);
}

async function runLiteLlm(upstream: FaultServer, scenario: (typeof SCENARIOS)[number], proxy: LiteLlmProxy): Promise<Run> {
  const since = upstream.requests.length;
  let headerOverheadMs: number | undefined;
  // Reads LiteLLM's overhead header off the answer our provider's fetch receives.
  const fetchWithHeader: typeof fetch = async (input, init) => {
    const res = await fetch(input, init);
    const h = Number.parseFloat(res.headers.get('x-litellm-overhead-duration-ms') ?? '');
    if (Number.isFinite(h)) headerOverheadMs = h;
    return res;
  };
  const model = new OpenAICompatibleModel({ baseUrl: `${proxy.baseUrl}/v1`, model: 'primary', apiKey: proxy.apiKey, timeoutMs: 30_000, fetch: fetchWithHeader });
  const started = performance.now();
  let text = '';
  let ok = true;
  try {
    if (scenario.stream) {
      const { stream } = await model.doStream(request);
      text = (await collectStream(stream)).text;
    } else {
      text = (await model.doChat(request)).text;
    }
  } catch (err) {
    if (!(err instanceof LlmError)) throw err;
    ok = false;
  }
  const total = performance.now() - started;
  await settled(upstream, since);
  return { ...measure(upstream, since, scenario, ok, text, total), headerOverheadMs: ok ? headerOverheadMs : undefined };
}

function measure(upstream: FaultServer, since: number, scenario: (typeof SCENARIOS)[number], ok: boolean, text: string, total: number): Run {
  const seen = upstreamOf(upstream, since);
  // Every scripted answer is ANSWER (whole, or continued): anything beyond its length was sent twice.
  const duplicated = Math.max(0, text.length - ANSWER.length);
  return {
    ok: ok && text.length > 0,
    attempts: seen.attempts,
    wrongFallback: ok && seen.group !== undefined && seen.group !== scenario.expected,
    duplicated,
    overheadMs: ok ? Math.max(0, total - seen.span) : undefined,
  };
}

function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

const ms = (v: number | undefined) => (v === undefined ? '—' : v.toFixed(1));

function row(name: string, fault: Fault, runs: readonly Run[], header: boolean): string {
  const sum = (f: (r: Run) => number) => runs.reduce((s, r) => s + f(r), 0);
  const client = runs.flatMap((r) => (r.overheadMs === undefined ? [] : [r.overheadMs]));
  const own = runs.flatMap((r) => (r.headerOverheadMs === undefined ? [] : [r.headerOverheadMs]));
  const overhead = header ? `${ms(percentile(own, 50))} / ${ms(percentile(own, 95))}` : '(in process)';
  return `| ${fault} | ${name} | ${sum((r) => (r.ok ? 1 : 0))}/${runs.length} | ${sum((r) => r.attempts)} | ${sum((r) => (r.wrongFallback ? 1 : 0))} | ${sum((r) => r.duplicated)} | ${ms(percentile(client, 50))} / ${ms(percentile(client, 95))} | ${overhead} |`;
}

async function main(): Promise<void> {
  const upstream = await startFaultServer(seeded(SEED), { holdMs: 2_000, jitterMs: 80 });
  const proxy = await startLiteLlmProxy(liteLlmConfig(upstream));
  const lines = [
    `Router bench: ${RUNS} calls per scenario and router, seed ${SEED}, retries ${RETRIES}, per-call timeout ${TIMEOUT_MS} ms, LiteLLM proxy via startLiteLlmProxy.`,
    '',
    '| scenario | router | success | upstream attempts | wrong fallback | duplicated chars | overhead p50 / p95 ms (client: total − upstream span) | LiteLLM header overhead p50 / p95 ms |',
    '|---|---|---|---|---|---|---|---|',
  ];
  try {
    // Warm both paths (module loading, the proxy's first-request setup) outside the figures.
    upstream.fault = 'jitter';
    await runOurs(upstream, SCENARIOS[6], ourRouter(upstream));
    await runLiteLlm(upstream, SCENARIOS[6], proxy);
    for (const scenario of SCENARIOS) {
      upstream.fault = scenario.fault;
      // A fresh router per scenario: one scenario's cooldowns must not decide the next one's.
      const router = ourRouter(upstream);
      const ours: Run[] = [];
      for (let i = 0; i < RUNS; i++) ours.push(await runOurs(upstream, scenario, router));
      const theirs: Run[] = [];
      for (let i = 0; i < RUNS; i++) theirs.push(await runLiteLlm(upstream, scenario, proxy));
      lines.push(row('ours', scenario.fault, ours, false), row('LiteLLM', scenario.fault, theirs, true));
      process.stderr.write(`${scenario.fault} done\n`);
    }
  } finally {
    await proxy.stop();
    await upstream.stop();
  }
  console.log(lines.join('\n'));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
