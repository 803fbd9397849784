// rtnetlink: links and addresses, the parts a proxy and its tests need.
import { formatIp, parseCidr, type IpFamily } from './addr.js';
import { denseArray, own, show } from './check.js';
import type { NativeAddress, NativeLink, RtnlOpWire, RtnlResultWire } from './binding.js';
import { NetlinkError } from './errors.js';
import { check, netnsWire, NetlinkHandle, type NetnsOption, type OpenOptions } from './handle.js';

const IFF_UP = 0x1;
const IFF_LOWER_UP = 0x10000;
const AF_INET = 2;
const AF_INET6 = 10;
const IFA_F_NODAD = 0x02;
const IFNAMSIZ = 16;

/** Operational state, as `ip link` shows it. */
export type OperState = 'unknown' | 'notpresent' | 'down' | 'lowerlayerdown' | 'testing' | 'dormant' | 'up';
const OPERSTATES: OperState[] = ['unknown', 'notpresent', 'down', 'lowerlayerdown', 'testing', 'dormant', 'up'];

/** Address scope, as `ip addr` shows it. */
export type Scope = 'global' | 'site' | 'link' | 'host' | 'nowhere' | number;
const SCOPES: Record<string, number> = { global: 0, site: 200, link: 253, host: 254, nowhere: 255 };

export interface Link {
  index: number;
  name: string;
  /** The link type by its driver kind: 'dummy', 'veth', ... ('' for loopback and hardware). */
  kind: string;
  /** IFF_* flags. */
  flags: number;
  /** Administratively up (IFF_UP). */
  up: boolean;
  /** Carrier present (IFF_LOWER_UP). */
  lowerUp: boolean;
  operState: OperState;
  mtu: number;
  /** Link-layer address, 'aa:bb:cc:dd:ee:ff' ('' when none). */
  mac: string;
  /** ARPHRD_* type number (1 = ether, 772 = loopback). */
  hardwareType: number;
  /** Index of the master device (bridge, bond), when enslaved. */
  master?: number;
  /** Index of the parent or peer link (a veth's peer), when any. */
  parent?: number;
  /** The peer's namespace id, when the parent lives in another namespace. */
  parentNetnsId?: number;
}

export interface Address {
  /** Index of the link the address is on. */
  link: number;
  family: IpFamily;
  address: string;
  prefixLength: number;
  /** The peer address on point-to-point configurations, when it differs. */
  peer?: string;
  scope: Scope;
  label?: string;
  /** IFA_F_* flags (0x40 permanent, 0x02 nodad, 0x40/0x20 tentative/dadfailed...). */
  flags: number;
  /** Seconds, or undefined for forever. */
  validLifetime?: number;
  preferredLifetime?: number;
}

export interface AddAddressOptions {
  /** Skip IPv6 duplicate address detection (`nodad`), so the address is usable at once. */
  nodad?: boolean;
  scope?: Scope;
  /** IPv4 label, e.g. 'eth0:vip'. */
  label?: string;
  /** Replace an existing address instead of failing with EEXIST (`ip addr replace`). */
  replace?: boolean;
}

/** The outcome of one address in a batch call. */
export interface AddressResult {
  address: string;
  error?: NetlinkError;
}

/** A link by name or index. */
export type LinkRef = string | number;

function linkName(name: string, what = 'name'): string {
  if (typeof name !== 'string' || name.length === 0 || Buffer.byteLength(name) >= IFNAMSIZ ||
    name === '.' || name === '..' || /[\s/:\0]/.test(name)) {
    throw new TypeError(`${what}: invalid interface name ${show(name)} (1-15 bytes, no '/', ':' or spaces)`);
  }
  return name;
}

function linkRef(ref: LinkRef): { index: number } | { name: string } {
  if (typeof ref === 'number') {
    if (!Number.isInteger(ref) || ref <= 0 || ref > 0x7fffffff) throw new RangeError(`link index must be a positive integer: ${ref}`);
    return { index: ref };
  }
  return { name: linkName(ref, 'link') };
}

function mtu(v: number | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number') throw new TypeError(`mtu: expected an integer of at least 68, got ${show(v)}`);
  if (!Number.isInteger(v) || v < 68 || v > 0xffff * 4) throw new RangeError(`mtu must be an integer of at least 68: ${show(v)}`);
  return v;
}

// The options object of a call (TypeError naming it when it is not one).
function options<T extends object>(o: T, what: string): T {
  if (typeof o !== 'object' || o === null || Array.isArray(o)) throw new TypeError(`${what}: expected an object, got ${show(o)}`);
  return o;
}

function scopeNumber(s: Scope): number {
  if (typeof s === 'number' && Number.isInteger(s) && s >= 0 && s <= 255) return s;
  const n = own(SCOPES, s);
  if (n !== undefined) return n;
  throw new TypeError(`scope: invalid scope ${show(s)} (${Object.keys(SCOPES).join(', ')} or 0..255)`);
}

