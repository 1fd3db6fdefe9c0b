import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { LayeredMemoryManager } from '../../memory/manager';
import { type Keyring } from '../plugins/auth';

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
  /**
   * Who may see each layer's `detail` (hosts, addresses, database names, connection errors): a
   * caller with an API key, or anyone when auth is off. Probes and strangers get the status only.
   */
  readonly keyring: Keyring;
}

const healthRoutes: FastifyPluginAsyncTypebox<HealthOptions> = async (app, options) => {
  let firstReady = options.onFirstReady;
  // `security: []`: the probes send no API key, and the document must not say they need one.
  app.get('/healthz', { schema: { summary: 'Liveness: the process answers', security: [], response: { 200: Type.Object({ status: Type.Literal('ok') }) } } }, async () => ({
    status: 'ok' as const,
  }));

  app.get('/readyz', { schema: { summary: 'Readiness: every memory backend answers (details with an API key)', security: [], response: { 200: Ready, 503: Ready } } }, async (request, reply) => {
    const status = await options.memory.status();
    const trusted = options.keyring.open || options.keyring.callerOf(request.headers.authorization) !== undefined;
    const layers = trusted ? status : status.map(({ detail: _detail, ...layer }) => layer);
    const ready = status.every((l) => l.ok);
    if (ready && firstReady) {
      const notify = firstReady;
      firstReady = undefined;
      reply.raw.once('finish', notify);
    }
    return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'degraded', layers });
  });
};

export default healthRoutes;
