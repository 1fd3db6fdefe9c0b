import { grpc } from 'google-gax';
import { CONTINUE_INSTRUCTION, ModelRouter, OpenAICompatibleModel, VertexGeminiModel, type RoutedStreamPart } from '../../../runtime/src/llm';
import { reply, startOpenAIServer, type OpenAIServer } from '../../servers/openai-compatible-server';
import { startVertexServer, type VertexServer } from '../../servers/vertex-server';

// A Gemini stream cut mid-answer on the local Vertex server, continued by an OpenAI-compatible fallback.
let vertex: VertexServer;
let openai: OpenAIServer;
let gemini: VertexGeminiModel;

beforeAll(async () => {
  vertex = await startVertexServer({ indexName: 'unused', indexEndpointName: 'unused', deployedIndexId: 'unused' });
  openai = await startOpenAIServer();
  gemini = new VertexGeminiModel({
    project: 'test-project',
    region: 'us-central1',
    model: 'gemini-test',
    apiHost: vertex.host,
    clientOptions: { sslCreds: grpc.credentials.createInsecure() },
  });
});
afterAll(async () => {
  await gemini.close();
  await openai.stop();
  await vertex.stop();
});

it('continues a Gemini stream cut mid-answer on the fallback, sending no character twice', async () => {
  vertex.breakStreamNext(2, grpc.status.UNAVAILABLE, 'connection reset mid-stream');
  const router = new ModelRouter({
    deployments: [
      { name: 'gemini', model: gemini },
      { name: 'gpt', model: new OpenAICompatibleModel({ baseUrl: openai.url, model: 'gpt-test', apiKey: 'sk-vertex-stream-test' }) },
    ],
    retries: 0,
    fallbacks: { gemini: ['gpt'] },
  });
  const parts: RoutedStreamPart[] = [];
  // The fallback restarts the answer verbatim; the trimmer drops what was already sent.
  openai.enqueue(reply.text('echo: hello there, friend'));
  for await (const part of router.stream({ messages: [{ role: 'user', content: 'hello there, friend' }] })) parts.push(part);
  const text = parts.map((p) => (p.type === 'text-delta' ? p.text : '')).join('');
  const sent = 'echo: hello ';
  expect(text).toBe('echo: hello there, friend');
  expect(parts.find((p) => p.type === 'failover')).toEqual({ type: 'failover', from: 'gemini', to: 'gpt', reason: 'server', sentChars: sent.length });
  expect(openai.requests[0].body['messages']).toEqual([
    { role: 'user', content: 'hello there, friend' },
    { role: 'assistant', content: sent },
    { role: 'user', content: CONTINUE_INSTRUCTION },
  ]);
});
