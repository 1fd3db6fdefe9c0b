import { NOT_BLANK } from '../../../runtime/src/server/schemas';

// The schemas' "not blank" pattern says what memory means by blank (`trim() === ''`): every code
// point, each on its own, is matched by the pattern exactly when trim keeps it.
describe('NOT_BLANK', () => {
  it('matches exactly the code points String.prototype.trim keeps', () => {
    const pattern = new RegExp(NOT_BLANK, 'u');
    const disagreements: string[] = [];
    for (let code = 0; code <= 0x10ffff; code++) {
      const c = String.fromCodePoint(code);
      if (pattern.test(c) !== (c.trim() !== '')) disagreements.push(code.toString(16));
    }
    expect(disagreements).toEqual([]);
  });

  // `\s` and its kin mean other characters in Python's and Rust's regexes (schemathesis's engines).
  it('names its characters instead of using class escapes', () => {
    expect(NOT_BLANK).not.toMatch(/\\[sSwWdDbB]/);
  });

  it('finds text in a string that has any, wherever it is', () => {
    const pattern = new RegExp(NOT_BLANK, 'u');
    for (const text of ['x', ' \u00a0x', 'x\ufeff', '\u2028\u3000😀']) expect(pattern.test(text)).toBe(true);
    for (const text of ['', ' ', '\t\n\r\u000b\f', '\u00a0\ufeff\u1680\u2000\u200a\u2028\u2029\u202f\u205f\u3000']) expect(pattern.test(text)).toBe(false);
  });
});
