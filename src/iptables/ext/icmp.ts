// -m icmp (ipt_icmp) and -m icmp6 (ip6t_icmp), revision 0: type and code range.
import type { Family } from '../wire.js';
import { checkKeys, checkUint, IptablesParseError, type Codec, type Decoder, type Wire } from './ext.js';

/** `-p icmp -m icmp [!] --icmp-type TYPE[/CODE]` (IPv4). */
export interface IcmpMatch {
  name: 'icmp';
  /** The ICMP type; 'any' matches every type. */
  type: number | 'any';
  /** One code or a range; absent: every code. */
  code?: number | { from: number; to: number };
  invert?: boolean;
}

/** `-p ipv6-icmp -m icmp6 [!] --icmpv6-type TYPE[/CODE]` (IPv6). */
export interface Icmp6Match {
  name: 'icmp6';
  type: number;
  code?: number | { from: number; to: number };
  invert?: boolean;
}

// libxt_icmp.h (iptables 1.8.9): name, type, code_min, code_max.
const ICMP: readonly [string, number, number, number][] = [
  ['any', 255, 0, 255], ['echo-reply', 0, 0, 255], ['pong', 0, 0, 255], ['destination-unreachable', 3, 0, 255],
  ['network-unreachable', 3, 0, 0], ['host-unreachable', 3, 1, 1], ['protocol-unreachable', 3, 2, 2],
  ['port-unreachable', 3, 3, 3], ['fragmentation-needed', 3, 4, 4], ['source-route-failed', 3, 5, 5],
  ['network-unknown', 3, 6, 6], ['host-unknown', 3, 7, 7], ['network-prohibited', 3, 9, 9],
  ['host-prohibited', 3, 10, 10], ['TOS-network-unreachable', 3, 11, 11], ['TOS-host-unreachable', 3, 12, 12],
  ['communication-prohibited', 3, 13, 13], ['host-precedence-violation', 3, 14, 14], ['precedence-cutoff', 3, 15, 15],
  ['source-quench', 4, 0, 255], ['redirect', 5, 0, 255], ['network-redirect', 5, 0, 0], ['host-redirect', 5, 1, 1],
  ['TOS-network-redirect', 5, 2, 2], ['TOS-host-redirect', 5, 3, 3], ['echo-request', 8, 0, 255], ['ping', 8, 0, 255],
  ['router-advertisement', 9, 0, 255], ['router-solicitation', 10, 0, 255], ['time-exceeded', 11, 0, 255],
  ['ttl-exceeded', 11, 0, 255], ['ttl-zero-during-transit', 11, 0, 0], ['ttl-zero-during-reassembly', 11, 1, 1],
  ['parameter-problem', 12, 0, 255], ['ip-header-bad', 12, 0, 0], ['required-option-missing', 12, 1, 1],
  ['timestamp-request', 13, 0, 255], ['timestamp-reply', 14, 0, 255], ['address-mask-request', 17, 0, 255],
  ['address-mask-reply', 18, 0, 255],
];
const ICMP6: readonly [string, number, number, number][] = [
  ['destination-unreachable', 1, 0, 255], ['no-route', 1, 0, 0], ['communication-prohibited', 1, 1, 1],
  ['beyond-scope', 1, 2, 2], ['address-unreachable', 1, 3, 3], ['port-unreachable', 1, 4, 4],
  ['failed-policy', 1, 5, 5], ['reject-route', 1, 6, 6], ['packet-too-big', 2, 0, 255], ['time-exceeded', 3, 0, 255],
  ['ttl-exceeded', 3, 0, 255], ['ttl-zero-during-transit', 3, 0, 0], ['ttl-zero-during-reassembly', 3, 1, 1],
  ['parameter-problem', 4, 0, 255], ['bad-header', 4, 0, 0], ['unknown-header-type', 4, 1, 1],
  ['unknown-option', 4, 2, 2], ['echo-request', 128, 0, 255], ['ping', 128, 0, 255], ['echo-reply', 129, 0, 255],
  ['pong', 129, 0, 255], ['router-solicitation', 133, 0, 255], ['router-advertisement', 134, 0, 255],
  ['neighbour-solicitation', 135, 0, 255], ['neighbor-solicitation', 135, 0, 255],
  ['neighbour-advertisement', 136, 0, 255], ['neighbor-advertisement', 136, 0, 255], ['redirect', 137, 0, 255],
];

