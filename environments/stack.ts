import { Construct } from 'constructs';
import { GcsBackend, ITerraformDependable, TerraformOutput, TerraformStack } from 'cdktf';
import { GoogleProvider } from '@cdktf/provider-google/lib/provider';
import {
  ContainerRepository,
  DeployerIdentity,
  FirestoreMongoDatabase,
  HttpsLoadBalancer,
  ISecret,
  Network,
  PrivateBucket,
  ProjectServices,
  RedisCache,
  RuntimeService,
  Secret,
  ServiceAccount,
  PLACEHOLDER_IMAGE,
  VectorSearch,
  applyGuardrails,
  grantModelUse,
} from '@orchestra/infra';
import { type MemorySettingsInput, RuntimeSettings, fromSecret, llmApiKeySetting } from '@orchestra/runtime/contract';
import type { EnvironmentConfig } from './schema';
import { stackName } from './stack-name';

/** The mid-term store as the stack made it: what the runtime gets, and what it must be granted first. */
interface MidTerm {
  readonly settings: Pick<MemorySettingsInput<ISecret>, 'mongo'>;
  readonly grant?: ITerraformDependable;
}

/**
 * One environment of Orchestra: networking, security, storage, AI and compute composed from the
 * kit's constructs, with the runtime's settings wired from their attributes through the runtime's
 * contract. Each area is one step below; the project APIs and the guardrails apply to whatever the
 * steps create, in any order (both are aspects, evaluated at synth).
 */
export class OrchestraStack extends TerraformStack {
  public readonly services: ProjectServices;
  public readonly network: Network;
  public readonly runtimeIdentity: ServiceAccount;
  public readonly redis: RedisCache;
  public readonly vectorSearch: VectorSearch;
  public readonly vectorContents: PrivateBucket;
  public readonly repository: ContainerRepository;
  /** Secrets whose values an operator adds out of band, keyed by the variable they feed. */
  public readonly operatorSecrets: Readonly<Record<string, Secret>>;
  /** The Cloud Run service, unless `runtime.deploy` is false. */
  public readonly service?: RuntimeService;
  /** The identity CI deploys as, when `delivery` is configured. */
  public readonly deployer?: DeployerIdentity;
  private readonly midTerm: MidTerm;
  private get stateBucket(): string {
    return this.config.state.bucket ?? `${this.config.projectId}-tfstate`;
  }

  constructor(scope: Construct, readonly config: EnvironmentConfig) {
    super(scope, stackName(config.name));
    this.foundation();
    this.services = new ProjectServices(this, 'services', { project: config.projectId });
    this.services.requiredBy(this);
    this.network = this.networking();
    const { identity, secrets } = this.security();
    this.runtimeIdentity = identity;
    this.operatorSecrets = secrets;
    const storage = this.storage();
    this.redis = storage.redis;
    this.midTerm = storage.midTerm;
    this.vectorContents = storage.vectorContents;
    this.vectorSearch = this.ai();
    const compute = this.compute();
    this.repository = compute.repository;
    this.service = compute.service;
    this.deployer = this.delivery();
    this.outputs();
    applyGuardrails(this, { kind: config.kind, allowPublicInvoker: config.runtime.allowPublicInvocation, disabled: config.guardrails.disabled });
  }

  /** The Google provider with the labels every resource carries, and the state backend. */
  private foundation(): void {
    const { config } = this;
    const provider = new GoogleProvider(this, 'google', { project: config.projectId, region: config.region });
    // Set as an override because cdktf snake-cases map keys in provider blocks ("cost-center"
    // would become "cost_center"); overrides are written verbatim.
    provider.addOverride('default_labels', { app: 'orchestra', env: config.name, 'managed-by': 'cdktf', ...config.labels });
    new GcsBackend(this, {
      bucket: this.stateBucket,
      prefix: config.state.prefix ?? `orchestra/${config.name}`,
    });
  }

