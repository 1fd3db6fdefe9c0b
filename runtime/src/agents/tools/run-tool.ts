import type { ChatMessage, ToolCall } from '../../llm/types';
import type { TraceRecorder } from '../trace';
import type { ToolsConfig } from './config';
import type { ToolSet } from './toolset';

/** A tool call that ended badly; what went back to the model is in `text`. */
class ToolCallFailed extends Error {
  constructor(readonly text: string) {
    super(text);
    this.name = 'ToolCallFailed';
  }
}

/** A tool error as the model reads it: MCP's `isError`, in text. */
export function errorResult(message: string): string {
  return JSON.stringify({ is_error: true, error: message });
}

function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  const note = `\n[truncated: the first ${max} of ${text.length} characters]`;
  return text.slice(0, Math.max(0, max - note.length)) + note;
}

/** Up to `TRACE_CHARS` of content in a trace step's detail: the trace is for reading, the result is for the model. */
const TRACE_CHARS = 500;
const clip = (text: string) => (text.length > TRACE_CHARS ? `${text.slice(0, TRACE_CHARS)}…` : text);

/**
 * Runs one tool call as a `tool-call` step of `agent` and gives the message to append: the result,
 * or an error result (unknown tool, arguments that are too long or do not fit the schema, a throw,
 * a timeout), never an exception, except when the run itself is aborted (`signal`).
 */
export async function runToolCall(
  agent: string,
  call: ToolCall,
  toolSet: ToolSet,
  config: ToolsConfig,
  trace: TraceRecorder,
  signal: AbortSignal | undefined,
): Promise<ChatMessage> {
  const argsText = call.rawArguments ?? JSON.stringify(call.arguments);
  const detail = config.redactToolContent ? call.name : `${call.name}(${clip(argsText)})`;
  const execute = async (): Promise<string> => {
    const tool = toolSet.tools.get(call.name);
    if (!tool) throw new ToolCallFailed(errorResult(`no tool "${call.name}" (tools: ${[...toolSet.tools.keys()].join(', ')})`));
    if (call.rawArguments !== undefined) throw new ToolCallFailed(errorResult('arguments: expected a JSON object'));
    if (argsText.length > config.maxArgumentChars) throw new ToolCallFailed(errorResult(`arguments: at most ${config.maxArgumentChars} characters of JSON (got ${argsText.length})`));
    const invalid = tool.check(call.arguments);
    if (invalid !== null) throw new ToolCallFailed(errorResult(`invalid arguments: ${invalid}`));
    signal?.throwIfAborted();
    const timeout = AbortSignal.timeout(config.timeoutMs);
    const callSignal = signal ? AbortSignal.any([signal, timeout]) : timeout;
    let output;
    try {
      // Raced against the signal: a handler that ignores it cannot hold the run past its timeout.
      output = await new Promise<Awaited<ReturnType<typeof tool.call>>>((resolve, reject) => {
        const onAbort = () => reject(callSignal.reason);
        callSignal.addEventListener('abort', onAbort, { once: true });
        tool.call({ ...call.arguments }, { signal: callSignal }).then(resolve, reject).finally(() => callSignal.removeEventListener('abort', onAbort));
      });
    } catch (error) {
      if (signal?.aborted) throw error;
      if (timeout.aborted) throw new ToolCallFailed(errorResult(`timed out after ${config.timeoutMs} ms`));
      throw new ToolCallFailed(errorResult(error instanceof Error ? error.message : String(error)));
    }
    const text = truncate(output.text, config.maxResultChars);
    if (output.isError) throw new ToolCallFailed(errorResult(text));
    return text;
  };
  try {
    const text = await trace.step(agent, 'tool-call', execute, { tool: call.name, detail }, (result) => ({ detail: config.redactToolContent ? `${call.name}: ok` : `${detail} → ${clip(result)}` }));
    return { role: 'tool', toolCallId: call.id, content: text };
  } catch (error) {
    if (error instanceof ToolCallFailed) return { role: 'tool', toolCallId: call.id, content: error.text };
    throw error;
  }
}
