import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { grpc } from 'google-gax';
import { LlmError, VertexGeminiModel, collectStream, type ChatRequest, type StreamPart, type ToolDefinition, type VertexGeminiModelOptions } from '../../../runtime/src/llm';
import { startVertexServer, type VertexServer } from '../../servers/vertex-server';
import { waitFor } from '../../helpers/wait';

// The Google clients must never look for a metadata server here (it would wait for timeouts).
process.env.METADATA_SERVER_DETECTION = 'none';

const PROJECT = 'orchestra-test';
const REGION = 'us-central1';
const MODEL_PATH = `projects/${PROJECT}/locations/${REGION}/publishers/google/models/gemini-test`;
const ROOT = path.resolve(__dirname, '../../..');

let server: VertexServer;
const open: VertexGeminiModel[] = [];

function model(overrides: Partial<VertexGeminiModelOptions> = {}): VertexGeminiModel {
  const m = new VertexGeminiModel({
    project: PROJECT,
    region: REGION,
    model: 'gemini-test',
    apiHost: server.host,
    clientOptions: { sslCreds: grpc.credentials.createInsecure() },
    ...overrides,
  });
  open.push(m);
  return m;
}

const weather: ToolDefinition = {
  name: 'get_weather',
  description: 'Weather for a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};

async function failure(promise: Promise<unknown>): Promise<LlmError> {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  if (!(err instanceof LlmError)) throw new Error(`expected an LlmError, got ${String(err)}`);
  return err;
}

// The credentials guard runs in a child process (an unhandled rejection would take jest down); it starts with the file.
let guarded: Promise<{ code: number; stdout: string; stderr: string }>;

beforeAll(async () => {
  guarded = runWithoutCredentials();
  server = await startVertexServer({ indexName: 'unused', indexEndpointName: 'unused', deployedIndexId: 'unused' });
});
afterAll(async () => server.stop());
beforeEach(() => server.clearRequests());
afterEach(async () => {
  await Promise.all(open.splice(0).map((m) => m.close()));
});

describe('VertexGeminiModel request mapping', () => {
  it('maps system, roles, tool calls and results, tools, tool choice and generation settings', async () => {
    const request: ChatRequest = {
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'system', content: 'Use metric units.' },
        { role: 'user', content: 'weather in Porto and Braga?' },
        {
          role: 'assistant',
          content: 'Checking.',
          toolCalls: [
            { id: 'c1', name: 'get_weather', arguments: { city: 'Porto' }, providerMetadata: { 'vertex-gemini': { thoughtSignature: Buffer.from('sig-1').toString('base64') } } },
            { id: 'c2', name: 'get_weather', arguments: { city: 'Braga' } },
          ],
        },
        { role: 'tool', toolCallId: 'c1', content: '{"temp": 21}' },
        { role: 'tool', toolCallId: 'c2', content: 'sunny' },
      ],
      tools: [weather],
      toolChoice: { name: 'get_weather' },
      temperature: 0.5,
      maxOutputTokens: 64,
      responseFormat: { type: 'json', schema: { type: 'object', properties: { answer: { type: 'string' } } } },
    };
    await model().doChat(request);
    expect(server.requestsOf('GenerateContent')).toEqual([
      {
        model: MODEL_PATH,
        systemInstruction: { role: '', parts: [{ text: 'Be brief.\n\nUse metric units.' }] },
        contents: [
          { role: 'user', parts: [{ text: 'weather in Porto and Braga?' }] },
          {
            role: 'model',
            parts: [
              { text: 'Checking.' },
              { functionCall: { name: 'get_weather', args: { city: 'Porto' } }, thoughtSignature: Buffer.from('sig-1').toString('base64') },
              { functionCall: { name: 'get_weather', args: { city: 'Braga' } } },
            ],
          },
          {
            role: 'user',
            parts: [
              { functionResponse: { name: 'get_weather', response: { temp: 21 } } },
              { functionResponse: { name: 'get_weather', response: { output: 'sunny' } } },
            ],
          },
        ],
        tools: [{ functionDeclarations: [{ name: 'get_weather', description: 'Weather for a city', parametersJsonSchema: weather.parameters }] }],
        toolConfig: { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['get_weather'] } },
        generationConfig: { temperature: 0.5, maxOutputTokens: 64, responseMimeType: 'application/json', responseJsonSchema: { type: 'object', properties: { answer: { type: 'string' } } } },
      },
    ]);
  });

  it.each([
    ['auto', 'AUTO'],
    ['none', 'NONE'],
    ['required', 'ANY'],
  ] as const)('tool choice %s → mode %s', async (choice, mode) => {
    await model().doChat({ messages: [{ role: 'user', content: 'hi' }], tools: [weather], toolChoice: choice });
    expect(server.requestsOf('GenerateContent')[0].toolConfig).toEqual({ functionCallingConfig: { mode, allowedFunctionNames: [] } });
  });

  it('sends nothing optional for a plain chat', async () => {
    await model().doChat({ messages: [{ role: 'user', content: 'hi' }] });
    expect(server.requestsOf('GenerateContent')).toEqual([{ model: MODEL_PATH, contents: [{ role: 'user', parts: [{ text: 'hi' }] }], tools: [] }]);
  });

  it('rejects a tool result that answers no call, without calling the API', async () => {
    const err = await failure(model().doChat({ messages: [{ role: 'user', content: 'x' }, { role: 'tool', toolCallId: 'ghost', content: 'r' }] }));
    expect(err).toMatchObject({ kind: 'bad-request', message: expect.stringContaining('tool result ghost answers no tool call') });
    expect(server.requestsOf('GenerateContent')).toEqual([]);
  });
});

