// Chains: base chains attached to a hook (`type nat hook prerouting priority
// dstnat; policy accept;`, `type filter hook ingress device eth0 priority 0;`)
// and regular chains reached by jump/goto.
import { show } from '../check.js';
import { checkDevice, checkDevices, decodeDevices, encodeDevices } from './devices.js';
import { FAMILIES, hooksOf, type Family, type Hook } from './enums.js';
import { checkFamily, checkName, checkUint, NftValidationError } from './names.js';
import { checkComment, commentOf, commentUserdata, checkUserdata } from './udata.js';
import * as U from './uapi.js';
import { attrLen, attrTable, attrType, be32, be32At, be64NumberAt, nextAttr, str, strAt, type NameCache, type NfMessage, type Writer } from './wire.js';

export type ChainType = 'filter' | 'nat' | 'route';
export type Policy = 'accept' | 'drop';

export interface Chain {
  family: Family;
  table: string;
  name: string;
  /** Base chains only. */
  type?: ChainType;
  hook?: Hook;
  /** Signed priority; see PRIORITIES for nft's names (dstnat = -100, srcnat = 100, filter = 0). */
  priority?: number;
  policy?: Policy;
  /** netdev ingress/egress: the device. */
  device?: string;
  /** netdev: several devices, in the order written (the kernel lists them last first, as nft sends them). */
  devices?: string[];
  /** NFT_CHAIN_* flags from the kernel (1 base, 2 hw-offload). */
  flags?: number;
  comment?: string;
  handle?: number;
  use?: number;
  userdata?: Uint8Array;
}

/** nft's named priorities. */
export const PRIORITIES: Record<string, number> = { raw: -300, mangle: -150, dstnat: -100, filter: 0, security: 50, srcnat: 100 };
const TYPES: ChainType[] = ['filter', 'nat', 'route'];

export function isBaseChain(c: Chain): boolean {
  return c.hook !== undefined;
}

export function validateChain(c: Chain, where: string): void {
  checkFamily(c.family, where);
  if (c.userdata !== undefined) checkUserdata(c.userdata, where);
  checkName(c.table, `${where}: table`);
  checkName(c.name, `${where}: chain`);
  if (c.comment !== undefined) checkComment(c.comment, where);
  const base = c.hook !== undefined || c.type !== undefined || c.priority !== undefined || c.policy !== undefined;
  if (!base) return;
  if (c.type === undefined || !TYPES.includes(c.type)) throw new NftValidationError(`${where}: unknown chain type ${show(c.type)} (filter, nat, route)`);
  if (c.hook === undefined || !hooksOf(c.family).byName.has(c.hook)) {
    throw new NftValidationError(`${where}: unknown hook ${show(c.hook)} for family ${c.family} (${[...hooksOf(c.family).byName.keys()].join(', ')})`);
  }
  if (c.priority === undefined || !Number.isInteger(c.priority) || c.priority < -0x80000000 || c.priority > 0x7fffffff) {
    throw new NftValidationError(`${where}: base chain needs an integer priority`);
  }
  if (c.policy !== undefined && c.policy !== 'accept' && c.policy !== 'drop') throw new NftValidationError(`${where}: policy must be accept or drop`);
  if (c.devices !== undefined && !Array.isArray(c.devices)) throw new NftValidationError(`${where}: devices must be an array, got ${show(c.devices)}`);
  if (c.family === 'netdev' && c.device === undefined && (c.devices === undefined || c.devices.length === 0)) {
    throw new NftValidationError(`${where}: netdev base chains need a device`);
  }
  if (c.device !== undefined) checkDevice(c.device, where);
  if (c.devices !== undefined) checkDevices(c.devices, where);
  // Both are given when a listing has one device (the kernel lists it both ways); otherwise one of them says it.
  if (c.device !== undefined && c.devices !== undefined && c.devices.length > 0 && !(c.devices.length === 1 && c.devices[0] === c.device)) {
    throw new NftValidationError(`${where}: device ${show(c.device)} and devices ${show(c.devices)} disagree`);
  }
  if (c.flags !== undefined) checkUint(c.flags, 0xffffffff, `${where}: chain flags`);
}

