// -m multiport (xt_multiport revision 1; revision 0 read too): up to 15
// ports, a range counting as two.
import { protocolName } from '../netdb.js';
import { put16, u16, type Family } from '../wire.js';
import { checkKeys, IptablesParseError, type Codec, type Decoder, type OptionSpec, type Wire } from './ext.js';
import { checkPortSpec, parsePort, portBounds, type PortSpec } from './ports.js';

/** `-m multiport [!] --sports|--dports|--ports P[,P:P...]` (needs -p tcp, udp, udplite, sctp or dccp). */
export interface MultiportMatch {
  name: 'multiport';
  sourcePorts?: PortSpec[];
  destinationPorts?: PortSpec[];
  /** Source or destination. */
  ports?: PortSpec[];
  invert?: boolean;
  /** 0: the old struct without ranges or inversion (as read from the kernel); default 1. */
  revision?: 0 | 1;
}

const MAX = 15;
const KEYS = ['sourcePorts', 'destinationPorts', 'ports'] as const;
const FLAG = { sourcePorts: 0, destinationPorts: 1, ports: 2 } as const;
const OPTION = ['--sports', '--dports', '--ports'] as const;

function which(v: MultiportMatch): { key: (typeof KEYS)[number]; list: PortSpec[] } {
  const set = KEYS.filter((k) => v[k] !== undefined);
  if (set.length !== 1) throw new TypeError('multiport needs exactly one of sourcePorts, destinationPorts, ports');
  return { key: set[0]!, list: v[set[0]!]! };
}

/** The ports and pflags as the kernel keeps them. */
function flatten(list: readonly PortSpec[]): { ports: number[]; pflags: number[] } {
  const ports: number[] = [];
  const pflags: number[] = [];
  for (const p of list) {
    const [min, max] = portBounds(p);
    if (min === max) {
      ports.push(min);
      pflags.push(0);
    } else {
      ports.push(min, max);
      pflags.push(1, 0);
    }
  }
  return { ports, pflags };
}

const WIRE0: Wire = { kernel: 'multiport', revision: 0, size: 32 };
const WIRE1: Wire = { kernel: 'multiport', revision: 1, size: 48 };

export const multiport: Codec<MultiportMatch> = {
  kind: 'match',
  name: 'multiport',
  check(v, _family: Family, what) {
    checkKeys(v, ['name', ...KEYS, 'invert', 'revision'], what);
    const { key, list } = which(v);
    if (!Array.isArray(list) || list.length === 0) throw new TypeError(`${what}.${key} must be a non-empty array`);
    list.forEach((p, i) => {
      const [min, max] = checkPortSpec(p, `${what}.${key}[${i}]`);
      if (v.revision === 0 && min !== max) throw new RangeError(`${what}: revision 0 has no port ranges`);
    });
    if (flatten(list).ports.length > MAX) throw new RangeError(`${what}: too many ports (15 at most, a range counts as 2)`);
    if (v.revision === 0 && v.invert) throw new RangeError(`${what}: revision 0 cannot be inverted`);
    if (v.revision !== undefined && v.revision !== 0 && v.revision !== 1) throw new RangeError(`${what}.revision must be 0 or 1`);
  },
  wire: (v) => (v.revision === 0 ? WIRE0 : WIRE1),
  encode(v, b, at) {
    const { key, list } = which(v);
    const { ports, pflags } = flatten(list);
    b[at] = FLAG[key];
    b[at + 1] = ports.length;
    ports.forEach((p, i) => put16(b, at + 2 + 2 * i, p));
    if (v.revision === 0) return;
    pflags.forEach((f, i) => { b[at + 32 + i] = f; });
    b[at + 47] = v.invert ? 1 : 0;
  },
  save(v) {
    const { key, list } = which(v);
    const text = list.map((p) => {
      const [min, max] = portBounds(p);
      return min === max ? `${min}` : `${min}:${max}`;
    }).join(',');
    return `${v.invert ? ' !' : ''} ${OPTION[FLAG[key]]} ${text}`;
  },
  parser: {
    init: () => ({ name: 'multiport' }),
    options: (() => {
      const option = (key: (typeof KEYS)[number]): OptionSpec<MultiportMatch> => ({
        args: 1, invert: true, apply(s, [a], inv, ctx) {
          if (KEYS.some((k) => s[k] !== undefined)) throw new IptablesParseError('multiport: only one of --sports, --dports, --ports');
          const proto = protocolName(ctx.protocol);
          if (ctx.protocol === 0 || proto === undefined) {
            throw new IptablesParseError("multiport needs `-p tcp', `-p udp', `-p udplite', `-p sctp' or `-p dccp'");
          }
          const list: PortSpec[] = [];
          let count = 0;
          for (const item of a!.split(',')) {
            const colon = item.indexOf(':');
            if (colon < 0) {
              list.push(parsePort(item, proto, 'multiport'));
              count += 1;
              continue;
            }
            const min = parsePort(item.slice(0, colon), proto, 'multiport');
            const max = parsePort(item.slice(colon + 1), proto, 'multiport');
            if (min >= max) throw new IptablesParseError('invalid portrange specified');
            list.push({ from: min, to: max });
            count += 2;
          }
          if (count > MAX) throw new IptablesParseError('too many ports specified');
          s[key] = list;
          if (inv) s.invert = true;
        },
      });
      return {
        'source-ports': option('sourcePorts'), sports: option('sourcePorts'),
        'destination-ports': option('destinationPorts'), dports: option('destinationPorts'), ports: option('ports'),
      };
    })(),
    finish(s) {
      if (!KEYS.some((k) => s[k] !== undefined)) throw new IptablesParseError('multiport expection an option');
    },
  },
};

export const multiportDecoder: Decoder = {
  kind: 'match',
  kernel: 'multiport',
  decode(b, at, len, revision) {
    if ((revision !== 0 && revision !== 1) || len < (revision === 0 ? 32 : 48)) return undefined;
    const flags = b[at]!;
    const count = b[at + 1]!;
    if (flags > 2 || count === 0 || count > MAX || (revision === 1 && b[at + 47]! > 1)) return undefined;
    const list: PortSpec[] = [];
    for (let i = 0; i < count; i++) {
      const port = u16(b, at + 2 + 2 * i);
      if (revision === 1 && b[at + 32 + i] === 1) {
        if (i + 1 >= count) return undefined;
        list.push({ from: port, to: u16(b, at + 2 + 2 * ++i) });
      } else {
        list.push(port);
      }
    }
    const m: MultiportMatch = { name: 'multiport', [KEYS[flags]!]: list };
    if (revision === 1 && b[at + 47] === 1) m.invert = true;
    if (revision === 0) m.revision = 0;
    return m;
  },
};
