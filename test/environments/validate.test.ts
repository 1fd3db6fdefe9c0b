// environments/scripts/validate.sh: `terraform validate` (and an offline `plan -refresh=false`) of the synthesized
// stacks against the hashicorp/google provider built from the Go module proxy. The build is done by
// `npm run validate` (cached under ~/.cache/orchestra/terraform-providers); without terraform or that
// cached build these tests are skipped with a note rather than starting a multi-minute build here.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { ENVIRONMENTS, synthesizeEnvironments } from '../../environments';

const script = path.join(__dirname, '..', '..', 'environments', 'scripts', 'validate.sh');
const cache = path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'orchestra', 'terraform-providers');
const hasTerraform = spawnSync('bash', ['-c', 'command -v "${TERRAFORM_BINARY_NAME:-terraform}"']).status === 0;
const providerBuilt = fs.existsSync(path.join(cache, 'mirror'));
const ready = hasTerraform && providerBuilt;
if (!ready) {
  console.warn(`validate.test.ts skipped: ${hasTerraform ? 'no provider build in ' + cache + ' (run npm run validate)' : 'no terraform on PATH'}`);
}

const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'orchestra-validate-'));
afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

function run(args: string[]) {
  const r = spawnSync('bash', [script, ...args], { encoding: 'utf8', timeout: 180_000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

(ready ? describe : describe.skip)('environments/scripts/validate.sh', () => {
  beforeAll(() => synthesizeEnvironments(ENVIRONMENTS, { outdir, shell: {} }));

  it('finds every synthesized stack valid and plans it offline', () => {
    const { status, out } = run(['--out', outdir, '--plan']);
    expect(out).toMatch(/orchestra-dev: valid, 0 error\(s\)/);
    expect(out).toMatch(/orchestra-staging: valid, 0 error\(s\)/);
    expect(out).toMatch(/orchestra-prod: valid, 0 error\(s\)/);
    expect(out).toMatch(/orchestra-prod: plan OK: Plan: \d+ to add, 0 to change, 0 to destroy\./);
    expect(status).toBe(0);
  }, 180_000);

  it('fails on what only the provider knows: an enum value and an unknown argument', () => {
    const bad = path.join(outdir, 'bad');
    fs.mkdirSync(path.join(bad, 'stacks', 'broken'), { recursive: true });
    const doc = JSON.parse(fs.readFileSync(path.join(outdir, 'stacks', 'orchestra-dev', 'cdk.tf.json'), 'utf8'));
    const firewall = Object.values(doc.resource.google_compute_firewall)[0] as Record<string, unknown>;
    firewall.direction = 'SIDEWAYS';
    const bucket = Object.values(doc.resource.google_storage_bucket)[0] as Record<string, unknown>;
    bucket.bogus_argument = true;
    fs.writeFileSync(path.join(bad, 'stacks', 'broken', 'cdk.tf.json'), JSON.stringify(doc));

    const { status, out } = run(['--out', bad]);
    expect(out).toMatch(/broken: INVALID, 2 error\(s\)/);
    expect(out).toMatch(/expected direction to be one of .*got SIDEWAYS/);
    expect(out).toMatch(/No argument or block type is named "bogus_argument"/);
    expect(status).toBe(1);
  }, 180_000);
});
