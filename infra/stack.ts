import { Construct } from 'constructs';
import { GcsBackend, ITerraformDependable, TerraformOutput, TerraformStack, Token } from 'cdktf';
import { GoogleProvider } from '@cdktf/provider-google/lib/provider';
import type { EnvironmentConfig } from '../environments/schema';
import { RuntimeSettings, llmApiKeySetting } from '../runtime/src/config/settings';
import { VectorSearch } from './ai/vector-search';
import { applyGuardrails } from './guardrails';
import { ContainerRepository } from './compute/container-repository';
import { HttpsLoadBalancer } from './compute/https-load-balancer';
import { RuntimeService } from './compute/runtime-service';
import { Network } from './networking/network';
import { DeployerIdentity } from './security/deployer-identity';
import { ProjectServices } from './security/project-services';
import { Secret } from './security/secret';
import { ServiceAccount } from './security/service-account';
import { FirestoreMongoDatabase } from './storage/firestore-mongo-database';
import { PrivateBucket } from './storage/private-bucket';
import { RedisCache } from './storage/redis-cache';

/** The stack id of an environment: what `cdktf deploy` takes. */
export function stackName(environment: string): string {
  return `orchestra-${environment}`;
}

/**
 * One environment of Orchestra: networking, security, storage, AI and compute composed from the
 * kit's constructs, with the runtime's settings wired from their attributes.
 */
export class OrchestraStack extends TerraformStack {
  public readonly network: Network;
  public readonly runtimeIdentity: ServiceAccount;
  public readonly redis: RedisCache;
  public readonly vectorSearch: VectorSearch;
  public readonly repository: ContainerRepository;
  /** Secrets whose values an operator adds out of band, keyed by the variable they feed. */
  public readonly operatorSecrets: Readonly<Record<string, Secret>>;
  /** The Cloud Run service, unless `runtime.deploy` is false. */
  public readonly service?: RuntimeService;
  /** The identity CI deploys as, when `delivery` is configured. */
  public readonly deployer?: DeployerIdentity;

