// How a routed stream hands a half-finished answer to another deployment without showing the
// client any text twice: the continuation prompt, and the trimmer of the fallback's output.
import type { ChatRequest, ToolCall } from './types';

/** The last message of a continuation: after the assistant's prefix, since providers want a user turn last. */
export const CONTINUE_INSTRUCTION = 'Continue your previous answer exactly where it stops; do not repeat any of it.';

/** Shortest repeated text the trimmer drops: a shorter match is as likely a coincidence as a repeat. */
export const MIN_OVERLAP_CHARS = 8;

/**
 * The request a fallback continues an answer with: the original messages, the text already sent
 * as the assistant's turn, and the instruction to continue from there. Tool calls already sent
 * are named in the instruction rather than echoed as calls (a call without its tool result is
 * refused by OpenAI-compatible servers).
 */
export function continuationRequest(request: ChatRequest, sentText: string, sentCalls: readonly ToolCall[]): ChatRequest {
  const calls = sentCalls.length === 0 ? '' : ` These tool calls were already requested; do not request them again: ${sentCalls.map((c) => `${c.name}(${JSON.stringify(c.arguments)})`).join(', ')}.`;
  return {
    ...request,
    messages: [...request.messages, { role: 'assistant', content: sentText }, { role: 'user', content: CONTINUE_INSTRUCTION + calls }],
  };
}

/**
 * Drops what a continuing deployment repeats of the text already sent. While its output so far
 * occurs within the sent text (a verbatim restart, or a repeat of the last words) it is held;
 * once it diverges (or the stream ends), the longest overlap — the longest tail of the sent text
 * it starts with, at least MIN_OVERLAP_CHARS long and starting at a word boundary — is dropped
 * and the rest released. Everything after that passes straight through.
 */
export class OverlapTrimmer {
  private held = '';
  private decided = false;

  constructor(private readonly sent: string) {
    this.decided = sent.length < MIN_OVERLAP_CHARS;
  }

  /** The text to release now for `delta` (possibly nothing while it may still be a repeat). */
  push(delta: string): string {
    if (this.decided) return delta;
    this.held += delta;
    if (this.sent.includes(this.held)) return '';
    return this.decide();
  }

  /** The held text once nothing more comes (the stream ended, or a tool call interrupts the text). */
  flush(): string {
    return this.decided ? '' : this.decide();
  }

  private decide(): string {
    this.decided = true;
    const out = this.held.slice(this.overlap());
    this.held = '';
    return out;
  }

  private overlap(): number {
    const { sent, held } = this;
    for (let k = Math.min(sent.length, held.length); k >= MIN_OVERLAP_CHARS; k--) {
      const start = sent.length - k;
      const atWordStart = start === 0 || /\s/.test(sent[start - 1]) || /\s/.test(sent[start]);
      if (atWordStart && sent.endsWith(held.slice(0, k))) return k;
    }
    return 0;
  }
}

/** Whether a fallback's tool call is one already sent (same name and arguments). */
export function sameCall(a: ToolCall, b: ToolCall): boolean {
  return a.name === b.name && JSON.stringify(a.arguments) === JSON.stringify(b.arguments);
}
