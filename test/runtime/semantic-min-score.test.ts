import { ConfigError, RuntimeSettings as S, parseRuntimeConfig } from '../../runtime/src/contract';
import { createMemory } from '../../runtime/src/memory/create-memory';
import { EmbeddedLongTermStore } from '../../runtime/src/memory/long-term/embedded-long-term';
import { HASHING_MIN_RELATED_SCORE, HashingEmbedder } from '../../runtime/src/memory/long-term/hashing-embedder';
import { dot } from '../../runtime/src/memory/long-term/vectors';
import { LayeredMemoryManager } from '../../runtime/src/memory/manager';
import { EmbeddedMidTermStore } from '../../runtime/src/memory/mid-term/embedded-mid-term';
import { EmbeddedShortTermStore } from '../../runtime/src/memory/short-term/embedded-short-term';
import type { Embedder } from '../../runtime/src/memory/types';

// ORCHESTRA_SEMANTIC_MIN_SCORE: the cosine similarity a semantic match found by the dense signal
// alone must score above (one that shares words with the query is kept). Unset,
// the embedder decides: the hashing embedder's measured cutoff (bench/min-score.ts, BENCHMARKS.md),
// none (ranking only) for an embedder without one, as Vertex AI's models, for which Google
// documents no threshold.

const QUERY = 'what is my cat called?';
const CAT = 'My cat is called Miso';
// Shares only "is" with the query, in a long sentence: scores above 0, below the default cutoff.
const BOILER = 'The boiler in the house was serviced in November and it is working well again now';
// Shares no word with the query: scores 0.
const SLUGS = 'Slugs keep eating the lettuce';

const hashing = new HashingEmbedder();
const score = (a: string, b: string) => dot(hashing.embedOne(a), hashing.embedOne(b));

async function semanticContents(memory: LayeredMemoryManager): Promise<string[]> {
  await memory.init();
  for (const [i, content] of [CAT, BOILER, SLUGS].entries()) await memory.store({ id: `item-${i}`, content, conversationId: 'c1', tenantId: 'acme' }, 'high');
  const context = await memory.retrieveContext(QUERY, 'c2', { tenantId: 'acme' });
  await memory.close();
  return context.semantic.map((m) => m.item.content);
}

// The hashing embedder, whose cutoff these cases measure (the embedded default has none).
const fromSettings = (env: Record<string, string>) => semanticContents(createMemory(parseRuntimeConfig({ [S.embeddingProvider]: 'hashing', ...env }).memory));

describe('the semantic cutoff', () => {
  it('has fixtures that score where these tests need them', () => {
    expect(score(QUERY, CAT)).toBeGreaterThan(0.5);
    expect(score(QUERY, BOILER)).toBeGreaterThan(0);
    expect(score(QUERY, BOILER)).toBeLessThanOrEqual(HASHING_MIN_RELATED_SCORE);
    expect(score(QUERY, SLUGS)).toBe(0);
  });

  it("defaults to the hashing embedder's measured cutoff with that embedder", async () => {
    expect(HASHING_MIN_RELATED_SCORE).toBe(0.1);
    expect(new EmbeddedLongTermStore().minRelatedScore).toBe(HASHING_MIN_RELATED_SCORE);
    expect(await fromSettings({})).toEqual([CAT]);
  });

  it('reaches the manager from ORCHESTRA_SEMANTIC_MIN_SCORE and filters by it', async () => {
    expect(parseRuntimeConfig({ [S.semanticMinScore]: '0.9' }).memory.semanticMinScore).toBe(0.9);
    // Hybrid search (the default): CAT shares "cat" and "called" with the query, so it is kept
    // whatever the cutoff; the cutoff judges matches found by the dense signal alone.
    expect(await fromSettings({ [S.semanticMinScore]: '0.9' })).toEqual([CAT]);
    expect(await fromSettings({ [S.semanticMinScore]: '0.9', [S.hybridAlpha]: '1' })).toEqual([]);
    expect(await fromSettings({ [S.semanticMinScore]: '0' })).toEqual([CAT, BOILER]);
    expect((await fromSettings({ [S.semanticMinScore]: '-1' })).sort()).toEqual([BOILER, CAT, SLUGS].sort());
  });

  it('ranks only, cutting nothing, for an embedder that knows no cutoff (as Vertex AI models)', async () => {
    const noCutoff: Embedder = { dimensions: hashing.dimensions, embed: (texts) => hashing.embed(texts) };
    const longTerm = new EmbeddedLongTermStore({ embedder: noCutoff });
    expect(longTerm.minRelatedScore).toBeUndefined();
    const memory = new LayeredMemoryManager({ shortTerm: new EmbeddedShortTermStore(), midTerm: new EmbeddedMidTermStore(), longTerm });
    const found = await semanticContents(memory);
    expect(found[0]).toBe(CAT);
    expect([...found].sort()).toEqual([BOILER, CAT, SLUGS].sort());
  });

  it.each(['1.5', '-2', 'high', '0.5.1', '0x1'])('refuses %s, naming the variable and the range', (value) => {
    let error: unknown;
    try {
      parseRuntimeConfig({ [S.semanticMinScore]: value });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([{ path: 'ORCHESTRA_SEMANTIC_MIN_SCORE', message: `expected a number from -1 to 1, got "${value}"` }]);
  });
});
