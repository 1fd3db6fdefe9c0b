import { Construct } from 'constructs';
import { ComputeBackendService } from '@cdktf/provider-google/lib/compute-backend-service';
import { ComputeGlobalAddress } from '@cdktf/provider-google/lib/compute-global-address';
import { ComputeGlobalForwardingRule } from '@cdktf/provider-google/lib/compute-global-forwarding-rule';
import { ComputeManagedSslCertificate } from '@cdktf/provider-google/lib/compute-managed-ssl-certificate';
import { ComputeRegionNetworkEndpointGroup } from '@cdktf/provider-google/lib/compute-region-network-endpoint-group';
import { ComputeSslPolicy } from '@cdktf/provider-google/lib/compute-ssl-policy';
import { ComputeTargetHttpsProxy } from '@cdktf/provider-google/lib/compute-target-https-proxy';
import { ComputeUrlMap } from '@cdktf/provider-google/lib/compute-url-map';
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
}

/**
 * A global external Application Load Balancer in front of a Cloud Run service: HTTPS only, a
 * Google-managed certificate, TLS 1.2 or newer, request logging. With the service's ingress set
 * to internal-and-load-balancer this is the only way in from the internet.
 */
export class HttpsLoadBalancer extends Construct {
  /** The anycast address clients connect to. */
  public readonly ipAddress: string;

  constructor(scope: Construct, id: string, props: HttpsLoadBalancerProps) {
    super(scope, id);
    const name = (n: string) => prefixed(props.prefix, n);
    const v = new PropsValidator(this.node.path)
      .check('prefix', props.prefix, props.prefix === undefined || isResourceName(props.prefix, 40), 'must be a lowercase resource name of at most 40 characters')
      .check('domains', props.domains.length, props.domains.length > 0, 'give at least one domain for the certificate');
    for (const domain of props.domains) {
      v.check('domains', domain, isDomainName(domain), `"${domain}" is not a fully qualified lowercase domain name`);
    }
    v.throwIfInvalid();

    const neg = new ComputeRegionNetworkEndpointGroup(this, 'serverless-neg', {
      name: name('runtime-neg'),
      region: props.region,
      networkEndpointType: 'SERVERLESS',
      cloudRun: { service: props.serviceName },
    });
    const backend = new ComputeBackendService(this, 'backend', {
      name: name('runtime-backend'),
      loadBalancingScheme: 'EXTERNAL_MANAGED',
      protocol: 'HTTPS',
      backend: [{ group: neg.id }],
      logConfig: { enable: true, sampleRate: 1 },
    });
    const urlMap = new ComputeUrlMap(this, 'url-map', { name: name('runtime-url-map'), defaultService: backend.id });
    const certificate = new ComputeManagedSslCertificate(this, 'certificate', {
      name: name('runtime-certificate'),
      managed: { domains: [...props.domains] },
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
  }
}