describe('VertexGeminiModel response mapping', () => {
  it('maps text, usage and the model version', async () => {
    expect(await model().doChat({ messages: [{ role: 'system', content: 'sys' }, { role: 'user', content: 'hello there' }] })).toEqual({
      text: 'echo: hello there',
      toolCalls: [],
      finishReason: 'stop',
      usage: { inputTokens: 3, outputTokens: 3 },
      provider: 'vertex-gemini',
      model: 'gemini-test-001',
      warnings: [],
    });
  });

  it('maps MAX_TOKENS to length and a JSON answer to its text', async () => {
    const cut = await model().doChat({ messages: [{ role: 'user', content: 'one two three four' }], maxOutputTokens: 2 });
    expect(cut).toMatchObject({ text: 'echo: one two', finishReason: 'length' });
    const json = await model().doChat({ messages: [{ role: 'user', content: 'hi' }], responseFormat: { type: 'json' } });
    expect(JSON.parse(json.text)).toEqual({ echo: 'hi' });
  });

  it('maps a function call to a tool call with parsed arguments and its thought signature, which goes back on the next turn', async () => {
    const m = model();
    const messages: ChatRequest['messages'] = [{ role: 'user', content: 'use get_weather for Porto' }];
    const first = await m.doChat({ messages, tools: [weather] });
    expect(first).toMatchObject({ text: '', finishReason: 'tool-calls' });
    expect(first.toolCalls).toEqual([
      {
        id: expect.stringMatching(/^call_[0-9a-f-]{36}$/),
        name: 'get_weather',
        arguments: { query: 'use get_weather for Porto' },
        providerMetadata: { 'vertex-gemini': { thoughtSignature: Buffer.from('sig-get_weather').toString('base64') } },
      },
    ]);
    const [call] = first.toolCalls;
    const second = await m.doChat({ messages: [...messages, { role: 'assistant', content: '', toolCalls: first.toolCalls }, { role: 'tool', toolCallId: call.id, content: '21C' }], tools: [weather] });
    expect(second).toMatchObject({ text: 'function get_weather returned {"output":"21C"}', finishReason: 'stop', toolCalls: [] });
    const sentCall = server.requestsOf('GenerateContent')[1].contents[1].parts[0];
    expect(sentCall.thoughtSignature).toBe(Buffer.from('sig-get_weather').toString('base64'));
  });

  it('maps a blocked prompt to a content-filter error', async () => {
    expect(await failure(model().doChat({ messages: [{ role: 'user', content: 'BLOCK_ME' }] }))).toMatchObject({ kind: 'content-filter', message: expect.stringContaining('blocked (SAFETY)') });
  });
});

/** Every part of a stream, and the error it ended with (if it did). */
async function drain(stream: AsyncIterable<StreamPart>): Promise<{ parts: StreamPart[]; error?: unknown }> {
  const parts: StreamPart[] = [];
  try {
    for await (const part of stream) parts.push(part);
    return { parts };
  } catch (error) {
    return { parts, error };
  }
}

const deltas = (parts: StreamPart[]) => parts.flatMap((p) => (p.type === 'text-delta' ? [p.text] : []));
const hi = (content = 'hello there world'): ChatRequest => ({ messages: [{ role: 'user', content }] });

