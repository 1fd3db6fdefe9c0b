import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { type Static, Type } from '@sinclair/typebox';
import { type ApprovalStore, ToolApprovalRequired } from '../../agents/tools/approvals';
import type { TeamDirectory, TeamResponse } from '../deps';
import { RunAlreadyResumed, RunNotFound, TeamNotFound } from '../errors';
import { requestSignal } from '../request-signal';
import { commonErrors } from '../schemas';
import { Reply, answerOfRun } from './messages';

const RESUME_PATH = '/teams/:teamId/runs/:runId/approval';

export const PendingApprovalAnswer = Type.Object(
  {
    status: Type.Literal('pending-approval'),
    runId: Type.String({ description: 'The stopped run; resume it at `resume`' }),
    conversationId: Type.String(),
    pendingCall: Type.Object(
      {
        id: Type.String({ description: "The model's id of the call" }),
        name: Type.String({ description: 'The tool, as the model called it (an MCP tool as <server>__<tool>)' }),
        arguments: Type.Record(Type.String(), Type.Unknown(), { description: 'The arguments the model gave' }),
      },
      { description: 'The tool call that waits for a decision' },
    ),
    resume: Type.String({ description: 'POST {approve: true|false, reason?} here (under /v1) to run or refuse the call and get the answer' }),
  },
  { description: 'The run stopped before a tool call that requires approval; nothing was answered yet. The message is stored; the reply will be once the run ends.' },
);
type PendingApproval = Static<typeof PendingApprovalAnswer>;

/** The 202 answer for a run that stopped for approval (`error` a `ToolApprovalRequired`), after keeping its state; undefined for any other error. */
export async function pendingApproval(error: unknown, approvals: ApprovalStore, teamId: string, tenant: string | undefined, conversationId: string): Promise<PendingApproval | undefined> {
  if (!(error instanceof ToolApprovalRequired)) return undefined;
  const run = await approvals.save(teamId, tenant, conversationId, error.paused);
  const { id, name, arguments: args } = run.pendingCall;
  return {
    status: 'pending-approval',
    runId: run.runId,
    conversationId,
    pendingCall: { id, name, arguments: { ...args } },
    resume: `/v1/teams/${teamId}/runs/${run.runId}/approval`,
  };
}

const Params = Type.Object({
  teamId: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,63}$' }),
  runId: Type.String({ pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$', description: 'A runId from a 202 answer' }),
});
const Body = Type.Object(
  {
    approve: Type.Boolean({ description: 'true runs the call; false tells the model it was refused' }),
    reason: Type.Optional(Type.String({ maxLength: 1000, description: 'Told to the model with a refusal' })),
  },
  { additionalProperties: false },
);

const approvalRoutes: FastifyPluginAsyncTypebox<{ teams: TeamDirectory; requestTimeoutMs: number; approvals: ApprovalStore }> = async (app, options) => {
  app.post(
    RESUME_PATH,
    {
      schema: {
        summary: 'Approve or refuse the tool call a run stopped for, and get the answer',
        description:
          'Resumes a run that answered 202 (`pending-approval`) on any instance: the call runs (approve) or the model is told it was refused, ' +
          'and the run goes on. The answer is the messages route\'s, or another 202 when the run stops for a further call. A run is resumed once: ' +
          'a second decision is 409. Another tenant\'s run, or an expired one, is 404.',
        params: Params,
        body: Body,
        response: {
          200: Reply,
          202: PendingApprovalAnswer,
          404: Type.Ref('ErrorResponse'),
          409: Type.Ref('ErrorResponse'),
          502: Type.Ref('ErrorResponse'),
          504: Type.Ref('ErrorResponse'),
          ...commonErrors,
        },
      },
    },
    async (request, reply) => {
      const { teamId, runId } = request.params;
      const team = options.teams.get(teamId);
      if (!team) throw new TeamNotFound(teamId);
      const claimed = await options.approvals.claim(runId, teamId, request.tenant);
      if ('missing' in claimed || !team.resumeApproval) throw new RunNotFound(runId);
      if ('resumed' in claimed) throw new RunAlreadyResumed(runId);
      const { run } = claimed;
      const end = requestSignal(request, reply, options.requestTimeoutMs);
      let result: TeamResponse;
      try {
        result = await team.resumeApproval(run, request.body, { signal: end.signal });
      } catch (error) {
        const pending = await pendingApproval(error, options.approvals, teamId, request.tenant, run.clientConversationId);
        if (pending) return reply.code(202).send(pending);
        throw end.failure(error);
      }
      return answerOfRun(result, run.clientConversationId, request.log);
    },
  );
};

export default approvalRoutes;
