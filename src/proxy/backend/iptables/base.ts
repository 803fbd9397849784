// The fixed part of each table (pure): the jumps from the built-in chains,
// masquerading, forwarding, and the shared chains every service port puts
// its rules in. The hooks are kube-proxy's: service dispatch in nat
// PREROUTING and OUTPUT, masquerade in nat POSTROUTING, the rejects and
// drops in filter INPUT, FORWARD and OUTPUT for new connections.
import type { IptablesMatch as Match, IptablesRule as Rule } from '../../../iptables/index.js';
import type { DetectLocal } from '../backend.js';
import type { NodePortMatch } from '../node-ports.js';
import { CHAIN } from './names.js';
import { comment, jump, merge, type LocalTraffic, type ServiceRules } from './plan.js';


/** What a table of ours should hold: rules first in built-in chains, and our chains. */
export interface DesiredTable {
  /** Our rules at the head of each built-in chain (every other rule of it kept). */
  readonly jumps: ReadonlyMap<string, readonly Rule[]>;
  /** Our chains to write (others of ours are kept or dropped, see writeTable). */
  readonly chains: ReadonlyMap<string, readonly Rule[]>;
}

const LOOPBACK = { 4: '127.0.0.0/8', 6: '::1' } as const;

/**
 * The destinations NodePorts answer on: every local address (but loopback,
 * unless IPv4 `localhost` NodePorts are on; IPv6 never), or the listed ones.
 */
export function nodePortDestinations(family: 4 | 6, m: NodePortMatch, localhost = false): Rule[] {
  const local: Match = { name: 'addrtype', destinationType: ['LOCAL'] };
  if (m.all && family === 4 && localhost) return [{ matches: [local] }];
  if (m.all) return [{ destination: LOOPBACK[family], invert: { destination: true }, matches: [local] }];
  return m.addresses.map((destination) => ({ destination }));
}

/** --detect-local-mode as rule parts of one family (undefined: every source is outside). kube-proxy takes one CIDR per family; so do we (the first). */
export function localTraffic(family: 4 | 6, detect: DetectLocal): LocalTraffic | undefined {
  switch (detect.mode) {
    case 'ClusterCIDR':
    case 'NodeCIDR': {
      const cidr = detect.cidrs.find((c) => (c.includes(':') ? 6 : 4) === family);
      return cidr === undefined ? undefined : { isLocal: [{ source: cidr }], notLocal: { source: cidr, invert: { source: true } } };
    }
    case 'BridgeInterface':
      return { isLocal: [{ inInterface: detect.interface }], notLocal: { inInterface: detect.interface, invert: { inInterface: true } } };
    case 'InterfaceNamePrefix':
      return { isLocal: [{ inInterface: `${detect.prefix}+` }], notLocal: { inInterface: `${detect.prefix}+`, invert: { inInterface: true } } };
    default:
      return undefined;
  }
}

const fresh: Match = { name: 'conntrack', ctstate: ['NEW'] };
const to = (chain: string, text: string, ...m: Match[]): Rule => ({ matches: [...m, comment(text)], target: jump(chain) });

