import type { FastifyReply, FastifyRequest } from 'fastify';
import { ClientDisconnected, DeadlineExceeded } from './errors';

/** One request's end, as the work it starts sees it: an AbortSignal, and the error it ended in. */
export interface RequestSignal {
  /** Aborts at the deadline or when the client goes away, whichever comes first. */
  readonly signal: AbortSignal;
  /**
   * What to answer instead of `error` when the request was aborted: a 504 naming the deadline
   * (with the trace the aborted run recorded, when it carries one), or a 499 for a client that
   * is gone; `error` itself otherwise.
   */
  failure(error: unknown): unknown;
}

/**
 * The deadline of one request, `deadlineMs` from now, combined with its client's disconnect.
 * The response's `close` before it finished is the disconnect (the request's own `close` also
 * fires once its body has been read, and `aborted` is deprecated).
 */
export function requestSignal(request: FastifyRequest, reply: FastifyReply, deadlineMs: number): RequestSignal {
  const deadline = AbortSignal.timeout(deadlineMs);
  const disconnect = new AbortController();
  const response = reply.raw;
  const onClose = () => {
    if (!response.writableFinished) disconnect.abort(new ClientDisconnected());
  };
  response.once('close', onClose);
  const signal = AbortSignal.any([deadline, disconnect.signal]);
  return {
    signal,
    failure(error) {
      if (!signal.aborted) return error;
      // The first to fire decides: a client leaving after the deadline got its 504 already.
      if (signal.reason instanceof ClientDisconnected) {
        request.log.info('client disconnected: its model and memory calls were aborted');
        return signal.reason;
      }
      const trace = (error as { trace?: unknown } | undefined)?.trace;
      return new DeadlineExceeded(deadlineMs, Array.isArray(trace) ? trace : [], { cause: error });
    },
  };
}
