// What differs between the IPv4 and the IPv6 half of the ruleset: the nft
// table family, the header fields, the address type, loopback, and the
// ICMP code nft's plain `reject` sends.
import type { IpFamily } from '../../../addr.js';
import type { Family, nft } from '../../../nft/index.js';

/** A packet field by nft's name (`ip saddr`), as the builders take it. */
export type FieldName = Parameters<typeof nft.match>[0];

/** One IP family's names, as the rules and sets of that family's tables use them. */
export interface FamilyNames {
  readonly family: IpFamily;
  /** The nf_tables family of the tables: `ip` or `ip6`. */
  readonly table: Extract<Family, 'ip' | 'ip6'>;
  readonly saddr: Extract<FieldName, 'ip saddr' | 'ip6 saddr'>;
  readonly daddr: Extract<FieldName, 'ip daddr' | 'ip6 daddr'>;
  /** nft's address type: `ipv4_addr` / `ipv6_addr`. */
  readonly addr: 'ipv4_addr' | 'ipv6_addr';
  /** What NodePorts never listen on when they listen on every local address (kube-proxy's noLocalhost). */
  readonly loopback: string;
  /** The prefix that means every address (`--nodeport-addresses 0.0.0.0/0`). */
  readonly everything: string;
  /** The ICMP(v6) port-unreachable code nft's `reject` sends in this family. */
  readonly portUnreachable: number;
}

const V4: FamilyNames = {
  family: 4, table: 'ip', saddr: 'ip saddr', daddr: 'ip daddr', addr: 'ipv4_addr',
  loopback: '127.0.0.0/8', everything: '0.0.0.0/0', portUnreachable: 3,
};
const V6: FamilyNames = {
  family: 6, table: 'ip6', saddr: 'ip6 saddr', daddr: 'ip6 daddr', addr: 'ipv6_addr',
  loopback: '::1', everything: '::/0', portUnreachable: 4,
};

/** The names of one IP family. */
export function familyNames(family: IpFamily): FamilyNames {
  return family === 4 ? V4 : V6;
}

/** The IP family of an nf_tables table family, for the two this backend writes. */
export function ipFamilyOf(table: Family): IpFamily | undefined {
  return table === 'ip' ? 4 : table === 'ip6' ? 6 : undefined;
}
