// Tables: `table inet filter { flags dormant; comment "..." }`.
import { FAMILIES, type Family } from './enums.js';
import { checkFamily, checkName, checkUint } from './names.js';
import { checkComment, commentOf, commentUserdata, checkUserdata } from './udata.js';
import * as U from './uapi.js';
import { be32, be64, messageAttrs, str, type NfMessage, type Writer } from './wire.js';

export interface Table {
  family: Family;
  name: string;
  /** NFT_TABLE_F_* bits: 1 dormant, 2 owner. */
  flags?: number;
  comment?: string;
  /** Set by the kernel. */
  handle?: number;
  /** How many chains, sets and objects refer to it (from the kernel). */
  use?: number;
  /** Userdata the kernel returned, kept so it re-encodes unchanged. */
  userdata?: Uint8Array;
}

export function validateTable(t: Table, where: string): void {
  checkFamily(t.family, where);
  checkName(t.name, `${where}: table`);
  if (t.flags !== undefined) checkUint(t.flags, 3, `${where}: table flags`);
  if (t.comment !== undefined) checkComment(t.comment, where);
  if (t.userdata !== undefined) checkUserdata(t.userdata, where);
}

export function tableUserdata(t: Table): Uint8Array | undefined {
  return t.userdata ?? (t.comment !== undefined ? commentUserdata(t.comment) : undefined);
}

/** NFT_MSG_NEWTABLE body. Equivalent to: `add table FAMILY NAME`. */
export function encodeTable(w: Writer, t: Table): void {
  w.strz(U.NFTA_TABLE_NAME, t.name);
  w.be32(U.NFTA_TABLE_FLAGS, t.flags ?? 0);
  const ud = tableUserdata(t);
  if (ud !== undefined) w.attr(U.NFTA_TABLE_USERDATA, ud);
}

/** NFT_MSG_DELTABLE body (by name). */
export function encodeTableRef(w: Writer, t: { name: string; handle?: number }): void {
  if (t.handle !== undefined && t.name === undefined) w.be64(U.NFTA_TABLE_HANDLE, BigInt(t.handle));
  else w.strz(U.NFTA_TABLE_NAME, t.name);
}

export function decodeTable(m: NfMessage): Table {
  const a = messageAttrs(m);
  const t: Table = { family: FAMILIES.name(m.family) as Family, name: str(a[U.NFTA_TABLE_NAME] ?? Buffer.alloc(0)) };
  if (a[U.NFTA_TABLE_FLAGS]) t.flags = be32(a[U.NFTA_TABLE_FLAGS], 'table flags');
  if (a[U.NFTA_TABLE_HANDLE]) t.handle = Number(be64(a[U.NFTA_TABLE_HANDLE], 'table handle'));
  if (a[U.NFTA_TABLE_USE]) t.use = be32(a[U.NFTA_TABLE_USE], 'table use');
  const ud = a[U.NFTA_TABLE_USERDATA];
  if (ud !== undefined) {
    t.userdata = new Uint8Array(ud);
    const c = commentOf(ud);
    if (c !== undefined) t.comment = c;
  }
  return t;
}
