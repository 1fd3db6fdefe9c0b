import { Construct } from 'constructs';
import { ITerraformDependable } from 'cdktf';
import { CloudRunV2Service, CloudRunV2ServiceTemplateContainersEnv } from '@cdktf/provider-google/lib/cloud-run-v2-service';
import { CloudRunV2ServiceIamMember } from '@cdktf/provider-google/lib/cloud-run-v2-service-iam-member';
import { DEFAULTS, GOOGLE_OTLP_ENDPOINT, OTEL_VARIABLES, RuntimeSettings, type RuntimeSettingsInput, llmProviderOfSetting, renderRuntimeSettings } from '@orchestra/runtime/contract';
import { IGrantable, assertNamedPrincipal, grantId, grantProjectRole, isIamMember, isPublicPrincipal, onceGrant } from '../iam';
import { PropsValidator } from '../props-validator';
import { isResourceName } from '../naming';
import { CREDENTIAL_NAME } from '../security/credential-name';
import { type ISecret } from '../security/secret';

export const INVOKER_ROLE = 'roles/run.invoker';

/**
 * Google's sample container, what a service runs until the first image is pushed: public, and
 * answers 200 on $PORT at every path, so the startup and liveness probes pass (its handler is
 * registered on "/", which Go's ServeMux matches for every path: GoogleCloudPlatform/cloud-run-hello,
 * service/hello.go). Cloud Run's quickstarts deploy it first
 * (https://cloud.google.com/run/docs/deploying#sample-container).
 */
export const PLACEHOLDER_IMAGE = 'us-docker.pkg.dev/cloudrun/container/hello';

/** Who may reach the service's URL at the network level (IAM still applies on top). */
export type RuntimeIngress = 'all' | 'internal' | 'internal-and-load-balancer';

const INGRESS_VALUES: Record<RuntimeIngress, string> = {
  all: 'INGRESS_TRAFFIC_ALL',
  internal: 'INGRESS_TRAFFIC_INTERNAL_ONLY',
  'internal-and-load-balancer': 'INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER',
};

/** Variables Cloud Run sets itself; a container may not set them. */
const RESERVED_ENV = ['PORT', 'K_SERVICE', 'K_REVISION', 'K_CONFIGURATION'];

/** Where a secret variable comes from: a secret's latest version, or a version named. */
export type SecretEnvSource = ISecret | { readonly secret: ISecret; readonly version: string };

const RUNTIME_SETTING_NAMES: ReadonlySet<string> = new Set(Object.values(RuntimeSettings));

/** An identity the service runs as: a `ServiceAccount`, or any account given by email. */
export interface IServiceIdentity extends IGrantable {
  readonly email: string;
}

