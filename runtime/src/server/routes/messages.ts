import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { TeamDirectory } from '../deps';
import { TeamNotFound } from '../errors';
import { IdempotencyHeaders, type IdempotentRoute, idempotencyErrors } from '../idempotency/idempotency';
import { requestSignal } from '../request-signal';
import { ClientId, Metadata, NOT_BLANK, commonErrors } from '../schemas';

const Params = Type.Object({ teamId: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,63}$' }) });
const Body = Type.Object(
  {
    conversationId: ClientId,
    // Not blank: the team searches memory with it, and memory refuses a blank query.
    content: Type.String({ minLength: 1, maxLength: 32_000, pattern: NOT_BLANK }),
    // The team stores the message with its own `teamId` beside the client's keys.
    metadata: Type.Optional(Metadata(1)),
  },
  { additionalProperties: false },
);
const Reply = Type.Object({
  conversationId: Type.String(),
  reply: Type.Object({
    content: Type.String(),
    agent: Type.String(),
    model: Type.Optional(Type.String()),
    provider: Type.Optional(Type.String()),
  }),
  trace: Type.Array(Type.Ref('TraceStep'), { description: 'Which agent did what, which model answered, timings, every LLM attempt' }),
  degraded: Type.Array(Type.String(), {
    description:
      'What the reply was given despite: memory ("read: <layer>: <reason>", "write: …", "reply not stored: …") and agents ' +
      '("agent <member>: failed (<kind>): …" for a member the team answered without, "agent <coordinator>: reached maxSteps …" ' +
      'for a reply made of the answers so far). Empty when nothing went wrong.',
  }),
});

const messageRoutes: FastifyPluginAsyncTypebox<{ teams: TeamDirectory; requestTimeoutMs: number; idempotency: IdempotentRoute }> = async (app, options) => {
  app.post(
    '/teams/:teamId/messages',
    {
      schema: {
        summary: 'Send a message to a team; the coordinator answers or delegates',
        params: Params,
        headers: IdempotencyHeaders,
        body: Body,
        response: { 200: Reply, 404: Type.Ref('ErrorResponse'), 414: Type.Ref('ErrorResponse'), 502: Type.Ref('ErrorResponse'), 504: Type.Ref('ErrorResponse'), 508: Type.Ref('ErrorResponse'), ...idempotencyErrors, ...commonErrors },
      },
      ...options.idempotency.hooks,
    },
    async (request, reply) => {
      const team = options.teams.get(request.params.teamId);
      if (!team) throw new TeamNotFound(request.params.teamId);
      const { conversationId, content, metadata } = request.body;
      const end = requestSignal(request, reply, options.requestTimeoutMs);
      const result = await team
        .processMessage(
          {
            // With an Idempotency-Key, the turns of a retry overwrite those of a failed first attempt.
            ...withId(options.idempotency.retryStableId(request)),
            conversationId: request.scope.id(conversationId),
            content,
            tenantId: request.tenant,
            metadata,
          },
          { signal: end.signal },
        )
        .catch((error: unknown) => {
          throw end.failure(error);
        });
      // Handled failures never reach the client as errors, so the logs are the only place their
      // stacks and upstream messages are kept.
      for (const { agent, kind, error } of result.agents.failures) request.log.warn({ err: error, agent, kind }, 'a team member failed; the team answered without it');
      return { conversationId, reply: result.reply, trace: [...result.trace], degraded: [...result.memory.degraded, ...result.agents.degraded] };
    },
  );
};

const withId = (id: string | undefined) => (id === undefined ? {} : { id });

export default messageRoutes;
