// Flowtables: a fast path for established flows, fed by `flow add @NAME`
// in a forward chain.
//
//   flowtable ft {
//       hook ingress priority filter
//       devices = { veth0, veth1 }
//       flags offload
//       counter
//   }
//
// The kernel has them in ip, ip6 and inet tables only, always at the
// netdev ingress hook of the listed devices.
import { show } from '../check.js';
import { FAMILIES, type Family } from './enums.js';
import { checkDevices, decodeDevices, encodeDevices } from './devices.js';
import { checkFamily, checkName, checkUint, NftValidationError } from './names.js';
import * as U from './uapi.js';
import { attrLen, attrType, be32At, be64NumberAt, DecodeError, nextAttr, strAt, type NfMessage, type Writer } from './wire.js';

/** `flags offload` (NFT_FLOWTABLE_HW_OFFLOAD: flows go to the NIC) and `counter` (NFT_FLOWTABLE_COUNTER: flows count packets and bytes). */
export type FlowtableFlag = 'offload' | 'counter';

/** `flowtable NAME { hook ingress priority P; devices = { ... }; [flags offload;] [counter;] }` in table FAMILY TABLE. */
export interface Flowtable {
  /** ip, ip6 or inet. */
  family: Family;
  table: string;
  name: string;
  /** The only hook flowtables have (netdev ingress); the default. */
  hook?: 'ingress';
  /** Signed priority at that hook; nft's `priority filter + 5` is 5. Default 0 (filter). */
  priority?: number;
  /** The devices whose ingress hook the flowtable registers at, in the order written (1-15 bytes each; `veth*` matches a prefix, kernel 6.17+). */
  devices?: string[];
  flags?: FlowtableFlag[];
  /** Set by the kernel. */
  handle?: number;
  /** How many rules refer to it (`flow add @NAME`), from the kernel. */
  use?: number;
}

/** What names a flowtable for delete/destroy: its name or (without a name) its handle. */
export interface FlowtableRef {
  family: Family;
  table: string;
  name?: string;
  handle?: number;
  /** Remove only these devices: `delete flowtable FAMILY TABLE NAME { devices = { ... }; }`. */
  devices?: string[];
}

/** The table families the kernel has flowtables in. */
export const FLOWTABLE_FAMILIES: readonly Family[] = ['ip', 'ip6', 'inet'];
const FLAG_BITS: Record<FlowtableFlag, number> = { offload: U.NFT_FLOWTABLE_HW_OFFLOAD, counter: U.NFT_FLOWTABLE_COUNTER };
/** NF_NETDEV_INGRESS: the hook number a flowtable is sent with. */
const INGRESS = 0;

function checkFlowtableFamily(family: unknown, where: string): Family {
  checkFamily(family, where);
  if (!FLOWTABLE_FAMILIES.includes(family as Family)) throw new NftValidationError(`${where}: flowtables exist in ip, ip6 and inet tables, not ${typeof family === 'string' ? family.slice(0, 40) : show(family)}`);
  return family as Family;
}

/** Checks a flowtable to add, throwing NftValidationError before anything is sent. */
export function validateFlowtable(f: Flowtable, where: string): void {
  if (typeof f !== 'object' || f === null) throw new NftValidationError(`${where}: expected a flowtable`);
  checkFlowtableFamily(f.family, where);
  checkName(f.table, `${where}: table`);
  checkName(f.name, `${where}: flowtable`);
  if (f.hook !== undefined && f.hook !== 'ingress') throw new NftValidationError(`${where}: a flowtable's hook is ingress, not ${show(f.hook)}`);
  if (f.priority !== undefined && (!Number.isInteger(f.priority) || f.priority < -0x80000000 || f.priority > 0x7fffffff)) {
    throw new NftValidationError(`${where}: flowtable priority must be a 32-bit signed integer, got ${show(f.priority)}`);
  }
  if (f.devices !== undefined) checkDevices(f.devices, `${where}: flowtable`);
  if (f.flags !== undefined) flagBits(f.flags, where);
  if (f.handle !== undefined) checkUint(f.handle, Number.MAX_SAFE_INTEGER, `${where}: handle`);
}

