// nft syntax from decoded objects, laid out as `nft list ruleset` prints
// them. Rules are "delinearised" the way nft does it: what each register
// holds is tracked, loads are folded into the match or statement that uses
// them, and protocol dependencies nft adds implicitly (`meta l4proto tcp`
// before `tcp dport`) are left out again. Sequences it cannot name are
// printed in a bracketed low-level form rather than guessed.
import { formatIp } from '../addr.js';
import type { Chain } from './chain.js';
import { printDevices } from './devices.js';
import type { Family } from './enums.js';
import { decodeKey, encodeKey, keyLength, splitType, type DataType } from './datatypes.js';
import { isVerdict, type Verdict } from './expr/data.js';
import type { Expression } from './expr/index.js';
import type { Flowtable } from './flowtable.js';
import { bitFields, fieldsCovering, keyField, payloadField, type DepKey, type Field } from './fields.js';
import type { NamedObject } from './object.js';
import type { Rule } from './rule.js';
import type { RulesetData } from './ruleset.js';
import type { NftSet, SetElement } from './set.js';
import type { Table } from './table.js';

type Src = { text: string; type?: DataType; field?: Field; words: number; bitwise?: boolean };

const CT_STATES: [number, string][] = [[1, 'invalid'], [2, 'established'], [4, 'related'], [8, 'new'], [64, 'untracked']];
const OPS: Record<string, string> = { eq: '', neq: '!= ', lt: '< ', lte: '<= ', gt: '> ', gte: '>= ' };
const ADDRTYPES = ['unspec', 'unicast', 'local', 'broadcast', 'anycast', 'multicast', 'blackhole', 'unreachable', 'prohibit'];
const ICMP_CODES: Record<number, string> = { 0: 'net-unreachable', 1: 'host-unreachable', 2: 'prot-unreachable', 3: 'port-unreachable', 9: 'net-prohibited', 10: 'host-prohibited', 13: 'admin-prohibited' };
const ICMPX_CODES = ['no-route', 'port-unreachable', 'host-unreachable', 'admin-prohibited'];

export function printVerdict(v: Verdict): string {
  if (v.kind === 'jump' || v.kind === 'goto') return `${v.kind} ${v.chain}`;
  if (v.kind === 'queue') return `queue${v.num ? ` num ${v.num}` : ''}`;
  return v.kind;
}

function hex(b: Uint8Array): string {
  return `0x${Buffer.from(b).toString('hex')}`;
}

function u32le(b: Uint8Array): number {
  return b.length === 4 ? Buffer.from(b).readUInt32LE(0) : Number.NaN;
}

/** Formats bytes as a value of a type, the way nft prints it. */
export function formatValue(b: Uint8Array, type: DataType | undefined): string {
  // A value of no known type is an integer to nft: hex without leading zeros.
  if (type === undefined) return b.length === 0 ? hex(b) : `0x${BigInt(hex(b)).toString(16)}`;
  if (type.name === 'ct_state') {
    const n = u32le(b);
    const names = CT_STATES.filter(([bit]) => n & bit).map(([, s]) => s);
    return names.length > 0 ? names.join(',') : hex(b);
  }
  if (type.name === 'fib_presence') return u32le(b) === 0 ? 'missing' : 'exists';
  if (type.name === 'fib_addrtype') return ADDRTYPES[u32le(b)] ?? hex(b);
  if (type.name === 'mark') return `0x${u32le(b).toString(16).padStart(8, '0')}`;
  // A name compared without its NUL is a prefix: `iifname "eth*"`.
  if (type.name === 'ifname') return `"${Buffer.from(b).toString('utf8').replace(/\0+$/, '')}${b.length > 0 && b[b.length - 1] !== 0 ? '*' : ''}"`;
  if (type.name === 'nf_proto') return b[0] === 2 ? 'ipv4' : b[0] === 10 ? 'ipv6' : String(b[0]);
  if (b.length !== type.len) {
    if ((type.name === 'ipv4_addr' && b.length < 4) || (type.name === 'ipv6_addr' && b.length < 16)) {
      const full = new Uint8Array(type.len);
      full.set(b);
      return `${formatIp(full)}/${b.length * 8}`;
    }
    return hex(b);
  }
  return String(type.format(b));
}

function formatKey(k: SetElement['key'], parts: DataType[] | undefined): string {
  if (k instanceof Uint8Array) {
    const typed = parts === undefined ? undefined : decodeKey(parts, k);
    if (typed === undefined) return hex(k);
    k = typed;
  }
  const values = Array.isArray(k) ? k : [k];
  return values.map((v, i) => {
    const t = parts?.[i];
    return t !== undefined && (t.name === 'mark' || t.name === 'ct_state' || t.name === 'ifname') ? formatValue(t.parse(v), t) : String(v);
  }).join(' . ');
}

// A concatenated range, per part as nft prints it: `10.0.0.1-10.0.0.9 . 80-90`, `10.1.1.1 . 22`.
function rangeText(from: SetElement['key'], to: SetElement['key'], parts: DataType[] | undefined): string {
  const a = formatKey(from, parts).split(' . ');
  const b = formatKey(to, parts).split(' . ');
  if (a.length !== b.length) return `${a.join(' . ')}-${b.join(' . ')}`;
  return a.map((x, i) => (x === b[i] ? x : `${x}-${b[i]}`)).join(' . ');
}

