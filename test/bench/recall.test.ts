import { parseRuntimeConfig } from '../../runtime/src/contract';
import { createMemory } from '../../runtime/src/memory/create-memory';
import { terms } from '../../runtime/src/memory/long-term/lexical';
import { BM25_B, BM25_K1, Bm25Index } from '../../bench/recall/bm25';
import { relativeDate } from '../../bench/recall/calendar';
import { EVENT_KINDS, FACT_KINDS, FILLERS, GREETINGS, MULTI_SESSION_KINDS, type Draw } from '../../bench/recall/catalogue';
import { askAll, datasetFigures, figures, staleFirst, storeTurns, summarize, type Answer, type Retriever } from '../../bench/recall/evaluate';
import { MIN_SESSIONS, QUESTION_TYPES, generateDataset, type Dataset, type Question, type Turn } from '../../bench/recall/generator';
import { estimateTokens, lexicalOverlap, percentile, recallAt } from '../../bench/recall/metrics';
import { bm25Retriever, memoryRetriever } from '../../bench/recall/retrievers';
import { SeededRandom } from '../../bench/recall/seeded-random';
import { fill, slotNames } from '../../bench/recall/template';

// The recall benchmark's core (bench/recall.ts, `npm run bench:recall`): metrics checked on
// examples small enough to work out by hand, BM25 against its formula (Robertson and Zaragoza,
// "The Probabilistic Relevance Framework: BM25 and Beyond", 2009, with Lucene's non-negative idf),
// and the generator's promises (deterministic per seed, evidence that exists and says what the
// question asks). No timing is asserted: latencies are only reported.

const question = (id: string, evidence: string[], type: Question['type'] = 'single-hop'): Question => ({ id, tenantId: 't', type, kind: 'test', text: id, answer: '', evidence });
const answer = (q: Question, ranked: string[], tokens = 0): Answer => ({ question: q, ranked, tokens, ms: 1 });

describe('recall@k', () => {
  it('is the share of evidence turns among the first k results', () => {
    // Three turns, evidence t1 and t3, ranked t2, t1, t3.
    const ranked = ['t2', 't1', 't3'];
    expect(recallAt(1, ['t1', 't3'], ranked)).toBe(0);
    expect(recallAt(2, ['t1', 't3'], ranked)).toBe(0.5);
    expect(recallAt(3, ['t1', 't3'], ranked)).toBe(1);
    expect(recallAt(10, ['t1', 't3'], ranked)).toBe(1);
  });

  it('counts a missing result as not found, and refuses a question without evidence', () => {
    expect(recallAt(5, ['t1'], [])).toBe(0);
    expect(() => recallAt(5, [], ['t1'])).toThrow(/without evidence/);
  });

  it('is averaged over questions, overall and per question type', () => {
    const a = question('a', ['t1']);
    const b = question('b', ['t2', 't3'], 'multi-session');
    const c = question('c', ['t4'], 'temporal');
    // a found first; b one of two within 5, both within 10; c never.
    const answers = [answer(a, ['t1'], 10), answer(b, ['x', 'x', 'x', 't2', 'x', 'x', 't3'], 20), answer(c, ['x'], 30)];
    const summary = summarize(answers);
    expect(summary.overall.questions).toBe(3);
    expect(summary.overall.recall[5]).toBeCloseTo((1 + 0.5 + 0) / 3, 12);
    expect(summary.overall.recall[10]).toBeCloseTo((1 + 1 + 0) / 3, 12);
    expect(summary.overall.meanTokens).toBe(20);
    expect(summary.overall.meanReturned).toBeCloseTo((1 + 7 + 1) / 3, 12);
    expect(summary.byType['multi-session'].recall).toEqual({ 5: 0.5, 10: 1 });
    expect(summary.byType.temporal.recall).toEqual({ 5: 0, 10: 0 });
    expect(summary.byType.updated.questions).toBe(0);
  });
});

describe('stale answers to updated facts', () => {
  it('count when the superseded turn ranks above the current one, or the current one is missing', () => {
    const updated = (id: string): Question => ({ ...question(id, ['new'], 'updated'), superseded: ['old'] });
    const answers = [answer(updated('a'), ['old', 'new']), answer(updated('b'), ['new', 'old']), answer(updated('c'), ['old']), answer(updated('d'), []), answer(question('e', ['x']), ['old'])];
    expect(staleFirst(answers)).toEqual({ stale: 2, of: 4 });
  });
});

