// Friendly builders for the matches and statements a load balancer needs,
// so rules are written without assigning registers by hand. Each returns
// the expressions nft itself would generate for the same text.
//
//   rule('ip', 'kube-proxy', 'ep-1',
//     match('ip saddr', '10.0.1.1'), jump('mark-for-masquerade'))
//   rule('ip', 'kube-proxy', 'services',
//     vmap(['ip daddr', 'meta l4proto', 'th dport'], 'service-ips'))
import { parseCidr } from '../addr.js';
import { boolean, denseArray, integer, own, plainObject, show } from '../check.js';
import { checkName } from './names.js';
import { checkVerdict } from './expr/data.js';
import { encodeKey, keyLength, type Value } from './datatypes.js';
import type { Family } from './enums.js';
import type { Expression } from './expr/index.js';
import type { Verdict } from './expr/data.js';
import { field, type FieldName } from './fields.js';
import type { Rule } from './rule.js';
import type { SetElement } from './set.js';
import type { InlineLookup } from './transaction.js';
import * as U from './uapi.js';

export type Op = '==' | '!=' | '<' | '<=' | '>' | '>=';
const CMP: Record<Op, 'eq' | 'neq' | 'lt' | 'lte' | 'gt' | 'gte'> = { '==': 'eq', '!=': 'neq', '<': 'lt', '<=': 'lte', '>': 'gt', '>=': 'gte' };
const R1 = U.NFT_REG_1;

/** A rule from expression fragments (arrays are flattened). */
export function rule(family: Family, table: string, chain: string, ...parts: (Expression | Expression[])[]): Rule {
  return { family, table, chain, expressions: parts.flat() };
}

// The register nft uses for the i-th 32-bit word of a key: NFT_REG_1 for the
// first field, then NFT_REG32_xx for the words after it.
function keyReg(word: number): number {
  return word === 0 ? R1 : U.NFT_REG32_00 + word;
}

function dependency(name: FieldName | string): Expression[] {
  const f = field(name);
  if (f.l4proto === undefined) return [];
  return [{ type: 'meta', key: 'l4proto', dreg: R1 }, { type: 'cmp', sreg: R1, op: 'eq', data: Uint8Array.of(f.l4proto) }];
}

function popcount(b: number): number {
  let n = 0;
  for (; b; b &= b - 1) n++;
  return n;
}

function prefixBytes(len: number, plen: number): Uint8Array {
  const m = new Uint8Array(len);
  for (let i = 0; i < plen; i++) m[i >> 3]! |= 0x80 >> (i & 7);
  return m;
}

// The cmp op of a match's operator (TypeError for anything else).
function cmpOp(op: unknown, what: string): 'eq' | 'neq' | 'lt' | 'lte' | 'gt' | 'gte' {
  const c = own(CMP, op);
  if (c === undefined) throw new TypeError(`${what}: op must be one of ${Object.keys(CMP).join(' ')}, got ${show(op)}`);
  return c;
}

/**
 * A match on one field: `ip saddr 10.0.0.0/8`, `tcp dport 80`, `tcp dport 1000-2000`
 * (pass [1000, 2000]), `meta l4proto tcp`, `iifname "eth0"`, `meta mark 0x4000`,
 * `ether type ip6`, `vlan id 10`. Only the l4 protocol is checked first: where
 * nft adds `meta iiftype ether`, `ether type 8021q` or `meta protocol ip` (netdev
 * and bridge tables), add those matches in front.
 */
