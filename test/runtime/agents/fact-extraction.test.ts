/**
 * Memory extraction (issue 12, item 4), driven through a real router and OpenAI-compatible model
 * against the scripted local server: the extraction call asks for JSON output
 * (`response_format`, OpenAI's Structured Outputs: https://platform.openai.com/docs/guides/structured-outputs).
 */
import { join } from 'node:path';
import { AgentTeam, FACT_ROLE, TeamConfigError, createDefaultRegistry, type TeamConfigInput } from '../../../runtime/src/agents';
import { OpenAICompatibleModel } from '../../../runtime/src/llm/openai-compatible-model';
import { ModelRouter } from '../../../runtime/src/llm/router';
import type { LlmClient } from '../../../runtime/src/llm/types';
import { decodeScopedId } from '../../../runtime/src/memory/tenancy';
import type { StoredItem } from '../../../runtime/src/memory/types';
import { type OpenAIServer, reply, startOpenAIServer } from '../../servers/openai-compatible-server';
import { embeddedMemory, offlineLlm } from './helpers';

let server: OpenAIServer;
beforeAll(async () => {
  server = await startOpenAIServer();
});
afterAll(async () => server.stop());
beforeEach(() => server.reset());

const BASE: TeamConfigInput = {
  id: 'bakers',
  coordinator: 'assistant',
  agents: [{ name: 'assistant', type: 'llm', config: { systemPrompt: 'You are a helpful assistant.' } }],
};
const EXTRACTING: TeamConfigInput = { ...BASE, extraction: { enabled: true } };

function router(): ModelRouter {
  return new ModelRouter({
    deployments: [{ name: 'primary', model: new OpenAICompatibleModel({ baseUrl: server.url, model: 'model-primary', apiKey: 'sk-test' }) }],
    retries: 0,
  });
}

async function setup(config: TeamConfigInput, llm: LlmClient = router()) {
  const stores = embeddedMemory();
  const registry = createDefaultRegistry({ baseDir: join(__dirname, 'fixtures') });
  const team = await AgentTeam.create(config, { registry, memory: stores.memory, llm });
  return { team, ...stores };
}

const facts = (...list: string[]) => reply.text(JSON.stringify({ facts: list }));
/** The requests that asked for JSON output: extraction's. */
const extractionCalls = () => server.requests.filter((r) => r.body['response_format'] !== undefined);

async function factsOf(midTerm: ReturnType<typeof embeddedMemory>['midTerm'], conversationId: string, tenantId?: string): Promise<StoredItem[]> {
  const items = await midTerm.byConversation(conversationId, 100, tenantId);
  return items.filter((i) => i.role === FACT_ROLE);
}

