import { z } from 'zod';
import { ConfigError } from '../runtime/src/config/runtime-config';
import { RuntimeSettings, llmApiKeySetting } from '../runtime/src/config/settings';
import { parseLlmConfig } from '../runtime/src/llm/llm-config';
import { isIamMember, isPublicPrincipal } from '../infra/iam';
import { cidrsOverlap, isIpv4Cidr } from '../infra/networking/cidr';
import { GUARDRAIL_RULE_IDS, MIN_DISABLE_REASON_LENGTH } from '../infra/guardrails/rule-ids';

const resourceName = (max: number) =>
  z
    .string()
    .regex(/^[a-z]([-a-z0-9]*[a-z0-9])?$/, 'must be lowercase letters, digits and hyphens, starting with a letter')
    .max(max);
const region = z.string().regex(/^[a-z]+-[a-z]+\d+$/, 'must be a Google Cloud region such as us-central1');
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
const domain = z
  .string()
  .regex(/^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, 'must be a fully qualified lowercase domain');

/**
 * One environment's settings. Every optional field has the default shown; `kind` decides which
 * production rules apply.
 */
export const EnvironmentSchema = z
  .strictObject({
    /** Environment name; the stack is `orchestra-<name>`. */
    name: z.string().regex(/^[a-z][a-z0-9-]{0,19}$/, 'must be 1-20 lowercase letters, digits or hyphens'),
    kind: z.enum(['development', 'staging', 'production']),
    projectId: z
      .string()
      .regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, 'must be 6-30 lowercase letters, digits or hyphens, starting with a letter'),
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
        subnetCidr: cidr(26).default('10.10.0.0/24'),
        privateServicesCidr: cidr(24).default('10.20.0.0/16'),
      })
      .default({ subnetCidr: '10.10.0.0/24', privateServicesCidr: '10.20.0.0/16' }),
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
        locationId: z.string().regex(/^[a-z]+(-[a-z]+\d+|\d+)$/, 'must be a region or a multi-region such as nam5').optional(),
        pointInTimeRecovery: z.boolean().default(true),
      }),
      z.strictObject({
        /** A MongoDB outside the project (e.g. Atlas); its URI goes in a Secret Manager secret. */
        kind: z.literal('external-mongodb'),
        databaseName: z.string().regex(/^[A-Za-z0-9_-]{1,63}$/, 'must be 1-63 letters, digits, _ or -').default('orchestra'),
      }),
    ]),
    vectorSearch: z.strictObject({
      dimensions: count(1, 4096).default(768),
      embeddingModel: z.string().min(1).default('text-embedding-005'),
      approximateNeighborsCount: count(1, 1000).default(150),
      leafNodeEmbeddingCount: count(1, 100000).default(500),
      leafNodesToSearchPercent: count(1, 100).default(10),
      shardSize: z.enum(['SHARD_SIZE_SMALL', 'SHARD_SIZE_MEDIUM', 'SHARD_SIZE_LARGE']).default('SHARD_SIZE_SMALL'),
      access: z.enum(['public', 'private-service-connect']).default('public'),
      minReplicas: count(1, 100),
      maxReplicas: count(1, 100),
    }),
    runtime: z.strictObject({
      /** Create the Cloud Run service (false for the first deploy, before the image and secrets exist). */
      deploy: z.boolean().default(true),
      /** Image reference (default: `<repository>/runtime:latest`). */
      image: z.string().min(1).optional(),
      cpu: z.enum(['1', '2', '4', '8']).default('1'),
      memory: z.string().regex(/^\d+(Mi|Gi)$/, 'must be a size such as 512Mi or 2Gi').default('512Mi'),
      minInstances: count(0, 1000),
      maxInstances: count(1, 1000),
      concurrency: count(1, 1000).default(80),
      ingress: z.enum(['all', 'internal', 'internal-and-load-balancer']),
      /** Principals allowed to invoke the service. */
      invokers: z.array(member).default([]),
      /** Let anyone invoke the service (the runtime's API keys remain the gate). */
      allowPublicInvocation: z.boolean().default(false),
      /** Domains served by an HTTPS load balancer in front of the service (none: no load balancer). */
      domains: z.array(domain).default([]),
      /** LLM providers whose API keys the runtime reads (one secret each). */
      llmProviders: z.array(z.string().regex(/^[a-z][a-z0-9-]{0,30}$/, 'must be a lowercase provider name')).default(['openai']),
      /**
       * The runtime's LLM deployments, fallbacks and limits, passed as ORCHESTRA_LLM_CONFIG and
       * checked here by the runtime's own parser (default: the offline model).
       */
      llm: z.record(z.string(), z.unknown()).optional(),
    }),
    /** Replica regions of every secret (default: automatic replication). */
    secretReplicaLocations: z.array(region).min(1).optional(),
    /**
     * Continuous delivery from GitHub Actions (.github/workflows/infrastructure.yml): the stack
     * creates a workload identity pool + provider trusting only this repository and a deployer
     * service account (infra/security/deployer-identity.ts). Unset: no deployer identity.
     */
    delivery: z
      .strictObject({
        /** `owner/name` of the repository whose workflows may deploy this environment. */
        githubRepository: z.string().regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, 'must be a GitHub repository "owner/name"'),
      })
      .optional(),
    /** Synth-time guardrails switched off, each with a written reason (infra/guardrails). */
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
    if (env.runtime.domains.length > 0 && env.runtime.ingress === 'internal') {
      fail(['runtime', 'ingress'], 'must allow the load balancer ("internal-and-load-balancer" or "all") when runtime.domains are set');
    }
    if (env.runtime.llm !== undefined) {
      // Keys are placeholders: synth checks the shape; the real keys live in Secret Manager.
      const keys = Object.fromEntries(env.runtime.llmProviders.map((p) => [llmApiKeySetting(p), 'placeholder-key-0123456789']));
      try {
        parseLlmConfig({ ...keys, [RuntimeSettings.llmConfig]: JSON.stringify(env.runtime.llm), [RuntimeSettings.projectId]: env.projectId, [RuntimeSettings.region]: env.region });
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        for (const problem of error.problems) fail(['runtime', 'llm'], problem);
      }
    }
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