export function match(name: FieldName, value: Value | [Value, Value], op: Op = '=='): Expression[] {
  const f = field(name);
  cmpOp(op, 'match');
  const scalar = (v: unknown): boolean => typeof v === 'string' || typeof v === 'number';
  if (!(scalar(value) || (Array.isArray(value) && value.length === 2 && scalar(value[0]) && scalar(value[1])))) {
    throw new TypeError(`match: ${name} takes a string, a number or a [from, to] pair, got ${show(value)}`);
  }
  const load = f.load(R1) as Expression & { len?: number };
  const out: Expression[] = [...dependency(name)];
  if (f.mask !== undefined) {
    // A bit field: the bytes it is in, masked, compared with the value moved into place.
    const n = typeof value === 'number' ? value : Number(value);
    const bits = f.mask.reduce((c, b) => c + popcount(b), 0);
    if (Array.isArray(value) || !Number.isInteger(n) || n < 0 || n >= 2 ** bits) throw new TypeError(`match: ${name} takes an integer 0..${2 ** bits - 1}`);
    const len = f.mask.length;
    const data = Buffer.alloc(len);
    data.writeUIntBE(n * 2 ** f.shift!, 0, len);
    out.push(load, { type: 'bitwise', sreg: R1, dreg: R1, op: 'mask_xor', len, mask: f.mask, xor: new Uint8Array(len) }, { type: 'cmp', sreg: R1, op: cmpOp(op, 'match'), data });
    return out;
  }
  if (Array.isArray(value)) {
    if (op !== '==' && op !== '!=') throw new TypeError('match: ranges take == or !=');
    out.push(load, { type: 'range', sreg: R1, op: cmpOp(op, 'match') as 'eq' | 'neq', from: f.type.parse(value[0]), to: f.type.parse(value[1]) });
    return out;
  }
  if (typeof value === 'string' && value.includes('/') && (f.type.name === 'ipv4_addr' || f.type.name === 'ipv6_addr')) {
    const c = parseCidr(value, name);
    const len = c.bytes.length;
    if (c.prefixLength % 8 === 0 && c.prefixLength < len * 8) {
      // nft compares only the prefix bytes: `ip daddr 127.0.0.0/8` loads 1 byte.
      const n = c.prefixLength / 8;
      out.push({ ...(load as object), len: n } as Expression, { type: 'cmp', sreg: R1, op: cmpOp(op, 'match'), data: c.bytes.subarray(0, n) });
      return out;
    }
    if (c.prefixLength < len * 8) {
      const mask = prefixBytes(len, c.prefixLength);
      out.push(load, { type: 'bitwise', sreg: R1, dreg: R1, len, mask, xor: new Uint8Array(len) },
        { type: 'cmp', sreg: R1, op: cmpOp(op, 'match'), data: c.bytes.map((b, i) => b & mask[i]!) });
      return out;
    }
    value = value.slice(0, value.indexOf('/'));
  }
  out.push(load, { type: 'cmp', sreg: R1, op: cmpOp(op, 'match'), data: f.type.parse(value) });
  return out;
}

/** `ct state established,related` (any of the states). */
export function ctState(...states: ('new' | 'established' | 'related' | 'invalid' | 'untracked')[]): Expression[] {
  const bits: Record<string, number> = { invalid: 1, established: 2, related: 4, new: 8, untracked: 64 };
  let m = 0;
  denseArray(states, 'ctState: states').forEach((s, i) => {
    const bit = own(bits, s);
    if (bit === undefined) throw new TypeError(`ctState: states[${i}]: unknown ct state ${show(s)} (${Object.keys(bits).join(', ')})`);
    m |= bit;
  });
  if (states.length === 0) throw new TypeError('ctState: at least one state is needed');
  const mask = Buffer.alloc(4);
  mask.writeUInt32LE(m);
  return [{ type: 'ct', key: 'state', dreg: R1 }, { type: 'bitwise', sreg: R1, dreg: R1, len: 4, mask, xor: new Uint8Array(4) },
    { type: 'cmp', sreg: R1, op: 'neq', data: new Uint8Array(4) }];
}

/** `meta mark & MASK == VALUE` (`== 0` with value 0: the bit is clear). */
export function markMasked(mask: number, value: number, op: '==' | '!=' = '=='): Expression[] {
  integer(mask, 'markMasked: mask', 0, 0xffffffff);
  integer(value, 'markMasked: value', 0, 0xffffffff);
  if (op !== '==' && op !== '!=') throw new TypeError(`markMasked: op must be == or !=, got ${show(op)}`);
  const le = (n: number) => { const b = Buffer.alloc(4); b.writeUInt32LE(n >>> 0); return b; };
  return [{ type: 'meta', key: 'mark', dreg: R1 }, { type: 'bitwise', sreg: R1, dreg: R1, len: 4, op: 'mask_xor', mask: le(mask), xor: le(0) },
    { type: 'cmp', sreg: R1, op: cmpOp(op, 'markMasked'), data: le(value) }];
}

