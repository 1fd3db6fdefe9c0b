import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { inspect } from 'node:util';
import { ConfigError, type LlmConfig, parseRuntimeConfig } from '../../../runtime/src/contract';
import { LlmRouterError, createLlmClient } from '../../../runtime/src/llm';
import { reply, startOpenAIServer, type OpenAIServer } from '../../servers/openai-compatible-server';

const KEY = 'sk-config-test-5d6e7f';
let server: OpenAIServer;
let dir: string;

beforeAll(async () => {
  server = await startOpenAIServer();
  dir = await mkdtemp(path.join(os.tmpdir(), 'llm-config-'));
});
afterAll(async () => {
  await server.stop();
  await rm(dir, { recursive: true, force: true });
});
beforeEach(() => server.reset());

/** The LLM part of the runtime's settings. */
const parseLlmConfig = (env: Record<string, string>): LlmConfig => parseRuntimeConfig(env).llm;

/** The problems a configuration is rejected with, as `path: message`. */
function problems(env: Record<string, string>): readonly string[] {
  try {
    parseRuntimeConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.map((p) => `${p.path}: ${p.message}`);
    throw err;
  }
  throw new Error('expected a ConfigError');
}

const config = (value: object, extra: Record<string, string> = {}) => ({ ORCHESTRA_LLM_CONFIG: JSON.stringify(value), ...extra });
const proxy = (name: string, more: object = {}) => ({ name, provider: 'openai-compatible', model: 'gpt-4o-mini', baseUrl: 'http://litellm:4000/v1', ...more });

