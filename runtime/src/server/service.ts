import * as path from 'node:path';
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import { createDefaultRegistry, loadTeams } from '../agents';
import { LlmPricing } from '../agents/budget';
import { type RuntimeConfig, parseRuntimeConfig } from '../contract';
import { createLlmClient } from '../llm/create-llm-client';
import { RedisConnection, redisConnectionOptions } from '../memory/redis-connection';
import type { ModelRouter } from '../llm/router';
import { createMemory } from '../memory/create-memory';
import type { ReconnectOptions } from '../memory/reconnect';
import type { LayeredMemoryManager } from '../memory/manager';
import { buildApp } from './app';
import type { TeamDirectory } from './deps';

/** The teams shipped with the runtime (`runtime/teams`), from `src/server` or `dist/server` alike. */
export const BUNDLED_TEAMS_DIR = path.resolve(__dirname, '..', '..', 'teams');

export interface Service {
  readonly app: FastifyInstance;
  readonly config: RuntimeConfig;
  readonly memory: LayeredMemoryManager;
  readonly llm: ModelRouter;
}

export interface ServiceOptions {
  readonly logger?: FastifyServerOptions['logger'];
  /** Called once, the first time `/readyz` answers 200. */
  readonly onFirstReady?: () => void;
  /** Backoff of the memory's clients while a backend is unreachable (tests: small). @default RECONNECT_DEFAULTS */
  readonly reconnect?: ReconnectOptions;
}

/**
 * Everything the runtime serves, from its settings: config (every bad variable reported at once,
 * as a `ConfigError`), memory, the LLM router, the agent registry and the teams, and the HTTP app
 * (not listening; closing it closes memory and the router). Nothing is half-built: on any error
 * what was opened is closed.
 *
 * A memory backend that is down at start does not stop it (a crash loop would not bring the
 * backend back sooner): the service starts, `/readyz` answers 503 naming the layer and why, and
 * the layer's client keeps connecting in the background. Settings that can never work (a
 * malformed URI) still fail here.
 */
export async function createService(env: Readonly<Record<string, string | undefined>>, options: ServiceOptions = {}): Promise<Service> {
  const config = parseRuntimeConfig(env);
  // Shared router state gets its own connection: memory's Redis user may be another layer's.
  const routerRedis = config.llm.sharedState === 'redis' && config.memory.redis
    ? new RedisConnection(redisConnectionOptions(config.memory.redis), { component: 'ModelRouter', log: { layer: 'llm-router' } })
    : undefined;
  const llm = createLlmClient(config.llm, config.google, { redis: routerRedis?.client });
  // Memory warns while it starts (e.g. a missing index), before the app and its logger exist:
  // held until then, and written to the app's log in order.
  const early: [object, string][] = [];
  let warn = (obj: object, msg: string): void => {
    early.push([obj, msg]);
  };
  const memory = createMemory(config.memory, config.google, { logger: { warn: (obj, msg) => warn(obj, msg) }, reconnect: options.reconnect });
  try {
    await memory.init();
    const registry = createDefaultRegistry();
    const catalog = await loadTeams(config.server.teamsDir ?? BUNDLED_TEAMS_DIR, { registry, memory, llm, pricing: LlmPricing.fromConfig(config.llm) });
    const teams: TeamDirectory = {
      get: (id) => catalog.get(id),
      describe: () =>
        catalog.list().map((team) => ({
          id: team.id,
          ...(team.description === undefined ? {} : { description: team.description }),
          coordinator: team.coordinator,
          agents: team.members.map((m) => m.name),
        })),
    };
    const app = await buildApp({ config, memory, teams, agents: registry }, options);
    for (const [obj, msg] of early) app.log.warn(obj, msg);
    warn = (obj, msg) => {
      app.log.warn(obj, msg);
    };
    // Closing the app (SIGTERM) closes the router's clients too: a Gemini gRPC channel would
    // otherwise hold the process open past Cloud Run's 10 s.
    app.addHook('onClose', async () => {
      await Promise.all([llm.close(), routerRedis?.close(), catalog.close()]);
    });
    await routerRedis?.init();
    return { app, config, memory, llm };
  } catch (error) {
    await Promise.allSettled([memory.close(), llm.close(), routerRedis?.close()]);
    throw error;
  }
}
