// Benchmark (not a test): type-check and synth cost of this repo's CDKTF code (the kit in infra/src,
// the deployment in environments/, and runtime/src, whose contract the kit imports) with the provider
// imported the way the repo does it (deep `@cdktf/provider-google/lib/<resource>` paths), against a
// generated copy that imports the package root instead.
//
//   npm run bench:synth                 # 3 measured runs of each command, medians reported
//   BENCH_RUNS=5 npm run bench:synth
//
// Every command runs once unmeasured first (it checks the command works, that both variants resolve
// their modules alike and synthesize byte-identical stacks, and warms the file cache and tsx's
// compile cache), then BENCH_RUNS times, alternating between the variants.
// Wall time and peak RSS come from `/usr/bin/time -f '%e %M'` around each child process; children
// run on the Node that runs this script.
// The script doubles as the synth child: `tsx --tsconfig <root>/tsconfig.json bench/synth.ts --child
// <root> <outdir>` (tsx applies that config's `paths`). The child evaluates this module's top-level
// imports too, so they stay Node built-ins only.

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

/**
 * The sources both variants type-check ("same files") and the package-root variant copies: the kit,
 * this repository's deployment, and the runtime (the kit imports `@orchestra/runtime/contract`,
 * which the root tsconfig's `paths` map to runtime/src).
 */
const SOURCE_DIRS = ['infra/src', 'environments', 'runtime/src'] as const;
/** What the synth child requires: it exports ENVIRONMENTS and synthesizeEnvironments. */
const ENVIRONMENTS_ENTRY = 'environments';

const BUDGET_TYPECHECK_S = 5;
const BUDGET_SYNTH_MS = 1000;

// ---------------------------------------------------------------------------------------------
// Synth child: runs in its own process so module loading is timed apart from synthesis.

interface ChildResult {
  readonly loadMs: number;
  readonly synthMs: number;
  /** Real path of every file the child loaded (require.cache), this script excepted. */
  readonly modules: readonly string[];
}

