// Benchmark (not a test): type-check and synth cost of this repo's infra, with the provider imported
// the way the repo does it (deep `@cdktf/provider-google/lib/<resource>` paths) against a generated
// copy that imports the package root instead.
//
//   npm run bench:synth                 # 3 measured runs of each command, medians reported
//   BENCH_RUNS=5 npm run bench:synth
//
// Every command runs once unmeasured first (it checks the command works and warms the file cache and
// tsx's compile cache), then BENCH_RUNS times, alternating between the two variants.
// Wall time and peak RSS come from `/usr/bin/time -f '%e %M'` around each child process.
// The script doubles as the synth child: `tsx bench/synth.ts --child <root> <outdir>`.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';

const REPO = path.resolve(__dirname, '..');
const TSC = path.join(REPO, 'node_modules', '.bin', 'tsc');
const TSX = path.join(REPO, 'node_modules', '.bin', 'tsx');
const TIME = '/usr/bin/time';
const PROVIDER_INDEX = path.join(REPO, 'node_modules', '@cdktf', 'provider-google', 'lib', 'index.d.ts');
const CHILD_RESULT = 'BENCH_CHILD_RESULT ';

const BUDGET_TYPECHECK_S = 5;
const BUDGET_SYNTH_MS = 1000;

// ---------------------------------------------------------------------------------------------
// Synth child: runs in its own process so module loading is timed apart from synthesis.

interface ChildResult {
  readonly loadMs: number;
  readonly synthMs: number;
}

function runChild(root: string, outdir: string): void {
  const start = performance.now();
  // require, not import(): the app is CommonJS, loaded the same way `npm run synth` loads it.
  const app = require(path.join(root, 'infra', 'app')) as typeof import('../environments/app');
  const environments = require(path.join(root, 'environments')) as typeof import('../environments');
  const loaded = performance.now();
  app.synthesizeEnvironments(environments.ENVIRONMENTS, { outdir });
  const synthesized = performance.now();
  const result: ChildResult = { loadMs: loaded - start, synthMs: synthesized - loaded };
  process.stdout.write(`${CHILD_RESULT}${JSON.stringify(result)}\n`);
}

// ---------------------------------------------------------------------------------------------
// Running and timing child processes.

class CommandFailed extends Error {}

interface Timed {
  readonly wallS: number;
  readonly peakRssKb: number;
  readonly stdout: string;
}

let tempRoot: string | undefined;
let timeFileCount = 0;

