// nat: `dnat to 10.0.1.5:8080`, `snat ip to 192.168.0.1`, with the address and
// port taken from registers loaded before it, and NF_NAT_RANGE_* flags
// (persistent, random, fully-random).
import { explicit, fromPrefix } from '../enums.js';
import * as U from '../uapi.js';
import { register } from './spec.js';

export const NAT_TYPES = fromPrefix<'snat' | 'dnat'>('nat type', 'NFT_NAT_');
/** The address family of the NAT addresses (NFPROTO_IPV4 / NFPROTO_IPV6). */
export const NAT_FAMILIES = explicit<'ip' | 'ip6'>('nat family', [['ip', 2], ['ip6', 10]]);

export interface NatExpr {
  type: 'nat';
  nat: 'snat' | 'dnat';
  family: 'ip' | 'ip6';
  regAddrMin?: number;
  regAddrMax?: number;
  regProtoMin?: number;
  regProtoMax?: number;
  /** NF_NAT_RANGE_* bits: 1 map-ips, 2 proto-specified, 4 random, 8 persistent, 16 fully-random. */
  flags?: number;
}

export const nat = register({
  name: 'nat',
  fields: [
    { key: 'nat', attr: U.NFTA_NAT_TYPE, kind: 'be32', enum: NAT_TYPES },
    { key: 'family', attr: U.NFTA_NAT_FAMILY, kind: 'be32', enum: NAT_FAMILIES },
    { key: 'regAddrMin', attr: U.NFTA_NAT_REG_ADDR_MIN, kind: 'reg' },
    { key: 'regAddrMax', attr: U.NFTA_NAT_REG_ADDR_MAX, kind: 'reg' },
    { key: 'regProtoMin', attr: U.NFTA_NAT_REG_PROTO_MIN, kind: 'reg' },
    { key: 'regProtoMax', attr: U.NFTA_NAT_REG_PROTO_MAX, kind: 'reg' },
    { key: 'flags', attr: U.NFTA_NAT_FLAGS, kind: 'be32' },
  ],
});
