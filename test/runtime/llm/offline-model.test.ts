import { LlmError, OfflineModel, collectStream, type ChatRequest, type StreamPart, type ToolDefinition } from '../../../runtime/src/llm';

const model = new OfflineModel();

const tools: ToolDefinition[] = [
  {
    name: 'search_memory',
    description: 'Search the long-term memory for earlier facts',
    parameters: { type: 'object', properties: { query: { type: 'string' }, limit: { type: 'integer' } }, required: ['query'] },
  },
  {
    name: 'get_weather',
    description: 'Current weather for a city',
    parameters: { type: 'object', properties: { city: { type: 'string' }, units: { type: 'string', enum: ['metric', 'imperial'] } }, required: ['city', 'units'] },
  },
];

describe('OfflineModel', () => {
  it('answers offline, echoing a summary of the last user message, the same way every time', async () => {
    const request: ChatRequest = { messages: [{ role: 'user', content: 'Plan   a\ntrip to Lisbon' }] };
    const first = await model.doChat(request);
    expect(first).toEqual({
      text: '[offline model] You said: "Plan a trip to Lisbon".',
      toolCalls: [],
      finishReason: 'stop',
      usage: { inputTokens: 5, outputTokens: 9 },
      provider: 'offline',
      model: 'offline',
      warnings: [],
    });
    expect(await model.doChat(request)).toEqual(first);
  });

  it('shows it saw the context: the system prompt and the earlier turns', async () => {
    const result = await model.doChat({
      messages: [
        { role: 'system', content: 'Relevant memory: the user prefers trains.' },
        { role: 'user', content: 'hello' },
        { role: 'assistant', content: 'hi' },
        { role: 'user', content: 'book a trip' },
      ],
    });
    expect(result.text).toBe('[offline model] You said: "book a trip". I was given a system prompt of 41 characters and 2 earlier messages.');
  });

  // Remembered turns come dated (runtime/src/llm/dated-text.ts); quoting them shows recall offline.
  describe('answering from memory', () => {
    const system = [
      'You are the assistant.',
      'Earlier in this conversation (oldest first):',
      '- [2026-01-05 09:00 UTC] user: We open the second shop in March',
      '- [2026-01-05 09:01 UTC] assistant: [offline model] You said: "name and bakery"',
      '',
      'Possibly relevant, from memory:',
      '- [2026-01-02 08:00 UTC] fact: The bakery is called Pain de Dana',
      '- an undated line about the bakery name',
    ].join('\n');
    const ask = (question: string) =>
      model.doChat({
        messages: [
          { role: 'system', content: system },
          { role: 'user', content: '[2026-01-06 10:30 UTC] My name is Dana and I run a bakery in Lyon.' },
          { role: 'assistant', content: 'Noted: a bakery and a name.' },
          { role: 'user', content: question },
        ],
      });

    it('quotes the dated turns sharing the most words with the question, best first, with their dates', async () => {
      const result = await ask('What is my name and where is my bakery?');
      expect(result.text).toBe(
        '[offline model] You said: "What is my name and where is my bakery?". From memory, ' +
          'on 2026-01-06 10:30 UTC: "My name is Dana and I run a bakery in Lyon."; on 2026-01-02 08:00 UTC: "fact: The bakery is called Pain de Dana". ' +
          `I was given a system prompt of ${system.length} characters and 2 earlier messages.`,
      );
      expect((await ask('What is my name and where is my bakery?')).text).toBe(result.text);
    });

    it('leaves out its own earlier answers, undated lines and the assistant turns', async () => {
      const result = await ask('Which name?');
      expect(result.text).toMatch(/^\[offline model\] You said: "Which name\?"\. From memory, on 2026-01-06 10:30 UTC: "My name is Dana and I run a bakery in Lyon\."\. I was given/);
    });

    it('echoes the message, as without memory, when no remembered turn shares a word', async () => {
      expect((await ask('Tell me a joke')).text).toMatch(/^\[offline model\] You said: "Tell me a joke"\. I was given/);
    });
  });

  it('cuts a long message to a short summary', async () => {
    const result = await model.doChat({ messages: [{ role: 'user', content: 'word '.repeat(100) }] });
    expect(result.text).toMatch(/^\[offline model\] You said: "(word ){15}word…"\.$/);
  });

  it('calls the tool whose name and description share the most words with the message, with a schema-shaped argument', async () => {
    const result = await model.doChat({ messages: [{ role: 'user', content: 'What is the weather in Porto?' }], tools });
    expect(result.finishReason).toBe('tool-calls');
    expect(result.toolCalls).toEqual([{ id: 'offline-call-1', name: 'get_weather', arguments: { city: 'What is the weather in Porto?', units: 'metric' } }]);
    const memory = await model.doChat({ messages: [{ role: 'user', content: 'search my memory for earlier trips' }], tools });
    expect(memory.toolCalls).toEqual([{ id: 'offline-call-1', name: 'search_memory', arguments: { query: 'search my memory for earlier trips' } }]);
  });

  it('under auto calls no tool when no word matches; required picks one anyway; none never calls', async () => {
    const messages = [{ role: 'user' as const, content: 'Tell me a joke' }];
    expect((await model.doChat({ messages, tools })).toolCalls).toEqual([]);
    expect((await model.doChat({ messages, tools, toolChoice: 'required' })).toolCalls.map((c) => c.name)).toEqual(['search_memory']);
    const weather = [{ role: 'user' as const, content: 'weather please' }];
    expect((await model.doChat({ messages: weather, tools, toolChoice: 'none' })).toolCalls).toEqual([]);
  });

  it('calls a forced tool, and rejects a forced tool that is not offered', async () => {
    const messages = [{ role: 'user' as const, content: 'weather in Porto' }];
    const result = await model.doChat({ messages, tools, toolChoice: { name: 'search_memory' } });
    expect(result.toolCalls).toEqual([{ id: 'offline-call-1', name: 'search_memory', arguments: { query: 'weather in Porto' } }]);
    await expect(model.doChat({ messages, tools, toolChoice: { name: 'nope' } })).rejects.toMatchObject({ kind: 'bad-request' });
  });

  it('after a tool result, answers with text that includes the result', async () => {
    const result = await model.doChat({
      messages: [
        { role: 'user', content: 'weather in Porto' },
        { role: 'assistant', content: '', toolCalls: [{ id: 'c1', name: 'get_weather', arguments: { city: 'Porto' } }] },
        { role: 'tool', toolCallId: 'c1', content: '{"temp": 21, "sky": "clear"}' },
      ],
      tools,
    });
    expect(result).toMatchObject({ finishReason: 'stop', toolCalls: [], text: '[offline model] Tool get_weather returned: {"temp": 21, "sky": "clear"}' });
  });

  it('answers JSON when asked: an object shaped by the schema, or { reply }', async () => {
    const messages = [{ role: 'user' as const, content: 'route this' }];
    const plain = await model.doChat({ messages, responseFormat: { type: 'json' } });
    expect(JSON.parse(plain.text)).toEqual({ reply: '[offline model] You said: "route this".' });
    const schema = { type: 'object', properties: { agent: { type: 'string', enum: ['planner', 'writer'] }, confidence: { type: 'number' } }, required: ['agent', 'confidence'] };
    const shaped = await model.doChat({ messages, responseFormat: { type: 'json', schema } });
    expect(JSON.parse(shaped.text)).toEqual({ agent: 'planner', confidence: 0 });
  });

  it('honours an already aborted signal and reports its own model id', async () => {
    const named = new OfflineModel({ modelId: 'stub-1' });
    expect((await named.doChat({ messages: [{ role: 'user', content: 'x' }] })).model).toBe('stub-1');
    const controller = new AbortController();
    controller.abort();
    const call = named.doChat({ messages: [{ role: 'user', content: 'x' }], abortSignal: controller.signal });
    await expect(call).rejects.toBeInstanceOf(LlmError);
    await expect(call).rejects.toMatchObject({ kind: 'timeout' });
  });
});

