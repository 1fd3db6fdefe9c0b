/**
 * A seeded generator of multi-session conversations between users and an assistant, with facts
 * planted in them and questions about those facts whose evidence turns are known. Same seed and
 * sizes, same data set, on any machine. What it makes and why: README.md beside this file.
 */
import { DAY_MS, relativeDate } from './calendar';
import { EVENT_KINDS, FACT_KINDS, FILLERS, GENERIC_REPLIES, GREETINGS, LEAD_INS, MULTI_SESSION_KINDS, TAILS, type Draw, type Filler } from './catalogue';
import { SeededRandom } from './seeded-random';
import { lexicalOverlap } from './metrics';
import { fill, type Slots } from './template';

export const QUESTION_TYPES = ['single-hop', 'updated', 'temporal', 'multi-session'] as const;
/**
 * - single-hop: one fact, stated once;
 * - updated: a fact that changed later, asked as it is now (evidence: the turn that changed it;
 *   the turn it superseded is a distractor, listed in `superseded`);
 * - temporal: "when did…", answered by the date of the evidence turn and its relative wording;
 * - multi-session: evidence in two or three sessions (a collection told piece by piece, or a chain).
 */
export type QuestionType = (typeof QUESTION_TYPES)[number];

export interface Turn {
  readonly id: string;
  /** One user = one tenant. */
  readonly tenantId: string;
  /** One session = one conversation. */
  readonly conversationId: string;
  readonly role: 'user' | 'assistant';
  readonly content: string;
  /** ISO-8601: when it was said (the session's date, a minute or two per turn). */
  readonly createdAt: string;
}

export interface Question {
  readonly id: string;
  readonly tenantId: string;
  readonly type: QuestionType;
  /** The catalogue kind it was made from (for reading results, not for scoring). */
  readonly kind: string;
  readonly text: string;
  /** What a correct reply says (an ISO date for temporal questions). */
  readonly answer: string;
  /** Ids of the turns that hold the answer: recall is measured against these. */
  readonly evidence: readonly string[];
  /** Updated facts: the turn that stated the former value. */
  readonly superseded?: readonly string[];
}

export interface Session {
  readonly id: string;
  readonly tenantId: string;
  readonly startedAt: string;
}

export interface GeneratorOptions {
  readonly seed: number;
  readonly users: number;
  readonly sessionsPerUser: number;
  /** @default SHARED_WORDING_SHARE */
  readonly sharedWording?: number;
}

export const GENERATOR_DEFAULTS: GeneratorOptions = { seed: 1, users: 30, sessionsPerUser: 20 };

/**
 * Per user, one question each but for `toldFacts`: facts stated once, facts that change later,
 * facts only told (haystack with substance), events, multi-session items.
 */
export const PLANTED_PER_USER = { singleFacts: 5, updatedFacts: 3, toldFacts: 2, events: 4, multiSession: 2 } as const;
/**
 * Share of questions worded with at least one word of their evidence (a name, a topic noun: "When
 * did I see Moonwake?"), where the catalogue has such a wording; the others share none ("When
 * was the live music night I went to?"). Real questions mix both; all of the second kind would
 * leave word matching nothing to find, all of the first would make it look better than it is.
 * Half and half is a choice, not a measurement: `sharedWording` (RECALL_SHARED_WORDING) moves it.
 */
export const SHARED_WORDING_SHARE = 0.5;
/** Exchanges (a user turn and the assistant's reply) per session, before planted ones overflow it. */
const EXCHANGES_PER_SESSION = [5, 9] as const;
/** A session needs at least this many: a three-part collection spreads over three, an update over two. */
export const MIN_SESSIONS = 4;

export interface Dataset {
  readonly options: GeneratorOptions;
  readonly sessions: readonly Session[];
  readonly turns: readonly Turn[];
  readonly questions: readonly Question[];
}

const pad = (n: number) => String(n).padStart(2, '0');

/** One user's and the assistant's exchange, and the question it is evidence for, if any. */
interface Exchange {
  readonly user: string;
  readonly assistant: string;
  readonly plant?: string;
}

interface PendingQuestion {
  readonly type: QuestionType;
  readonly kind: string;
  /** The wordings it may take, and their slots: one is chosen once the evidence is worded. */
  readonly wordings: readonly string[];
  readonly slots: Slots;
  readonly answer: string;
  readonly evidence: readonly string[];
  readonly superseded?: readonly string[];
}

/** A per-user seed: adding users never changes the ones before them. */
function userSeed(seed: number, user: number): number {
  return (Math.imul(seed ^ 0x5bd1e995, 0x9e3779b1) + Math.imul(user + 1, 0x85ebca6b)) | 0;
}

