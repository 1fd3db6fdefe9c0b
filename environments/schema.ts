import { z } from 'zod';
import {
  ENVIRONMENT_KINDS,
  GITHUB_REPOSITORY_PATTERN,
  GUARDRAIL_RULE_IDS,
  MIN_DISABLE_REASON_LENGTH,
  NETWORK_RANGES,
  type ShardSize,
  cidrsOverlap,
  isDomainName,
  isIamMember,
  isIpv4Cidr,
  isPublicPrincipal,
  isResourceName,
} from '@orchestra/infra';
import {
  DEFAULT_EMBEDDING_MODEL,
  EMBEDDING_MODEL,
  ENVIRONMENT_NAME,
  FIRESTORE_LOCATION,
  LLM_PROVIDER_NAME,
  LlmConfigDocumentSchema,
  PROJECT_ID,
  REGION,
  type Rule,
  defaultEmbeddingDimensions,
  embeddingWidthProblem,
  geminiLlmConfig,
} from '@orchestra/runtime/contract';

const matching = (rule: Rule) => z.string().regex(rule.pattern, `must be ${rule.expected}`);
const resourceName = (max: number) =>
  z.string().refine((v) => isResourceName(v, max), { message: `must be lowercase letters, digits and hyphens, starting with a letter, at most ${max}` });
const region = matching(REGION);
const cidr = (largestPrefix: number) =>
  z.string().refine((v) => isIpv4Cidr(v, { maxPrefixLength: largestPrefix }), {
    message: `must be an IPv4 CIDR in canonical form (the network address), /${largestPrefix} or larger`,
  });
const count = (min: number, max: number) => z.number().int().min(min).max(max);
const member = z.string().refine(isIamMember, {
  message: 'must be an IAM member: user:…, group:…, serviceAccount:…, domain:…, principal:… or principalSet:…',
});
const labelKey = z.string().regex(/^[a-z][a-z0-9_-]{0,62}$/, 'label keys are lowercase letters, digits, _ and -');
const labelValue = z.string().regex(/^[a-z0-9_-]{0,63}$/, 'label values are lowercase letters, digits, _ and -');
const domain = z.string().refine(isDomainName, { message: 'must be a fully qualified lowercase domain' });
const SHARD_SIZES = ['SHARD_SIZE_SMALL', 'SHARD_SIZE_MEDIUM', 'SHARD_SIZE_LARGE'] as const satisfies readonly ShardSize[];

/**
 * One environment's settings. Every optional field has the default shown; `kind` decides which
 * production rules apply.
 */