function keyBytes(k: SetElement['key'], parts: DataType[] | undefined): Buffer {
  if (k instanceof Uint8Array) return Buffer.from(k);
  try {
    return parts === undefined ? Buffer.alloc(0) : Buffer.from(encodeKey(parts, k));
  } catch {
    return Buffer.alloc(0);
  }
}

// What nft sorts an element by (mergesort.c), as a big-endian number: the
// key's value, so host-order types (mark, iface_type) count from their last
// byte; a concatenation is its parts' bytes, unpadded, read as one
// host-order (little-endian) number; an element with ranges in a
// concatenation counts as 0, so those keep the kernel's order.
function sortKey(e: SetElement, parts: DataType[] | undefined): Buffer {
  const b = keyBytes(e.key, parts);
  if (parts === undefined || b.length !== keyLength(parts)) return b;
  if (parts.length === 1) return parts[0]!.order === 'host' ? Buffer.from(b).reverse() : b;
  if (e.keyEnd !== undefined) return Buffer.alloc(parts.reduce((n, t) => n + t.len, 0));
  const pieces: Buffer[] = [];
  let off = 0;
  for (const t of parts) {
    pieces.push(b.subarray(off, off + t.len));
    off += (t.len + 3) & ~3;
  }
  return Buffer.concat(pieces).reverse();
}

function formatElements(s: NftSet): string[] {
  const parts = s.type.startsWith('0x') ? undefined : splitType(s.type);
  const dparts = s.map === undefined || s.map === 'verdict' || s.map.startsWith('0x') ? undefined : splitType(s.map);
  const out: string[] = [];
  // nft prints elements sorted (by sortKey), whatever order the kernel's set type keeps them in.
  const keys = new Map((s.elements ?? []).map((e) => [e, sortKey(e, parts)]));
  const els = [...(s.elements ?? [])].sort((a, b) => Buffer.compare(keys.get(a)!, keys.get(b)!) || (a.intervalEnd ? -1 : 0) - (b.intervalEnd ? -1 : 0));
  for (let i = 0; i < els.length; i++) {
    const e = els[i]!;
    if (e.intervalEnd) continue;
    const next = els[i + 1];
    let text = orRaw(e.key, () => {
      if (e.keyEnd !== undefined) return rangeText(e.key, e.keyEnd, parts);
      if (next?.intervalEnd && parts?.length === 1 && !(e.key instanceof Uint8Array)) return intervalText(e.key as string | number, next.key, parts[0]!);
      return formatKey(e.key, parts);
    });
    if (e.timeout !== undefined && e.timeout !== s.timeout) text += ` timeout ${formatTime(e.timeout)}`;
    if (e.expires !== undefined && e.timeout !== undefined) text += ` expires ${formatTime(e.expires)}`;
    if (e.counter !== undefined) text += ` counter packets ${e.counter.packets} bytes ${e.counter.bytes}`;
    if (e.comment !== undefined) text += ` comment "${e.comment}"`;
    if (e.verdict !== undefined) text += ` : ${printVerdict(e.verdict)}`;
    else if (e.value !== undefined) text += ` : ${orRaw(e.value, () => formatKey(e.value!, dparts))}`;
    out.push(text);
  }
  return out;
}

// A key or value as format() prints it; as it is when its bytes do not fit the set's type (not a set nft made).
function orRaw(v: SetElement['key'], format: () => string): string {
  try {
    return format();
  } catch {
    return v instanceof Uint8Array ? hex(v) : String(v);
  }
}

// [start, end) as nft prints it: a prefix when it is one, else start-(end-1).
function intervalText(start: string | number, endKey: SetElement['key'], t: DataType): string {
  const s = Buffer.from(t.parse(start));
  const e = Buffer.from(t.parse(endKey instanceof Uint8Array ? (t.format(endKey) as string) : (endKey as string)));
  const last = Buffer.from(e);
  for (let i = last.length - 1; i >= 0; i--) { if (last[i]! > 0) { last[i]!--; break; } last[i] = 0xff; }
  if (Buffer.compare(s, last) === 0) return String(start);
  if (t.name === 'ipv4_addr' || t.name === 'ipv6_addr') {
    const bits = s.length * 8;
    for (let p = 0; p <= bits; p++) {
      const host = bits - p;
      let ok = true;
      for (let i = 0; i < bits && ok; i++) {
        const bit = (b: Buffer) => (b[i >> 3]! >> (7 - (i & 7))) & 1;
        if (i >= p) ok = bit(s) === 0 && bit(last) === 1;
        else ok = bit(s) === bit(last);
      }
      if (ok) return host === 0 ? String(start) : `${start}/${p}`;
    }
  }
  return `${start}-${t.format(last)}`;
}

export function formatTime(ms: number): string {
  if (ms === 0) return '0s';
  let rest = ms;
  let out = '';
  for (const [unit, n] of [['d', 86400000], ['h', 3600000], ['m', 60000], ['s', 1000], ['ms', 1]] as [string, number][]) {
    if (rest >= n) {
      out += `${Math.floor(rest / n)}${unit}`;
      rest %= n;
    }
  }
  return out;
}