describe('the other figures', () => {
  it('percentiles are nearest-rank', () => {
    const sorted = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    expect(percentile(sorted, 0.5)).toBe(5);
    expect(percentile(sorted, 0.95)).toBe(10);
    expect(percentile([7], 0.95)).toBe(7);
    expect(percentile([], 0.5)).toBeNaN();
  });

  it('tokens are estimated as characters / 4, rounded up', () => {
    expect(estimateTokens('')).toBe(0);
    expect(estimateTokens('abcd')).toBe(1);
    expect(estimateTokens('abcde')).toBe(2);
  });

  it('lexical overlap is the share of the question’s terms found in its evidence', () => {
    // Terms of the question: cat, called (what, is, my are stop words).
    expect(lexicalOverlap('What is my cat called?', ['My cat is Miso'])).toBe(0.5);
    expect(lexicalOverlap('What is my cat called?', ['The cat is called Miso'])).toBe(1);
    expect(lexicalOverlap('Which pest damages my vegetables?', ['Slugs keep eating the lettuce'])).toBe(0);
  });

  it('figures of no answers are not numbers rather than zeros', () => {
    expect(figures([]).recall[10]).toBeNaN();
  });
});

describe('the BM25 baseline', () => {
  const index = new Bm25Index();
  index.add('d1', 'cat sat mat');
  index.add('d2', 'dog sat log');
  index.add('d3', 'cat cat dog');

  it('uses k1 = 1.2 and b = 0.75', () => {
    expect([BM25_K1, BM25_B]).toEqual([1.2, 0.75]);
  });

  it('scores by the formula: idf = ln(1 + (N - df + 0.5) / (df + 0.5)), tf saturating with k1', () => {
    // "cat": N = 3, df = 2; every document has 3 terms, so |d| / avgdl = 1 and the norm is tf + k1.
    const idf = Math.log(1 + (3 - 2 + 0.5) / (2 + 0.5));
    expect(index.idf('cat')).toBeCloseTo(idf, 12);
    const found = index.search('cat', 10);
    expect(found.map((m) => m.id)).toEqual(['d3', 'd1']);
    expect(found[0].score).toBeCloseTo((idf * 2 * 2.2) / (2 + 1.2), 12);
    expect(found[1].score).toBeCloseTo((idf * 1 * 2.2) / (1 + 1.2), 12);
  });

  it('tokenizes with the memory’s own terms(): stop words and case do not count', () => {
    expect(terms('The CAT')).toEqual(['cat']);
    expect(index.search('The CAT', 10)).toEqual(index.search('cat', 10));
  });

  it('normalizes by length: the same term counts less in a longer document', () => {
    const lengths = new Bm25Index();
    lengths.add('short', 'tomato soup');
    lengths.add('long', 'tomato soup with basil croutons cream pepper');
    const [first, second] = lengths.search('tomato', 2);
    expect([first.id, second.id]).toEqual(['short', 'long']);
    expect(first.score).toBeGreaterThan(second.score);
  });

  it('returns nothing for a query sharing no term, and honours the limit', () => {
    expect(index.search('elephant', 10)).toEqual([]);
    expect(index.search('sat dog cat', 2)).toHaveLength(2);
    expect(new Bm25Index().search('cat', 10)).toEqual([]);
  });
});

