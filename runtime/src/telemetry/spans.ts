/**
 * The runtime's spans, written against `@opentelemetry/api` only: without an SDK registered
 * (telemetry off) every call here is a no-op. `sdk.ts` registers one at start-up.
 */
import { type Attributes, type Span, SpanStatusCode, context, createContextKey, trace } from '@opentelemetry/api';
import { GEN_AI, GEN_AI_OPERATION, GEN_AI_PROVIDER, LLM_ATTEMPT, LLM_ATTEMPT_EVENT, MEMORY, TRACER_NAME } from './conventions';

let contentRecorded = false;

/**
 * Whether message content (prompts, replies, tool arguments and results) goes into spans:
 * `ORCHESTRA_TRACE_CONTENT`. Off by default: conversations are the tenants' data, and a tracing
 * backend is read by more people than the memory store.
 */
export function setTraceContent(on: boolean): void {
  contentRecorded = on;
}

function tracer() {
  return trace.getTracer(TRACER_NAME);
}

/** The error's kind, never its message: a provider's message may quote the prompt. */
function markFailed(span: Span, error: unknown): void {
  const kind = (error as { kind?: unknown })?.kind;
  const type = typeof kind === 'string' ? kind : error instanceof Error ? error.name : 'unknown';
  span.setAttribute(GEN_AI.errorType, type);
  span.setStatus({ code: SpanStatusCode.ERROR, message: type });
}

/** Runs `run` as the active span `name`, ended when it settles; `onResult` annotates a success. */
export function inSpan<T>(name: string, attributes: Attributes, run: (span: Span) => Promise<T>, onResult?: (span: Span, result: T) => void): Promise<T> {
  return tracer().startActiveSpan(name, { attributes }, async (span) => {
    try {
      const result = await run(span);
      onResult?.(span, result);
      return result;
    } catch (error) {
      markFailed(span, error);
      throw error;
    } finally {
      span.end();
    }
  });
}

export function providerName(provider: string): string {
  return GEN_AI_PROVIDER[provider] ?? provider;
}

/**
 * `invoke_agent {agent}`: one agent's run. `usage`, when given, is read as the span ends (failed
 * or not): the tokens the run used, its delegations' included, as the conventions' usage attributes.
 */
export function invokeAgentSpan<T>(agent: string, run: () => Promise<T>, conversationId?: string, usage?: () => { readonly inputTokens: number; readonly outputTokens: number }): Promise<T> {
  const attributes: Attributes = { [GEN_AI.operationName]: GEN_AI_OPERATION.invokeAgent, [GEN_AI.agentName]: agent };
  if (conversationId !== undefined) attributes[GEN_AI.conversationId] = conversationId;
  return inSpan(`${GEN_AI_OPERATION.invokeAgent} ${agent}`, attributes, (span) =>
    run().finally(() => {
      if (!usage) return;
      const used = usage();
      span.setAttributes({ [GEN_AI.usageInputTokens]: used.inputTokens, [GEN_AI.usageOutputTokens]: used.outputTokens });
    }),
  );
}

// The chat span of the call in progress, so that the router (which has the messages) can add
// content to it when content is recorded; nothing else is told through it.
const CHAT_SPAN = createContextKey('orchestra.chat-span');

interface ChatOutcome {
  readonly provider?: string;
  readonly model?: string;
  readonly finishReason?: string;
  readonly usage?: { readonly inputTokens?: number; readonly outputTokens?: number };
  readonly attempts?: readonly AttemptLike[];
}

interface AttemptLike {
  readonly deployment: string;
  readonly provider: string;
  readonly model: string;
  readonly outcome: string;
  readonly errorKind?: string;
  readonly status?: number;
  readonly durationMs: number;
}

/**
 * `chat {model}`: one model call as the agent made it. The router may try several deployments
 * for it; each attempt is an `orchestra.llm.attempt` event of this span (one span per call keeps
 * the tree one model call per agent turn, as the agent saw it), and the span names the model
 * that answered.
 */
