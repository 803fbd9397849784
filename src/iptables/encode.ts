// Typed chains -> the blob IPT_SO_SET_REPLACE takes, laid out as libiptc
// lays it out (iptcc_compile_table): the built-in chains in hook order,
// then the user chains in strcmp order, each user chain between an ERROR
// head naming it and a RETURN foot, each built-in chain ending with its
// policy, one ERROR entry closing the table; jumps become the offset of the
// target chain's first rule. Counters in the blob are zero: the handle sets
// them with IPT_SO_SET_ADD_COUNTERS.
import { encodeRuleHeader } from './entry.js';
import type { EncodeContext } from './ext/ext.js';
import { matchCodec, targetCodec, type Match } from './ext/index.js';
import type { TableInfo } from './decode.js';
import { copySource, LazyChain, sourceSize } from './lazy.js';
import { BUILTIN_CHAINS, type Chain, type Rule, type TableData, type Target } from './types.js';
import {
  align8, CHAIN_NAME_LEN, ERROR_TARGET_SIZE, EXT_HEADER, EXT_NAME_LEN, HOOK_NAMES, layoutOf, put16, put32,
  REPLACE_HEADER, STANDARD_TARGET_SIZE, VERDICT, writeCString, type Family,
} from './wire.js';

export interface Encoded {
  /** REPLACE_HEADER bytes of room for struct ipt_replace, then the entries. */
  blob: Buffer;
  info: TableInfo;
  /** Each entry's counters (packets, bytes), for the 'set' counter mode. */
  counters: BigUint64Array;
}

/** Chains in the order the blob has them: built-ins in hook order, then user chains in strcmp order. */
export function blobOrder(table: TableData): Chain[] {
  const builtins = BUILTIN_CHAINS[table.name];
  const byName = new Map(table.chains.map((c) => [c.name, c]));
  const user = table.chains.filter((c) => !(builtins as readonly string[]).includes(c.name));
  const ascii = user.every((c) => /^[\x00-\x7f]*$/.test(c.name));
  user.sort(ascii ? (a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
    : (a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)));
  return [...builtins.map((n) => byName.get(n) ?? { name: n, policy: 'ACCEPT' as const, rules: [] }), ...user];
}

function extensionSize(v: Match | Target, kind: 'match' | 'target', family: Family): number {
  if (v.name === 'raw') return EXT_HEADER + v.data.length;
  const codec = kind === 'match' ? matchCodec(v.name) : targetCodec(v.name);
  if (codec === undefined) return STANDARD_TARGET_SIZE; // a verdict or jump: the standard target
  return EXT_HEADER + align8(codec.wire(v, family).size);
}

export function ruleSize(r: Rule, family: Family): number {
  let size = layoutOf(family).size;
  if (r.matches !== undefined) for (const m of r.matches) size += extensionSize(m, 'match', family);
  return size + (r.target === undefined ? STANDARD_TARGET_SIZE : extensionSize(r.target, 'target', family));
}

function writeExtension(v: Match | Target, kind: 'match' | 'target', b: Buffer, at: number, size: number, ctx: EncodeContext): void {
  put16(b, at, size);
  if (v.name === 'raw') {
    writeCString(b, at + 2, v.extension, EXT_NAME_LEN);
    b[at + 31] = v.revision;
    b.set(v.data, at + EXT_HEADER);
    return;
  }
  const codec = (kind === 'match' ? matchCodec(v.name) : targetCodec(v.name))!;
  const wire = codec.wire(v, ctx.family);
  writeCString(b, at + 2, wire.kernel, EXT_NAME_LEN);
  b[at + 31] = wire.revision;
  codec.encode(v, b, at + EXT_HEADER, ctx);
}

function writeStandard(b: Buffer, at: number, verdict: number): void {
  put16(b, at, STANDARD_TARGET_SIZE);
  put32(b, at + EXT_HEADER, verdict);
}

function writeError(b: Buffer, off: number, family: Family, name: string): void {
  const l = layoutOf(family);
  put16(b, off + l.target_offset, l.size);
  put16(b, off + l.next_offset, l.size + ERROR_TARGET_SIZE);
  const t = off + l.size;
  put16(b, t, ERROR_TARGET_SIZE);
  writeCString(b, t + 2, 'ERROR', EXT_NAME_LEN);
  writeCString(b, t + EXT_HEADER, name, CHAIN_NAME_LEN);
}

function writeFoot(b: Buffer, off: number, family: Family, verdict: number): void {
  const l = layoutOf(family);
  put16(b, off + l.target_offset, l.size);
  put16(b, off + l.next_offset, l.size + STANDARD_TARGET_SIZE);
  writeStandard(b, off + l.size, verdict);
}

