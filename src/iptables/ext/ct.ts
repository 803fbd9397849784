// -j CT (xt_ct_target_info revision 0, xt_ct_target_info_v1 revisions 1
// and 2): conntrack templates (notrack, zone, helper, timeout policy,
// event masks), and -j NOTRACK, which iptables 1.8.9 writes as CT
// revision 2 with the notrack-alias flag.
import { put16, put32, readCString, u16, u32, writeCString, type Family } from '../wire.js';
import { checkFixedString, checkKeys, checkUint, IptablesParseError, parseUint, saveWord, type Codec, type Decoder, type Wire } from './ext.js';

export type CtEvent = 'new' | 'related' | 'destroy' | 'reply' | 'assured' | 'protoinfo' | 'helper' | 'mark' | 'natseqinfo' | 'secmark';

/**
 * `-j CT [--notrack] [--helper NAME] [--timeout NAME] [--ctevents EV,...] [--expevents new]
 * [--zone N|mark | --zone-orig N|mark | --zone-reply N|mark]`.
 */
export interface CtTarget {
  name: 'CT';
  notrack?: boolean;
  helper?: string;
  timeout?: string;
  ctevents?: CtEvent[];
  expevents?: 'new'[];
  zone?: number | 'mark';
  /** --zone-orig / --zone-reply: the zone applies to one direction only. */
  zoneDirection?: 'orig' | 'reply';
  /** 0, 1: older structs (as read from the kernel); default 2. */
  revision?: 0 | 1 | 2;
}

/** `-j NOTRACK`. */
export interface NotrackTarget {
  name: 'NOTRACK';
  /** 0: the kernel's own NOTRACK target (as read from the kernel); default: CT revision 2 as NOTRACK. */
  revision?: 0 | 1 | 2;
}

const NOTRACK = 1;
const NOTRACK_ALIAS = 2;
const ZONE_DIR_ORIG = 4;
const ZONE_DIR_REPL = 8;
const ZONE_MARK = 16;
// ct_event_tbl order and bits (IPCT_*).
const CT_EVENTS: readonly CtEvent[] = ['new', 'related', 'destroy', 'reply', 'assured', 'protoinfo', 'helper', 'mark', 'natseqinfo', 'secmark'];

const size = (rev: number): number => (rev === 0 ? 40 : 72);

function parseEvents(arg: string, table: readonly string[], what: string): string[] {
  const out = new Set<string>();
  for (const e of arg.split(',')) {
    if (!table.includes(e)) throw new IptablesParseError(`Unknown event type "${e}"`);
    out.add(e);
  }
  return table.filter((e) => out.has(e));
  void what;
}

const CT_WIRE: readonly Wire[] = [0, 1, 2].map((revision) => ({ kernel: 'CT', revision, size: size(revision) }));
const NOTRACK_WIRE: Wire = { kernel: 'NOTRACK', revision: 0, size: 0 };

export const ct: Codec<CtTarget> = {
  kind: 'target',
  name: 'CT',
  check(v, _family: Family, what) {
    checkKeys(v, ['name', 'notrack', 'helper', 'timeout', 'ctevents', 'expevents', 'zone', 'zoneDirection', 'revision'], what);
    if (v.helper !== undefined) checkFixedString(v.helper, `${what}.helper`, 16);
    if (v.timeout !== undefined) checkFixedString(v.timeout, `${what}.timeout`, 32);
    if (v.ctevents !== undefined && (!Array.isArray(v.ctevents) || v.ctevents.some((e) => !CT_EVENTS.includes(e)))) {
      throw new TypeError(`${what}.ctevents must be an array of ${CT_EVENTS.join(', ')}`);
    }
    if (v.expevents !== undefined && (!Array.isArray(v.expevents) || v.expevents.some((e) => e !== 'new'))) throw new TypeError(`${what}.expevents must be ['new']`);
    if (v.zone !== undefined && v.zone !== 'mark') checkUint(v.zone, `${what}.zone`, 0xffff);
    if (v.zoneDirection !== undefined && v.zoneDirection !== 'orig' && v.zoneDirection !== 'reply') throw new TypeError(`${what}.zoneDirection must be orig or reply`);
    if (v.revision !== undefined && ![0, 1, 2].includes(v.revision)) throw new RangeError(`${what}.revision must be 0, 1 or 2`);
    if (v.revision === 0 && v.timeout !== undefined) throw new RangeError(`${what}: revision 0 has no timeout`);
  },
  wire: (v) => CT_WIRE[v.revision ?? 2]!,
  encode(v, b, at) {
    let flags = v.notrack ? NOTRACK : 0;
    if (v.zone === 'mark') flags |= ZONE_MARK;
    if (v.zoneDirection === 'orig') flags |= ZONE_DIR_ORIG;
    if (v.zoneDirection === 'reply') flags |= ZONE_DIR_REPL;
    put16(b, at, flags);
    put16(b, at + 2, typeof v.zone === 'number' ? v.zone : 0);
    put32(b, at + 4, (v.ctevents ?? []).reduce((m, e) => m | (1 << CT_EVENTS.indexOf(e)), 0));
    put32(b, at + 8, v.expevents?.length ? 1 : 0);
    if (v.helper !== undefined) writeCString(b, at + 12, v.helper, 16);
    if (v.timeout !== undefined) writeCString(b, at + 28, v.timeout, 32);
  },
  save(v) {
    let out = v.notrack ? ' --notrack' : '';
    if (v.helper) out += ` --helper${saveWord(v.helper)}`;
    if (v.timeout) out += ` --timeout${saveWord(v.timeout)}`;
    if (v.ctevents?.length) out += ` --ctevents ${CT_EVENTS.filter((e) => v.ctevents!.includes(e)).join(',')}`;
    if (v.expevents?.length) out += ' --expevents new';
    if (v.zone === 'mark' || v.zone) {
      const dir = v.zoneDirection === 'orig' ? '-orig' : v.zoneDirection === 'reply' ? '-reply' : '';
      out += ` --zone${dir} ${v.zone === 'mark' ? 'mark' : v.zone}`;
    }
    return out;
  },
  parser: {
    init: () => ({ name: 'CT' }),
    options: {
      notrack: { args: 0, apply(s) { s.notrack = true; } },
      helper: { args: 1, apply(s, [a]) { s.helper = a!; } },
      timeout: { args: 1, apply(s, [a]) { s.timeout = a!; } },
      ctevents: { args: 1, apply(s, [a]) { s.ctevents = parseEvents(a!, CT_EVENTS, '--ctevents') as CtEvent[]; } },
      expevents: { args: 1, apply(s, [a]) { s.expevents = parseEvents(a!, ['new'], '--expevents') as 'new'[]; } },
      ...Object.fromEntries((['zone', 'zone-orig', 'zone-reply'] as const).map((o) => [o, {
        args: 1 as const, apply(s: CtTarget, [a]: string[]) {
          s.zone = a!.toLowerCase() === 'mark' ? 'mark' : parseUint(a!, `--${o}`, 0, 0xffff);
          if (o === 'zone-orig') s.zoneDirection = 'orig';
          else if (o === 'zone-reply') s.zoneDirection = 'reply';
          if (s.zone === 0 && s.zoneDirection === undefined) delete s.zone;
        },
      }])),
    },
  },
};

