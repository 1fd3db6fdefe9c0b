import { contextMessages } from '../../../runtime/src/agents';
import type { MemoryContext } from '../../../runtime/src/memory/manager';
import type { StoredItem } from '../../../runtime/src/memory/types';

const item = (id: string, content: string, role?: string): StoredItem => ({ id, content, role, conversationId: 'c1', createdAt: '2026-03-01T12:00:00.000Z' });
const message = { conversationId: 'c1', content: 'And the moon?' };

describe('contextMessages', () => {
  it('is the prompt and the message when memory is empty', () => {
    const memory: MemoryContext = { recent: [], related: [], semantic: [], degraded: [] };
    expect(contextMessages('Be brief.', memory, message)).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'And the moon?' },
    ]);
  });

  it('puts older turns and recalled items in the system message, once each, and recent turns as turns', () => {
    const memory: MemoryContext = {
      recent: [item('r1', 'What causes tides?', 'user'), item('r2', 'Mostly the moon.', 'assistant'), item('r3', 'a note without a role')],
      // newest first, as the manager returns them
      related: [item('o2', 'Hi! How can I help?', 'assistant'), item('o1', 'Hello', 'user')],
      semantic: [
        { item: item('r1', 'What causes tides?', 'user'), score: 0.9 },
        { item: item('o1', 'Hello', 'user'), score: 0.5 },
        { item: item('f1', 'The user sails on weekends', 'fact'), score: 0.4 },
        { item: { ...item('f2', 'untitled'), role: undefined }, score: 0.3 },
      ],
      degraded: [],
    };
    expect(contextMessages('Be brief.', memory, message)).toEqual([
      {
        role: 'system',
        content: [
          'Be brief.',
          'Earlier in this conversation (oldest first):\n- user: Hello\n- assistant: Hi! How can I help?',
          'Possibly relevant, from memory:\n- fact: The user sails on weekends\n- note: untitled',
        ].join('\n\n'),
      },
      { role: 'user', content: 'What causes tides?' },
      { role: 'assistant', content: 'Mostly the moon.' },
      { role: 'user', content: 'a note without a role' },
      { role: 'user', content: 'And the moon?' },
    ]);
  });

  it('cuts long background items, not the recent turns', () => {
    const long = 'x'.repeat(1500);
    const memory: MemoryContext = { recent: [item('r1', long, 'user')], related: [item('o1', long, 'user')], semantic: [], degraded: [] };
    const [system, recent] = contextMessages('P', memory, message);
    expect(system.content).toBe(`P\n\nEarlier in this conversation (oldest first):\n- user: ${'x'.repeat(1000)}…`);
    expect(recent.content).toBe(long);
  });
});