describe('the LLM settings (ORCHESTRA_LLM_CONFIG and the provider keys)', () => {
  it('without ORCHESTRA_LLM_CONFIG: one offline deployment and the router defaults', async () => {
    const parsed = parseLlmConfig({});
    expect(parsed).toEqual({
      deployments: [{ name: 'offline', provider: 'offline', model: 'offline' }],
      fallbacks: {},
      contextWindowFallbacks: {},
      retries: 2,
      timeoutMs: 30_000,
      cooldownMs: 30_000,
      allowOfflineOnly: false,
      apiKeys: {},
    });
    const client = createLlmClient(parsed);
    expect(client.deployments).toEqual(['offline']);
    expect((await client.chat({ messages: [{ role: 'user', content: 'hi' }] })).text).toMatch(/^\[offline model\]/);
  });

  it('reads inline JSON: every provider, keys from their variables, fallbacks and limits', () => {
    const env = 
      config(
        {
          deployments: [
            proxy('primary', { apiKeyProvider: 'litellm', timeoutMs: 20_000 }),
            { name: 'gemini', provider: 'vertex-gemini', model: 'gemini-2.5-flash' },
            { name: 'offline', provider: 'offline', model: 'offline' },
          ],
          fallbacks: { primary: ['gemini', 'offline'] },
          contextWindowFallbacks: { primary: ['gemini'] },
          retries: 3,
          timeoutMs: 45_000,
          cooldownMs: 0,
        },
        { ORCHESTRA_LLM_LITELLM_API_KEY: KEY, GOOGLE_CLOUD_PROJECT: 'orchestra-prod', ORCHESTRA_REGION: 'europe-west1' },
      );
    const { llm: parsed, google } = parseRuntimeConfig(env);
    expect(parsed).toMatchObject({
      deployments: [
        { name: 'primary', provider: 'openai-compatible', model: 'gpt-4o-mini', baseUrl: 'http://litellm:4000/v1', apiKeyProvider: 'litellm', timeoutMs: 20_000 },
        { name: 'gemini', provider: 'vertex-gemini', model: 'gemini-2.5-flash' },
        { name: 'offline', provider: 'offline', model: 'offline' },
      ],
      fallbacks: { primary: ['gemini', 'offline'] },
      contextWindowFallbacks: { primary: ['gemini'] },
      retries: 3,
      timeoutMs: 45_000,
      cooldownMs: 0,
    });
    expect(google).toEqual({ projectId: 'orchestra-prod', region: 'europe-west1' });
    expect(parsed.apiKeys.litellm.reveal()).toBe(KEY);
    // The key is held, not shown.
    expect(JSON.stringify(parsed)).not.toContain(KEY);
    expect(inspect(parsed, { depth: 10, showHidden: true })).not.toContain(KEY);
    expect(String(parsed.apiKeys.litellm)).toBe('[redacted]');
    expect(createLlmClient(parsed, google).deployments).toEqual(['primary', 'gemini', 'offline']);
  });

  it('reads a YAML file and a JSON file', async () => {
    const yamlFile = path.join(dir, 'llm.yaml');
    await writeFile(yamlFile, ['deployments:', '  - name: local', '    provider: offline', '    model: offline-1', 'retries: 0', ''].join('\n'));
    const jsonFile = path.join(dir, 'llm.json');
    await writeFile(jsonFile, JSON.stringify({ deployments: [{ name: 'j', provider: 'offline', model: 'o' }], cooldownMs: 5 }));
    expect(parseLlmConfig({ ORCHESTRA_LLM_CONFIG: yamlFile })).toMatchObject({ deployments: [{ name: 'local', model: 'offline-1' }], retries: 0 });
    expect(parseLlmConfig({ ORCHESTRA_LLM_CONFIG: jsonFile })).toMatchObject({ deployments: [{ name: 'j' }], cooldownMs: 5 });
  });

  it('names the file that cannot be read or parsed', async () => {
    const missing = path.join(dir, 'missing.yaml');
    expect(problems({ ORCHESTRA_LLM_CONFIG: missing })).toEqual([`ORCHESTRA_LLM_CONFIG: cannot read ${missing} (ENOENT); expected inline JSON or a JSON/YAML file path`]);
    const broken = path.join(dir, 'broken.yaml');
    await writeFile(broken, 'deployments: [\n');
    expect(problems({ ORCHESTRA_LLM_CONFIG: broken })).toEqual([expect.stringMatching(new RegExp(`^ORCHESTRA_LLM_CONFIG: ${broken} does not parse: `))]);
    expect(problems({ ORCHESTRA_LLM_CONFIG: '{"deployments": [' })).toEqual([expect.stringMatching(/^ORCHESTRA_LLM_CONFIG: inline JSON does not parse: /)]);
  });

  it.each([
    ['an unknown provider', { deployments: [proxy('a'), { name: 'b', provider: 'anthropic', model: 'm' }] }, 'ORCHESTRA_LLM_CONFIG.deployments[1].provider: one of openai-compatible, vertex-gemini, offline'],
    ['an unknown key', { deployments: [proxy('a', { apiKey: 'inline' })] }, 'ORCHESTRA_LLM_CONFIG.deployments[0].apiKey: unknown field'],
    ['an unknown top-level key', { deployments: [proxy('a')], retry: 1 }, 'ORCHESTRA_LLM_CONFIG.retry: unknown field'],
    ['no deployments', { deployments: [] }, 'ORCHESTRA_LLM_CONFIG.deployments: at least one deployment'],
    ['a missing model', { deployments: [{ name: 'a', provider: 'offline' }] }, 'ORCHESTRA_LLM_CONFIG.deployments[0].model: required (expected string)'],
    ['a bad name', { deployments: [{ name: 'a b', provider: 'offline', model: 'm' }] }, 'ORCHESTRA_LLM_CONFIG.deployments[0].name: letters, digits, _ or -, at most 40'],
    ['openai-compatible without baseUrl', { deployments: [{ name: 'a', provider: 'openai-compatible', model: 'm' }] }, 'ORCHESTRA_LLM_CONFIG.deployments[0].baseUrl: required for openai-compatible'],
    ['a non-http baseUrl', { deployments: [proxy('a', { baseUrl: 'ftp://x' })] }, 'ORCHESTRA_LLM_CONFIG.deployments[0].baseUrl: an http:// or https:// URL'],
    ['apiKeyProvider on offline', { deployments: [{ name: 'a', provider: 'offline', model: 'm', apiKeyProvider: 'x' }] }, 'ORCHESTRA_LLM_CONFIG.deployments[0].apiKeyProvider: only for openai-compatible, not offline'],
    ['an apiKeyProvider that maps to no one variable', { deployments: [proxy('a', { apiKeyProvider: 'Open_AI' })] }, 'ORCHESTRA_LLM_CONFIG.deployments[0].apiKeyProvider: a lowercase provider name such as openai (letters, digits, -)'],
    ['duplicate names', { deployments: [proxy('a'), proxy('a')] }, 'ORCHESTRA_LLM_CONFIG.deployments[1].name: duplicate name "a"'],
    ['a fallback to an unknown deployment', { deployments: [proxy('a')], fallbacks: { a: ['ghost'] } }, 'ORCHESTRA_LLM_CONFIG.fallbacks.a[0]: unknown deployment "ghost"'],
    ['fallbacks of an unknown deployment', { deployments: [proxy('a')], contextWindowFallbacks: { ghost: ['a'] } }, 'ORCHESTRA_LLM_CONFIG.contextWindowFallbacks.ghost: unknown deployment "ghost"'],
    ['a fallback to itself', { deployments: [proxy('a')], fallbacks: { a: ['a'] } }, 'ORCHESTRA_LLM_CONFIG.fallbacks.a[0]: a deployment cannot fall back to itself'],
    ['retries out of range', { deployments: [proxy('a')], retries: 11 }, 'ORCHESTRA_LLM_CONFIG.retries: Too big: expected number to be <=10'],
    ['a fractional timeout', { deployments: [proxy('a', { timeoutMs: 1.5 })] }, 'ORCHESTRA_LLM_CONFIG.deployments[0].timeoutMs: expected int, received number'],
  ])('rejects %s, naming the path', (_label, value, problem) => {
    expect(problems(config(value))).toEqual([problem]);
  });

  it('reports every problem at once', () => {
    expect(problems(config({ deployments: [{ name: 'a', provider: 'nope', model: 'm' }], retries: -1 }))).toHaveLength(2);
  });

  it('names a missing key variable, and never shows a key', () => {
    const env = config({ deployments: [proxy('a', { apiKeyProvider: 'openai' }), proxy('b', { apiKeyProvider: 'litellm' })] }, { ORCHESTRA_LLM_LITELLM_API_KEY: KEY });
    const found = problems(env);
    expect(found).toEqual(['ORCHESTRA_LLM_CONFIG.deployments[0].apiKeyProvider: ORCHESTRA_LLM_OPENAI_API_KEY is not set (the API key of "openai")']);
    expect(found.join('\n')).not.toContain(KEY);
    expect(problems({ ...env, ORCHESTRA_LLM_OPENAI_API_KEY: '' })).toEqual(found);
  });

  it('needs GOOGLE_CLOUD_PROJECT and ORCHESTRA_REGION for vertex-gemini, and checks them', () => {
    const gemini = config({ deployments: [{ name: 'g', provider: 'vertex-gemini', model: 'gemini-2.5-flash' }] });
    expect(problems(gemini)).toEqual(['ORCHESTRA_LLM_CONFIG.deployments[0]: vertex-gemini needs GOOGLE_CLOUD_PROJECT and ORCHESTRA_REGION']);
    expect(problems({ ...gemini, GOOGLE_CLOUD_PROJECT: 'Bad_Project', ORCHESTRA_REGION: 'moon' })).toEqual([
      'ORCHESTRA_LLM_CONFIG.deployments[0]: GOOGLE_CLOUD_PROJECT: expected 6-30 lowercase letters, digits or hyphens, starting with a letter',
      'ORCHESTRA_LLM_CONFIG.deployments[0]: ORCHESTRA_REGION: expected a region such as us-central1, or global',
    ]);
    const parsed = parseRuntimeConfig({ ...gemini, GOOGLE_CLOUD_PROJECT: 'orchestra-dev', ORCHESTRA_REGION: 'global', ORCHESTRA_VERTEX_API_HOST: '10.0.0.5:443' });
    expect(parsed.llm.deployments[0]).toEqual({ name: 'g', provider: 'vertex-gemini', model: 'gemini-2.5-flash' });
    expect(parsed.google).toEqual({ projectId: 'orchestra-dev', region: 'global', vertexApiHost: '10.0.0.5:443' });
  });
});

