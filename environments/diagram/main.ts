// `npm run diagram`: redraws each environment in README.md from what the code synthesizes.
// `npm run diagram -- --check`: exits 1, writing nothing, when the README's pictures are stale.
import * as fs from 'node:fs';
import { README, expectedSection, readSection, writeSection } from './readme';

const check = process.argv.slice(2).includes('--check');
const readme = fs.readFileSync(README, 'utf8');
const section = expectedSection();

if (check) {
  if (readSection(readme) !== section) {
    console.error('README.md: the environment diagrams differ from what the code synthesizes. Run `npm run diagram` and commit README.md.');
    process.exitCode = 1;
  } else {
    console.log('README.md: the environment diagrams are up to date.');
  }
} else {
  const updated = writeSection(readme, section);
  if (updated === readme) console.log('README.md: the environment diagrams are up to date.');
  else {
    fs.writeFileSync(README, updated);
    console.log('README.md: environment diagrams redrawn.');
  }
}
