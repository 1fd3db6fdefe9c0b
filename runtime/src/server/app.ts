import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import { FastifyOtelInstrumentation } from '@fastify/otel';
import { setTraceContent } from '../telemetry/spans';
import type { ReconnectOptions } from '../memory/reconnect';
import type { ServiceDeps } from './deps';
import { MethodNotAllowed, RouteNotFound, clientErrorHandler, errorHandler } from './errors';
import { createIdempotencyRecords } from './idempotency/create-records';
import { idempotentRoute } from './idempotency/idempotency';
import { KnownRoutes } from './known-routes';
import { loggerOptions } from './logger';
import auth, { keyring } from './plugins/auth';
import adminRoutes from './routes/admin';
import agentRoutes from './routes/agents';
import approvalRoutes from './routes/approvals';
import { ApprovalStore } from '../agents/tools/approvals';
import healthRoutes from './routes/health';
import memoryRoutes from './routes/memory';
import messageRoutes from './routes/messages';
import { CLIENT_ID_MAX_LENGTH, Context, ErrorResponse, Item, Receipt, TraceStep, documentMetadata, metadataKeyword } from './schemas';

export interface BuildOptions {
  /** Override the logger (tests: `false`). @default - JSON logs in Cloud Logging's shape */
  readonly logger?: FastifyServerOptions['logger'];
  /** Called once, after the first ready answer of `/readyz` has been sent. */
  readonly onFirstReady?: () => void;
  /** Backoff of the Idempotency-Key records' Redis client while it is unreachable (tests: small). @default RECONNECT_DEFAULTS */
  readonly reconnect?: ReconnectOptions;
  /** Silence after which a streamed answer sends a comment line. @default EVENT_STREAM_KEEP_ALIVE_MS (15 s) */
  readonly eventStreamKeepAliveMs?: number;
}

