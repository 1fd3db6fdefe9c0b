import { Construct } from 'constructs';
import { ComputeFirewall } from '@cdktf/provider-google/lib/compute-firewall';
import { ComputeGlobalAddress } from '@cdktf/provider-google/lib/compute-global-address';
import { ComputeNetwork } from '@cdktf/provider-google/lib/compute-network';
import { ComputeRouter } from '@cdktf/provider-google/lib/compute-router';
import { ComputeRouterNat } from '@cdktf/provider-google/lib/compute-router-nat';
import { ComputeSubnetwork } from '@cdktf/provider-google/lib/compute-subnetwork';
import { ServiceNetworkingConnection } from '@cdktf/provider-google/lib/service-networking-connection';
import { isIpv4Cidr } from './cidr';
import { PropsValidator } from '../props-validator';
import { isResourceName, prefixed } from '../naming';

export interface NetworkProps {
  /** Region of the subnet, router and NAT. */
  readonly region: string;
  /**
   * Prefix of every resource name (`<prefix>-vpc`, `<prefix>-subnet`, …).
   * @default - no prefix: names are `vpc`, `subnet`, …
   */
  readonly prefix?: string;
  /**
   * Primary range of the regional subnet. Cloud Run Direct VPC egress takes its addresses from
   * here, so keep it at /26 or larger.
   * @default "10.10.0.0/24"
   */
  readonly subnetCidr?: string;
  /**
   * Range reserved for private services access (Memorystore, and other Google-managed services
   * peered into the VPC). Must not overlap the subnet.
   * @default "10.20.0.0/16"
   */
  readonly privateServicesCidr?: string;
  /**
   * Create a Cloud Router and Cloud NAT so that workloads without external addresses reach
   * outside APIs (LLM providers).
   * @default true
   */
  readonly natEnabled?: boolean;
  /**
   * Log NAT errors (translations that failed) to Cloud Logging.
   * @default true
   */
  readonly natErrorLogging?: boolean;
}

/**
 * A custom-mode VPC for the platform: one regional subnet with Private Google Access, a private
 * services access range peered with Google's service producer network, Cloud NAT for egress, and
 * an explicit deny-all ingress rule (logged) at the lowest priority so that every allowed flow is
 * a rule someone wrote.
 */
export class Network extends Construct {
  /** `projects/…/global/networks/…`, for resources that attach to the VPC. */
  public readonly networkId: string;
  public readonly networkName: string;
  /** Self link of the VPC, for resources that want one (Memorystore `authorized_network`). */
  public readonly networkSelfLink: string;
  public readonly subnetId: string;
  public readonly subnetName: string;
  public readonly region: string;
  /**
   * The private services access peering. Resources placed by private services access
   * (Memorystore) must depend on it.
   */
  public readonly privateServicesConnection: ServiceNetworkingConnection;

  constructor(scope: Construct, id: string, props: NetworkProps) {
    super(scope, id);
    const subnetCidr = props.subnetCidr ?? '10.10.0.0/24';
    const privateServicesCidr = props.privateServicesCidr ?? '10.20.0.0/16';
    const name = (n: string) => prefixed(props.prefix, n);

    new PropsValidator(this.node.path)
      .check(props.prefix, props.prefix === undefined || isResourceName(props.prefix, 40), 'prefix: must be a lowercase resource name of at most 40 characters')
      .check(subnetCidr, isIpv4Cidr(subnetCidr, { maxPrefixLength: 26 }), `subnetCidr: "${subnetCidr}" must be an IPv4 CIDR of /26 or larger`)
      .check(privateServicesCidr, isIpv4Cidr(privateServicesCidr, { maxPrefixLength: 24 }), `privateServicesCidr: "${privateServicesCidr}" must be an IPv4 CIDR of /24 or larger`)
      .throwIfInvalid();

    const vpc = new ComputeNetwork(this, 'vpc', {
      name: name('vpc'),
      autoCreateSubnetworks: false,
      routingMode: 'REGIONAL',
      // The default 0.0.0.0/0 route to the internet gateway is what Cloud NAT uses.
      deleteDefaultRoutesOnCreate: false,
    });

    const subnet = new ComputeSubnetwork(this, 'subnet', {
      name: name('subnet'),
      network: vpc.id,
      region: props.region,
      ipCidrRange: subnetCidr,
      privateIpGoogleAccess: true,
      logConfig: { aggregationInterval: 'INTERVAL_5_SEC', flowSampling: 0.5, metadata: 'INCLUDE_ALL_METADATA' },
    });

    const [psaAddress, psaPrefix] = privateServicesCidr.split('/');
    const psaRange = new ComputeGlobalAddress(this, 'private-services-range', {
      name: name('private-services'),
      network: vpc.id,
      purpose: 'VPC_PEERING',
      addressType: 'INTERNAL',
      address: psaAddress,
      prefixLength: Number(psaPrefix),
    });
    this.privateServicesConnection = new ServiceNetworkingConnection(this, 'private-services-connection', {
      network: vpc.id,
      service: 'servicenetworking.googleapis.com',
      reservedPeeringRanges: [psaRange.name],
    });

    if (props.natEnabled ?? true) {
      const router = new ComputeRouter(this, 'router', {
        name: name('router'),
        network: vpc.id,
        region: props.region,
      });
      new ComputeRouterNat(this, 'nat', {
        name: name('nat'),
        router: router.name,
        region: props.region,
        natIpAllocateOption: 'AUTO_ONLY',
        sourceSubnetworkIpRangesToNat: 'LIST_OF_SUBNETWORKS',
        subnetwork: [{ name: subnet.id, sourceIpRangesToNat: ['ALL_IP_RANGES'] }],
        logConfig: { enable: props.natErrorLogging ?? true, filter: 'ERRORS_ONLY' },
      });
    }

    new ComputeFirewall(this, 'deny-all-ingress', {
      name: name('deny-all-ingress'),
      network: vpc.id,
      direction: 'INGRESS',
      priority: 65534,
      sourceRanges: ['0.0.0.0/0'],
      deny: [{ protocol: 'all' }],
      logConfig: { metadata: 'INCLUDE_ALL_METADATA' },
      description: 'Ingress is denied unless a higher-priority rule allows it.',
    });

    this.networkId = vpc.id;
    this.networkName = vpc.name;
    this.networkSelfLink = vpc.selfLink;
    this.subnetId = subnet.id;
    this.subnetName = subnet.name;
    this.region = props.region;
  }
}