// A single field name or a list of them, as a list (TypeError for anything else).
function fieldNames(names: unknown, what: string): FieldName[] {
  const ns = Array.isArray(names) ? denseArray<FieldName>(names, what) : [names as FieldName];
  if (ns.length === 0) throw new TypeError(`${what}: at least one field is needed`);
  ns.forEach((n, i) => { if (typeof n !== 'string') throw new TypeError(`${what}[${i}]: expected a field name like 'ip daddr', got ${show(n)}`); });
  return ns;
}

/** Loads fields into consecutive registers as a (possibly concatenated) key; returns the loads. */
export function loadKey(names: FieldName[]): Expression[] {
  let word = 0;
  return fieldNames(names, 'key fields').map((n) => {
    const f = field(n);
    const e = f.load(keyReg(word));
    word += ((f.type.len + 3) & ~3) / 4;
    return e;
  });
}

/** `KEY @set` (membership) or `KEY != @set`. */
export function inSet(names: FieldName | FieldName[], set: string, negate = false): Expression[] {
  boolean(negate, 'inSet: negate');
  checkName(set, 'inSet: set');
  const ns = fieldNames(names, 'inSet: names');
  return [...loadKey(ns), { type: 'lookup', set, sreg: R1, ...(negate ? { flags: U.NFT_LOOKUP_F_INV } : {}) }];
}

/** `KEY vmap @map`: jump/goto by a verdict map. */
export function vmap(names: FieldName | FieldName[], map: string): Expression[] {
  checkName(map, 'vmap: map');
  const ns = fieldNames(names, 'vmap: names');
  return [...loadKey(ns), { type: 'lookup', set: map, sreg: R1, dreg: U.NFT_REG_VERDICT }];
}

/**
 * `numgen random mod N vmap { 0 : goto a, 1 : goto b }`: spread across
 * chains (an anonymous verdict map made with the rule).
 */
export function numgenVmap(targets: Verdict[], mode: 'random' | 'inc' = 'random'): Expression[] {
  if (denseArray(targets, 'numgenVmap: targets').length === 0) throw new RangeError('numgenVmap: targets must not be empty');
  if (mode !== 'random' && mode !== 'inc') throw new TypeError(`numgenVmap: mode must be random or inc, got ${show(mode)}`);
  targets.forEach((v, i) => verdictOf(v, `numgenVmap: targets[${i}]`));
  const elements: SetElement[] = targets.map((v, i) => ({ key: i, verdict: v }));
  const lookup: InlineLookup = { type: 'lookup', sreg: R1, dreg: U.NFT_REG_VERDICT, set: { type: 'integer', map: 'verdict', elements } };
  return [{ type: 'numgen', dreg: R1, modulus: targets.length, mode, offset: 0 }, lookup as unknown as Expression];
}

/** `update @set { KEY }` (refresh or add, with the set's timeout), or `add @set { KEY timeout T }`. */
export function updateSet(set: string, names: FieldName | FieldName[], options: { op?: 'add' | 'update'; timeoutMs?: number } = {}): Expression[] {
  checkName(set, 'updateSet: set');
  const ns = fieldNames(names, 'updateSet: names');
  plainObject(options, 'updateSet: options');
  if (options.op !== undefined && options.op !== 'add' && options.op !== 'update') throw new TypeError(`updateSet: options.op must be add or update, got ${show(options.op)}`);
  if (options.timeoutMs !== undefined) integer(options.timeoutMs, 'updateSet: options.timeoutMs', 0, 2 ** 48);
  return [...loadKey(ns), { type: 'dynset', set, op: options.op ?? 'update', sregKey: R1, ...(options.timeoutMs !== undefined ? { timeout: options.timeoutMs } : {}) }];
}

