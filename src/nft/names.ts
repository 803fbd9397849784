// Validation of the names nf_tables objects carry: tables, chains, sets,
// objects. The kernel allows up to 255 bytes (NFT_NAME_MAXLEN 256 with the
// NUL); nft's parser accepts identifiers of letters, digits and `_-./`.
import { show } from '../check.js';
import { FAMILIES, type Family } from './enums.js';

/** A bad name, family, hook, type or value: raised before anything is sent. */
export class NftValidationError extends TypeError {
  constructor(message: string) {
    super(message);
    this.name = 'NftValidationError';
  }
}

const NAME = /^[A-Za-z_][A-Za-z0-9_\-./]*$/;

export function checkName(name: unknown, what: string): string {
  if (typeof name !== 'string' || name.length === 0) throw new NftValidationError(`${what}: name must be a non-empty string`);
  // At most 3 bytes a UTF-16 unit: only long names need counting.
  if (name.length > 85 && Buffer.byteLength(name) > 255) throw new NftValidationError(`${what}: name ${show(name.slice(0, 20))}... is longer than 255 bytes`);
  if (!NAME.test(name)) throw new NftValidationError(`${what}: invalid name ${show(name)} (letters, digits, '_', '-', '.', '/'; not starting with a digit)`);
  return name;
}

export function checkFamily(family: unknown, what: string): Family {
  if (typeof family !== 'string' || !FAMILIES.byName.has(family)) {
    throw new NftValidationError(`${what}: unknown family ${show(family)} (ip, ip6, inet, arp, bridge, netdev)`);
  }
  return family as Family;
}

export function checkUint(v: unknown, max: number, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) throw new NftValidationError(`${what}: expected an integer 0..${max}, got ${show(v)}`);
  return v;
}
