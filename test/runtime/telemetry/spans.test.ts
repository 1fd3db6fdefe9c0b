// Issue 14, "Traces": a delegated message's spans as an in-memory exporter receives them, named
// as the OpenTelemetry GenAI conventions name them, under the HTTP request's span.
import { join } from 'node:path';
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import type { FastifyInstance } from 'fastify';
import { createDefaultRegistry, loadTeams } from '../../../runtime/src/agents';
import { TraceRecorder } from '../../../runtime/src/agents/trace';
import { parseRuntimeConfig } from '../../../runtime/src/contract';
import { createLlmClient } from '../../../runtime/src/llm/create-llm-client';
import { buildApp } from '../../../runtime/src/server/app';
import { GEN_AI, MEMORY } from '../../../runtime/src/telemetry/conventions';
import { setTraceContent } from '../../../runtime/src/telemetry/spans';
import { registerTracing } from '../../../runtime/src/telemetry/sdk';
import { embeddedMemory } from '../agents/helpers';

const exporter = new InMemorySpanExporter();
const telemetry = registerTracing([new SimpleSpanProcessor({ exporter })]);
afterAll(() => telemetry.shutdown());
beforeEach(() => exporter.reset());
afterEach(() => setTraceContent(false));

const TEAMS_DIR = join(__dirname, '../../../runtime/teams');
// The default team's coordinator routes by keywords: "plan" and "steps" go to its planner.
const PLAN = { conversationId: 'launch', content: 'Plan the steps for our secret launch of Project Zephyr' };

async function build(env: Record<string, string> = {}): Promise<FastifyInstance> {
  const config = parseRuntimeConfig(env);
  const { memory } = embeddedMemory();
  // The real router over the offline model: the chat span as the runtime makes it.
  const llm = createLlmClient(config.llm, config.google);
  const catalog = await loadTeams(TEAMS_DIR, { registry: createDefaultRegistry(), memory, llm });
  return buildApp({ config, memory, teams: { get: (id) => catalog.get(id), describe: () => [] }, agents: { list: () => [] } }, { logger: false });
}

async function delegated(env: Record<string, string> = {}): Promise<ReadableSpan[]> {
  exporter.reset();
  const app = await build(env);
  const response = await app.inject({ method: 'POST', url: '/v1/teams/default/messages', payload: PLAN });
  expect(response.statusCode).toBe(200);
  await app.close();
  return exporter.getFinishedSpans();
}

const named = (spans: readonly ReadableSpan[], name: string) => spans.filter((s) => s.name === name);
const one = (spans: readonly ReadableSpan[], name: string) => {
  const found = named(spans, name);
  expect(found.map((s) => s.name)).toEqual([name]);
  return found[0];
};
const parentOf = (spans: readonly ReadableSpan[], span: ReadableSpan) => spans.find((s) => s.spanContext().spanId === span.parentSpanContext?.spanId);
/** The names from `span` up to the root. */
const ancestry = (spans: readonly ReadableSpan[], span: ReadableSpan): string[] => {
  const names: string[] = [];
  for (let s: ReadableSpan | undefined = span; s; s = parentOf(spans, s)) names.push(s.name);
  return names;
};

