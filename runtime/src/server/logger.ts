import type { LoggerOptions } from 'pino';

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
 * Credentials are redacted wherever they could appear.
 */
export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    messageKey: 'message',
    timestamp: () => `,"time":"${new Date().toISOString()}"`,
    base: { service: 'orchestra-runtime' },
    formatters: {
      level: (label) => ({ severity: SEVERITY[label] ?? 'DEFAULT' }),
    },
    redact: { paths: ['req.headers.authorization', 'req.headers.cookie', '*.apiKey', '*.password'], censor: '[redacted]' },
  };
}