// A verdict's kind and chain, checked (a plain object, not a class instance).
function verdictOf(v: Verdict, what: string): Verdict {
  plainObject(v, what);
  return checkVerdict(v, what);
}

/** An immediate verdict (`accept`, `jump CHAIN`, ...). */
export const verdict = (v: Verdict): Expression => ({ type: 'immediate', dreg: U.NFT_REG_VERDICT, data: verdictOf(v, 'verdict') });
/** `accept` */
export const accept = (): Expression => verdict({ kind: 'accept' });
/** `drop` */
export const drop = (): Expression => verdict({ kind: 'drop' });
/** `return` */
export const ret = (): Expression => verdict({ kind: 'return' });
/** `jump CHAIN` */
export const jump = (chain: string): Expression => verdict({ kind: 'jump', chain });
/** `goto CHAIN` */
export const goto = (chain: string): Expression => verdict({ kind: 'goto', chain });
/** `counter` (sent without values, as nft sends it; the kernel starts at 0) */
export const counter = (): Expression => ({ type: 'counter' });
/** `flow add @FLOWTABLE`: offload the connection to a flowtable of the rule's table (forward chains only). */
export const flowAdd = (flowtable: string): Expression => ({ type: 'flow_offload', flowtable: checkName(flowtable, 'flowAdd: flowtable') });

/** `dnat to ADDR[:PORT]` (ip or ip6 by the address). */
export function dnat(address: string, port?: number, options: { flags?: number; family?: 'ip' | 'ip6' } = {}): Expression[] {
  return natTo('dnat', address, port, options);
}

/** `snat to ADDR[:PORT]`. */
export function snat(address: string, port?: number, options: { flags?: number; family?: 'ip' | 'ip6' } = {}): Expression[] {
  return natTo('snat', address, port, options);
}

function natTo(kind: 'snat' | 'dnat', address: string, port: number | undefined, options: { flags?: number; family?: 'ip' | 'ip6' }): Expression[] {
  if (typeof options !== 'object' || options === null) throw new TypeError(`${kind}: options must be an object, got ${show(options)}`);
  if (port !== undefined) integer(port, `${kind}: port`, 0, 0xffff);
  if (options.flags !== undefined) integer(options.flags, `${kind}: options.flags`, 0, 0xffffffff);
  const a = parseCidr(address, kind);
  if (options.family !== undefined && options.family !== (a.family === 4 ? 'ip' : 'ip6')) {
    throw new TypeError(`${kind}: options.family ${show(options.family)} does not match the address ${show(address)}`);
  }
  // As nft sends it: min registers only; the kernel fills in max and NF_NAT_RANGE_MAP_IPS.
  const out: Expression[] = [{ type: 'immediate', dreg: R1, data: a.bytes }];
  let flags = options.flags ?? 0;
  if (port !== undefined) {
    out.push({ type: 'immediate', dreg: U.NFT_REG_2, data: encodeKey([field('th dport').type], port) });
    flags |= U.NF_NAT_RANGE_PROTO_SPECIFIED;
  }
  out.push({
    type: 'nat', nat: kind, family: a.family === 4 ? 'ip' : 'ip6', regAddrMin: R1,
    ...(port !== undefined ? { regProtoMin: U.NFT_REG_2 } : {}),
    ...(flags !== 0 ? { flags } : {}),
  });
  return out;
}

/** NAT flags by nft's names. */
export const NAT_FLAGS = { random: U.NF_NAT_RANGE_PROTO_RANDOM, persistent: U.NF_NAT_RANGE_PERSISTENT, 'fully-random': U.NF_NAT_RANGE_PROTO_RANDOM_FULLY };

/** `masquerade [random|persistent|fully-random]`. */
export function masquerade(...flags: (keyof typeof NAT_FLAGS)[]): Expression {
  const f = flags.reduce((n, x, i) => {
    const bit = own(NAT_FLAGS, x);
    if (bit === undefined) throw new TypeError(`masquerade: flags[${i}]: unknown flag ${show(x)} (${Object.keys(NAT_FLAGS).join(', ')})`);
    return n | bit;
  }, 0);
  return f === 0 ? { type: 'masq' } : { type: 'masq', flags: f };
}