  constructor(scope: Construct, readonly config: EnvironmentConfig) {
    super(scope, stackName(config.name));
    const { prefix, projectId: project, region } = config;
    const protect = config.deletionProtection;

    const provider = new GoogleProvider(this, 'google', { project, region });
    // Every resource that takes labels gets these, without each construct repeating them. Set as
    // an override because cdktf snake-cases map keys in provider blocks ("cost-center" would
    // become "cost_center"); overrides are written verbatim.
    provider.addOverride('default_labels', { app: 'orchestra', env: config.name, 'managed-by': 'cdktf', ...config.labels });
    new GcsBackend(this, {
      bucket: config.state.bucket ?? `${project}-tfstate`,
      prefix: config.state.prefix ?? `orchestra/${config.name}`,
    });

    const services = new ProjectServices(this, 'services', { project });

    // Networking
    this.network = new Network(this, 'network', {
      region,
      prefix,
      subnetCidr: config.network.subnetCidr,
      privateServicesCidr: config.network.privateServicesCidr,
    });

    // Security
    this.runtimeIdentity = new ServiceAccount(this, 'runtime-identity', {
      project,
      accountId: `${prefix}-runtime`,
      displayName: 'Orchestra runtime',
      description: `Identity of the Orchestra runtime on Cloud Run (${config.name})`,
    });
    const secret = (id: string, secretId: string) =>
      new Secret(this, id, {
        secretId,
        replicaLocations: config.secretReplicaLocations,
        deletionProtection: protect,
        labels: { component: 'security' },
      });
    const operatorSecrets: Record<string, Secret> = {
      [RuntimeSettings.apiKeys]: secret('api-keys', `${prefix}-api-keys`),
    };
    for (const provider of config.runtime.llmProviders) {
      operatorSecrets[llmApiKeySetting(provider)] = secret(`llm-${provider}-api-key`, `${prefix}-llm-${provider}-api-key`);
    }

    // Storage
    this.redis = new RedisCache(this, 'redis', {
      name: `${prefix}-short-term`,
      region,
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

    // Grants the runtime checks at start (its readiness probe reaches every backend).
    const startupGrants: ITerraformDependable[] = [];
    const midTermEnv: Record<string, string> = {};
    if (config.midTerm.kind === 'firestore') {
      const database = new FirestoreMongoDatabase(this, 'mid-term', {
        project,
        name: `${prefix}-memory`,
        locationId: config.midTerm.locationId ?? region,
        deletionProtection: protect,
        pointInTimeRecovery: config.midTerm.pointInTimeRecovery,
      });
      startupGrants.push(database.grantReadWrite(this.runtimeIdentity));
      midTermEnv[RuntimeSettings.mongoUri] = database.connectionUri;
      midTermEnv[RuntimeSettings.mongoDatabase] = `${prefix}-memory`;
    } else {
      // The URI carries credentials, so it only ever travels as a secret.
      operatorSecrets[RuntimeSettings.mongoUri] = secret('mongodb-uri', `${prefix}-mongodb-uri`);
      midTermEnv[RuntimeSettings.mongoDatabase] = config.midTerm.databaseName;
    }
    this.operatorSecrets = operatorSecrets;

    const vectorContents = new PrivateBucket(this, 'vector-contents', {
      name: `${project}-${prefix}-vectors`,
      location: region,
      deletionProtection: protect,
      labels: { component: 'long-term-memory' },
    });

    // AI
    this.vectorSearch = new VectorSearch(this, 'vector-search', {
      project,
      region,
      prefix,
      dimensions: config.vectorSearch.dimensions,
      approximateNeighborsCount: config.vectorSearch.approximateNeighborsCount,
      leafNodeEmbeddingCount: config.vectorSearch.leafNodeEmbeddingCount,
      leafNodesToSearchPercent: config.vectorSearch.leafNodesToSearchPercent,
      shardSize: config.vectorSearch.shardSize,
      minReplicas: config.vectorSearch.minReplicas,
      maxReplicas: config.vectorSearch.maxReplicas,
      access:
        config.vectorSearch.access === 'public'
          ? { type: 'public' }
          : { type: 'private-service-connect', networkId: this.network.networkId, subnetId: this.network.subnetId },
      labels: { component: 'long-term-memory' },
    });
    startupGrants.push(this.vectorSearch.grantUse(this.runtimeIdentity));

    // Compute
    this.repository = new ContainerRepository(this, 'repository', {
      project,
      repositoryId: prefix,
      location: region,
      immutableTags: config.kind === 'production',
      labels: { component: 'compute' },
    });

    if (config.runtime.deploy) {
      const redisEnv: Record<string, string> = {
        [RuntimeSettings.redisHost]: this.redis.host,
        [RuntimeSettings.redisPort]: Token.asString(this.redis.port),
        [RuntimeSettings.redisTls]: String(this.redis.tlsEnabled),
      };
      if (this.redis.caCertificate) redisEnv[RuntimeSettings.redisCaCert] = this.redis.caCertificate;
      const secretEnv: Record<string, Secret> = { ...operatorSecrets };
      if (this.redis.authSecret) secretEnv[RuntimeSettings.redisPassword] = this.redis.authSecret;

      this.service = new RuntimeService(this, 'runtime', {
        name: `${prefix}-runtime`,
        region,
        image: config.runtime.image ?? `${this.repository.url}/runtime:latest`,
        serviceAccount: this.runtimeIdentity,
        cpu: config.runtime.cpu,
        memory: config.runtime.memory,
        minInstances: config.runtime.minInstances,
        maxInstances: config.runtime.maxInstances,
        concurrency: config.runtime.concurrency,
        ingress: config.runtime.ingress,
        vpc: { networkId: this.network.networkId, subnetId: this.network.subnetId },
        invokers: config.runtime.invokers.map((member) => ({ member })),
        allowPublicInvocation: config.runtime.allowPublicInvocation,
        deletionProtection: protect,
        dependsOn: startupGrants,
        labels: { component: 'compute' },
        env: {
          [RuntimeSettings.environment]: config.name,
          [RuntimeSettings.projectId]: project,
          [RuntimeSettings.region]: region,
          ...redisEnv,
          ...midTermEnv,
          [RuntimeSettings.vectorIndex]: this.vectorSearch.indexName,
          [RuntimeSettings.vectorIndexEndpoint]: this.vectorSearch.indexEndpointName,
          [RuntimeSettings.vectorDeployedIndexId]: this.vectorSearch.deployedIndexId,
          [RuntimeSettings.vectorQueryHost]: this.vectorSearch.queryHost,
          [RuntimeSettings.embeddingModel]: config.vectorSearch.embeddingModel,
          ...(config.runtime.llm === undefined ? {} : { [RuntimeSettings.llmConfig]: JSON.stringify(config.runtime.llm) }),
        },
        secretEnv,
      });
      new TerraformOutput(this, 'service_url', { value: this.service.uri, description: 'URL of the runtime on Cloud Run' });

      if (config.runtime.domains.length > 0) {
        const lb = new HttpsLoadBalancer(this, 'load-balancer', {
          prefix,
          region,
          serviceName: this.service.name,
          domains: config.runtime.domains,
        });
        new TerraformOutput(this, 'load_balancer_ip', {
          value: lb.ipAddress,
          description: `Point ${config.runtime.domains.join(', ')} here (A record)`,
        });
      }
    }

    // Delivery: the identity GitHub Actions deploys this stack as (workload identity federation,
    // no keys). Pull requests may `cdktf diff`; deploys run in the GitHub environment of the same name.
    if (config.delivery) {
      const repo = config.delivery.githubRepository;
      // Token exchange (STS) and impersonation (IAM Credentials), and Cloud Build for runtime images.
      const deliveryApis = new ProjectServices(this, 'delivery-services', {
        project,
        services: ['sts.googleapis.com', 'iamcredentials.googleapis.com', 'cloudbuild.googleapis.com'],
      });
      this.deployer = new DeployerIdentity(this, 'deployer', {
        project,
        prefix,
        repository: repo,
        subjects: [`repo:${repo}:pull_request`, `repo:${repo}:environment:${config.name}`],
      });
      this.deployer.manageServiceAccount(this.runtimeIdentity);
      deliveryApis.requiredBy(this.deployer);
      new TerraformOutput(this, 'deployer_workload_identity_provider', {
        value: this.deployer.workloadIdentityProvider,
        description: `GitHub variable GCP_WIF_PROVIDER_${config.name.toUpperCase()} (google-github-actions/auth workload_identity_provider)`,
      });
      new TerraformOutput(this, 'deployer_service_account', {
        value: this.deployer.serviceAccountEmail,
        description: `GitHub variable GCP_DEPLOYER_${config.name.toUpperCase()} (google-github-actions/auth service_account)`,
      });
    }

    services.requiredBy(this);

    const output = (id: string, value: string, description: string) => new TerraformOutput(this, id, { value, description });
    output('runtime_service_account', this.runtimeIdentity.email, 'Service account the runtime runs as');
    output('redis_host', this.redis.host, 'Private address of Memorystore for Redis');
    output('vector_index', this.vectorSearch.indexName, 'Vector Search index (upserts go here)');
    output('vector_index_endpoint', this.vectorSearch.indexEndpointName, 'Vector Search index endpoint');
    output('vector_deployed_index_id', this.vectorSearch.deployedIndexId, 'Deployed index id for queries');
    output('vector_query_host', this.vectorSearch.queryHost, 'Host that serves FindNeighbors');
    output('vector_contents_bucket', vectorContents.url, 'Bucket for index contents (batch rebuilds)');
    output('artifact_repository', this.repository.url, 'Push runtime images here');
    output('secrets_to_fill', Object.values(operatorSecrets).map((s) => s.secretId).join(','), 'Add a version to each of these secrets (gcloud secrets versions add)');

    applyGuardrails(this, { kind: config.kind, allowPublicInvoker: config.runtime.allowPublicInvocation, disabled: config.guardrails.disabled });
  }
}
