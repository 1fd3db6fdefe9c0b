import { Construct } from 'constructs';
import { ComputeBackendService } from '@cdktf/provider-google/lib/compute-backend-service';
import { ComputeGlobalAddress } from '@cdktf/provider-google/lib/compute-global-address';
import { ComputeGlobalForwardingRule } from '@cdktf/provider-google/lib/compute-global-forwarding-rule';
import { ComputeManagedSslCertificate } from '@cdktf/provider-google/lib/compute-managed-ssl-certificate';
import { ComputeRegionNetworkEndpointGroup } from '@cdktf/provider-google/lib/compute-region-network-endpoint-group';
import { ComputeSecurityPolicy } from '@cdktf/provider-google/lib/compute-security-policy';
import { ComputeSslPolicy } from '@cdktf/provider-google/lib/compute-ssl-policy';
import { ComputeTargetHttpsProxy } from '@cdktf/provider-google/lib/compute-target-https-proxy';
import { ComputeUrlMap } from '@cdktf/provider-google/lib/compute-url-map';
import { createHash } from 'node:crypto';
import { PropsValidator } from '../props-validator';
import { isDomainName, isResourceName, prefixed } from '../naming';

export interface HttpsLoadBalancerProps {
  /**
   * Prefix of every resource name.
   * @default - none
   */
  readonly prefix?: string;
  /** Region of the Cloud Run service. */
  readonly region: string;
  /** Name of the Cloud Run service to front. */
  readonly serviceName: string;
  /** Domains of the Google-managed certificate; point their DNS at `ipAddress`. */
  readonly domains: readonly string[];
  /**
   * Requests per minute one client IP may send before Cloud Armor answers 429 (a throttle rule of
   * the backend's security policy).
   * @default 600
   */
  readonly requestsPerMinutePerIp?: number;
}

/** The backend's Cloud Armor rules, by priority (lower is evaluated first; Google's default rule is the last). */
const ARMOR_PRIORITY = { log4j: 900, throttle: 1000, default: 2147483647 } as const;

/**
 * A global external Application Load Balancer in front of a Cloud Run service: HTTPS only, a
 * Google-managed certificate, TLS 1.2 or newer, request logging. With the service's ingress set
 * to internal-and-load-balancer this is the only way in from the internet.
 *
 * The serverless NEG forwards requests without a Google identity token, so the service must run
 * with `invokerIamDisabled` (then Cloud Armor and the runtime's API keys are the gates) or put
 * IAP on this backend; with Cloud Run's IAM check on, every request is refused with 403.
 */
export class HttpsLoadBalancer extends Construct {
  /** The anycast address clients connect to. */
  public readonly ipAddress: string;
  /** The Cloud Armor policy on the backend. */
  public readonly securityPolicyName: string;

  constructor(scope: Construct, id: string, props: HttpsLoadBalancerProps) {
    super(scope, id);
    const name = (n: string) => prefixed(props.prefix, n);
    const v = new PropsValidator(this.node.path)
      .check('prefix', props.prefix, props.prefix === undefined || isResourceName(props.prefix, 40), 'must be a lowercase resource name of at most 40 characters')
      .check('domains', props.domains.length, props.domains.length > 0, 'give at least one domain for the certificate');
    for (const domain of props.domains) {
      v.check('domains', domain, isDomainName(domain), `"${domain}" is not a fully qualified lowercase domain name`);
    }
    v.check('requestsPerMinutePerIp', props.requestsPerMinutePerIp, props.requestsPerMinutePerIp === undefined || (Number.isInteger(props.requestsPerMinutePerIp) && props.requestsPerMinutePerIp >= 1), 'must be a whole number, at least 1');
    v.throwIfInvalid();

    const neg = new ComputeRegionNetworkEndpointGroup(this, 'serverless-neg', {
      name: name('runtime-neg'),
      region: props.region,
      networkEndpointType: 'SERVERLESS',
      cloudRun: { service: props.serviceName },
    });
    const perMinute = props.requestsPerMinutePerIp ?? 600;
    // The service behind runs without Cloud Run's IAM check (a serverless NEG sends no identity
    // token), so this is the edge's own gate before the runtime's API keys: a per-IP throttle,
    // and Google's preconfigured rule for the Log4j lookup attack (CKV_GCP_73).
    const armor = new ComputeSecurityPolicy(this, 'security-policy', {
      name: name('runtime-edge'),
      description: 'Orchestra runtime: per-IP throttle in front of the API keys',
      rule: [
        {
          priority: ARMOR_PRIORITY.log4j,
          action: 'deny(403)',
          description: 'Log4j JNDI lookups (preconfigured WAF rule cve-canary)',
          match: { expr: { expression: "evaluatePreconfiguredWaf('cve-canary')" } },
        },
        {
          priority: ARMOR_PRIORITY.throttle,
          action: 'throttle',
          description: `at most ${perMinute} requests per minute per client IP`,
          match: { versionedExpr: 'SRC_IPS_V1', config: { srcIpRanges: ['*'] } },
          rateLimitOptions: {
            conformAction: 'allow',
            exceedAction: 'deny(429)',
            enforceOnKey: 'IP',
            rateLimitThreshold: { count: perMinute, intervalSec: 60 },
          },
        },
        {
          priority: ARMOR_PRIORITY.default,
          action: 'allow',
          description: 'default rule',
          match: { versionedExpr: 'SRC_IPS_V1', config: { srcIpRanges: ['*'] } },
        },
      ],
    });
    const backend = new ComputeBackendService(this, 'backend', {
      name: name('runtime-backend'),
      loadBalancingScheme: 'EXTERNAL_MANAGED',
      protocol: 'HTTPS',
      backend: [{ group: neg.id }],
      securityPolicy: armor.id,
      logConfig: { enable: true, sampleRate: 1 },
    });
    const urlMap = new ComputeUrlMap(this, 'url-map', { name: name('runtime-url-map'), defaultService: backend.id });
    // A managed certificate cannot change its domains in place: a new set means a new
    // certificate. Its name carries a digest of the domains so the replacement can exist beside
    // the old one, and is created (and attached to the proxy) before the old one is deleted —
    // Google refuses to delete a certificate a proxy still uses.
    const digest = createHash('sha256').update([...props.domains].sort().join(',')).digest('hex').slice(0, 8);
    const certificate = new ComputeManagedSslCertificate(this, 'certificate', {
      name: name(`runtime-cert-${digest}`),
      managed: { domains: [...props.domains] },
      lifecycle: { createBeforeDestroy: true },
    });
    const sslPolicy = new ComputeSslPolicy(this, 'ssl-policy', {
      name: name('runtime-tls'),
      profile: 'MODERN',
      minTlsVersion: 'TLS_1_2',
    });
    const proxy = new ComputeTargetHttpsProxy(this, 'https-proxy', {
      name: name('runtime-https-proxy'),
      urlMap: urlMap.id,
      sslCertificates: [certificate.id],
      sslPolicy: sslPolicy.id,
    });
    const address = new ComputeGlobalAddress(this, 'address', { name: name('runtime-lb') });
    new ComputeGlobalForwardingRule(this, 'https', {
      name: name('runtime-https'),
      loadBalancingScheme: 'EXTERNAL_MANAGED',
      target: proxy.id,
      ipAddress: address.id,
      portRange: '443',
    });
    this.ipAddress = address.address;
    this.securityPolicyName = armor.name;
  }
}
