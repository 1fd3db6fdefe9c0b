// Benchmark (not a test): where the hashing embedder's scores of related and unrelated text lie,
// to choose the default of ORCHESTRA_SEMANTIC_MIN_SCORE for the embedded long-term store.
//
//   npm run bench:min-score
//   BENCH_DIMENSIONS=3072 npm run bench:min-score
//
// The corpus is written here: topics of things people tell an assistant, each with facts (what
// memory stores) and questions, each question naming the fact that answers it. Pairs:
//   related   — a question and the fact that answers it;
//   same topic — a question and the other facts of its topic (related in meaning, not always in words);
//   unrelated — a question and every fact of every other topic, and every pair of facts of
//               different topics (what memory holds beside each other).
// The embedder is deterministic, so the figures are exact for this corpus: no runs to average.

import { HashingEmbedder } from '../runtime/src/memory/long-term/hashing-embedder';
import { dot } from '../runtime/src/memory/long-term/vectors';
import { defaultEmbeddingDimensions } from '../runtime/src/contract';

interface Topic {
  readonly facts: readonly string[];
  /** A question and the index in `facts` of the fact that answers it. */
  readonly questions: readonly (readonly [string, number])[];
}

const TOPICS: Readonly<Record<string, Topic>> = {
  pet: {
    facts: ['My cat is called Miso', 'Miso sleeps on the kitchen windowsill every afternoon', 'The vet said the cat should lose a little weight', 'We adopted her from a shelter in 2021'],
    questions: [['What is my cat called?', 0], ['Where does Miso like to sleep?', 1], ['What did the vet say about the cat?', 2]],
  },
  travel: {
    facts: ['I am flying to Lisbon on the 14th of May', 'The hotel in Lisbon is near the Alfama district', 'My return flight leaves at 7 in the morning', 'I want to visit the tile museum while I am there'],
    questions: [['When is my flight to Lisbon?', 0], ['Which district is the hotel in?', 1], ['What time does the return flight leave?', 2]],
  },
  work: {
    facts: ['The quarterly report is due on Friday', 'Anna is reviewing the budget section of the report', 'Our team meeting moved to Tuesday at 10', 'The client asked for the slides in PDF format'],
    questions: [['When is the quarterly report due?', 0], ['Who is reviewing the budget?', 1], ['When is the team meeting now?', 2]],
  },
  health: {
    facts: ['I am allergic to penicillin', 'My dentist appointment is next Thursday afternoon', 'I take vitamin D every morning in winter', 'My resting heart rate is usually around 60'],
    questions: [['Which antibiotic am I allergic to?', 0], ['When do I see the dentist?', 1], ['Which vitamin do I take in winter?', 2]],
  },
  cooking: {
    facts: ['My sourdough starter needs feeding twice a day', 'The lasagna recipe uses fresh pasta sheets and ricotta', 'I prefer olive oil to butter for roasting vegetables', 'The oven runs about ten degrees too hot'],
    questions: [['How often does the sourdough starter need feeding?', 0], ['What goes into the lasagna?', 1], ['Is the oven accurate?', 3]],
  },
  car: {
    facts: ['The car is due for its service in March', 'The left rear tyre loses pressure slowly', 'I park in the garage on Elm Street', 'The insurance renews every September'],
    questions: [['When is the car service?', 0], ['Which tyre loses pressure?', 1], ['When does the car insurance renew?', 3]],
  },
  family: {
    facts: ["My sister's birthday is on the 3rd of June", 'My parents live in a small village near Porto', 'My nephew Leo just started school', 'We have a family dinner every second Sunday'],
    questions: [["When is my sister's birthday?", 0], ['Where do my parents live?', 1], ['How often is the family dinner?', 3]],
  },
  garden: {
    facts: ['The tomatoes in the greenhouse need water every evening', 'I planted tulip bulbs along the fence in October', 'Slugs keep eating the lettuce', 'The apple tree was pruned last winter'],
    questions: [['How often do the tomatoes need water?', 0], ['Where did I plant the tulips?', 1], ['What is eating the lettuce?', 2]],
  },
  money: {
    facts: ['Rent of 1200 euros is paid on the first of each month', 'I am saving for a new laptop', 'The electricity bill went up by 15 percent', 'My bank card expires in August'],
    questions: [['How much is the rent?', 0], ['What am I saving for?', 1], ['When does my bank card expire?', 3]],
  },
  learning: {
    facts: ['I practise Portuguese for twenty minutes a day', 'My guitar lesson is on Wednesday evenings', 'I am reading a book about the history of Rome', 'The online statistics course ends in December'],
    questions: [['Which language am I practising?', 0], ['When is the guitar lesson?', 1], ['What book am I reading?', 2]],
  },
  home: {
    facts: ['The boiler was serviced in November', 'The spare key is with the neighbour at number 12', 'The wifi password is on the back of the router', 'The bathroom tap drips at night'],
    questions: [['When was the boiler serviced?', 0], ['Who has the spare key?', 1], ['Where is the wifi password?', 2]],
  },
  sport: {
    facts: ['I run 5 kilometres on Saturday mornings', 'My football team plays at home this weekend', 'The swimming pool closes at 9 in the evening', 'I signed up for a half marathon in October'],
    questions: [['When do I go running?', 0], ['When does the pool close?', 2], ['Which race did I sign up for?', 3]],
  },
};