  private networking(): Network {
    const { config } = this;
    return new Network(this, 'network', {
      region: config.region,
      prefix: config.prefix,
      subnetCidr: config.network.subnetCidr,
      privateServicesCidr: config.network.privateServicesCidr,
    });
  }

  /** The runtime's identity, and the secrets an operator fills: API keys, LLM keys, an external MongoDB URI. */
  private security(): { identity: ServiceAccount; secrets: Record<string, Secret> } {
    const { config } = this;
    const identity = new ServiceAccount(this, 'runtime-identity', {
      project: config.projectId,
      accountId: `${config.prefix}-runtime`,
      displayName: 'Orchestra runtime',
      description: `Identity of the Orchestra runtime on Cloud Run (${config.name})`,
    });
    const secrets: Record<string, Secret> = {
      [RuntimeSettings.apiKeys]: this.operatorSecret('api-keys', 'api-keys'),
      // Optional: left at the placeholder, the runtime serves no admin routes (tenant purge).
      [RuntimeSettings.adminApiKeys]: this.operatorSecret('admin-api-keys', 'admin-api-keys'),
    };
    for (const provider of config.runtime.llmProviders) {
      secrets[llmApiKeySetting(provider)] = this.operatorSecret(`llm-${provider}-api-key`, `llm-${provider}-api-key`);
    }
    if (config.midTerm.kind === 'external-mongodb') {
      // The URI carries credentials, so it only ever travels as a secret.
      secrets[RuntimeSettings.mongoUri] = this.operatorSecret('mongodb-uri', 'mongodb-uri');
    }
    return { identity, secrets };
  }

  private operatorSecret(id: string, name: string): Secret {
    return new Secret(this, id, {
      secretId: `${this.config.prefix}-${name}`,
      // A first deploy creates the service before anyone has added a value (README: Deploy).
      placeholder: true,
      replicaLocations: this.config.secretReplicaLocations,
      deletionProtection: this.config.deletionProtection,
      labels: { component: 'security' },
    });
  }

  /** Short-term (Memorystore), mid-term (Firestore, or an external MongoDB) and the bucket for index contents. */
  private storage(): { redis: RedisCache; midTerm: MidTerm; vectorContents: PrivateBucket } {
    const { config } = this;
    const protect = config.deletionProtection;
    const redis = new RedisCache(this, 'redis', {
      name: `${config.prefix}-short-term`,
      region: config.region,
      networkId: this.network.networkId,
      privateServicesConnection: this.network.privateServicesConnection,
      tier: config.redis.tier,
      memorySizeGb: config.redis.memorySizeGb,
      authEnabled: config.redis.authEnabled,
      transitEncryption: config.redis.transitEncryption,
      authSecretReplicaLocations: config.secretReplicaLocations,
      deletionProtection: protect,
      labels: { component: 'short-term-memory' },
    });

    let midTerm: MidTerm;
    if (config.midTerm.kind === 'firestore') {
      const database = new FirestoreMongoDatabase(this, 'mid-term', {
        project: config.projectId,
        name: `${config.prefix}-memory`,
        locationId: config.midTerm.locationId ?? config.region,
        deletionProtection: protect,
        pointInTimeRecovery: config.midTerm.pointInTimeRecovery,
      });
      midTerm = { settings: database.runtimeSettings, grant: database.grantReadWrite(this.runtimeIdentity) };
    } else {
      const uri = this.operatorSecrets[RuntimeSettings.mongoUri];
      midTerm = { settings: { mongo: { uri: fromSecret<ISecret>(uri), database: config.midTerm.databaseName } } };
    }

    const vectorContents = new PrivateBucket(this, 'vector-contents', {
      name: `${config.projectId}-${config.prefix}-vectors`,
      location: config.region,
      deletionProtection: protect,
      labels: { component: 'long-term-memory' },
    });
    return { redis, midTerm, vectorContents };
  }