function formatBytes(n: number): string {
  for (const [u, m] of [['gbytes', 1 << 30], ['mbytes', 1 << 20], ['kbytes', 1 << 10]] as [string, number][]) {
    if (n >= m && n % m === 0) return `${n / m} ${u}`;
  }
  return `${n} bytes`;
}

/** Prints a rule's expressions as nft statements. */
export function printExpressions(rule: Rule, sets: (name: string) => NftSet | undefined = () => undefined): string {
  // An expression the printer cannot make sense of (fields missing, or of a
  // size nft never gives them: not a rule nft made) is printed in the
  // low-level form, and the rule printed again.
  const lowLevel = new Set<number>();
  for (;;) {
    const at = { i: -1 };
    try {
      return printWith(rule, sets, lowLevel, at);
    } catch (err) {
      if (at.i < 0 || lowLevel.has(at.i)) throw err;
      lowLevel.add(at.i);
    }
  }
}

function printWith(rule: Rule, sets: (name: string) => NftSet | undefined, lowLevel: Set<number>, at: { i: number }): string {
  const family = rule.family;
  const regs = new Map<number, Src>();
  const out: string[] = [];
  // Matches printed so far that a following field makes implicit (`meta l4proto tcp` before
  // `tcp dport`, `meta iiftype ether` before `ether type`): nft leaves them out.
  let pendingDeps: { text: string; key: DepKey; value: number }[] = [];
  const implied = (f: Field, d: { key: DepKey; value: number }) => f.deps.some((x) => x.key === d.key && x.value === d.value);
  const dropDeps = (f: Field | undefined): void => {
    if (f === undefined) return;
    for (const d of pendingDeps) {
      if (!implied(f, d)) continue;
      const at = out.lastIndexOf(d.text);
      if (at >= 0) out.splice(at, 1);
    }
    pendingDeps = pendingDeps.filter((d) => !implied(f, d));
  };
  let l4: string | undefined;
  // The network header in effect: the table's, or the one a dependency named.
  let nh: 'ip' | 'ip6' | 'arp' | undefined = family === 'ip' || family === 'ip6' || family === 'arp' ? family : undefined;
  // An equality match on a field that is a dependency (`meta l4proto tcp`, `ether type ip`) may be left out later.
  const noteDep = (f: Field | undefined, data: Uint8Array, text: string): void => {
    const dep = f?.depKey !== undefined ? depValue(f.depKey, data) : undefined;
    if (dep === undefined) return;
    pendingDeps.push({ text, key: f!.depKey!, value: dep });
    if (f!.depKey === 'l4') l4 = ({ 6: 'tcp', 17: 'udp', 132: 'sctp' } as Record<number, string>)[dep];
    else if (f!.depKey !== 'iiftype') nh = networkHeader(f!.depKey!, dep) ?? nh;
  };
  const word = (r: number): number => (r >= 8 ? r - 8 : (r - 1) * 4);
  // Only a register that is one holds a value (NaN would be a key too), and a value takes at
  // least one word: either would make the walks in keyAt endless.
  const setReg = (r: number, s: Src): void => { if (Number.isInteger(r)) regs.set(word(r), s.words >= 1 ? s : { ...s, words: 1 }); };
  const getReg = (r: number): Src | undefined => regs.get(word(r));
  const keyAt = (r: number, len: number | undefined): Src | undefined => {
    const first = getReg(r);
    if (first === undefined) return undefined;
    if (len === undefined) {
      // The set's key length is not known here: take the loads that follow one another from r.
      let w = word(r);
      while (regs.get(w) !== undefined) w += regs.get(w)!.words;
      len = (w - word(r)) * 4;
    }
    if (len === undefined || len <= first.words * 4) return first;
    const parts: Src[] = [];
    for (let w = word(r); w < word(r) + Math.ceil(len / 4);) {
      const s = regs.get(w);
      if (s === undefined) return undefined;
      parts.push(s);
      w += s.words;
    }
    return { text: parts.map((p) => p.text).join(' . '), words: Math.ceil(len / 4) };
  };

  const exprs = rule.expressions as (Expression & Record<string, unknown>)[];
  for (let i = 0; i < exprs.length; i++) {
    const e = exprs[i]!;
    at.i = i;
    if (lowLevel.has(i)) { out.push(raw(e)); continue; }
    switch (e.type) {
      case 'payload': {
        if (e.dreg !== undefined) {
          const bits = bitFields(e.base as string, e.offset as number, e.len as number);
          const f = bits.length > 0 ? undefined : payloadField(e.base as string, e.offset as number, e.len as number, nh, l4);
          // A prefix match loads only the first bytes of an address (`ip daddr 127.0.0.0/8` loads one).
          const whole = e.base === 'network_header' ? (nh === 'ip6' ? 16 : 4) : 2;
          const partial = f === undefined && bits.length === 0 && (e.len as number) < whole ? payloadField(e.base as string, e.offset as number, whole, undefined, l4) : undefined;
          const tiles = f === undefined && bits.length === 0 ? fieldsCovering(e.base as string, e.offset as number, e.len as number, nh, l4) : undefined;
          const next = exprs[i + 1];
          if (tiles !== undefined && next?.type === 'cmp' && (next.op === 'eq' || next.op === 'neq') && next.sreg === e.dreg && (next.data as Uint8Array).length === e.len) {
            // Matches nft merged into one load and compare: printed one field at a time again
            // (a merged != too, as nft prints it, though the kernel compares the whole).
            const data = next.data as Uint8Array;
            let at = 0;
            for (const t of tiles) {
              const n = (t.load(1) as { len: number }).len;
              const slice = data.subarray(at, at + n);
              at += n;
              dropDeps(t);
              const text = `${t.name} ${next.op === 'neq' ? '!= ' : ''}${formatValue(slice, t.type)}`;
              out.push(text);
              if (next.op === 'eq') noteDep(t, slice, text);
            }
            i++;
          } else if (bits.length > 0) {
            // A bit field (`vlan id`) is named by the mask that follows.
            setReg(e.dreg as number, { text: rawPayload(e.base, e.offset as number, e.len as number), words: Math.ceil((e.len as number) / 4), bitFields: bits } as Src);
          } else if (f !== undefined) {
            dropDeps(f);
            setReg(e.dreg as number, { text: f.name, type: f.type, field: f, words: Math.ceil((e.len as number) / 4) });
          } else if (partial !== undefined && e.base === 'network_header') {
            dropDeps(partial);
            setReg(e.dreg as number, { text: partial.name, type: partial.type, words: 1 });
          } else {
            setReg(e.dreg as number, { text: rawPayload(e.base, e.offset as number, e.len as number), words: Math.ceil((e.len as number) / 4) });
          }
        } else {
          const v = getReg(e.sreg as number) as (Src & { imm?: Uint8Array }) | undefined;
          const f = payloadField(e.base as string, e.offset as number, e.len as number, nh, l4);
          dropDeps(f);
          const value = v?.imm !== undefined ? formatValue(v.imm, f?.type) : v?.text ?? '?';
          out.push(`${f?.name ?? rawPayload(e.base, e.offset as number, e.len as number)} set ${value}`);
        }
        break;
      }
      case 'meta': case 'ct': {
        const f = keyField(e.type, e.key as string);
        const name = f?.name ?? (e.type === 'ct' ? `ct ${e.direction !== undefined ? `${e.direction} ` : ''}${String(e.key)}` : `meta ${String(e.key)}`);
        if (e.dreg !== undefined) {
          setReg(e.dreg as number, { text: name, ...(f !== undefined ? { type: f.type, field: f } : {}), words: e.key === 'iifname' || e.key === 'oifname' ? 4 : 1 });
        } else {
          const v = getReg(e.sreg as number) as (Src & { imm?: Uint8Array }) | undefined;
          out.push(`${name} set ${v?.imm !== undefined && f !== undefined ? formatValue(v.imm, f.type) : v?.text ?? '?'}`);
        }
        break;
      }
      case 'numgen':
        setReg(e.dreg as number, { text: `numgen ${e.mode === 'inc' ? 'inc' : 'random'} mod ${e.modulus as number}${e.offset ? ` offset ${e.offset as number}` : ''}`, words: 1 });
        break;
      case 'hash':
        setReg(e.dreg as number, { text: `${e.hashType === 'symhash' ? 'symhash' : `jhash ${getReg(e.sreg as number)?.text ?? '?'}`} mod ${e.modulus as number}${e.seed ? ` seed 0x${(e.seed as number).toString(16)}` : ''}${e.offset ? ` offset ${e.offset as number}` : ''}`, words: 1 });
        break;
      case 'fib': {
        const flags = e.flags as number;
        const what = [flags & 1 ? 'saddr' : '', flags & 2 ? 'daddr' : '', flags & 4 ? 'mark' : '', flags & 8 ? 'iif' : '', flags & 16 ? 'oif' : ''].filter(Boolean).join(' . ');
        const presence = (flags & 32) !== 0;
        setReg(e.dreg as number, { text: `fib ${what} ${e.result as string}`, words: 1, type: { name: presence ? 'fib_presence' : e.result === 'type' ? 'fib_addrtype' : 'iface_index', id: 0, len: 4, order: 'host', parse: () => new Uint8Array(4), format: (b: Uint8Array) => u32le(b) } });
        break;
      }
      case 'immediate': {
        const d = e.data;
        if (isVerdict(d)) out.push(printVerdict(d));
        else setReg(e.dreg as number, { text: hex(d as Uint8Array), words: Math.ceil((d as Uint8Array).length / 4), imm: d } as Src);
        break;
      }
      case 'bitwise': {
        const src = getReg(e.sreg as number);
        const mask = e.mask as Uint8Array | undefined;
        const xor = e.xor as Uint8Array | undefined;
        if (src === undefined || mask === undefined || xor === undefined) { out.push(raw(e)); break; }
        const bit = (src as Src & { bitFields?: Field[] }).bitFields?.find((f) => xor.every((b) => b === 0) && Buffer.compare(Buffer.from(f.mask!), Buffer.from(mask)) === 0);
        if (bit !== undefined) {
          dropDeps(bit);
          setReg(e.dreg as number, { text: bit.name, type: bit.type, field: bit, words: src.words });
          break;
        }
        const allOnes = mask.every((b) => b === 0xff);
        const xorZero = xor.every((b) => b === 0);
        const ored = mask.every((b, j) => (b ^ xor[j]!) === 0xff);
        let text: string;
        if (src.type?.name === 'ct_state' && xorZero) text = `${src.text}&${formatValue(mask, src.type)}`;
        else if (xorZero) text = `${src.text} & ${formatValue(mask, src.type)}`;
        else if (allOnes) text = `${src.text} ^ ${formatValue(xor, src.type)}`;
        else if (ored) text = `${src.text} | ${formatValue(xor, src.type)}`;
        else text = `(${src.text} & ${hex(mask)}) ^ ${hex(xor)}`;
        setReg(e.dreg as number, { ...src, text, bitwise: true, maskBytes: mask } as Src);
        break;
      }
      case 'cmp': {
        const src = getReg(e.sreg as number);
        const data = e.data as Uint8Array;
        if (src === undefined) { out.push(raw(e)); break; }
        const s = src as Src & { maskBytes?: Uint8Array };
        const nextE = exprs[i + 1];
        if (e.op === 'gte' && nextE?.type === 'cmp' && nextE.op === 'lte' && nextE.sreg === e.sreg) {
          out.push(`${src.text} ${formatValue(data, src.type)}-${formatValue(nextE.data as Uint8Array, src.type)}`);
          i++;
          break;
        }
        if (s.bitwise && src.type?.name === 'ct_state' && e.op === 'neq' && data.every((b) => b === 0)) {
          out.push(`${s.text.slice(0, s.text.indexOf('&'))} ${formatValue(s.maskBytes!, src.type)}`.replace(/ +/g, ' '));
        } else if (s.bitwise && src.type !== undefined && (src.type.name === 'ipv4_addr' || src.type.name === 'ipv6_addr') && e.op !== 'neq' && s.maskBytes) {
          const plen = s.maskBytes.reduce((n, b) => n + popcount(b), 0);
          out.push(`${s.text.slice(0, s.text.indexOf(' &'))} ${OPS[e.op as string]}${formatValue(data, src.type)}/${plen}`);
        } else {
          const op = s.bitwise && e.op === 'eq' ? '== ' : OPS[e.op as string];
          const f = src.field;
          const value = f?.mask !== undefined ? String(Buffer.from(data).readUIntBE(0, data.length) >>> f.shift!) : formatValue(data, src.type);
          const text = `${src.text} ${op}${value}`;
          out.push(text);
          if (e.op === 'eq' && !s.bitwise) noteDep(f, data, text);
          continue;
        }
        break;
      }
      case 'range': {
        const src = getReg(e.sreg as number);
        out.push(`${src?.text ?? '?'} ${e.op === 'neq' ? '!= ' : ''}${formatValue(e.from as Uint8Array, src?.type)}-${formatValue(e.to as Uint8Array, src?.type)}`);
        break;
      }
      case 'lookup': {
        // A set given inline (a transaction's anonymous set) prints as its elements.
        const set = typeof e.set === 'object' ? inlineSet(rule, e.set as NftSet) : sets(e.set as string);
        const src = keyAt(e.sreg as number, set?.keyLen);
        const anon = set !== undefined && ((set.flagBits ?? 0) & 1) !== 0;
        const target = anon ? `{ ${formatElements(set).join(', ')} }` : `@${e.set as string}`;
        const neg = ((e.flags as number | undefined) ?? 0) & 1 ? '!= ' : '';
        if (e.dreg === 0) out.push(`${src?.text ?? '?'} vmap ${target}`);
        else if (e.dreg !== undefined) setReg(e.dreg as number, { text: `${src?.text ?? '?'} map ${target}`, words: 1 });
        else out.push(`${src?.text ?? '?'} ${neg}${target}`);
        break;
      }
      case 'dynset': {
        const set = sets(e.set as string);
        const src = keyAt(e.sregKey as number, set?.keyLen);
        const stmts = ((e.exprs as Expression[] | undefined) ?? (e.expr !== undefined ? [e.expr as Expression] : []))
          .map((x) => printExpressions({ ...rule, expressions: [x] }, sets));
        const timeout = e.timeout ? ` timeout ${formatTime(e.timeout as number)}` : '';
        out.push(`${e.op as string} @${e.set as string} { ${src?.text ?? '?'}${timeout}${stmts.map((s) => ` ${s}`).join('')} }`);
        break;
      }
      case 'counter':
        out.push(`counter packets ${(e.packets as number) ?? 0} bytes ${(e.bytes as number) ?? 0}`);
        break;
      case 'objref':
        out.push(e.name !== undefined ? `${String(e.objType)} name "${e.name as string}"` : `${String(e.objType)} name ${getReg(e.setSreg as number)?.text ?? '?'} map @${e.set as string}`);
        break;
      case 'nat': {
        const addr = e.regAddrMin !== undefined ? (getReg(e.regAddrMin as number) as Src & { imm?: Uint8Array }) : undefined;
        const port = e.regProtoMin !== undefined ? (getReg(e.regProtoMin as number) as Src & { imm?: Uint8Array }) : undefined;
        const a = addr?.imm !== undefined ? formatIp(addr.imm) : addr?.text;
        const p = port?.imm !== undefined ? String(Buffer.from(port.imm).readUInt16BE(0)) : port?.text;
        const fam = family === 'inet' ? ` ${e.family as string}` : '';
        const to = a !== undefined ? (e.family === 'ip6' && p !== undefined ? `[${a}]` : a) : '';
        let text = `${e.nat as string}${fam} to ${to}${p !== undefined ? `:${p}` : ''}`;
        text += natFlags(e.flags as number | undefined);
        out.push(text);
        break;
      }
      case 'masq': case 'redir': {
        const port = e.regProtoMin !== undefined ? (getReg(e.regProtoMin as number) as Src & { imm?: Uint8Array }) : undefined;
        let text = e.type === 'masq' ? 'masquerade' : 'redirect';
        const portMax = e.regProtoMax !== undefined && e.regProtoMax !== e.regProtoMin ? (getReg(e.regProtoMax as number) as Src & { imm?: Uint8Array }) : undefined;
        if (port?.imm !== undefined) text += ` to :${Buffer.from(port.imm).readUInt16BE(0)}${portMax?.imm !== undefined ? `-${Buffer.from(portMax.imm).readUInt16BE(0)}` : ''}`;
        text += natFlags(e.flags as number | undefined);
        out.push(text);
        break;
      }
      case 'reject': {
        const code = e.code as number | undefined;
        if (e.rejectType === 'tcp reset') out.push('reject with tcp reset');
        else if (e.rejectType === 'icmpx') out.push(code === 1 ? 'reject' : `reject with icmpx ${ICMPX_CODES[code ?? 0] ?? code}`);
        else out.push(code === 3 || code === undefined ? 'reject' : `reject with ${family === 'ip6' ? 'icmpv6' : 'icmp'} ${ICMP_CODES[code] ?? code}`);
        break;
      }
      case 'limit': {
        const units: Record<number, string> = { 1: 'second', 60: 'minute', 3600: 'hour', 86400: 'day', 604800: 'week' };
        const over = ((e.flags as number | undefined) ?? 0) & 1 ? 'over ' : '';
        const bytes = e.limitType === 'bytes';
        const rate = bytes ? formatBytes(e.rate as number) : String(e.rate);
        out.push(`limit rate ${over}${rate}/${units[e.unit as number] ?? `${e.unit as number}s`}${e.burst && !(e.burst === 5 && !bytes) ? ` burst ${bytes ? formatBytes(e.burst as number) : `${e.burst as number} packets`}` : ''}`);
        break;
      }
      case 'log': {
        let t = 'log';
        if (e.prefix !== undefined) t += ` prefix "${e.prefix as string}"`;
        if (e.group !== undefined) t += ` group ${e.group as number}`;
        if (e.level !== undefined && e.level !== 4) t += ` level ${['emerg', 'alert', 'crit', 'err', 'warn', 'notice', 'info', 'debug', 'audit'][e.level as number]}`;
        out.push(t);
        break;
      }
      case 'notrack': out.push('notrack'); break;
      case 'quota': out.push(`quota ${((e.flags as number | undefined) ?? 0) & 1 ? 'over ' : ''}${formatBytes(e.bytes as number)}${e.consumed ? ` used ${formatBytes(e.consumed as number)}` : ''}`); break;
      case 'connlimit': out.push(`ct count ${((e.flags as number | undefined) ?? 0) & 1 ? 'over ' : ''}${e.count as number}`); break;
      case 'queue': out.push(`queue${e.num !== undefined ? ` num ${e.num as number}` : ''}${((e.flags as number | undefined) ?? 0) & 1 ? ' bypass' : ''}`); break;
      case 'flow_offload': out.push(`flow add @${e.flowtable as string}`); break;
      default:
        out.push(raw(e));
    }
  }
  return out.join(' ');
}