/** Lays out and writes a validated table. */
export function encodeTable(table: TableData, ctx: EncodeContext): Encoded {
  const family = table.family;
  const l = layoutOf(family);
  const chains = blobOrder(table);
  const headSize = l.size + ERROR_TARGET_SIZE;
  const footSize = l.size + STANDARD_TARGET_SIZE;
  // First pass: offsets.
  const sizes: number[][] = [];
  const firstRule = new Map<string, number>();
  let size = 0;
  let entries = 0;
  for (const c of chains) {
    const builtin = c.policy !== undefined;
    if (!builtin) {
      size += headSize;
      entries++;
    }
    firstRule.set(c.name, size);
    const source = c instanceof LazyChain ? c.source : undefined;
    if (source !== undefined) {
      // Unread since it was read from the kernel: its bytes go back as they were.
      sizes.push([]);
      size += sourceSize(source) + footSize;
      entries += source.to - source.from + 1;
      continue;
    }
    const rs = c.rules.map((r, i) => {
      const n = ruleSize(r, family);
      // target_offset and next_offset are 16 bits.
      if (n > 0xffff) throw new RangeError(`chain ${c.name} rule ${i + 1} is larger than the kernel's 64 KiB per rule`);
      return n;
    });
    sizes.push(rs);
    for (const s of rs) size += s;
    size += footSize;
    entries += c.rules.length + 1;
  }
  size += headSize;
  entries++;
  const blob = Buffer.alloc(REPLACE_HEADER + size);
  const counters = new BigUint64Array(2 * entries);
  const info: TableInfo = { validHooks: 0, hookEntry: [0, 0, 0, 0, 0], underflow: [0, 0, 0, 0, 0], numEntries: entries, size };
  // Second pass: bytes. Offsets below are relative to the entries, which start at REPLACE_HEADER.
  let off = 0;
  let index = 0;
  chains.forEach((c, ci) => {
    const builtin = c.policy !== undefined;
    if (!builtin) {
      writeError(blob, REPLACE_HEADER + off, family, c.name);
      off += headSize;
      index++;
    } else {
      const h = HOOK_NAMES.indexOf(c.name as (typeof HOOK_NAMES)[number]);
      info.validHooks |= 1 << h;
      info.hookEntry[h] = off;
    }
    const source = c instanceof LazyChain ? c.source : undefined;
    if (source !== undefined) {
      copySource(source, blob, REPLACE_HEADER + off, off, firstRule, counters, index);
      off += sourceSize(source);
      index += source.to - source.from;
    }
    if (source === undefined) c.rules.forEach((r, ri) => {
      const rsize = sizes[ci]![ri]!;
      writeRule(blob, REPLACE_HEADER + off, off, rsize, r, firstRule, ctx);
      if (r.counters !== undefined) {
        counters[2 * index] = BigInt(r.counters.packets);
        counters[2 * index + 1] = BigInt(r.counters.bytes);
      }
      off += rsize;
      index++;
    });
    if (builtin) {
      info.underflow[HOOK_NAMES.indexOf(c.name as (typeof HOOK_NAMES)[number])] = off;
      writeFoot(blob, REPLACE_HEADER + off, family, c.policy === 'DROP' ? VERDICT.DROP : VERDICT.ACCEPT);
      if (c.counters !== undefined) {
        counters[2 * index] = BigInt(c.counters.packets);
        counters[2 * index + 1] = BigInt(c.counters.bytes);
      }
    } else {
      writeFoot(blob, REPLACE_HEADER + off, family, VERDICT.RETURN);
    }
    off += footSize;
    index++;
  });
  writeError(blob, REPLACE_HEADER + off, family, 'ERROR');
  return { blob, info, counters };
}

function writeRule(b: Buffer, at: number, off: number, size: number, r: Rule, firstRule: Map<string, number>, ctx: EncodeContext): void {
  const family = ctx.family;
  const l = layoutOf(family);
  const t = r.target;
  encodeRuleHeader(r, b, at, family, t?.name === 'goto');
  let m = at + l.size;
  if (r.matches !== undefined) {
    for (const match of r.matches) {
      const msize = extensionSize(match, 'match', family);
      writeExtension(match, 'match', b, m, msize, ctx);
      m += msize;
    }
  }
  put16(b, at + l.target_offset, m - at);
  put16(b, at + l.next_offset, size);
  if (t === undefined) writeStandard(b, m, off + size);
  else if (t.name === 'jump' || t.name === 'goto') writeStandard(b, m, firstRule.get(t.chain)!);
  else if (t.name === 'ACCEPT' || t.name === 'DROP' || t.name === 'RETURN' || t.name === 'QUEUE') writeStandard(b, m, VERDICT[t.name]);
  else writeExtension(t, 'target', b, m, at + size - m, ctx);
}

