// `npm run diagram`: redraws each environment in docs/environments.md from what the code synthesizes.
// `npm run diagram -- --check`: exits 1, writing nothing, when the document is stale or missing.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DOCUMENT, expectedDocument, readDocument, staleness } from './document';

const name = path.relative(process.cwd(), DOCUMENT) || DOCUMENT;
const check = process.argv.slice(2).includes('--check');
const actual = readDocument();
const expected = expectedDocument();
const problem = staleness(actual, expected);

if (problem === undefined) console.log(`${name}: the environment diagrams are up to date.`);
else if (check) {
  console.error(`${name} ${problem}. Run \`npm run diagram\` and commit ${name}.`);
  process.exitCode = 1;
} else {
  fs.mkdirSync(path.dirname(DOCUMENT), { recursive: true });
  fs.writeFileSync(DOCUMENT, expected);
  console.log(`${name}: environment diagrams redrawn.`);
}