// A load nft has no field name for: `@nh,96,64` (ll, nh, th: nft's names of the bases).
function rawPayload(base: unknown, offset: number, len: number): string {
  const name = base === 'll_header' ? 'll' : base === 'network_header' ? 'nh' : base === 'transport_header' ? 'th' : String(base);
  return `@${name},${offset * 8},${len * 8}`;
}

// The number a dependency match compares with, when the data has the size it needs.
function depValue(key: DepKey, data: Uint8Array): number | undefined {
  const b = Buffer.from(data);
  switch (key) {
    case 'l4': case 'nf': return b.length === 1 ? b[0] : undefined;
    case 'proto': case 'ethertype': return b.length === 2 ? b.readUInt16BE(0) : undefined;
    case 'iiftype': return b.length === 2 ? b.readUInt16LE(0) : undefined;
  }
}

function networkHeader(key: DepKey, v: number): 'ip' | 'ip6' | 'arp' | undefined {
  if (key === 'nf') return v === 2 ? 'ip' : v === 10 ? 'ip6' : undefined;
  return v === 0x0800 ? 'ip' : v === 0x86dd ? 'ip6' : v === 0x0806 ? 'arp' : undefined;
}

function inlineSet(rule: Rule, s: Pick<NftSet, 'type' | 'map' | 'elements'>): NftSet {
  let keyLen: number | undefined;
  try { keyLen = keyLength(splitType(s.type)); } catch { keyLen = undefined; }
  return { ...s, family: rule.family, table: rule.table, name: '', flagBits: 1, ...(keyLen !== undefined ? { keyLen } : {}) };
}