function checkOptions(options: GeneratorOptions): void {
  const problems: string[] = [];
  if (!Number.isSafeInteger(options.seed)) problems.push(`seed: expected an integer, got ${options.seed}`);
  if (!(Number.isInteger(options.users) && options.users >= 1)) problems.push(`users: expected a positive integer, got ${options.users}`);
  if (!(Number.isInteger(options.sessionsPerUser) && options.sessionsPerUser >= MIN_SESSIONS)) problems.push(`sessionsPerUser: expected an integer of at least ${MIN_SESSIONS}, got ${options.sessionsPerUser}`);
  const shared = options.sharedWording ?? SHARED_WORDING_SHARE;
  if (!(shared >= 0 && shared <= 1)) problems.push(`sharedWording: expected a number from 0 to 1, got ${options.sharedWording}`);
  if (problems.length > 0) throw new RangeError(`generator options: ${problems.join('; ')}`);
}

export function generateDataset(options: GeneratorOptions = GENERATOR_DEFAULTS): Dataset {
  checkOptions(options);
  const sessions: Session[] = [];
  const turns: Turn[] = [];
  const questions: Question[] = [];
  for (let u = 0; u < options.users; u++) {
    const user = generateUser(`user-${pad(u + 1)}`, new SeededRandom(userSeed(options.seed, u)), options.sessionsPerUser, options.sharedWording ?? SHARED_WORDING_SHARE);
    sessions.push(...user.sessions);
    turns.push(...user.turns);
    questions.push(...user.questions);
  }
  return { options, sessions, turns, questions };
}

