/** An app whose team `bank` has a tool that requires approval; shared by the approval tests (embedded and FerretDB). */
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { AgentTeam } from '../../../runtime/src/agents/team';
import { TeamCatalog } from '../../../runtime/src/agents/team-catalog';
import { createDefaultRegistry } from '../../../runtime/src/agents/registry';
import { RuntimeSettings as S, parseRuntimeConfig } from '../../../runtime/src/contract';
import type { ChatMessage } from '../../../runtime/src/llm/types';
import { EmbeddedLongTermStore } from '../../../runtime/src/memory/long-term/embedded-long-term';
import { LayeredMemoryManager } from '../../../runtime/src/memory/manager';
import type { MidTermStore } from '../../../runtime/src/memory/types';
import { EmbeddedShortTermStore } from '../../../runtime/src/memory/short-term/embedded-short-term';
import { buildApp } from '../../../runtime/src/server/app';
import type { TeamDirectory } from '../../../runtime/src/server/deps';
import { FakeLlm } from '../agents/helpers';

const FIXTURE = join(__dirname, '..', 'agents', 'fixtures', 'test-tools.ts');
export const ACME_KEY = 'acme-key-0123456789abcdef';
export const GLOBEX_KEY = 'globex-key-0123456789abcdef';
const env = {
  [S.environment]: 'staging',
  [S.apiKeys]: `acme=${ACME_KEY},globex=${GLOBEX_KEY}`,
  [S.llmConfig]: JSON.stringify({ deployments: [{ name: 'offline', provider: 'offline', model: 'offline' }], allowOfflineOnly: true }),
};
export const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

function directory(catalog: TeamCatalog): TeamDirectory {
  return { get: (id) => catalog.get(id), describe: () => catalog.list().map((t) => ({ id: t.id, coordinator: t.coordinator, agents: t.members.map((m) => m.name) })) };
}

/** The model asks for a transfer, then says what the tool result was. */
const transferLlm = () =>
  new FakeLlm((request) => {
    const last = request.messages.at(-1) as ChatMessage;
    return last.role === 'tool' ? { text: `model saw: ${last.content}` } : { toolCalls: [{ name: 'transfer_money', arguments: { account: 'ACC-9' } }] };
  });

/** An app instance over `midTerm`: two of them over one store are two instances of a service, or one before and after a restart. */
export async function instance(midTerm: MidTermStore): Promise<FastifyInstance> {
  const memory = new LayeredMemoryManager({ shortTerm: new EmbeddedShortTermStore(), midTerm, longTerm: new EmbeddedLongTermStore() });
  const deps = { memory, llm: transferLlm(), registry: createDefaultRegistry() };
  const t = await AgentTeam.create(
    { id: 'bank', coordinator: 'teller', agents: [{ name: 'teller', type: 'llm', config: { systemPrompt: 'You move money.', tools: { functions: [{ module: FIXTURE }] } } }] },
    deps,
  );
  const catalog = new TeamCatalog([t]);
  const app = await buildApp({ config: parseRuntimeConfig(env), memory, teams: directory(catalog), agents: { list: () => [] } }, { logger: false });
  app.addHook('onClose', async () => catalog.close());
  return app;
}

