// Per-run budgets (issue 14, "Budgets"): one pool for the coordinator and its members, each model
// call reserving its worst case before it starts and settling with its usage.
import { join } from 'node:path';
import {
  AgentTeam,
  BudgetRequestError,
  DEFAULT_MAX_OUTPUT_TOKENS,
  LlmPricing,
  RunBudget,
  TeamConfigError,
  createDefaultRegistry,
  estimatePromptTokens,
} from '../../../runtime/src/agents';
import { LlmConfigDocumentSchema, type LlmConfig } from '../../../runtime/src/contract';
import type { ChatRequest, LlmClient, RoutedChatResult } from '../../../runtime/src/llm/types';
import { embeddedMemory, lastUser, systemPrompt } from './helpers';

const USAGE = { inputTokens: 50, outputTokens: 10 };

/**
 * The coordinator delegates once to the researcher, then answers; the researcher answers. Every
 * call reports USAGE (or nothing, with `reportUsage` false). Each request is kept, so a test
 * counts the calls that were started.
 */
class ScriptedLlm implements LlmClient {
  readonly deployments = ['primary', 'backup'];
  readonly requests: ChatRequest[] = [];
  constructor(
    private readonly reportUsage = true,
    private readonly usage = USAGE,
  ) {}

  async chat(request: ChatRequest, options?: { readonly deployment?: string }): Promise<RoutedChatResult> {
    this.requests.push(request);
    const deployment = options?.deployment ?? 'primary';
    const researcher = systemPrompt(request).startsWith('You are the researcher');
    const delegating = !researcher && !request.messages.some((m) => m.role === 'tool');
    const toolCalls = delegating ? [{ id: `call-${this.requests.length}`, name: 'delegate_to_researcher', arguments: { task: lastUser(request) } }] : [];
    const text = researcher ? `Tides follow the moon (${lastUser(request)})` : delegating ? '' : 'The team says: tides follow the moon.';
    return {
      text,
      toolCalls,
      finishReason: delegating ? 'tool-calls' : 'stop',
      ...(this.reportUsage ? { usage: this.usage } : {}),
      provider: 'scripted',
      model: `scripted-${deployment}`,
      warnings: [],
      deployment,
      attempts: [{ deployment, provider: 'scripted', model: `scripted-${deployment}`, outcome: 'ok', durationMs: 1 }],
    };
  }
}

const RESEARCHER = { name: 'researcher', type: 'llm', capabilities: ['research'], config: { systemPrompt: 'You are the researcher.' } };
const MAX_OUTPUT = 100;

function build(llm: LlmClient, budget: Record<string, unknown> = {}, pricing?: LlmPricing) {
  const config = {
    id: 't',
    coordinator: 'coordinator',
    budget: { maxOutputTokens: MAX_OUTPUT, ...budget },
    agents: [{ name: 'coordinator', type: 'coordinator', config: { deployment: 'primary' } }, RESEARCHER],
  };
  return AgentTeam.create(config, { registry: createDefaultRegistry({ baseDir: join(__dirname, 'fixtures') }), memory: embeddedMemory().memory, llm, pricing });
}

const ask = { conversationId: 'tides', content: 'Why are there tides?' };

/** What each call of an unlimited run reserved: its prompt estimate + MAX_OUTPUT. */
async function unlimitedRun() {
  const llm = new ScriptedLlm();
  const result = await (await build(llm)).processMessage(ask);
  return { llm, result, reserved: llm.requests.map((r) => estimatePromptTokens(r) + MAX_OUTPUT) };
}

describe('the prompt estimator', () => {
  it('counts 4 characters a token rounded up, 4 tokens a message and 3 a request', () => {
    const request: ChatRequest = { messages: [{ role: 'system', content: 'abcd' }, { role: 'user', content: 'hello' }] };
    expect(estimatePromptTokens(request)).toBe(3 + (4 + 1) + (4 + 2));
    const withTool = { ...request, tools: [{ name: 'x', description: 'y', parameters: {} }] };
    expect(estimatePromptTokens(withTool)).toBe(14 + Math.ceil(JSON.stringify(withTool.tools).length / 4));
  });
});

