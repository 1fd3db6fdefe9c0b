// The README's diagrams section: what the code synthesizes, and where it goes in README.md.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { synthesizeEnvironments } from '../app';
import { ENVIRONMENTS } from '../index';
import { stackName } from '../stack-name';
import { StackJson, stackToMermaid } from './mermaid';

export const README = path.resolve(__dirname, '../../README.md');
export const START = '<!-- diagrams:start -->';
export const END = '<!-- diagrams:end -->';

/**
 * Synthesizes every environment into a temporary directory, without shell overrides (so the
 * pictures do not depend on who runs this), and returns each stack's JSON by stack name.
 */
export function synthesizeStacks(): Map<string, StackJson> {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'orchestra-diagram-'));
  try {
    synthesizeEnvironments(ENVIRONMENTS, { outdir, shell: {} });
    const stacksDir = path.join(outdir, 'stacks');
    const stacks = new Map<string, StackJson>();
    for (const name of fs.readdirSync(stacksDir)) {
      stacks.set(name, JSON.parse(fs.readFileSync(path.join(stacksDir, name, 'cdk.tf.json'), 'utf8')) as StackJson);
    }
    return stacks;
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

/** What goes between the markers: a heading and a mermaid block per stack, in environment order. */
export function renderSection(stacks: Map<string, StackJson>): string {
  const order = ENVIRONMENTS.map((e) => stackName(e.name));
  const rank = (name: string) => (order.includes(name) ? order.indexOf(name) : order.length);
  const names = [...stacks.keys()].sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
  return names.map((name) => `### ${name}\n\n\`\`\`mermaid\n${stackToMermaid(stacks.get(name)!, name)}\`\`\`\n`).join('\n');
}

/** The section the current code synthesizes. */
export function expectedSection(): string {
  return renderSection(synthesizeStacks());
}

function markers(readme: string): { start: number; end: number } {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error(`README.md has no ${START} … ${END} section`);
  return { start: start + START.length, end };
}

/** The section as checked in (without the newlines around it). */
export function readSection(readme: string): string {
  const { start, end } = markers(readme);
  return readme.slice(start, end).replace(/^\n+/, '').replace(/\n+$/, '\n');
}

/** The README with its section replaced. */
export function writeSection(readme: string, section: string): string {
  const { start, end } = markers(readme);
  return `${readme.slice(0, start)}\n${section}${readme.slice(end)}`;
}
