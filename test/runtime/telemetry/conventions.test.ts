// The names the runtime's spans and logs use: the GenAI conventions' (checked against the
// package that publishes them), Cloud Logging's trace fields, and when the SDK starts at all.
import { Writable } from 'node:stream';
import { trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import * as semconv from '@opentelemetry/semantic-conventions/incubating';
import pino from 'pino';
import { loggerOptions } from '../../../runtime/src/server/logger';
import { GEN_AI, GEN_AI_OPERATION, GEN_AI_PROVIDER } from '../../../runtime/src/telemetry/conventions';
import { parseTelemetry } from '../../../runtime/src/contract';
import { registerTracing, startTelemetry } from '../../../runtime/src/telemetry/sdk';

describe('GenAI names', () => {
  it('are the semantic conventions\' current ones', () => {
    expect(GEN_AI).toEqual({
      operationName: semconv.ATTR_GEN_AI_OPERATION_NAME,
      providerName: semconv.ATTR_GEN_AI_PROVIDER_NAME,
      agentName: semconv.ATTR_GEN_AI_AGENT_NAME,
      agentDescription: semconv.ATTR_GEN_AI_AGENT_DESCRIPTION,
      conversationId: semconv.ATTR_GEN_AI_CONVERSATION_ID,
      requestModel: semconv.ATTR_GEN_AI_REQUEST_MODEL,
      requestTemperature: semconv.ATTR_GEN_AI_REQUEST_TEMPERATURE,
      responseModel: semconv.ATTR_GEN_AI_RESPONSE_MODEL,
      responseFinishReasons: semconv.ATTR_GEN_AI_RESPONSE_FINISH_REASONS,
      usageInputTokens: semconv.ATTR_GEN_AI_USAGE_INPUT_TOKENS,
      usageOutputTokens: semconv.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
      toolName: semconv.ATTR_GEN_AI_TOOL_NAME,
      toolType: semconv.ATTR_GEN_AI_TOOL_TYPE,
      toolCallId: semconv.ATTR_GEN_AI_TOOL_CALL_ID,
      toolCallArguments: semconv.ATTR_GEN_AI_TOOL_CALL_ARGUMENTS,
      toolCallResult: semconv.ATTR_GEN_AI_TOOL_CALL_RESULT,
      inputMessages: semconv.ATTR_GEN_AI_INPUT_MESSAGES,
      outputMessages: semconv.ATTR_GEN_AI_OUTPUT_MESSAGES,
      embeddingsDimensionCount: semconv.ATTR_GEN_AI_EMBEDDINGS_DIMENSION_COUNT,
      errorType: semconv.ATTR_ERROR_TYPE,
    });
    expect(GEN_AI_OPERATION).toEqual({
      invokeAgent: semconv.GEN_AI_OPERATION_NAME_VALUE_INVOKE_AGENT,
      chat: semconv.GEN_AI_OPERATION_NAME_VALUE_CHAT,
      executeTool: semconv.GEN_AI_OPERATION_NAME_VALUE_EXECUTE_TOOL,
      embeddings: semconv.GEN_AI_OPERATION_NAME_VALUE_EMBEDDINGS,
    });
    expect(GEN_AI_PROVIDER['vertex-gemini']).toBe(semconv.GEN_AI_PROVIDER_NAME_VALUE_GCP_VERTEX_AI);
    expect(GEN_AI_PROVIDER.openai).toBe(semconv.GEN_AI_PROVIDER_NAME_VALUE_OPENAI);
  });
});

describe('the SDK', () => {
  it('starts only when an OTLP endpoint is configured, and knows Google\'s', () => {
    const endpoint = (env: Record<string, string>) => parseTelemetry(env).config;
    expect(endpoint({})).toBeUndefined();
    expect(startTelemetry({})).toBeUndefined();
    expect(endpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' })).toEqual({ otlpEndpoint: 'http://127.0.0.1:4318', google: false });
    expect(endpoint({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://telemetry.googleapis.com/v1/traces', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://other' })).toEqual({
      otlpEndpoint: 'https://telemetry.googleapis.com/v1/traces',
      google: true,
    });
    expect(endpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', OTEL_SDK_DISABLED: 'true' })).toBeUndefined();
    expect(endpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', OTEL_TRACES_EXPORTER: 'none' })).toBeUndefined();
    expect(parseTelemetry({ OTEL_EXPORTER_OTLP_ENDPOINT: 'telemetry' }).problems).toEqual([{ path: 'OTEL_EXPORTER_OTLP_ENDPOINT', message: 'an http(s) URL of an OTLP endpoint' }]);
  });
});

describe('a log line', () => {
  const lines = () => {
    const written: Record<string, unknown>[] = [];
    const sink = new Writable({ write: (chunk, _encoding, done) => (written.push(JSON.parse(String(chunk))), done()) });
    return { written, logger: pino(loggerOptions('info', 'my-project'), sink) };
  };

  it('written within a span carries its trace in Cloud Logging\'s fields; outside one, none', async () => {
    const telemetry = registerTracing([new SimpleSpanProcessor({ exporter: new InMemorySpanExporter() })]);
    try {
      const { written, logger } = lines();
      logger.info('before');
      const ids = trace.getTracer('test').startActiveSpan('work', (span) => {
        logger.info('within');
        span.end();
        return span.spanContext();
      });
      expect(written[0]).not.toHaveProperty(['logging.googleapis.com/trace']);
      expect(written[1]).toMatchObject({
        message: 'within',
        'logging.googleapis.com/trace': `projects/my-project/traces/${ids.traceId}`,
        'logging.googleapis.com/spanId': ids.spanId,
        'logging.googleapis.com/trace_sampled': true,
      });
    } finally {
      await telemetry.shutdown();
    }
  });
});
