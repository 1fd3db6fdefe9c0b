import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { AgentDirectory, TeamDirectory } from '../deps';
import { commonErrors } from '../schemas';

const Listing = Type.Object({
  agents: Type.Array(Type.Object({ name: Type.String(), description: Type.String(), capabilities: Type.Array(Type.String()) })),
  teams: Type.Array(
    Type.Object({ id: Type.String(), description: Type.Optional(Type.String()), coordinator: Type.String(), agents: Type.Array(Type.String()) }),
  ),
});

const agentRoutes: FastifyPluginAsyncTypebox<{ agents: AgentDirectory; teams: TeamDirectory }> = async (app, options) => {
  app.get('/agents', { schema: { summary: 'Registered agent types and the teams built from them', response: { 200: Listing, ...commonErrors } } }, async () => ({
    agents: options.agents.list().map((a) => ({ name: a.name, description: a.description, capabilities: [...a.capabilities] })),
    teams: options.teams.describe().map((t) => ({ ...t, agents: [...t.agents] })),
  }));
};

export default agentRoutes;