export const notrack: Codec<NotrackTarget> = {
  kind: 'target',
  name: 'NOTRACK',
  check(v, _family: Family, what) {
    checkKeys(v, ['name', 'revision'], what);
    if (v.revision !== undefined && ![0, 1, 2].includes(v.revision)) throw new RangeError(`${what}.revision must be 0, 1 or 2`);
  },
  wire: (v) => (v.revision === 0 ? NOTRACK_WIRE : CT_WIRE[v.revision ?? 2]!),
  printName: () => 'NOTRACK',
  encode(v, b, at) {
    if (v.revision !== 0) put16(b, at, NOTRACK | NOTRACK_ALIAS);
  },
  save: () => '',
  parser: { init: () => ({ name: 'NOTRACK' }), options: {} },
};

export const ctDecoder: Decoder = {
  kind: 'target',
  kernel: 'CT',
  decode(b, at, len, revision) {
    if (revision > 2 || len < size(revision)) return undefined;
    const flags = u16(b, at);
    if (flags & ~0x1f || u32(b, at + 8) > 1 || u32(b, at + 4) >= 1 << CT_EVENTS.length) return undefined;
    if (flags & NOTRACK_ALIAS) {
      if (flags !== (NOTRACK | NOTRACK_ALIAS) || u16(b, at + 2) !== 0 || u32(b, at + 4) !== 0 || u32(b, at + 8) !== 0 ||
        b[at + 12] !== 0 || (revision > 0 && b[at + 28] !== 0)) return undefined;
      const n: NotrackTarget = { name: 'NOTRACK' };
      if (revision !== 2) n.revision = revision as 1;
      return n;
    }
    const v: CtTarget = { name: 'CT' };
    if (flags & NOTRACK) v.notrack = true;
    const helper = readCString(b, at + 12, 16);
    if (helper !== '') v.helper = helper;
    if (revision > 0) {
      const timeout = readCString(b, at + 28, 32);
      if (timeout !== '') v.timeout = timeout;
    }
    const events = u32(b, at + 4);
    if (events) v.ctevents = CT_EVENTS.filter((_, i) => (events & (1 << i)) !== 0);
    if (u32(b, at + 8)) v.expevents = ['new'];
    const zone = u16(b, at + 2);
    if (flags & ZONE_MARK) {
      if (zone !== 0) return undefined;
      v.zone = 'mark';
    } else if (zone !== 0) v.zone = zone;
    const dir = flags & (ZONE_DIR_ORIG | ZONE_DIR_REPL);
    if (dir === ZONE_DIR_ORIG) v.zoneDirection = 'orig';
    else if (dir === ZONE_DIR_REPL) v.zoneDirection = 'reply';
    else if (dir !== 0) return undefined;
    if (revision !== 2) v.revision = revision as 0;
    return v;
  },
};

export const notrackDecoder: Decoder = {
  kind: 'target',
  kernel: 'NOTRACK',
  decode: (_b, _at, _len, revision) => (revision === 0 ? { name: 'NOTRACK', revision: 0 } satisfies NotrackTarget : undefined),
};
