import createError from '@fastify/error';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { MemoryForgetError, MemoryValidationError, MemoryWriteError } from '../memory/errors';

/** The one error shape of every route. */
export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

// The catalogue of errors the service raises itself (fastify's FST_* style).
export const Unauthorized = createError('ORCH_UNAUTHORIZED', 'a valid API key is required (Authorization: Bearer <key>)', 401);
export const Forbidden = createError('ORCH_FORBIDDEN', '%s', 403);
export const TeamNotFound = createError('ORCH_TEAM_NOT_FOUND', 'no team "%s"; GET /v1/agents lists the teams', 404);
export const RouteNotFound = createError('ORCH_NOT_FOUND', 'no route %s %s', 404);

/** Errors from other layers, by name, with the status a client should see. */
function classify(error: FastifyError | Error): { status: number; code: string; message: string; details?: unknown } {
  if (error instanceof MemoryValidationError) {
    return { status: 400, code: error.code, message: error.message, details: { field: error.field, expected: error.expected } };
  }
  if (error instanceof MemoryWriteError || error instanceof MemoryForgetError) {
    // A backend the request needs is unreachable: the client may retry (writes are idempotent).
    return { status: 503, code: error.code, message: error.message, details: { failures: error.failures } };
  }
  const named = error as FastifyError & { code?: string; statusCode?: number; validation?: unknown[]; validationContext?: string };
  if (named.code === 'FST_ERR_VALIDATION' && Array.isArray(named.validation)) {
    const problems = named.validation.map((v) => {
      const issue = v as { instancePath?: string; message?: string; params?: Record<string, unknown> };
      const field = [named.validationContext, ...(issue.instancePath ?? '').split('/').filter(Boolean), issue.params?.missingProperty ?? issue.params?.additionalProperty]
        .filter((p) => p !== undefined && p !== '')
        .join('.');
      return { field, expected: issue.message };
    });
    return { status: 400, code: 'ORCH_INVALID_REQUEST', message: `invalid request: ${problems.map((p) => `${p.field}: ${p.expected}`).join('; ')}`, details: problems };
  }
  if (error.name === 'LlmRouterError') {
    return { status: 502, code: 'ORCH_LLM_UNAVAILABLE', message: 'every configured model failed to answer', details: { attempts: (error as Error & { attempts?: unknown }).attempts } };
  }
  if (error.name === 'DelegationLimitError') {
    return { status: 508, code: 'ORCH_DELEGATION_LIMIT', message: error.message };
  }
  const status = named.statusCode ?? 500;
  if (status >= 400 && status < 500) return { status, code: named.code ?? 'ORCH_BAD_REQUEST', message: error.message };
  return { status, code: 'ORCH_INTERNAL', message: 'internal error; the request id identifies it in the logs' };
}

/** Maps any error to the one shape; 5xx details stay in the logs, never in the response. */
export function errorHandler(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const { status, code, message, details } = classify(error);
  if (status >= 500) request.log.error({ err: error }, 'request failed');
  else request.log.info({ code, status }, message);
  const body: ErrorBody = { error: { code, message, ...(details === undefined ? {} : { details }) } };
  return reply.status(status).send(body);
}