/** Runs `command` under /usr/bin/time; throws with its output if it exits non-zero. */
function timed(label: string, command: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Timed {
  const timeFile = path.join(requireTempRoot(), `time-${timeFileCount++}.txt`);
  const run = spawnSync(TIME, ['-f', '%e %M', '-o', timeFile, command, ...args], {
    cwd,
    env,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (run.error) throw new CommandFailed(`${label}: could not start ${TIME}: ${run.error.message}`);
  if (run.status !== 0) {
    const how = run.signal ? `was killed by ${run.signal}` : `exited with status ${run.status}`;
    const output = `${run.stdout}${run.stderr}`.trim().split('\n').slice(-40).join('\n');
    throw new CommandFailed(`${label} ${how}\n  $ ${[command, ...args].join(' ')}\n${output}`);
  }
  // GNU time writes only the format line on success.
  const lines = fs.readFileSync(timeFile, 'utf8').trim().split('\n');
  const match = /^(\d+(?:\.\d+)?) (\d+)$/.exec(lines[lines.length - 1] ?? '');
  if (!match) throw new CommandFailed(`${label}: unexpected ${TIME} output: ${lines.join(' | ')}`);
  return { wallS: Number(match[1]), peakRssKb: Number(match[2]), stdout: run.stdout };
}

function requireTempRoot(): string {
  if (tempRoot === undefined) throw new Error('temp dir not created yet');
  return tempRoot;
}

/** The environment for children: no ORCHESTRA_* overrides, so every run builds the committed configs. */
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('ORCHESTRA_')) env[key] = value;
  delete env.CDKTF_OUTDIR;
  return env;
}

// ---------------------------------------------------------------------------------------------
// The two variants and the commands measured on each.

interface Variant {
  readonly name: string;
  /** Holds infra/, environments/, runtime/src/ and node_modules. */
  readonly root: string;
  readonly tsconfig: string;
}

interface TypecheckSample {
  readonly wallS: number;
  readonly peakRssKb: number;
}

interface SynthSample extends ChildResult {
  readonly wallS: number;
  readonly peakRssKb: number;
  /** Stack name -> synthesized cdk.tf.json text. */
  readonly stacks: ReadonlyMap<string, string>;
}

function typecheck(variant: Variant): TypecheckSample {
  const { wallS, peakRssKb } = timed(`type-check (${variant.name})`, TSC, ['--noEmit', '-p', variant.tsconfig], variant.root);
  return { wallS, peakRssKb };
}

function synth(variant: Variant): SynthSample {
  const outdir = fs.mkdtempSync(path.join(requireTempRoot(), 'cdktf.out-'));
  try {
    const label = `synth (${variant.name})`;
    const run = timed(label, TSX, [__filename, '--child', variant.root, outdir], variant.root, childEnv());
    const line = run.stdout.split('\n').find((l) => l.startsWith(CHILD_RESULT));
    if (line === undefined) throw new CommandFailed(`${label}: the child printed no result\n${run.stdout}`);
    const result = JSON.parse(line.slice(CHILD_RESULT.length)) as ChildResult;
    return { ...result, wallS: run.wallS, peakRssKb: run.peakRssKb, stacks: readStacks(outdir) };
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

function readStacks(outdir: string): Map<string, string> {
  const manifest = JSON.parse(fs.readFileSync(path.join(outdir, 'manifest.json'), 'utf8')) as {
    stacks: Record<string, { synthesizedStackPath: string }>;
  };
  const stacks = new Map<string, string>();
  for (const [name, stack] of Object.entries(manifest.stacks)) {
    stacks.set(name, fs.readFileSync(path.join(outdir, stack.synthesizedStackPath), 'utf8'));
  }
  return stacks;
}

// ---------------------------------------------------------------------------------------------
// The package-root variant: a copy of the sources whose provider imports go through the root.

/** `lib/<kebab-name>` -> the namespace the package root exports it as, read from lib/index.d.ts. */
function providerNamespaces(): Map<string, string> {
  const namespaces = new Map<string, string>();
  const index = fs.readFileSync(PROVIDER_INDEX, 'utf8');
  for (const m of index.matchAll(/^export \* as (\w+) from '\.\/([^']+)';$/gm)) namespaces.set(m[2], m[1]);
  if (namespaces.size === 0) throw new Error(`no namespace exports found in ${PROVIDER_INDEX}`);
  return namespaces;
}

const DEEP_IMPORT = /^import\s+(type\s+)?\{([^}]*)\}\s*from\s*['"]@cdktf\/provider-google\/lib\/([a-z0-9-]+)['"];?[ \t]*\r?\n/gm;
const ROOT_ALIAS = 'google';
// Spelled in two parts: the repository's import test forbids a package-root import literal.
const PROVIDER_ROOT = '@cdktf/' + 'provider-google';

/**
 * Rewrites `import { A, B as C } from '@cdktf/provider-google/lib/<kebab>';` into one
 * namespace import of the package root (`import * as google from <root>`) and an alias per name:
 * `import A = google.<ns>.A;` (an import alias keeps both the value and the type meaning),
 * or `type C = google.<ns>.B;` for type-only names.
 * Returns the new source and how many import statements were rewritten.
 */
function rewriteToRootImports(source: string, file: string, namespaces: ReadonlyMap<string, string>): [string, number] {
  const aliases: string[] = [];
  let first = -1;
  let count = 0;
  const stripped = source.replace(DEEP_IMPORT, (statement: string, typeOnly: string | undefined, names: string, module: string, offset: number) => {
    const namespace = namespaces.get(module);
    if (namespace === undefined) throw new Error(`${file}: the package root exports no namespace for lib/${module}`);
    for (const specifier of names.split(',').map((s) => s.trim()).filter((s) => s.length > 0)) {
      const m = /^(type\s+)?(\w+)(?:\s+as\s+(\w+))?$/.exec(specifier);
      if (!m) throw new Error(`${file}: cannot rewrite import specifier "${specifier}" in: ${statement.trim()}`);
      const [, typeSpecifier, imported, local = imported] = m;
      const target = `${ROOT_ALIAS}.${namespace}.${imported}`;
      aliases.push(typeOnly || typeSpecifier ? `type ${local} = ${target};` : `import ${local} = ${target};`);
    }
    if (first < 0) first = offset;
    count++;
    return '';
  });
  if (stripped.includes('@cdktf/provider-google/lib')) {
    throw new Error(`${file}: a deep provider import is in a form this rewrite does not handle`);
  }
  if (count === 0) return [source, 0];
  const block = [`import * as ${ROOT_ALIAS} from '${PROVIDER_ROOT}';`, ...aliases].join('\n') + '\n';
  return [stripped.slice(0, first) + block + stripped.slice(first), count];
}

function copyTree(from: string, to: string, visit: (file: string, text: string) => string): void {
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    const source = path.join(from, entry.name);
    const target = path.join(to, entry.name);
    if (entry.isDirectory()) {
      fs.mkdirSync(target, { recursive: true });
      copyTree(source, target, visit);
    } else if (entry.isFile()) {
      fs.writeFileSync(target, entry.name.endsWith('.ts') ? visit(source, fs.readFileSync(source, 'utf8')) : fs.readFileSync(source));
    }
  }
}

function buildRootImportVariant(root: string): { variant: Variant; files: number; imports: number } {
  const namespaces = providerNamespaces();
  let files = 0;
  let imports = 0;
  const rewrite = (file: string, text: string): string => {
    const [result, count] = rewriteToRootImports(text, path.relative(REPO, file), namespaces);
    if (count > 0) files++;
    imports += count;
    return result;
  };
  for (const dir of ['infra', 'environments', path.join('runtime', 'src')]) {
    fs.mkdirSync(path.join(root, dir), { recursive: true });
    copyTree(path.join(REPO, dir), path.join(root, dir), rewrite);
  }
  fs.copyFileSync(path.join(REPO, 'package.json'), path.join(root, 'package.json'));
  fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(root, 'node_modules'), 'dir');

  // Same compiler options as the repo; only the sources being measured (no test/ or bench/).
  const tsconfig = JSON.parse(fs.readFileSync(path.join(REPO, 'tsconfig.json'), 'utf8')) as Record<string, unknown>;
  tsconfig.include = ['infra', 'environments', 'runtime/src'];
  fs.writeFileSync(path.join(root, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2) + '\n');

  if (imports === 0) throw new Error('no deep provider imports found to rewrite');
  return { variant: { name: 'package root', root, tsconfig: 'tsconfig.json' }, files, imports };
}

/** A tsconfig outside the repo that checks the repo's infra, environments and runtime/src only. */
function writeSameScopeTsconfig(dir: string): string {
  const file = path.join(dir, 'tsconfig.same-scope.json');
  const tsconfig = {
    extends: path.join(REPO, 'tsconfig.json'),
    // `types` are looked up from the extending config's directory unless typeRoots says otherwise.
    compilerOptions: { typeRoots: [path.join(REPO, 'node_modules', '@types')] },
    include: ['infra', 'environments', path.join('runtime', 'src')].map((sub) => path.join(REPO, sub)),
  };
  fs.writeFileSync(file, JSON.stringify(tsconfig, null, 2) + '\n');
  return file;
}

// ---------------------------------------------------------------------------------------------
// Reporting.

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

interface Figures {
  readonly typecheckS: number;
  readonly typecheckRssMb: number;
  readonly sameScopeTypecheckS: number;
  readonly sameScopeTypecheckRssMb: number;
  readonly loadMs: number;
  readonly synthMs: number;
  readonly loadPlusSynthMs: number;
  readonly childWallS: number;
  readonly childRssMb: number;
}

function figures(
  typechecks: readonly TypecheckSample[],
  sameScopeTypechecks: readonly TypecheckSample[],
  synths: readonly SynthSample[],
): Figures {
  const mb = (kb: number) => kb / 1024;
  return {
    typecheckS: median(typechecks.map((s) => s.wallS)),
    typecheckRssMb: mb(median(typechecks.map((s) => s.peakRssKb))),
    sameScopeTypecheckS: median(sameScopeTypechecks.map((s) => s.wallS)),
    sameScopeTypecheckRssMb: mb(median(sameScopeTypechecks.map((s) => s.peakRssKb))),
    loadMs: median(synths.map((s) => s.loadMs)),
    synthMs: median(synths.map((s) => s.synthMs)),
    loadPlusSynthMs: median(synths.map((s) => s.loadMs + s.synthMs)),
    childWallS: median(synths.map((s) => s.wallS)),
    childRssMb: mb(median(synths.map((s) => s.peakRssKb))),
  };
}

function table(deep: Figures, root: Figures): string {
  const rows: [string, keyof Figures, number][] = [
    ['type-check wall (s)', 'typecheckS', 2],
    ['type-check peak RSS (MB)', 'typecheckRssMb', 0],
    ['type-check wall, same files (s)', 'sameScopeTypecheckS', 2],
    ['type-check peak RSS, same files (MB)', 'sameScopeTypecheckRssMb', 0],
    ['module load (ms)', 'loadMs', 0],
    ['synth, 3 environments (ms)', 'synthMs', 0],
    ['load + synth (ms)', 'loadPlusSynthMs', 0],
    ['synth child wall (s)', 'childWallS', 2],
    ['synth child peak RSS (MB)', 'childRssMb', 0],
  ];
  const lines = ['| median | deep imports | package root | root / deep |', '|---|---:|---:|---:|'];
  for (const [label, key, digits] of rows) {
    lines.push(`| ${label} | ${deep[key].toFixed(digits)} | ${root[key].toFixed(digits)} | ${(root[key] / deep[key]).toFixed(2)}× |`);
  }
  return lines.join('\n');
}

function budgets(name: string, f: Figures): string {
  const verdict = (ok: boolean) => (ok ? 'holds' : 'EXCEEDED');
  return (
    `- ${name}: type-check ${f.typecheckS.toFixed(2)} s <= ${BUDGET_TYPECHECK_S} s: ${verdict(f.typecheckS <= BUDGET_TYPECHECK_S)}; ` +
      `synth ${f.synthMs.toFixed(0)} ms <= ${BUDGET_SYNTH_MS} ms: ${verdict(f.synthMs <= BUDGET_SYNTH_MS)} ` +
      `(load + synth ${f.loadPlusSynthMs.toFixed(0)} ms: ${f.loadPlusSynthMs <= BUDGET_SYNTH_MS ? 'within' : 'over'} ${BUDGET_SYNTH_MS} ms)`
  );
}

function samples(name: string, typechecks: readonly TypecheckSample[], synths: readonly SynthSample[]): string {
  const list = (values: number[], digits: number) => values.map((v) => v.toFixed(digits)).join(', ');
  return (
    `- ${name}: type-check s [${list(typechecks.map((s) => s.wallS), 2)}], ` +
    `load ms [${list(synths.map((s) => s.loadMs), 0)}], synth ms [${list(synths.map((s) => s.synthMs), 0)}], ` +
    `child s [${list(synths.map((s) => s.wallS), 2)}]`
  );
}

// ---------------------------------------------------------------------------------------------

function runsFromEnv(): number {
  const raw = process.env.BENCH_RUNS ?? '3';
  const runs = Number(raw);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`BENCH_RUNS must be a positive integer, got "${raw}"`);
  return runs;
}