  /** Long-term memory: the Vector Search index, built for the embedding model the runtime is told to use. */
  private ai(): VectorSearch {
    const { config } = this;
    const vs = config.vectorSearch;
    return new VectorSearch(this, 'vector-search', {
      project: config.projectId,
      region: config.region,
      prefix: config.prefix,
      embeddingModel: vs.embeddingModel,
      dimensions: vs.dimensions,
      approximateNeighborsCount: vs.approximateNeighborsCount,
      leafNodeEmbeddingCount: vs.leafNodeEmbeddingCount,
      leafNodesToSearchPercent: vs.leafNodesToSearchPercent,
      shardSize: vs.shardSize,
      minReplicas: vs.minReplicas,
      maxReplicas: vs.maxReplicas,
      access: vs.access === 'public' ? { type: 'public' } : { type: 'private-service-connect', networkId: this.network.networkId, subnetId: this.network.subnetId },
      labels: { component: 'long-term-memory' },
    });
  }

  /** The image repository, and the runtime on Cloud Run with its settings rendered through the runtime's contract. */
  private compute(): { repository: ContainerRepository; service?: RuntimeService } {
    const { config } = this;
    const repository = new ContainerRepository(this, 'repository', {
      project: config.projectId,
      repositoryId: config.prefix,
      location: config.region,
      immutableTags: config.kind === 'production',
      labels: { component: 'compute' },
    });
    if (!config.runtime.deploy) return { repository };

    // Grants the runtime uses from its first request: created before the service, so a new revision never starts without them.
    const modelGrant = config.runtime.llm.deployments.some((d) => d.provider === 'vertex-gemini')
      ? grantModelUse(this, { project: config.projectId, prefix: config.prefix }, this.runtimeIdentity)
      : undefined;
    const startupGrants = [this.midTerm.grant, this.vectorSearch.grantUse(this.runtimeIdentity), modelGrant].filter((g): g is ITerraformDependable => g !== undefined);
    const secret = (variable: string) => fromSecret<ISecret>(this.operatorSecrets[variable]);
    const llmKeys = Object.fromEntries(config.runtime.llmProviders.map((p) => [p, secret(llmApiKeySetting(p))]));
    const service = new RuntimeService(this, 'runtime', {
      name: `${config.prefix}-runtime`,
      region: config.region,
      // Until the first push the repository is empty; Google's sample container stands in
      // (README: Deploy), so a first `cdktf deploy` on a fresh project succeeds in one run.
      image: config.runtime.image ?? PLACEHOLDER_IMAGE,
      serviceAccount: this.runtimeIdentity,
      cpu: config.runtime.cpu,
      memory: config.runtime.memory,
      minInstances: config.runtime.minInstances,
      maxInstances: config.runtime.maxInstances,
      concurrency: config.runtime.concurrency,
      ingress: config.runtime.ingress,
      // Behind the load balancer, whose serverless NEG sends no identity token, Cloud Armor and
      // the runtime's API keys are the gates (the schema requires internal-and-load-balancer).
      invokerIamDisabled: config.runtime.domains.length > 0,
      vpc: this.network,
      invokers: config.runtime.invokers.map((member) => ({ member })),
      allowPublicInvocation: config.runtime.allowPublicInvocation,
      deletionProtection: config.deletionProtection,
      dependsOn: startupGrants,
      labels: { component: 'compute' },
      // Spans to Cloud Trace; the runtime links its log lines to them.
      traces: { project: config.projectId },
      settings: {
        environment: config.name,
        google: { projectId: config.projectId, region: config.region },
        memory: { ...this.redis.runtimeSettings, ...this.midTerm.settings, ...this.vectorSearch.runtimeSettings },
        server: { apiKeys: secret(RuntimeSettings.apiKeys), adminApiKeys: secret(RuntimeSettings.adminApiKeys) },
        llm: { ...config.runtime.llm, apiKeys: llmKeys },
      },
    });
    new TerraformOutput(this, 'service_url', { value: service.uri, description: 'URL of the runtime on Cloud Run' });

    if (config.runtime.domains.length > 0) {
      const lb = new HttpsLoadBalancer(this, 'load-balancer', {
        prefix: config.prefix,
        region: config.region,
        serviceName: service.name,
        domains: config.runtime.domains,
        requestsPerMinutePerIp: config.runtime.edgeRequestsPerMinutePerIp,
      });
      new TerraformOutput(this, 'load_balancer_ip', { value: lb.ipAddress, description: `Point ${config.runtime.domains.join(', ')} here (A record)` });
    }
    return { repository, service };
  }

