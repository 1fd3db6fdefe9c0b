import ipaddr from 'ipaddr.js';

/**
 * True for an IPv4 range in canonical form (`10.10.0.0/24`: the address is the network address)
 * whose prefix is at most `maxPrefixLength` bits, i.e. the range is at least that large.
 */
export function isIpv4Cidr(value: string, opts: { maxPrefixLength?: number } = {}): boolean {
  if (!/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/.test(value) || !ipaddr.IPv4.isValidCIDR(value)) return false;
  const [address, prefix] = ipaddr.IPv4.parseCIDR(value);
  if (address.toString() !== ipaddr.IPv4.networkAddressFromCIDR(value).toString()) return false;
  return prefix <= (opts.maxPrefixLength ?? 32);
}

/** True when two canonical IPv4 CIDR ranges share at least one address. */
export function cidrsOverlap(a: string, b: string): boolean {
  const ra = ipaddr.IPv4.parseCIDR(a);
  const rb = ipaddr.IPv4.parseCIDR(b);
  // Two aligned ranges overlap exactly when one contains the other's network address.
  return ra[0].match(rb) || rb[0].match(ra);
}