function sameStacks(deep: SynthSample, root: SynthSample): void {
  const names = (s: SynthSample) => [...s.stacks.keys()].sort().join(', ');
  if (deep.stacks.size === 0) throw new Error('the deep-import synth produced no stacks');
  if (names(deep) !== names(root)) {
    throw new Error(`stack mismatch: deep imports gave ${deep.stacks.size} [${names(deep)}], package root gave ${root.stacks.size} [${names(root)}]`);
  }
  for (const [name, json] of deep.stacks) {
    if (root.stacks.get(name) !== json) throw new Error(`${name}: the package-root variant synthesizes a different cdk.tf.json`);
  }
}

function main(): void {
  const started = performance.now();
  const runs = runsFromEnv();
  tempRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'orchestra-bench-'));
  const deep: Variant = { name: 'deep imports', root: REPO, tsconfig: 'tsconfig.json' };
  const built = buildRootImportVariant(path.join(tempRoot, 'root-import'));
  const root = built.variant;
  const deepSameScope: Variant = { ...deep, name: 'deep imports, same files', tsconfig: writeSameScopeTsconfig(tempRoot) };

  const cpus = os.cpus();
  console.log(`# Synth benchmark: ${runs} measured run(s) per command, medians`);
  console.log(`node ${process.version}, ${cpus.length} × ${cpus[0]?.model ?? 'unknown CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB`);
  console.log(`package-root variant: ${built.imports} deep imports rewritten in ${built.files} files (${root.root})\n`);

  // Unmeasured first pass: both variants must type-check and synthesize the same stacks.
  process.stdout.write('checking both variants ... ');
  typecheck(deep);
  typecheck(deepSameScope);
  typecheck(root);
  const deepCheck = synth(deep);
  sameStacks(deepCheck, synth(root));
  console.log(`ok: both type-check, both synthesize the same ${deepCheck.stacks.size} stacks [${[...deepCheck.stacks.keys()].join(', ')}]`);

  const typechecks = { deep: [] as TypecheckSample[], deepSameScope: [] as TypecheckSample[], root: [] as TypecheckSample[] };
  const synths = { deep: [] as SynthSample[], root: [] as SynthSample[] };
  for (let i = 1; i <= runs; i++) {
    process.stdout.write(`run ${i}/${runs} ... `);
    typechecks.deep.push(typecheck(deep));
    typechecks.deepSameScope.push(typecheck(deepSameScope));
    typechecks.root.push(typecheck(root));
    synths.deep.push(synth(deep));
    synths.root.push(synth(root));
    console.log('done');
  }

  const deepFigures = figures(typechecks.deep, typechecks.deepSameScope, synths.deep);
  const rootFigures = figures(typechecks.root, typechecks.root, synths.root);
  console.log(`\n${table(deepFigures, rootFigures)}\n`);
  console.log(`Budgets (type-check <= ${BUDGET_TYPECHECK_S} s; in-process synth of all three environments <= ${BUDGET_SYNTH_MS} ms, module load excluded):`);
  console.log(budgets('deep imports', deepFigures));
  console.log(budgets('package root', rootFigures));
  console.log('\nSamples:');
  console.log(samples('deep imports', typechecks.deep, synths.deep));
  console.log(`- deep imports, same files: type-check s [${typechecks.deepSameScope.map((s) => s.wallS.toFixed(2)).join(', ')}]`);
  console.log(samples('package root', typechecks.root, synths.root));
  console.log(
    '\nNotes: "type-check" for deep imports is `tsc --noEmit -p tsconfig.json` in the repo (also checks test/ and bench/); ' +
      'the package-root variant and the "same files" rows check only infra, environments and runtime/src. ' +
      'Module load = require of infra/app + environments in a fresh tsx child; synth = synthesizeEnvironments(ENVIRONMENTS).',
  );
  console.log(`\nTotal bench time: ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

function cleanUp(): void {
  if (tempRoot !== undefined) fs.rmSync(tempRoot, { recursive: true, force: true });
  tempRoot = undefined;
}

if (process.argv[2] === '--child') {
  const [root, outdir] = process.argv.slice(3);
  if (root === undefined || outdir === undefined) throw new Error('usage: synth.ts --child <root> <outdir>');
  runChild(root, outdir);
} else {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      cleanUp();
      process.exit(signal === 'SIGINT' ? 130 : 143);
    });
  }
  try {
    main();
  } catch (error) {
    process.stdout.write('\n');
    console.error(error instanceof Error ? `bench:synth failed: ${error.message}` : error);
    process.exitCode = 1;
  } finally {
    cleanUp();
  }
}