export interface RuntimeServiceProps {
  /** Service name: lowercase letters, digits, hyphens; at most 49 characters. */
  readonly name: string;
  readonly region: string;
  /**
   * Container image reference (`…-docker.pkg.dev/…/runtime:tag` or `…@sha256:…`). Before the
   * first image is pushed, `PLACEHOLDER_IMAGE`: a repository that is still empty has no tag to
   * point at, and Cloud Run refuses a revision whose image does not exist.
   */
  readonly image: string;
  /** The dedicated identity the container runs as. */
  readonly serviceAccount: IServiceIdentity;
  /** @default "1" */
  readonly cpu?: string;
  /** @default "512Mi" */
  readonly memory?: string;
  /**
   * Instances kept warm; 0 lets the service scale to zero (cold starts on the first request).
   * @default 0
   */
  readonly minInstances?: number;
  /** @default 10 */
  readonly maxInstances?: number;
  /**
   * Requests one instance serves at once.
   * @default 80
   */
  readonly concurrency?: number;
  /** @default 300 */
  readonly requestTimeoutSeconds?: number;
  /**
   * Network-level reachability of the URL.
   * @default "internal-and-load-balancer"
   */
  readonly ingress?: RuntimeIngress;
  /**
   * Direct VPC egress into this subnet for private ranges (Memorystore, PSC endpoints); other
   * traffic goes out directly.
   * @default - no VPC access
   */
  readonly vpc?: { readonly networkId: string; readonly subnetId: string };
  /**
   * Which outbound traffic enters the VPC (`vpc` only): private ranges only, or all of it — then
   * public destinations leave through the VPC's Cloud NAT, and Google APIs through Private
   * Google Access on the subnet.
   * @default 'private-ranges-only'
   */
  readonly vpcEgress?: 'private-ranges-only' | 'all-traffic';
  /**
   * The Orchestra runtime's settings, rendered into the container's environment by the runtime's
   * own renderer (its contract): plain values as variables, credentials given as
   * `fromSecret(secret)` mounted from Secret Manager. Fields left out take the runtime's defaults.
   * @default - none (a container that is not the Orchestra runtime)
   */
  readonly settings?: RuntimeSettingsInput<ISecret>;
  /**
   * Other plain environment variables. Credentials are refused here (use `secretEnv`), and so are
   * the runtime's own settings (use `settings`). @default {}
   */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * Variables read from Secret Manager at instance start: a secret (its latest version), or a
   * secret and a pinned version. The service account is granted read on each secret.
   * @default {}
   */
  readonly secretEnv?: Readonly<Record<string, SecretEnvSource>>;
  /** @default 8080 */
  readonly containerPort?: number;
  /**
   * Path the startup probe polls: an instance gets traffic once it answers 2xx. The process's
   * liveness, not its backends' readiness: the runtime starts with a memory backend down, serves
   * what it can and reconnects in the background, while Cloud Run would restart an instance
   * whose startup probe kept failing (30 × 2 s) — a crash loop for an outage it can ride out.
   * `/readyz` still says which layer is down.
   * @default "/healthz"
   */
  readonly startupProbePath?: string;
  /**
   * Path the liveness probe polls: an instance that stops answering is restarted.
   * @default "/healthz"
   */
  readonly livenessProbePath?: string;
  /**
   * Principals allowed to invoke the service (`roles/run.invoker` on this service only).
   * @default - none
   */
  readonly invokers?: readonly IGrantable[];
  /**
   * Allow `allUsers` as an invoker. Anyone on the internet can then call the service; the
   * runtime's own API-key auth is the only gate.
   * @default false
   */
  readonly allowPublicInvocation?: boolean;
  /**
   * Turn off Cloud Run's IAM invoker check, so requests need no Google identity token. An
   * external Application Load Balancer in front needs this (or IAP): its serverless NEG forwards
   * requests as they came, without an identity token, so with the check on every request through
   * it is refused with 403 ("Disable the Cloud Run Invoker IAM check",
   * https://cloud.google.com/run/docs/securing/managing-access#invoker_check). Only with
   * ingress other than "all": the load balancer (and the VPC) is then the only way in, and the
   * runtime's API keys the gate. The guardrails refuse it with "all" unless public invocation is allowed.
   * @default false
   */
  readonly invokerIamDisabled?: boolean;
  /**
   * Refuse `terraform destroy` of the service.
   * @default true
   */
  readonly deletionProtection?: boolean;
  /**
   * Resources the first revision needs in place before it starts, e.g. the service account's
   * grants on the backends it checks at start.
   * @default - none (grants this construct makes itself are waited for already)
   */
  readonly dependsOn?: readonly ITerraformDependable[];
  /** @default - none */
  readonly labels?: Readonly<Record<string, string>>;
  /**
   * Export the runtime's trace spans to Cloud Trace through Google's Telemetry (OTLP) API, which
   * Google recommends over the Cloud Trace exporter (https://cloud.google.com/trace/docs/migrate-to-otlp-endpoints):
   * sets `OTEL_EXPORTER_OTLP_ENDPOINT` to it and grants the service account
   * `roles/telemetry.tracesWriter` (`telemetry.traces.write` only) on `project`, the role's
   * lowest level.
   * @default - no export
   */
  readonly traces?: { readonly project: string };
}

/** Writes trace spans through the Telemetry API, nothing else (https://cloud.google.com/iam/docs/roles-permissions/telemetry). */
export const TRACES_WRITER_ROLE = 'roles/telemetry.tracesWriter';

/**
 * The Orchestra runtime on Cloud Run: a dedicated service account, secrets by reference, health
 * probes on the runtime's routes, Direct VPC egress for private backends, and invoker access
 * only for named principals.
 */
export class RuntimeService extends Construct {
  /** The service's `https://…run.app` URL. */
  public readonly uri: string;
  public readonly name: string;
  /** `projects/…/locations/…/services/…`. */
  public readonly id: string;
  public readonly region: string;
  private readonly service: CloudRunV2Service;

