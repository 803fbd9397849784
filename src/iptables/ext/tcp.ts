// -m tcp (xt_tcp, revision 0): ports, TCP flags, an option number.
import { put16, u16, type Family } from '../wire.js';
import { checkKeys, checkUint, IptablesParseError, parseUint, type Codec, type Decoder, type OptionSpec, type Wire } from './ext.js';
import { checkPortSpec, parsePortRange, portSpec, savePortRange, type PortSpec } from './ports.js';

export type TcpFlag = 'FIN' | 'SYN' | 'RST' | 'PSH' | 'ACK' | 'URG';

/** `-p tcp -m tcp [--sport P[:P]] [--dport P[:P]] [--tcp-flags MASK COMP] [--tcp-option N]`. */
export interface TcpMatch {
  name: 'tcp';
  sourcePort?: PortSpec;
  destinationPort?: PortSpec;
  /** --tcp-flags MASK COMP (--syn is FIN,SYN,RST,ACK / SYN). */
  tcpFlags?: { mask: TcpFlag[]; compare: TcpFlag[] };
  tcpOption?: number;
  invert?: { sourcePort?: boolean; destinationPort?: boolean; tcpFlags?: boolean; tcpOption?: boolean };
}

const FLAGS: readonly TcpFlag[] = ['FIN', 'SYN', 'RST', 'PSH', 'ACK', 'URG'];
const INV_SRCPT = 0x01;
const INV_DSTPT = 0x02;
const INV_FLAGS = 0x04;
const INV_OPTION = 0x08;

export const flagBits = (flags: readonly TcpFlag[]): number => flags.reduce((m, f) => m | (1 << FLAGS.indexOf(f)), 0);
export const bitFlags = (bits: number): TcpFlag[] => FLAGS.filter((_, i) => (bits & (1 << i)) !== 0);

/** print_tcpf: the flags in table order, or NONE. */
const printFlags = (flags: readonly TcpFlag[]): string => (flags.length === 0 ? 'NONE' : bitFlags(flagBits(flags)).join(','));

/** parse_tcp_flag: comma-separated names, ALL and NONE included, any case. */
function parseFlags(s: string): TcpFlag[] {
  let bits = 0;
  for (const word of s.split(',')) {
    const w = word.toUpperCase();
    if (w === 'ALL') bits |= 0x3f;
    else if (w === 'NONE') continue;
    else if ((FLAGS as readonly string[]).includes(w)) bits |= 1 << FLAGS.indexOf(w as TcpFlag);
    else throw new IptablesParseError(`Unknown TCP flag \`${word}'`);
  }
  return bitFlags(bits);
}

function checkFlags(v: unknown, what: string): void {
  if (!Array.isArray(v) || v.some((f) => !(FLAGS as readonly unknown[]).includes(f))) {
    throw new TypeError(`${what} must be an array of ${FLAGS.join(', ')}`);
  }
}

/** Writes a port pair (spts or dpts, 4 bytes) at `at`: absent means the whole range. The inverse of readPortPair. */
export function putPortPair(b: Uint8Array, at: number, p: PortSpec | undefined): void {
  const [min, max] = p === undefined ? [0, 0xffff] : checkPortSpec(p, 'port');
  put16(b, at, min);
  put16(b, at + 2, max);
}

/** A port pair read back: undefined for the whole range unless inverted. */
export function readPortPair(b: Uint8Array, at: number, inverted: boolean): PortSpec | undefined {
  const min = u16(b, at);
  const max = u16(b, at + 2);
  return min === 0 && max === 0xffff && !inverted ? undefined : portSpec(min, max);
}

/** The --sport/--dport options of tcp, udp and sctp. */
export function portOptions<T extends { sourcePort?: PortSpec; destinationPort?: PortSpec; invert?: { sourcePort?: boolean; destinationPort?: boolean } }>(
  protocol: string,
): Record<string, OptionSpec<T>> {
  const source: OptionSpec<T> = {
    args: 1, invert: true, apply(s, [a], inv) {
      if (s.sourcePort !== undefined) throw new IptablesParseError('Only one `--source-port\' allowed');
      s.sourcePort = parsePortRange(a!, protocol, '--sport');
      if (inv) s.invert = { ...s.invert, sourcePort: true };
    },
  };
  const destination: OptionSpec<T> = {
    args: 1, invert: true, apply(s, [a], inv) {
      if (s.destinationPort !== undefined) throw new IptablesParseError('Only one `--destination-port\' allowed');
      s.destinationPort = parsePortRange(a!, protocol, '--dport');
      if (inv) s.invert = { ...s.invert, destinationPort: true };
    },
  };
  return { 'source-port': source, sport: source, 'destination-port': destination, dport: destination };
}

/** tcp_save/udp_save's port part. */
export function savePorts(sport: PortSpec | undefined, dport: PortSpec | undefined, invSport: boolean, invDport: boolean): string {
  let out = '';
  if (sport !== undefined) out += `${invSport ? ' !' : ''} --sport ${savePortRange(sport)}`;
  if (dport !== undefined) out += `${invDport ? ' !' : ''} --dport ${savePortRange(dport)}`;
  return out;
}

const WIRE: Wire = { kernel: 'tcp', revision: 0, size: 12 };

