// Device lists of netdev hooks: the devices a netdev base chain or a
// flowtable attaches to (`devices = { veth0, veth1 }`). nft 1.0.6 sends the
// list of an add last device first (the devices a delete removes, in the
// order written) and the kernel keeps it in the order received, so a list
// is encoded reversed and decoded reversed again: what is decoded is in the
// order it was written. A name ending in `*` (`"veth*"`, kernel
// 6.17+) matches every device with that prefix and travels as
// NFTA_DEVICE_PREFIX, without the `*`.
import { show } from '../check.js';
import { NftValidationError } from './names.js';
import * as U from './uapi.js';
import { attrLen, attrType, DecodeError, nextAttr, strAt, type Writer } from './wire.js';

/** nf_tables.h (6.17+): a device name prefix, NUL-terminated, without the `*`. */
export const NFTA_DEVICE_PREFIX = 2;
/** NFT_NETDEVICE_MAX: the most devices one hook takes. */
export const MAX_DEVICES = 256;

/** Checks one device name: 1-15 bytes (IFNAMSIZ), no NUL, `*` only as the last character. */
export function checkDevice(d: unknown, what: string): string {
  const star = typeof d === 'string' ? d.indexOf('*') : -1;
  if (typeof d !== 'string' || d.length === 0 || d.includes('\0') || Buffer.byteLength(d) > 15 || d === '*' || (star >= 0 && star !== d.length - 1)) {
    throw new NftValidationError(`${what}: bad device name ${show(d)} (1-15 bytes; a trailing * matches a prefix)`);
  }
  return d;
}

/** Checks a device list: an array of good names, no name twice, at most 256. */
export function checkDevices(ds: unknown, what: string): string[] {
  if (!Array.isArray(ds)) throw new NftValidationError(`${what}: devices must be an array of device names`);
  if (ds.length > MAX_DEVICES) throw new NftValidationError(`${what}: at most ${MAX_DEVICES} devices, got ${ds.length}`);
  const seen = new Set<string>();
  for (const d of ds) {
    checkDevice(d, what);
    if (seen.has(d as string)) throw new NftValidationError(`${what}: device ${show(d)} is listed twice`);
    seen.add(d as string);
  }
  return ds as string[];
}

/** Writes the NFTA_DEVICE_NAME (or _PREFIX) attributes of a list, last first as nft does for an add (in order with reversed false). */
export function encodeDevices(w: Writer, devices: readonly string[], reversed = true): void {
  for (let k = 0; k < devices.length; k++) {
    const d = devices[reversed ? devices.length - 1 - k : k]!;
    if (d.endsWith('*')) w.strz(NFTA_DEVICE_PREFIX, d.slice(0, -1));
    else w.strz(U.NFTA_DEVICE_NAME, d);
  }
}

/** Reads the device attributes in buf[at, end) back into the order they were written in. */
export function decodeDevices(buf: Buffer, at: number, end: number): string[] {
  const out: string[] = [];
  for (let p = at; end - p >= 4;) {
    const len = attrLen(buf, p, end);
    const type = attrType(buf, p);
    if (type === U.NFTA_DEVICE_NAME) out.push(strAt(buf, p + 4, len - 4));
    else if (type === NFTA_DEVICE_PREFIX) out.push(`${strAt(buf, p + 4, len - 4)}*`);
    else throw new DecodeError(`device list: unexpected attribute ${type}`);
    p = nextAttr(p, len);
  }
  return out.reverse();
}

/**
 * A device list in nft syntax, names with `*` quoted: sorted byte-wise as
 * `nft list` prints it, or (sorted false, for an nft script) in the order
 * given, so that nft sends it as we do.
 */
export function printDevices(devices: readonly string[], sorted = true): string[] {
  const list = sorted ? [...devices].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))) : devices;
  return list.map((d) => (d.endsWith('*') ? `"${d}"` : d));
}
