import createError from '@fastify/error';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify';
import { type Problem, RuntimeSettings, type ValidationError } from '../contract';
import { CLIENT_ID_MAX_LENGTH } from './schemas';

/** The one error shape of every route. */
export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

// The catalogue of errors the service raises itself (fastify's FST_* style).
export const Unauthorized = createError('ORCH_UNAUTHORIZED', 'a valid API key is required (Authorization: Bearer <key>)', 401);
export const Forbidden = createError('ORCH_FORBIDDEN', '%s', 403);
export const TeamNotFound = createError('ORCH_TEAM_NOT_FOUND', 'no team "%s"; GET /v1/agents lists the teams', 404);
export const ErasureNotFound = createError('ORCH_ERASURE_NOT_FOUND', 'no erasure receipt "%s" of this tenant', 404);
export const RunNotFound = createError('ORCH_RUN_NOT_FOUND', 'no run "%s" waiting for approval in this team (or it has expired)', 404);
export const RunAlreadyResumed = createError('ORCH_RUN_ALREADY_RESUMED', 'run "%s" has already been approved or refused', 409);
export const RouteNotFound = createError('ORCH_NOT_FOUND', 'no route %s %s', 404);
export const MethodNotAllowed = createError('ORCH_METHOD_NOT_ALLOWED', '%s is not allowed on %s; the Allow header lists what is', 405);
// nginx's 499: nobody reads it, but the log says the client, not the service, ended the request.
export const ClientDisconnected = createError('ORCH_CLIENT_DISCONNECTED', 'the client closed the connection before the answer', 499);
// Idempotency-Key (idempotency/idempotency.ts): the statuses of the IETF draft's "Error Handling".
export const IdempotencyKeyReused = createError(
  'ORCH_IDEMPOTENCY_KEY_REUSED',
  'Idempotency-Key "%s" was used with a different request: a retry must repeat the method, path and body of the first',
  422,
);

/** The request's `Idempotency-Key` header is malformed: a 400 naming the header, as schema validation names a field. */
export class InvalidIdempotencyKey extends Error {
  readonly code = 'ORCH_INVALID_IDEMPOTENCY_KEY';
  constructor(readonly problem: string) {
    super(`headers.idempotency-key: ${problem}`);
  }
}

/** A refusal the client may retry after `retryAfterSeconds`, which the answer's Retry-After says. */
abstract class RetryLater extends Error {
  abstract readonly code: string;
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

/** The first request with this key still runs. */
export class IdempotencyKeyInUse extends RetryLater {
  readonly code = 'ORCH_IDEMPOTENCY_KEY_IN_USE';
  readonly statusCode = 409;
  constructor(key: string, retryAfterSeconds: number) {
    super(`a request with Idempotency-Key "${key}" is still running; retry once it has been answered to get its answer`, retryAfterSeconds);
  }
}

/** Where keys are kept (Redis) is unreachable: a request that carries one is refused rather than risk running twice. */
export class IdempotencyUnavailable extends RetryLater {
  readonly code = 'ORCH_IDEMPOTENCY_UNAVAILABLE';
  constructor(retryAfterSeconds: number) {
    super('the store of Idempotency-Keys is unreachable: retry later, or send the request without the key to run it unguarded', retryAfterSeconds);
  }
}

/**
 * The request's deadline passed before it was answered: answered by the service, in the error
 * shape, before the platform's own request timeout would cut it off without one.
 */
export class DeadlineExceeded extends Error {
  readonly code = 'ORCH_DEADLINE_EXCEEDED';
  constructor(
    readonly deadlineMs: number,
    /** What the run did until then (the aborted model calls with their attempts). */
    readonly trace: readonly unknown[],
    options?: { readonly cause?: unknown },
  ) {
    super(`no answer within the request deadline of ${deadlineMs} ms (${RuntimeSettings.requestTimeoutMs}); the trace shows what was attempted`, options);
    this.name = 'DeadlineExceeded';
  }
}

interface Classified {
  readonly status: number;
  readonly code: string;
  readonly message: string;
  readonly details?: unknown;
}

type Coded = Error & { readonly code: string } & Record<string, unknown>;

/** A backend the request needs is unreachable: the client may retry (writes are idempotent). */
function backendUnavailable(e: Coded): Classified {
  return { status: 503, code: e.code, message: e.message, details: { failures: e.failures } };
}

/**
 * How the errors of the other layers reach a client, by their stable `code`: what the status is,
 * and what of the error a client may see. An error whose code is not here is a 500 unless it
 * carries a 4xx `statusCode` of its own (fastify's).
 */
const BY_CODE: Readonly<Record<string, (error: Coded) => Classified>> = {
  // The client's item or query does not validate; every problem is named.
  MEMORY_INVALID_ITEM: (e) => ({ status: 400, code: e.code, message: e.message, details: { problems: (e as unknown as ValidationError).problems } }),
  MEMORY_WRITE_FAILED: backendUnavailable,
  // Retrying completes it; the failed attempt's receipt says what it removed.
  MEMORY_FORGET_FAILED: (e) => ({ ...backendUnavailable(e), details: { failures: e.failures, removed: e.removed, receipt: e.receipt } }),
  // A write begun before its conversation (item, tenant) was erased: stale, not to be retried as is.
  MEMORY_ERASED: (e) => ({ status: 409, code: 'ORCH_ERASED', message: e.message, details: { erasedAt: e.erasedAt, kind: (e.target as { kind: string }).kind } }),
  ORCH_IDEMPOTENCY_UNAVAILABLE: (e) => ({ status: 503, code: e.code, message: e.message }),
  // As schema validation reports a bad header: one problem, at `headers.idempotency-key`.
  ORCH_INVALID_IDEMPOTENCY_KEY: (e) => ({
    status: 400,
    code: 'ORCH_INVALID_REQUEST',
    message: `invalid request: ${e.message}`,
    details: { problems: [{ path: 'headers.idempotency-key', message: e.problem }] },
  }),
  // A well-formed budget this team cannot take (above its limits, a cost limit without prices):
  // 422, the request is valid and understood but not processable here; named as validation names a field.
  AGENT_BUDGET_INVALID: (e) => {
    const { problems } = e as unknown as ValidationError;
    return { status: 422, code: 'ORCH_BUDGET_REFUSED', message: `budget refused: ${problems.map((p) => `body.${p.path}: ${p.message}`).join('; ')}`, details: { problems: problems.map((p) => ({ ...p, path: `body.${p.path}` })) } };
  },
  LLM_ROUTER_FAILED: (e) => ({ status: 502, code: 'ORCH_LLM_UNAVAILABLE', message: 'every configured model failed to answer', details: { attempts: e.attempts } }),
  // fastify's router refused a path parameter over its maxParamLength (the path is not echoed: it is long).
  FST_ERR_MAX_PARAM_LENGTH: () => ({ status: 414, code: 'ORCH_URI_TOO_LONG', message: `a path parameter is longer than ${CLIENT_ID_MAX_LENGTH} characters, the longest id` }),
  AGENT_DELEGATION_LIMIT: (e) => ({ status: 508, code: 'ORCH_DELEGATION_LIMIT', message: e.message }),
  ORCH_DEADLINE_EXCEEDED: (e) => ({ status: 504, code: e.code, message: e.message, details: { deadlineMs: e.deadlineMs, trace: e.trace } }),
  // fastify's schema validation of the body, params or query: ajv's errors as problems.
  FST_ERR_VALIDATION: (e) => {
    const problems = requestProblems(e as unknown as FastifyError);
    return { status: 400, code: 'ORCH_INVALID_REQUEST', message: `invalid request: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`, details: { problems } };
  },
};

/** `/item/metadata/a~1b` → `item`, `metadata`, `a/b` (RFC 6901); an empty key stays a segment. */
const pointerSegments = (instancePath: string) =>
  instancePath === '' ? [] : instancePath.slice(1).split('/').map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));

