import { execFile, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { parseRuntimeConfig } from '../../runtime/src/contract';
import { createService } from '../../runtime/src/server/service';
import { parseEvents } from './server/event-stream-helpers';

const execFileAsync = promisify(execFile);

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

describe('README streaming example', () => {
  it('streams a conversation with curl -N on the embedded defaults', async () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const command = readme.match(/```sh readme-check=stream\n([\s\S]*?)```/)?.[1];
    expect(command).toContain('curl -sN localhost:8080/v1/teams/default/messages');
    // `npm start`'s service, on a free loopback port instead of 8080.
    const { app } = await createService({}, { logger: false });
    try {
      await app.listen({ host: '127.0.0.1', port: 0 });
      const { port } = app.server.address() as AddressInfo;
      const { stdout } = await execFileAsync('bash', ['-c', command!.replaceAll('localhost:8080', `127.0.0.1:${port}`)], { encoding: 'utf8' });
      const events = parseEvents(stdout);
      // One delta while the router answers whole; several once the offline model streams through it.
      expect(events.map((e) => e.event).join(' ')).toMatch(/^step step (delta )+step step done$/);
      const done = events[events.length - 1].data as { conversationId: string; reply: { content: string; agent: string }; trace: unknown[]; degraded: string[] };
      expect(done).toMatchObject({ conversationId: 'c1', reply: { agent: 'planner' }, degraded: [] });
      expect(events.filter((e) => e.event === 'delta').map((e) => (e.data as { text: string }).text).join('')).toBe(done.reply.content);
      // The event list in the README names every event the route sends.
      for (const name of ['step', 'delta', 'failover', 'done', 'error']) expect(readme).toContain(`| \`${name}\` |`);
    } finally {
      await app.close();
    }
  });
});