function popcount(b: number): number {
  let n = 0;
  for (; b; b &= b - 1) n++;
  return n;
}

function natFlags(f: number | undefined): string {
  if (f === undefined) return '';
  const names: string[] = [];
  if (f & 4) names.push('random');
  if (f & 16) names.push('fully-random');
  if (f & 8) names.push('persistent');
  return names.length > 0 ? ` ${names.join(',')}` : '';
}

function raw(e: Record<string, unknown>): string {
  const body = Object.entries(e).filter(([k]) => k !== 'type').map(([k, v]) => `${k} ${v instanceof Uint8Array ? hex(v) : typeof v === 'object' ? JSON.stringify(v) : String(v)}`);
  return `[ ${String(e.type === 'raw' ? e.name : e.type)}${body.length > 0 ? ` ${body.join(' ')}` : ''} ]`;
}

export function printRule(r: Rule, sets?: (name: string) => NftSet | undefined): string {
  const body = printExpressions(r, sets);
  return r.comment !== undefined ? `${body} comment "${r.comment}"` : body;
}

// nft's named priorities, in the order it tries them, and where each name
// applies: a priority within 10 of the first name near it prints as that name
// (`filter + 5`) when the name fits the family and hook, else as a number.
const STD_PRIOS: [number, string][] = [[-300, 'raw'], [-150, 'mangle'], [-100, 'dstnat'], [0, 'filter'], [50, 'security'], [100, 'srcnat']];
const BRIDGE_PRIOS: [number, string][] = [[-300, 'dstnat'], [-200, 'filter'], [100, 'out'], [300, 'srcnat']];