  /**
   * The identities GitHub Actions uses for this stack (workload identity federation, no keys):
   * the deployer for jobs of the GitHub environment of the same name, a read-only planner for
   * pull requests' `cdktf diff`.
   */
  private delivery(): DeployerIdentity | undefined {
    const { config } = this;
    if (!config.delivery) return undefined;
    const repo = config.delivery.githubRepository;
    // Token exchange (STS) and impersonation (IAM Credentials), and Cloud Build for runtime images.
    const deliveryApis = new ProjectServices(this, 'delivery-services', {
      project: config.projectId,
      services: ['sts.googleapis.com', 'iamcredentials.googleapis.com', 'cloudbuild.googleapis.com'],
    });
    const deployer = new DeployerIdentity(this, 'deployer', {
      project: config.projectId,
      prefix: config.prefix,
      repository: repo,
      // Deploys run as jobs of the GitHub environment of the same name (guard prod with required
      // reviewers there); pull requests only plan, as the read-only planner.
      deploySubjects: [`repo:${repo}:environment:${config.name}`],
      planSubjects: [`repo:${repo}:pull_request`],
      stateBucket: this.stateBucket,
    });
    deployer.manageServiceAccount(this.runtimeIdentity);
    deliveryApis.requiredBy(deployer);
    new TerraformOutput(this, 'deployer_workload_identity_provider', {
      value: deployer.workloadIdentityProvider,
      description: `GitHub variable GCP_WIF_PROVIDER_${config.name.toUpperCase()} (google-github-actions/auth workload_identity_provider)`,
    });
    new TerraformOutput(this, 'deployer_service_account', {
      value: deployer.serviceAccountEmail,
      description: `GitHub variable GCP_DEPLOYER_${config.name.toUpperCase()} (google-github-actions/auth service_account)`,
    });
    if (deployer.planner) {
      new TerraformOutput(this, 'planner_service_account', {
        value: deployer.planner.email,
        description: `GitHub variable GCP_PLANNER_${config.name.toUpperCase()} (pull requests: cdktf diff, read-only)`,
      });
    }
    return deployer;
  }

  private outputs(): void {
    const output = (id: string, value: string, description: string) => new TerraformOutput(this, id, { value, description });
    output('runtime_service_account', this.runtimeIdentity.email, 'Service account the runtime runs as');
    output('redis_host', this.redis.host, 'Private address of Memorystore for Redis');
    output('vector_index', this.vectorSearch.indexName, 'Vector Search index (upserts go here)');
    output('vector_index_endpoint', this.vectorSearch.indexEndpointName, 'Vector Search index endpoint');
    output('vector_deployed_index_id', this.vectorSearch.deployedIndexId, 'Deployed index id for queries');
    output('vector_query_host', this.vectorSearch.queryHost, 'Where vector queries go: the public endpoint domain (FindNeighbors over TLS), or the PSC address (Match, port 10000, plaintext)');
    output('vector_contents_bucket', this.vectorContents.url, 'Bucket for index contents (batch rebuilds)');
    output('artifact_repository', this.repository.url, 'Push runtime images here');
    output('secrets_to_fill', Object.values(this.operatorSecrets).map((s) => s.secretId).join(','), 'Add a version to each of these secrets (gcloud secrets versions add)');
  }
}
