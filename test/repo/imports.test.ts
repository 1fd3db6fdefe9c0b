import * as fs from 'node:fs';
import * as path from 'node:path';

// The dependency rules of the repository, checked on every source file's imports:
//   environments → infra (its public entry) → runtime's public contract entry;
//   the runtime never imports cdktf; memory knows no agents, LLMs or HTTP; LLM providers know no
//   memory; the contract knows nothing of the runtime around it; provider resources by deep path.

const ROOT = path.resolve(__dirname, '../..');
const SKIP = new Set(['node_modules', 'cdktf.out', 'dist', '.git', 'coverage', '.tmp']);

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (SKIP.has(entry.name)) return [];
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return /\.(ts|js|mjs|cjs)$/.test(entry.name) ? [full] : [];
  });
}

/** Every module specifier a source imports: import/export … from, bare import, require(), import(). */
export function specifiers(text: string): string[] {
  const pattern = /(?:\bfrom\s*|\brequire\s*\(\s*|\bimport\s*\(\s*|^\s*import\s+)(['"])([^'"]+)\1/gm;
  return [...text.matchAll(pattern)].map((m) => m[2]);
}

// Spelled in two parts so this file's own samples are not package-root imports.
const PKG = '@cdktf/' + 'provider-google';

/** An import as a rule sees it: the file's area and the target's (a repository path, or a package name). */
interface Edge {
  readonly from: string; // repository-relative file
  readonly spec: string;
  /** Repository-relative target for a relative import; undefined for a package. */
  readonly to?: string;
}

function edges(files: readonly string[], read: (file: string) => string): Edge[] {
  return files.flatMap((file) =>
    specifiers(read(file)).map((spec) => {
      const rel = path.relative(ROOT, file);
      if (!spec.startsWith('.')) return { from: rel, spec };
      return { from: rel, spec, to: path.relative(ROOT, path.resolve(path.dirname(file), spec)) };
    }),
  );
}

const under = (dir: string) => (p: string | undefined) => p !== undefined && (p === dir || p.startsWith(`${dir}/`));
const show = (e: Edge) => `${e.from} imports '${e.spec}'`;

/** The rules; each returns the imports that break it. */
export const RULES: Readonly<Record<string, (e: Edge) => boolean>> = {
  'provider resources are imported by deep path (the package root costs ~3x type-check time)': (e) => e.spec === PKG,
  'infra imports nothing of environments/': (e) => under('infra')(e.from) && under('environments')(e.to),
  'infra reaches the runtime only through its contract entry (@orchestra/runtime/contract)': (e) =>
    under('infra')(e.from) && (under('runtime')(e.to) || (e.spec.startsWith('@orchestra/runtime') && e.spec !== '@orchestra/runtime/contract')),
  'the runtime never imports cdktf, constructs or a provider': (e) => under('runtime')(e.from) && /^(cdktf|constructs|@cdktf\/)/.test(e.spec),
  'the runtime imports nothing of infra/, environments/ or test/': (e) => under('runtime')(e.from) && (under('infra')(e.to) || under('environments')(e.to) || under('test')(e.to)),
  'LLM providers (runtime/src/llm) know no memory': (e) => under('runtime/src/llm')(e.from) && under('runtime/src/memory')(e.to),
  'memory (runtime/src/memory) knows no agents, LLMs or HTTP': (e) =>
    under('runtime/src/memory')(e.from) && ['agents', 'llm', 'server'].some((d) => under(`runtime/src/${d}`)(e.to)),
  'the contract (runtime/src/contract) imports nothing of the runtime around it': (e) =>
    under('runtime/src/contract')(e.from) && under('runtime/src')(e.to) && !under('runtime/src/contract')(e.to),
  'Google client helpers (runtime/src/google) know neither memory nor LLMs': (e) =>
    under('runtime/src/google')(e.from) && under('runtime/src')(e.to) && !under('runtime/src/google')(e.to) && !under('runtime/src/contract')(e.to),
  'environments use the kit and the runtime through their public entries (@orchestra/infra, @orchestra/runtime/contract)': (e) =>
    under('environments')(e.from) && (under('infra')(e.to) || under('runtime')(e.to) || (e.spec.startsWith('@orchestra/runtime') && e.spec !== '@orchestra/runtime/contract')),
};

function violations(all: readonly Edge[]): Record<string, string[]> {
  return Object.fromEntries(Object.entries(RULES).map(([rule, breaks]) => [rule, all.filter(breaks).map(show)]));
}

describe('import specifiers', () => {
  it('are found in every form', () => {
    expect(specifiers(`import { x } from '${PKG}';`)).toEqual([PKG]);
    expect(specifiers(`import * as g from "${PKG}";`)).toEqual([PKG]);
    expect(specifiers(`export * from '${PKG}';`)).toEqual([PKG]);
    expect(specifiers(`const g = require('${PKG}');`)).toEqual([PKG]);
    expect(specifiers(`await import('${PKG}')`)).toEqual([PKG]);
    expect(specifiers(`import '${PKG}';`)).toEqual([PKG]);
    expect(specifiers(`import type { X } from '../memory/types';\nimport {\n  a,\n  b,\n} from './x';`)).toEqual(['../memory/types', './x']);
  });
});

describe('each rule catches what it forbids', () => {
  const sample: Record<string, string> = {
    'infra/src/compute/a.ts': `import { OrchestraStack } from '../../../environments/stack';\nimport { x } from '../../../runtime/src/memory/manager';\nimport { y } from '@orchestra/runtime/memory';\nimport { ok } from '@orchestra/runtime/contract';\nimport { z } from '${PKG}';`,
    'runtime/src/llm/a.ts': `import { Stack } from 'cdktf';\nimport { m } from '../memory/manager';\nimport { t } from '../../../test/servers/tools';`,
    'runtime/src/memory/a.ts': `import type { Agent } from '../agents/types';\nimport { c } from '../contract';`,
    'runtime/src/contract/a.ts': `import { m } from '../memory/types';`,
    'runtime/src/google/a.ts': `import { l } from '../llm/types';`,
    'environments/a.ts': `import { Network } from '../infra/src/networking/network';\nimport { parse } from '../runtime/src/contract/runtime-config';\nimport { Network as N } from '@orchestra/infra';`,
  };
  const found = violations(edges(Object.keys(sample).map((f) => path.join(ROOT, f)), (f) => sample[path.relative(ROOT, f)]));

  it.each(Object.keys(RULES))('%s', (rule) => {
    expect(found[rule].length).toBeGreaterThan(0);
  });

  it('and nothing else: the allowed imports pass', () => {
    const all = Object.values(found).flat();
    expect(all.filter((v) => /'@orchestra\/runtime\/contract'|'\.\.\/contract'|'@orchestra\/infra'/.test(v))).toEqual([]);
  });
});

describe('the repository', () => {
  const files = sourceFiles(ROOT);
  const all = edges(files, (f) => fs.readFileSync(f, 'utf8'));

  it('has sources in every area the rules speak of', () => {
    for (const area of ['infra/src', 'environments', 'runtime/src/contract', 'runtime/src/llm', 'runtime/src/memory', 'runtime/src/google']) {
      expect({ area, files: files.some((f) => under(area)(path.relative(ROOT, f))) }).toEqual({ area, files: true });
    }
  });

  it.each(Object.keys(RULES))('follows the rule: %s', (rule) => {
    expect(all.filter(RULES[rule]).map(show)).toEqual([]);
  });

  it('keeps cdktf out of the runtime package manifest (its image stays small)', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'runtime/package.json'), 'utf8'));
    const deps = Object.keys({ ...pkg.dependencies, ...pkg.devDependencies, ...pkg.peerDependencies });
    expect(deps.filter((d) => /cdktf|constructs/.test(d))).toEqual([]);
  });

  it("exports from infra's index only the kit: no stack, app or environment of this repository", () => {
    const index = fs.readFileSync(path.join(ROOT, 'infra/src/index.ts'), 'utf8');
    expect(specifiers(index).filter((s) => !s.startsWith('./'))).toEqual([]);
    expect(index).not.toMatch(/OrchestraStack|synthesizeEnvironments|ENVIRONMENTS/);
  });
});