describe('the benchmark through the memory manager, on three hand-made turns', () => {
  const turn = (n: number, content: string): Turn => ({ id: `u1-s01-t0${n}`, tenantId: 'u1', conversationId: 'u1-s01', role: 'user', content, createdAt: '2024-03-01T10:00:00.000Z' });
  const turns = [turn(1, 'My cat is called Miso'), turn(2, 'The boiler was serviced in November'), turn(3, 'Slugs keep eating the lettuce')];
  const q = (id: string, text: string, evidence: string[]): Question => ({ id, tenantId: 'u1', type: 'single-hop', kind: 'test', text, answer: '', evidence });
  const dataset: Dataset = {
    options: { seed: 0, users: 1, sessionsPerUser: MIN_SESSIONS },
    sessions: [{ id: 'u1-s01', tenantId: 'u1', startedAt: '2024-03-01T10:00:00.000Z' }],
    turns,
    // Found by words it shares with its evidence; and one that shares none, found only by meaning.
    questions: [q('q1', 'what is my cat called?', ['u1-s01-t01']), q('q2', 'Which pest damages my vegetables?', ['u1-s01-t03'])],
  };

  it('stores every turn, asks every question, and scores each: BM25 finds by words only, the embedded default by meaning too', async () => {
    const memory = createMemory(parseRuntimeConfig({}).memory);
    await memory.init();
    try {
      await storeTurns(memory, dataset);
      const [byMemory, byBm25] = [await askAll(memoryRetriever(memory), dataset.questions), await askAll(bm25Retriever(dataset), dataset.questions)];
      for (const answers of [byMemory, byBm25]) {
        expect(answers[0].ranked[0]).toBe('u1-s01-t01');
        // The context is what came back: the cat turn's 21 characters, at least, for the first question.
        expect(answers[0].tokens).toBeGreaterThanOrEqual(estimateTokens(turns[0].content));
      }
      expect(byMemory[1].ranked[0]).toBe('u1-s01-t03');
      expect(summarize(byMemory).overall.recall).toEqual({ 5: 1, 10: 1 });
      expect(byBm25[1].ranked).not.toContain('u1-s01-t03');
      expect(summarize(byBm25).overall.recall).toEqual({ 5: 0.5, 10: 0.5 });
    } finally {
      await memory.close();
    }
  });

  it('keeps tenants apart: another user’s turns are never found', async () => {
    const memory = createMemory(parseRuntimeConfig({}).memory);
    await memory.init();
    try {
      const other: Dataset = { ...dataset, turns: [...turns, { ...turns[0], id: 'u2-s01-t01', tenantId: 'u2', conversationId: 'u2-s01' }] };
      await storeTurns(memory, other);
      for (const retriever of [memoryRetriever(memory), bm25Retriever(other)]) {
        const [first] = await askAll(retriever, [dataset.questions[0]]);
        expect(first.ranked).not.toContain('u2-s01-t01');
      }
    } finally {
      await memory.close();
    }
  });

  it('fails loudly when the memory answers degraded instead of scoring an empty context', async () => {
    const memory = createMemory(parseRuntimeConfig({}).memory);
    await memory.init();
    jest.spyOn(memory.layers.longTerm, 'search').mockRejectedValue(new Error('index unreachable'));
    try {
      await expect(memoryRetriever(memory).search(dataset.questions[0], 10)).rejects.toThrow(/degraded: long-term/);
    } finally {
      await memory.close();
    }
  });

  it('asks each question once more than measured only during warm-up, and measures each once', async () => {
    const asked: string[] = [];
    const counting: Retriever = { name: 'counting', search: async (qq) => (asked.push(qq.id), []) };
    const answers = await askAll(counting, dataset.questions, () => 0);
    expect(answers.map((a) => a.question.id)).toEqual(['q1', 'q2']);
    expect(asked).toEqual(['q1', 'q2', 'q1', 'q2']);
    expect(answers.every((a) => a.ms === 0 && a.ranked.length === 0)).toBe(true);
  });
});