describe('VertexGeminiModel streaming (StreamGenerateContent)', () => {
  it('streams text deltas that join to the answer, then a finish with the last chunk\'s usage and the model version', async () => {
    const { parts, error } = await drain((await model().doStream(hi())).stream);
    expect(error).toBeUndefined();
    expect(deltas(parts)).toEqual(['echo: ', 'hello ', 'there ', 'world']);
    expect(parts.at(-1)).toEqual({ type: 'finish', finishReason: 'stop', usage: { inputTokens: 3, outputTokens: 4 }, provider: 'vertex-gemini', model: 'gemini-test-001', warnings: [] });
    expect(server.requestsOf('StreamGenerateContent')).toEqual([expect.objectContaining({ model: MODEL_PATH })]);
    expect(server.requestsOf('GenerateContent')).toEqual([]);
  });

  it('maps a function call chunk to a tool-call part and the finish to tool-calls; MAX_TOKENS to length', async () => {
    const { parts } = await drain((await model().doStream({ ...hi('use get_weather for Porto'), tools: [weather] })).stream);
    expect(parts).toEqual([
      {
        type: 'tool-call',
        toolCall: {
          id: expect.stringMatching(/^call_[0-9a-f-]{36}$/),
          name: 'get_weather',
          arguments: { query: 'use get_weather for Porto' },
          providerMetadata: { 'vertex-gemini': { thoughtSignature: Buffer.from('sig-get_weather').toString('base64') } },
        },
      },
      expect.objectContaining({ type: 'finish', finishReason: 'tool-calls' }),
    ]);
    const cut = await collectStream((await model().doStream({ ...hi('one two three four'), maxOutputTokens: 2 })).stream);
    expect(cut).toMatchObject({ text: 'echo: one two', finishReason: 'length' });
  });

  it('collectStream gives what doChat gives (tool call ids aside: Gemini sends none, each is made fresh)', async () => {
    expect(await collectStream((await model().doStream(hi())).stream)).toEqual(await model().doChat(hi()));
    const request = { ...hi('use get_weather for Porto'), tools: [weather] };
    const withoutIds = (r: { toolCalls: readonly object[] }) => ({ ...r, toolCalls: r.toolCalls.map((c) => ({ ...c, id: 'x' })) });
    expect(withoutIds(await collectStream((await model().doStream(request)).stream))).toEqual(withoutIds(await model().doChat(request)));
  });

  it('rejects a failure before the first chunk as doChat would: RESOURCE_EXHAUSTED → rate-limit, a blocked prompt → content-filter', async () => {
    server.failNext('StreamGenerateContent', grpc.status.RESOURCE_EXHAUSTED, 1, 'Quota exceeded');
    expect(await failure(model().doStream(hi()))).toMatchObject({ kind: 'rate-limit', retryable: true, message: expect.stringContaining('Quota exceeded') });
    expect(await failure(model().doStream(hi('BLOCK_ME')))).toMatchObject({ kind: 'content-filter', message: expect.stringContaining('blocked (SAFETY)') });
  });

  it('throws a retryable LlmError from the stream when it fails mid-way, after the deltas already sent', async () => {
    server.breakStreamNext(2, grpc.status.UNAVAILABLE, 'connection reset mid-stream');
    const { parts, error } = await drain((await model().doStream(hi())).stream);
    expect(deltas(parts)).toEqual(['echo: ', 'hello ']);
    expect(parts.some((p) => p.type === 'finish')).toBe(false);
    expect(error).toBeInstanceOf(LlmError);
    expect(error).toMatchObject({ kind: 'server', retryable: true, message: expect.stringContaining('connection reset mid-stream') });
  });

  it('cancels the call on the server on abort, and when the consumer leaves the loop', async () => {
    server.holdStreamNext(2);
    const controller = new AbortController();
    const { stream } = await model().doStream({ ...hi(), abortSignal: controller.signal });
    const parts: StreamPart[] = [];
    const err = await failure(
      (async () => {
        for await (const part of stream) {
          parts.push(part);
          if (deltas(parts).length === 2) controller.abort();
        }
      })(),
    );
    expect(err).toMatchObject({ kind: 'timeout', message: 'vertex-gemini gemini-test: the call was aborted' });
    await waitFor(() => server.cancelledStreams === 1);
    expect(server.cancelledStreams).toBe(1);

    server.holdStreamNext(2);
    for await (const part of (await model().doStream(hi())).stream) if (part.type === 'text-delta') break;
    await waitFor(() => server.cancelledStreams === 2);
    expect(server.cancelledStreams).toBe(2);
  });
});

