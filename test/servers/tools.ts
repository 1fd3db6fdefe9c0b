import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const FERRETDB_SOURCE = path.join(__dirname, 'ferretdb');

/** Where built test tools are cached (survives clones; CI machines keep it between runs). */
function cacheDir(): string {
  return path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'orchestra', 'bin');
}

/** The FerretDB test server binary for the current sources (rebuilt when they change). */
export function ferretdbBinary(): string {
  const hash = createHash('sha256');
  for (const file of ['go.mod', 'go.sum', 'main.go']) hash.update(fs.readFileSync(path.join(FERRETDB_SOURCE, file)));
  return path.join(cacheDir(), `ferretdb-test-${hash.digest('hex').slice(0, 12)}`);
}

/** Builds the FerretDB test server from the Go module proxy if it is not cached yet. */
export function ensureFerretdb(log: (line: string) => void = () => {}): string {
  const binary = ferretdbBinary();
  if (fs.existsSync(binary)) return binary;
  log(`building ${path.basename(binary)} (FerretDB v1.24.2, first run only; about a minute)`);
  fs.mkdirSync(path.dirname(binary), { recursive: true });
  execFileSync('go', ['build', '-trimpath', '-o', `${binary}.tmp`, '.'], { cwd: FERRETDB_SOURCE, stdio: ['ignore', 'inherit', 'inherit'] });
  fs.renameSync(`${binary}.tmp`, binary);
  return binary;
}

/** Fails with instructions when Debian's redis-server is missing (installing is a root decision). */
export function ensureRedis(): void {
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
  } catch {
    throw new Error('redis-server is not installed: run `bash test/servers/install.sh` (apt-get install redis-server)');
  }
}