function generateUser(tenantId: string, random: SeededRandom, sessionCount: number, sharedWording: number): { sessions: Session[]; turns: Turn[]; questions: Question[] } {
  const used = new Set<string>();
  const draw: Draw = {
    random,
    fresh: (pool) => draw.freshOf(pool, (v) => v),
    freshOf: (pool, key) => {
      const left = pool.filter((v) => !used.has(key(v)));
      const value = random.pick(left.length > 0 ? left : pool);
      used.add(key(value));
      return value;
    },
  };

  // Session dates: a start in the first half of 2024, then every few days to three weeks.
  let at = Date.UTC(2024, 0, 1) + random.int(0, 180) * DAY_MS;
  const starts: number[] = [];
  for (let s = 0; s < sessionCount; s++) {
    at = Math.floor(at / DAY_MS) * DAY_MS + (s === 0 ? 0 : random.int(2, 20) * DAY_MS) + (random.int(7, 21) * 60 + random.int(0, 59)) * 60_000;
    starts.push(at);
  }
  const planned: Exchange[][] = starts.map(() => []);
  const pending: PendingQuestion[] = [];
  let plants = 0;
  const said = new Map<string, string>();
  const anySession = () => random.int(0, sessionCount - 1);
  /** Plants a user statement (with an on-topic reply) in `session`; returns its mark for the question. */
  const plant = (session: number, statement: string, slots: Slots, replies: readonly string[]): string => {
    const mark = `plant-${plants++}`;
    const user = `${random.pick(LEAD_INS)}${fill(statement, slots, random)}${random.pick(TAILS)}`;
    said.set(mark, user);
    planned[session].push({ user, assistant: fill(random.pick(replies), slots, random), plant: mark });
    return mark;
  };
  const distract = (templates: readonly string[], slots: Slots) => {
    for (let i = random.int(1, 2); i > 0; i--) planned[anySession()].push({ user: fill(random.pick(templates), slots, random), assistant: random.pick(GENERIC_REPLIES) });
  };

  const changing = random.sample(
    FACT_KINDS.filter((k) => k.update),
    PLANTED_PER_USER.updatedFacts,
  );
  for (const kind of changing) {
    const slots = kind.draw(draw);
    const update = kind.update!;
    distract(kind.distractors, slots);
    const first = random.int(0, sessionCount - 2);
    const stated = plant(first, random.pick(kind.statements), slots, kind.replies);
    const next = update.change(draw, slots);
    const old = Object.fromEntries(Object.entries(slots).map(([k, v]) => [`old${k.charAt(0).toUpperCase()}${k.slice(1)}`, v]));
    const updated = plant(random.int(first + 1, sessionCount - 1), random.pick(update.statements), { ...slots, ...next, ...old }, kind.replies);
    pending.push({ type: 'updated', kind: kind.key, wordings: update.questions, slots: { ...slots, ...next }, answer: next.answer, evidence: [updated], superseded: [stated] });
  }
  const steady = random.sample(
    FACT_KINDS.filter((k) => !changing.includes(k)),
    PLANTED_PER_USER.singleFacts + PLANTED_PER_USER.toldFacts,
  );
  steady.forEach((kind, i) => {
    const slots = kind.draw(draw);
    distract(kind.distractors, slots);
    const stated = plant(anySession(), random.pick(kind.statements), slots, kind.replies);
    if (i < PLANTED_PER_USER.singleFacts) pending.push({ type: 'single-hop', kind: kind.key, wordings: kind.questions, slots, answer: slots.answer, evidence: [stated] });
  });

  for (const kind of random.sample(EVENT_KINDS, PLANTED_PER_USER.events)) {
    const session = anySession();
    const { when, date } = relativeDate(random, starts[session]);
    const slots = { ...kind.draw(draw), when };
    const stated = plant(session, random.pick(kind.statements), slots, kind.replies);
    distract(kind.distractors, slots);
    pending.push({ type: 'temporal', kind: kind.key, wordings: kind.questions, slots, answer: date, evidence: [stated] });
  }

  for (const kind of random.sample(MULTI_SESSION_KINDS, PLANTED_PER_USER.multiSession)) {
    const { parts, question } = kind.draw(draw);
    // Distinct sessions, in order: a chain's first link is told first.
    const where = random.sample([...Array(sessionCount).keys()], parts.length).sort((a, b) => a - b);
    const marks = parts.map((slots, i) => plant(where[i], random.pick(kind.parts[Math.min(i, kind.parts.length - 1)]), slots, kind.replies));
    distract(kind.distractors, { ...parts[0], ...question });
    pending.push({ type: 'multi-session', kind: kind.key, wordings: kind.questions, slots: { ...parts[0], ...question }, answer: question.answer, evidence: marks });
  }

  // Each session: maybe a greeting, its planted exchanges in random order, everyday talk around them.
  const turnOf = new Map<string, string>();
  const sessions: Session[] = [];
  const turns: Turn[] = [];
  const exchange = (filler: Filler): Exchange => {
    const slots = filler.draw(draw);
    return { user: fill(random.pick(filler.user), slots, random), assistant: fill(random.pick(filler.assistant), slots, random) };
  };
  // Everyday exchanges are dealt from a shuffled deck: a user goes through every kind before asking
  // one again, and never asks the same kind twice in one session.
  let deck: Filler[] = [];
  const nextFiller = (taken: ReadonlySet<Filler>): Filler => {
    for (;;) {
      if (deck.length === 0) deck = random.shuffle(FILLERS);
      const filler = deck.pop()!;
      if (!taken.has(filler)) return filler;
    }
  };
  planned.forEach((plantedHere, s) => {
    const conversationId = `${tenantId}-s${pad(s + 1)}`;
    const exchanges = [...plantedHere];
    const target = random.int(...EXCHANGES_PER_SESSION);
    const here = new Set<Filler>();
    while (exchanges.length < target) {
      const filler = nextFiller(here);
      here.add(filler);
      exchanges.push(exchange(filler));
    }
    const ordered = [...(random.chance(0.6) ? [exchange(random.pick(GREETINGS))] : []), ...random.shuffle(exchanges)];
    sessions.push({ id: conversationId, tenantId, startedAt: new Date(starts[s]).toISOString() });
    let clock = starts[s];
    let n = 0;
    for (const { user, assistant, plant: mark } of ordered) {
      for (const [role, content] of [['user', user], ['assistant', assistant]] as const) {
        const id = `${conversationId}-t${pad(++n)}`;
        if (role === 'user' && mark) turnOf.set(mark, id);
        turns.push({ id, tenantId, conversationId, role, content, createdAt: new Date(clock).toISOString() });
        clock += random.int(20, 180) * 1000;
      }
    }
  });

  const questions = random.shuffle(pending).map((q, i): Question => {
    const ids = (marks: readonly string[]) => marks.map((m) => turnOf.get(m)!);
    const text = word(random, q.wordings, q.slots, q.evidence.map((m) => said.get(m)!), sharedWording);
    return { id: `${tenantId}-q${pad(i + 1)}`, tenantId, type: q.type, kind: q.kind, text, answer: q.answer, evidence: ids(q.evidence), ...(q.superseded ? { superseded: ids(q.superseded) } : {}) };
  });
  return { sessions, turns, questions };
}

/** One wording of a question: sharing a word with the evidence with probability `shared`, where both kinds exist. */
function word(random: SeededRandom, wordings: readonly string[], slots: Slots, evidence: readonly string[], shared: number): string {
  const texts = wordings.map((w) => fill(w, slots, random));
  const sharing = texts.filter((t) => lexicalOverlap(t, evidence) > 0);
  const apart = texts.filter((t) => lexicalOverlap(t, evidence) === 0);
  if (sharing.length === 0 || apart.length === 0) return random.pick(texts);
  return random.pick(random.chance(shared) ? sharing : apart);
}