  constructor(scope: Construct, id: string, props: RuntimeServiceProps) {
    super(scope, id);
    const rendered = renderRuntimeSettings<ISecret>(props.settings ?? {});
    const traceEnv: Record<string, string> = props.traces ? { [OTEL_VARIABLES.endpoint]: GOOGLE_OTLP_ENDPOINT } : {};
    const plainEnv = { ...traceEnv, ...props.env };
    const extraSecrets = props.secretEnv ?? {};
    const env: Record<string, string> = { ...rendered.env, ...plainEnv };
    const secretEnv: Record<string, SecretEnvSource> = { ...rendered.secrets, ...extraSecrets };
    const minInstances = props.minInstances ?? 0;
    const maxInstances = props.maxInstances ?? 10;
    const concurrency = props.concurrency ?? 80;
    const port = props.containerPort ?? DEFAULTS.port;
    const ingress = props.ingress ?? 'internal-and-load-balancer';
    const invokers = props.invokers ?? [];
    const invokerIamDisabled = props.invokerIamDisabled ?? false;
    const timeoutSeconds = props.requestTimeoutSeconds ?? 300;
    const deadlineMs = props.settings?.server?.requestTimeoutMs ?? DEFAULTS.requestTimeoutMs;

    const v = new PropsValidator(this.node.path)
      .check('name', props.name, isResourceName(props.name, 49), `"${props.name}" must be a lowercase resource name of at most 49 characters`)
      .check('minInstances', minInstances, Number.isInteger(minInstances) && minInstances >= 0, `${minInstances} must be a whole number, at least 0`)
      .check('maxInstances', maxInstances, Number.isInteger(maxInstances) && maxInstances >= Math.max(1, minInstances), `${maxInstances} must be at least 1 and at least minInstances (${minInstances})`)
      .check('concurrency', concurrency, Number.isInteger(concurrency) && concurrency >= 1 && concurrency <= 1000, `${concurrency} must be a whole number from 1 to 1000`)
      .check('ingress', ingress, ingress in INGRESS_VALUES, `"${ingress}" must be one of ${Object.keys(INGRESS_VALUES).join(', ')}`)
      .check('invokerIamDisabled', invokerIamDisabled, !invokerIamDisabled || ingress !== 'all' || props.allowPublicInvocation === true, 'with ingress "all" this makes the service public: use ingress "internal-and-load-balancer", or allowPublicInvocation deliberately')
      .check('vpcEgress', props.vpcEgress, props.vpcEgress === undefined || props.vpc !== undefined, 'needs vpc')
      // The runtime answers 504 in its error shape at its own deadline; past Cloud Run's request
      // timeout the platform cuts the request off without one, and the model calls run on.
      .check(
        'settings.server.requestTimeoutMs',
        deadlineMs,
        typeof deadlineMs !== 'number' || deadlineMs < timeoutSeconds * 1000,
        `${deadlineMs} ms must be below the service's request timeout (requestTimeoutSeconds: ${timeoutSeconds} s), so the runtime answers before Cloud Run cuts the request off`,
      );
    for (const name of Object.keys(traceEnv)) v.check('env', name, !(name in (props.env ?? {})), `"${name}" is set by traces; leave it out of env`);
    for (const name of [...Object.keys(plainEnv), ...Object.keys(extraSecrets)]) {
      v.check('env', name, /^[A-Za-z_][A-Za-z0-9_]*$/.test(name), `"${name}" is not a valid variable name`);
      v.check('env', name, !(name in plainEnv && name in extraSecrets), `"${name}" is in both env and secretEnv`);
      // The runtime's settings come from `settings`, through the runtime's renderer, or not at all.
      const runtimeSetting = (RUNTIME_SETTING_NAMES.has(name) && !RESERVED_ENV.includes(name)) || llmProviderOfSetting(name) !== undefined;
      v.check('env', name, !runtimeSetting, `"${name}" is a setting of the Orchestra runtime; give it in settings`);
    }
    for (const name of [...Object.keys(env), ...Object.keys(secretEnv)]) {
      // PORT is a runtime setting too, but Cloud Run sets it: the container port is `containerPort`.
      v.check('env', name, !RESERVED_ENV.includes(name), `"${name}" is set by Cloud Run and cannot be overridden`);
      v.check('env', name, !(name in env && name in secretEnv), `"${name}" is both a plain and a secret variable`);
    }
    // Checked by name, so a deploy-time reference (which would still show in the revision's
    // plain config) is refused as well as a literal.
    for (const name of Object.keys(env)) {
      const how = name in rendered.env ? 'give it in settings as fromSecret(secret)' : 'pass it in secretEnv (a Secret Manager reference)';
      v.check(name in rendered.env ? 'settings' : 'env', name, !CREDENTIAL_NAME.test(name), `"${name}" looks like a credential; ${how}`);
    }
    for (const invoker of invokers) {
      v.check('invokers', invoker.member, isIamMember(invoker.member), `"${invoker.member}" is not an IAM member (user:, group:, serviceAccount:, domain:, principal:, principalSet:)`);
      v.check('invokers', invoker.member, !isPublicPrincipal(invoker.member), `"${invoker.member}" is public; set allowPublicInvocation instead, deliberately`);
    }
    v.throwIfInvalid();

    const envList: CloudRunV2ServiceTemplateContainersEnv[] = [
      ...Object.entries(env).map(([name, value]) => ({ name, value })),
      ...Object.entries(secretEnv).map(([name, source]) => {
        const { secret, version } = 'secret' in source ? source : { secret: source, version: 'latest' };
        return { name, valueSource: { secretKeyRef: { secret: secret.reference, version } } };
      }),
    ];

    // A revision that starts before it may read its secrets (or before a secret has a version)
    // fails to deploy, so the service waits for both.
    const secrets = [...new Set(Object.values(secretEnv).map((source) => ('secret' in source ? source.secret : source)))];
    const secretGrants = secrets.map((secret) => secret.grantRead(props.serviceAccount));
    const secretVersions = secrets.flatMap((secret) => (secret.version ? [secret.version] : []));

    // Before the first revision, so that its first requests' spans are accepted.
    const traceGrants = props.traces ? [grantProjectRole(this, props.traces.project, TRACES_WRITER_ROLE, props.serviceAccount)] : [];

    this.service = new CloudRunV2Service(this, 'service', {
      dependsOn: [...secretGrants, ...secretVersions, ...traceGrants, ...(props.dependsOn ?? [])],
      name: props.name,
      location: props.region,
      ingress: INGRESS_VALUES[ingress],
      invokerIamDisabled: invokerIamDisabled || undefined,
      deletionProtection: props.deletionProtection ?? true,
      labels: props.labels ? { ...props.labels } : undefined,
      template: {
        serviceAccount: props.serviceAccount.email,
        maxInstanceRequestConcurrency: concurrency,
        timeout: `${timeoutSeconds}s`,
        scaling: { minInstanceCount: minInstances, maxInstanceCount: maxInstances },
        vpcAccess: props.vpc
          ? {
              networkInterfaces: [{ network: props.vpc.networkId, subnetwork: props.vpc.subnetId }],
              egress: props.vpcEgress === 'all-traffic' ? 'ALL_TRAFFIC' : 'PRIVATE_RANGES_ONLY',
            }
          : undefined,
        labels: props.labels ? { ...props.labels } : undefined,
        containers: [
          {
            name: 'runtime',
            image: props.image,
            ports: { containerPort: port },
            env: envList,
            resources: {
              limits: { cpu: props.cpu ?? '1', memory: props.memory ?? '512Mi' },
              cpuIdle: true,
              // Start-up time is user-visible latency on Cloud Run: boost it.
              startupCpuBoost: true,
            },
            startupProbe: {
              httpGet: { path: props.startupProbePath ?? '/healthz', port },
              periodSeconds: 2,
              timeoutSeconds: 2,
              failureThreshold: 30,
            },
            livenessProbe: {
              httpGet: { path: props.livenessProbePath ?? '/healthz', port },
              periodSeconds: 15,
              timeoutSeconds: 3,
              failureThreshold: 3,
            },
          },
        ],
      },
    });

    for (const invoker of invokers) this.grantInvoke(invoker);
    if (props.allowPublicInvocation) this.invokerBinding('public', 'allUsers');

    this.uri = this.service.uri;
    this.name = this.service.name;
    this.id = this.service.id;
    this.region = props.region;
  }

  /** Lets `grantee` call the service (on this service only). */
  grantInvoke(grantee: IGrantable): CloudRunV2ServiceIamMember {
    assertNamedPrincipal(this.node.path, grantee);
    return this.invokerBinding(grantId('invoke', grantee), grantee.member);
  }

  private invokerBinding(id: string, member: string): CloudRunV2ServiceIamMember {
    return onceGrant(this, id, () =>
      new CloudRunV2ServiceIamMember(this, id, {
        project: this.service.project,
        location: this.service.location,
        name: this.service.name,
        role: INVOKER_ROLE,
        member,
      }),
    );
  }
}
