import { join } from 'node:path';
import { AgentTeam } from '../../../runtime/src/agents/team';
import { createDefaultRegistry } from '../../../runtime/src/agents/registry';
import { TeamConfigError } from '../../../runtime/src/agents/errors';
import { ToolApprovalRequired } from '../../../runtime/src/agents/tools/approvals';
import { ToolLoadError } from '../../../runtime/src/agents/tools/toolset';
import type { TeamConfigInput } from '../../../runtime/src/agents/team-config';
import type { ChatMessage } from '../../../runtime/src/llm/types';
import { BIG_RESULT_CHARS, startMcpHttpServer } from '../../servers/mcp-server';
import { FakeLlm, embeddedMemory, offlineLlm } from './helpers';
import { lookups } from './fixtures/test-tools';

const FIXTURE = join(__dirname, 'fixtures', 'test-tools.ts');
const MCP_SERVER = join(__dirname, '..', '..', 'servers', 'mcp-server.ts');

function team(tools: Record<string, unknown>): TeamConfigInput {
  return { id: 'tools', coordinator: 'worker', agents: [{ name: 'worker', type: 'llm', config: { systemPrompt: 'You use tools.', tools } }] };
}
const message = { conversationId: 'c1', content: 'go' };
const toolMessages = (llm: FakeLlm, call: number) => llm.calls[call].request.messages.filter((m): m is Extract<ChatMessage, { role: 'tool' }> => m.role === 'tool');

