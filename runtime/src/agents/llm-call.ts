/**
 * How an agent talks to the model: the prompt it builds from the memory context, and the call
 * itself recorded as an `llm-call` step, the deployment it names. Shared by the LLM agent and the
 * coordinator.
 */
import type { ChatMessage, ChatRequest, LlmClient, RoutedChatResult } from '../llm/types';
import type { MemoryContext } from '../memory/manager';
import { type StoredItem, occurredAtOf } from '../memory/types';
import { datedText } from '../llm/dated-text';
import { LlmRouterError } from '../llm/router';
import { type CallUsage, budgetOf } from './budget';
import { AgentConfigError } from './errors';
import { consumeRoutedStream, routedStream } from './routed-stream';
import type { RunEvents } from './run-events';
import type { TraceRecorder } from './trace';
import type { AgentMessage } from './types';

/**
 * Background items are cut to this many characters: up to 20 older turns and 5 semantic matches
 * of up to 100,000 characters each would otherwise crowd the conversation out of the prompt.
 */
const BACKGROUND_ITEM_CHARS = 1000;

/**
 * The chat for answering `message`: one system message (the agent's prompt, then older turns and
 * related memory as background), the recent turns, and the message last. Every remembered item
 * carries its date (`datedText`), so "when did I…" can be answered; a recent turn by the assistant
 * does not, since models imitate their own earlier turns and would start writing dates (it follows
 * the dated turn it answers). Providers differ on several system messages (Gemini takes one
 * instruction), hence one.
 */
export function contextMessages(systemPrompt: string, memory: MemoryContext, message: AgentMessage): ChatMessage[] {
  const shown = new Set(memory.recent.map((i) => i.id));
  const sections = [systemPrompt];
  // `related` comes newest first; a transcript reads oldest first.
  const earlier = memory.related.filter((i) => !shown.has(i.id)).reverse();
  if (earlier.length > 0) sections.push(`Earlier in this conversation (oldest first):\n${earlier.map(line).join('\n')}`);
  for (const item of earlier) shown.add(item.id);
  const recalled = memory.semantic.filter((m) => !shown.has(m.item.id)).map((m) => m.item);
  if (recalled.length > 0) sections.push(`Possibly relevant, from memory:\n${recalled.map(line).join('\n')}`);

  const turns = memory.recent.map((item): ChatMessage =>
    item.role === 'assistant' ? { role: 'assistant', content: item.content } : { role: 'user', content: datedText(occurredAtOf(item), item.content) },
  );
  return [{ role: 'system', content: sections.join('\n\n') }, ...turns, { role: 'user', content: message.content }];
}

function line(item: StoredItem): string {
  const text = item.content.length > BACKGROUND_ITEM_CHARS ? `${item.content.slice(0, BACKGROUND_ITEM_CHARS)}…` : item.content;
  return `- ${datedText(occurredAtOf(item), `${item.role ?? 'note'}: ${text}`)}`;
}

/**
 * `llm.chat` recorded as an `llm-call` step of `agent`: which deployment, provider and model
 * answered, after which attempts (or every attempt, when none answered). With `events.onText`
 * (the call's text becomes the reply) the call is streamed instead, its text told as it comes
 * and a mid-answer failover told to `events.onFailover`; the result is the same.
 */
export function tracedChat(
  llm: LlmClient,
  trace: TraceRecorder,
  agent: string,
  request: ChatRequest,
  deployment: string | undefined,
  events?: RunEvents,
): Promise<RoutedChatResult> {
  // The run's budget holds the call's worst case before anything starts: a call it cannot cover
  // throws here, untraced and unsent, and the run stops with what it has.
  const budget = budgetOf(trace);
  const reservation = budget?.reserve(agent, request, deployment ?? llm.deployments[0] ?? '');
  const sent = reservation?.request ?? request;
  const onText = events?.onText;
  const routed = onText
    ? () =>
        consumeRoutedStream(routedStream(llm, sent, { deployment }), {
          onText,
          onFailover: ({ from, to, reason, sentChars }) => events?.onFailover?.({ agent, from, to, reason, sentChars }),
        })
    : () => llm.chat(sent, { deployment });
  let usage: CallUsage | undefined;
  const call = async () => {
    if (!budget || !reservation) return routed();
    try {
      const result = await routed();
      usage = budget.settle(reservation, result);
      return result;
    } finally {
      budget.release(reservation);
    }
  };
  return trace.step(
    agent,
    'llm-call',
    call,
    { deployment },
    (result) => ({
      deployment: result.deployment,
      provider: result.provider,
      model: result.model,
      attempts: result.attempts,
      detail: `finish: ${result.finishReason}`,
      ...(usage ? { usage } : {}),
    }),
    // Which deployments were tried and how each failed: the part of a failed call worth reading.
    (error) => (error instanceof LlmRouterError ? { attempts: error.attempts } : {}),
  );
}

/** Throws `AgentConfigError` for a deployment the router lacks: a misspelt name fails when the team is built, not on the first message that needs it. */
export function checkDeployment(agent: string, deployment: string | undefined, llm: LlmClient): void {
  if (deployment !== undefined && !llm.deployments.includes(deployment)) {
    throw new AgentConfigError(agent, [{ path: 'deployment', message: `expected one of the router's deployments (${llm.deployments.join(', ') || 'none'})` }]);
  }
}