describe('memory extraction', () => {
  it('stores the facts of a turn as HIGH items of the tenant, linked to the turns, retrievable from another conversation', async () => {
    const { team, memory, midTerm, shortTerm } = await setup(EXTRACTING);
    server.enqueue(reply.text('Nice to meet you, Dana!'), facts("The user's name is Dana.", 'The user runs a bakery in Lyon.'));

    const result = await team.processMessage({ conversationId: 'c1', tenantId: 'acme', content: 'My name is Dana and I run a bakery in Lyon.' });

    expect(result.reply.content).toBe('Nice to meet you, Dana!');
    expect(result.memory.degraded).toEqual([]);
    const [extraction] = extractionCalls();
    expect(extraction.body['response_format']).toMatchObject({ type: 'json_schema' });
    expect(JSON.stringify(extraction.body['messages'])).toContain('My name is Dana and I run a bakery in Lyon.');

    const turns = (await shortTerm.recent('c1', 10, 'acme')).filter((i) => i.role !== FACT_ROLE);
    expect(turns.map((t) => t.role)).toEqual(['user', 'assistant']);
    const stored = await factsOf(midTerm, 'c1', 'acme');
    expect(stored.map((f) => f.content).sort()).toEqual(["The user's name is Dana.", 'The user runs a bakery in Lyon.'].sort());
    for (const fact of stored) {
      expect(decodeScopedId(fact.id)?.tenant).toBe('acme');
      expect(fact).toMatchObject({ conversationId: 'c1', tenantId: 'acme', metadata: { sourceTurns: turns.map((t) => t.id), extractedBy: 'model-primary' } });
      expect(fact.occurredAt).toBe(turns[0].occurredAt);
    }
    // The trace shows the extraction call beside the answer's.
    expect(result.trace.filter((s) => s.agent === 'fact-extractor').map((s) => s.action)).toEqual(['llm-call']);

    const context = await memory.retrieveContext('Where is the bakery?', 'c2', { tenantId: 'acme' });
    expect(context.semantic.map((m) => m.item.content)).toContain('The user runs a bakery in Lyon.');
    const elsewhere = await memory.retrieveContext('Where is the bakery?', 'c2', { tenantId: 'globex' });
    expect(elsewhere.semantic).toEqual([]);
  });

  it("shows the next turn's model the facts as background, not as turns of the conversation", async () => {
    const { team } = await setup(EXTRACTING);
    server.enqueue(reply.text('Nice to meet you, Dana!'), facts("The user's name is Dana."), reply.text('You are Dana.'), facts());
    await team.processMessage({ conversationId: 'c1', content: 'My name is Dana.' });
    await team.processMessage({ conversationId: 'c1', content: 'What is my name?' });

    const answer = server.requests[2].body['messages'] as { role: string; content: string }[];
    expect(answer[0]).toMatchObject({ role: 'system', content: expect.stringContaining("fact: The user's name is Dana.") });
    expect(answer.slice(1).map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
    expect(answer.slice(1).some((m) => m.content.includes("The user's name is Dana."))).toBe(false);
  });

  it('merges a near-duplicate into the known fact (newer wording, both sources) and adds a different one', async () => {
    const { team, midTerm } = await setup(EXTRACTING);
    server.enqueue(reply.text('Noted.'), facts('Dana runs a bakery in Lyon.'));
    await team.processMessage({ conversationId: 'c1', tenantId: 'acme', content: 'I run a bakery in Lyon.' });
    const [first] = await factsOf(midTerm, 'c1', 'acme');

    server.enqueue(reply.text('Noted again.'), facts('Dana runs a bakery in Lyon, France.'));
    const second = await team.processMessage({ conversationId: 'c1', tenantId: 'acme', content: 'My bakery is in Lyon, France.' });
    expect(second.memory.degraded).toEqual([]);

    const merged = await factsOf(midTerm, 'c1', 'acme');
    expect(merged).toHaveLength(1);
    expect(merged[0]).toMatchObject({ id: first.id, content: 'Dana runs a bakery in Lyon, France.' });
    const sources = merged[0].metadata?.sourceTurns as string[];
    expect(sources).toHaveLength(4);
    expect(sources.slice(0, 2)).toEqual(first.metadata?.sourceTurns);

    // One word that matters apart is a different fact, not a duplicate.
    server.enqueue(reply.text('Two bakeries!'), facts('Dana runs a bakery in Paris, France.'));
    await team.processMessage({ conversationId: 'c1', tenantId: 'acme', content: 'I also run one in Paris.' });
    expect((await factsOf(midTerm, 'c1', 'acme')).map((f) => f.content).sort()).toEqual(['Dana runs a bakery in Lyon, France.', 'Dana runs a bakery in Paris, France.']);
  });

  it("does not merge with another tenant's fact", async () => {
    const { team, midTerm } = await setup(EXTRACTING);
    server.enqueue(reply.text('Noted.'), facts('Dana runs a bakery in Lyon.'), reply.text('Noted.'), facts('Dana runs a bakery in Lyon.'));
    await team.processMessage({ conversationId: 'c1', tenantId: 'acme', content: 'I run a bakery in Lyon.' });
    await team.processMessage({ conversationId: 'c1', tenantId: 'globex', content: 'I run a bakery in Lyon.' });
    const [acme] = await factsOf(midTerm, 'c1', 'acme');
    const [globex] = await factsOf(midTerm, 'c1', 'globex');
    expect(acme.id).not.toBe(globex.id);
    expect(decodeScopedId(globex.id)?.tenant).toBe('globex');
  });

  it('forgets the facts with their source conversation', async () => {
    const { team, memory, midTerm, longTerm } = await setup(EXTRACTING);
    server.enqueue(reply.text('Noted.'), facts('The user runs a bakery in Lyon.'));
    await team.processMessage({ conversationId: 'c1', tenantId: 'acme', content: 'I run a bakery in Lyon.' });
    expect(await factsOf(midTerm, 'c1', 'acme')).toHaveLength(1);
    expect(longTerm.size).toBe(1);

    await memory.forget({ conversationId: 'c1', tenantId: 'acme' });

    expect(await factsOf(midTerm, 'c1', 'acme')).toEqual([]);
    expect(longTerm.size).toBe(0);
    expect((await memory.retrieveContext('bakery in Lyon', 'c2', { tenantId: 'acme' })).semantic).toEqual([]);
  });

  it('is off by default: no extraction call, no facts', async () => {
    const { team, midTerm } = await setup(BASE);
    server.setDefault(reply.text('Hello Dana.'));
    const result = await team.processMessage({ conversationId: 'c1', content: 'My name is Dana.' });
    expect(result.reply.content).toBe('Hello Dana.');
    expect(server.requests).toHaveLength(1);
    expect(extractionCalls()).toEqual([]);
    expect(await factsOf(midTerm, 'c1')).toEqual([]);
  });

  it.each([
    ['not JSON', reply.text('Dana runs a bakery.'), /^extraction: the model's answer is not JSON/],
    ['JSON of the wrong shape', reply.text('{"facts": "Dana runs a bakery."}'), /^extraction: the model's answer is not \{"facts"/],
    ['a failed call', reply.serverError(), /^extraction: no model answered \(primary server\)/],
  ])('keeps the reply and says why when extraction gets %s', async (_case, answer, note) => {
    const { team, midTerm } = await setup(EXTRACTING);
    server.enqueue(reply.text('Nice to meet you.'), answer);
    const result = await team.processMessage({ conversationId: 'c1', content: 'My name is Dana.' });
    expect(result.reply.content).toBe('Nice to meet you.');
    expect(result.memory.degraded).toEqual([expect.stringMatching(note)]);
    expect(await factsOf(midTerm, 'c1')).toEqual([]);
    expect((await midTerm.byConversation('c1', 10)).map((i) => i.role).sort()).toEqual(['assistant', 'user']);
  });

  it('skips extraction with a note when only the offline model answers', async () => {
    const { team, midTerm } = await setup(EXTRACTING, offlineLlm());
    const result = await team.processMessage({ conversationId: 'c1', content: 'My name is Dana.' });
    expect(result.reply.content).toContain('[offline model]');
    expect(result.memory.degraded).toEqual([expect.stringMatching(/^extraction: skipped: the offline model cannot extract facts/)]);
    expect(await factsOf(midTerm, 'c1')).toEqual([]);
  });

  it('asks the deployment the config names', async () => {
    const llm = new ModelRouter({
      deployments: ['primary', 'extractor'].map((name) => ({ name, model: new OpenAICompatibleModel({ baseUrl: server.url, model: `model-${name}`, apiKey: 'sk-test' }) })),
      retries: 0,
    });
    const { team, midTerm } = await setup({ ...BASE, extraction: { enabled: true, deployment: 'extractor' } }, llm);
    server.enqueue(reply.text('Hi.'), facts("The user's name is Dana."));
    await team.processMessage({ conversationId: 'c1', content: 'My name is Dana.' });
    expect(extractionCalls().map((r) => r.body['model'])).toEqual(['model-extractor']);
    expect((await factsOf(midTerm, 'c1'))[0].metadata).toMatchObject({ extractedBy: 'model-extractor' });
  });
});

describe('extraction config', () => {
  it.each([
    [{ enabled: 'yes' }, 'extraction.enabled', /true or false/],
    [{ enabled: true, deployment: 'nowhere' }, 'extraction.deployment', /one of the router's deployments \(primary\)/],
    [{ enabled: true, mergeAbove: 1.5 }, 'extraction.mergeAbove', /cosine similarity from 0 to 1/],
    [{ enabled: true, model: 'gpt' }, 'extraction.model', /unknown field/],
    ['on', 'extraction', /mapping/],
  ])('refuses %j naming %s', async (extraction, path, message) => {
    const registry = createDefaultRegistry({ baseDir: join(__dirname, 'fixtures') });
    const create = AgentTeam.create({ ...BASE, extraction } as unknown as TeamConfigInput, { registry, memory: embeddedMemory().memory, llm: router() });
    await expect(create).rejects.toBeInstanceOf(TeamConfigError);
    await expect(create).rejects.toMatchObject({ problems: [{ path, message: expect.stringMatching(message) }] });
  });
});
