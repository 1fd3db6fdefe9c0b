import { metadataIssues } from '../../../runtime/src/memory/item-schema';
import { documentMetadata } from '../../../runtime/src/server/schemas';

// The OpenAPI document spells out the metadata key rules for clients that generate requests from
// it; the validation keyword is what enforces them. The two must agree on every key.
describe("the OpenAPI document's metadata key pattern", () => {
  const doc = documentMetadata<unknown>({ 'x-orchestra-metadata': true, type: 'object' }) as { propertyNames: { pattern: string; minLength: number; maxLength: number } };
  const { pattern, minLength, maxLength } = doc.propertyNames;
  const documented = (key: string) => {
    const length = [...key].length;
    return new RegExp(pattern, 'u').test(key) && length >= minLength && length <= maxLength;
  };
  const accepted = (key: string) => metadataIssues({ [key]: 1 }).length === 0;

  it('accepts exactly the keys the validation accepts (adversarial keys and a seeded sample)', () => {
    const alphabet = ['_', '$', '.', 'a', 'Z', '0', ' ', '\u0000', '\uD800', '\uDC00', '😀', 'é', '\n'];
    const keys = new Set<string>(['', '_', '__', '___', '____', '__a_', '__a__', '__main__', '$x', 'a.b', 'x__', '_x_', '__ab', '\n__x__', '__\n__', 'a'.repeat(64), 'a'.repeat(65), '😀'.repeat(64)]);
    let seed = 20261201;
    const next = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0), seed);
    for (let i = 0; i < 20_000; i++) {
      const length = next() % 8;
      keys.add(Array.from({ length }, () => alphabet[next() % alphabet.length]).join(''));
    }
    const disagreements = [...keys].filter((k) => documented(k) !== accepted(k)).map((k) => JSON.stringify(k));
    expect(disagreements).toEqual([]);
  });
});