function scopeName(n: number): Scope {
  const name = Object.keys(SCOPES).find((k) => SCOPES[k] === n);
  return (name as Scope | undefined) ?? n;
}

function toLink(n: NativeLink): Link {
  const link: Link = {
    index: n.index,
    name: n.name,
    kind: n.kind,
    flags: n.flags,
    up: (n.flags & IFF_UP) !== 0,
    lowerUp: (n.flags & IFF_LOWER_UP) !== 0,
    operState: OPERSTATES[n.operstate] ?? 'unknown',
    mtu: n.mtu,
    mac: Array.from(n.address, (b) => b.toString(16).padStart(2, '0')).join(':'),
    hardwareType: n.type,
  };
  if (n.master !== 0) link.master = n.master;
  if (n.parent !== 0 && n.parent !== n.index) link.parent = n.parent;
  if (n.linkNetnsid >= 0) link.parentNetnsId = n.linkNetnsid;
  return link;
}

function toAddress(n: NativeAddress): Address {
  const local = n.local.length > 0 ? n.local : n.address;
  const a: Address = {
    link: n.index,
    family: n.family === AF_INET6 ? 6 : 4,
    address: formatIp(local),
    prefixLength: n.prefixLength,
    scope: scopeName(n.scope),
    flags: n.flags,
  };
  if (n.local.length > 0 && n.address.length > 0 && Buffer.compare(n.local, n.address) !== 0) a.peer = formatIp(n.address);
  if (n.label !== '') a.label = n.label;
  if (n.validLifetime !== 0xffffffff) a.validLifetime = n.validLifetime;
  if (n.preferredLifetime !== 0xffffffff) a.preferredLifetime = n.preferredLifetime;
  return a;
}

/**
 * A route-netlink handle bound to one network namespace.
 *
 * ```ts
 * const rtnl = await Rtnl.open({ netns: 'director' });
 * await rtnl.addDummy('kube-ipvs0', { up: true });
 * await rtnl.addAddress('kube-ipvs0', '10.96.0.10/32');
 * ```
 */
export class Rtnl extends NetlinkHandle {
  /** Opens a NETLINK_ROUTE socket in `options.netns` (default: the caller's namespace). */
  static async open(options: OpenOptions = {}): Promise<Rtnl> {
    return new Rtnl(await NetlinkHandle.openNative('route', options, 'rtnl.open'));
  }

