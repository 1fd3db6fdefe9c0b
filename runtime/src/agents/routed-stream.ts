/**
 * The router's stream, or its answer as one: agents stream a reply through `routedStream` and
 * need not care whether the `LlmClient` streams (`stream` is optional in its contract).
 */
import type { ChatRequest, LlmClient, RoutedChatResult, RoutedStreamPart } from '../llm/types';

/**
 * `llm.stream`, or without it `llm.chat` told as a stream: its attempts, its whole text as one
 * delta, its tool calls, then `finish`, so a caller reads both the same way.
 */
export async function* routedStream(llm: LlmClient, request: ChatRequest, options: { readonly deployment?: string }): AsyncGenerator<RoutedStreamPart> {
  if (llm.stream) {
    yield* llm.stream(request, options);
    return;
  }
  const result = await llm.chat(request, options);
  for (const attempt of result.attempts) yield { type: 'attempt', attempt };
  if (result.text !== '') yield { type: 'text-delta', text: result.text };
  for (const toolCall of result.toolCalls) yield { type: 'tool-call', toolCall };
  yield { type: 'finish', result };
}

/**
 * Reads a routed stream to its end: each text delta to `onText` as it comes, each failover to
 * `onFailover`, and the result `finish` carries. A stream that ends without `finish` breaks the
 * router's contract: an error, not a silently empty answer.
 */
export async function consumeRoutedStream(
  parts: AsyncIterable<RoutedStreamPart>,
  on: { readonly onText?: (text: string) => void; readonly onFailover?: (part: Extract<RoutedStreamPart, { type: 'failover' }>) => void },
): Promise<RoutedChatResult> {
  for await (const part of parts) {
    switch (part.type) {
      case 'text-delta':
        on.onText?.(part.text);
        break;
      case 'failover':
        on.onFailover?.(part);
        break;
      case 'finish':
        return part.result;
      default:
        // Attempts and tool calls arrive again, complete, in `finish.result`.
        break;
    }
  }
  throw new Error('the routed stream ended without a finish part');
}
