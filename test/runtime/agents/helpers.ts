import { performance } from 'node:perf_hooks';
import type { ChatRequest, LlmClient, RoutedChatResult, ToolCall } from '../../../runtime/src/llm/types';
import { OfflineModel } from '../../../runtime/src/llm/offline-model';
import { EmbeddedLongTermStore } from '../../../runtime/src/memory/long-term/embedded-long-term';
import { LayeredMemoryManager } from '../../../runtime/src/memory/manager';
import { EmbeddedMidTermStore } from '../../../runtime/src/memory/mid-term/embedded-mid-term';
import { EmbeddedShortTermStore } from '../../../runtime/src/memory/short-term/embedded-short-term';

export function embeddedMemory() {
  const shortTerm = new EmbeddedShortTermStore();
  const midTerm = new EmbeddedMidTermStore();
  const longTerm = new EmbeddedLongTermStore();
  return { memory: new LayeredMemoryManager({ shortTerm, midTerm, longTerm }), shortTerm, midTerm, longTerm };
}

/** What a scripted model answers: text, or tool calls. */
export type Scripted = { text: string } | { toolCalls: { name: string; arguments: Record<string, unknown> }[] };

export interface RecordedCall {
  readonly request: ChatRequest;
  readonly deployment?: string;
}

/**
 * An LlmClient answering from `respond`, which sees each request (and its index) and returns
 * what the model says. Every call is recorded; `delayMs` makes calls take measurable time.
 */
export class FakeLlm implements LlmClient {
  readonly calls: RecordedCall[] = [];

  constructor(
    private readonly respond: (request: ChatRequest, index: number) => Scripted,
    readonly deployments: readonly string[] = ['primary', 'backup'],
    private readonly delayMs = 0,
  ) {}

  /** Answers the scripted replies in order, the last one forever after. */
  static script(...replies: Scripted[]): FakeLlm {
    return new FakeLlm((_request, i) => replies[Math.min(i, replies.length - 1)]);
  }

  async chat(request: ChatRequest, options?: { readonly deployment?: string }): Promise<RoutedChatResult> {
    const index = this.calls.push({ request, deployment: options?.deployment }) - 1;
    if (this.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    const reply = this.respond(request, index);
    const deployment = options?.deployment ?? this.deployments[0];
    const toolCalls: ToolCall[] = 'toolCalls' in reply ? reply.toolCalls.map((c, i) => ({ id: `call-${index}-${i}`, ...c })) : [];
    return {
      text: 'text' in reply ? reply.text : '',
      toolCalls,
      finishReason: toolCalls.length > 0 ? 'tool-calls' : 'stop',
      provider: 'fake',
      model: `fake-${deployment}`,
      warnings: [],
      deployment,
      attempts: [{ deployment, provider: 'fake', model: `fake-${deployment}`, outcome: 'ok', durationMs: this.delayMs }],
    };
  }
}

/** The offline model behind the LlmClient interface, as the router serves it with no key configured. */
export function offlineLlm(): LlmClient {
  const model = new OfflineModel();
  return {
    deployments: ['offline'],
    async chat(request) {
      const start = performance.now();
      const result = await model.doChat(request);
      const attempt = { deployment: 'offline', provider: model.provider, model: model.modelId, outcome: 'ok' as const, durationMs: performance.now() - start };
      return { ...result, deployment: 'offline', attempts: [attempt] };
    },
  };
}

/** The system prompt of a request: which agent is asking. */
export function systemPrompt(request: ChatRequest): string {
  const first = request.messages[0];
  return first?.role === 'system' ? first.content : '';
}

/** The last user message of a request: what the agent was asked. */
export function lastUser(request: ChatRequest): string {
  return [...request.messages].reverse().find((m) => m.role === 'user')?.content ?? '';
}
