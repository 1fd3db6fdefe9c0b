// The LLM layer's public API: the contract, the providers and the router.
// Importing this loads every provider's SDK; `./create-llm-client` alone loads only the configured ones.
export * from './types';
export { OfflineModel, type OfflineModelOptions } from './offline-model';
export { OpenAICompatibleModel, type OpenAICompatibleModelOptions } from './openai-compatible-model';
export { VertexGeminiModel, type VertexGeminiModelOptions } from './vertex-gemini-model';
export { ModelRouter, LlmRouterError, ROUTER_DEFAULTS, type ModelRouterOptions, type RouterDeployment } from './router';
export { createLlmClient } from './create-llm-client';
export { CONTINUE_INSTRUCTION } from './stream-continuation';
