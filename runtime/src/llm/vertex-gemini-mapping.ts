// ChatRequest → GenerateContentRequest and GenerateContentResponse → ChatResult parts, as pure
// functions (the model class owns the client, its lifecycle and the errors).
import { randomUUID } from 'node:crypto';
import { fromValue, toValue } from '@google-cloud/aiplatform/build/src/helpers';
import type { protos } from '@google-cloud/aiplatform';
import { toolNamesById } from './messages';
import { LlmError, type ChatMessage, type ChatRequest, type FinishReason, type ToolCall } from './types';

type IContent = protos.google.cloud.aiplatform.v1.IContent;
type IPart = protos.google.cloud.aiplatform.v1.IPart;
type ICandidate = protos.google.cloud.aiplatform.v1.ICandidate;
type IGenerateContentRequest = protos.google.cloud.aiplatform.v1.IGenerateContentRequest;
type IValue = protos.google.protobuf.IValue;
type IStruct = protos.google.protobuf.IStruct;
type Mode = keyof typeof protos.google.cloud.aiplatform.v1.FunctionCallingConfig.Mode;

export const PROVIDER = 'vertex-gemini';

/** The request body for `model` (a full publisher model path); problems the API would reject throw `bad-request`. */
export function toGenerateContentRequest(model: string, request: ChatRequest, warnings: string[]): IGenerateContentRequest {
  const system = request.messages.filter((m) => m.role === 'system').map((m) => m.content);
  const tools = request.tools ?? [];
  const choice = request.toolChoice;
  if (choice !== undefined && tools.length === 0) warnings.push('toolChoice ignored: no tools were given');
  const generationConfig = {
    ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
    ...(request.maxOutputTokens !== undefined ? { maxOutputTokens: request.maxOutputTokens } : {}),
    ...(request.responseFormat
      ? { responseMimeType: 'application/json', ...(request.responseFormat.schema ? { responseJsonSchema: jsonValue(request.responseFormat.schema) } : {}) }
      : {}),
  };
  return {
    model,
    contents: toContents(request.messages),
    ...(system.length > 0 ? { systemInstruction: { parts: [{ text: system.join('\n\n') }] } } : {}),
    ...(tools.length > 0
      ? {
          tools: [{ functionDeclarations: tools.map((t) => ({ name: t.name, description: t.description, parametersJsonSchema: jsonValue(t.parameters) })) }],
          ...(choice !== undefined ? { toolConfig: { functionCallingConfig: functionCallingConfig(choice) } } : {}),
        }
      : {}),
    ...(Object.keys(generationConfig).length > 0 ? { generationConfig } : {}),
  };
}

function functionCallingConfig(choice: NonNullable<ChatRequest['toolChoice']>): { mode: Mode; allowedFunctionNames?: string[] } {
  if (typeof choice === 'object') return { mode: 'ANY', allowedFunctionNames: [choice.name] };
  const modes: Record<typeof choice, Mode> = { auto: 'AUTO', none: 'NONE', required: 'ANY' };
  return { mode: modes[choice] };
}

/** Roles `user`/`model`; the results of one turn's calls travel together in one user content, as Gemini expects. */
function toContents(messages: readonly ChatMessage[]): IContent[] {
  const names = toolNamesById(messages);
  const contents: { role: string; parts: IPart[] }[] = [];
  for (const m of messages) {
    if (m.role === 'system') continue;
    const previous = contents.at(-1);
    if (m.role === 'tool') {
      const name = names.get(m.toolCallId);
      if (!name) throw new LlmError('bad-request', `${PROVIDER}: tool result ${m.toolCallId} answers no tool call in the conversation`, { provider: PROVIDER });
      const part: IPart = { functionResponse: { name, response: toolResponse(m.content) } };
      if (previous?.role === 'user' && previous.parts.every((p) => p.functionResponse)) previous.parts.push(part);
      else contents.push({ role: 'user', parts: [part] });
      continue;
    }
    const parts: IPart[] = m.content ? [{ text: m.content }] : [];
    if (m.role === 'assistant') parts.push(...(m.toolCalls ?? []).map(functionCallPart));
    contents.push({ role: m.role === 'assistant' ? 'model' : 'user', parts });
  }
  return contents;
}

function functionCallPart(call: ToolCall): IPart {
  const signature = call.providerMetadata?.[PROVIDER]?.['thoughtSignature'];
  return {
    functionCall: { name: call.name, args: jsonStruct(call.arguments) },
    // Gemini 3 rejects a conversation whose function calls lost the signature it sent with them.
    ...(signature ? { thoughtSignature: Buffer.from(signature, 'base64') } : {}),
  };
}

/** A JSON object result goes as it is (an `error` key tells Gemini the call failed); anything else as `{ output }`. */
function toolResponse(content: string): IStruct {
  try {
    const parsed: unknown = JSON.parse(content);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return jsonStruct(parsed);
  } catch {
    // plain text: wrapped below
  }
  return jsonStruct({ output: content });
}

export interface CandidateContent {
  readonly text: string;
  readonly toolCalls: ToolCall[];
  readonly finishReason: FinishReason;
}

/** Text parts (thought summaries left out) and function calls of the first candidate. */
export function fromCandidate(candidate: ICandidate, warnings: string[]): CandidateContent {
  let text = '';
  const toolCalls: ToolCall[] = [];
  for (const part of candidate.content?.parts ?? []) {
    if (part.thought) continue;
    if (part.text) text += part.text;
    if (part.functionCall) {
      const signature = base64(part.thoughtSignature);
      toolCalls.push({
        // The v1 FunctionCall has no id: one is made here, unique so results map back to their call.
        id: `call_${randomUUID()}`,
        name: part.functionCall.name ?? '',
        arguments: part.functionCall.args ? objectOf(part.functionCall.args) : {},
        ...(signature ? { providerMetadata: { [PROVIDER]: { thoughtSignature: signature } } } : {}),
      });
    }
  }
  // gax decodes enums as their names (`enums: String`); a number would only come from another decoder.
  const reason = String(candidate.finishReason ?? '');
  if (reason === 'MALFORMED_FUNCTION_CALL') warnings.push('the model produced a malformed function call');
  return { text, toolCalls, finishReason: toolCalls.length > 0 && reason === 'STOP' ? 'tool-calls' : finishReasonOf(reason) };
}

function finishReasonOf(reason: string): FinishReason {
  switch (reason) {
    case 'STOP':
      return 'stop';
    case 'MAX_TOKENS':
      return 'length';
    case 'SAFETY':
    case 'RECITATION':
    case 'BLOCKLIST':
    case 'PROHIBITED_CONTENT':
    case 'SPII':
    case 'MODEL_ARMOR':
      return 'content-filter';
    default:
      return 'other';
  }
}

function jsonValue(value: unknown): IValue {
  // The helper's return type is loose; for a JSON object it is always a struct Value.
  return toValue(value as object) as IValue;
}

function jsonStruct(value: object): IStruct {
  return jsonValue(value).structValue ?? { fields: {} };
}

function objectOf(struct: IStruct): Record<string, unknown> {
  // The helper reads the Value's `kind`, which gax's decoder sets on every nested Value but not on a bare Struct.
  const value = { kind: 'structValue', structValue: struct } as Parameters<typeof fromValue>[0];
  return fromValue(value) as Record<string, unknown>;
}

function base64(bytes: IPart['thoughtSignature']): string | undefined {
  if (!bytes || bytes.length === 0) return undefined;
  return typeof bytes === 'string' ? bytes : Buffer.from(bytes).toString('base64');
}
