/**
 * Span and attribute names. The `gen_ai.*` ones are the OpenTelemetry GenAI semantic conventions
 * (docs/gen-ai/gen-ai-spans.md, gen-ai-agent-spans.md; `@opentelemetry/semantic-conventions` 1.45.0
 * `incubating`), copied here because incubating names may change between releases: a test checks
 * them against the package. The `orchestra.memory.*` ones are this project's own (the conventions
 * have no memory operations); docs/observability.md describes them.
 */
export const GEN_AI = {
  operationName: 'gen_ai.operation.name',
  providerName: 'gen_ai.provider.name',
  agentName: 'gen_ai.agent.name',
  agentDescription: 'gen_ai.agent.description',
  conversationId: 'gen_ai.conversation.id',
  requestModel: 'gen_ai.request.model',
  requestTemperature: 'gen_ai.request.temperature',
  responseModel: 'gen_ai.response.model',
  responseFinishReasons: 'gen_ai.response.finish_reasons',
  usageInputTokens: 'gen_ai.usage.input_tokens',
  usageOutputTokens: 'gen_ai.usage.output_tokens',
  toolName: 'gen_ai.tool.name',
  toolType: 'gen_ai.tool.type',
  toolCallId: 'gen_ai.tool.call.id',
  toolCallArguments: 'gen_ai.tool.call.arguments',
  toolCallResult: 'gen_ai.tool.call.result',
  inputMessages: 'gen_ai.input.messages',
  outputMessages: 'gen_ai.output.messages',
  embeddingsDimensionCount: 'gen_ai.embeddings.dimension.count',
  errorType: 'error.type',
} as const;

/** `gen_ai.operation.name` values; each span's name starts with its operation. */
export const GEN_AI_OPERATION = {
  invokeAgent: 'invoke_agent',
  chat: 'chat',
  executeTool: 'execute_tool',
  embeddings: 'embeddings',
} as const;

/** `gen_ai.provider.name` for our providers the conventions name; others keep their own name. */
export const GEN_AI_PROVIDER: Readonly<Record<string, string>> = {
  'vertex-gemini': 'gcp.vertex_ai',
  'vertex-ai': 'gcp.vertex_ai',
  openai: 'openai',
};

/** Memory operations: one span per manager call, one child per layer it reached. */
export const MEMORY_SPAN = {
  store: 'memory.store',
  search: 'memory.search',
  forget: 'memory.forget',
} as const;

export const MEMORY = {
  operation: 'orchestra.memory.operation',
  layer: 'orchestra.memory.layer',
  /** The layers that did not answer, or partly: their names. */
  degradedLayers: 'orchestra.memory.degraded_layers',
  degraded: 'orchestra.memory.degraded',
} as const;

/** One router attempt, as an event of its `chat` span. */
export const LLM_ATTEMPT_EVENT = 'orchestra.llm.attempt';
export const LLM_ATTEMPT = {
  deployment: 'orchestra.llm.deployment',
  outcome: 'orchestra.llm.attempt.outcome',
  durationMs: 'orchestra.llm.attempt.duration_ms',
  status: 'http.response.status_code',
} as const;

/** The tracer's instrumentation scope. */
export const TRACER_NAME = '@orchestra/runtime';
