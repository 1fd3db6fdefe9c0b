import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ENVIRONMENTS, type EnvironmentInput, synthesizeEnvironments } from '../../environments';
import { RuntimeSettings, parseRuntimeConfig } from '../../runtime/src/contract';
import { TerraformJson, allResources, onlyResource } from '../helpers/synth';

// The one contract between infra and runtime: what the compute construct sets on Cloud Run must
// be what the runtime's own parser accepts and needs. Deploy-time references (`${…}`) and secret
// references stand in for values, with placeholders of the right shape.

const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'orchestra-contract-'));
afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));
synthesizeEnvironments(ENVIRONMENTS, { outdir, shell: {} });
const stack = (env: string) => JSON.parse(fs.readFileSync(path.join(outdir, 'stacks', `orchestra-${env}`, 'cdk.tf.json'), 'utf8')) as TerraformJson;

/** Synthesizes one environment, changed by `change`, into its own directory; returns its JSON. */
function synthChanged(name: string, change: (input: EnvironmentInput) => EnvironmentInput): TerraformJson {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orchestra-contract-changed-'));
  try {
    synthesizeEnvironments([change(ENVIRONMENTS.find((e) => e.name === name)!)], { outdir: dir, shell: {} });
    return JSON.parse(fs.readFileSync(path.join(dir, 'stacks', `orchestra-${name}`, 'cdk.tf.json'), 'utf8')) as TerraformJson;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The width the synthesized index is built for: read from the index resource, not from any default. */
function indexDimensions(json: TerraformJson): number {
  return onlyResource(json, 'google_vertex_ai_index').metadata.config.dimensions as number;
}

interface EnvVar {
  name: string;
  value?: string;
  value_source?: { secret_key_ref: { secret: string; version: string } };
}

/** What a deploy-time reference resolves to, by the attribute it reads: a value of that shape. */
function resolveReferences(value: string): string {
  return value.replace(/\$\{([^}]+)\}/g, (_all, expression: string) => {
    const attribute = expression.split('.').at(-1)!;
    if (/google_vertex_ai_index\.[^.]+\.id$/.test(expression)) return 'projects/123/locations/us-central1/indexes/456';
    if (/google_vertex_ai_index_endpoint\.[^.]+\.id$/.test(expression)) return 'projects/123/locations/us-central1/indexEndpoints/789';
    const byAttribute: Record<string, string> = {
      host: '10.20.0.3',
      port: '6378',
      cert: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----',
      uid: 'a1b2c3',
      deployed_index_id: 'orchestra_memory',
      address: '10.10.0.9',
      public_endpoint_domain_name: '1234.us-central1-5678.vdb.vertexai.goog',
    };
    if (!(attribute in byAttribute)) throw new Error(`no placeholder for the reference \${${expression}}: the contract test needs one`);
    return byAttribute[attribute];
  });
}

/** A secret's value, as an operator (or Terraform) would have put it in Secret Manager. */
function secretValue(variable: string): string {
  if (variable === RuntimeSettings.apiKeys) return 'acme=0123456789abcdef0123456789abcdef';
  if (variable === RuntimeSettings.redisPassword) return 'memorystore-auth-string';
  if (variable === RuntimeSettings.mongoUri) return 'mongodb+srv://app:pw@cluster0.example.mongodb.net/?retryWrites=true';
  if (/^ORCHESTRA_LLM_[A-Z0-9_]+_API_KEY$/.test(variable)) return 'sk-placeholder-0123456789';
  throw new Error(`no placeholder for the secret variable ${variable}`);
}

function runtimeEnvironment(json: TerraformJson): Record<string, string> {
  const service = onlyResource(json, 'google_cloud_run_v2_service');
  const vars = service.template.containers[0].env as EnvVar[];
  return Object.fromEntries(vars.map((v) => [v.name, v.value_source ? secretValue(v.name) : resolveReferences(v.value ?? '')]));
}

const KNOWN = new Set<string>(Object.values(RuntimeSettings));

describe('an environment with LLM deployments', () => {
  it('passes them to the runtime as ORCHESTRA_LLM_CONFIG, which its parser accepts with the key secrets', () => {
    const llm = { deployments: [{ name: 'primary', provider: 'openai-compatible' as const, model: 'gpt-4o-mini', baseUrl: 'http://litellm.internal:4000/v1', apiKeyProvider: 'openai' }] };
    const vars = runtimeEnvironment(synthChanged('prod', (input) => ({ ...input, runtime: { ...input.runtime, llm } })));
    expect(JSON.parse(vars[RuntimeSettings.llmConfig])).toEqual(llm);
    expect(parseRuntimeConfig(vars).llm.deployments.map((d) => d.name)).toEqual(['primary']);
  });
});

describe('the embedding model and width', () => {
  it.each([
    ['gemini-embedding-001 at 1536', { embeddingModel: 'gemini-embedding-001', dimensions: 1536 }, 'gemini-embedding-001', 1536],
    ['gemini-embedding-001 at its own width', { embeddingModel: 'gemini-embedding-001' }, 'gemini-embedding-001', 3072],
    ['text-embedding-005 cut to 256', { dimensions: 256 }, 'text-embedding-005', 256],
  ])('change the index and the runtime together (%s)', (_case, change, model, width) => {
    const json = synthChanged('staging', (input) => ({ ...input, vectorSearch: { ...input.vectorSearch, ...change } }));
    expect(indexDimensions(json)).toBe(width);
    const vars = runtimeEnvironment(json);
    expect(vars[RuntimeSettings.embeddingModel]).toBe(model);
    expect(parseRuntimeConfig(vars).memory.embedding).toEqual({ model, dimensions: width });
  });
});

describe.each(['dev', 'staging', 'prod'])('orchestra-%s → runtime settings', (env) => {
  const json = stack(env);
  const vars = runtimeEnvironment(json);

  it('sets only variables the runtime knows (no typo survives)', () => {
    const unknown = Object.keys(vars).filter((name) => !KNOWN.has(name) && !/^ORCHESTRA_LLM_[A-Z0-9_]+_API_KEY$/.test(name));
    expect(unknown).toEqual([]);
  });

  it('is accepted by the runtime’s own parser, with every backend real (none embedded)', () => {
    const config = parseRuntimeConfig(vars);
    expect(config.environment).toBe(env);
    expect(config.local).toBe(false);
    expect(config.memory.redis).toBeDefined();
    expect(config.memory.mongo).toBeDefined();
    expect(config.memory.vectorSearch).toBeDefined();
    expect(config.google).toMatchObject({ projectId: `orchestra-${env}`, region: 'us-central1' });
    expect(config.server.apiKeys).toHaveLength(1);
    expect(config.server.host).toBe('0.0.0.0');
  });

  it('tells the runtime the width and model the index is built for', () => {
    expect(parseRuntimeConfig(vars).memory.embedding).toEqual({ model: vars[RuntimeSettings.embeddingModel], dimensions: indexDimensions(json) });
    expect(vars[RuntimeSettings.vectorDimensions]).toBe(String(indexDimensions(json)));
  });

  it('passes credentials only by Secret Manager reference', () => {
    const service = onlyResource(json, 'google_cloud_run_v2_service');
    const secretVars = (service.template.containers[0].env as EnvVar[]).filter((v) => v.value_source).map((v) => v.name);
    expect(secretVars).toEqual(expect.arrayContaining([RuntimeSettings.apiKeys, 'ORCHESTRA_LLM_OPENAI_API_KEY']));
    if (env !== 'dev') expect(secretVars).toContain(RuntimeSettings.redisPassword);
  });

  it('breaks when a setting the runtime needs is missing', () => {
    for (const needed of [RuntimeSettings.apiKeys, RuntimeSettings.vectorQueryHost]) {
      const { [needed]: _dropped, ...rest } = vars;
      expect(() => parseRuntimeConfig(rest)).toThrow(new RegExp(needed));
    }
  });

  it('gives the runtime’s service account exactly the access those settings need, nothing more', () => {
    const sa = Object.entries(json.resource?.google_service_account ?? {}).find(([, r]) => r.account_id === 'orchestra-runtime')!;
    const member = `\${google_service_account.${sa[0]}.member}`;
    const grants = allResources(json)
      .filter(([type, r]) => type.endsWith('_iam_member') && r.member === member)
      .map(([type, r]) => `${type} ${r.role}${r.condition ? ` if ${r.condition.expression}` : ''}`)
      .sort();
    const mountedSecrets = (onlyResource(json, 'google_cloud_run_v2_service').template.containers[0].env as EnvVar[]).filter((v) => v.value_source).length;
    expect(grants).toEqual(
      [
        `google_project_iam_member roles/aiplatform.user`,
        `google_project_iam_member roles/datastore.user if resource.name == "projects/orchestra-${env}/databases/orchestra-memory"`,
        ...Array.from({ length: mountedSecrets }, () => 'google_secret_manager_secret_iam_member roles/secretmanager.secretAccessor'),
      ].sort(),
    );
  });
});