function priorityFits(name: string, family: Family, hook: string | undefined): boolean {
  if (family === 'bridge') {
    return name === 'filter' || (name === 'dstnat' && hook === 'prerouting') || (name === 'out' && hook === 'output') || (name === 'srcnat' && hook === 'postrouting');
  }
  const inet = family === 'ip' || family === 'ip6' || family === 'inet';
  switch (name) {
    case 'filter': return inet || family === 'arp' || family === 'netdev';
    case 'raw': case 'mangle': case 'security': return inet;
    case 'dstnat': return inet && hook === 'prerouting';
    case 'srcnat': return inet && hook === 'postrouting';
    default: return false;
  }
}

/** A hook priority as nft prints it: `filter`, `dstnat - 5`, `-150`. Flowtables count as netdev ingress. */
export function priorityText(family: Family, hook: string | undefined, p: number): string {
  for (const [value, name] of family === 'bridge' ? BRIDGE_PRIOS : STD_PRIOS) {
    if (Math.abs(p - value) > 10) continue;
    if (!priorityFits(name, family, hook)) break;
    return p === value ? name : `${name} ${p > value ? '+' : '-'} ${Math.abs(p - value)}`;
  }
  return String(p);
}

/** `type T hook H [device(s) ...] priority P; [policy X;]`; listing false keeps the devices in the order given (for an nft script). */
export function printChainHeader(c: Chain, listing = true): string | undefined {
  if (c.hook === undefined) return undefined;
  const devices = c.devices !== undefined && c.devices.length > 1 ? c.devices : undefined;
  const one = c.device ?? (c.devices !== undefined && c.devices.length === 1 ? c.devices[0] : undefined);
  const dev = devices !== undefined ? ` devices = { ${printDevices(devices, listing).join(', ')} }` : one !== undefined ? ` device "${one}"` : '';
  // The kernel always reports a base chain's policy; a chain to be added may leave it to the default.
  return `type ${c.type} hook ${c.hook}${dev} priority ${priorityText(c.family, c.hook, c.priority ?? 0)};${c.policy !== undefined ? ` policy ${c.policy};` : ''}`;
}

