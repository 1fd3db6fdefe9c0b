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
          'Earlier in this conversation (oldest first):\n- [2026-03-01 12:00 UTC] user: Hello\n- [2026-03-01 12:00 UTC] assistant: Hi! How can I help?',
          'Possibly relevant, from memory:\n- [2026-03-01 12:00 UTC] fact: The user sails on weekends\n- [2026-03-01 12:00 UTC] note: untitled',
        ].join('\n\n'),
      },
      // Remembered turns carry when they were said (UTC, to the minute), so "when did…" can be
      // answered; the assistant's own turns do not, lest a model start writing dates itself.
      { role: 'user', content: '[2026-03-01 12:00 UTC] What causes tides?' },
      { role: 'assistant', content: 'Mostly the moon.' },
      { role: 'user', content: '[2026-03-01 12:00 UTC] a note without a role' },
      { role: 'user', content: 'And the moon?' },
    ]);
  });

  it('cuts long background items, not the recent turns', () => {
    const long = 'x'.repeat(1500);
    const memory: MemoryContext = { recent: [item('r1', long, 'user')], related: [item('o1', long, 'user')], semantic: [], degraded: [] };
    const [system, recent] = contextMessages('P', memory, message);
    expect(system.content).toBe(`P\n\nEarlier in this conversation (oldest first):\n- [2026-03-01 12:00 UTC] user: ${'x'.repeat(1000)}…`);
    expect(recent.content).toBe(`[2026-03-01 12:00 UTC] ${long}`);
  });

  it('dates each item by its createdAt, the same whatever the time zone, and shows a time that does not parse as given', () => {
    const memory: MemoryContext = {
      recent: [{ ...item('r1', 'I moved to Lyon', 'user'), createdAt: '2025-07-14T23:59:59.999+02:00' }],
      related: [],
      semantic: [{ item: { ...item('f1', 'Likes rye', 'fact'), createdAt: 'yesterday' }, score: 1 }],
      degraded: [],
    };
    const [system, recent] = contextMessages('P', memory, message);
    expect(recent.content).toBe('[2025-07-14 21:59 UTC] I moved to Lyon');
    expect(system.content).toBe('P\n\nPossibly relevant, from memory:\n- [yesterday] fact: Likes rye');
  });

  it('dates an item by when it happened (occurredAt) when it says so, not by when it was stored', () => {
    const memory: MemoryContext = {
      recent: [{ ...item('r1', 'We opened the bakery', 'user'), createdAt: '2026-03-01T12:00:00.000Z', occurredAt: '2019-05-03T08:30:00.000Z' }],
      related: [],
      semantic: [],
      degraded: [],
    };
    expect(contextMessages('P', memory, message)[1].content).toBe('[2019-05-03 08:30 UTC] We opened the bakery');
  });
});
