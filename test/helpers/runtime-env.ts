import { RuntimeSettings, SECRET_PLACEHOLDER } from '../../runtime/src/contract';
import { type TerraformJson, onlyResource } from './synth';

/** One variable of the Cloud Run container as synthesized. */
export interface CloudRunEnvVar {
  name: string;
  value?: string;
  value_source?: { secret_key_ref: { secret: string; version: string } };
}

const PEM_CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----';
const PEM_NEXT_CA = '-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----';

/**
 * A deploy-time reference as a value of the shape the runtime's parser takes (Google's formats,
 * in `project` and `region`); a reference nobody gave a shape to fails, so a new one is noticed.
 */
export function resolveReferences(value: string, project = 'p-123456', region = 'us-central1'): string {
  return value.replace(/\$\{([^}]+)\}/g, (_all, expression: string) => {
    // Memorystore's CA list during a rotation: the current CA and the next one.
    if (/^join\("\\n", google_redis_instance\.[^.]+\.server_ca_certs\[\*\]\.cert\)$/.test(expression)) return `${PEM_CA}\n${PEM_NEXT_CA}`;
    if (/^google_vertex_ai_index\.[^.]+\.id$/.test(expression)) return `projects/${project}/locations/${region}/indexes/456`;
    if (/^google_vertex_ai_index_endpoint\.[^.]+\.id$/.test(expression)) return `projects/${project}/locations/${region}/indexEndpoints/789`;
    const byAttribute: Record<string, string> = {
      host: '10.20.0.3',
      port: '6378',
      uid: 'a1b2c3',
      deployed_index_id: 'orchestra_memory',
      address: '10.10.0.9',
      public_endpoint_domain_name: '1234.us-central1-5678.vdb.vertexai.goog',
    };
    const attribute = expression.split('.').at(-1)!;
    if (!(attribute in byAttribute)) throw new Error(`no placeholder for the reference \${${expression}}: give it a shape in test/helpers/runtime-env.ts`);
    return byAttribute[attribute];
  });
}

/** A secret's value as an operator would store it in Secret Manager: the shape, never a real credential. */
export function secretValue(variable: string): string {
  if (variable === RuntimeSettings.apiKeys) return 'acme=0123456789abcdef0123456789abcdef';
  // Optional: a first deploy leaves it at the placeholder (no admin routes), which the runtime accepts.
  if (variable === RuntimeSettings.adminApiKeys) return SECRET_PLACEHOLDER;
  if (variable === RuntimeSettings.redisPassword) return 'memorystore-auth-string';
  if (variable === RuntimeSettings.mongoUri) return 'mongodb+srv://app:pw@cluster0.example.mongodb.net/?retryWrites=true';
  if (/^ORCHESTRA_LLM_[A-Z0-9_]+_API_KEY$/.test(variable)) return 'sk-placeholder-0123456789';
  throw new Error(`no value shape for the secret variable ${variable}`);
}

/** The Cloud Run container's variables of a stack. */
export function cloudRunVariables(json: TerraformJson): CloudRunEnvVar[] {
  return onlyResource(json, 'google_cloud_run_v2_service').template.containers[0].env as CloudRunEnvVar[];
}

/** The environment the runtime would start with on Cloud Run, references and secrets filled in. */
export function runtimeEnvironment(json: TerraformJson): Record<string, string> {
  const vars = cloudRunVariables(json);
  const project = vars.find((v) => v.name === RuntimeSettings.projectId)?.value;
  const region = vars.find((v) => v.name === RuntimeSettings.region)?.value;
  return Object.fromEntries(vars.map((v) => [v.name, v.value_source ? secretValue(v.name) : resolveReferences(v.value ?? '', project, region)]));
}