/** __parse_icmp: a unique prefix of a name, or TYPE[/CODE[:CODE]] with TYPE a single number. */
function parseIcmp(table: typeof ICMP, label: string, s: string): [number, number, number] {
  const found = table.filter(([name]) => name.toLowerCase().startsWith(s.toLowerCase()));
  if (found.length > 1) throw new IptablesParseError(`Ambiguous ${label} type \`${s}': \`${found[0]![0]}' or \`${found[1]![0]}'?`);
  if (found.length === 1) return [found[0]![1], found[0]![2], found[0]![3]];
  const m = /^(\d+)(?::(\d+))?(?:\/(\d+)(?::(\d+))?)?$/.exec(s);
  if (m === null || [m[1], m[2], m[3], m[4]].some((x) => x !== undefined && Number(x) > 255)) {
    throw new IptablesParseError(`Unknown ${label} type \`${s}'`);
  }
  if (m[2] !== undefined && m[2] !== m[1]) throw new IptablesParseError(`${label} type range not supported`);
  if (m[3] === undefined) return [Number(m[1]), 0, 255];
  return [Number(m[1]), Number(m[3]), Number(m[4] ?? m[3])];
}

function codeRange(code: IcmpMatch['code']): [number, number] {
  if (code === undefined) return [0, 255];
  return typeof code === 'number' ? [code, code] : [code.from, code.to];
}

function readCode(min: number, max: number): IcmpMatch['code'] {
  if (min === 0 && max === 255) return undefined;
  return min === max ? min : { from: min, to: max };
}

function checkCode(code: unknown, what: string): void {
  if (code === undefined) return;
  if (typeof code === 'number') checkUint(code, what, 255);
  else if (typeof code === 'object' && code !== null) {
    const c = code as { from: unknown; to: unknown };
    checkUint(c.from, `${what}.from`, 255);
    checkUint(c.to, `${what}.to`, 255);
  } else throw new TypeError(`${what} must be a code or { from, to }`);
}

function makeCodec<T extends IcmpMatch | Icmp6Match>(name: T['name'], family: Family, table: typeof ICMP, option: string): Codec<T> {
  const wire: Wire = { kernel: name, revision: 0, size: 4 };
  return {
    kind: 'match',
    name,
    check(v, f, what) {
      checkKeys(v, ['name', 'type', 'code', 'invert'], what);
      if (f !== family) throw new TypeError(`${what}: ${name} is for IPv${family}`);
      if (!(name === 'icmp' && v.type === 'any')) checkUint(v.type, `${what}.type`, 255);
      checkCode(v.code, `${what}.code`);
    },
    wire: () => wire,
    encode(v, b, at) {
      const [min, max] = codeRange(v.code);
      b[at] = v.type === 'any' ? 255 : v.type;
      b[at + 1] = min;
      b[at + 2] = max;
      b[at + 3] = v.invert ? 1 : 0;
    },
    save(v) {
      const [min, max] = codeRange(v.code);
      const inv = v.invert ? ' !' : '';
      if (name === 'icmp' && (v.type === 'any' || v.type === 255)) return `${inv} --icmp-type any`;
      return `${inv} --${option} ${v.type}${min !== 0 || max !== 255 ? `/${min}` : ''}`;
    },
    parser: {
      init: () => ({ name, type: name === 'icmp' ? 'any' : 0 }) as T,
      options: {
        [option]: {
          args: 1, invert: true, apply(s, [a], inv) {
            const [type, min, max] = parseIcmp(table, family === 4 ? 'ICMP' : 'ICMPv6', a!);
            s.type = name === 'icmp' && type === 255 && min === 0 && max === 255 ? 'any' : type;
            const code = readCode(min, max);
            if (code === undefined) delete s.code;
            else s.code = code;
            if (inv) s.invert = true;
          },
        },
      },
      finish(_s, _ctx, seen) {
        if (!seen.has(option)) throw new IptablesParseError(`${name}: option "--${option}" must be specified`);
      },
    },
  };
}

export const icmp = makeCodec<IcmpMatch>('icmp', 4, ICMP, 'icmp-type');
export const icmp6 = makeCodec<Icmp6Match>('icmp6', 6, ICMP6, 'icmpv6-type');

function makeDecoder(name: 'icmp' | 'icmp6'): Decoder {
  return {
    kind: 'match',
    kernel: name,
    decode(b, at, len, revision) {
      if (revision !== 0 || len < 4 || b[at + 3]! & ~1) return undefined;
      const type = b[at]!;
      const m: IcmpMatch | Icmp6Match = name === 'icmp' && type === 255 && b[at + 1] === 0 && b[at + 2] === 255
        ? { name: 'icmp', type: 'any' } : { name, type } as IcmpMatch;
      const code = readCode(b[at + 1]!, b[at + 2]!);
      if (code !== undefined) m.code = code;
      if (b[at + 3]) m.invert = true;
      return m;
    },
  };
}

export const icmpDecoder = makeDecoder('icmp');
export const icmp6Decoder = makeDecoder('icmp6');