describe('createLlmClient', () => {
  it("loads a provider's module only when a deployment uses it", () => {
    const loaded: string[] = [];
    jest.isolateModules(() => {
      for (const [name, module] of [
        ['openai', '../../../runtime/src/llm/openai-compatible-model'],
        ['vertex', '../../../runtime/src/llm/vertex-gemini-model'],
      ]) {
        jest.doMock(module, () => {
          loaded.push(name);
          return jest.requireActual(module);
        });
      }
      const isolated = require('../../../runtime/src/llm/create-llm-client') as typeof import('../../../runtime/src/llm/create-llm-client');
      isolated.createLlmClient(parseLlmConfig({}));
      expect(loaded).toEqual([]);
      isolated.createLlmClient(parseLlmConfig(config({ deployments: [proxy('a'), { name: 'o', provider: 'offline', model: 'o' }] })));
      expect(loaded).toEqual(['openai']);
    });
  });

  const local = (extra: object): LlmConfig =>
    parseLlmConfig(config({ deployments: [proxy('proxy', { baseUrl: server.url, apiKeyProvider: 'litellm' }), { name: 'offline', provider: 'offline', model: 'offline' }], ...extra }, { ORCHESTRA_LLM_LITELLM_API_KEY: KEY }));

  it('wires the key, the fallbacks and the retries into the router', async () => {
    server.enqueue(reply.serverError(), reply.serverError());
    const result = await createLlmClient(local({ fallbacks: { proxy: ['offline'] }, retries: 1 })).chat({ messages: [{ role: 'user', content: 'hi' }] });
    expect(result.attempts.map((a) => `${a.deployment} ${a.outcome}`)).toEqual(['proxy error', 'proxy error', 'offline ok']);
    expect(server.requests.map((r) => r.headers['authorization'])).toEqual([`Bearer ${KEY}`, `Bearer ${KEY}`]);
  });

  it('applies the configured timeout to each call', async () => {
    server.enqueue(reply.slow(5_000));
    const err = await createLlmClient(local({ timeoutMs: 50, retries: 0 }))
      .chat({ messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LlmRouterError);
    expect((err as LlmRouterError).lastError.kind).toBe('timeout');
  });
});
