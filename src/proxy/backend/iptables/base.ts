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

/** The destinations NodePorts answer on: every local address but loopback, or the listed ones. */
export function nodePortDestinations(family: 4 | 6, m: NodePortMatch): Rule[] {
  if (m.all) return [{ destination: LOOPBACK[family], invert: { destination: true }, matches: [{ name: 'addrtype', destinationType: ['LOCAL'] }] }];
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

/** The filter table: rejects and drops of what has no endpoint, the load-balancer firewall, and forwarding of service traffic. */
export function filterTable(services: Iterable<ServiceRules>, o: { mark: number }): DesiredTable {
  const rejects: Rule[] = [];
  const external: Rule[] = [];
  const firewall: Rule[] = [];
  for (const s of services) {
    rejects.push(...s.filter.services);
    external.push(...s.filter.external);
    firewall.push(...s.filter.firewall);
  }
  const fw = to(CHAIN.firewall, 'dataplane-proxy load balancer firewall', fresh);
  const svc = to(CHAIN.services, 'dataplane-proxy service portals', fresh);
  const ext = to(CHAIN.externalServices, 'dataplane-proxy externally-visible service portals', fresh);
  return {
    jumps: new Map([
      ['INPUT', [fw, ext]],
      ['FORWARD', [fw, to(CHAIN.forward, 'dataplane-proxy forwarding rules'), svc, ext]],
      ['OUTPUT', [fw, svc]],
    ]),
    chains: new Map<string, readonly Rule[]>([
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