  async #one(operation: string, op: RtnlOpWire): Promise<RtnlResultWire> {
    const [result] = await this.run(operation, (n) => n.rtnl([op]));
    return check(operation, result!);
  }

  /** All links. Equivalent to: `ip link show`. */
  async listLinks(): Promise<Link[]> {
    const r = await this.#one('rtnl.listLinks', { op: 'listLinks' });
    return r.links!.map(toLink);
  }

  /** One link by name or index; ENODEV (isNotFound) if absent. Equivalent to: `ip link show dev NAME`. */
  async getLink(link: LinkRef): Promise<Link> {
    const r = await this.#one('rtnl.getLink', { op: 'getLink', ...linkRef(link) });
    return toLink(r.links![0]!);
  }

  /** Creates a dummy link. Equivalent to: `ip link add NAME [mtu N] type dummy && ip link set NAME up`. */
  async addDummy(name: string, opts: { mtu?: number; up?: boolean } = {}): Promise<void> {
    const o = options(opts, 'addDummy: options');
    const m = mtu(o.mtu);
    await this.#one('rtnl.addDummy', {
      op: 'addLink', name: linkName(name), kind: 'dummy', ...(m !== undefined ? { mtu: m } : {}), up: o.up === true,
    });
  }

  /**
   * Creates a veth pair, the peer optionally in another namespace.
   * Equivalent to: `ip link add NAME type veth peer name PEER [netns NS]`.
   */
  async addVeth(name: string, peer: string, opts: { peerNetns?: NetnsOption; mtu?: number; up?: boolean } = {}): Promise<void> {
    const o = options(opts, 'addVeth: options');
    const m = mtu(o.mtu);
    await this.#one('rtnl.addVeth', {
      op: 'addLink', name: linkName(name), kind: 'veth', peerName: linkName(peer, 'peer'),
      ...(o.peerNetns !== undefined ? { peerNetns: netnsWire(o.peerNetns, 'peerNetns') } : {}),
      ...(m !== undefined ? { mtu: m } : {}), up: o.up === true,
    });
  }

  /** Deletes a link (and a veth's peer with it). Equivalent to: `ip link del NAME`. */
  async deleteLink(link: LinkRef): Promise<void> {
    await this.#one('rtnl.deleteLink', { op: 'deleteLink', ...linkRef(link) });
  }

  /** Equivalent to: `ip link set NAME up`. */
  async setLinkUp(link: LinkRef): Promise<void> {
    await this.#one('rtnl.setLinkUp', { op: 'setLink', ...linkRef(link), up: true });
  }

  /** Equivalent to: `ip link set NAME down`. */
  async setLinkDown(link: LinkRef): Promise<void> {
    await this.#one('rtnl.setLinkDown', { op: 'setLink', ...linkRef(link), up: false });
  }

  /** Equivalent to: `ip link set NAME mtu N`. */
  async setLinkMtu(link: LinkRef, value: number): Promise<void> {
    await this.#one('rtnl.setLinkMtu', { op: 'setLink', ...linkRef(link), mtu: mtu(value)! });
  }

  /**
   * Addresses, optionally of one family or one link.
   * Equivalent to: `ip [-4|-6] addr show [dev NAME]`.
   */
  async listAddresses(filter: { family?: IpFamily; link?: LinkRef } = {}): Promise<Address[]> {
    options(filter, 'listAddresses: filter');
    if (filter.family !== undefined && filter.family !== 4 && filter.family !== 6) throw new TypeError('family must be 4 or 6');
    const family = filter.family === 4 ? AF_INET : filter.family === 6 ? AF_INET6 : 0;
    const index = filter.link === undefined ? undefined : await this.#index(filter.link);
    const r = await this.#one('rtnl.listAddresses', { op: 'listAddresses', family });
    return r.addresses!.filter((a) => index === undefined || a.index === index).map(toAddress);
  }

  /** Equivalent to: `ip addr add ADDR/PLEN dev LINK [scope S] [label L] [nodad]` (`replace` with options.replace). */
  async addAddress(link: LinkRef, cidr: string, options: AddAddressOptions = {}): Promise<void> {
    const [result] = await this.addAddresses(link, [cidr], options);
    if (result!.error !== undefined) throw result!.error;
  }

  /** Equivalent to: `ip addr del ADDR/PLEN dev LINK`. */
  async deleteAddress(link: LinkRef, cidr: string): Promise<void> {
    const [result] = await this.deleteAddresses(link, [cidr]);
    if (result!.error !== undefined) throw result!.error;
  }

  /**
   * Adds many addresses to one link in a single pipelined exchange (what a
   * proxy does with its service IPs). Every address is validated before
   * anything is sent; each gets its own outcome (e.g. EEXIST for one does
   * not stop the others). Equivalent to: `ip -batch` of `addr add` lines.
   */
  async addAddresses(link: LinkRef, cidrs: string[], opts: AddAddressOptions = {}): Promise<AddressResult[]> {
    const op = options(opts, 'options').replace === true ? 'replaceAddress' : 'addAddress';
    return this.#addresses(`rtnl.${op}`, op, link, cidrs, opts);
  }

  /** Deletes many addresses from one link in a single pipelined exchange; one outcome each. */
  async deleteAddresses(link: LinkRef, cidrs: string[]): Promise<AddressResult[]> {
    return this.#addresses('rtnl.deleteAddress', 'deleteAddress', link, cidrs, {});
  }

  async #addresses(operation: string, op: 'addAddress' | 'replaceAddress' | 'deleteAddress', link: LinkRef,
    cidrs: string[], opts: AddAddressOptions): Promise<AddressResult[]> {
    const parsed = denseArray<string>(cidrs, 'addresses').map((c, i) => parseCidr(c, `addresses[${i}]`));
    options(opts, 'options');
    const scope = opts.scope === undefined ? undefined : scopeNumber(opts.scope);
    if (opts.label !== undefined && (parsed.some((a) => a.family !== 4) || typeof opts.label !== 'string' ||
      Buffer.byteLength(opts.label) >= IFNAMSIZ || opts.label.includes('\0'))) {
      throw new TypeError('label: only for IPv4 addresses, at most 15 bytes');
    }
    const ref = linkRef(link);
    if (parsed.length === 0) return [];
    const index = 'index' in ref ? ref.index : await this.#index(link);
    const ops: RtnlOpWire[] = parsed.map((a) => ({
      op, index, family: a.family === 4 ? AF_INET : AF_INET6, prefixLength: a.prefixLength, address: a.bytes,
      ...(scope !== undefined ? { scope } : {}),
      ...(opts.nodad === true ? { flags: IFA_F_NODAD } : {}),
      ...(opts.label !== undefined ? { label: opts.label } : {}),
    }));
    const results = await this.run(operation, (n) => n.rtnl(ops));
    return results.map((r, i) => {
      const out: AddressResult = { address: cidrs[i]! };
      if (r.error !== undefined) out.error = new NetlinkError(operation, r.error);
      return out;
    });
  }

  async #index(link: LinkRef): Promise<number> {
    const ref = linkRef(link);
    return 'index' in ref ? ref.index : (await this.getLink(ref.name)).index;
  }
}
