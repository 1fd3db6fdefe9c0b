// `embeddings {model}` spans of an embedder calling a real HTTP server on loopback.
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { OpenAIEmbedder } from '../../../runtime/src/memory';
import { GEN_AI } from '../../../runtime/src/telemetry/conventions';
import { registerTracing } from '../../../runtime/src/telemetry/sdk';
import { type OpenAIServer, reply, startOpenAIServer } from '../../servers/openai-compatible-server';

const exporter = new InMemorySpanExporter();
const telemetry = registerTracing([new SimpleSpanProcessor({ exporter })]);
let server: OpenAIServer;

beforeAll(async () => {
  server = await startOpenAIServer();
});
afterAll(async () => {
  await server.stop();
  await telemetry.shutdown();
});

it('an embedding request is an embeddings span naming the model, the provider and the width, without the texts', async () => {
  server.enqueue(reply.embeddings({}));
  const embedder = new OpenAIEmbedder({ baseUrl: server.url, model: 'nomic-embed-text', dimensions: 8, apiKey: 'sk-test', maxRetries: 1 });
  await embedder.embed(['a private sentence'], 'document');
  const [span] = exporter.getFinishedSpans();
  expect(span.name).toBe('embeddings nomic-embed-text');
  expect(span.attributes).toEqual({
    [GEN_AI.operationName]: 'embeddings',
    [GEN_AI.providerName]: 'openai',
    [GEN_AI.requestModel]: 'nomic-embed-text',
    [GEN_AI.embeddingsDimensionCount]: 8,
  });
});
