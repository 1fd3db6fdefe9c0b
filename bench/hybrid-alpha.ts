// Benchmark (not a test): where the embedded store's fusion weight (`alpha`, dense vs BM25) should
// sit, on generated multi-session conversations, to choose EMBEDDED_HYBRID_ALPHA.
//
//   npx tsx bench/hybrid-alpha.ts
//   BENCH_SEEDS=5 BENCH_TENANTS=40 npx tsx bench/hybrid-alpha.ts
//
// Each tenant (a user) has sessions of chit-chat, assistant replies and planted facts: one fact
// per template, its slots (names, cities, codes, dates, amounts) drawn at random, and near-miss
// facts of the same templates about other people. Every planted fact has a question that
// paraphrases it (sharing a name or a code with it, or only a word or two, or nothing but the
// topic); the fact's turn is its evidence. Questions are asked within their tenant, and recall@k is
// the share of questions whose evidence is in the top k. Not the project's recall benchmark
// (`bench:recall`): a quick, seeded set to see the shape of the curve, written without looking at
// the held-out benchmark.

import { EmbeddedLongTermStore, FUSION_CANDIDATES } from '../runtime/src/memory/long-term/embedded-long-term';
import { defaultEmbeddingDimensions } from '../runtime/src/contract';
import type { StoredItem } from '../runtime/src/memory/types';

const SEEDS = Number(process.env.BENCH_SEEDS ?? 3);
const TENANTS = Number(process.env.BENCH_TENANTS ?? 20);
const SESSIONS = 8;
const TURNS_PER_SESSION = 24;

/** mulberry32: a small seeded generator, so every run of a seed is the same data. */
function generator(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)];
  const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1));
  return { next, pick, int };
}
type Random = ReturnType<typeof generator>;

