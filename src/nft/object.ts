// Named stateful objects: `counter NAME { packets 0 bytes 0 }`,
// `quota NAME { over 100 mbytes used 0 bytes }`. Other kinds are kept raw.
import { show } from '../check.js';
import { FAMILIES, type Family } from './enums.js';
import { dataAsSent, objectKind } from './obj/index.js';
import { OBJECT_TYPES, type ObjectType } from './expr/objref.js';
import { checkFamily, checkName, checkUint, NftValidationError } from './names.js';
import { checkComment, commentOf, commentUserdata } from './udata.js';
import * as U from './uapi.js';
import { attrTable, be32, be64, messageAttrs, str, type NfMessage, type Writer } from './wire.js';

export interface NamedObject {
  family: Family;
  table: string;
  name: string;
  type: ObjectType | number;
  /** counter */
  packets?: number;
  bytes?: number;
  /** quota: the limit in bytes (bytes), whether it matches `over` the limit, and bytes used so far. */
  over?: boolean;
  used?: number;
  /** Objects of other kinds: the NFTA_OBJ_DATA payload as the kernel sent it. */
  data?: Uint8Array;
  comment?: string;
  handle?: number;
  use?: number;
  userdata?: Uint8Array;
}

export function validateObject(o: NamedObject, where: string): void {
  checkFamily(o.family, where);
  checkName(o.table, `${where}: table`);
  checkName(o.name, `${where}: object`);
  if (!OBJECT_TYPES.has(o.type)) throw new NftValidationError(`${where}: unknown object type ${show(o.type)}`);
  if (o.type !== 'counter' && o.type !== 'quota' && o.data === undefined) throw new NftValidationError(`${where}: ${show(o.type)} objects need raw data`);
  for (const k of ['packets', 'bytes', 'used'] as const) if (o[k] !== undefined) checkUint(o[k], Number.MAX_SAFE_INTEGER, `${where}: ${k}`);
  if (o.type === 'quota' && o.bytes === undefined) throw new NftValidationError(`${where}: a quota needs bytes`);
  if (o.comment !== undefined) checkComment(o.comment, where);
}

/** NFT_MSG_NEWOBJ body. */
export function encodeObject(w: Writer, o: NamedObject): void {
  w.strz(U.NFTA_OBJ_TABLE, o.table);
  w.strz(U.NFTA_OBJ_NAME, o.name);
  w.be32(U.NFTA_OBJ_TYPE, OBJECT_TYPES.number(o.type));
  if (o.data !== undefined) {
    // Raw data (a listing's) goes as libnftnl would send it: its kind's attribute order and string forms.
    w.attr(U.NFTA_OBJ_DATA | 0x8000, dataAsSent(objectKind(OBJECT_TYPES.number(o.type)), o.data));
  } else {
    const d = w.nest(U.NFTA_OBJ_DATA);
    if (o.type === 'counter') {
      w.be64(U.NFTA_COUNTER_BYTES, BigInt(o.bytes ?? 0));
      w.be64(U.NFTA_COUNTER_PACKETS, BigInt(o.packets ?? 0));
    } else {
      w.be64(U.NFTA_QUOTA_BYTES, BigInt(o.bytes ?? 0));
      w.be64(U.NFTA_QUOTA_CONSUMED, BigInt(o.used ?? 0));
      w.be32(U.NFTA_QUOTA_FLAGS, o.over === true ? U.NFT_QUOTA_F_INV : 0);
    }
    w.end(d);
  }
  const ud = o.userdata ?? (o.comment !== undefined ? commentUserdata(o.comment) : undefined);
  if (ud !== undefined) w.attr(U.NFTA_OBJ_USERDATA, ud);
}

export function encodeObjectRef(w: Writer, o: { table: string; name: string; type: ObjectType | number }): void {
  w.strz(U.NFTA_OBJ_TABLE, o.table);
  w.strz(U.NFTA_OBJ_NAME, o.name);
  w.be32(U.NFTA_OBJ_TYPE, OBJECT_TYPES.number(o.type));
}

export function decodeObject(m: NfMessage): NamedObject {
  const a = messageAttrs(m);
  const type = OBJECT_TYPES.name(be32(a[U.NFTA_OBJ_TYPE] ?? Buffer.alloc(4), 'object type'));
  const o: NamedObject = {
    family: FAMILIES.name(m.family) as Family,
    table: str(a[U.NFTA_OBJ_TABLE] ?? Buffer.alloc(0)),
    name: str(a[U.NFTA_OBJ_NAME] ?? Buffer.alloc(0)),
    type,
  };
  const data = a[U.NFTA_OBJ_DATA];
  if (data !== undefined) {
    const d = attrTable(data);
    if (type === 'counter') {
      o.bytes = Number(be64(d[U.NFTA_COUNTER_BYTES] ?? Buffer.alloc(8), 'counter bytes'));
      o.packets = Number(be64(d[U.NFTA_COUNTER_PACKETS] ?? Buffer.alloc(8), 'counter packets'));
    } else if (type === 'quota') {
      o.bytes = Number(be64(d[U.NFTA_QUOTA_BYTES] ?? Buffer.alloc(8), 'quota bytes'));
      o.used = Number(be64(d[U.NFTA_QUOTA_CONSUMED] ?? Buffer.alloc(8), 'quota consumed'));
      const flags = d[U.NFTA_QUOTA_FLAGS];
      o.over = ((flags === undefined ? 0 : be32(flags, 'quota flags')) & U.NFT_QUOTA_F_INV) !== 0;
    } else {
      o.data = new Uint8Array(data);
    }
  }
  if (a[U.NFTA_OBJ_HANDLE]) o.handle = Number(be64(a[U.NFTA_OBJ_HANDLE], 'object handle'));
  if (a[U.NFTA_OBJ_USE]) o.use = be32(a[U.NFTA_OBJ_USE], 'object use');
  const ud = a[U.NFTA_OBJ_USERDATA];
  if (ud !== undefined) {
    o.userdata = new Uint8Array(ud);
    const c = commentOf(ud);
    if (c !== undefined) o.comment = c;
  }
  return o;
}
