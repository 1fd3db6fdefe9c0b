// A message's budget over HTTP (issue 14, "Budgets"): the request may lower the team's limits,
// never raise them (a 422 naming the field), and the answer, JSON or the SSE `done` event, carries
// the run's usage and budget as the OpenAPI document says.
import { join } from 'node:path';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifyInstance } from 'fastify';
import { AgentTeam, createDefaultRegistry, loadTeamConfig } from '../../../runtime/src/agents';
import { parseRuntimeConfig } from '../../../runtime/src/contract';
import type { RoutedStreamPart } from '../../../runtime/src/llm/types';
import { buildApp } from '../../../runtime/src/server/app';
import { embeddedMemory } from '../agents/helpers';
import { ScriptedStreamLlm, parseEvents, routedResult } from './event-stream-helpers';

const TEAMS_DIR = join(__dirname, '../../../runtime/teams');
const URL = '/v1/teams/default/messages';
const PLAN = { conversationId: 'launch', content: 'Plan the steps for our launch' };
const USAGE = { inputTokens: 40, outputTokens: 12 };
const TEAM_LIMIT = 50_000;

async function* answer(): AsyncGenerator<RoutedStreamPart> {
  yield { type: 'text-delta', text: '1. Launch.' };
  yield { type: 'finish', result: { ...routedResult('1. Launch.'), usage: USAGE } };
}

let app: FastifyInstance;
let llm: ScriptedStreamLlm;

beforeEach(async () => {
  llm = new ScriptedStreamLlm(answer);
  const { memory } = embeddedMemory();
  const config = await loadTeamConfig(join(TEAMS_DIR, 'default.yaml'));
  const team = await AgentTeam.create({ ...config, budget: { maxTokens: TEAM_LIMIT, maxOutputTokens: 500 } }, { registry: createDefaultRegistry(), memory, llm });
  app = await buildApp(
    { config: parseRuntimeConfig({}), memory, teams: { get: (id) => (id === 'default' ? team : undefined), describe: () => [] }, agents: { list: () => [] } },
    { logger: false },
  );
});
afterEach(() => app.close());

/** Validates against the 200 answer's schema as /docs/json publishes it. */
async function answerSchema() {
  const doc = (await app.inject('/docs/json')).json();
  const reply = doc.paths['/v1/teams/{teamId}/messages'].post.responses['200'].content['application/json'].schema;
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  return { doc, validate: ajv.compile({ ...reply, components: doc.components }) };
}

describe('a message with a budget', () => {
  it("answers with the run's usage and budget, as the document describes them", async () => {
    const res = await app.inject({ method: 'POST', url: URL, payload: { ...PLAN, budget: { maxTokens: 20_000 } } });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.usage).toEqual({ ...USAGE, calls: 1 });
    expect(body.budget).toEqual({ limits: { maxTokens: 20_000 }, used: { tokens: 52 }, reserved: { tokens: 0 } });
    expect(body.trace.find((s: { action: string }) => s.action === 'llm-call').usage).toEqual(USAGE);
    // The team's default output bound went out with the call, so its reservation held.
    expect(llm.requests[0].maxOutputTokens).toBe(500);
    const { validate } = await answerSchema();
    expect(validate(body) ? [] : validate.errors).toEqual([]);
  });

  it('sends the same usage in the SSE done event', async () => {
    const json = (await app.inject({ method: 'POST', url: URL, payload: PLAN })).json();
    const res = await app.inject({ method: 'POST', url: URL, headers: { accept: 'text/event-stream' }, payload: { ...PLAN, conversationId: 'launch-2' } });
    const done = parseEvents(res.body).find((e) => e.event === 'done')?.data as Record<string, unknown>;
    expect(done.usage).toEqual({ ...USAGE, calls: 1 });
    expect(done.usage).toEqual(json.usage);
    expect(done.budget).toEqual({ limits: { maxTokens: TEAM_LIMIT }, used: { tokens: 52 }, reserved: { tokens: 0 } });
  });

  it("refuses a budget above the team's with a 422 naming the field and the limit, before any model call", async () => {
    const res = await app.inject({ method: 'POST', url: URL, payload: { ...PLAN, budget: { maxTokens: TEAM_LIMIT + 1 } } });
    expect(res.statusCode).toBe(422);
    expect(res.json().error).toEqual({
      code: 'ORCH_BUDGET_REFUSED',
      message: `budget refused: body.budget.maxTokens: at most the team's limit (${TEAM_LIMIT})`,
      details: { problems: [{ path: 'body.budget.maxTokens', message: `at most the team's limit (${TEAM_LIMIT})` }] },
    });
    expect(llm.requests).toHaveLength(0);
  });

  it('refuses a malformed budget by its schema', async () => {
    for (const budget of [{ maxTokens: 0 }, { maxTokens: 1.5 }, { maxCost: 0 }, { maxTokens: 10, extra: 1 }]) {
      const res = await app.inject({ method: 'POST', url: URL, payload: { ...PLAN, budget } });
      expect([res.statusCode, res.json().error.details.problems[0].path]).toEqual([400, expect.stringMatching(/^body\.budget/)]);
    }
  });

  it('stops a run its budget cannot cover with a 200 that says why, valid against the document', async () => {
    const res = await app.inject({ method: 'POST', url: URL, payload: { ...PLAN, budget: { maxTokens: 501 } } });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(llm.requests).toHaveLength(0);
    expect(body.budget.stoppedBecause).toMatchObject({ agent: 'planner', remaining: { tokens: 501 }, message: expect.stringMatching(/^budget exhausted/) });
    expect(body.usage).toEqual({ inputTokens: 0, outputTokens: 0, calls: 0 });
    expect(body.degraded).toEqual([expect.stringMatching(/^agent planner: failed \(budget-exhausted\)/)]);
    const { doc, validate } = await answerSchema();
    expect(validate(body) ? [] : validate.errors).toEqual([]);
    // The request body documents the field for clients (and fuzzers) to send.
    const requestBody = doc.paths['/v1/teams/{teamId}/messages'].post.requestBody.content['application/json'].schema;
    expect(requestBody.properties.budget).toMatchObject({
      type: 'object',
      additionalProperties: false,
      properties: { maxTokens: { type: 'integer', minimum: 1 }, maxCost: { type: 'number', exclusiveMinimum: 0 } },
    });
  });
});
