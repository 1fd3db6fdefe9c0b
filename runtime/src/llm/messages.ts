// Small helpers over a conversation that more than one provider needs.
import type { ChatMessage } from './types';

/** Tool call id → tool name, from the assistant turns (a tool result names only the call's id). */
export function toolNamesById(messages: readonly ChatMessage[]): ReadonlyMap<string, string> {
  const names = new Map<string, string>();
  for (const m of messages) {
    if (m.role === 'assistant') for (const call of m.toolCalls ?? []) names.set(call.id, call.name);
  }
  return names;
}

/** The content of the last user message, or `''` when there is none. */
export function lastUserText(messages: readonly ChatMessage[]): string {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (m.role === 'user') return m.content;
  }
  return '';
}