describe('RunBudget', () => {
  const request: ChatRequest = { messages: [{ role: 'user', content: 'a'.repeat(40) }] };
  const prompt = estimatePromptTokens(request);

  it('holds each call in flight, refuses what the rest cannot cover, and frees the unused part at settlement', () => {
    const budget = new RunBudget({ maxTokens: 2 * (prompt + 500) - 1 }, undefined, 500);
    const first = budget.reserve('a', request, 'primary');
    expect(first.request.maxOutputTokens).toBe(500);
    expect(budget.report().reserved).toEqual({ tokens: prompt + 500 });
    // Two in flight would not fit: the check and the hold are one synchronous step.
    const probe = new RunBudget({ maxTokens: 2 * (prompt + 500) - 1 }, undefined, 500);
    probe.reserve('a', request, 'primary');
    expect(() => probe.reserve('b', request, 'primary')).toThrow(/budget exhausted: the next model call of agent "b"/);
    expect(probe.report().stoppedBecause).toMatchObject({ agent: 'b', needed: { tokens: prompt + 500 }, remaining: { tokens: prompt + 500 - 1 } });

    expect(budget.settle(first, { usage: { inputTokens: 12, outputTokens: 3 }, text: 'x', toolCalls: [], deployment: 'primary' })).toEqual({ inputTokens: 12, outputTokens: 3 });
    expect(budget.report()).toEqual({ limits: { maxTokens: 2 * (prompt + 500) - 1 }, used: { tokens: 15 }, reserved: { tokens: 0 } });
    // What the first call did not use covers the second now.
    const second = budget.reserve('b', request, 'primary');
    budget.settle(second, { text: 'abcdefgh', toolCalls: [] });
    expect(budget.usage()).toEqual({ inputTokens: 12 + prompt, outputTokens: 3 + 2, calls: 2 });
  });

  it('keeps the request as it was when the run has no limit, and still counts', () => {
    const budget = new RunBudget({}, undefined);
    const held = budget.reserve('a', request, 'primary');
    expect(held.request).toBe(request);
    budget.settle(held, { usage: USAGE, text: '', toolCalls: [] });
    expect(budget.usage()).toEqual({ ...USAGE, calls: 1 });
  });

  it('sends the default max output when the agent sets none', () => {
    expect(new RunBudget({ maxTokens: 10_000 }, undefined).reserve('a', request, 'primary').request.maxOutputTokens).toBe(DEFAULT_MAX_OUTPUT_TOKENS);
    expect(new RunBudget({ maxTokens: 10_000 }, undefined).reserve('a', { ...request, maxOutputTokens: 7 }, 'primary').tokens).toBe(prompt + 7);
  });
});