export function chatSpan<T>(deployment: string | undefined, run: () => Promise<T>): Promise<T> {
  const attributes: Attributes = { [GEN_AI.operationName]: GEN_AI_OPERATION.chat };
  if (deployment !== undefined) attributes[LLM_ATTEMPT.deployment] = deployment;
  return tracer().startActiveSpan(GEN_AI_OPERATION.chat, { attributes }, context.active(), async (span) => {
    try {
      const result = await context.with(context.active().setValue(CHAT_SPAN, span), run);
      annotateChat(span, result as ChatOutcome);
      return result;
    } catch (error) {
      annotateChat(span, { attempts: (error as { attempts?: readonly AttemptLike[] })?.attempts });
      markFailed(span, error);
      throw error;
    } finally {
      span.end();
    }
  });
}

function annotateChat(span: Span, outcome: ChatOutcome | undefined): void {
  if (outcome === undefined || outcome === null || typeof outcome !== 'object') return;
  for (const a of outcome.attempts ?? []) {
    const event: Attributes = {
      [LLM_ATTEMPT.deployment]: a.deployment,
      [GEN_AI.providerName]: providerName(a.provider),
      [GEN_AI.requestModel]: a.model,
      [LLM_ATTEMPT.outcome]: a.outcome,
      [LLM_ATTEMPT.durationMs]: a.durationMs,
    };
    if (a.errorKind !== undefined) event[GEN_AI.errorType] = a.errorKind;
    if (a.status !== undefined) event[LLM_ATTEMPT.status] = a.status;
    span.addEvent(LLM_ATTEMPT_EVENT, event);
  }
  if (outcome.model !== undefined) {
    span.updateName(`${GEN_AI_OPERATION.chat} ${outcome.model}`);
    span.setAttribute(GEN_AI.requestModel, outcome.model);
    span.setAttribute(GEN_AI.responseModel, outcome.model);
  }
  if (outcome.provider !== undefined) span.setAttribute(GEN_AI.providerName, providerName(outcome.provider));
  const ok = [...(outcome.attempts ?? [])].reverse().find((a) => a.outcome === 'ok');
  if (ok !== undefined) span.setAttribute(LLM_ATTEMPT.deployment, ok.deployment);
  if (outcome.finishReason !== undefined) span.setAttribute(GEN_AI.responseFinishReasons, [outcome.finishReason]);
  if (outcome.usage?.inputTokens !== undefined) span.setAttribute(GEN_AI.usageInputTokens, outcome.usage.inputTokens);
  if (outcome.usage?.outputTokens !== undefined) span.setAttribute(GEN_AI.usageOutputTokens, outcome.usage.outputTokens);
}

interface MessageLike {
  readonly role: string;
  readonly content: string;
  readonly toolCalls?: readonly { readonly id: string; readonly name: string; readonly arguments: unknown }[];
  readonly toolCallId?: string;
}

/** The conventions' message shape: a role and its parts. */
function conventionMessage(m: MessageLike): Record<string, unknown> {
  const parts: Record<string, unknown>[] = [];
  if (m.role === 'tool') parts.push({ type: 'tool_call_response', id: m.toolCallId, response: m.content });
  else if (m.content !== '') parts.push({ type: 'text', content: m.content });
  for (const c of m.toolCalls ?? []) parts.push({ type: 'tool_call', id: c.id, name: c.name, arguments: c.arguments });
  return { role: m.role, parts };
}

/**
 * The call's messages and answer on the chat span in progress (`gen_ai.input.messages`,
 * `gen_ai.output.messages`), only when content is recorded.
 */
