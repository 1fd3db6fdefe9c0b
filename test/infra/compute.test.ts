import { ArtifactRegistryRepository } from '@cdktf/provider-google/lib/artifact-registry-repository';
import { CloudRunV2ServiceIamMember } from '@cdktf/provider-google/lib/cloud-run-v2-service-iam-member';
import { ComputeGlobalForwardingRule } from '@cdktf/provider-google/lib/compute-global-forwarding-rule';
import { ComputeRegionNetworkEndpointGroup } from '@cdktf/provider-google/lib/compute-region-network-endpoint-group';
import { ComputeSslPolicy } from '@cdktf/provider-google/lib/compute-ssl-policy';
import type { Construct } from 'constructs';
import { ContainerRepository, REPOSITORY_READER_ROLE, REPOSITORY_WRITER_ROLE } from '../../infra/src/compute/container-repository';
import { HttpsLoadBalancer } from '../../infra/src/compute/https-load-balancer';
import { INVOKER_ROLE, RuntimeService, RuntimeServiceProps, TRACES_WRITER_ROLE } from '../../infra/src/compute/runtime-service';
import { type ISecret, Secret } from '../../infra/src/security/secret';
import { fromSecret } from '../../runtime/src/contract';
import { ServiceAccount } from '../../infra/src/security/service-account';
import { onlyResource, resourcesOf, synth } from '../helpers/synth';

function service(s: Construct, props: Partial<RuntimeServiceProps> = {}): RuntimeService {
  const sa = new ServiceAccount(s, 'sa', { project: 'p-123456', accountId: 'orchestra-runtime' });
  return new RuntimeService(s, 'rt', {
    name: 'orchestra-runtime',
    region: 'us-central1',
    image: 'us-central1-docker.pkg.dev/p-123456/orchestra/runtime:1.0.0',
    serviceAccount: sa,
    ...props,
  });
}

