/**
 * Identifier rules that both sides of the contract check: the environment configs and constructs
 * at synth, the runtime's parser at start. Each is written once, here, with the words an error
 * uses for it, so a value that synthesizes is a value the runtime accepts.
 */
export interface Rule {
  readonly pattern: RegExp;
  /** What a matching value looks like, for error messages ("must be …", "expected …"). */
  readonly expected: string;
}

const rule = (pattern: RegExp, expected: string): Rule => Object.freeze({ pattern, expected });

/** A Google Cloud project id (Resource Manager's rule). */
export const PROJECT_ID = rule(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, '6-30 lowercase letters, digits or hyphens, starting with a letter');

/** A Google Cloud region: where Memorystore, Vector Search and Cloud Run run. */
export const REGION = rule(/^[a-z]+-[a-z]+\d+$/, 'a Google Cloud region such as us-central1');

/** Where a Vertex AI publisher model is called: a region, or `global` (Gemini models only). */
export const VERTEX_LOCATION = rule(/^([a-z]+-[a-z]+\d+|global)$/, 'a region such as us-central1, or global');

/** A Firestore location: a region or a multi-region (`nam5`, `eur3`). */
export const FIRESTORE_LOCATION = rule(/^[a-z]+(-[a-z]+\d+|\d+)$/, 'a region (us-central1) or a multi-region (nam5)');

/** A deployment environment's name: the stack is `orchestra-<name>`, the runtime reads it as ORCHESTRA_ENV. */
export const ENVIRONMENT_NAME = rule(/^[a-z][a-z0-9-]{0,19}$/, '1-20 lowercase letters, digits or hyphens, starting with a letter');

/**
 * The name of an LLM provider whose API key the runtime reads from `ORCHESTRA_LLM_<NAME>_API_KEY`
 * (upper-cased, `-` as `_`). No `_` and no capitals, so the variable maps back to one name.
 */
export const LLM_PROVIDER_NAME = rule(/^[a-z][a-z0-9-]{0,30}$/, 'a lowercase provider name such as openai (letters, digits, -)');

/** A Vertex AI embedding model id (`text-embedding-005`, `gemini-embedding-001`). */
export const EMBEDDING_MODEL = rule(/^[a-z0-9][a-z0-9.-]{0,127}$/, 'a model id such as text-embedding-005');

/** A model id as an OpenAI-compatible server names it (`text-embedding-3-small`, `nomic-embed-text:latest`, `BAAI/bge-m3`). */
export const OPENAI_MODEL = rule(/^[A-Za-z0-9][A-Za-z0-9._:/@+-]{0,255}$/, 'a model id such as text-embedding-3-small or nomic-embed-text:latest');

/** The id a deployed Vector Search index is queried by. */
export const DEPLOYED_INDEX_ID = rule(/^[A-Za-z][A-Za-z0-9_]{0,127}$/, 'a deployed index id (letters, digits, _; a letter first)');

/** `host` or `host:port`, no scheme or path: where a gRPC client connects. */
export const HOST_PORT = rule(/^[A-Za-z0-9.-]+(:\d{1,5})?$/, 'a host or host:port, without a scheme or path');

/** A Vertex AI resource name, `projects/…/locations/…/<collection>/…`: not a URL. */
export function vertexResourceName(collection: 'indexes' | 'indexEndpoints'): Rule {
  return rule(new RegExp(`^projects/[^/]+/locations/[^/]+/${collection}/[^/]+$`), `a resource name projects/…/locations/…/${collection}/… (not a URL)`);
}

export function matches(r: Rule, value: unknown): value is string {
  return typeof value === 'string' && r.pattern.test(value);
}

/**
 * A tenant, as ORCHESTRA_API_KEYS names it. `:` is allowed: stored ids carry the tenant's length
 * (the memory's `scopedId`), so no character of a tenant can be mistaken for the end of it.
 */
export const TENANT = rule(/^[A-Za-z0-9][A-Za-z0-9._:@-]{0,63}$/, '1-64 letters, digits or . _ : @ -, starting with a letter or digit');
