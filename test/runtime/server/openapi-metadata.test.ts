import fastify from 'fastify';
import fc from 'fast-check';
import { MAX_METADATA_DEPTH, MAX_METADATA_VALUE_BYTES, metadataIssues } from '../../../runtime/src/memory/item-schema';
import { Metadata, documentMetadata } from '../../../runtime/src/server/schemas';

// The OpenAPI document spells out the metadata key rules for clients that generate requests from
// it; the validation keyword is what enforces them. The two must agree on every key.
describe("the OpenAPI document's metadata key pattern", () => {
  const doc = documentMetadata<unknown>({ 'x-orchestra-metadata': true, type: 'object' }) as { propertyNames: { pattern: string; minLength: number; maxLength: number } };
  const { pattern, minLength, maxLength } = doc.propertyNames;
  // JSON Schema patterns are ECMA-262 regular expressions, read with the `u` flag as ajv does.
  const documented = (key: string) => {
    const length = [...key].length;
    return new RegExp(pattern, 'u').test(key) && length >= minLength && length <= maxLength;
  };
  const accepted = (key: string) => metadataIssues({ [key]: 1 }).length === 0;

  it('accepts exactly the keys the validation accepts (adversarial keys and generated ones)', () => {
    // What the rules turn on (`_`, `$`, `.`, NUL, unpaired surrogates, length in code points), and
    // each edge of the pattern's character ranges.
    const edges = ['_', '$', '.', '\u0000', '\uD800', '\uDBFF', '\uDC00', '\uDFFF', '😀', '\u0001', '#', '%', '-', '/', '^', '`', '\uD7FF', '\uE000', '\uFFFF', '\u{10000}', '\u{10FFFF}'];
    const alphabet = fc.constantFrom(...edges, 'a', 'Z', '0', ' ', 'é', '\n');
    const keys = fc.oneof(
      fc.string({ unit: alphabet, maxLength: 8 }),
      fc.string({ unit: alphabet, minLength: 62, maxLength: 66 }),
      // Any UTF-16 string, unpaired surrogates included: what JSON.parse can give the service.
      fc.string({ unit: 'binary', maxLength: 70 }),
      fc.string({ unit: fc.oneof(alphabet, fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })), maxLength: 70 }),
    );
    const written = ['', '_', '__', '___', '____', '__a_', '__a__', '__main__', '$x', 'a.b', 'x__', '_x_', '__ab', '\n__x__', '__\n__', 'a'.repeat(64), 'a'.repeat(65), '😀'.repeat(64), '😀'.repeat(65)];
    fc.assert(
      fc.property(keys, (key) => documented(key) === accepted(key)),
      { seed: 20261201, numRuns: 50_000, examples: written.map((k) => [k]) },
    );
  });

  // Rust's regex (schemathesis validates with it) refuses a surrogate anywhere in a pattern, and
  // Python's re (it generates with it) reads no `\u{…}` nor `\p{…}`: a pattern either cannot
  // read is dropped, and the keys generated are then refused.
  it('is one that Rust and Python read', () => {
    expect(pattern).not.toMatch(/\\u[dD][89a-fA-F]/);
    expect(pattern).not.toMatch(/\p{Cs}/u);
    expect(pattern).not.toMatch(/\\[uxpP]\{/);
  });

  // Hypothesis, behind schemathesis, ignores negative lookaheads (it makes the text around them)
  // and makes no unpaired surrogates: what it generates from the pattern must still be accepted.
  it('accepts every key of well-formed Unicode that it matches with its lookaheads ignored', () => {
    const ignored = new RegExp(withoutNegativeLookaheads(pattern), 'u');
    expect(ignored.source).not.toMatch(/\(\?<?[=!]/);
    const wellFormed = fc.string({ unit: fc.oneof(fc.constantFrom('_', '$', '.', '\u0000', 'a', '\n', '\u{10FFFF}'), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 })), maxLength: 8 });
    fc.assert(
      fc.property(wellFormed, (key) => ignored.test(key) === new RegExp(pattern, 'u').test(key)),
      { seed: 20261201, numRuns: 20_000, examples: ['__a__', '__a_', '_', '$', '\u{10FFFF}'].map((k) => [k]) },
    );
  });
});

describe("the OpenAPI document's metadata schema", () => {
  // Read by fastify's own JSON Schema validator (ajv), without the service's keyword: as a client
  // generating requests from the document reads it.
  const app = fastify({ ajv: { customOptions: { coerceTypes: false, allowUnionTypes: true } } });
  app.post('/', { schema: { body: documentMetadata(Metadata()) } }, async () => 'ok');
  afterAll(() => app.close());

  it('accepts exactly the nesting the validation accepts (depth, no array directly inside an array)', async () => {
    const key = fc.constantFrom('a', 'b', '_c', '__d__', 'e.f');
    // Objects and arrays nested up to two levels past the limit, scalars at any level.
    const { metadata } = fc.letrec((tie) => ({
      value: fc.oneof({ maxDepth: MAX_METADATA_DEPTH + 2, depthSize: 'xlarge' }, fc.constantFrom(null, 0, -1.5, 'x', true), tie('array'), tie('object')),
      array: fc.array(tie('value'), { maxLength: 2 }),
      object: fc.dictionary(key, tie('value'), { maxKeys: 2 }),
      metadata: fc.dictionary(key, tie('value'), { maxKeys: 3 }),
    }));
    await fc.assert(
      fc.asyncProperty(metadata, async (value) => {
        // The byte limits are the keyword's alone: kept out of reach here.
        fc.pre(Buffer.byteLength(JSON.stringify(value)) < MAX_METADATA_VALUE_BYTES);
        const documented = (await app.inject({ method: 'POST', url: '/', payload: value })).statusCode === 200;
        expect(documented).toBe(metadataIssues(value).length === 0);
      }),
      {
        seed: 20261201,
        numRuns: 3000,
        // Each side of each limit: FerretDB's refusal the fuzz run found, and the depth.
        examples: [{ a: [[]] }, { a: [{ b: [] }] }, { a: { b: { c: { d: {} } } } }, { a: { b: { c: { d: { e: {} } } } } }, { a: [{ b: [{}] }] }, { a: [{ b: [{ c: [] }] }] }].map((m): [Record<string, unknown>] => [m]),
      },
    );
  });
});

/** `pattern` without its `(?!…)` groups (a class or an escape may hold a parenthesis). */
function withoutNegativeLookaheads(pattern: string): string {
  let out = '';
  for (let i = 0; i < pattern.length; ) {
    if (!pattern.startsWith('(?!', i)) {
      out += pattern[i++];
      continue;
    }
    let depth = 0;
    let inClass = false;
    do {
      const c = pattern[i];
      if (c === '\\') i++;
      else if (inClass) inClass = c !== ']';
      else if (c === '[') inClass = true;
      else if (c === '(') depth++;
      else if (c === ')') depth--;
      i++;
    } while (depth > 0);
  }
  return out;
}