function runChild(root: string, outdir: string): void {
  const start = performance.now();
  // require, not import(): the code is CommonJS, loaded the way `npm run synth` (tsx environments/main.ts) loads it.
  const environments = require(path.join(root, ENVIRONMENTS_ENTRY)) as typeof import('../environments');
  const loaded = performance.now();
  environments.synthesizeEnvironments(environments.ENVIRONMENTS, { outdir });
  const synthesized = performance.now();
  const self = fs.realpathSync(__filename);
  const modules = Object.keys(require.cache).filter((file) => file !== self);
  const result: ChildResult = { loadMs: loaded - start, synthMs: synthesized - loaded, modules };
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

interface TimedOptions {
  readonly env?: NodeJS.ProcessEnv;
  /** What of the child's output a failure shows (its last 40 lines of that). @default all of it */
  readonly failureOutput?: (output: string) => string;
}

/** Runs `node <script> <args>` under /usr/bin/time; throws with its output if it exits non-zero. */
function timed(label: string, script: string, args: readonly string[], cwd: string, options: TimedOptions = {}): Timed {
  const timeFile = path.join(requireTempRoot(), `time-${timeFileCount++}.txt`);
  const command = [process.execPath, script, ...args];
  const run = spawnSync(TIME, ['-f', '%e %M', '-o', timeFile, ...command], {
    cwd,
    env: options.env ?? process.env,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (run.error) throw new CommandFailed(`${label}: could not start ${TIME}: ${run.error.message}`);
  if (run.status !== 0) {
    const how = run.signal ? `was killed by ${run.signal}` : `exited with status ${run.status}`;
    const shown = (options.failureOutput ?? ((output: string) => output))(`${run.stdout}${run.stderr}`);
    const output = shown.trim().split('\n').slice(-40).join('\n');
    throw new CommandFailed(`${label} ${how}\n  $ ${command.join(' ')}\n${output}`);
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
// The variants and the commands measured on each.

interface Variant {
  readonly name: string;
  /** Holds SOURCE_DIRS, tsconfig.json (whose `paths` tsx applies to the synth child) and node_modules. */
  readonly root: string;
  /** Absolute path of the tsconfig the type-check uses. */
  readonly tsconfig: string;
}

interface TypecheckSample {
  readonly wallS: number;
  readonly peakRssKb: number;
  /** The files tsc compiled (`--listFiles`, first pass only). */
  readonly files: readonly string[];
}

interface SynthSample extends ChildResult {
  readonly wallS: number;
  readonly peakRssKb: number;
  /** Stack name -> synthesized cdk.tf.json text. */
  readonly stacks: ReadonlyMap<string, string>;
}

/** A line of `--listFiles` output (an absolute path), not an error message (`file(line,col): error TS…`). */
const isListedFile = (line: string) => path.isAbsolute(line) && !/: error TS\d+:/.test(line);

function typecheck(variant: Variant, listFiles = false): TypecheckSample {
  const args = ['--noEmit', '-p', variant.tsconfig, ...(listFiles ? ['--listFiles'] : [])];
  // A failure shows tsc's errors, not the file list after them.
  const failureOutput = (output: string) => output.split('\n').filter((line) => !isListedFile(line)).join('\n');
  const run = timed(`type-check (${variant.name})`, TSC, args, variant.root, { failureOutput });
  const files = listFiles ? run.stdout.split('\n').filter(isListedFile) : [];
  return { wallS: run.wallS, peakRssKb: run.peakRssKb, files };
}

function synth(variant: Variant): SynthSample {
  const outdir = fs.mkdtempSync(path.join(requireTempRoot(), 'cdktf.out-'));
  try {
    const label = `synth (${variant.name})`;
    const args = ['--tsconfig', path.join(variant.root, 'tsconfig.json'), __filename, '--child', variant.root, outdir];
    const run = timed(label, TSX, args, variant.root, { env: childEnv() });
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

/** A tsconfig outside the repo that checks the repo's SOURCE_DIRS only, with the repo's options and `paths`. */
function writeSameFilesTsconfig(dir: string): string {
  const file = path.join(dir, 'tsconfig.same-files.json');
  const tsconfig = {
    extends: path.join(REPO, 'tsconfig.json'),
    // `types` are looked up from the extending config's directory unless typeRoots says otherwise.
    compilerOptions: { typeRoots: [path.join(REPO, 'node_modules', '@types')] },
    include: SOURCE_DIRS.map((dir) => path.join(REPO, dir)),
  };
  fs.writeFileSync(file, JSON.stringify(tsconfig, null, 2) + '\n');
  return file;
}

// ---------------------------------------------------------------------------------------------
// The package-root variant: a copy of SOURCE_DIRS whose provider imports go through the root.

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
  fs.mkdirSync(to, { recursive: true });
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    const source = path.join(from, entry.name);
    const target = path.join(to, entry.name);
    if (entry.isDirectory()) {
      copyTree(source, target, visit);
    } else if (entry.isFile()) {
      fs.writeFileSync(target, entry.name.endsWith('.ts') ? visit(source, fs.readFileSync(source, 'utf8')) : fs.readFileSync(source));
    }
  }
}

/** The repo root and its npm workspaces (package.json "workspaces", plain directory names). */
function packageDirs(): string[] {
  const manifest = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { workspaces?: string[] };
  const workspaces = manifest.workspaces ?? [];
  for (const workspace of workspaces) {
    if (!fs.existsSync(path.join(REPO, workspace, 'package.json'))) {
      throw new Error(`workspace "${workspace}" is not a directory with a package.json (globs are not supported here)`);
    }
  }
  return ['.', ...workspaces];
}

/**
 * Gives the copy the repository's module resolution: the same package.json files (their "type"
 * decides how TypeScript and Node treat the .ts files), and a symlink to every node_modules the
 * repository has: the root's, and each workspace's own. npm installs a workspace's dependency in
 * <workspace>/node_modules when it does not hoist it (the lockfile puts `openai` in
 * runtime/node_modules), so a copy that links the root node_modules alone cannot resolve it.
 * The `paths` aliases come with the copied compiler options (see buildRootImportVariant).
 */
function mirrorResolution(root: string): void {
  for (const dir of packageDirs()) {
    fs.mkdirSync(path.join(root, dir), { recursive: true });
    fs.copyFileSync(path.join(REPO, dir, 'package.json'), path.join(root, dir, 'package.json'));
    const modules = path.join(REPO, dir, 'node_modules');
    if (fs.existsSync(modules)) fs.symlinkSync(modules, path.join(root, dir, 'node_modules'), 'dir');
  }
  if (!fs.existsSync(path.join(root, 'node_modules'))) throw new Error(`${REPO} has no node_modules: run npm ci first`);
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
  for (const dir of SOURCE_DIRS) copyTree(path.join(REPO, dir), path.join(root, dir), rewrite);
  if (imports === 0) throw new Error('no deep provider imports found to rewrite');
  mirrorResolution(root);

  // The repo's compiler options, copied rather than extended: `paths` are relative to the config
  // that declares them, so an `extends` would map @orchestra/* back to the repository's sources.
  // The copy checks the same files as the "same files" config, none of test/ or bench/.
  const tsconfig = JSON.parse(fs.readFileSync(path.join(REPO, 'tsconfig.json'), 'utf8')) as Record<string, unknown>;
  if ('extends' in tsconfig) throw new Error('tsconfig.json extends another config: copy its options into the variant');
  tsconfig.include = [...SOURCE_DIRS];
  const tsconfigFile = path.join(root, 'tsconfig.json');
  fs.writeFileSync(tsconfigFile, JSON.stringify(tsconfig, null, 2) + '\n');

  return { variant: { name: 'package root', root, tsconfig: tsconfigFile }, files, imports };
}

// ---------------------------------------------------------------------------------------------
// Checking that the variants resolve alike (first pass only).

/** Files a command used: the project's own (relative to the variant root) and dependencies (real paths). */
interface Resolved {
  readonly sources: ReadonlySet<string>;
  readonly dependencies: ReadonlySet<string>;
}

const inNodeModules = (file: string) => file.split(path.sep).includes('node_modules');

/**
 * Splits `files` into the variant's own sources and files in some node_modules. Anything else (for
 * the copy: the repository's sources or a workspace's dist, reached through a package symlink in
 * node_modules instead of a `paths` alias) means the copy does not resolve like the repository.
 */
function classify(what: string, variant: Variant, files: readonly string[]): Resolved {
  const sources = new Set<string>();
  const dependencies = new Set<string>();
  for (const file of files) {
    const relative = path.relative(variant.root, file);
    if (inNodeModules(file)) dependencies.add(file);
    else if (!relative.startsWith('..') && !path.isAbsolute(relative)) sources.add(relative);
    else throw new Error(`${what} (${variant.name}) used ${file}, outside its root ${variant.root}`);
  }
  return { sources, dependencies };
}

/** The same project files, and every dependency file of the deep variant at the same real path. */
function sameResolution(what: string, deep: Resolved, root: Resolved): void {
  const missing = (from: ReadonlySet<string>, to: ReadonlySet<string>) => [...from].filter((f) => !to.has(f));
  const onlyDeep = missing(deep.sources, root.sources);
  const onlyRoot = missing(root.sources, deep.sources);
  if (onlyDeep.length + onlyRoot.length > 0) {
    throw new Error(`${what}: the variants use different sources; deep imports only: [${onlyDeep.join(', ')}], package root only: [${onlyRoot.join(', ')}]`);
  }
  const unresolved = missing(deep.dependencies, root.dependencies);
  if (unresolved.length > 0) {
    throw new Error(`${what}: the package-root variant does not use ${unresolved.length} dependency file(s) the repo resolves, e.g. ${unresolved.slice(0, 5).join(', ')}`);
  }
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

// ---------------------------------------------------------------------------------------------
// Reporting.

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

interface Figures {
  /** `tsc -p tsconfig.json` in the repo (tests and benches included); measured for deep imports only. */
  readonly wholeRepoTypecheckS?: number;
  readonly wholeRepoTypecheckRssMb?: number;
  readonly typecheckS: number;
  readonly typecheckRssMb: number;
  readonly loadMs: number;
  readonly synthMs: number;
  readonly loadPlusSynthMs: number;
  readonly childWallS: number;
  readonly childRssMb: number;
}

const mb = (kb: number) => kb / 1024;

function figures(sameFiles: readonly TypecheckSample[], synths: readonly SynthSample[], wholeRepo: readonly TypecheckSample[] = []): Figures {
  return {
    ...(wholeRepo.length > 0 && {
      wholeRepoTypecheckS: median(wholeRepo.map((s) => s.wallS)),
      wholeRepoTypecheckRssMb: mb(median(wholeRepo.map((s) => s.peakRssKb))),
    }),
    typecheckS: median(sameFiles.map((s) => s.wallS)),
    typecheckRssMb: mb(median(sameFiles.map((s) => s.peakRssKb))),
    loadMs: median(synths.map((s) => s.loadMs)),
    synthMs: median(synths.map((s) => s.synthMs)),
    loadPlusSynthMs: median(synths.map((s) => s.loadMs + s.synthMs)),
    childWallS: median(synths.map((s) => s.wallS)),
    childRssMb: mb(median(synths.map((s) => s.peakRssKb))),
  };
}

function table(deep: Figures, root: Figures): string {
  const rows: [string, keyof Figures, number][] = [
    ['type-check wall, whole repo (s)', 'wholeRepoTypecheckS', 2],
    ['type-check peak RSS, whole repo (MB)', 'wholeRepoTypecheckRssMb', 0],
    ['type-check wall, same files (s)', 'typecheckS', 2],
    ['type-check peak RSS, same files (MB)', 'typecheckRssMb', 0],
    ['module load (ms)', 'loadMs', 0],
    ['synth of 3 environments, in process (ms)', 'synthMs', 0],
    ['load + synth (ms)', 'loadPlusSynthMs', 0],
    ['synth child process wall (s)', 'childWallS', 2],
    ['synth child peak RSS (MB)', 'childRssMb', 0],
  ];
  const cell = (value: number | undefined, digits: number) => (value === undefined ? '—' : value.toFixed(digits));
  const lines = ['| median | deep imports (this repo) | package root | root / deep |', '|---|---:|---:|---:|'];
  for (const [label, key, digits] of rows) {
    const [d, r] = [deep[key], root[key]];
    const ratio = d === undefined || r === undefined ? '—' : `${(r / d).toFixed(2)}×`;
    lines.push(`| ${label} | ${cell(d, digits)} | ${cell(r, digits)} | ${ratio} |`);
  }
  return lines.join('\n');
}

function budgets(name: string, f: Figures): string {
  const verdict = (ok: boolean) => (ok ? 'holds' : 'EXCEEDED');
  const [typecheckS, scope] = f.wholeRepoTypecheckS === undefined ? [f.typecheckS, 'same files'] : [f.wholeRepoTypecheckS, 'whole repo'];
  return (
    `- ${name}: type-check (${scope}) ${typecheckS.toFixed(2)} s <= ${BUDGET_TYPECHECK_S} s: ${verdict(typecheckS <= BUDGET_TYPECHECK_S)}; ` +
    `synth ${f.synthMs.toFixed(0)} ms <= ${BUDGET_SYNTH_MS} ms: ${verdict(f.synthMs <= BUDGET_SYNTH_MS)} ` +
    `(load + synth ${f.loadPlusSynthMs.toFixed(0)} ms: ${f.loadPlusSynthMs <= BUDGET_SYNTH_MS ? 'within' : 'over'} ${BUDGET_SYNTH_MS} ms)`
  );
}

const list = (values: readonly number[], digits: number) => values.map((v) => v.toFixed(digits)).join(', ');

function samples(name: string, typechecks: readonly TypecheckSample[], synths: readonly SynthSample[]): string {
  return (
    `- ${name}: type-check (same files) s [${list(typechecks.map((s) => s.wallS), 2)}], ` +
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

function main(): void {
  const started = performance.now();
  const runs = runsFromEnv();
  // Real path: tsc and Node report real paths, which classify() compares with the variant roots.
  tempRoot = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'orchestra-bench-')));
  const deep: Variant = { name: 'deep imports', root: REPO, tsconfig: path.join(REPO, 'tsconfig.json') };
  const deepSameFiles: Variant = { ...deep, name: 'deep imports, same files', tsconfig: writeSameFilesTsconfig(tempRoot) };
  const built = buildRootImportVariant(path.join(tempRoot, 'root-import'));
  const root = built.variant;

  const cpus = os.cpus();
  console.log(`# Synth benchmark: ${runs} measured run(s) per command, medians`);
  console.log(`node ${process.version}, ${cpus.length} × ${cpus[0]?.model ?? 'unknown CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB`);
  console.log(`package-root variant: ${built.imports} deep imports rewritten in ${built.files} files (${root.root})\n`);

  // Unmeasured first pass: both variants type-check the same sources and resolve their imports to
  // the same files, and synthesize the same stacks.
  process.stdout.write('checking both variants ... ');
  typecheck(deep);
  const typechecked = { deep: typecheck(deepSameFiles, true), root: typecheck(root, true) };
  sameResolution('type-check', classify('type-check', deepSameFiles, typechecked.deep.files), classify('type-check', root, typechecked.root.files));
  const synthesized = { deep: synth(deep), root: synth(root) };
  sameResolution('synth', classify('synth', deep, synthesized.deep.modules), classify('synth', root, synthesized.root.modules));
  sameStacks(synthesized.deep, synthesized.root);
  const stackNames = [...synthesized.deep.stacks.keys()];
  console.log(`ok: both type-check and load the same sources, both synthesize the same ${stackNames.length} stacks [${stackNames.join(', ')}]`);

  const typechecks = { deep: [] as TypecheckSample[], deepSameFiles: [] as TypecheckSample[], root: [] as TypecheckSample[] };
  const synths = { deep: [] as SynthSample[], root: [] as SynthSample[] };
  for (let i = 1; i <= runs; i++) {
    process.stdout.write(`run ${i}/${runs} ... `);
    typechecks.deep.push(typecheck(deep));
    typechecks.deepSameFiles.push(typecheck(deepSameFiles));
    typechecks.root.push(typecheck(root));
    synths.deep.push(synth(deep));
    synths.root.push(synth(root));
    console.log('done');
  }

  const deepFigures = figures(typechecks.deepSameFiles, synths.deep, typechecks.deep);
  const rootFigures = figures(typechecks.root, synths.root);
  console.log(`\n${table(deepFigures, rootFigures)}\n`);
  console.log(`Budgets (type-check <= ${BUDGET_TYPECHECK_S} s; in-process synth of all three environments <= ${BUDGET_SYNTH_MS} ms, module load excluded):`);
  console.log(budgets('deep imports', deepFigures));
  console.log(budgets('package root', rootFigures));
  console.log('\nSamples:');
  console.log(`- deep imports, whole repo: type-check s [${list(typechecks.deep.map((s) => s.wallS), 2)}]`);
  console.log(samples('deep imports', typechecks.deepSameFiles, synths.deep));
  console.log(samples('package root', typechecks.root, synths.root));
  console.log(
    '\nNotes: "whole repo" is `tsc --noEmit -p tsconfig.json` in the repo (test/, bench/ and docs/examples too); ' +
      `"same files" checks only ${SOURCE_DIRS.join(', ')}, with the repo's compiler options and paths. ` +
      `Module load = require of ${ENVIRONMENTS_ENTRY}/ (configs, stack, kit, runtime contract) in a fresh tsx child; ` +
      'synth = synthesizeEnvironments(ENVIRONMENTS).',
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