describe('RuntimeService', () => {
  it('runs as its dedicated account, protected, not public, with health probes on the runtime routes', () => {
    const { json } = synth((s) => service(s));
    const svc = onlyResource(json, 'google_cloud_run_v2_service');
    expect(svc).toMatchObject({ ingress: 'INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER', deletion_protection: true, location: 'us-central1' });
    expect(svc.template.service_account).toMatch(/^\$\{google_service_account\.\S+\.email\}$/);
    expect(svc.template.scaling).toEqual({ min_instance_count: 0, max_instance_count: 10 });
    expect(svc.template.max_instance_request_concurrency).toBe(80);
    const [container] = svc.template.containers;
    expect(container.ports).toEqual({ container_port: 8080 }); // an object, not a list
    // Liveness: an instance starts with a backend down and reconnects (a readiness probe would crash-loop it).
    expect(container.startup_probe.http_get).toEqual({ path: '/healthz', port: 8080 });
    expect(container.liveness_probe.http_get).toEqual({ path: '/healthz', port: 8080 });
    expect(container.resources).toMatchObject({ limits: { cpu: '1', memory: '512Mi' }, startup_cpu_boost: true });
    expect(svc.template.vpc_access).toBeUndefined();
    expect(resourcesOf(json, 'google_cloud_run_v2_service_iam_member')).toHaveLength(0);
  });

  it('egresses private ranges through Direct VPC egress', () => {
    const { json } = synth((s) => service(s, { vpc: { networkId: 'projects/p/global/networks/n', subnetId: 'projects/p/regions/r/subnetworks/s' } }));
    expect(onlyResource(json, 'google_cloud_run_v2_service').template.vpc_access).toEqual({
      egress: 'PRIVATE_RANGES_ONLY',
      network_interfaces: [{ network: 'projects/p/global/networks/n', subnetwork: 'projects/p/regions/r/subnetworks/s' }],
    });
  });

  it('renders the runtime settings through the runtime contract, credentials by secret reference', () => {
    const { json } = synth((s) => {
      const key = new Secret(s, 'key', { secretId: 'llm-key' });
      service(s, { settings: { environment: 'dev', server: { apiKeys: fromSecret<ISecret>(key) }, llm: { apiKeys: { openai: fromSecret<ISecret>(key) } } } });
    });
    const svc = onlyResource(json, 'google_cloud_run_v2_service');
    expect(svc.template.containers[0].env).toEqual([
      { name: 'ORCHESTRA_ENV', value: 'dev' },
      { name: 'ORCHESTRA_API_KEYS', value_source: { secret_key_ref: { secret: expect.stringMatching(/^\$\{google_secret_manager_secret\.key_secret_\w+\.secret_id\}$/), version: 'latest' } } },
      { name: 'ORCHESTRA_LLM_OPENAI_API_KEY', value_source: { secret_key_ref: { secret: expect.any(String), version: 'latest' } } },
    ]);
    const grants = resourcesOf(json, 'google_secret_manager_secret_iam_member');
    expect(grants).toHaveLength(1);
    expect(grants[0].role).toBe('roles/secretmanager.secretAccessor');
    expect(svc.depends_on).toEqual([expect.stringMatching(/^google_secret_manager_secret_iam_member\./)]);
  });

  it('waits for a secret version written at deploy time', () => {
    const { json } = synth((s) => {
      const sa = new ServiceAccount(s, 'other', { project: 'p-123456', accountId: 'token-source' });
      const derived = new Secret(s, 'derived', { secretId: 'derived', valueFrom: sa.email });
      service(s, { secretEnv: { PARTNER_TOKEN: derived } });
    });
    expect(onlyResource(json, 'google_cloud_run_v2_service').depends_on).toEqual(
      expect.arrayContaining([expect.stringMatching(/^google_secret_manager_secret_version\./)]),
    );
  });

  it('grants invoke to named principals only on this service', () => {
    const { text, json } = synth((s) => service(s, { invokers: [{ member: 'group:callers@example.com' }] }));
    expect(text).toHaveResourceWithProperties(CloudRunV2ServiceIamMember, { role: INVOKER_ROLE, member: 'group:callers@example.com' });
    expect(resourcesOf(json, 'google_cloud_run_v2_service_iam_member')).toHaveLength(1);
  });

  it("keeps the runtime's request deadline below Cloud Run's request timeout", () => {
    expect(() => synth((s) => service(s, { requestTimeoutSeconds: 120 }))).toThrow(/settings\.server\.requestTimeoutMs: 240000 ms must be below the service's request timeout \(requestTimeoutSeconds: 120 s\)/);
    expect(() => synth((s) => service(s, { requestTimeoutSeconds: 120, settings: { server: { requestTimeoutMs: 100_000 } } }))).not.toThrow();
  });

  it('turns the IAM invoker check off only behind the load balancer, never with ingress "all"', () => {
    const { json } = synth((s) => service(s, { ingress: 'internal-and-load-balancer', invokerIamDisabled: true }));
    expect(onlyResource(json, 'google_cloud_run_v2_service')).toMatchObject({ invoker_iam_disabled: true, ingress: 'INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER' });
    expect(onlyResource(synth((s) => service(s)).json, 'google_cloud_run_v2_service').invoker_iam_disabled).toBeUndefined();
    expect(() => synth((s) => service(s, { ingress: 'all', invokerIamDisabled: true }))).toThrow(/invokerIamDisabled: .*with ingress "all" this makes the service public/);
  });

  it('sends all egress through the VPC when asked (then Cloud NAT carries public destinations)', () => {
    const vpc = { networkId: 'n', subnetId: 'sn' };
    const { json } = synth((s) => service(s, { vpc, vpcEgress: 'all-traffic' }));
    expect(onlyResource(json, 'google_cloud_run_v2_service').template.vpc_access.egress).toBe('ALL_TRAFFIC');
    expect(() => synth((s) => service(s, { vpcEgress: 'all-traffic' }))).toThrow(/vpcEgress: .*needs vpc/);
  });

  it('adds allUsers only when public invocation is asked for explicitly', () => {
    const { json } = synth((s) => service(s, { allowPublicInvocation: true, ingress: 'all' }));
    expect(onlyResource(json, 'google_cloud_run_v2_service_iam_member').member).toBe('allUsers');
    expect(onlyResource(json, 'google_cloud_run_v2_service').ingress).toBe('INGRESS_TRAFFIC_ALL');
  });

  it('reports every bad prop at once', () => {
    expect(() =>
      synth((s) =>
        service(s, {
          name: 'Bad',
          minInstances: 5,
          maxInstances: 2,
          concurrency: 0,
          env: { PORT: '1', 'BAD-NAME': 'x', OPENAI_API_KEY: 'sk-123', DB_PASSWORD: 'p' },
          invokers: [{ member: 'allUsers' }, { member: 'bob' }],
        }),
      ),
    ).toThrow(
      new RegExp(
        [
          'name: "Bad"',
          'maxInstances: 2 must be at least 1 and at least minInstances \\(5\\)',
          'concurrency: 0',
          'env: "BAD-NAME" is not a valid variable name',
          'env: "PORT" is set by Cloud Run',
          'env: "OPENAI_API_KEY" looks like a credential; pass it in secretEnv',
          'env: "DB_PASSWORD" looks like a credential',
          'invokers: "allUsers" is public',
          'invokers: "bob" is not an IAM member',
        ].join('[\\s\\S]*'),
      ),
    );
  });

  it('refuses the same variable as plain and secret', () => {
    expect(() =>
      synth((s) => service(s, { env: { PARTNER_X: 'a' }, secretEnv: { PARTNER_X: new Secret(s, 'k', { secretId: 'k' }) } })),
    ).toThrow(/"PARTNER_X" is in both env and secretEnv/);
  });

  it("takes the runtime's settings only through `settings`, and their credentials only by reference", () => {
    expect(() => synth((s) => service(s, { env: { ORCHESTRA_REDIS_HOST: '10.0.0.3' } }))).toThrow(/env: "ORCHESTRA_REDIS_HOST" is a setting of the Orchestra runtime; give it in settings/);
    expect(() => synth((s) => service(s, { secretEnv: { ORCHESTRA_LLM_ACME_API_KEY: new Secret(s, 'k', { secretId: 'k' }) } }))).toThrow(/"ORCHESTRA_LLM_ACME_API_KEY" is a setting/);
    expect(() => synth((s) => service(s, { settings: { memory: { redis: { host: '10.0.0.3', password: 'literal-auth' } } } }))).toThrow(
      /settings: "ORCHESTRA_REDIS_PASSWORD" looks like a credential; give it in settings as fromSecret\(secret\)/,
    );
    expect(() => synth((s) => service(s, { settings: { environment: 'dev' }, env: { ORCHESTRA_ENV: 'prod' } }))).toThrow(/"ORCHESTRA_ENV" is a setting/);
  });

  it('mounts a secret that exists already, in this project or another, at a pinned version, and grants read on it', () => {
    const { json } = synth((s) => {
      const local = Secret.fromSecretId(s, 'local', 'partner-key');
      const shared = Secret.fromSecretId(s, 'shared', 'billing-token', { project: 'acme-shared' });
      service(s, { secretEnv: { PARTNER_KEY: local, BILLING_TOKEN: { secret: shared, version: '3' } } });
    });
    expect(onlyResource(json, 'google_cloud_run_v2_service').template.containers[0].env).toEqual([
      { name: 'PARTNER_KEY', value_source: { secret_key_ref: { secret: 'partner-key', version: 'latest' } } },
      { name: 'BILLING_TOKEN', value_source: { secret_key_ref: { secret: 'projects/acme-shared/secrets/billing-token', version: '3' } } },
    ]);
    expect(resourcesOf(json, 'google_secret_manager_secret').length).toBe(0);
    expect(resourcesOf(json, 'google_secret_manager_secret_iam_member').map((g) => g.secret_id).sort()).toEqual(['partner-key', 'projects/acme-shared/secrets/billing-token']);
  });
});

describe('RuntimeService traces', () => {
  it("export to Google's Telemetry API: the endpoint set, and the account granted only the traces writer role on the project, before the service starts", () => {
    const { json } = synth((s) => service(s, { traces: { project: 'p-123456' } }));
    const svc = onlyResource(json, 'google_cloud_run_v2_service');
    expect(svc.template.containers[0].env).toContainEqual({ name: 'OTEL_EXPORTER_OTLP_ENDPOINT', value: 'https://telemetry.googleapis.com' });
    const grants = resourcesOf(json, 'google_project_iam_member');
    expect(grants).toEqual([{ project: 'p-123456', role: TRACES_WRITER_ROLE, member: expect.stringMatching(/^\$\{google_service_account\.\S+\.member\}$/) }]);
    expect(TRACES_WRITER_ROLE).toBe('roles/telemetry.tracesWriter');
    expect(svc.depends_on).toContainEqual(expect.stringMatching(/^google_project_iam_member\./));
  });

  it('are not exported, nor granted, unless asked for; the endpoint is not also given in env', () => {
    const { json } = synth((s) => service(s));
    expect(resourcesOf(json, 'google_project_iam_member')).toHaveLength(0);
    expect(onlyResource(json, 'google_cloud_run_v2_service').template.containers[0].env ?? []).not.toContainEqual(expect.objectContaining({ name: 'OTEL_EXPORTER_OTLP_ENDPOINT' }));
    expect(() => synth((s) => service(s, { traces: { project: 'p-123456' }, env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' } }))).toThrow(/OTEL_EXPORTER_OTLP_ENDPOINT.*set by traces/);
  });
});

describe('ContainerRepository', () => {
  it('is a Docker repository with cleanup, and builds image references', () => {
    let url = '';
    const { text, json } = synth((s) => {
      url = new ContainerRepository(s, 'repo', { project: 'p-123456', repositoryId: 'orchestra', location: 'us-central1', immutableTags: true }).url;
    });
    expect(text).toHaveResourceWithProperties(ArtifactRegistryRepository, { format: 'DOCKER', docker_config: { immutable_tags: true }, cleanup_policy_dry_run: false });
    const policies = onlyResource(json, 'google_artifact_registry_repository').cleanup_policies;
    expect(policies.map((p: { action: string }) => p.action).sort()).toEqual(['DELETE', 'KEEP']);
    expect(url).toMatch(/^us-central1-docker\.pkg\.dev\/p-123456\//);
  });

  it('grants pull and push with the narrow Artifact Registry roles', () => {
    const { json } = synth((s) => {
      const repo = new ContainerRepository(s, 'repo', { project: 'p-123456', repositoryId: 'orchestra', location: 'us-central1' });
      repo.grantPull({ member: 'serviceAccount:a@p-123456.iam.gserviceaccount.com' });
      repo.grantPush({ member: 'serviceAccount:ci@p-123456.iam.gserviceaccount.com' });
    });
    expect(resourcesOf(json, 'google_artifact_registry_repository_iam_member').map((r) => r.role).sort()).toEqual([REPOSITORY_READER_ROLE, REPOSITORY_WRITER_ROLE]);
  });
});

describe('HttpsLoadBalancer', () => {
  it('fronts the service over HTTPS only, with a managed certificate and TLS 1.2+', () => {
    const { text, json } = synth((s) => new HttpsLoadBalancer(s, 'lb', { region: 'us-central1', serviceName: 'orchestra-runtime', domains: ['api.example.com'] }));
    expect(text).toHaveResourceWithProperties(ComputeRegionNetworkEndpointGroup, { network_endpoint_type: 'SERVERLESS', cloud_run: { service: 'orchestra-runtime' } });
    expect(text).toHaveResourceWithProperties(ComputeSslPolicy, { min_tls_version: 'TLS_1_2' });
    expect(text).toHaveResourceWithProperties(ComputeGlobalForwardingRule, { port_range: '443', load_balancing_scheme: 'EXTERNAL_MANAGED' });
    expect(onlyResource(json, 'google_compute_managed_ssl_certificate').managed).toEqual({ domains: ['api.example.com'] });
    expect(resourcesOf(json, 'google_compute_target_http_proxy')).toHaveLength(0);
  });

  it('names the certificate after its domains and replaces it create-before-destroy, so changing domains works', () => {
    const certOf = (domains: string[]) => onlyResource(synth((s) => new HttpsLoadBalancer(s, 'lb', { region: 'r', serviceName: 's', domains })).json, 'google_compute_managed_ssl_certificate');
    const before = certOf(['api.example.com']);
    const after = certOf(['api.example.com', 'www.example.com']);
    expect(before.lifecycle).toEqual({ create_before_destroy: true });
    expect(before.name).toMatch(/^runtime-cert-[0-9a-f]{8}$/);
    expect(after.name).not.toBe(before.name);
    expect(certOf(['www.example.com', 'api.example.com']).name).toBe(after.name); // order does not matter
  });

  it('puts a Cloud Armor policy on the backend: a per-IP throttle, the Log4j rule, allow by default', () => {
    const { json } = synth((s) => new HttpsLoadBalancer(s, 'lb', { region: 'r', serviceName: 's', domains: ['api.example.com'], requestsPerMinutePerIp: 120 }));
    const policy = onlyResource(json, 'google_compute_security_policy');
    expect(onlyResource(json, 'google_compute_backend_service').security_policy).toMatch(/^\$\{google_compute_security_policy\.[\w-]+\.id\}$/);
    expect(policy.rule.map((r: { priority: number; action: string }) => [r.priority, r.action])).toEqual([
      [900, 'deny(403)'],
      [1000, 'throttle'],
      [2147483647, 'allow'],
    ]);
    expect(policy.rule[1].rate_limit_options).toEqual({
      conform_action: 'allow',
      exceed_action: 'deny(429)',
      enforce_on_key: 'IP',
      rate_limit_threshold: { count: 120, interval_sec: 60 },
    });
    expect(() => synth((s) => new HttpsLoadBalancer(s, 'lb', { region: 'r', serviceName: 's', domains: ['a.example.com'], requestsPerMinutePerIp: 0 }))).toThrow(/requestsPerMinutePerIp: .*at least 1/);
  });

  it('needs at least one valid domain', () => {
    expect(() => synth((s) => new HttpsLoadBalancer(s, 'lb', { region: 'r', serviceName: 's', domains: [] }))).toThrow(/domains: give at least one/);
    expect(() => synth((s) => new HttpsLoadBalancer(s, 'lb', { region: 'r', serviceName: 's', domains: ['not a domain'] }))).toThrow(/"not a domain" is not a fully qualified/);
  });
});
