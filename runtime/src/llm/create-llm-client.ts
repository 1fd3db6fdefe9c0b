import type Redis from 'ioredis';
import { LLM_ROUTER_DEFAULTS, type GoogleConfig, type LlmConfig, type LlmDeploymentConfig } from '../contract';
import { OfflineModel } from './offline-model';
import { ModelRouter } from './router';
import { RedisRouterState } from './router-state';
import type { LanguageModel } from './types';

export interface LlmClientOptions {
  /** The Redis client of the shared router state, when `sharedState` is `redis` (the caller connects and closes it). */
  readonly redis?: Redis;
}

/**
 * The router over the configured deployments; no network until the first call. Vertex AI
 * deployments run in `google`'s project and location (GOOGLE_CLOUD_PROJECT, ORCHESTRA_REGION).
 */
export function createLlmClient(config: LlmConfig, google: GoogleConfig = {}, options: LlmClientOptions = {}): ModelRouter {
  if (config.sharedState === 'redis' && !options.redis) throw new Error('sharedState "redis" needs a Redis client (the runtime\'s ORCHESTRA_REDIS_*)');
  // The router's options carry the configuration's names: everything but what is built here.
  const { deployments, sharedState: _sharedState, allowOfflineOnly: _allowOfflineOnly, apiKeys: _apiKeys, ...knobs } = config;
  return new ModelRouter({
    ...knobs,
    deployments: deployments.map((d) => ({
      name: d.name,
      model: modelOf(d, d.timeoutMs ?? config.timeoutMs, config, google),
      timeoutMs: d.timeoutMs,
      group: d.group,
      rpm: d.rpm,
      tpm: d.tpm,
      weight: d.weight,
    })),
    ...(config.sharedState === 'redis' && options.redis ? { state: new RedisRouterState(options.redis, LLM_ROUTER_DEFAULTS.redisKeyPrefix) } : {}),
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