describe('VertexGeminiModel error mapping', () => {
  it.each([
    ['RESOURCE_EXHAUSTED', 'rate-limit', grpc.status.RESOURCE_EXHAUSTED, 'Quota exceeded'],
    ['UNAVAILABLE', 'server', grpc.status.UNAVAILABLE, 'try again'],
    ['INTERNAL', 'server', grpc.status.INTERNAL, 'oops'],
    ['DEADLINE_EXCEEDED', 'timeout', grpc.status.DEADLINE_EXCEEDED, 'slow'],
    ['UNAUTHENTICATED', 'auth', grpc.status.UNAUTHENTICATED, 'no token'],
    ['PERMISSION_DENIED', 'auth', grpc.status.PERMISSION_DENIED, 'denied'],
    ['NOT_FOUND', 'not-found', grpc.status.NOT_FOUND, 'no such model'],
    ['INVALID_ARGUMENT (token limit)', 'context-window', grpc.status.INVALID_ARGUMENT, 'The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).'],
    ['INVALID_ARGUMENT', 'bad-request', grpc.status.INVALID_ARGUMENT, 'Unable to submit request because it has an empty text parameter.'],
  ] as const)('%s → %s', async (_label, kind, code, message) => {
    server.failNext('GenerateContent', code, 1, message);
    const err = await failure(model().doChat({ messages: [{ role: 'user', content: 'hi' }] }));
    expect(err).toMatchObject({ kind, details: { provider: 'vertex-gemini', model: 'gemini-test' }, message: expect.stringContaining(message) });
    expect(server.requestsOf('GenerateContent')).toHaveLength(1);
  });

  it('ends an aborted call at once, and a slow one at its gRPC deadline, as timeouts', async () => {
    // Short delays: closing the model (afterEach) waits for the abandoned call to end.
    server.delayNext('GenerateContent', 300, 2);
    const controller = new AbortController();
    const call = model().doChat({ messages: [{ role: 'user', content: 'hi' }], abortSignal: controller.signal });
    setTimeout(() => controller.abort(), 30);
    expect(await failure(call)).toMatchObject({ kind: 'timeout', message: 'vertex-gemini gemini-test: the call was aborted' });
    expect(await failure(model({ timeoutMs: 50 }).doChat({ messages: [{ role: 'user', content: 'hi' }] }))).toMatchObject({ kind: 'timeout', message: expect.stringContaining('DEADLINE_EXCEEDED') });
  });

  it('does not call the API when the signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    expect(await failure(model().doChat({ messages: [{ role: 'user', content: 'hi' }], abortSignal: controller.signal }))).toMatchObject({ kind: 'timeout' });
    expect(server.requestsOf('GenerateContent')).toEqual([]);
  });

  it('without credentials, a call fails with an auth error naming the fix, and nothing rejects unhandled', async () => {
    const { code, stdout, stderr } = await guarded;
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toContain('constructed');
    expect(stdout).toContain('auth: vertex-gemini gemini-test: could not set up the Vertex AI client: No usable Google Cloud credentials');
    expect(stdout).toContain('GOOGLE_APPLICATION_CREDENTIALS');
    expect(stdout).not.toContain('unhandledRejection');
  });
});

/** A model built and called under tsx with no Google credentials anywhere: HOME empty, no GOOGLE_* variables. */
async function runWithoutCredentials(): Promise<{ code: number; stdout: string; stderr: string }> {
  const home = await mkdtemp(path.join(os.tmpdir(), 'no-creds-'));
  const modelModule = JSON.stringify(path.join(ROOT, 'runtime/src/llm/vertex-gemini-model.ts'));
  const script = `
process.on('unhandledRejection', (reason) => { console.log('unhandledRejection: ' + String(reason)); process.exitCode = 3; });
async function main() {
  const { VertexGeminiModel } = await import(${modelModule});
  const model = new VertexGeminiModel({ project: 'p', region: 'us-central1', model: 'gemini-test', apiHost: '127.0.0.1:9', credentialsTimeoutMs: 3000 });
  console.log('constructed');
  await model.doChat({ messages: [{ role: 'user', content: 'hi' }] }).then(() => console.log('resolved'), (err) => console.log(err.kind + ': ' + err.message));
  await model.close();
}
// The wait gives stray client promises time to reject.
main().then(() => new Promise((r) => setTimeout(r, 300)), (err) => { console.log('main failed: ' + err); process.exitCode = 4; });
`;
  try {
    const file = path.join(home, 'script.ts');
    await writeFile(file, script);
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(GOOGLE_|GCLOUD|CLOUDSDK|GCE_)/.test(k)));
    Object.assign(env, { HOME: home, METADATA_SERVER_DETECTION: 'none' });
    return await new Promise((resolve) =>
      execFile(path.join(ROOT, 'node_modules/.bin/tsx'), [file], { cwd: ROOT, env, timeout: 10_000 }, (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
      ),
    );
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}
