import type { TeamConfigInput } from '../../runtime/src/agents';

/**
 * A coordinator and one LLM member that takes "explain…" messages: the smallest team whose replies
 * go through a model call the test controls (hanging, held or scripted models).
 */
export const RESEARCHER_TEAM: TeamConfigInput = {
  id: 'default',
  coordinator: 'coordinator',
  agents: [
    { name: 'coordinator', type: 'coordinator' },
    { name: 'researcher', type: 'llm', capabilities: ['explain'], config: { systemPrompt: 'You are the researcher.' } },
  ],
};
