import * as fs from 'node:fs';
import * as path from 'node:path';
import { synthesizeStacks } from '../helpers/environment-stacks';
import { allResources, onlyResource } from '../helpers/synth';

const ROOT = path.resolve(__dirname, '../..');
const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const stacks = synthesizeStacks();

/** The cells of a row of README's "What gets deployed" table, by environment ("same, …" cells keep their own words). */
function row(label: string): Record<string, string> {
  const line = README.split('\n').find((l) => l.startsWith(`| **${label}** |`));
  if (!line) throw new Error(`README has no "${label}" row`);
  const [dev, staging, prod] = line.split('|').slice(2, 5).map((c) => c.trim());
  return { dev, staging, prod };
}

// What the README promises a reader is what the stacks deploy (it once said staging's Firestore
// was delete-protected with PITR while the stack was neither).
describe("README's table of what gets deployed", () => {
  it.each(['dev', 'staging', 'prod'])('%s: Firestore deletion protection and point-in-time recovery as synthesized', (env) => {
    const db = onlyResource(stacks[env], 'google_firestore_database');
    const cell = row('Mid-term memory')[env];
    const protectedInStack = db.delete_protection_state === 'DELETE_PROTECTION_ENABLED';
    const pitrInStack = db.point_in_time_recovery_enablement === 'POINT_IN_TIME_RECOVERY_ENABLED';
    expect({ env, protected: /delete-protected/.test(cell), pitr: /(?<!no )PITR/.test(cell) }).toEqual({ env, protected: protectedInStack, pitr: pitrInStack });
    expect({ env, deletable: /deletable/.test(cell) }).toEqual({ env, deletable: !protectedInStack });
  });

  it('counts the resources each stack creates', () => {
    const counts = row('Resources');
    for (const env of Object.keys(stacks)) expect({ env, count: Number(counts[env]) }).toEqual({ env, count: allResources(stacks[env]).length });
  });
});