export const tcp: Codec<TcpMatch> = {
  kind: 'match',
  name: 'tcp',
  check(v, _family: Family, what) {
    checkKeys(v, ['name', 'sourcePort', 'destinationPort', 'tcpFlags', 'tcpOption', 'invert'], what);
    if (v.sourcePort !== undefined) checkPortSpec(v.sourcePort, `${what}.sourcePort`);
    if (v.destinationPort !== undefined) checkPortSpec(v.destinationPort, `${what}.destinationPort`);
    if (v.tcpFlags !== undefined) {
      checkFlags(v.tcpFlags.mask, `${what}.tcpFlags.mask`);
      checkFlags(v.tcpFlags.compare, `${what}.tcpFlags.compare`);
    }
    if (v.tcpOption !== undefined) checkUint(v.tcpOption, `${what}.tcpOption`, 255);
    if (v.invert !== undefined) checkKeys(v.invert, ['sourcePort', 'destinationPort', 'tcpFlags', 'tcpOption'], `${what}.invert`);
  },
  wire: () => WIRE,
  encode(v, b, at) {
    putPortPair(b, at, v.sourcePort);
    putPortPair(b, at + 4, v.destinationPort);
    b[at + 8] = v.tcpOption ?? 0;
    b[at + 9] = v.tcpFlags ? flagBits(v.tcpFlags.mask) : 0;
    b[at + 10] = v.tcpFlags ? flagBits(v.tcpFlags.compare) : 0;
    const i = v.invert ?? {};
    b[at + 11] = (i.sourcePort ? INV_SRCPT : 0) | (i.destinationPort ? INV_DSTPT : 0) | (i.tcpFlags ? INV_FLAGS : 0) |
      (i.tcpOption ? INV_OPTION : 0);
  },
  save(v) {
    const i = v.invert ?? {};
    let out = savePorts(v.sourcePort, v.destinationPort, i.sourcePort === true, i.destinationPort === true);
    if (v.tcpOption !== undefined || i.tcpOption) out += `${i.tcpOption ? ' !' : ''} --tcp-option ${v.tcpOption ?? 0}`;
    if (v.tcpFlags !== undefined) {
      out += `${i.tcpFlags ? ' !' : ''} --tcp-flags ${printFlags(v.tcpFlags.mask)} ${printFlags(v.tcpFlags.compare)}`;
    }
    return out;
  },
  parser: {
    init: () => ({ name: 'tcp' }),
    options: {
      ...portOptions<TcpMatch>('tcp'),
      syn: {
        args: 0, invert: true, apply(s, _a, inv) {
          if (s.tcpFlags !== undefined) throw new IptablesParseError("Only one of `--syn' or `--tcp-flags'  allowed");
          s.tcpFlags = { mask: parseFlags('SYN,RST,ACK,FIN'), compare: ['SYN'] };
          if (inv) s.invert = { ...s.invert, tcpFlags: true };
        },
      },
      'tcp-flags': {
        args: 2, invert: true, apply(s, [mask, cmp], inv) {
          if (s.tcpFlags !== undefined) throw new IptablesParseError("Only one of `--syn' or `--tcp-flags'  allowed");
          s.tcpFlags = { mask: parseFlags(mask!), compare: parseFlags(cmp!) };
          if (inv) s.invert = { ...s.invert, tcpFlags: true };
        },
      },
      'tcp-option': {
        args: 1, invert: true, apply(s, [a], inv) {
          if (s.tcpOption !== undefined) throw new IptablesParseError("Only one `--tcp-option' allowed");
          s.tcpOption = parseUint(a!, '--tcp-option', 1, 255);
          if (inv) s.invert = { ...s.invert, tcpOption: true };
        },
      },
    },
  },
};

/** spts and dpts 0:65535 and nothing else set: `-m tcp` (or udp) with no options. */
export function isDefault(b: Uint8Array, at: number): boolean {
  return u16(b, at) === 0 && u16(b, at + 2) === 0xffff && u16(b, at + 4) === 0 && u16(b, at + 6) === 0xffff &&
    b[at + 8] === 0 && b[at + 9] === 0 && b[at + 10] === 0 && b[at + 11] === 0;
}

// Shared by every option-less -m tcp of a decoded table (frozen).
const TCP_ANY: TcpMatch = Object.freeze({ name: 'tcp' });

export const tcpDecoder: Decoder = {
  kind: 'match',
  kernel: 'tcp',
  decode(b, at, len, revision) {
    if (revision !== 0 || len < 12) return undefined;
    const inv = b[at + 11]!;
    const flgMask = b[at + 9]!;
    const flgCmp = b[at + 10]!;
    // Bits iptables cannot name, or a compare byte it would not print: kept raw.
    if ((flgMask | flgCmp) & 0xc0 || inv & ~0x0f || (flgMask === 0 && flgCmp !== 0 && !(inv & INV_FLAGS))) return undefined;
    if (isDefault(b, at)) return TCP_ANY;
    const m: TcpMatch = { name: 'tcp' };
    const sp = readPortPair(b, at, (inv & INV_SRCPT) !== 0);
    const dp = readPortPair(b, at + 4, (inv & INV_DSTPT) !== 0);
    if (sp !== undefined) m.sourcePort = sp;
    if (dp !== undefined) m.destinationPort = dp;
    if (flgMask !== 0 || inv & INV_FLAGS) m.tcpFlags = { mask: bitFlags(flgMask), compare: bitFlags(flgCmp) };
    if (b[at + 8] !== 0 || inv & INV_OPTION) m.tcpOption = b[at + 8]!;
    if (inv !== 0) {
      m.invert = {};
      if (inv & INV_SRCPT) m.invert.sourcePort = true;
      if (inv & INV_DSTPT) m.invert.destinationPort = true;
      if (inv & INV_FLAGS) m.invert.tcpFlags = true;
      if (inv & INV_OPTION) m.invert.tcpOption = true;
    }
    return m;
  },
};