export function recordChatContent(input: readonly MessageLike[], output: { readonly text: string; readonly toolCalls?: MessageLike['toolCalls']; readonly finishReason?: string }): void {
  if (!contentRecorded) return;
  const span = context.active().getValue(CHAT_SPAN) as Span | undefined;
  if (span === undefined) return;
  span.setAttribute(GEN_AI.inputMessages, JSON.stringify(input.map(conventionMessage)));
  const answer = { ...conventionMessage({ role: 'assistant', content: output.text, toolCalls: output.toolCalls }), finish_reason: output.finishReason };
  span.setAttribute(GEN_AI.outputMessages, JSON.stringify([answer]));
}

/** `execute_tool {tool}`; `refused` for a call that never ran (an unknown tool, bad arguments). */
export function executeToolSpan<T>(tool: string, run: () => Promise<T>): Promise<T> {
  const attributes: Attributes = { [GEN_AI.operationName]: GEN_AI_OPERATION.executeTool, [GEN_AI.toolName]: tool, [GEN_AI.toolType]: 'function' };
  return inSpan(`${GEN_AI_OPERATION.executeTool} ${tool}`, attributes, () => run());
}

/** A tool call refused before it ran (an unknown tool, bad arguments): a failed `execute_tool` span of no duration. */
export function refusedToolSpan(tool: string): void {
  const attributes: Attributes = { [GEN_AI.operationName]: GEN_AI_OPERATION.executeTool, [GEN_AI.toolName]: tool, [GEN_AI.toolType]: 'function' };
  const span = tracer().startSpan(`${GEN_AI_OPERATION.executeTool} ${tool}`, { attributes });
  markFailed(span, new RefusedToolCall());
  span.end();
}

class RefusedToolCall extends Error {
  override readonly name = 'RefusedToolCall';
}

/** Tool arguments and result on the active `execute_tool` span, only when content is recorded. */
export function recordToolContent(args: unknown, result: unknown): void {
  if (!contentRecorded) return;
  const span = trace.getActiveSpan();
  span?.setAttribute(GEN_AI.toolCallArguments, typeof args === 'string' ? args : JSON.stringify(args));
  span?.setAttribute(GEN_AI.toolCallResult, typeof result === 'string' ? result : JSON.stringify(result));
}

/** `embeddings {model}`: one embedding request. */
export function embeddingsSpan<T extends readonly { readonly length: number }[]>(provider: string, model: string, run: () => Promise<T>): Promise<T> {
  const attributes: Attributes = { [GEN_AI.operationName]: GEN_AI_OPERATION.embeddings, [GEN_AI.providerName]: providerName(provider), [GEN_AI.requestModel]: model };
  return inSpan(`${GEN_AI_OPERATION.embeddings} ${model}`, attributes, run, (span, vectors) => {
    if (vectors[0] !== undefined) span.setAttribute(GEN_AI.embeddingsDimensionCount, vectors[0].length);
  });
}

/**
 * A memory operation (`memory.store`, `memory.search`, `memory.forget`): `degraded` notes are
 * `"<layer>: <reason>"`, as the manager writes them; the span names the layers, not the reasons
 * (a reason may quote a backend's message).
 */
export function memorySpan<T extends object>(name: string, run: () => Promise<T>): Promise<T> {
  return inSpan(name, { [MEMORY.operation]: name }, run, (span, result) => {
    const notes = 'degraded' in result && Array.isArray(result.degraded) ? (result.degraded as string[]) : [];
    const layers = [...new Set(notes.map((note) => note.split(':')[0]))];
    span.setAttribute(MEMORY.degraded, layers.length > 0);
    if (layers.length > 0) span.setAttribute(MEMORY.degradedLayers, layers);
  });
}

/** One layer's part of a memory operation, a child of its `memory.*` span: `memory.store short-term`. */
export function memoryLayerSpan<T>(operation: string, layer: string, run: () => Promise<T>): Promise<T> {
  return inSpan(`${operation} ${layer}`, { [MEMORY.operation]: operation, [MEMORY.layer]: layer }, () => run());
}
