/**
 * The one place the OpenTelemetry SDK is set up (the rest of the runtime writes spans with the
 * API only). `main.ts` starts it before anything else runs.
 *
 * Export: OTLP over HTTP/protobuf when an endpoint is configured, by the standard variables
 * (`OTEL_EXPORTER_OTLP_ENDPOINT` or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, with `OTEL_EXPORTER_OTLP_*`
 * headers, timeout…, `OTEL_SERVICE_NAME`, `OTEL_SDK_DISABLED`; contract/telemetry.ts). Without
 * one, no SDK is registered: spans are the API's no-ops and cost nothing.
 *
 * On Cloud Run the stack points the endpoint at Google's Telemetry (OTLP) API,
 * `https://telemetry.googleapis.com`, which Google recommends over the Cloud Trace exporter for
 * trace data (https://cloud.google.com/trace/docs/migrate-to-otlp-endpoints); each request then
 * carries the service account's access token (Application Default Credentials), and the account
 * holds `roles/telemetry.tracesWriter` (`telemetry.traces.write`).
 */
import { type TextMapPropagator, context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, type SpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { OTEL_VARIABLES, RuntimeSettings, parseTelemetry } from '../contract';
import { CLOUD_PLATFORM_SCOPE } from '../google/client';

/** The resource attribute naming the Google Cloud project (semantic conventions, `gcp.*`). */
const GCP_PROJECT_ID = 'gcp.project_id';

const SERVICE_NAME = 'orchestra-runtime';

export interface Telemetry {
  /** Exports the spans still buffered, then stops. */
  shutdown(): Promise<void>;
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Registers a tracer provider whose spans go to `processors`, with the async-hooks context (a
 * span started in a callback is the child of the one active when it was scheduled) and W3C
 * trace-context propagation (a caller's `traceparent`, Cloud Run's included, is the parent).
 */
export function registerTracing(processors: SpanProcessor[], resource: Readonly<Record<string, string>> = {}): Telemetry {
  const provider = new TracerProvider({ resource: resourceFromAttributes({ 'service.name': SERVICE_NAME, ...resource }), spanProcessors: processors });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  const propagator: TextMapPropagator = new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] });
  propagation.setGlobalPropagator(propagator);
  trace.setGlobalTracerProvider(provider);
  return {
    shutdown: async () => {
      await provider.shutdown();
      trace.disable();
      context.disable();
      propagation.disable();
    },
  };
}

/** Starts tracing as `env` configures it; undefined when no endpoint is (nothing registered). */
export function startTelemetry(env: Env): Telemetry | undefined {
  // A bad endpoint is not reported here: the settings' parser reports it with the others.
  const { config } = parseTelemetry(env);
  if (config === undefined) return undefined;
  // The exporter reads the rest of OTEL_EXPORTER_OTLP_* itself; only Google's endpoint needs a token.
  const exporter = new OTLPTraceExporter(config.google ? { headers: googleHeaders() } : {});
  const resource: Record<string, string> = {};
  if (env[OTEL_VARIABLES.serviceName]) resource['service.name'] = env[OTEL_VARIABLES.serviceName]!;
  // Google's endpoint stores spans in the project this resource attribute names.
  if (config.google && env[RuntimeSettings.projectId]) resource[GCP_PROJECT_ID] = env[RuntimeSettings.projectId]!;
  return registerTracing([new BatchSpanProcessor({ exporter })], resource);
}

/** An access token of Application Default Credentials (on Cloud Run, the service's account), refreshed as it expires. */
function googleHeaders(): () => Promise<Record<string, string>> {
  let auth: Promise<{ getRequestHeaders(): Promise<Headers> }> | undefined;
  return async () => {
    try {
      // google-gax loads on first export, not at start-up (it is large).
      auth ??= import('google-gax').then(({ GoogleAuth }) => new GoogleAuth({ scopes: CLOUD_PLATFORM_SCOPE }));
      return Object.fromEntries((await (await auth).getRequestHeaders()).entries());
    } catch {
      // A factory must not throw (the exporter's contract): the export then fails as unauthorized.
      return {};
    }
  };
}
