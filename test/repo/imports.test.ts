import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');
const SKIP = new Set(['node_modules', 'cdktf.out', 'dist', '.git', 'coverage']);

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (SKIP.has(entry.name)) return [];
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return /\.(ts|js|mjs|cjs)$/.test(entry.name) ? [full] : [];
  });
}

/** Finds imports of the provider package root (every spelling: import, export … from, require, import()). */
export function packageRootImports(text: string): string[] {
  const pattern = /(?:\bfrom\s*|\brequire\s*\(\s*|\bimport\s*\(\s*|\bimport\s+)(['"])@cdktf\/provider-google\1/g;
  return [...text.matchAll(pattern)].map((m) => m[0]);
}

// Spelled in two parts so this file's own samples are not package-root imports.
const PKG = '@cdktf/' + 'provider-google';

describe('provider imports', () => {
  it('finds package-root imports in every form', () => {
    expect(packageRootImports(`import { x } from '${PKG}';`)).toHaveLength(1);
    expect(packageRootImports(`import * as g from "${PKG}";`)).toHaveLength(1);
    expect(packageRootImports(`export * from '${PKG}';`)).toHaveLength(1);
    expect(packageRootImports(`const g = require('${PKG}');`)).toHaveLength(1);
    expect(packageRootImports(`await import('${PKG}')`)).toHaveLength(1);
    expect(packageRootImports(`import '${PKG}';`)).toHaveLength(1);
    expect(packageRootImports(`import { X } from '${PKG}/lib/x';`)).toHaveLength(0);
  });

  it('are deep imports everywhere in the repository (the package root costs 4x type-check time)', () => {
    const files = sourceFiles(ROOT);
    expect(files.length).toBeGreaterThan(20);
    const offenders = files.flatMap((f) => packageRootImports(fs.readFileSync(f, 'utf8')).map((m) => `${path.relative(ROOT, f)}: ${m}`));
    expect(offenders).toEqual([]);
  });

  it('keep test code out of the runtime package', () => {
    const offenders = sourceFiles(path.join(ROOT, 'runtime'))
      .filter((f) => /(from|require\()\s*['"](\.\.\/)+test\//.test(fs.readFileSync(f, 'utf8')))
      .map((f) => path.relative(ROOT, f));
    expect(offenders).toEqual([]);
  });

  it('keep cdktf out of the runtime package', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'runtime/package.json'), 'utf8'));
    const deps = Object.keys({ ...pkg.dependencies, ...pkg.devDependencies, ...pkg.peerDependencies });
    expect(deps.filter((d) => /cdktf|constructs/.test(d))).toEqual([]);
    const runtimeImports = sourceFiles(path.join(ROOT, 'runtime'))
      .filter((f) => /(from|require\()\s*['"](cdktf|constructs|@cdktf\/)/.test(fs.readFileSync(f, 'utf8')))
      .map((f) => path.relative(ROOT, f));
    expect(runtimeImports).toEqual([]);
  });
});