/** NFT_MSG_NEWCHAIN body, in nft's attribute order. */
export function encodeChain(w: Writer, c: Chain, chainId?: number): void {
  w.strz(U.NFTA_CHAIN_TABLE, c.table);
  // A chain bound to a rule goes without a name (the kernel makes one, __chainN), by its id.
  if (chainId === undefined) w.strz(U.NFTA_CHAIN_NAME, c.name);
  if (c.hook !== undefined) {
    w.strz(U.NFTA_CHAIN_TYPE, c.type!);
    if (c.policy !== undefined) w.be32(U.NFTA_CHAIN_POLICY, c.policy === 'accept' ? U.NF_ACCEPT : U.NF_DROP);
    const h = w.nest(U.NFTA_CHAIN_HOOK);
    w.be32(U.NFTA_HOOK_HOOKNUM, hooksOf(c.family).number(c.hook));
    w.be32(U.NFTA_HOOK_PRIORITY, (c.priority ?? 0) >>> 0);
    // A prefix (`veth*`) travels only in the device list.
    const prefix = c.device?.endsWith('*') === true;
    if (c.device !== undefined && !prefix) w.strz(U.NFTA_HOOK_DEV, c.device);
    // One device goes as NFTA_HOOK_DEV only (the kernel lists it both ways).
    const one = c.devices !== undefined && c.devices.length === 1 && c.devices[0] === c.device && !prefix;
    const devices = c.devices !== undefined && c.devices.length > 0 && !one ? c.devices : prefix ? [c.device!] : undefined;
    if (devices !== undefined) {
      const d = w.nest(U.NFTA_HOOK_DEVS);
      encodeDevices(w, devices);
      w.end(d);
    }
    w.end(h);
  }
  if (chainId !== undefined) w.be32(U.NFTA_CHAIN_ID, chainId);
  // The flags nft sets (offload, binding); the kernel lists base chains with NFT_CHAIN_BASE, which is its own.
  const flags = ((c.flags ?? 0) & ~U.NFT_CHAIN_BASE) >>> 0;
  if (flags !== 0) w.be32(U.NFTA_CHAIN_FLAGS, flags);
  const ud = c.userdata ?? (c.comment !== undefined ? commentUserdata(c.comment) : undefined);
  if (ud !== undefined) w.attr(U.NFTA_CHAIN_USERDATA, ud);
}

export function encodeChainRef(w: Writer, c: { table: string; name: string }): void {
  w.strz(U.NFTA_CHAIN_TABLE, c.table);
  w.strz(U.NFTA_CHAIN_NAME, c.name);
}

export function decodeChain(m: NfMessage): Chain {
  return decodeChainAt(m.raw, m.attrs, m.raw.length, m.family);
}

/** Decodes the NEWCHAIN attributes in buf[off, end), in place; tables names through the cache when given. */
export function decodeChainAt(buf: Buffer, off: number, end: number, familyNumber: number, tables?: NameCache): Chain {
  let tableAt = -1, tableLen = 0, nameAt = -1, nameLen = 0, typeAt = -1, typeLen = 0, hookAt = -1, hookLen = 0;
  let policyAt = -1, policyLen = 0, flagsAt = -1, flagsLen = 0, handleAt = -1, handleLen = 0, useAt = -1, useLen = 0, udAt = -1, udLen = 0;
  for (let p = off; end - p >= 4;) {
    const len = attrLen(buf, p, end);
    const at = p + 4, n = len - 4;
    switch (attrType(buf, p)) {
      case U.NFTA_CHAIN_TABLE: tableAt = at; tableLen = n; break;
      case U.NFTA_CHAIN_NAME: nameAt = at; nameLen = n; break;
      case U.NFTA_CHAIN_TYPE: typeAt = at; typeLen = n; break;
      case U.NFTA_CHAIN_HOOK: hookAt = at; hookLen = n; break;
      case U.NFTA_CHAIN_POLICY: policyAt = at; policyLen = n; break;
      case U.NFTA_CHAIN_FLAGS: flagsAt = at; flagsLen = n; break;
      case U.NFTA_CHAIN_HANDLE: handleAt = at; handleLen = n; break;
      case U.NFTA_CHAIN_USE: useAt = at; useLen = n; break;
      case U.NFTA_CHAIN_USERDATA: udAt = at; udLen = n; break;
    }
    p = nextAttr(p, len);
  }
  const family = FAMILIES.name(familyNumber) as Family;
  const c: Chain = {
    family,
    table: tableAt < 0 ? '' : tables !== undefined ? tables.get(buf, tableAt, tableLen) : strAt(buf, tableAt, tableLen),
    name: nameAt < 0 ? '' : strAt(buf, nameAt, nameLen),
  };
  if (typeAt >= 0) c.type = strAt(buf, typeAt, typeLen) as ChainType;
  if (hookAt >= 0) {
    const h = attrTable(buf, hookAt, hookAt + hookLen);
    if (h[U.NFTA_HOOK_HOOKNUM]) c.hook = hooksOf(family).name(be32(h[U.NFTA_HOOK_HOOKNUM], 'hook')) as Hook;
    if (h[U.NFTA_HOOK_PRIORITY]) c.priority = be32(h[U.NFTA_HOOK_PRIORITY], 'hook priority') | 0;
    if (h[U.NFTA_HOOK_DEV]) c.device = str(h[U.NFTA_HOOK_DEV]);
    const devs = h[U.NFTA_HOOK_DEVS];
    if (devs) c.devices = decodeDevices(devs, 0, devs.length);
  }
  if (policyAt >= 0) c.policy = be32At(buf, policyAt, policyLen, 'policy') === U.NF_ACCEPT ? 'accept' : 'drop';
  if (flagsAt >= 0) c.flags = be32At(buf, flagsAt, flagsLen, 'chain flags');
  if (handleAt >= 0) c.handle = be64NumberAt(buf, handleAt, handleLen, 'chain handle');
  if (useAt >= 0) c.use = be32At(buf, useAt, useLen, 'chain use');
  if (udAt >= 0) {
    const ud = buf.subarray(udAt, udAt + udLen);
    c.userdata = new Uint8Array(ud);
    const t = commentOf(ud);
    if (t !== undefined) c.comment = t;
  }
  return c;
}
