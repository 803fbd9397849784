// Interface names as x_tables stores them: the name and a byte mask, where a
// trailing + makes a prefix match (iface_to_mask of iptables).

/** IFNAMSIZ: 15 bytes and a NUL. */
export const IFNAMSIZ = 16;

/** Checks an interface name (`eth0`, `veth+`), as iptables' parse_interface does. */
export function checkInterface(name: unknown, what: string): string {
  if (typeof name !== 'string') throw new TypeError(`${what} must be a string`);
  if (name === '') throw new RangeError(`${what} must not be empty`);
  if (Buffer.byteLength(name, 'utf8') >= IFNAMSIZ) throw new RangeError(`${what}: interface name must be shorter than ${IFNAMSIZ} characters`);
  if (name.includes('\0')) throw new RangeError(`${what} must not contain NUL`);
  return name;
}

/** iface_to_mask: 0xff over the name and its NUL, or over the prefix before a trailing +. */
export function interfaceMask(name: string): Uint8Array {
  const mask = new Uint8Array(IFNAMSIZ);
  const len = Buffer.byteLength(name, 'utf8');
  if (len === 0) return mask;
  mask.fill(0xff, 0, name.endsWith('+') ? len - 1 : Math.min(len + 1, IFNAMSIZ));
  return mask;
}

/**
 * What iptables-save prints for an interface field (save_iface of 1.8.9):
 * the name's bytes under the mask, then + if the mask stops inside the name;
 * undefined when the mask is empty (any interface).
 */
export function readInterface(b: Uint8Array, nameAt: number, maskAt: number): string | undefined {
  // `-i +` (any interface) keeps its name with an empty mask; iptables-save prints nothing for it.
  if (b[maskAt] === 0) return b[nameAt] === 0x2b && b[nameAt + 1] === 0 ? '+' : undefined;
  let out = '';
  for (let i = 0; i < IFNAMSIZ; i++) {
    if (b[maskAt + i] !== 0) {
      if (b[nameAt + i] !== 0) out += String.fromCharCode(b[nameAt + i]!);
    } else {
      if (b[nameAt + i - 1] !== 0) out += '+';
      break;
    }
  }
  return /[\x80-\xff]/.test(out) ? Buffer.from(out, 'latin1').toString('utf8') : out;
}
