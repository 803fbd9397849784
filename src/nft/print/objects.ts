// Named stateful objects as `nft list` prints them (obj_print_data): each
// kind's file under obj/ prints its block; a kind nft does not know prints
// as `unknown`.
import { OBJECT_TYPES } from '../expr/objref.js';
import { objectKind, readFields } from '../obj/index.js';
import type { NamedObject } from '../object.js';

/** An object's block as `nft list` prints it. */
export function objectText(o: NamedObject, indent: string): string[] {
  const type = typeof o.type === 'number' ? o.type : OBJECT_TYPES.number(o.type);
  const kind = objectKind(type);
  if (kind === undefined) return [`${indent}unknown ${o.name} {`, `${indent}}`];
  // Counters and quotas carry their values as fields of the object; the others as raw data.
  const fields = o.data !== undefined ? readFields(kind, o.data)
    : { packets: o.packets, bytes: o.bytes, used: o.used, flags: o.over === true ? 1 : 0 };
  const comment = o.comment !== undefined ? [`${indent}\tcomment "${o.comment}"`] : [];
  return [`${indent}${kind.name} ${o.name} {`, ...comment, ...kind.print(fields, `${indent}\t`), `${indent}}`];
}