/** Checks what delete/destroy take: a name or a handle, and (delete only) the devices to remove. */
export function validateFlowtableRef(f: FlowtableRef, where: string, destroy = false): void {
  if (typeof f !== 'object' || f === null) throw new NftValidationError(`${where}: expected a flowtable`);
  checkFlowtableFamily(f.family, where);
  checkName(f.table, `${where}: table`);
  if (f.name === undefined && f.handle === undefined) throw new NftValidationError(`${where}: a flowtable name or handle is needed`);
  if (f.name !== undefined) checkName(f.name, `${where}: flowtable`);
  if (f.handle !== undefined) checkUint(f.handle, Number.MAX_SAFE_INTEGER, `${where}: handle`);
  if (f.devices !== undefined) {
    if (destroy) throw new NftValidationError(`${where}: destroy removes whole flowtables; remove devices with deleteFlowtable`);
    if (f.name === undefined) throw new NftValidationError(`${where}: removing devices names the flowtable by name`);
    checkDevices(f.devices, `${where}: flowtable`);
    if (f.devices.length === 0) throw new NftValidationError(`${where}: no devices to remove`);
  }
}

/** The NFT_FLOWTABLE_* bits of a flag list (validating it). */
export function flagBits(flags: readonly FlowtableFlag[], where = 'flowtable'): number {
  if (!Array.isArray(flags)) throw new NftValidationError(`${where}: flowtable flags must be an array`);
  let bits = 0;
  for (const f of flags) {
    const b = FLAG_BITS[f as FlowtableFlag];
    if (typeof f !== 'string' || b === undefined || !Object.hasOwn(FLAG_BITS, f)) throw new NftValidationError(`${where}: unknown flowtable flag ${show(f)} (offload, counter)`);
    if (bits & b) throw new NftValidationError(`${where}: flowtable flag ${f} given twice`);
    bits |= b;
  }
  return bits;
}

function flagNames(bits: number): FlowtableFlag[] {
  const out: FlowtableFlag[] = [];
  if (bits & U.NFT_FLOWTABLE_HW_OFFLOAD) out.push('offload');
  if (bits & U.NFT_FLOWTABLE_COUNTER) out.push('counter');
  return out;
}

// NFTA_FLOWTABLE_HOOK as nft sends it: hook number, priority (when given), then the devices (if any).
function encodeHook(w: Writer, priority: number | undefined, devices: readonly string[] | undefined, reversed: boolean): void {
  const h = w.nest(U.NFTA_FLOWTABLE_HOOK);
  if (priority !== undefined) {
    w.be32(U.NFTA_FLOWTABLE_HOOK_NUM, INGRESS);
    w.be32(U.NFTA_FLOWTABLE_HOOK_PRIORITY, priority >>> 0);
  }
  if (devices !== undefined && devices.length > 0) {
    const d = w.nest(U.NFTA_FLOWTABLE_HOOK_DEVS);
    encodeDevices(w, devices, reversed);
    w.end(d);
  }
  w.end(h);
}

/**
 * NFT_MSG_NEWFLOWTABLE body, attribute for attribute what nft 1.0.6 sends for
 * `add flowtable FAMILY TABLE NAME { hook ingress priority P; devices = { ... }; ... }`.
 * A flowtable that exists already gets the new devices (and the counter flag) added.
 */
export function encodeFlowtable(w: Writer, f: Flowtable): void {
  w.strz(U.NFTA_FLOWTABLE_TABLE, f.table);
  w.strz(U.NFTA_FLOWTABLE_NAME, f.name);
  encodeHook(w, f.priority ?? 0, f.devices, true);
  w.be32(U.NFTA_FLOWTABLE_FLAGS, flagBits(f.flags ?? []));
}

