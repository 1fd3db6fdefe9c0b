import { isSpanContextValid, trace, TraceFlags } from '@opentelemetry/api';
import type { LoggerOptions } from 'pino';

/**
 * Cloud Logging's special fields that tie a log line to its trace
 * (https://cloud.google.com/logging/docs/structured-logging#special-payload-fields): the log
 * explorer then shows the line under its request's trace, and the trace its lines.
 */
export const LOG_TRACE_FIELDS = {
  trace: 'logging.googleapis.com/trace',
  spanId: 'logging.googleapis.com/spanId',
  sampled: 'logging.googleapis.com/trace_sampled',
} as const;

/**
 * The active span's ids in Cloud Logging's fields; nothing outside a span. The trace is named in
 * full (`projects/<project>/traces/<id>`) as Cloud Logging wants it; without a project (local
 * development) the bare id.
 */
export function traceFields(projectId: string | undefined): Record<string, string | boolean> {
  const span = trace.getActiveSpan()?.spanContext();
  if (span === undefined || !isSpanContextValid(span)) return {};
  return {
    [LOG_TRACE_FIELDS.trace]: projectId === undefined ? span.traceId : `projects/${projectId}/traces/${span.traceId}`,
    [LOG_TRACE_FIELDS.spanId]: span.spanId,
    [LOG_TRACE_FIELDS.sampled]: (span.traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED,
  };
}

/** pino's levels → Cloud Logging severities, so the log explorer filters and colours them. */
const SEVERITY: Record<string, string> = {
  trace: 'DEBUG',
  debug: 'DEBUG',
  info: 'INFO',
  warn: 'WARNING',
  error: 'ERROR',
  fatal: 'CRITICAL',
};

/**
 * JSON lines in Cloud Logging's structured shape: `severity`, `message`, `time` (RFC 3339).
 * Credentials are redacted wherever they could appear; a line written within a span carries its
 * trace (`traceFields`).
 */
export function loggerOptions(level: string, projectId?: string): LoggerOptions {
  return {
    level,
    mixin: () => traceFields(projectId),
    messageKey: 'message',
    timestamp: () => `,"time":"${new Date().toISOString()}"`,
    base: { service: 'orchestra-runtime' },
    formatters: {
      level: (label) => ({ severity: SEVERITY[label] ?? 'DEFAULT' }),
    },
    redact: { paths: ['req.headers.authorization', 'req.headers.cookie', '*.apiKey', '*.password'], censor: '[redacted]' },
  };
}