/** Cloud Run's probes: left out of traces. */
const PROBES = ['/healthz', '/readyz'];

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The HTTP service, built but not listening (tests call `app.inject()`; `main.ts` listens).
 * Health routes are open (Cloud Run's probes); every `/v1` route is authenticated and rate limited
 * inside its own encapsulated context.
 */
export async function buildApp(deps: ServiceDeps, options: BuildOptions = {}): Promise<FastifyInstance> {
  const { server } = deps.config;
  const app = Fastify({
    logger: options.logger ?? loggerOptions(server.logLevel, deps.config.google.projectId),
    bodyLimit: server.bodyLimitBytes,
    // A caller's request id is kept when well-formed, so logs correlate across hops (fastify's own
    // requestIdHeader would take any value; genReqId checks it).
    requestIdHeader: false,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    // Strict bodies: unknown fields are errors, not silently dropped; "42" is not a number.
    // metadataKeyword: the memory's metadata rules, checked with the rest of the body.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: true }, plugins: [metadataKeyword] },
    // Cloud Run sends SIGTERM and allows 10 s: stop taking connections, finish what is in flight.
    forceCloseConnections: 'idle',
    return503OnClosing: true,
    // The router matches ids up to the longest a client may name (fastify's default is 100); a
    // longer path parameter is a 414 that frameworkErrors puts in the one shape.
    routerOptions: { maxParamLength: CLIENT_ID_MAX_LENGTH },
    frameworkErrors: errorHandler,
    clientErrorHandler,
  });

  // The request's span (SERVER, or a child of the caller's traceparent), the parent of the run's
  // spans, named `{method} {route}` as the HTTP conventions name server spans (the plugin's own
  // name, "request", tells traces apart by nothing); health probes come every few seconds and
  // would only fill the trace store.
  setTraceContent(server.traceContent);
  const otel = new FastifyOtelInstrumentation({
    ignorePaths: (route) => PROBES.includes(route.url),
    requestHook: (span, request) => span.updateName(`${request.method} ${request.routeOptions.url ?? ''}`.trim()),
  });
  await app.register(otel.plugin());

  // Every route registered below is known, so that a miss of the router can be told apart.
  const known = new KnownRoutes();
  app.addHook('onRoute', (route) => known.add(route));
  const miss = (request: FastifyRequest, reply: FastifyReply): Error => {
    const path = request.url.split('?')[0];
    const allow = known.allowed(path);
    if (allow.length === 0) return new RouteNotFound(request.method, path);
    reply.header('allow', allow.join(', '));
    return new MethodNotAllowed(request.method, path);
  };
  // A miss is answered as one even when fastify fails first on the body of a method that takes
  // one (QUERY without a Content-Type): the router found no route, whatever the body.
  app.setErrorHandler((error: Error, request, reply) => errorHandler(request.is404 ? miss(request, reply) : error, request, reply));
  app.setNotFoundHandler((request, reply) => {
    throw miss(request, reply);
  });
  // Once closing, responses that were in flight end their keep-alive connection: otherwise an
  // idle keep-alive socket would hold close() open until Cloud Run's 10 s run out.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
    if (closing) reply.header('connection', 'close');
  });
  app.addHook('onClose', async () => deps.memory.close());
  const records = deps.idempotency ?? createIdempotencyRecords(deps.config, { reconnect: options.reconnect, logger: app.log });
  app.addHook('onClose', async () => records.close());
  await records.init();
  const idempotency = idempotentRoute({ records, ttlSeconds: server.idempotencyTtlSeconds, claimMs: server.requestTimeoutMs });

  app.addSchema(ErrorResponse);
  app.addSchema(Item);
  app.addSchema(Context);
  app.addSchema(TraceStep);
  app.addSchema(Receipt);

  await app.register(swagger, {
    // Shared schemas keep their names in the document (ErrorResponse, Item, Context, TraceStep).
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
    // The document spells out the metadata rules the validation keyword checks (schemas.ts).
    transform: ({ schema, url }) => ({ schema: documentMetadata(schema), url }),
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Orchestra runtime',
        version: '0.1.0',
        description:
          'Multi-agent teams with layered memory. Every error has the ErrorResponse shape: also 404 for an unknown path, ' +
          `405 with an Allow header for a known path asked with another method, 414 for a path parameter over ${CLIENT_ID_MAX_LENGTH} characters, ` +
          'and 431 for a URL and headers over the server\'s header size limit.',
      },
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer' } } },
      security: [{ apiKey: [] }],
    },
  });
  app.get('/docs/json', { schema: { hide: true } }, async () => app.swagger());

  const ring = keyring(server.apiKeys, server.adminApiKeys);
  // Pending tool approvals live in mid-term memory, so any instance can resume a run.
  const approvals = new ApprovalStore(deps.memory.layers.midTerm);
  await app.register(healthRoutes, { memory: deps.memory, onFirstReady: options.onFirstReady, keyring: ring });

  // Each caller's requests count against its own limit: a tenant's, an operator's, or (auth off) an address's.
  const limited = async (scope: FastifyInstance) =>
    scope.register(rateLimit, {
      max: server.rateLimitPerMinute,
      timeWindow: '1 minute',
      keyGenerator: (request) => {
        const caller = request.caller;
        return caller.kind === 'tenant' ? `tenant:${caller.tenant}` : caller.kind === 'admin' ? `admin:${caller.name}` : `ip:${request.ip}`;
      },
      errorResponseBuilder: (_request, context) => ({
        statusCode: 429,
        code: 'ORCH_RATE_LIMITED',
        message: `rate limit of ${context.max} requests per ${context.after} exceeded; retry later`,
      }),
    });
  await app.register(
    async (v1) => {
      await v1.register(auth, { keyring: ring, accepts: 'tenant' });
      await limited(v1);
      await v1.register(messageRoutes, { teams: deps.teams, requestTimeoutMs: server.requestTimeoutMs, idempotency, approvals, keepAliveMs: options.eventStreamKeepAliveMs });
      await v1.register(approvalRoutes, { teams: deps.teams, requestTimeoutMs: server.requestTimeoutMs, approvals });
      await v1.register(memoryRoutes, { memory: deps.memory, idempotency });
      await v1.register(agentRoutes, { agents: deps.agents, teams: deps.teams });
    },
    { prefix: '/v1' },
  );
  await app.register(
    async (admin) => {
      await admin.register(auth, { keyring: ring, accepts: 'admin' });
      await limited(admin);
      await admin.register(adminRoutes, { memory: deps.memory });
    },
    { prefix: '/v1/admin' },
  );

  return app;
}