/** The nat table: dispatch from PREROUTING and OUTPUT, masquerade in POSTROUTING, and every service port's chains. */
export function natTable(services: Iterable<ServiceRules>, o: { mark: number; nodePorts: readonly Rule[]; only?: ReadonlySet<string> }): DesiredTable {
  const dispatch: Rule[] = [];
  const nodePorts: Rule[] = [];
  const chains = new Map<string, readonly Rule[]>();
  for (const s of services) {
    dispatch.push(...s.nat.services);
    nodePorts.push(...s.nat.nodePorts);
    if (o.only === undefined || o.only.has(s.key)) for (const [name, rules] of s.chains) chains.set(name, rules);
  }
  // Last: whatever is addressed to a NodePort of the node.
  for (const d of o.nodePorts) dispatch.push(merge(d, { matches: [comment('dataplane-proxy service nodeports; NOTE: this must be the last rule in this chain')], target: jump(CHAIN.nodePorts) }));
  chains.set(CHAIN.services, dispatch);
  chains.set(CHAIN.nodePorts, nodePorts);
  chains.set(CHAIN.markMasq, [{ target: { name: 'MARK', value: o.mark, mask: o.mark } }]);
  chains.set(CHAIN.postrouting, [
    { matches: [{ name: 'mark', mark: o.mark, mask: o.mark, invert: true }], target: { name: 'RETURN' } },
    { target: { name: 'MARK', value: o.mark, mask: 0 } },
    { matches: [comment('dataplane-proxy service traffic requiring SNAT')], target: { name: 'MASQUERADE', randomFully: true } },
  ]);
  const portals = to(CHAIN.services, 'dataplane-proxy service portals');
  return {
    jumps: new Map([['PREROUTING', [portals]], ['OUTPUT', [portals]], ['POSTROUTING', [to(CHAIN.postrouting, 'dataplane-proxy postrouting rules')]]]),
    chains,
  };
}

/**
 * The filter table: rejects and drops of what has no endpoint, the
 * load-balancer firewall, forwarding of service traffic, the accept of
 * health check NodePorts (kube-proxy's filter KUBE-NODEPORTS); with
 * `localnet` (IPv4 localhost NodePorts, route_localnet on) the drop of
 * traffic to 127.0.0.0/8 that did not come from it, as kube-proxy's
 * KUBE-FIREWALL.
 */
export function filterTable(services: Iterable<ServiceRules>, o: { mark: number; localnet?: boolean }): DesiredTable {
  const rejects: Rule[] = [];
  const external: Rule[] = [];
  const firewall: Rule[] = [];
  const healthChecks: Rule[] = [];
  for (const s of services) {
    rejects.push(...s.filter.services);
    external.push(...s.filter.external);
    firewall.push(...s.filter.firewall);
    healthChecks.push(...s.filter.nodePorts);
  }
  const fw = to(CHAIN.firewall, 'dataplane-proxy load balancer firewall', fresh);
  const svc = to(CHAIN.services, 'dataplane-proxy service portals', fresh);
  const ext = to(CHAIN.externalServices, 'dataplane-proxy externally-visible service portals', fresh);
  const localnet = o.localnet === true ? [to(CHAIN.localnet, 'dataplane-proxy localnet firewall')] : [];
  const chains = new Map<string, readonly Rule[]>();
  if (o.localnet === true) {
    // route_localnet lets DNATed loopback traffic leave; packets to 127.0.0.0/8 from elsewhere are martians to drop.
    chains.set(CHAIN.localnet, [{
      destination: LOOPBACK[4], source: LOOPBACK[4], invert: { source: true },
      matches: [comment('block incoming localnet connections'), { name: 'conntrack', ctstate: ['RELATED', 'ESTABLISHED', 'DNAT'], invert: { ctstate: true } }],
      target: { name: 'DROP' },
    }]);
  }
  return {
    jumps: new Map([
      ['INPUT', [...localnet, to(CHAIN.nodePorts, 'dataplane-proxy health check service ports'), fw, ext]],
      ['FORWARD', [fw, to(CHAIN.forward, 'dataplane-proxy forwarding rules'), svc, ext]],
      ['OUTPUT', [...localnet, fw, svc]],
    ]),
    chains: new Map<string, readonly Rule[]>([
      ...chains,
      [CHAIN.nodePorts, healthChecks],
      [CHAIN.services, rejects],
      [CHAIN.externalServices, external],
      [CHAIN.firewall, firewall],
      [CHAIN.forward, [
        { matches: [comment('dataplane-proxy forwarding rules'), { name: 'mark', mark: o.mark, mask: o.mark }], target: { name: 'ACCEPT' } },
        { matches: [comment('dataplane-proxy forwarding conntrack rule'), { name: 'conntrack', ctstate: ['RELATED', 'ESTABLISHED'] }], target: { name: 'ACCEPT' } },
      ]],
    ]),
  };
}