export const EnvironmentSchema = z
  .strictObject({
    /** Environment name; the stack is `orchestra-<name>`. */
    name: matching(ENVIRONMENT_NAME),
    kind: z.enum(ENVIRONMENT_KINDS),
    projectId: matching(PROJECT_ID),
    region,
    /** Prefix of resource names. */
    prefix: resourceName(20).default('orchestra'),
    /** Extra labels on every resource (the stack adds app, env and managed-by). */
    labels: z.record(labelKey, labelValue).default({}),
    /** Terraform state: a GCS bucket (default `<projectId>-tfstate`) and prefix (default `orchestra/<name>`). */
    state: z.strictObject({ bucket: z.string().min(3).optional(), prefix: z.string().min(1).optional() }).default({}),
    /** Protect every stateful resource from deletion (required in production). */
    deletionProtection: z.boolean(),
    network: z
      .strictObject({
        subnetCidr: cidr(NETWORK_RANGES.subnet.maxPrefixLength).default(NETWORK_RANGES.subnet.default),
        privateServicesCidr: cidr(NETWORK_RANGES.privateServices.maxPrefixLength).default(NETWORK_RANGES.privateServices.default),
      })
      .default({ subnetCidr: NETWORK_RANGES.subnet.default, privateServicesCidr: NETWORK_RANGES.privateServices.default }),
    redis: z.strictObject({
      tier: z.enum(['BASIC', 'STANDARD_HA']),
      memorySizeGb: count(1, 300).default(1),
      authEnabled: z.boolean().default(true),
      transitEncryption: z.boolean().default(true),
    }),
    midTerm: z.discriminatedUnion('kind', [
      z.strictObject({
        /** Firestore Enterprise with MongoDB compatibility, in the stack's project. */
        kind: z.literal('firestore'),
        /** Firestore location (default: the region). */
        locationId: matching(FIRESTORE_LOCATION).optional(),
        pointInTimeRecovery: z.boolean().default(true),
      }),
      z.strictObject({
        /** A MongoDB outside the project (e.g. Atlas); its URI goes in a Secret Manager secret. */
        kind: z.literal('external-mongodb'),
        databaseName: z.string().regex(/^[A-Za-z0-9_-]{1,63}$/, 'must be 1-63 letters, digits, _ or -').default('orchestra'),
      }),
    ]),
    vectorSearch: z.strictObject({
      /** The Vertex AI embedding model: the index is built for its vectors, and the runtime embeds with it. */
      embeddingModel: matching(EMBEDDING_MODEL).default(DEFAULT_EMBEDDING_MODEL),
      /** Width of the index's vectors (default: the model's own, see EMBEDDING_MODELS). */
      dimensions: count(1, 4096).optional(),
      approximateNeighborsCount: count(1, 1000).default(150),
      leafNodeEmbeddingCount: count(1, 100000).default(500),
      leafNodesToSearchPercent: count(1, 100).default(10),
      shardSize: z.enum(SHARD_SIZES).default('SHARD_SIZE_SMALL'),
      access: z.enum(['public', 'private-service-connect']).default('public'),
      minReplicas: count(1, 100),
      maxReplicas: count(1, 100),
    }),
    runtime: z.strictObject({
      /** Create the Cloud Run service (false leaves it out). */
      deploy: z.boolean().default(true),
      /**
       * Image reference, normally a `…/runtime@sha256:…` digest pushed to the stack's repository
       * (default: Google's placeholder container, PLACEHOLDER_IMAGE, until the first push).
       */
      image: z.string().min(1).optional(),
      cpu: z.enum(['1', '2', '4', '8']).default('1'),
      memory: z.string().regex(/^\d+(Mi|Gi)$/, 'must be a size such as 512Mi or 2Gi').default('512Mi'),
      minInstances: count(0, 1000),
      maxInstances: count(1, 1000),
      concurrency: count(1, 1000).default(80),
      ingress: z.enum(['all', 'internal', 'internal-and-load-balancer']),
      /**
       * Principals allowed to invoke the service with a Google identity token (ingress "all" or
       * "internal"; anyone with run.routes.invoke on the project, e.g. its owners, may as well).
       */
      invokers: z.array(member).default([]),
      /** Let anyone invoke the service (the runtime's API keys remain the gate). */
      allowPublicInvocation: z.boolean().default(false),
      /**
       * Domains served by an HTTPS load balancer in front of the service (none: no load
       * balancer). Needs ingress "internal-and-load-balancer": the service then runs without
       * Cloud Run's IAM check (the load balancer sends no identity token), behind Cloud Armor and
       * the runtime's API keys.
       */
      domains: z.array(domain).default([]),
      /** Cloud Armor's throttle at the load balancer: requests per minute per client IP (with `domains`). */
      edgeRequestsPerMinutePerIp: count(1, 1_000_000).default(600),
      /** LLM providers whose API keys the runtime reads (one secret each), for openai-compatible deployments. */
      llmProviders: z.array(matching(LLM_PROVIDER_NAME)).default([]),
      /**
       * The runtime's LLM deployments, fallbacks and limits, passed as ORCHESTRA_LLM_CONFIG and
       * checked here by the runtime's own schema. Default: Gemini on Vertex AI as the runtime's
       * service account, a primary model and a fallback (`geminiLlmConfig()`; pass it other
       * models, or add an openai-compatible deployment).
       */
      llm: LlmConfigDocumentSchema.default(() => geminiLlmConfig()),
    }),
    /** Replica regions of every secret (default: automatic replication). */
    secretReplicaLocations: z.array(region).min(1).optional(),
    /**
     * Continuous delivery from GitHub Actions (.github/workflows/infrastructure.yml): the stack
     * creates a workload identity pool + provider trusting only this repository and a deployer
     * service account (infra/src/security/deployer-identity.ts). Unset: no deployer identity.
     */
    delivery: z
      .strictObject({
        /** `owner/name` of the repository whose workflows may deploy this environment. */
        githubRepository: z.string().regex(GITHUB_REPOSITORY_PATTERN, 'must be a GitHub repository "owner/name"'),
      })
      .optional(),
    /** Synth-time guardrails switched off, each with a written reason (infra/src/guardrails). */
    guardrails: z
      .strictObject({
        disabled: z
          .array(
            z.strictObject({
              rule: z.enum(GUARDRAIL_RULE_IDS),
              reason: z.string().trim().min(MIN_DISABLE_REASON_LENGTH, 'a written reason (at least 10 characters)'),
            }),
          )
          .default([]),
      })
      .default({ disabled: [] }),
  })
  .superRefine((env, ctx) => {
    const fail = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    const production = env.kind === 'production';

    if (env.runtime.minInstances > env.runtime.maxInstances) {
      fail(['runtime', 'maxInstances'], `must be at least runtime.minInstances (${env.runtime.minInstances}), got ${env.runtime.maxInstances}`);
    }
    if (env.vectorSearch.minReplicas > env.vectorSearch.maxReplicas) {
      fail(['vectorSearch', 'maxReplicas'], `must be at least vectorSearch.minReplicas (${env.vectorSearch.minReplicas}), got ${env.vectorSearch.maxReplicas}`);
    }
    const { subnetCidr, privateServicesCidr } = env.network;
    if (isIpv4Cidr(subnetCidr) && isIpv4Cidr(privateServicesCidr) && cidrsOverlap(subnetCidr, privateServicesCidr)) {
      fail(['network', 'privateServicesCidr'], `${privateServicesCidr} overlaps network.subnetCidr ${subnetCidr}`);
    }
    env.runtime.invokers.forEach((m, i) => {
      if (isPublicPrincipal(m)) fail(['runtime', 'invokers', i], `"${m}" is public; set runtime.allowPublicInvocation: true instead, deliberately`);
    });
    if (env.runtime.domains.length > 0 && env.runtime.ingress !== 'internal-and-load-balancer') {
      // "all" would leave the run.app URL open without the IAM check the load balancer needs off.
      fail(['runtime', 'ingress'], `must be "internal-and-load-balancer" when runtime.domains are set, got "${env.runtime.ingress}"`);
    }
    if (env.runtime.domains.length === 0 && env.runtime.ingress === 'internal-and-load-balancer') {
      fail(['runtime', 'domains'], 'give the load balancer its domains: with ingress "internal-and-load-balancer" and no load balancer, nothing outside the VPC can reach the service (or use ingress "all" with IAM invokers)');
    }
    env.runtime.llm.deployments.forEach((d, i) => {
      // The runtime refuses to start without the key a deployment names: each needs its secret.
      if (d.apiKeyProvider !== undefined && !env.runtime.llmProviders.includes(d.apiKeyProvider)) {
        fail(['runtime', 'llm', 'deployments', i, 'apiKeyProvider'], `"${d.apiKeyProvider}" has no key secret: add it to runtime.llmProviders (${env.runtime.llmProviders.join(', ') || 'none'})`);
      }
    });
    const model = env.vectorSearch.embeddingModel;
    const tooWide = embeddingWidthProblem(model, env.vectorSearch.dimensions ?? defaultEmbeddingDimensions(model));
    if (tooWide) fail(['vectorSearch', 'dimensions'], tooWide);
    if (env.kind !== 'development') {
      if (!env.redis.authEnabled) fail(['redis', 'authEnabled'], `must be true outside development (kind "${env.kind}")`);
      if (!env.redis.transitEncryption) fail(['redis', 'transitEncryption'], `must be true outside development (kind "${env.kind}")`);
    }
    if (production) {
      if (!env.deletionProtection) fail(['deletionProtection'], 'must be true in production');
      if (env.redis.tier !== 'STANDARD_HA') fail(['redis', 'tier'], `must be STANDARD_HA in production, got ${env.redis.tier}`);
      if (env.runtime.minInstances < 1) fail(['runtime', 'minInstances'], `must be at least 1 in production (no cold start on the first request), got ${env.runtime.minInstances}`);
      if (env.runtime.ingress === 'all') fail(['runtime', 'ingress'], 'must not be "all" in production: use "internal-and-load-balancer" or "internal"');
      if (env.vectorSearch.minReplicas < 2) fail(['vectorSearch', 'minReplicas'], `must be at least 2 in production (one replica has no SLA), got ${env.vectorSearch.minReplicas}`);
    }
  });

/** What an environment file writes: optional fields may be left out. */
export type EnvironmentInput = z.input<typeof EnvironmentSchema>;
/** A validated environment with every default filled in. */
export type EnvironmentConfig = z.output<typeof EnvironmentSchema>;

/** Typed identity: lets an environment file be checked by the compiler as it is written. */
export function defineEnvironment(input: EnvironmentInput): EnvironmentInput {
  return input;
}