const DIMENSIONS = Number(process.env.BENCH_DIMENSIONS ?? defaultEmbeddingDimensions());

function pairs(): { related: number[]; sameTopic: number[]; unrelated: number[] } {
  const embedder = new HashingEmbedder(DIMENSIONS);
  const v = (text: string) => embedder.embedOne(text);
  const related: number[] = [];
  const sameTopic: number[] = [];
  const unrelated: number[] = [];
  const topics = Object.entries(TOPICS);
  for (const [name, topic] of topics) {
    for (const [question, answer] of topic.questions) {
      const q = v(question);
      topic.facts.forEach((fact, i) => (i === answer ? related : sameTopic).push(dot(q, v(fact))));
      for (const [other, { facts }] of topics) if (other !== name) for (const fact of facts) unrelated.push(dot(q, v(fact)));
    }
  }
  // Facts of different topics, each pair once.
  const facts = topics.flatMap(([name, t]) => t.facts.map((f) => [name, v(f)] as const));
  for (let i = 0; i < facts.length; i++) for (let j = i + 1; j < facts.length; j++) if (facts[i][0] !== facts[j][0]) unrelated.push(dot(facts[i][1], facts[j][1]));
  return { related, sameTopic, unrelated };
}

/** The q-quantile of sorted `values` (nearest rank). */
const quantile = (sorted: readonly number[], q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
const share = (values: readonly number[], above: number) => values.filter((s) => s > above).length / values.length;
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const f3 = (x: number) => x.toFixed(3);

function main(): void {
  const { related, sameTopic, unrelated } = pairs();
  const sets = { related, 'same topic': sameTopic, unrelated } as const;
  console.log(`# Hashing embedder scores, ${DIMENSIONS} dimensions, node ${process.version}\n`);
  console.log('| pairs | n | min | p5 | median | p95 | p99 | max |\n|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const [name, values] of Object.entries(sets)) {
    const s = [...values].sort((a, b) => a - b);
    console.log(`| ${name} | ${s.length} | ${f3(s[0])} | ${f3(quantile(s, 0.05))} | ${f3(quantile(s, 0.5))} | ${f3(quantile(s, 0.95))} | ${f3(quantile(s, 0.99))} | ${f3(s[s.length - 1])} |`);
  }
  console.log('\n| cutoff (score must be above) | related kept | same topic kept | unrelated kept |\n|---:|---:|---:|---:|');
  for (const cutoff of [0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4]) {
    console.log(`| ${cutoff.toFixed(2)} | ${pct(share(related, cutoff))} | ${pct(share(sameTopic, cutoff))} | ${pct(share(unrelated, cutoff))} |`);
  }
  // The rule the default follows: the highest cutoff on a 0.05 grid that keeps every related pair
  // (a missed memory costs more than an unrelated one ranked below the related ones).
  const keepsAll = Math.floor(Math.min(...related) / 0.05) * 0.05;
  console.log(`\nHighest cutoff on a 0.05 grid that keeps every related pair: ${keepsAll.toFixed(2)} (unrelated kept: ${pct(share(unrelated, keepsAll))}, against ${pct(share(unrelated, 0))} at 0)`);
  console.log(`HashingEmbedder.minRelatedScore now: ${new HashingEmbedder(DIMENSIONS).minRelatedScore}`);
}

main();