describe('the generator', () => {
  const options = { seed: 7, users: 3, sessionsPerUser: 6 };
  const dataset = generateDataset(options);
  const turnById = new Map(dataset.turns.map((t) => [t.id, t]));

  it('is deterministic for a seed, and another seed gives other data', () => {
    expect(generateDataset(options)).toEqual(dataset);
    const other = generateDataset({ ...options, seed: 8 });
    expect(other.turns.map((t) => t.content)).not.toEqual(dataset.turns.map((t) => t.content));
  });

  it('adds users without changing the ones before them', () => {
    const fewer = generateDataset({ ...options, users: 2 });
    expect(dataset.turns.filter((t) => t.tenantId !== 'user-03')).toEqual(fewer.turns);
    expect(dataset.questions.filter((q) => q.tenantId !== 'user-03')).toEqual(fewer.questions);
  });

  it('makes the sizes asked for, with every question type', () => {
    const figures = datasetFigures(dataset);
    expect(figures.users).toBe(3);
    expect(figures.sessions).toBe(18);
    expect(new Set(dataset.turns.map((t) => t.conversationId)).size).toBe(18);
    for (const type of QUESTION_TYPES) expect({ type, some: figures.byType[type] > 0 }).toEqual({ type, some: true });
    expect(new Set(dataset.turns.map((t) => t.id)).size).toBe(dataset.turns.length);
    expect(new Set(dataset.questions.map((q) => q.id)).size).toBe(dataset.questions.length);
  });

  it('points every question at evidence that exists: the user’s own turns, in their own words', () => {
    for (const q of dataset.questions) {
      expect(q.evidence.length).toBeGreaterThan(0);
      for (const id of [...q.evidence, ...(q.superseded ?? [])]) {
        const turn = turnById.get(id);
        expect({ id, tenant: turn?.tenantId, role: turn?.role }).toEqual({ id, tenant: q.tenantId, role: 'user' });
      }
      // The answer is in the evidence (temporal answers are dates, told relatively; multi-session ones are lists).
      if (q.type === 'single-hop' || q.type === 'updated') {
        const said = q.evidence.map((id) => turnById.get(id)!.content).join(' ');
        expect({ q: q.text, said, has: said.includes(q.answer.replace(/ euros( a month)?$| minutes$|^Dr /g, '').split(' ')[0]) }).toEqual({ q: q.text, said, has: true });
      }
    }
  });

  it('puts an update after the turn it supersedes, and multi-session evidence in several sessions', () => {
    for (const q of dataset.questions.filter((x) => x.type === 'updated')) {
      const [now] = q.evidence.map((id) => turnById.get(id)!);
      const [before] = q.superseded!.map((id) => turnById.get(id)!);
      expect(before.createdAt < now.createdAt).toBe(true);
      expect(before.conversationId).not.toBe(now.conversationId);
    }
    for (const q of dataset.questions.filter((x) => x.type === 'multi-session')) {
      expect(new Set(q.evidence.map((id) => turnById.get(id)!.conversationId)).size).toBe(q.evidence.length);
      expect(q.evidence.length).toBeGreaterThanOrEqual(2);
    }
  });

  it('answers "when" questions with a day on or up to 25 days before the evidence was said (the furthest a phrase reaches)', () => {
    for (const q of dataset.questions.filter((x) => x.type === 'temporal')) {
      const said = turnById.get(q.evidence[0])!.createdAt.slice(0, 10);
      const days = (Date.parse(said) - Date.parse(q.answer)) / 86_400_000;
      expect({ q: q.id, days, ok: days >= 0 && days <= 25 }).toEqual({ q: q.id, days, ok: true });
    }
  });

  it('words questions unlike their evidence: about half share no term with it, few only its terms', () => {
    const larger = generateDataset({ seed: 1, users: 10, sessionsPerUser: 12 });
    const figures = datasetFigures(larger);
    expect(figures.noOverlap).toBeGreaterThan(0.3);
    expect(figures.noOverlap).toBeLessThan(0.7);
    expect(figures.meanOverlap).toBeLessThan(0.5);
    // "Who is my boss?" has one term, and "My boss Ulrich…" has it: short questions may; most do not.
    const content = new Map(larger.turns.map((t) => [t.id, t.content]));
    const whole = larger.questions.filter((q) => lexicalOverlap(q.text, q.evidence.map((id) => content.get(id)!)) === 1);
    expect(whole.length / larger.questions.length).toBeLessThan(0.15);
  });

  it('words every question it can with a word of its evidence when asked to, and none when not', () => {
    const shares = (sharedWording: number) => datasetFigures(generateDataset({ seed: 1, users: 5, sessionsPerUser: 12, sharedWording })).noOverlap;
    // Some kinds have no wording of the other sort for some statements: the shares are not exactly 0 and 1.
    expect(shares(1)).toBeLessThan(0.15);
    expect(shares(0)).toBeGreaterThan(0.85);
  });

  it('refuses sizes it cannot make, naming the option', () => {
    expect(() => generateDataset({ ...options, users: 0 })).toThrow(/users: expected a positive integer/);
    expect(() => generateDataset({ ...options, sessionsPerUser: MIN_SESSIONS - 1 })).toThrow(/sessionsPerUser: expected an integer of at least 4/);
    expect(() => generateDataset({ ...options, seed: 1.5 })).toThrow(/seed: expected an integer/);
    expect(() => generateDataset({ ...options, sharedWording: 1.5 })).toThrow(/sharedWording: expected a number from 0 to 1/);
  });
});

