import { DEFAULT_GEMINI_MODELS, OTEL_VARIABLES, RuntimeSettings, geminiLlmConfig, parseRuntimeConfig } from '../../runtime/src/contract';
import { type CloudRunEnvVar, runtimeEnvironment } from '../helpers/runtime-env';
import { synthesizeChanged, synthesizeStacks } from '../helpers/environment-stacks';
import { TerraformJson, allResources, onlyResource } from '../helpers/synth';

// The one contract between infra and runtime: what the compute construct sets on Cloud Run must
// be what the runtime's own parser accepts and needs. Deploy-time references (`${…}`) and secret
// references stand in for values, with placeholders of the right shape.

const stacks = synthesizeStacks();
const stack = (env: string) => stacks[env];
const synthChanged = synthesizeChanged;

/** The width the synthesized index is built for: read from the index resource, not from any default. */
function indexDimensions(json: TerraformJson): number {
  return onlyResource(json, 'google_vertex_ai_index').metadata.config.dimensions as number;
}

// The runtime's settings, and the standard OpenTelemetry variables it reads for trace export.
const KNOWN = new Set<string>([...Object.values(RuntimeSettings), ...Object.values(OTEL_VARIABLES)]);

describe('an environment with LLM deployments', () => {
  it('passes them to the runtime as ORCHESTRA_LLM_CONFIG, which its parser accepts with the key secrets', () => {
    const llm = { deployments: [{ name: 'primary', provider: 'openai-compatible' as const, model: 'gpt-4o-mini', baseUrl: 'http://litellm.internal:4000/v1', apiKeyProvider: 'openai' }] };
    const vars = runtimeEnvironment(synthChanged('prod', (input) => ({ ...input, runtime: { ...input.runtime, llm, llmProviders: ['openai'] } })));
    expect(JSON.parse(vars[RuntimeSettings.llmConfig])).toEqual(llm);
    expect(parseRuntimeConfig(vars).llm.deployments.map((d) => d.name)).toEqual(['primary']);
    expect(Object.keys(parseRuntimeConfig(vars).llm.apiKeys)).toEqual(['openai']);
  });

  it('takes other Gemini models per environment', () => {
    const llm = geminiLlmConfig({ primary: 'gemini-3.8-flash', fallback: 'gemini-3.1-flash-lite' });
    const vars = runtimeEnvironment(synthChanged('staging', (input) => ({ ...input, runtime: { ...input.runtime, llm } })));
    expect(parseRuntimeConfig(vars).llm.deployments.map((d) => d.model)).toEqual(['gemini-3.8-flash', 'gemini-3.1-flash-lite']);
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

/** Only what long-term memory reads, so these checks do not hang on the other layers' rules. */
function vectorSearchVariables(vars: Record<string, string>): Record<string, string> {
  const S = RuntimeSettings;
  const names: string[] = [S.projectId, S.region, S.vectorIndex, S.vectorIndexEndpoint, S.vectorDeployedIndexId, S.vectorQueryHost, S.vectorQueryAccess];
  return Object.fromEntries(Object.entries(vars).filter(([name]) => names.includes(name)));
}

describe('the Vector Search query protocol', () => {
  // Google: a PSC / private services access index is queried on its IP directly, plaintext on
  // port 10000, with the container MatchService; a public one on its domain, TLS, FindNeighbors.
  it.each([
    ['dev', 'public', '1234.us-central1-5678.vdb.vertexai.goog'],
    ['staging', 'public', '1234.us-central1-5678.vdb.vertexai.goog'],
    ['prod', 'private', '10.10.0.9'],
  ])('follows how %s deploys the index: %s, on %s', (env, access, host) => {
    const vars = runtimeEnvironment(stack(env));
    const vectorSearch = parseRuntimeConfig(vectorSearchVariables(vars)).memory.vectorSearch!;
    expect(vectorSearch.queryHost).toBe(host);
    expect(vectorSearch.access ?? 'public').toBe(access);
    expect(vars[RuntimeSettings.vectorQueryAccess]).toBe(access === 'private' ? 'private' : undefined);
  });

  it('points the private protocol at the PSC forwarding rule’s address', () => {
    const json = stack('prod');
    const env = (onlyResource(json, 'google_cloud_run_v2_service').template.containers[0].env as CloudRunEnvVar[]).filter((v) => v.name === RuntimeSettings.vectorQueryHost);
    expect(env).toEqual([{ name: RuntimeSettings.vectorQueryHost, value: expect.stringMatching(/^\$\{google_compute_address\.[^.}]+\.address\}$/) }]);
    expect(onlyResource(json, 'google_vertex_ai_index_endpoint').private_service_connect_config).toMatchObject({ enable_private_service_connect: true });
  });

  it('breaks in prod when the access is dropped (an IP address would be spoken to with the public protocol)', () => {
    const { [RuntimeSettings.vectorQueryAccess]: _dropped, ...rest } = vectorSearchVariables(runtimeEnvironment(stack('prod')));
    expect(() => parseRuntimeConfig(rest)).toThrow(new RegExp(`${RuntimeSettings.vectorQueryAccess}: required when ${RuntimeSettings.vectorQueryHost} is an IP address`));
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
    const secretVars = (service.template.containers[0].env as CloudRunEnvVar[]).filter((v) => v.value_source).map((v) => v.name);
    expect(secretVars).toContain(RuntimeSettings.apiKeys);
    // Gemini runs as the service account: no LLM key exists unless an openai-compatible deployment names one.
    expect(secretVars.filter((v) => /^ORCHESTRA_LLM_/.test(v))).toEqual([]);
    if (env !== 'dev') expect(secretVars).toContain(RuntimeSettings.redisPassword);
  });

  it('answers with Gemini on Vertex AI, a primary model and a fallback, never the offline model', () => {
    const llm = parseRuntimeConfig(vars).llm;
    expect(llm.deployments.map((d) => [d.provider, d.model])).toEqual([
      ['vertex-gemini', DEFAULT_GEMINI_MODELS.primary],
      ['vertex-gemini', DEFAULT_GEMINI_MODELS.fallback],
    ]);
    expect(llm.fallbacks).toEqual({ [llm.deployments[0].name]: [llm.deployments[1].name] });
    expect(llm.allowOfflineOnly).toBe(false);
  });

  it('would refuse to start on the offline model alone (the old default)', () => {
    const { [RuntimeSettings.llmConfig]: _dropped, ...rest } = vars;
    expect(() => parseRuntimeConfig(rest)).toThrow(/ORCHESTRA_LLM_CONFIG: only the offline model/);
  });

  it('breaks when a setting the runtime needs is missing', () => {
    for (const needed of [RuntimeSettings.apiKeys, RuntimeSettings.vectorQueryHost]) {
      const { [needed]: _dropped, ...rest } = vars;
      expect(() => parseRuntimeConfig(rest)).toThrow(new RegExp(needed));
    }
  });

  it('gives the runtime’s service account exactly the access those settings need, nothing more', () => {
    // Which permissions each role holds, and that they are the calls' needs: iam-contract.test.ts.
    const customRoleId = (role: string) => {
      const ref = /^\$\{google_project_iam_custom_role\.([^.]+)\.name\}$/.exec(role);
      return ref ? (json.resource!.google_project_iam_custom_role[ref[1]].role_id as string) : undefined;
    };
    const sa = Object.entries(json.resource?.google_service_account ?? {}).find(([, r]) => r.account_id === 'orchestra-runtime')!;
    const member = `\${google_service_account.${sa[0]}.member}`;
    const grants = allResources(json)
      .filter(([type, r]) => type.endsWith('_iam_member') && r.member === member)
      .map(([type, r]) => `${type} ${customRoleId(r.role) ?? r.role}${r.condition ? ` if ${r.condition.expression}` : ''}`)
      .sort();
    const mountedSecrets = (onlyResource(json, 'google_cloud_run_v2_service').template.containers[0].env as CloudRunEnvVar[]).filter((v) => v.value_source).length;
    expect(grants).toEqual(
      [
        `google_project_iam_member orchestra_vector_search_user`,
        `google_project_iam_member orchestra_vertex_model_user`,
        `google_project_iam_member orchestra_memory_documents if resource.name == "projects/orchestra-${env}/databases/orchestra-memory"`,
        'google_project_iam_member roles/telemetry.tracesWriter',
        ...Array.from({ length: mountedSecrets }, () => 'google_secret_manager_secret_iam_member roles/secretmanager.secretAccessor'),
      ].sort(),
    );
  });
});