/** `meta mark set meta mark | BITS` (kube-proxy's masquerade marking). */
export function orMark(bits: number): Expression[] {
  integer(bits, 'orMark: bits', 0, 0xffffffff);
  const le = (n: number) => { const b = Buffer.alloc(4); b.writeUInt32LE(n >>> 0); return b; };
  return [{ type: 'meta', key: 'mark', dreg: R1 }, { type: 'bitwise', sreg: R1, dreg: R1, op: 'mask_xor', len: 4, mask: le(~bits), xor: le(bits) },
    { type: 'meta', key: 'mark', sreg: R1 }];
}

/** `meta mark set VALUE`. */
export function setMark(value: number): Expression[] {
  integer(value, 'setMark: value', 0, 0xffffffff);
  const b = Buffer.alloc(4);
  b.writeUInt32LE(value >>> 0);
  return [{ type: 'immediate', dreg: R1, data: b }, { type: 'meta', key: 'mark', sreg: R1 }];
}

/** `fib daddr type local`. */
export function fibDaddrLocal(): Expression[] {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(2);
  return [{ type: 'fib', flags: U.NFTA_FIB_F_DADDR, result: 'type', dreg: R1 }, { type: 'cmp', sreg: R1, op: 'eq', data: b }];
}

/** `reject` (icmp port-unreachable) or `reject with tcp reset`. */
export function reject(kind: 'icmp port-unreachable' | 'tcp reset' | 'icmpx port-unreachable' | 'icmpx admin-prohibited' = 'icmp port-unreachable'): Expression {
  switch (kind) {
    case 'tcp reset': return { type: 'reject', rejectType: 'tcp reset', code: 0 };
    case 'icmpx port-unreachable': return { type: 'reject', rejectType: 'icmpx', code: U.NFT_REJECT_ICMPX_PORT_UNREACH };
    case 'icmpx admin-prohibited': return { type: 'reject', rejectType: 'icmpx', code: U.NFT_REJECT_ICMPX_ADMIN_PROHIBITED };
    case 'icmp port-unreachable': return { type: 'reject', rejectType: 'icmp', code: 3 };
    default: throw new TypeError(`reject: unknown kind ${show(kind)} (icmp port-unreachable, tcp reset, icmpx port-unreachable, icmpx admin-prohibited)`);
  }
}

/** `log [prefix "..."]`. */
export function log(prefix?: string): Expression {
  if (prefix !== undefined && (typeof prefix !== 'string' || prefix.includes('\0') || Buffer.byteLength(prefix) > 127)) {
    throw new TypeError(`log: prefix must be a string of at most 127 bytes without NUL, got ${show(prefix)}`);
  }
  return prefix === undefined ? { type: 'log' } : { type: 'log', prefix };
}

/** `limit rate N/second [burst B packets]`. */
export function limit(rate: number, per: 'second' | 'minute' | 'hour' | 'day' = 'second', burst = 5): Expression {
  const unit = own({ second: 1, minute: 60, hour: 3600, day: 86400 }, per);
  if (unit === undefined) throw new TypeError(`limit: per must be second, minute, hour or day, got ${show(per)}`);
  integer(rate, 'limit: rate', 1, Number.MAX_SAFE_INTEGER);
  integer(burst, 'limit: burst', 0, 0xffffffff);
  return { type: 'limit', rate, unit, burst, limitType: 'packets', flags: 0 };
}

/** An element key for a set of these fields (validates widths). */
export function key(names: FieldName[], values: Value[]): Uint8Array {
  const parts = fieldNames(names, 'key: names').map((n) => field(n).type);
  if (denseArray(values, 'key: values').length !== parts.length) throw new TypeError(`key: ${parts.length} fields but ${values.length} values`);
  const b = encodeKey(parts, values);
  if (b.length !== keyLength(parts)) throw new TypeError('key: wrong width');
  return b;
}