describe('OfflineModel streaming', () => {
  const request: ChatRequest = {
    messages: [
      { role: 'system', content: 'Background:\n- [2026-03-01 12:00 UTC] The launch is planned for Lisbon in May' },
      { role: 'user', content: 'When is the launch in Lisbon?' },
    ],
  };

  it('streams doChat\'s text in word-sized deltas, then the same finish; collectStream gives doChat\'s result', async () => {
    const parts: StreamPart[] = [];
    for await (const part of (await model.doStream(request)).stream) parts.push(part);
    const chat = await model.doChat(request);
    const deltas = parts.flatMap((p) => (p.type === 'text-delta' ? [p.text] : []));
    expect(deltas.join('')).toBe(chat.text);
    expect(deltas.length).toBe(chat.text.split(' ').length);
    expect(deltas.every((d) => d.trim().split(/\s+/).length === 1)).toBe(true);
    expect(parts.at(-1)).toEqual({ type: 'finish', finishReason: 'stop', usage: chat.usage, provider: 'offline', model: 'offline', warnings: [] });
    expect(await collectStream((await model.doStream(request)).stream)).toEqual(chat);
  });

  it('streams a tool call as one tool-call part', async () => {
    const withTools: ChatRequest = { messages: [{ role: 'user', content: 'weather in Porto, metric' }], tools, toolChoice: { name: 'get_weather' } };
    const parts: StreamPart[] = [];
    for await (const part of (await model.doStream(withTools)).stream) parts.push(part);
    const chat = await model.doChat(withTools);
    expect(parts).toEqual([{ type: 'tool-call', toolCall: chat.toolCalls[0] }, expect.objectContaining({ type: 'finish', finishReason: 'tool-calls' })]);
  });

  it('stops with a timeout LlmError when aborted mid-stream, and rejects when aborted before', async () => {
    const controller = new AbortController();
    const { stream } = await model.doStream({ ...request, abortSignal: controller.signal });
    const seen: StreamPart[] = [];
    const run = (async () => {
      for await (const part of stream) {
        seen.push(part);
        controller.abort();
      }
    })();
    await expect(run).rejects.toMatchObject({ kind: 'timeout' });
    expect(seen).toHaveLength(1);
    await expect(model.doStream({ ...request, abortSignal: controller.signal })).rejects.toMatchObject({ kind: 'timeout' });
  });

  it('collectStream rethrows the stream\'s error, and calls a stream without finish a server error', async () => {
    async function* broken(): AsyncGenerator<StreamPart> {
      yield { type: 'text-delta', text: 'partial' };
      throw new LlmError('network', 'cut');
    }
    async function* unfinished(): AsyncGenerator<StreamPart> {
      yield { type: 'text-delta', text: 'partial' };
    }
    await expect(collectStream(broken())).rejects.toMatchObject({ kind: 'network', message: 'cut' });
    await expect(collectStream(unfinished())).rejects.toMatchObject({ kind: 'server' });
  });
});
