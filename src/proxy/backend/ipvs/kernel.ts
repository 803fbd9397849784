// The kernel handles IPVS mode works through, opened in the node's network
// namespace, and the few kernel steps that are not a diff: probing the
// scheduler, kube-ipvs0, address batches, conntrack cleanup.
import {
  Conntrack, Ipvs, isExists, isNotFound, Nftables, Rtnl,
  type Address, type AddressKey, type IpvsOperation, type IpvsOperationResult, type NetnsOption, type NftablesInterface,
} from '../../../index.js';
import type { PlannedDest } from './plan.js';

/** kube-proxy's dummy link holding every service address. */
export const DUMMY_DEVICE = 'kube-ipvs0';

/** The address handle calls the backend makes (Rtnl, or a stand-in in unit tests). */
export type AddressHandle = Pick<Rtnl, 'getLink' | 'addDummy' | 'setLinkUp' | 'deleteLink' | 'listAddresses' | 'addAddresses' | 'deleteAddresses' | 'close'>;
/** The IPVS calls the backend makes (Ipvs or FakeIpvs). */
export type IpvsHandle = Pick<Ipvs, 'list' | 'listServices' | 'listDests' | 'apply' | 'addService' | 'updateService' | 'deleteService' | 'setTimeouts' | 'close'>;
/** The conntrack calls the backend makes. */
export type ConntrackHandle = Pick<Conntrack, 'delete' | 'close'>;

/** The four kernel handles, one socket each, all in the node's namespace. */
export interface Handles {
  ipvs: IpvsHandle;
  rtnl: AddressHandle;
  nft: NftablesInterface;
  conntrack: ConntrackHandle;
}

/** Opens what `given` does not supply, in `netns`. */
export async function openHandles(netns: NetnsOption | undefined, given: Partial<Handles>): Promise<Handles> {
  const o = netns === undefined ? {} : { netns };
  const [ipvs, rtnl, nft, conntrack] = await Promise.all([
    given.ipvs ?? Ipvs.open(o), given.rtnl ?? Rtnl.open(o), given.nft ?? Nftables.open(o), given.conntrack ?? Conntrack.open(o),
  ]);
  return { ipvs, rtnl, nft, conntrack };
}

// kube-proxy's probe address (TEST-NET-2, RFC 5737): never a real service.
const PROBE = { protocol: 'tcp', address: '198.51.100.0', port: 20000 } as const;

/**
 * Checks that IPVS works and knows the scheduler, as kube-proxy does: fine
 * if a virtual server already uses it, else a probe virtual server is made
 * with it and deleted. Equivalent to: `ipvsadm -A -t 198.51.100.0:20000 -s SCHED && ipvsadm -D -t 198.51.100.0:20000`.
 */
export async function probeScheduler(ipvs: IpvsHandle, scheduler: string): Promise<void> {
  let services;
  try {
    services = await ipvs.listServices();
  } catch (e) {
    throw new Error(`IPVS is not available in the node's kernel (module ip_vs): ${(e as Error).message}`, { cause: e });
  }
  if (services.some((s) => s.scheduler === scheduler)) return;
  try {
    try {
      await ipvs.addService({ ...PROBE, scheduler });
    } catch (e) {
      if (!isExists(e)) throw e;
      await ipvs.updateService({ ...PROBE, scheduler });
    }
  } catch (e) {
    if (isNotFound(e)) throw new Error(`unknown IPVS scheduler ${JSON.stringify(scheduler)}: the kernel has no ip_vs_${scheduler} module (--ipvs-scheduler)`, { cause: e });
    throw e;
  }
  await ipvs.deleteService(PROBE);
}

/** Makes kube-ipvs0 if it is missing and brings it up; returns its index. Equivalent to: `ip link add kube-ipvs0 type dummy; ip link set kube-ipvs0 up`. */
export async function ensureDummy(rtnl: AddressHandle): Promise<number> {
  try {
    const link = await rtnl.getLink(DUMMY_DEVICE);
    if (!link.up) await rtnl.setLinkUp(link.index);
    return link.index;
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
  try {
    await rtnl.addDummy(DUMMY_DEVICE, { up: true });
  } catch (e) {
    if (!isExists(e)) throw e;
  }
  return (await rtnl.getLink(DUMMY_DEVICE)).index;
}

const hostCidr = (ip: string): string => `${ip}/${ip.includes(':') ? 128 : 32}`;

/** Binds and unbinds service addresses on kube-ipvs0 (already there / already gone is fine). Returns how many changed. */
export async function changeAddresses(rtnl: AddressHandle, link: number, add: readonly string[], remove: readonly string[]): Promise<number> {
  let n = 0;
  if (remove.length > 0) {
    for (const r of await rtnl.deleteAddresses(link, remove.map(hostCidr))) {
      if (r.error === undefined) n++;
      else if (!isNotFound(r.error)) throw r.error;
    }
  }
  if (add.length > 0) {
    for (const r of await rtnl.addAddresses(link, add.map(hostCidr))) {
      if (r.error === undefined) n++;
      else if (!isExists(r.error)) throw r.error;
    }
  }
  return n;
}

/** Addresses on kube-ipvs0 that are service addresses (its IPv6 link-local one is not). */
export function boundAddresses(addresses: readonly Address[], link: number): string[] {
  return addresses.filter((a) => a.link === link && !(a.family === 6 && /^fe[89ab]/i.test(a.address))).map((a) => a.address);
}

/** Runs IPVS operations in one call; throws the first refusal (a NetlinkError naming the operation). */
export async function applyIpvs(ipvs: IpvsHandle, ops: IpvsOperation[], tolerate?: (r: IpvsOperationResult) => boolean): Promise<number> {
  if (ops.length === 0) return 0;
  const results = await ipvs.apply(ops);
  const failed = results.find((r) => r.error !== undefined && !(tolerate?.(r) ?? false));
  if (failed?.error !== undefined) throw failed.error;
  return results.filter((r) => r.error === undefined).length;
}

/**
 * Deletes conntrack entries of UDP/SCTP flows through a virtual server that
 * went to a real server no longer there (or to any, when the virtual server
 * went). Equivalent to: `conntrack -D -p udp --orig-dst VIP --dport PORT [--reply-src RIP --reply-port-src RPORT]`.
 */
export async function cleanStaleFlows(ct: ConntrackHandle, flows: readonly { service: AddressKey; dest?: PlannedDest }[]): Promise<number> {
  let n = 0;
  for (const f of flows) {
    n += await ct.delete({
      family: f.service.address.includes(':') ? 6 : 4,
      protocol: f.service.protocol,
      original: { destination: f.service.address, destinationPort: f.service.port },
      ...(f.dest !== undefined ? { reply: { source: f.dest.address, sourcePort: f.dest.port } } : {}),
    });
  }
  return n;
}