describe('function tools', () => {
  it('validates arguments before the call and returns the error to the model, naming the field', async () => {
    lookups.length = 0;
    const llm = FakeLlm.script({ toolCalls: [{ name: 'lookup', arguments: { city: 'P', extra: 1 } }] }, { toolCalls: [{ name: 'lookup', arguments: { city: 'Paris' } }] }, { text: 'done' });
    const t = await AgentTeam.create(team({ functions: [{ module: FIXTURE }] }), { ...embeddedMemory(), llm, registry: createDefaultRegistry() });
    const result = await t.processMessage(message);
    expect(result.reply.content).toBe('done');
    const first = JSON.parse(toolMessages(llm, 1)[0].content);
    expect(first.is_error).toBe(true);
    expect(first.error).toMatch(/\/city: must NOT have fewer than 2 characters/);
    expect(first.error).toMatch(/\/extra: must NOT have additional properties/);
    expect(toolMessages(llm, 2)[1].content).toBe('{"city":"Paris","population":1234}');
    expect(lookups).toEqual([{ city: 'Paris' }]);
    expect(llm.calls[0].request.tools?.map((d) => d.name)).toEqual(['lookup', 'transfer_money']);
    const steps = result.trace.filter((s) => s.action === 'tool-call');
    expect(steps.map((s) => s.tool)).toEqual(['lookup', 'lookup']);
    expect(steps[1].detail).toContain('population');
    await t.close();
  });

  it('leaves arguments and results out of the trace with redactToolContent', async () => {
    const llm = FakeLlm.script({ toolCalls: [{ name: 'lookup', arguments: { city: 'Secretville' } }] }, { text: 'done' });
    const t = await AgentTeam.create(team({ functions: [{ module: FIXTURE }], redactToolContent: true }), { ...embeddedMemory(), llm, registry: createDefaultRegistry() });
    const result = await t.processMessage(message);
    expect(JSON.stringify(result.trace)).not.toContain('Secretville');
    expect(result.trace.find((s) => s.action === 'tool-call')).toMatchObject({ tool: 'lookup', detail: 'lookup: ok' });
  });

  it('stops after maxRounds and asks for an answer without tools', async () => {
    const llm = new FakeLlm((request) => (request.toolChoice === 'none' ? { text: 'gave up' } : { toolCalls: [{ name: 'lookup', arguments: { city: 'Rome' } }] }));
    const t = await AgentTeam.create(team({ functions: [{ module: FIXTURE }], maxRounds: 2 }), { ...embeddedMemory(), llm, registry: createDefaultRegistry() });
    const result = await t.processMessage(message);
    expect(result.reply.content).toBe('gave up');
    expect(llm.calls).toHaveLength(3);
  });

  it.each([
    ['module-not-found', { module: './nope' }, 'agents[0].config.tools.functions[0].module'],
    ['export-not-found', { module: FIXTURE, export: 'missing' }, 'agents[0].config.tools.functions[0].export'],
    ['invalid-tool', { module: FIXTURE, export: 'notATool' }, 'agents[0].config.tools.functions[0].export'],
    ['invalid-schema', { module: FIXTURE, export: 'badSchema' }, 'agents[0].config.tools.functions[0].export'],
    ['duplicate-name', { module: FIXTURE, export: 'twice' }, 'agents[0].config.tools.functions[0].export'],
  ])('refuses the team with a typed error: %s', async (reason, entry, path) => {
    const failure = await AgentTeam.create(team({ functions: [entry] }), { ...embeddedMemory(), llm: offlineLlm(), registry: createDefaultRegistry() }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(TeamConfigError);
    expect((failure as TeamConfigError).problems[0].path).toBe(path);
    expect(((failure as TeamConfigError).cause as ToolLoadError).reason).toBe(reason);
  });

  it('stops the run at a tool that requires approval, and resumes it with the decision', async () => {
    const llm = new FakeLlm((request) => {
      const last = request.messages.at(-1) as ChatMessage;
      return last.role === 'tool' ? { text: `model saw: ${last.content}` } : { toolCalls: [{ name: 'transfer_money', arguments: { account: 'ACC-1' } }] };
    });
    const deps = { ...embeddedMemory(), llm, registry: createDefaultRegistry() };
    const t = await AgentTeam.create(team({ functions: [{ module: FIXTURE }] }), deps);
    const stopped = (await t.processMessage(message).catch((e: unknown) => e)) as ToolApprovalRequired;
    expect(stopped).toBeInstanceOf(ToolApprovalRequired);
    expect(stopped.paused.pendingCall).toMatchObject({ name: 'transfer_money', arguments: { account: 'ACC-1' } });
    const run = { ...stopped.paused, runId: 'r', teamId: 'tools', clientConversationId: 'c1', createdAt: new Date().toISOString() };
    const approved = await t.resumeApproval(run, { approve: true });
    expect(approved.reply.content).toBe('model saw: transferred to ACC-1');
    const refused = await t.resumeApproval(run, { approve: false, reason: 'not today' });
    expect(refused.reply.content).toContain('refused by the person asked to approve it: not today');
    expect(refused.trace[0]).toMatchObject({ action: 'tool-call', tool: 'transfer_money' });
  });
});

describe('MCP tools', () => {
  const stdio = { name: 'local', stdio: { command: process.execPath, args: [MCP_SERVER], env: { MCP_TEST_STDIO: '1' } } };

  it('lists a stdio server\'s tools with their schemas, prefixed, and calls them; a throw, a hang and an oversized result come back as results', async () => {
    const llm = FakeLlm.script(
      { toolCalls: [{ name: 'local__add', arguments: { a: 2, b: 3 } }, { name: 'local__fail', arguments: {} }, { name: 'local__hang', arguments: {} }, { name: 'local__big', arguments: {} }, { name: 'local__add', arguments: { a: 'two' } }] },
      { text: 'all done' },
    );
    const t = await AgentTeam.create(team({ mcp: [stdio], timeoutMs: 300, maxResultChars: 1000 }), { ...embeddedMemory(), llm, registry: createDefaultRegistry() });
    try {
      const result = await t.processMessage(message);
      expect(result.reply.content).toBe('all done');
      const tools = llm.calls[0].request.tools ?? [];
      expect(tools.map((d) => d.name)).toEqual(['local__add', 'local__fail', 'local__hang', 'local__big', 'local__whoami']);
      expect(tools[0].parameters).toMatchObject({ type: 'object', required: ['a', 'b'] });
      const [add, fail, hang, big, invalid] = toolMessages(llm, 1).map((m) => m.content);
      expect(add).toBe('5');
      expect(JSON.parse(fail)).toEqual({ is_error: true, error: expect.stringContaining('failed on purpose') });
      expect(JSON.parse(hang)).toEqual({ is_error: true, error: 'timed out after 300 ms' });
      expect(big.length).toBeLessThanOrEqual(1000);
      expect(big).toContain(`[truncated: the first 1000 of ${BIG_RESULT_CHARS} characters]`);
      expect(JSON.parse(invalid).error).toMatch(/\/a: must be number/);
      const steps = result.trace.filter((s) => s.action === 'tool-call');
      expect(steps.map((s) => s.tool)).toEqual(['local__add', 'local__fail', 'local__hang', 'local__big', 'local__add']);
      expect(steps[1].detail).toMatch(/failed/);
    } finally {
      await t.close();
    }
  });

  it('calls a streamable HTTP server with headers from the environment', async () => {
    const server = await startMcpHttpServer();
    process.env.ORCH_TEST_MCP_TOKEN = 's3cret';
    const llm = FakeLlm.script({ toolCalls: [{ name: 'remote__whoami', arguments: {} }, { name: 'remote__add', arguments: { a: 1, b: 1 } }] }, { text: 'ok' });
    const http = { name: 'remote', http: { url: server.url, headers: { Authorization: { env: 'ORCH_TEST_MCP_TOKEN', prefix: 'Bearer ' } } } };
    const t = await AgentTeam.create(team({ mcp: [http] }), { ...embeddedMemory(), llm, registry: createDefaultRegistry() });
    try {
      await t.processMessage(message);
      expect(toolMessages(llm, 1).map((m) => m.content)).toEqual(['Bearer s3cret', '2']);
    } finally {
      await t.close();
      await server.close();
      delete process.env.ORCH_TEST_MCP_TOKEN;
    }
  });

  it('refuses the team when a server cannot be reached, naming the field', async () => {
    const failure = await AgentTeam.create(team({ mcp: [{ name: 'gone', http: { url: 'http://127.0.0.1:1/mcp' } }] }), { ...embeddedMemory(), llm: offlineLlm(), registry: createDefaultRegistry() }).catch((e: unknown) => e);
    expect((failure as TeamConfigError).problems[0].path).toBe('agents[0].config.tools.mcp[0].http');
  });
});
