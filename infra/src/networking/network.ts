import { Construct } from 'constructs';
import type { ITerraformDependable } from 'cdktf';
import { ComputeFirewall } from '@cdktf/provider-google/lib/compute-firewall';
import { ComputeGlobalAddress } from '@cdktf/provider-google/lib/compute-global-address';
import { ComputeNetwork } from '@cdktf/provider-google/lib/compute-network';
import { ComputeRouter } from '@cdktf/provider-google/lib/compute-router';
import { ComputeRouterNat } from '@cdktf/provider-google/lib/compute-router-nat';
import { ComputeSubnetwork } from '@cdktf/provider-google/lib/compute-subnetwork';
import { ServiceNetworkingConnection } from '@cdktf/provider-google/lib/service-networking-connection';
import { PROJECT_ID, REGION, matches } from '@orchestra/runtime/contract';
import { isIpv4Cidr } from './cidr';
import { PropsValidator } from '../props-validator';
import { isResourceName, prefixed } from '../naming';

/**
 * The network's default ranges and the smallest each may be. Cloud Run's Direct VPC egress takes
 * its addresses from the subnet, 16 at a time, and Google's "Direct VPC egress with a VPC network"
 * page requires the subnet's IPv4 range to be /26 or larger; the private services access range is
 * kept at /24 or larger, room for several Google-managed services (Memorystore and others).
 */
export const NETWORK_RANGES = Object.freeze({
  subnet: Object.freeze({ default: '10.10.0.0/24', maxPrefixLength: 26 }),
  privateServices: Object.freeze({ default: '10.20.0.0/16', maxPrefixLength: 24 }),
});

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
   * Create a Cloud Router and Cloud NAT. They carry only traffic that enters the VPC: a Cloud Run
   * service's outbound calls use it only with `vpcEgress: 'all-traffic'` (with
   * 'private-ranges-only', public destinations leave through Cloud Run's own internet path and
   * NAT sees nothing: "Direct VPC egress", https://cloud.google.com/run/docs/configuring/vpc-direct-vpc).
   * NAT's auto-allocated addresses are not fixed; an allowlist needs reserved ones.
   * @default false
   */
  readonly natEnabled?: boolean;
  /**
   * What `terraform destroy` does with the private services access peering. Google refuses to
   * delete it while a producer (Memorystore) still holds addresses in it, which a destroy that
   * just deleted the instance often hits ("Producer services … are still using this
   * connection"); `ABANDON` drops it from state, and deleting the VPC removes it.
   * @default 'ABANDON'
   */
  readonly privateServicesDeletionPolicy?: 'ABANDON' | 'DELETE';
  /**
   * Log NAT errors (translations that failed) to Cloud Logging.
   * @default true
   */
  readonly natErrorLogging?: boolean;
}

/** A VPC with one regional subnet: one this kit created (`Network`), or one that exists already (`Network.fromAttributes`). */
export interface INetwork {
  /** `projects/…/global/networks/…`, for resources that attach to the VPC. */
  readonly networkId: string;
  readonly networkName: string;
  /** Self link of the VPC. */
  readonly networkSelfLink: string;
  /** `projects/…/regions/…/subnetworks/…`. */
  readonly subnetId: string;
  readonly subnetName: string;
  readonly region: string;
  /**
   * The private services access peering, when this stack makes it: resources placed by private
   * services access (Memorystore) wait for it. Absent for an imported network, which must be
   * peered already.
   */
  readonly privateServicesConnection?: ITerraformDependable;
}

/** A VPC and subnet that exist already, by name. */
export interface NetworkAttributes {
  readonly project: string;
  readonly networkName: string;
  /** A subnet of the network in `region` (Direct VPC egress and PSC addresses are placed in it). */
  readonly subnetName: string;
  readonly region: string;
}

/**
 * A custom-mode VPC for the platform: one regional subnet with Private Google Access, a private
 * services access range peered with Google's service producer network, Cloud NAT for egress, and
 * an explicit deny-all ingress rule (logged) at the lowest priority so that every allowed flow is
 * a rule someone wrote.
 */
export class Network extends Construct implements INetwork {
  /**
   * A VPC made elsewhere (a shared VPC's host project, another team's stack), for the kit's
   * constructs to attach to. Its identifiers are built from the names in the formats the
   * Compute API uses; nothing is looked up at plan time, and nothing in it is changed.
   */
  static fromAttributes(scope: Construct, id: string, attributes: NetworkAttributes): INetwork {
    return new ImportedNetwork(scope, id, attributes);
  }

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
    const ranges = NETWORK_RANGES;
    const subnetCidr = props.subnetCidr ?? ranges.subnet.default;
    const privateServicesCidr = props.privateServicesCidr ?? ranges.privateServices.default;
    const name = (n: string) => prefixed(props.prefix, n);

    new PropsValidator(this.node.path)
      .check('prefix', props.prefix, props.prefix === undefined || isResourceName(props.prefix, 40), 'must be a lowercase resource name of at most 40 characters')
      .check('subnetCidr', subnetCidr, isIpv4Cidr(subnetCidr, ranges.subnet), `"${subnetCidr}" must be an IPv4 CIDR of /${ranges.subnet.maxPrefixLength} or larger`)
      .check('privateServicesCidr', privateServicesCidr, isIpv4Cidr(privateServicesCidr, ranges.privateServices), `"${privateServicesCidr}" must be an IPv4 CIDR of /${ranges.privateServices.maxPrefixLength} or larger`)
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
      // The provider's DELETE is its default, which only an empty field expresses.
      deletionPolicy: (props.privateServicesDeletionPolicy ?? 'ABANDON') === 'ABANDON' ? 'ABANDON' : undefined,
    });

    if (props.natEnabled ?? false) {
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

/** A VPC this stack does not manage; see `Network.fromAttributes`. */
class ImportedNetwork extends Construct implements INetwork {
  readonly networkId: string;
  readonly networkName: string;
  readonly networkSelfLink: string;
  readonly subnetId: string;
  readonly subnetName: string;
  readonly region: string;

  constructor(scope: Construct, id: string, a: NetworkAttributes) {
    super(scope, id);
    new PropsValidator(this.node.path)
      .check('project', a.project, matches(PROJECT_ID, a.project), `"${a.project}" must be ${PROJECT_ID.expected}`)
      .check('networkName', a.networkName, isResourceName(a.networkName), `"${a.networkName}" must be a lowercase resource name`)
      .check('subnetName', a.subnetName, isResourceName(a.subnetName), `"${a.subnetName}" must be a lowercase resource name`)
      .check('region', a.region, matches(REGION, a.region), `"${a.region}" must be ${REGION.expected}`)
      .throwIfInvalid();
    this.networkId = `projects/${a.project}/global/networks/${a.networkName}`;
    this.networkName = a.networkName;
    this.networkSelfLink = `https://www.googleapis.com/compute/v1/${this.networkId}`;
    this.subnetId = `projects/${a.project}/regions/${a.region}/subnetworks/${a.subnetName}`;
    this.subnetName = a.subnetName;
    this.region = a.region;
  }
}
