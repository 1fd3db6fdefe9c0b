import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { type Static, Type } from '@sinclair/typebox';
import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from 'fastify';
import type { RunEvents } from '../../agents/run-events';
import type { TeamDirectory, TeamResponse } from '../deps';
import { TeamNotFound, errorAnswer } from '../errors';
import { EVENT_STREAM, EVENT_STREAM_HEADERS, EventStream, formatJsonEvent, wantsEventStream } from '../event-stream';
import { IdempotencyHeaders, type IdempotentRoute, idempotencyErrors } from '../idempotency/idempotency';
import { type RequestSignal, requestSignal } from '../request-signal';
import { BudgetLimits, BudgetReport, ClientId, Metadata, NOT_BLANK, RunUsage, commonErrors } from '../schemas';
import type { ApprovalStore } from '../../agents/tools/approvals';
import { PendingApprovalAnswer, pendingApproval } from './approvals';

const Params = Type.Object({ teamId: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,63}$' }) });
const Body = Type.Object(
  {
    conversationId: ClientId,
    // Not blank: the team searches memory with it, and memory refuses a blank query.
    content: Type.String({ minLength: 1, maxLength: 32_000, pattern: NOT_BLANK }),
    // The team stores the message with its own `teamId` beside the client's keys.
    metadata: Type.Optional(Metadata(1)),
    budget: Type.Optional(
      Type.Object(BudgetLimits.properties, {
        additionalProperties: false,
        description: "Lowers the team's limits for this message (its config's `budget`); a value above the team's limit, or a cost limit where deployments have no prices, is a 422 naming the field",
      }),
    ),
  },
  { additionalProperties: false },
);
export const Reply = Type.Object({
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
      'for a reply made of the answers so far, "agent <coordinator>: stopped: budget exhausted: …"). Empty when nothing went wrong.',
  }),
  usage: Type.Optional(RunUsage),
  budget: Type.Optional(BudgetReport),
});
export type Answer = Static<typeof Reply>;

const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

const EVENTS_DESCRIPTION =
  'With `Accept: text/event-stream`, server-sent events as the team works: `step` (`{phase: "start", id, agent, action, detail?, ' +
  'deployment?, startedAt}`, then `{phase: "end", id, outcome: "ok"|"error", …the trace step}`), `delta` (`{text}`: the reply as it is ' +
  'written; the deltas add up to `reply.content`), `failover` (`{agent, from, to, reason, sentChars}`: a deployment failed mid-answer ' +
  'and another continues it, no text repeated), and last either `done` (the JSON answer, exactly), `pending-approval` (the 202 answer: the run ' +
  'stopped before a tool call that requires approval) or `error` (the error shape, ' +
  '`{error: {code, message, details?}}`, for a failure after the first event). A failure before the first event is an ordinary ' +
  'error status. The reply is stored in memory before `done`; closing the connection aborts the run.';

const messageRoutes: FastifyPluginAsyncTypebox<{ teams: TeamDirectory; requestTimeoutMs: number; idempotency: IdempotentRoute; approvals: ApprovalStore; keepAliveMs?: number }> = async (app, options) => {
  app.post(
    '/teams/:teamId/messages',
    {
      schema: {
        summary: 'Send a message to a team; the coordinator answers or delegates',
        description: EVENTS_DESCRIPTION,
        params: Params,
        headers: IdempotencyHeaders,
        body: Body,
        response: {
          200: {
            description: 'The answer: JSON, or server-sent events with `Accept: text/event-stream`',
            content: {
              'application/json': { schema: Reply },
              [EVENT_STREAM]: { schema: Type.String({ description: EVENTS_DESCRIPTION }) },
            },
          },
          202: PendingApprovalAnswer,
          404: Type.Ref('ErrorResponse'),
          414: Type.Ref('ErrorResponse'),
          502: Type.Ref('ErrorResponse'),
          504: Type.Ref('ErrorResponse'),
          508: Type.Ref('ErrorResponse'),
          ...idempotencyErrors,
          ...commonErrors,
        },
      },
      ...options.idempotency.hooks,
    },
    async (request, reply) => {
      const team = options.teams.get(request.params.teamId);
      if (!team) throw new TeamNotFound(request.params.teamId);
      const { conversationId, content, metadata, budget } = request.body;
      const end = requestSignal(request, reply, options.requestTimeoutMs);
      const message = {
        // With an Idempotency-Key, the turns of a retry overwrite those of a failed first attempt.
        ...withId(options.idempotency.retryStableId(request)),
        conversationId: request.scope.id(conversationId),
        content,
        tenantId: request.tenant,
        metadata,
      };
      const answerOf = (result: TeamResponse): Answer => answerOfRun(result, conversationId, request.log);
      // A run stopped for a tool's approval: the 202's body (or the stream's last event).
      const pending = (error: unknown) => pendingApproval(error, options.approvals, request.params.teamId, request.tenant, conversationId);
      if (wantsEventStream(request)) {
        return streamAnswer(request, reply, end, options.idempotency, (events) => team.processMessage(message, { signal: end.signal, events, budget }).then(answerOf), pending, options.keepAliveMs);
      }
      let result: TeamResponse;
      try {
        result = await team.processMessage(message, { signal: end.signal, budget });
      } catch (error) {
        const stopped = await pending(error);
        if (stopped) return reply.code(202).send(stopped);
        throw end.failure(error);
      }
      return answerOf(result);
    },
  );
};

