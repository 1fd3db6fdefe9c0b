import { parseDatedText } from './dated-text';
import { lastUserText, toolNamesById } from './messages';
import { started } from './streaming';
import { LlmError, type ChatRequest, type ChatResult, type JsonSchema, type LanguageModel, type StreamPart, type ToolCall, type ToolDefinition } from './types';

const SUMMARY_CHARS = 80;
/** Remembered turns quoted in one answer: enough to show recall, few enough to read. */
const RECALLED_TURNS = 3;
const RECALLED_CHARS = 200;
const PREFIX = '[offline model]';

export interface OfflineModelOptions {
  /** Reported as the model that answered. @default "offline" */
  readonly modelId?: string;
}

/**
 * A stand-in model with no network and no key, so the service runs (and its tests are
 * repeatable) before any provider is configured. Every answer says it is offline. The same
 * request always gets the same answer: no randomness, no clock.
 *
 * - Tools (unless `toolChoice` is `none`): the tool whose name and description share the most
 *   words with the last user message (or the forced one) is called, with arguments filled from
 *   its schema — string properties get the user's message. Under `auto` a tool sharing no word
 *   is not called.
 * - After a tool result: a text answer quoting it.
 * - Otherwise, text: the remembered turns of its context (those marked with a date, `datedText`)
 *   that share the most words with the last user message, quoted with their dates, so that a
 *   local demo shows recall; with none sharing a word, an echo of the message.
 * - JSON output: an object filled from the schema the same way (`{ reply }` without one).
 */
export class OfflineModel implements LanguageModel {
  readonly provider = 'offline';
  readonly modelId: string;

  constructor(options: OfflineModelOptions = {}) {
    this.modelId = options.modelId ?? 'offline';
  }

  async doChat(request: ChatRequest): Promise<ChatResult> {
    if (request.abortSignal?.aborted) throw new LlmError('timeout', 'offline model: the call was aborted', this.details());
    const { messages } = request;
    const last = messages.at(-1);
    const userText = lastUserText(messages);
    const inputTokens = messages.reduce((sum, m) => sum + countWords(m.content), 0);

    if (last?.role === 'tool') {
      const name = toolNamesById(messages).get(last.toolCallId) ?? last.toolCallId;
      return this.text(`${PREFIX} Tool ${name} returned: ${summarize(last.content, 200)}`, request, inputTokens);
    }
    const tool = pickTool(request, userText);
    if (tool) {
      const call: ToolCall = { id: `offline-call-${messages.length}`, name: tool.name, arguments: objectFor(tool.parameters, userText) };
      return { ...this.base(inputTokens, 0), text: '', toolCalls: [call], finishReason: 'tool-calls' };
    }
    const recalled = recall(messages, userText);
    if (recalled.length > 0) {
      const quotes = recalled.map((p) => `on ${p.date}: "${summarize(p.text, RECALLED_CHARS)}"`).join('; ');
      return this.text(`${PREFIX} You said: "${summarize(userText, SUMMARY_CHARS)}". From memory, ${quotes}.${contextNote(request)}`, request, inputTokens);
    }
    return this.text(`${PREFIX} You said: "${summarize(userText, SUMMARY_CHARS)}".${contextNote(request)}`, request, inputTokens);
  }

  /** `doChat`'s answer in word-sized deltas (each word with the spaces after it), then its tool calls and finish. */
  doStream(request: ChatRequest): Promise<{ readonly stream: AsyncIterable<StreamPart> }> {
    return started(this.streamParts(request));
  }

  private async *streamParts(request: ChatRequest): AsyncGenerator<StreamPart, void, undefined> {
    const { text, toolCalls, ...finish } = await this.doChat(request);
    for (const word of text.match(/\s*\S+\s*/g) ?? []) {
      if (request.abortSignal?.aborted) throw new LlmError('timeout', 'offline model: the call was aborted', this.details());
      yield { type: 'text-delta', text: word };
    }
    for (const toolCall of toolCalls) yield { type: 'tool-call', toolCall };
    yield { type: 'finish', ...finish };
  }

  private text(reply: string, request: ChatRequest, inputTokens: number): ChatResult {
    const format = request.responseFormat;
    const text = format ? JSON.stringify(format.schema ? valueFor(format.schema, reply) : { reply }) : reply;
    return { ...this.base(inputTokens, countWords(text)), text, toolCalls: [], finishReason: 'stop' };
  }

  private base(inputTokens: number, outputTokens: number) {
    return { provider: this.provider, model: this.modelId, usage: { inputTokens, outputTokens }, warnings: [] };
  }

  private details() {
    return { provider: this.provider, model: this.modelId };
  }
}

