import { ComputeFirewall } from '@cdktf/provider-google/lib/compute-firewall';
import { ComputeGlobalAddress } from '@cdktf/provider-google/lib/compute-global-address';
import { ComputeNetwork } from '@cdktf/provider-google/lib/compute-network';
import { ComputeRouterNat } from '@cdktf/provider-google/lib/compute-router-nat';
import { ComputeSubnetwork } from '@cdktf/provider-google/lib/compute-subnetwork';
import { ServiceNetworkingConnection } from '@cdktf/provider-google/lib/service-networking-connection';
import { type INetwork, Network } from '../../infra/src/networking/network';
import { cidrsOverlap, isIpv4Cidr } from '../../infra/src/networking/cidr';
import { onlyResource, resourcesOf, synth } from '../helpers/synth';

describe('Network', () => {
  const { text, json } = synth((s) => new Network(s, 'net', { region: 'europe-west1', prefix: 'acme' }));

  it('is a custom-mode VPC with a regional subnet that has Private Google Access', () => {
    expect(text).toHaveResourceWithProperties(ComputeNetwork, { name: 'acme-vpc', auto_create_subnetworks: false });
    expect(text).toHaveResourceWithProperties(ComputeSubnetwork, {
      name: 'acme-subnet',
      region: 'europe-west1',
      ip_cidr_range: '10.10.0.0/24',
      private_ip_google_access: true,
    });
  });

  it('reserves a private services range and peers it with service networking', () => {
    expect(text).toHaveResourceWithProperties(ComputeGlobalAddress, {
      purpose: 'VPC_PEERING',
      address_type: 'INTERNAL',
      address: '10.20.0.0',
      prefix_length: 16,
    });
    expect(text).toHaveResourceWithProperties(ServiceNetworkingConnection, { service: 'servicenetworking.googleapis.com' });
  });

  it('has no Cloud NAT unless asked (Cloud Run sends it nothing with private-ranges-only egress), and lets a destroy abandon the peering', () => {
    expect(resourcesOf(json, 'google_compute_router_nat')).toHaveLength(0);
    expect(onlyResource(json, 'google_service_networking_connection').deletion_policy).toBe('ABANDON');
    const withNat = synth((s) => new Network(s, 'net', { region: 'europe-west1', natEnabled: true, privateServicesDeletionPolicy: 'DELETE' }));
    expect(withNat.text).toHaveResourceWithProperties(ComputeRouterNat, { nat_ip_allocate_option: 'AUTO_ONLY', region: 'europe-west1' });
    expect(onlyResource(withNat.json, 'google_service_networking_connection').deletion_policy).toBeUndefined();
  });

  it('denies all ingress at the lowest priority, logged', () => {
    const [rule] = resourcesOf(json, 'google_compute_firewall');
    expect(rule).toMatchObject({ direction: 'INGRESS', priority: 65534, source_ranges: ['0.0.0.0/0'], deny: [{ protocol: 'all' }] });
    expect(rule.log_config).toBeDefined();
    expect(resourcesOf(json, 'google_compute_firewall').filter((r) => r.allow)).toHaveLength(0);
    expect(text).toHaveResource(ComputeFirewall);
  });

  it('takes custom ranges', () => {
    const out = synth((s) =>
      new Network(s, 'net', { region: 'us-east1', subnetCidr: '172.16.0.0/22', privateServicesCidr: '192.168.0.0/20' }),
    );
    expect(out.text).toHaveResourceWithProperties(ComputeSubnetwork, { ip_cidr_range: '172.16.0.0/22', name: 'subnet' });
    expect(out.text).toHaveResourceWithProperties(ComputeGlobalAddress, { address: '192.168.0.0', prefix_length: 20 });
    expect(resourcesOf(out.json, 'google_compute_router_nat')).toHaveLength(0);
    expect(resourcesOf(out.json, 'google_compute_router')).toHaveLength(0);
  });

  it('rejects a subnet too small for Direct VPC egress and a malformed range, naming both', () => {
    expect(() =>
      synth((s) => new Network(s, 'net', { region: 'us-east1', subnetCidr: '10.0.0.0/28', privateServicesCidr: '10.20.0.1/16' })),
    ).toThrow(/subnetCidr: "10\.0\.0\.0\/28" must be an IPv4 CIDR of \/26 or larger[\s\S]*privateServicesCidr: "10\.20\.0\.1\/16"/);
  });
});

describe('Network.fromAttributes', () => {
  it('names an existing VPC and subnet the way the Compute API does, creating nothing', () => {
    let network: INetwork | undefined;
    const { json } = synth((s) => {
      network = Network.fromAttributes(s, 'shared', { project: 'acme-host', networkName: 'shared-vpc', subnetName: 'apps-euw4', region: 'europe-west4' });
    });
    expect(json.resource ?? {}).toEqual({});
    expect(network).toMatchObject({
      networkId: 'projects/acme-host/global/networks/shared-vpc',
      networkSelfLink: 'https://www.googleapis.com/compute/v1/projects/acme-host/global/networks/shared-vpc',
      subnetId: 'projects/acme-host/regions/europe-west4/subnetworks/apps-euw4',
      region: 'europe-west4',
    });
    expect(network?.privateServicesConnection).toBeUndefined();
  });

  it('refuses names that cannot be a project, network, subnet or region, all at once', () => {
    expect(() => synth((s) => Network.fromAttributes(s, 'x', { project: 'Acme', networkName: 'Shared VPC', subnetName: '-', region: 'mars' }))).toThrow(
      /project: [\s\S]*networkName: [\s\S]*subnetName: [\s\S]*region: "mars" must be a Google Cloud region/,
    );
  });
});

describe('CIDR helpers', () => {
  it.each([
    ['10.0.0.0/8', true],
    ['10.10.0.0/24', true],
    ['10.10.0.1/24', false],
    ['10.10.0.0/33', false],
    ['300.1.1.0/24', false],
    ['10.10.0.0', false],
    ['fd00::/8', false],
  ])('isIpv4Cidr(%s) is %s', (cidr, ok) => expect(isIpv4Cidr(cidr)).toBe(ok));

  it('enforces a largest prefix length', () => {
    expect(isIpv4Cidr('10.0.0.0/26', { maxPrefixLength: 26 })).toBe(true);
    expect(isIpv4Cidr('10.0.0.0/27', { maxPrefixLength: 26 })).toBe(false);
  });

  it.each([
    ['10.0.0.0/8', '10.20.0.0/16', true],
    ['10.20.0.0/16', '10.0.0.0/8', true],
    ['10.10.0.0/24', '10.20.0.0/16', false],
    ['10.10.0.0/24', '10.10.0.128/25', true],
  ])('cidrsOverlap(%s, %s) is %s', (a, b, overlap) => expect(cidrsOverlap(a, b)).toBe(overlap));
});
