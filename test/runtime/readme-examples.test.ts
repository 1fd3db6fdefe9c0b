import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseRuntimeConfig } from '../../runtime/src/contract';

const ROOT = path.resolve(__dirname, '../..');

describe('README memory example', () => {
  it('runs as written on the embedded defaults', () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const block = readme.match(/```ts readme-check=run\n([\s\S]*?)```/)?.[1];
    expect(block).toBeDefined();
    // Top-level await needs an async scope in a CommonJS script; the comments' claims are checked.
    const lines = block!.split('\n');
    const imports = lines.filter((l) => l.startsWith('import '));
    const body = lines.filter((l) => !l.startsWith('import ')).join('\n');
    const script = `${imports.join('\n')}\nimport * as assert from 'node:assert/strict';\n(async () => {\n${body
      .replace(/^const context = (.*)$/m, 'const context = $1\nassert.deepEqual(context.degraded, []); assert.equal(context.semantic[0].item.id, "turn-1");')
      .replace(
        /^(const \{ removed, receipt \} = await memory\.forget\(.*\);)\n\/\/ removed: (\{.*\}); receipt\.state: ('\w+').*$/m,
        '$1\nassert.deepEqual(removed, $2); assert.equal(receipt.state, $3);',
      )}\nconsole.log('example ok');\n})().catch((e) => { console.error(e); process.exit(1); });\n`;
    const file = path.join(ROOT, `.readme-example-${process.pid}.ts`);
    fs.writeFileSync(file, script);
    try {
      const result = spawnSync(path.join(ROOT, 'node_modules/.bin/tsx'), [file], { cwd: ROOT, encoding: 'utf8', env: { PATH: process.env.PATH, HOME: process.env.HOME } });
      expect(result.stderr).toBe('');
      expect(result.stdout.trim()).toBe('example ok');
    } finally {
      fs.rmSync(file, { force: true });
    }
  });
});

describe('README LLM configuration example', () => {
  it('is a valid ORCHESTRA_LLM_CONFIG', () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const json = readme.match(/```json\n(\{\n {2}"deployments"[\s\S]*?)```/)?.[1];
    expect(json).toBeDefined();
    const { llm: config } = parseRuntimeConfig({
      ORCHESTRA_LLM_CONFIG: json,
      ORCHESTRA_LLM_OPENAI_API_KEY: 'sk-test-0123456789abcdef',
      GOOGLE_CLOUD_PROJECT: 'acme-prod',
      ORCHESTRA_REGION: 'us-central1',
    });
    expect(JSON.stringify(config)).not.toContain('sk-test-0123456789abcdef');
  });
});