describe('the catalogue', () => {
  const random = new SeededRandom(42);
  const draw: Draw = { random, fresh: (pool) => random.pick(pool), freshOf: (pool) => random.pick(pool) };
  const renders = (templates: readonly string[], slots: Record<string, string>) => {
    for (const t of templates) {
      const text = fill(t, slots, random);
      expect({ t, text, unfilled: /[{}[\]]/.test(text) }).toEqual({ t, text, unfilled: false });
    }
  };

  it('gives every template of every kind the slots it names', () => {
    for (const kind of FACT_KINDS) {
      const slots = kind.draw(draw);
      expect(slots.answer).toBeTruthy();
      renders([...kind.statements, ...kind.questions, ...kind.distractors, ...kind.replies], slots);
      if (kind.update) {
        const next = kind.update.change(draw, slots);
        const old = Object.fromEntries(Object.entries(slots).map(([k, v]) => [`old${k.charAt(0).toUpperCase()}${k.slice(1)}`, v]));
        renders(kind.update.statements, { ...slots, ...next, ...old });
        renders(kind.update.questions, { ...slots, ...next });
      }
    }
    for (const kind of EVENT_KINDS) renders([...kind.statements, ...kind.questions, ...kind.distractors, ...kind.replies], { ...kind.draw(draw), when: 'yesterday' });
    for (const kind of MULTI_SESSION_KINDS) {
      const { parts, question: slots } = kind.draw(draw);
      parts.forEach((p, i) => renders(kind.parts[Math.min(i, kind.parts.length - 1)], p));
      renders([...kind.questions, ...kind.distractors], { ...parts[0], ...slots });
    }
    for (const filler of [...FILLERS, ...GREETINGS]) renders([...filler.user, ...filler.assistant], filler.draw(draw));
  });

  it('fills templates: one alternative, slots, capitals; a missing slot throws', () => {
    expect(fill('{^when} I saw {band}[ live|].', { when: 'yesterday', band: 'Moonwake' }, new SeededRandom(1))).toMatch(/^Yesterday I saw Moonwake( live)?\.$/);
    expect(slotNames('a {b} {^c}')).toEqual(['b', 'c']);
    expect(() => fill('{nope}', {}, new SeededRandom(1))).toThrow(/\{nope\}/);
  });
});

describe('relative dates', () => {
  // Sunday 10 March 2024, 15:00 UTC.
  const sunday = Date.UTC(2024, 2, 10, 15);
  const weekdays = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

  it('resolve to the day they mean, seen from the session', () => {
    const random = new SeededRandom(5);
    const seen = new Set<string>();
    for (let i = 0; i < 300; i++) {
      const { when, date } = relativeDate(random, sunday);
      const back = (Date.parse('2024-03-10') - Date.parse(date)) / 86_400_000;
      const weekday = weekdays[new Date(date).getUTCDay()];
      seen.add(when.replace(/^last \w+day$/, 'last <weekday>').replace(/^on the .*/, 'on the <date>'));
      if (when === 'yesterday') expect(back).toBe(1);
      else if (when === 'the day before yesterday') expect(back).toBe(2);
      else if (when === 'this morning') expect(back).toBe(0);
      else if (when === 'two weeks ago') expect(back).toBe(14);
      // On a Sunday, "last weekend" is the one before this one: Saturday 2 March.
      else if (when === 'last weekend') expect(date).toBe('2024-03-02');
      else if (when.startsWith('last ')) expect({ when, weekday, back: back >= 1 && back <= 6 }).toEqual({ when, weekday: when.slice(5), back: true });
      else expect(when).toBe(`on the ${new Date(date).getUTCDate()}${when.match(/\d+(st|nd|rd|th)/)![1]} of ${new Date(date).toLocaleString('en-GB', { month: 'long', timeZone: 'UTC' })}`);
    }
    expect(seen.size).toBe(7);
  });

  it('on a Monday, "last weekend" is the Saturday just gone', () => {
    const random = new SeededRandom(11);
    for (let i = 0; i < 200; i++) {
      const { when, date } = relativeDate(random, Date.UTC(2024, 2, 11, 9));
      if (when === 'last weekend') expect(date).toBe('2024-03-09');
    }
  });
});
