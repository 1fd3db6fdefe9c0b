// Benchmark (not a test): how well the memory finds what a user told it, against plain BM25 over
// the same turns in the same run.
//
//   npm run bench:recall                                 # 30 users × 20 sessions, seed 1
//   RECALL_USERS=50 RECALL_SESSIONS=16 RECALL_SEED=7 npm run bench:recall
//   RECALL_SHARED_WORDING=0.8 npm run bench:recall        # more questions share a word with their evidence
//
// Data: generated multi-session conversations with planted facts and paraphrased questions whose
// evidence turns are known (bench/recall/README.md). Every turn is stored as a HIGH item through
// the embedded default memory (createMemory with no servers); every question is asked through
// retrieveContext from a conversation with no turns, within the user's tenant. A question's
// recall@k is the share of its evidence turns among the first k semantic matches; the figures are
// means over questions. Timing is per question, one at a time, after a warm-up.

import * as os from 'node:os';
import { performance } from 'node:perf_hooks';
import { parseRuntimeConfig } from '../runtime/src/contract';
import { createMemory } from '../runtime/src/memory/create-memory';
import { BM25_B, BM25_K1 } from './recall/bm25';
import { RECALL_DEPTHS, SEARCH_LIMIT, askAll, datasetFigures, figures, staleFirst, storeTurns, summarize, type Answer, type Figures, type Summary } from './recall/evaluate';
import { GENERATOR_DEFAULTS, MIN_SESSIONS, QUESTION_TYPES, SHARED_WORDING_SHARE, generateDataset, type GeneratorOptions } from './recall/generator';
import { lexicalOverlap } from './recall/metrics';
import { bm25Retriever, longTermRetriever, memoryRetriever } from './recall/retrievers';

/** A whole number from the environment, or the default; anything else stops the run naming the variable. */
function intFromEnv(name: string, fallback: number, min: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < min) throw new Error(`${name}: expected an integer of at least ${min}, got ${JSON.stringify(raw)}`);
  return value;
}

/** A share from the environment, or the default. */
function shareFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!(value >= 0 && value <= 1)) throw new Error(`${name}: expected a number from 0 to 1, got ${JSON.stringify(raw)}`);
  return value;
}

const f2 = (x: number) => x.toFixed(2);
const f1 = (x: number) => x.toFixed(1);
const pct = (x: number) => `${Math.round(100 * x)}%`;

function table(rows: readonly (readonly [string, Figures])[]): string {
  const header = `| retriever | ${RECALL_DEPTHS.map((k) => `recall@${k}`).join(' | ')} | results (mean) | context tokens (mean) | search p50 (ms) | search p95 (ms) |`;
  const rule = `|---|${RECALL_DEPTHS.map(() => '---:').join('|')}|---:|---:|---:|---:|`;
  const body = rows.map(([name, f]) => `| ${name} | ${RECALL_DEPTHS.map((k) => f2(f.recall[k])).join(' | ')} | ${f1(f.meanReturned)} | ${Math.round(f.meanTokens)} | ${f2(f.p50Ms)} | ${f2(f.p95Ms)} |`);
  return [header, rule, ...body].join('\n');
}

function byTypeTable(runs: readonly (readonly [string, Summary])[]): string {
  const header = `| question type | n | ${runs.map(([name]) => `${name} @5 / @10`).join(' | ')} |`;
  const rule = `|---|---:|${runs.map(() => '---:').join('|')}|`;
  const body = QUESTION_TYPES.map((type) => {
    const cells = runs.map(([, s]) => `${f2(s.byType[type].recall[5])} / ${f2(s.byType[type].recall[10])}`);
    return `| ${type} | ${runs[0][1].byType[type].questions} | ${cells.join(' | ')} |`;
  });
  return [header, rule, ...body].join('\n');
}

