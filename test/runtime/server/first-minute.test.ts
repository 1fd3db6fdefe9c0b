// What a new user sees in the first minute (`npm start`, no key, the bundled default team):
// a plain message is answered, and a later question is answered from memory, with the date the
// fact was told (issue 12, item 6).
import { createService } from '../../../runtime/src/server/service';

describe('the first minute on the embedded defaults', () => {
  it('answers a plain statement, then recalls it with its date when asked', async () => {
    const { app } = await createService({}, { logger: false });
    try {
      const say = async (content: string) => {
        const response = await app.inject({ method: 'POST', url: '/v1/teams/default/messages', payload: { conversationId: 'dana', content } });
        expect(response.statusCode).toBe(200);
        return response.json();
      };
      const first = await say('My name is Dana and I run a bakery in Lyon.');
      expect(first.reply.agent).toBe('assistant');
      expect(first.reply.content).not.toMatch(/No member of this team matches/);

      const stored = await app.inject({ method: 'POST', url: '/v1/memory/search', payload: { query: 'Dana bakery', conversationId: 'dana' } });
      const told = (stored.json().recent as { role?: string; content: string; createdAt: string }[]).find((i) => i.role === 'user');
      expect(told?.content).toBe('My name is Dana and I run a bakery in Lyon.');

      const second = await say('What is my name and where is my bakery?');
      expect(second.reply).toMatchObject({ agent: 'assistant', provider: 'offline' });
      const day = told!.createdAt.slice(0, 10);
      expect(second.reply.content).toContain('Dana');
      expect(second.reply.content).toContain('Lyon');
      // The date the fact was told, as stored (createdAt), not the time of the question.
      expect(second.reply.content).toContain(`on ${day} ${told!.createdAt.slice(11, 16)} UTC`);
    } finally {
      await app.close();
    }
  });

  it('still routes a message a specialist matches to that specialist', async () => {
    const { app } = await createService({}, { logger: false });
    try {
      const response = await app.inject({ method: 'POST', url: '/v1/teams/default/messages', payload: { conversationId: 'c', content: 'Plan the steps for our launch' } });
      expect(response.json().reply.agent).toBe('planner');
    } finally {
      await app.close();
    }
  });
});
