/**
 * Trace export, as the runtime reads it from the standard OpenTelemetry variables rather than
 * from ORCHESTRA_* settings: any OpenTelemetry tooling (a collector sidecar, an operator's
 * habits) sets these, and the SDK's exporter reads the rest of `OTEL_EXPORTER_OTLP_*` itself.
 */
import type { Problem } from './errors';

/** Google's Telemetry (OTLP) API: Cloud Trace's recommended intake (https://cloud.google.com/trace/docs/migrate-to-otlp-endpoints). */
export const GOOGLE_OTLP_ENDPOINT = 'https://telemetry.googleapis.com';

export const OTEL_VARIABLES = {
  endpoint: 'OTEL_EXPORTER_OTLP_ENDPOINT',
  tracesEndpoint: 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
  sdkDisabled: 'OTEL_SDK_DISABLED',
  tracesExporter: 'OTEL_TRACES_EXPORTER',
  serviceName: 'OTEL_SERVICE_NAME',
} as const;

export interface TelemetryConfig {
  /** Where spans go, over OTLP (HTTP/protobuf). */
  readonly otlpEndpoint: string;
  /** The endpoint is Google's: requests carry the service account's token, spans the project. */
  readonly google: boolean;
}

/** The export the environment configures (undefined: none, and no SDK), and what is wrong with it. */
export function parseTelemetry(env: Readonly<Record<string, string | undefined>>): { config?: TelemetryConfig; problems: Problem[] } {
  if (env[OTEL_VARIABLES.sdkDisabled] === 'true' || env[OTEL_VARIABLES.tracesExporter] === 'none') return { problems: [] };
  const name = env[OTEL_VARIABLES.tracesEndpoint] ? OTEL_VARIABLES.tracesEndpoint : OTEL_VARIABLES.endpoint;
  const raw = env[name];
  if (!raw) return { problems: [] };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { problems: [{ path: name, message: 'an http(s) URL of an OTLP endpoint' }] };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return { problems: [{ path: name, message: 'an http(s) URL of an OTLP endpoint' }] };
  return { config: { otlpEndpoint: raw, google: url.hostname === new URL(GOOGLE_OTLP_ENDPOINT).hostname }, problems: [] };
}
