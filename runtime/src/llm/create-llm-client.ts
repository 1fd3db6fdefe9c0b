import type { GoogleConfig, LlmConfig, LlmDeploymentConfig } from '../contract';
import { OfflineModel } from './offline-model';
import { ModelRouter } from './router';
import type { LanguageModel } from './types';

/**
 * The router over the configured deployments; no network until the first call. Vertex AI
 * deployments run in `google`'s project and location (GOOGLE_CLOUD_PROJECT, ORCHESTRA_REGION).
 */
export function createLlmClient(config: LlmConfig, google: GoogleConfig = {}): ModelRouter {
  return new ModelRouter({
    deployments: config.deployments.map((d) => ({ name: d.name, model: modelOf(d, d.timeoutMs ?? config.timeoutMs, config, google), timeoutMs: d.timeoutMs })),
    fallbacks: config.fallbacks,
    contextWindowFallbacks: config.contextWindowFallbacks,
    retries: config.retries,
    timeoutMs: config.timeoutMs,
    cooldownMs: config.cooldownMs,
  });
}

/**
 * The provider's own deadline matches the router's timeout, so an abandoned call ends on the
 * server too. A provider's module is loaded only when a deployment uses it: the OpenAI SDK and
 * the Google client take ~0.1 s and ~0.15 s to load, start-up time Cloud Run users wait for.
 */
function modelOf(d: LlmDeploymentConfig, timeoutMs: number, config: LlmConfig, google: GoogleConfig): LanguageModel {
  switch (d.provider) {
    case 'offline':
      return new OfflineModel({ modelId: d.model });
    case 'openai-compatible': {
      const { OpenAICompatibleModel } = require('./openai-compatible-model') as typeof import('./openai-compatible-model');
      const apiKey = d.apiKeyProvider === undefined ? undefined : config.apiKeys[d.apiKeyProvider]?.reveal();
      return new OpenAICompatibleModel({ baseUrl: d.baseUrl as string, model: d.model, apiKey, timeoutMs });
    }
    case 'vertex-gemini': {
      const { VertexGeminiModel } = require('./vertex-gemini-model') as typeof import('./vertex-gemini-model');
      const { projectId, vertexApiHost } = google;
      const region = d.location ?? google.region;
      // The parser refuses a vertex-gemini deployment without both; a hand-built config may not.
      if (!projectId || !region) throw new Error(`deployment "${d.name}": vertex-gemini needs google.projectId and a location (the deployment's, or google.region)`);
      return new VertexGeminiModel({ project: projectId, region, apiHost: vertexApiHost, model: d.model, timeoutMs });
    }
  }
}
