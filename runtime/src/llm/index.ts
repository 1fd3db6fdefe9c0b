// The LLM layer's public API: the contract, the providers, the router and its configuration.
// Importing this loads every provider's SDK; `./llm-config` alone loads only the configured ones.
export * from './types';
export { OfflineModel, type OfflineModelOptions } from './offline-model';
export { OpenAICompatibleModel, type OpenAICompatibleModelOptions } from './openai-compatible-model';
export { VertexGeminiModel, type VertexGeminiModelOptions } from './vertex-gemini-model';
export { ModelRouter, LlmRouterError, ROUTER_DEFAULTS, type ModelRouterOptions, type RouterDeployment } from './router';
export {
  parseLlmConfig,
  createLlmClient,
  LLM_PROVIDERS,
  Secret,
  type LlmConfig,
  type LlmDeploymentConfig,
} from './llm-config';