const NAMES = ['Maria', 'Tomás', 'Aiko', 'Dana', 'Olu', 'Priya', 'Lars', 'Chen', 'Fatima', 'Jonas', 'Ingrid', 'Mateo', 'Yusuf', 'Keiko', 'Nadia', 'Ravi', 'Elena', 'Kofi', 'Sven', 'Lucía'];
const CITIES = ['Lyon', 'Porto', 'Osaka', 'Nairobi', 'Quito', 'Tallinn', 'Austin', 'Hobart', 'Gdańsk', 'Valparaíso', 'Leeds', 'Bergen', 'Kyoto', 'Accra'];
const RELATIVES = ['sister', 'brother', 'cousin', 'aunt', 'uncle', 'best friend', 'neighbour'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const DAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
const RESTAURANTS = ['Chez Paulette', 'the Golden Lotus', 'Osteria Nonna', 'Taquería Sol', 'the Blue Anchor', 'Sakura House'];
const INSTRUMENTS = ['cello', 'piano', 'violin', 'guitar', 'saxophone', 'drums'];
const MEDICINES = ['amoxicillin', 'ibuprofen', 'metformin', 'levothyroxine', 'cetirizine'];
const ALLERGENS = ['peanuts', 'shellfish', 'penicillin', 'cats', 'pollen', 'lactose'];
const CODENAMES = ['Bluebird', 'Nightjar', 'Kestrel', 'Marmot', 'Quokka', 'Halcyon'];
const GARAGES = ['Central Station', 'airport', 'shopping centre', 'hospital', 'stadium'];

const code = (r: Random) => `${String.fromCharCode(65 + r.int(0, 25))}${String.fromCharCode(65 + r.int(0, 25))}${r.int(1000, 9999)}`;
const date = (r: Random) => `${r.int(1, 28)} ${r.pick(MONTHS)}`;

interface Fact {
  readonly fact: string;
  /** Questions that paraphrase it: one is asked. */
  readonly questions: readonly string[];
}

/** Fact templates: each a fact and questions about it, overlapping it in a name, a code, a word, or the topic only. */
const TEMPLATES: readonly ((r: Random, who: string) => Fact)[] = [
  (r, who) => {
    const [name, city] = [r.pick(NAMES), r.pick(CITIES)];
    return { fact: `${who} ${name} moved to ${city} last ${r.pick(MONTHS)}.`, questions: [`Where does ${name} live these days?`, `Which city did ${name} relocate to?`, 'Where is my family member living after the move?'] };
  },
  (r) => {
    const c = code(r);
    return { fact: `The wifi password at the cabin is ${c}.`, questions: ['What is the cabin wifi password?', 'How do I get online at the cabin?', 'What do I type to connect to the internet up at our holiday place?'] };
  },
  (r) => {
    const [place, day] = [r.pick(RESTAURANTS), r.pick(DAYS)];
    return { fact: `I booked a table at ${place} for ${day} at ${r.int(6, 9)} pm.`, questions: [`When is our dinner reservation at ${place}?`, `Which restaurant did I reserve for ${day}?`, 'Where are we eating out this week?'] };
  },
  (r) => {
    const [city, flight] = [r.pick(CITIES), `${code(r).slice(0, 2)}${r.int(100, 999)}`];
    return { fact: `My flight ${flight} to ${city} leaves on ${date(r)}.`, questions: [`When am I flying to ${city}?`, `What is the flight number for my ${city} trip?`, 'What day does my plane depart?'] };
  },
  (r, who) => {
    const name = r.pick(NAMES);
    return { fact: `${who} ${name}'s birthday is on ${date(r)}.`, questions: [`When is ${name}'s birthday?`, `What day should I get ${name} a present?`, 'Whose birthday is coming up?'] };
  },
  (r) => ({ fact: `The plumber said the new boiler part will cost ${r.int(120, 900)} euros.`, questions: ['How much will the boiler repair cost?', 'What did the plumber quote us?', 'What is the price of fixing the heating?'] }),
  (r) => {
    const [instrument, name] = [r.pick(INSTRUMENTS), r.pick(NAMES)];
    return { fact: `I started ${instrument} lessons with a teacher called ${name}.`, questions: [`Who teaches me ${instrument}?`, 'What instrument am I learning?', 'Who is my music teacher?'] };
  },
  (r) => {
    const name = r.pick(CODENAMES);
    return { fact: `Our project is codenamed ${name} and the launch deadline is ${date(r)}.`, questions: [`When is ${name} due to launch?`, 'What is the deadline of our project?', 'When do we have to ship the thing we are building at work?'] };
  },
  (r) => {
    const medicine = r.pick(MEDICINES);
    return { fact: `The doctor put me on ${medicine}, one tablet twice a day.`, questions: ['Which medication am I taking?', `How often do I take the ${medicine}?`, 'What pills did the doctor prescribe?'] };
  },
  (r) => ({ fact: `I left the car on level ${r.int(1, 6)} of the ${r.pick(GARAGES)} garage.`, questions: ['Where did I park the car?', 'Which level is my car on?', 'Where is my vehicle parked?'] }),
  (r) => ({ fact: `My gym locker combination is ${r.int(10, 99)}-${r.int(10, 99)}-${r.int(10, 99)}.`, questions: ['What is the code of my gym locker?', 'How do I open my locker at the gym?', 'What are the numbers for my locker?'] }),
  (r) => {
    const allergen = r.pick(ALLERGENS);
    return { fact: `I found out I am allergic to ${allergen}.`, questions: ['Do I have any allergies?', `Am I allergic to ${allergen}?`, 'Is there anything I cannot eat or touch?'] };
  },
];

const CHAT = [
  'Can you help me write an email to my team about the schedule?',
  'I think the weather is going to be nice this weekend.',
  'Thanks, that was really helpful!',
  'What do you think about this plan for the week?',
  'Remind me what we talked about earlier.',
  'I am so tired today, the week has been long.',
  'Could you summarise that in two sentences?',
  'Let me think about it and come back to you later.',
  'Is there a better way to phrase this paragraph?',
  'I need to buy groceries after work today.',
  'My manager wants the slides before the meeting.',
  'Do you have any tips for sleeping better?',
  'What is a good recipe for a quick dinner?',
  'I watched a great documentary about whales last night.',
  // Topical chatter: the words of the questions, in turns that answer none of them.
  'The traffic around the airport garage was terrible this morning.',
  'I should call my sister this weekend, it has been a while.',
  'Flights are so expensive this year, maybe we take the train.',
  'I still have no plans for my own birthday.',
  'The gym was so crowded today that I left early.',
  'I need a new password for my email account.',
  'The doctor called to move my appointment to next week.',
  'We should try a new restaurant soon, I am bored of the usual places.',
  'I always wanted to learn an instrument properly.',
  'The project meeting ran over again, nobody knows the deadline.',
  'The car needs new tyres before winter.',
  'Pollen season is starting and my eyes are itching.',
  'Our internet at home has been slow all week.',
  'The heating makes a strange noise at night.',
];
const REPLIES = ['Got it, I will remember that.', 'Sure, here is a draft you can adapt.', 'That sounds like a good plan.', 'Happy to help with that.', 'Noted. Anything else?', 'Here are a few ideas you could try.'];

interface Question {
  readonly tenantId: string;
  readonly text: string;
  readonly evidence: string;
}

function dataset(seed: number): { items: StoredItem[]; questions: Question[] } {
  const r = generator(seed);
  const items: StoredItem[] = [];
  const questions: Question[] = [];
  for (let t = 0; t < TENANTS; t++) {
    const tenantId = `user-${t}`;
    // The user's own facts (asked about later), and near misses: the same templates about others.
    const planted = TEMPLATES.map((template) => ({ ...template(r, `My ${r.pick(RELATIVES)}`), kind: 'fact' as const }));
    const nearMisses = TEMPLATES.map((template) => {
      const who = `My colleague's ${r.pick(RELATIVES)}`;
      const { fact } = template(r, who);
      return { fact: fact.startsWith(who) ? fact : `My colleague told me: ${fact.replace(/^I /, 'she ').replace(/^My /, 'her ').replace(/^Our /, 'their ')}`, kind: 'near' as const };
    });
    const pending = [...planted, ...nearMisses].sort(() => r.next() - 0.5);
    for (let s = 0; s < SESSIONS; s++) {
      const conversationId = `${tenantId}-s${s}`;
      for (let k = 0; k < TURNS_PER_SESSION; k++) {
        const id = `${conversationId}-t${k}`;
        const user = k % 2 === 0;
        let content = user ? r.pick(CHAT) : r.pick(REPLIES);
        if (user && pending.length > 0 && r.next() < 0.25) {
          const f = pending.pop()!;
          content = f.fact;
          if (f.kind === 'fact') questions.push({ tenantId, text: r.pick(f.questions), evidence: id });
        }
        items.push({ id, content, tenantId, conversationId, role: user ? 'user' : 'assistant', createdAt: '2026-01-01T00:00:00.000Z' });
      }
    }
  }
  return { items, questions };
}

const ALPHAS = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1];
type Depth = number | 'whole';
const DEPTHS: readonly Depth[] = [FUSION_CANDIDATES, 5 * FUSION_CANDIDATES, 'whole'];