describe('the spans of a delegated message', () => {
  it('nest HTTP request → invoke_agent coordinator → invoke_agent planner → chat, with the conventions\' attributes', async () => {
    const spans = await delegated();
    const request = one(spans, 'POST /v1/teams/:teamId/messages');
    expect(request.kind).toBe(SpanKind.SERVER);
    expect(request.parentSpanContext).toBeUndefined();
    expect(new Set(spans.map((s) => s.spanContext().traceId))).toEqual(new Set([request.spanContext().traceId]));

    const coordinator = one(spans, 'invoke_agent coordinator');
    expect(coordinator.attributes).toMatchObject({ [GEN_AI.operationName]: 'invoke_agent', [GEN_AI.agentName]: 'coordinator', [GEN_AI.conversationId]: expect.stringMatching(/:launch$/) });
    expect(ancestry(spans, coordinator).at(-1)).toBe(request.name);
    const planner = one(spans, 'invoke_agent planner');
    expect(planner.attributes).toMatchObject({ [GEN_AI.operationName]: 'invoke_agent', [GEN_AI.agentName]: 'planner' });
    expect(parentOf(spans, planner)).toBe(coordinator);

    const chats = spans.filter((s) => s.attributes[GEN_AI.operationName] === 'chat');
    expect(chats).toHaveLength(1);
    const [chat] = chats;
    expect(parentOf(spans, chat)).toBe(planner);
    expect(chat.kind).toBe(SpanKind.INTERNAL);
    const model = chat.attributes[GEN_AI.requestModel];
    expect(typeof model).toBe('string');
    expect(chat.name).toBe(`chat ${model}`);
    expect(chat.attributes).toMatchObject({ [GEN_AI.responseModel]: model, [GEN_AI.responseFinishReasons]: ['stop'] });
    expect(typeof chat.attributes[GEN_AI.providerName]).toBe('string');
    expect(typeof chat.attributes[GEN_AI.usageInputTokens]).toBe('number');
    expect(typeof chat.attributes[GEN_AI.usageOutputTokens]).toBe('number');
    // The run's usage on the coordinator's span: the sum of its calls (here the planner's one).
    expect(coordinator.attributes).toMatchObject({ [GEN_AI.usageInputTokens]: chat.attributes[GEN_AI.usageInputTokens], [GEN_AI.usageOutputTokens]: chat.attributes[GEN_AI.usageOutputTokens] });
    // The router's attempts, each an event of the call's span.
    expect(chat.events.map((e) => [e.name, e.attributes?.['orchestra.llm.attempt.outcome']])).toEqual([['orchestra.llm.attempt', 'ok']]);
  });

  it('include the memory operations, each layer a child span, with the degraded state', async () => {
    const spans = await delegated();
    const stores = named(spans, 'memory.store');
    // The message, then the reply.
    expect(stores).toHaveLength(2);
    const search = one(spans, 'memory.search');
    for (const span of [...stores, search]) {
      expect(ancestry(spans, span).at(-1)).toBe('POST /v1/teams/:teamId/messages');
      expect(span.attributes[MEMORY.degraded]).toBe(false);
    }
    const layers = spans.filter((s) => parentOf(spans, s) === search).map((s) => [s.name, s.attributes[MEMORY.layer]]);
    expect(layers.sort()).toEqual([
      ['memory.search long-term', 'long-term'],
      ['memory.search mid-term', 'mid-term'],
      ['memory.search short-term', 'short-term'],
    ]);
    expect(spans.filter((s) => parentOf(spans, s) === stores[0]).map((s) => s.name)).toContain('memory.store short-term');
  });

  it('carry no message content unless ORCHESTRA_TRACE_CONTENT is true', async () => {
    const quiet = await delegated();
    const values = quiet.flatMap((s) => [...Object.values(s.attributes), ...s.events.flatMap((e) => Object.values(e.attributes ?? {}))]).map(String);
    expect(values.filter((v) => v.includes('Zephyr'))).toEqual([]);
    expect(quiet.filter((s) => s.attributes[GEN_AI.inputMessages] !== undefined || s.attributes[GEN_AI.outputMessages] !== undefined)).toEqual([]);

    const loud = await delegated({ ORCHESTRA_TRACE_CONTENT: 'true' });
    const chat = loud.find((s) => s.attributes[GEN_AI.operationName] === 'chat')!;
    const input = JSON.parse(String(chat.attributes[GEN_AI.inputMessages])) as { role: string; parts: { type: string; content?: string }[] }[];
    expect(input.at(-1)).toEqual({ role: 'user', parts: [{ type: 'text', content: PLAN.content }] });
    expect(input[0].role).toBe('system');
    const output = JSON.parse(String(chat.attributes[GEN_AI.outputMessages])) as { role: string; finish_reason: string }[];
    expect(output).toEqual([expect.objectContaining({ role: 'assistant', finish_reason: 'stop' })]);
  });
});

describe('the spans of a delegated, tool-using message', () => {
  it('nest HTTP request → invoke_agent coordinator → invoke_agent assistant → chat, execute_tool current_time, chat', async () => {
    exporter.reset();
    const app = await build();
    // No specialist matches: the fallback member, the assistant, whose offline model calls the
    // default team's example tool (its name and description share "time" with the message).
    const response = await app.inject({ method: 'POST', url: '/v1/teams/default/messages', payload: { conversationId: 'clock', content: 'What time is it right now?' } });
    expect(response.statusCode).toBe(200);
    await app.close();
    const spans = exporter.getFinishedSpans();

    const assistant = one(spans, 'invoke_agent assistant');
    const path = ancestry(spans, assistant);
    expect([...path.slice(0, 2), path.at(-1)]).toEqual(['invoke_agent assistant', 'invoke_agent coordinator', 'POST /v1/teams/:teamId/messages']);
    const tool = one(spans, 'execute_tool current_time');
    expect(tool.attributes).toMatchObject({ [GEN_AI.operationName]: 'execute_tool', [GEN_AI.toolName]: 'current_time' });
    expect(parentOf(spans, tool)).toBe(assistant);
    const underAssistant = spans.filter((s) => parentOf(spans, s) === assistant).sort((a, b) => (a.startTime[0] - b.startTime[0]) * 1e9 + (a.startTime[1] - b.startTime[1]));
    expect(underAssistant.map((s) => s.attributes[GEN_AI.operationName])).toEqual(['chat', 'execute_tool', 'chat']);
  });
});

describe('steps recorded as tool calls', () => {
  it('are execute_tool spans, named after the tool, a refused call marked failed', async () => {
    const trace = new TraceRecorder();
    await trace.step('helper', 'tool-call', async () => 'sunny', { detail: 'weather: Paris', subject: 'weather' });
    trace.record('coordinator', 'tool-call', { detail: 'delegate_to_nobody: no tool named "delegate_to_nobody"' });
    const spans = exporter.getFinishedSpans();
    expect(spans.map((s) => [s.name, s.attributes[GEN_AI.operationName], s.attributes[GEN_AI.toolName], s.status.code])).toEqual([
      ['execute_tool weather', 'execute_tool', 'weather', 0],
      ['execute_tool delegate_to_nobody', 'execute_tool', 'delegate_to_nobody', 2],
    ]);
    // The span name is not part of the recorded step.
    expect(trace.steps[0]).not.toHaveProperty('subject');
  });
});