/**
 * The statements of a flowtable's block, one per line as `nft list` prints
 * them (`hook ingress priority filter`, `devices = { ... }`, `flags offload`,
 * `counter`); with withHook false, only the devices line; listing false
 * keeps the devices in the order given (for an nft script).
 */
export function printFlowtableBody(f: Flowtable, withHook = true, listing = true): string[] {
  const lines: string[] = [];
  if (withHook) lines.push(`hook ${f.hook ?? 'ingress'} priority ${priorityText('netdev', 'ingress', f.priority ?? 0)}`);
  if (f.devices !== undefined && f.devices.length > 0) lines.push(`devices = { ${printDevices(f.devices, listing).join(', ')} }`);
  if (!withHook) return lines;
  if (f.flags?.includes('offload')) lines.push('flags offload');
  if (f.flags?.includes('counter')) lines.push('counter');
  return lines;
}

/** A flowtable as it appears inside `table ... { }`. */
export function printFlowtable(f: Flowtable, indent: string): string[] {
  return [`${indent}flowtable ${f.name} {`, ...printFlowtableBody(f).map((l) => `${indent}\t${l}`), `${indent}}`];
}

// nft's calculate_delim(), by data type.
const FIVE_A_LINE = new Set(['nf_proto', 'integer', 'arp_op', 'inet_proto', 'inet_service', 'tcp_flag', 'dccp_pkttype', 'mark', 'iface_index', 'classid', 'uid', 'gid', 'ct_dir']);
const TWO_A_LINE = new Set(['ipv4_addr', 'ct_state', 'ct_status', 'pkttype']);