async function main(): Promise<void> {
  console.log(`# Fusion weight on generated conversations: ${SEEDS} seeds × ${TENANTS} tenants × ${SESSIONS} sessions × ${TURNS_PER_SESSION} turns, hashing embedder (${defaultEmbeddingDimensions()}-d), node ${process.version}\n`);
  const hits = new Map<number, { at5: number; at10: number }>(ALPHAS.map((a) => [a, { at5: 0, at10: 0 }]));
  let asked = 0;
  let turns = 0;
  const depths = new Map<Depth, { at10: number; changed: number }>(DEPTHS.map((d) => [d, { at10: 0, changed: 0 }]));
  for (let seed = 1; seed <= SEEDS; seed++) {
    const { items, questions } = dataset(seed);
    const store = new EmbeddedLongTermStore();
    await store.upsert(items);
    turns += items.length;
    asked += questions.length;
    for (const q of questions) {
      for (const alpha of ALPHAS) {
        const ids = (await store.search(q.text, { limit: 10, tenantId: q.tenantId, alpha })).map((m) => m.id);
        const h = hits.get(alpha)!;
        if (ids.slice(0, 5).includes(q.evidence)) h.at5++;
        if (ids.includes(q.evidence)) h.at10++;
      }
    }
    // The fusion depth: a search with limit L fuses max(L, FUSION_CANDIDATES) candidates per
    // signal, so its first 10 are the fused top 10 at that depth.
    for (const depth of DEPTHS) {
      const d = depths.get(depth)!;
      for (const q of questions) {
        const top = (await store.search(q.text, { limit: depth === 'whole' ? items.length : depth, tenantId: q.tenantId })).slice(0, 10).map((m) => m.id);
        if (top.includes(q.evidence)) d.at10++;
        const shallow = (await store.search(q.text, { limit: 10, tenantId: q.tenantId })).map((m) => m.id);
        if (top.join() !== shallow.join()) d.changed++;
      }
    }
  }
  console.log(`${turns} turns, ${asked} questions (one evidence turn each)\n`);
  console.log('| alpha | recall@5 | recall@10 |\n|---:|---:|---:|');
  for (const alpha of ALPHAS) {
    const h = hits.get(alpha)!;
    const label = alpha === 0 ? '0 (BM25 only)' : alpha === 1 ? '1 (dense only)' : String(alpha);
    console.log(`| ${label} | ${(h.at5 / asked).toFixed(3)} | ${(h.at10 / asked).toFixed(3)} |`);
  }
  console.log(`\n| candidates per signal (default alpha) | recall@10 | top 10 unlike at ${FUSION_CANDIDATES} |\n|---:|---:|---:|`);
  for (const [depth, d] of depths) console.log(`| ${depth} | ${(d.at10 / asked).toFixed(3)} | ${d.changed} of ${asked} |`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