/**
 * The answer as server-sent events. The status is decided at the first event: until the run has
 * told something, a failure is thrown as on the JSON path (a 400, 404, 503… with its headers);
 * after it, the status has gone out and a failure is the last event, `error`. The run, and so the
 * storing of the reply, is the JSON path's own (`run`); `done` carries the JSON answer as the JSON
 * path's serializer writes it, and is kept for the Idempotency-Key before it is sent.
 */
async function streamAnswer(
  request: FastifyRequest,
  reply: FastifyReply,
  end: RequestSignal,
  idempotency: IdempotentRoute,
  run: (events: RunEvents) => Promise<Answer>,
  pending: (error: unknown) => Promise<object | undefined>,
  keepAliveMs?: number,
): Promise<FastifyReply> {
  const stream = new EventStream(keepAliveMs);
  let started!: () => void;
  const firstEvent = new Promise<void>((resolve) => {
    started = resolve;
  });
  // Written as they come: the stream holds them until fastify pipes it, at the first event.
  const events: RunEvents = {
    onStep: (event) => {
      stream.send('step', event);
      started();
    },
    onText: (text) => {
      stream.send('delta', { text });
      started();
    },
    onFailover: (event) => {
      stream.send('failover', event);
      started();
    },
  };
  const outcome = run(events).then(
    (answer) => ({ answer }),
    (error: unknown) => ({ error }),
  );
  const early = await Promise.race([firstEvent.then(() => undefined), outcome]);
  if (early !== undefined && 'error' in early) {
    const stopped = await pending(early.error);
    if (stopped) return reply.code(202).send(stopped);
    throw end.failure(early.error);
  }

  void outcome.then(async (settled) => {
    try {
      if ('error' in settled) {
        // A run stopped for a tool's approval: the stream ends with what the JSON path's 202 says.
        const stopped = await pending(settled.error);
        if (stopped) {
          stream.send('pending-approval', stopped);
          return;
        }
        throw settled.error;
      }
      const json = reply.serializeInput(settled.answer, '200', 'application/json') as string;
      await idempotency.complete(request, { status: 200, contentType: JSON_CONTENT_TYPE, body: json });
      stream.write(formatJsonEvent('done', json));
    } catch (error) {
      stream.send('error', errorAnswer(end.failure(error) as Error, request).body);
    } finally {
      stream.end();
    }
  });
  return reply.code(200).headers(EVENT_STREAM_HEADERS).send(stream.readable);
}

/** A run's result as the answer's body, for a message and for a resumed run alike. */
export function answerOfRun(result: TeamResponse, conversationId: string, log: FastifyBaseLogger): Answer {
  // Handled failures never reach the client as errors, so the logs are the only place their
  // stacks and upstream messages are kept.
  for (const { agent, kind, error } of result.agents.failures) log.warn({ err: error, agent, kind }, 'a team member failed; the team answered without it');
  return {
    conversationId,
    reply: result.reply,
    trace: [...result.trace],
    degraded: [...result.memory.degraded, ...result.agents.degraded],
    ...(result.usage ? { usage: result.usage } : {}),
    ...(result.budget ? { budget: result.budget } : {}),
  };
}

const withId = (id: string | undefined) => (id === undefined ? {} : { id });

export default messageRoutes;