/**
 * NFT_MSG_DELFLOWTABLE (or DESTROYFLOWTABLE) body: by name, else by handle.
 * With devices, only those devices are removed; the hook then carries just
 * the devices (in the order given, as nft sends them here), as nft 1.1 sends
 * it. (nft 1.0.6 also sends hook 0 priority 0, which the kernel refuses for a
 * flowtable of another priority.)
 */
export function encodeFlowtableRef(w: Writer, f: FlowtableRef): void {
  w.strz(U.NFTA_FLOWTABLE_TABLE, f.table);
  if (f.name !== undefined) w.strz(U.NFTA_FLOWTABLE_NAME, f.name);
  else w.be64(U.NFTA_FLOWTABLE_HANDLE, BigInt(f.handle!));
  if (f.devices !== undefined && f.devices.length > 0) encodeHook(w, undefined, f.devices, false);
}

/** A NEWFLOWTABLE/DELFLOWTABLE message (a listing's or an event's) as a Flowtable. */
export function decodeFlowtable(m: NfMessage): Flowtable {
  return decodeFlowtableAt(m.raw, m.attrs, m.raw.length, m.family);
}

/**
 * Decodes the NEWFLOWTABLE/DELFLOWTABLE attributes in buf[off, end). A
 * deletion event may carry no hook; an update event carries only the
 * devices it added or removed.
 */
export function decodeFlowtableAt(buf: Buffer, off: number, end: number, familyNumber: number): Flowtable {
  let tableAt = -1, tableLen = 0, nameAt = -1, nameLen = 0, hookAt = -1, hookLen = 0;
  let useAt = -1, useLen = 0, handleAt = -1, handleLen = 0, flagsAt = -1, flagsLen = 0;
  for (let p = off; end - p >= 4;) {
    const len = attrLen(buf, p, end);
    const at = p + 4, n = len - 4;
    switch (attrType(buf, p)) {
      case U.NFTA_FLOWTABLE_TABLE: tableAt = at; tableLen = n; break;
      case U.NFTA_FLOWTABLE_NAME: nameAt = at; nameLen = n; break;
      case U.NFTA_FLOWTABLE_HOOK: hookAt = at; hookLen = n; break;
      case U.NFTA_FLOWTABLE_USE: useAt = at; useLen = n; break;
      case U.NFTA_FLOWTABLE_HANDLE: handleAt = at; handleLen = n; break;
      case U.NFTA_FLOWTABLE_FLAGS: flagsAt = at; flagsLen = n; break;
    }
    p = nextAttr(p, len);
  }
  const f: Flowtable = {
    family: FAMILIES.name(familyNumber) as Family,
    table: tableAt < 0 ? '' : strAt(buf, tableAt, tableLen),
    name: nameAt < 0 ? '' : strAt(buf, nameAt, nameLen),
  };
  if (hookAt >= 0) {
    const hookEnd = hookAt + hookLen;
    for (let p = hookAt; hookEnd - p >= 4;) {
      const len = attrLen(buf, p, hookEnd);
      switch (attrType(buf, p)) {
        case U.NFTA_FLOWTABLE_HOOK_NUM: {
          const num = be32At(buf, p + 4, len - 4, 'flowtable hook');
          if (num !== INGRESS) throw new DecodeError(`flowtable hook ${num}: only ingress (0) exists`);
          f.hook = 'ingress';
          break;
        }
        case U.NFTA_FLOWTABLE_HOOK_PRIORITY: f.priority = be32At(buf, p + 4, len - 4, 'flowtable priority') | 0; break;
        case U.NFTA_FLOWTABLE_HOOK_DEVS: f.devices = decodeDevices(buf, p + 4, p + len); break;
      }
      p = nextAttr(p, len);
    }
  }
  if (flagsAt >= 0) f.flags = flagNames(be32At(buf, flagsAt, flagsLen, 'flowtable flags'));
  if (handleAt >= 0) f.handle = be64NumberAt(buf, handleAt, handleLen, 'flowtable handle');
  if (useAt >= 0) f.use = be32At(buf, useAt, useLen, 'flowtable use');
  return f;
}