/** The forced tool, or the best keyword match (first wins a tie); none under `auto` without a shared word. */
function pickTool(request: ChatRequest, userText: string): ToolDefinition | undefined {
  const tools = request.tools ?? [];
  const choice = request.toolChoice ?? 'auto';
  if (tools.length === 0 || choice === 'none') return undefined;
  if (typeof choice === 'object') {
    const forced = tools.find((t) => t.name === choice.name);
    if (!forced) throw new LlmError('bad-request', `offline model: toolChoice names "${choice.name}", which is not among the tools`);
    return forced;
  }
  const wanted = new Set(words(userText));
  const scored = tools.map((tool) => ({ tool, score: words(`${tool.name} ${tool.description}`).filter((w) => wanted.has(w)).length }));
  const best = scored.reduce((a, b) => (b.score > a.score ? b : a));
  return best.score > 0 || choice === 'required' ? best.tool : undefined;
}

/**
 * The smallest value of `schema`'s type: objects get their required properties (or, with none
 * required, their first string property), strings get `text`. Enough to exercise a tool or a
 * JSON reply without a model.
 */
function valueFor(schema: JsonSchema, text: string): unknown {
  const enumValues = schema['enum'];
  if (Array.isArray(enumValues) && enumValues.length > 0) return enumValues[0];
  const type = Array.isArray(schema['type']) ? schema['type'].find((t) => t !== 'null') : schema['type'];
  switch (type) {
    case 'string':
      return text;
    case 'number':
    case 'integer':
      return 0;
    case 'boolean':
      return false;
    case 'array':
      return [];
    default:
      return objectFor(schema, text);
  }
}

function objectFor(schema: JsonSchema, text: string): Record<string, unknown> {
  const properties = isSchemaMap(schema['properties']) ? schema['properties'] : {};
  const required = Array.isArray(schema['required']) ? schema['required'].filter((k): k is string => typeof k === 'string' && k in properties) : [];
  const firstString = Object.keys(properties).find((k) => properties[k]['type'] === 'string');
  const keys = required.length > 0 ? required : firstString ? [firstString] : [];
  return Object.fromEntries(keys.map((k) => [k, valueFor(properties[k], text)]));
}

function isSchemaMap(value: unknown): value is Record<string, JsonSchema> {
  return typeof value === 'object' && value !== null && Object.values(value).every((v) => typeof v === 'object' && v !== null);
}

interface Remembered {
  readonly date: string;
  readonly text: string;
}

/**
 * The dated turns before the last user message that share the most words with `userText`, best
 * first (the earlier one wins a tie): the user's turns, and the background lines of the system
 * message. Its own earlier answers are left out: they echo what was asked, not what is known.
 */
function recall(messages: ChatRequest['messages'], userText: string): Remembered[] {
  const wanted = [...new Set(words(userText))];
  if (wanted.length === 0) return [];
  let lastUser = messages.length - 1;
  while (lastUser >= 0 && messages[lastUser].role !== 'user') lastUser--;
  const passages: Remembered[] = [];
  for (const m of messages.slice(0, Math.max(lastUser, 0))) {
    const texts = m.role === 'system' ? m.content.split('\n').map((l) => l.replace(/^- /, '')) : m.role === 'user' ? [m.content] : [];
    for (const text of texts) {
      const dated = parseDatedText(text);
      if (dated && !dated.text.includes(PREFIX)) passages.push(dated);
    }
  }
  const scored = passages.map((passage, order) => {
    const have = new Set(words(passage.text));
    return { passage, order, score: wanted.filter((w) => have.has(w)).length };
  });
  return scored
    .filter((s) => s.score > 0)
    .sort((a, b) => b.score - a.score || a.order - b.order)
    .slice(0, RECALLED_TURNS)
    .map((s) => s.passage);
}

/** Shows that context reached the model: the system prompt's size and the earlier turns. */
function contextNote(request: ChatRequest): string {
  const systemChars = request.messages.filter((m) => m.role === 'system').reduce((n, m) => n + m.content.length, 0);
  const earlier = request.messages.filter((m) => m.role !== 'system').length - 1;
  const seen = [
    ...(systemChars > 0 ? [`a system prompt of ${systemChars} characters`] : []),
    ...(earlier > 0 ? [`${earlier} earlier message${earlier === 1 ? '' : 's'}`] : []),
  ];
  return seen.length > 0 ? ` I was given ${seen.join(' and ')}.` : '';
}

function summarize(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

// Words too common to say anything about which tool is meant.
const STOP_WORDS = new Set(['the', 'and', 'for', 'with', 'from', 'into', 'this', 'that', 'what', 'which', 'you', 'your', 'are', 'can', 'how', 'not', 'all', 'any', 'its', 'has', 'have', 'was', 'will', 'please']);

function words(text: string): string[] {
  return text.toLowerCase().split(/[^a-z0-9]+/).filter((w) => w.length > 2 && !STOP_WORDS.has(w));
}

/** Whitespace-separated words, counted without splitting (the prompt can be long; this runs per call). */
function countWords(text: string): number {
  let count = 0;
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const space = text.charCodeAt(i) <= 32;
    if (!space && !inWord) count++;
    inWord = !space;
  }
  return count;
}
