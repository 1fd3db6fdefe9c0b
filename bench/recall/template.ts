import type { SeededRandom } from './seeded-random';

/** Values a template may name: `{name}` is replaced by `slots.name`. */
export type Slots = Readonly<Record<string, string>>;

const CHOICE = /\[([^[\]]*)\]/g;
const SLOT = /\{(\^?)([A-Za-z0-9]+)\}/g;

/**
 * Renders one template of the catalogue. Two notations, so that a few lines of catalogue give many
 * wordings:
 *   `[a|b|c]` — one alternative, chosen at random (`[a|]` makes `a` optional);
 *   `{slot}`  — the slot's value; `{^slot}` the same with its first letter in capitals.
 * A slot the template names but `slots` lacks throws: a catalogue mistake, not data.
 */
export function fill(template: string, slots: Slots, random: SeededRandom): string {
  const chosen = template.replace(CHOICE, (_, options: string) => random.pick(options.split('|')));
  const text = chosen.replace(SLOT, (_, capital: string, name: string) => {
    const value = slots[name];
    if (value === undefined) throw new Error(`template names {${name}}, which its slots lack: ${template}`);
    return capital ? value.charAt(0).toUpperCase() + value.slice(1) : value;
  });
  // Optional alternatives leave doubled or stray spaces behind.
  return text.replace(/ {2,}/g, ' ').replace(/ ([,.!?])/g, '$1').trim();
}

/** The slot names a template uses (for checking the catalogue). */
export function slotNames(template: string): string[] {
  return [...template.matchAll(SLOT)].map((m) => m[2]);
}