describe('a run with a token budget', () => {
  it('reports usage when unlimited: the coordinator and its member draw from one pool, each call in the trace', async () => {
    const { llm, result } = await unlimitedRun();
    expect(llm.requests).toHaveLength(3);
    expect(result.usage).toEqual({ inputTokens: 150, outputTokens: 30, calls: 3 });
    expect(result.budget).toEqual({ limits: {}, used: { tokens: 180 }, reserved: { tokens: 0 } });
    const calls = result.trace.filter((s) => s.action === 'llm-call');
    expect(calls.map((s) => [s.agent, s.usage])).toEqual([
      ['coordinator', USAGE],
      ['researcher', USAGE],
      ['coordinator', USAGE],
    ]);
    // Unlimited: the requests go out as the agents wrote them.
    expect(llm.requests.every((r) => r.maxOutputTokens === undefined)).toBe(true);
  });

  it('stops before the call it cannot cover: no model call started past the budget, a partial answer saying why', async () => {
    const { reserved } = await unlimitedRun();
    // Room for the first two calls as they settle, one token short of the third's reservation.
    const maxTokens = 2 * (USAGE.inputTokens + USAGE.outputTokens) + reserved[2] - 1;
    const llm = new ScriptedLlm();
    const result = await (await build(llm, { maxTokens })).processMessage(ask);

    expect(llm.requests).toHaveLength(2);
    expect(llm.requests.every((r) => r.maxOutputTokens === MAX_OUTPUT)).toBe(true);
    expect(result.usage).toEqual({ inputTokens: 100, outputTokens: 20, calls: 2 });
    expect(result.budget).toEqual({
      limits: { maxTokens },
      used: { tokens: 120 },
      reserved: { tokens: 0 },
      stoppedBecause: { agent: 'coordinator', deployment: 'primary', needed: { tokens: reserved[2] }, remaining: { tokens: reserved[2] - 1 }, message: expect.stringMatching(/^budget exhausted/) },
    });
    // The work done so far is the answer, and the reply says it is not a finished one.
    expect(result.reply.content).toMatch(/could not finish[\s\S]*researcher: Tides follow the moon/);
    expect(result.agents.degraded).toEqual([expect.stringMatching(/^agent coordinator: its model failed \(budget exhausted/)]);
  });

  it("refuses a member's call the coordinator's use left no room for, and the run ends with a notice", async () => {
    const { reserved } = await unlimitedRun();
    // The coordinator's first call reads a long context: its usage leaves one token too few.
    const large = { inputTokens: 1000, outputTokens: 10 };
    const maxTokens = large.inputTokens + large.outputTokens + reserved[1] - 1;
    const llm = new ScriptedLlm(true, large);
    const result = await (await build(llm, { maxTokens })).processMessage(ask);

    expect(llm.requests).toHaveLength(1);
    expect(result.budget.stoppedBecause).toMatchObject({ agent: 'researcher', needed: { tokens: reserved[1] }, remaining: { tokens: reserved[1] - 1 } });
    expect(result.reply).toEqual({ agent: 'coordinator', content: expect.stringMatching(/budget/) });
    expect(result.agents.degraded).toEqual([expect.stringMatching(/^agent researcher: failed \(budget-exhausted\)/), expect.stringMatching(/^agent coordinator: stopped: budget exhausted/)]);
    expect(result.usage.calls).toBe(1);
  });

  it('settles with the estimate when the provider reports no usage', async () => {
    const llm = new ScriptedLlm(false);
    const result = await (await build(llm, { maxTokens: 100_000 })).processMessage(ask);
    const steps = result.trace.filter((s) => s.action === 'llm-call');
    expect(steps.every((s) => s.usage?.estimated === true)).toBe(true);
    expect(steps[0].usage?.inputTokens).toBe(estimatePromptTokens(llm.requests[0]));
    expect(result.usage.inputTokens).toBe(llm.requests.reduce((n, r) => n + estimatePromptTokens(r), 0));
  });
});

describe('request limits', () => {
  it('may lower the team limit, never raise it', async () => {
    const team = await build(new ScriptedLlm(), { maxTokens: 50_000 });
    const lowered = await team.processMessage(ask, { budget: { maxTokens: 40_000 } });
    expect(lowered.budget.limits).toEqual({ maxTokens: 40_000 });
    const llm = new ScriptedLlm();
    const raised = (await build(llm, { maxTokens: 50_000 })).processMessage(ask, { budget: { maxTokens: 60_000 } });
    await expect(raised).rejects.toThrow(BudgetRequestError);
    await expect(raised).rejects.toMatchObject({ problems: [{ path: 'budget.maxTokens', message: "at most the team's limit (50000)" }] });
    expect(llm.requests).toHaveLength(0);
  });

  it('refuses a cost limit when the deployments have no prices', async () => {
    await expect(build(new ScriptedLlm(), { maxCost: 1 })).rejects.toThrow(TeamConfigError);
    await expect((await build(new ScriptedLlm())).processMessage(ask, { budget: { maxCost: 1 } })).rejects.toMatchObject({ problems: [{ path: 'budget.maxCost' }] });
  });

  it('refuses a team limit no call fits in', async () => {
    await expect(build(new ScriptedLlm(), { maxTokens: MAX_OUTPUT })).rejects.toMatchObject({ problems: [{ path: 'budget.maxTokens' }] });
  });
});

describe('cost', () => {
  const document = LlmConfigDocumentSchema.parse({
    deployments: [
      { name: 'primary', provider: 'offline', model: 'a', inputCostPerMillionTokens: 1, outputCostPerMillionTokens: 2 },
      { name: 'backup', provider: 'offline', model: 'b', inputCostPerMillionTokens: 3, outputCostPerMillionTokens: 4 },
    ],
    fallbacks: { primary: ['backup'] },
  });
  const pricing = LlmPricing.fromConfig({ ...document, fallbacks: document.fallbacks ?? {}, contextWindowFallbacks: {} } as unknown as LlmConfig);

  it('prices a call at the worst deployment it may be routed to, and settles at the one that answered', () => {
    expect(pricing.worstCase('primary')).toEqual({ input: 3, output: 4 });
    expect(pricing.worstCase('backup')).toEqual({ input: 3, output: 4 });
    expect(pricing.of('primary')).toEqual({ input: 1, output: 2 });
  });

  it('reports the cost of a run and stops one whose worst case exceeds its cost limit', async () => {
    const { result } = await (async () => {
      const llm = new ScriptedLlm();
      return { result: await (await build(llm, {}, pricing)).processMessage(ask) };
    })();
    const perCall = (USAGE.inputTokens * 1 + USAGE.outputTokens * 2) / 1e6;
    expect(result.usage.cost).toBeCloseTo(3 * perCall, 12);
    expect(result.trace.find((s) => s.action === 'llm-call')?.usage?.cost).toBeCloseTo(perCall, 12);

    // Enough at the primary's prices, not at the backup's, which a fallback may reach.
    const { llm: unlimited } = await unlimitedRun();
    const prompt = estimatePromptTokens(unlimited.requests[0]);
    const atPrimary = (prompt * 1 + MAX_OUTPUT * 2) / 1e6;
    const atBackup = (prompt * 3 + MAX_OUTPUT * 4) / 1e6;
    const llm = new ScriptedLlm();
    const cheap = await (await build(llm, { maxCost: 1 }, pricing)).processMessage(ask, { budget: { maxCost: (atPrimary + atBackup) / 2 } });
    expect(llm.requests).toHaveLength(0);
    expect(cheap.budget.stoppedBecause?.needed.cost).toBeCloseTo(atBackup, 12);
    expect(cheap.usage).toEqual({ inputTokens: 0, outputTokens: 0, cost: 0, calls: 0 });
  });

  it('validates prices: both or neither, not negative', () => {
    const issues = (deployment: Record<string, unknown>) =>
      LlmConfigDocumentSchema.safeParse({ deployments: [{ name: 'p', provider: 'offline', model: 'a', ...deployment }] }).error?.issues.map((i) => [i.path.join('.'), i.message]);
    expect(issues({ inputCostPerMillionTokens: -1, outputCostPerMillionTokens: 1 })).toEqual([['deployments.0.inputCostPerMillionTokens', 'a price of 0 or more']]);
    expect(issues({ inputCostPerMillionTokens: 1 })).toEqual([['deployments.0.outputCostPerMillionTokens', 'required with the other price (both or neither)']]);
    expect(issues({ inputCostPerMillionTokens: 0.3, outputCostPerMillionTokens: 2.5 })).toBeUndefined();
  });
});
