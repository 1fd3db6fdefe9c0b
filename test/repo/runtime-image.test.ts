import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

describe('runtime/Dockerfile', () => {
  // The image is the package as deployed: a file the package ships but the image lacks fails only
  // on Cloud Run (the private Vector Search proto did, on its first query).
  it('copies into the final stage everything the runtime package ships', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'runtime/package.json'), 'utf8')) as { files: string[] };
    const dockerfile = fs.readFileSync(path.join(ROOT, 'runtime/Dockerfile'), 'utf8');
    const finalStage = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    const copied = [...finalStage.matchAll(/^COPY\s+(?:--from=\S+\s+)?(\S+)\s+\S+$/gm)].map((m) => m[1].replace(/^\/app\//, ''));
    const shipped = pkg.files.filter((f) => f !== 'README.md').map((f) => `runtime/${f}`);
    expect(shipped.filter((f) => !copied.includes(f))).toEqual([]);
  });
});
