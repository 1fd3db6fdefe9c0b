import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { LayeredMemoryManager } from '../../memory/manager';

const Layer = Type.Object({
  layer: Type.String(),
  backend: Type.String(),
  embedded: Type.Boolean(),
  ok: Type.Boolean(),
  detail: Type.Optional(Type.String()),
});
const Ready = Type.Object({ status: Type.Union([Type.Literal('ready'), Type.Literal('degraded')]), layers: Type.Array(Layer) });

/** Liveness (the process answers) and readiness (every memory backend answers). No auth: probes. */
export interface HealthOptions {
  readonly memory: LayeredMemoryManager;
  /** Called once, the first time the service reports ready (e.g. to warm lazy clients up then). */
  readonly onFirstReady?: () => void;
}

const healthRoutes: FastifyPluginAsyncTypebox<HealthOptions> = async (app, options) => {
  let firstReady = options.onFirstReady;
  // `security: []`: the probes send no API key, and the document must not say they need one.
  app.get('/healthz', { schema: { summary: 'Liveness: the process answers', security: [], response: { 200: Type.Object({ status: Type.Literal('ok') }) } } }, async () => ({
    status: 'ok' as const,
  }));

  app.get('/readyz', { schema: { summary: 'Readiness: every memory backend answers', security: [], response: { 200: Ready, 503: Ready } } }, async (_request, reply) => {
    const layers = await options.memory.status();
    const ready = layers.every((l) => l.ok);
    if (ready && firstReady) {
      const notify = firstReady;
      firstReady = undefined;
      reply.raw.once('finish', notify);
    }
    return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'degraded', layers });
  });
};

export default healthRoutes;