export function printSet(s: NftSet, indent: string): string[] {
  const lines: string[] = [];
  const kind = s.map !== undefined ? 'map' : 'set';
  lines.push(`${indent}${kind} ${s.name} {`);
  lines.push(`${indent}\ttype ${s.type}${s.map !== undefined ? ` : ${s.map}` : ''}`);
  if (s.size !== undefined) lines.push(`${indent}\tsize ${s.size}`);
  const flags = (s.flags ?? []).filter((f) => f !== 'anonymous');
  const order = ['constant', 'dynamic', 'interval', 'timeout'];
  flags.sort((a, b) => order.indexOf(a) - order.indexOf(b));
  if (flags.length > 0) lines.push(`${indent}\tflags ${flags.join(',')}`);
  if (s.timeout !== undefined) lines.push(`${indent}\ttimeout ${formatTime(s.timeout)}`);
  if (s.gcInterval !== undefined) lines.push(`${indent}\tgc-interval ${formatTime(s.gcInterval)}`);
  if (s.counter) lines.push(`${indent}\tcounter`);
  if (s.comment !== undefined) lines.push(`${indent}\tcomment "${s.comment}"`);
  const els = formatElements(s);
  if (els.length > 0) {
    // nft puts 5 elements of a numeric type on a line, 2 addresses (or ct states), 1 of anything else.
    const type = s.type.includes('.') ? undefined : s.type.trim();
    const perLine = type === undefined ? 1 : FIVE_A_LINE.has(type) ? 5 : TWO_A_LINE.has(type) ? 2 : 1;
    const rows: string[] = [];
    for (let i = 0; i < els.length; i += perLine) rows.push(els.slice(i, i + perLine).join(', '));
    lines.push(`${indent}\telements = { ${rows.join(`,\n${indent}\t\t     `)} }`);
  }
  lines.push(`${indent}}`);
  return lines;
}

export function printObject(o: NamedObject, indent: string): string[] {
  if (o.type === 'counter') return [`${indent}counter ${o.name} {`, `${indent}\tpackets ${o.packets ?? 0} bytes ${o.bytes ?? 0}`, `${indent}}`];
  if (o.type === 'quota') return [`${indent}quota ${o.name} {`, `${indent}\t${o.over ? 'over ' : ''}${formatBytes(o.bytes ?? 0)}${o.used ? ` used ${formatBytes(o.used)}` : ''}`, `${indent}}`];
  return [`${indent}# ${String(o.type)} ${o.name}`];
}

/** One table with everything in it, as `nft list table` prints it. */
export function printTable(t: Table, r: RulesetData): string {
  const mine = <T extends { family: string; table: string }>(xs: T[]): T[] => xs.filter((x) => x.family === t.family && x.table === t.name);
  const sets = mine(r.sets);
  const setsByName = new Map(sets.map((s) => [s.name, s]));
  const find = (name: string) => setsByName.get(name);
  const blocks: string[][] = [];
  for (const o of mine(r.objects)) blocks.push(printObject(o, '\t'));
  for (const s of sets) if (!((s.flagBits ?? 0) & 1)) blocks.push(printSet(s, '\t'));
  for (const f of mine(r.flowtables ?? [])) blocks.push(printFlowtable(f, '\t'));
  const rulesByChain = new Map<string, Rule[]>();
  for (const rule of mine(r.rules)) {
    const list = rulesByChain.get(rule.chain);
    if (list === undefined) rulesByChain.set(rule.chain, [rule]);
    else list.push(rule);
  }
  for (const c of mine(r.chains)) {
    const lines = [`\tchain ${c.name} {`];
    if (c.comment !== undefined) lines.push(`\t\tcomment "${c.comment}"`);
    const h = printChainHeader(c);
    if (h !== undefined) lines.push(`\t\t${h}`);
    for (const rule of rulesByChain.get(c.name) ?? []) lines.push(`\t\t${printRule(rule, find)}`);
    lines.push('\t}');
    blocks.push(lines);
  }
  const head = [`table ${t.family} ${t.name} {`];
  if (t.comment !== undefined) head.push(`\tcomment "${t.comment}"`);
  if (t.flags !== undefined && t.flags & 1) head.push('\tflags dormant');
  return [...head, blocks.map((b) => b.join('\n')).join('\n\n'), '}'].filter((x) => x !== '').join('\n');
}

/** Elements as nft writes them inside `{ ... }`. */
export function printElements(s: NftSet): string {
  return formatElements(s).join(', ');
}

/** The whole ruleset as `nft list ruleset` prints it. */
export function printRuleset(r: RulesetData): string {
  return r.tables.map((t) => `${printTable(t, r)}\n`).join('');
}