function requestProblems(error: FastifyError): Problem[] {
  return (error.validation ?? []).map((issue) => {
    const params = issue.params as Record<string, unknown> | undefined;
    const path = [error.validationContext, ...pointerSegments(issue.instancePath ?? ''), params?.missingProperty ?? params?.additionalProperty]
      .filter((p) => p !== undefined)
      .join('.');
    return { path, message: issue.message ?? 'invalid' };
  });
}

function classify(error: FastifyError | Error): Classified {
  const code = (error as { code?: unknown }).code;
  const byCode = typeof code === 'string' ? BY_CODE[code] : undefined;
  if (byCode) return byCode(error as Coded);
  const status = (error as FastifyError).statusCode ?? 500;
  if (status >= 400 && status < 500) return { status, code: typeof code === 'string' ? code : 'ORCH_BAD_REQUEST', message: error.message };
  return { status, code: 'ORCH_INTERNAL', message: 'internal error; the request id identifies it in the logs' };
}

/**
 * Any error in the one shape, with the status it is answered with, logged as the error handler
 * logs it: also what a streamed answer sends as its `error` event once its status has gone out.
 * 5xx details stay in the logs, never in the body.
 */
export function errorAnswer(error: FastifyError | Error, request: FastifyRequest): { readonly status: number; readonly body: ErrorBody } {
  const { status, code, message, details } = classify(error);
  if (status >= 500) request.log.error({ err: error }, 'request failed');
  else request.log.info({ code, status }, message);
  return { status, body: { error: { code, message, ...(details === undefined ? {} : { details }) } } };
}

/** Maps any error to the one shape (`errorAnswer`), with Retry-After for an error that says when. */
export function errorHandler(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const retryAfter = (error as { retryAfterSeconds?: unknown }).retryAfterSeconds;
  if (typeof retryAfter === 'number') reply.header('retry-after', String(retryAfter));
  const { status, body } = errorAnswer(error, request);
  return reply.status(status).send(body);
}

type ConnectionError = Parameters<NonNullable<FastifyServerOptions['clientErrorHandler']>>[0];

const CLIENT_ERRORS: Readonly<Record<string, readonly [status: number, reason: string, code: string, message: string]>> = {
  HPE_HEADER_OVERFLOW: [431, 'Request Header Fields Too Large', 'ORCH_HEADERS_TOO_LARGE', 'the request line and headers are too large (an over-long URL?)'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'Request Timeout', 'ORCH_REQUEST_TIMEOUT', 'the request was not received in time'],
};

/**
 * fastify's `clientErrorHandler`: what Node's HTTP parser refuses before fastify has a request (a
 * URL or headers over Node's `maxHeaderSize`, malformed HTTP), answered in the one shape too
 * (fastify's default writes a shape of its own).
 */
export function clientErrorHandler(error: ConnectionError, socket: Socket): void {
  // A reset connection has no one to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, reason, code, message] = CLIENT_ERRORS[error.code] ?? [400, 'Bad Request', 'ORCH_BAD_REQUEST', 'malformed HTTP request'];
  const body: ErrorBody = { error: { code, message } };
  const text = JSON.stringify(body);
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`);
  }
  socket.destroy(error);
}