async function main(): Promise<void> {
  const options: GeneratorOptions = {
    seed: intFromEnv('RECALL_SEED', GENERATOR_DEFAULTS.seed, Number.MIN_SAFE_INTEGER),
    users: intFromEnv('RECALL_USERS', GENERATOR_DEFAULTS.users, 1),
    sessionsPerUser: intFromEnv('RECALL_SESSIONS', GENERATOR_DEFAULTS.sessionsPerUser, MIN_SESSIONS),
    sharedWording: shareFromEnv('RECALL_SHARED_WORDING', SHARED_WORDING_SHARE),
  };
  const started = performance.now();
  const dataset = generateDataset(options);
  const data = datasetFigures(dataset);
  const cpus = os.cpus();
  console.log(`# Recall — seed ${options.seed}, ${options.users} users × ${options.sessionsPerUser} sessions, shared wording ${options.sharedWording}`);
  console.log(`node ${process.version}, ${cpus.length} × ${cpus[0]?.model ?? 'unknown CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB\n`);
  console.log(
    `Data: ${data.sessions} sessions, ${data.turns} turns, ${data.questions} questions (${QUESTION_TYPES.map((t) => `${t} ${data.byType[t]}`).join(', ')}); ` +
      `${f2(data.meanEvidence)} evidence turns per question; a question's terms found in its evidence: ${pct(data.meanOverlap)} on average, none for ${pct(data.noOverlap)} of questions.`,
  );

  // The embedded default: what `npm start` runs with no servers configured.
  // ORCHESTRA_* variables given to the run apply (ORCHESTRA_EMBEDDING_PROVIDER=hashing, ORCHESTRA_HYBRID_ALPHA…).
  const config = parseRuntimeConfig(Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('ORCHESTRA_')))).memory;
  const memory = createMemory(config);
  await memory.init();
  try {
    const storing = performance.now();
    await storeTurns(memory, dataset);
    console.log(`Stored ${data.turns} turns as HIGH items through createMemory() (embedded layers, ${config.embedding.provider ?? 'local'} embedder ${config.embedding.model}, ${config.embedding.dimensions} dimensions) in ${f1((performance.now() - storing) / 1000)} s.`);
    console.log(`Each question asks for ${SEARCH_LIMIT} results; BM25 k1 = ${BM25_K1}, b = ${BM25_B}, one index per user; tokens = characters / 4 of the returned turns.\n`);

    const retrievers = [memoryRetriever(memory), longTermRetriever(memory, dataset), bm25Retriever(dataset)];
    const answers: [string, Answer[]][] = [];
    for (const retriever of retrievers) answers.push([retriever.name, await askAll(retriever, dataset.questions)]);
    const runs = answers.map(([name, a]): [string, Summary] => [name, summarize(a)]);

    console.log(table(runs.map(([name, s]) => [name, s.overall] as const)));
    const [memoryRun, , bm25Run] = runs;
    console.log(`\nmemory / BM25, recall@10: ${f2(memoryRun[1].overall.recall[10] / bm25Run[1].overall.recall[10])}×\n`);
    console.log(byTypeTable(runs));
    // Word matching finds only what shares words with the question: the split shows how much of each
    // system's recall comes from the questions that do.
    const content = new Map(dataset.turns.map((t) => [t.id, t.content]));
    const sharing = new Set(dataset.questions.filter((q) => lexicalOverlap(q.text, q.evidence.map((id) => content.get(id)!)) > 0).map((q) => q.id));
    console.log(`\n| question wording | n | ${answers.map(([name]) => `${name} @10`).join(' | ')} |\n|---|---:|${answers.map(() => '---:').join('|')}|`);
    for (const [label, keep] of [['shares a word with its evidence', true], ['shares none', false]] as const) {
      const cells = answers.map(([, a]) => f2(figures(a.filter((x) => sharing.has(x.question.id) === keep)).recall[10]));
      console.log(`| ${label} | ${dataset.questions.filter((q) => sharing.has(q.id) === keep).length} | ${cells.join(' | ')} |`);
    }
    console.log('');
    for (const [name, a] of answers) {
      const { stale, of } = staleFirst(a);
      console.log(`${name}: the superseded value ranks above the current one for ${stale} of ${of} updated facts.`);
    }
    console.log(`\nWhole run: ${f1((performance.now() - started) / 1000)} s.`);
  } finally {
    await memory.close();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
