// Where NodePorts answer (kube-proxy's --nodeport-addresses), as the
// nftables and iptables backends both resolve it: `primary` is the node's IP
// of the family; CIDRs select the node's addresses in them (loopback only
// where the caller allows it: iptables mode's localhost NodePorts), and a
// family with no CIDR, or a /0, means every local address.
import type { IpFamily } from '../../addr.js';
import type { NetnsOption } from '../../handle.js';
import { Rtnl } from '../../rtnl.js';
import { cidrContains } from '../model/cidr.js';
import type { NodeInfo } from '../model/types.js';
import type { BackendOptions } from './backend.js';

/** Where NodePorts listen: every local address, or these. */
export type NodePortMatch = { readonly all: true } | { readonly all: false; readonly addresses: readonly string[] };

const LOOPBACK = { 4: '127.0.0.0/8', 6: '::1/128' } as const;

/**
 * The NodePort addresses of one family; `local` lists the node's addresses
 * of it (read only for CIDRs); loopback addresses in the CIDRs count only
 * with `loopback`.
 */
export async function nodePortMatch(o: BackendOptions['nodePortAddresses'], family: IpFamily, node: NodeInfo,
  local: (family: IpFamily) => Promise<string[]>, loopback = false): Promise<NodePortMatch> {
  if ('primary' in o) {
    const ip = node.primaryIPs[family];
    return { all: false, addresses: ip !== undefined ? [ip] : [] };
  }
  const cidrs = o.cidrs.filter((c) => (c.includes(':') ? 6 : 4) === family);
  if (cidrs.length === 0 || cidrs.some((c) => c.endsWith('/0'))) return { all: true };
  const mine = await local(family);
  return { all: false, addresses: mine.filter((a) => (loopback || !cidrContains(LOOPBACK[family], a)) && cidrs.some((c) => cidrContains(c, a))) };
}

/**
 * Whether NodePorts of `o` may answer on an IPv4 loopback address: every
 * local address, or a CIDR that holds 127.0.0.1 (kube-proxy's
 * ContainsIPv4Loopback).
 */
export function nodePortsOnLoopback4(o: BackendOptions['nodePortAddresses']): boolean {
  if ('primary' in o) return false;
  const cidrs = o.cidrs.filter((c) => !c.includes(':'));
  return cidrs.length === 0 || cidrs.some((c) => cidrContains(c, '127.0.0.1'));
}

/** The addresses of a family on the links of a namespace (rtnetlink). Equivalent to: `ip -N NETNS -4 addr show`. */
export async function localAddresses(netns: NetnsOption | undefined, family: IpFamily): Promise<string[]> {
  const rtnl = await Rtnl.open(netns !== undefined ? { netns } : {});
  try {
    return (await rtnl.listAddresses({ family })).map((a) => a.address);
  } finally {
    await rtnl.close();
  }
}
