import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

// The kit and the runtime as a platform team gets them: both packages packed (their build runs
// as `prepack`), installed from the tarballs into a project outside this repository, the README's
// example stack compiled there by that project's own TypeScript against the packages' type
// declarations, and synthesized by plain node. No path alias of this repository is in play.

const ROOT = path.resolve(__dirname, '../..');
const EXAMPLE = path.join(ROOT, 'docs/examples/team-stack.ts');
jest.setTimeout(300_000);

interface Packed {
  readonly name: string;
  readonly filename: string;
  readonly files: readonly { readonly path: string }[];
}

let work: string;
let packed: Packed[];
let project: string;

function run(command: string, args: readonly string[], cwd: string): string {
  const result = spawnSync(command, [...args], { cwd, encoding: 'utf8', env: { ...process.env, npm_config_update_notifier: 'false' }, maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} (in ${cwd}) exited ${result.status}:\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

const pkg = (name: string) => packed.find((p) => p.name === name)!;
const manifest = (dir: string) => JSON.parse(fs.readFileSync(path.join(ROOT, dir, 'package.json'), 'utf8'));
const pinned = (name: string) => manifest('.').dependencies[name] ?? manifest('.').devDependencies[name];

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'orchestra-packages-'));
  packed = JSON.parse(run('npm', ['pack', '--workspace', 'runtime', '--workspace', 'infra', '--pack-destination', work, '--json', '--silent'], ROOT)) as Packed[];

  project = path.join(work, 'team-project');
  fs.mkdirSync(path.join(project, 'src'), { recursive: true });
  fs.writeFileSync(
    path.join(project, 'package.json'),
    JSON.stringify({
      name: 'team-project',
      private: true,
      dependencies: {
        '@orchestra/infra': `file:../${pkg('@orchestra/infra').filename}`,
        '@orchestra/runtime': `file:../${pkg('@orchestra/runtime').filename}`,
        // The kit's peers, at the versions this repository pins.
        '@cdktf/provider-google': pinned('@cdktf/provider-google'),
        cdktf: pinned('cdktf'),
        constructs: pinned('constructs'),
        typescript: pinned('typescript'),
        '@types/node': pinned('@types/node'),
      },
    }),
  );
  fs.writeFileSync(
    path.join(project, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'node16', moduleResolution: 'node16', strict: true, outDir: 'out', rootDir: 'src', types: ['node'] }, include: ['src'] }),
  );
  fs.copyFileSync(EXAMPLE, path.join(project, 'src', 'team-stack.ts'));
  fs.writeFileSync(path.join(project, 'src', 'main.ts'), "import { synthTeamStack } from './team-stack';\nsynthTeamStack(process.argv[2]);\n");
  // The npm cache has every package already (this repository's own install); the tarballs are local.
  run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--silent'], project);
});

afterAll(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe('the packed packages', () => {
  it.each(['@orchestra/runtime', '@orchestra/infra'])('%s ships its build, its declarations and every file its exports map names, no sources or tests', (name) => {
    const files = new Set(pkg(name).files.map((f) => f.path));
    const dir = name === '@orchestra/runtime' ? 'runtime' : 'infra';
    const targets = Object.values(manifest(dir).exports as Record<string, string | Record<string, string>>).flatMap((t) => (typeof t === 'string' ? [t] : Object.values(t)));
    expect(targets.map((t) => t.replace(/^\.\//, '')).filter((t) => !files.has(t))).toEqual([]);
    expect([...files].filter((f) => /^(src|test)\//.test(f) || (f.endsWith('.ts') && !f.endsWith('.d.ts')))).toEqual([]);
  });

  it('the runtime ships its teams and its process entry', () => {
    const files = pkg('@orchestra/runtime').files.map((f) => f.path);
    expect(files).toEqual(expect.arrayContaining(['teams/default.yaml', 'dist/server/main.js']));
  });

  it('the kit depends on the runtime (its contract) and takes cdktf, constructs and the provider as peers', () => {
    const infra = manifest('infra');
    expect(Object.keys(infra.dependencies)).toContain('@orchestra/runtime');
    expect(Object.keys(infra.peerDependencies).sort()).toEqual(['@cdktf/provider-google', 'cdktf', 'constructs']);
  });
});

describe('a platform team’s project with the packages installed', () => {
  it('compiles the README example against the published declarations and synthesizes it', () => {
    run(path.join(project, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.json'], project);
    const outdir = path.join(work, 'synth');
    run(process.execPath, [path.join('out', 'main.js'), outdir], project);
    const json = JSON.parse(fs.readFileSync(path.join(outdir, 'stacks', 'acme-search', 'cdk.tf.json'), 'utf8'));
    const resources = json.resource as Record<string, Record<string, Record<string, any>>>;
    // Three constructs composed: the network, the index and the service.
    expect(Object.keys(resources)).toEqual(expect.arrayContaining(['google_compute_network', 'google_vertex_ai_index', 'google_cloud_run_v2_service']));
    // The secret exists already: nothing creates it; the service mounts it and may read it, that secret only.
    expect(resources.google_secret_manager_secret).toBeUndefined();
    const service = Object.values(resources.google_cloud_run_v2_service)[0];
    expect(service.template.containers[0].env).toContainEqual({ name: 'PARTNER_API_KEY', value_source: { secret_key_ref: { secret: 'acme-partner-api-key', version: 'latest' } } });
    const grants = Object.values(resources.google_secret_manager_secret_iam_member);
    expect(grants).toEqual([expect.objectContaining({ secret_id: 'acme-partner-api-key', role: 'roles/secretmanager.secretAccessor' })]);
  });

  it('loads the kit and the runtime contract without loading the runtime (no HTTP server, database or Google client)', () => {
    const script = [
      "require('@orchestra/infra');",
      "const contract = require('@orchestra/runtime/contract');",
      "if (typeof contract.renderRuntimeSettings !== 'function') throw new Error('no renderer');",
      "const heavy = Object.keys(require.cache).filter((f) => /node_modules[\\\\/](fastify|mongodb|ioredis|@google-cloud|google-gax|openai)[\\\\/]/.test(f));",
      'console.log(JSON.stringify(heavy));',
    ].join('\n');
    expect(JSON.parse(run(process.execPath, ['-e', script], project))).toEqual([]);
  });
});
