// -j REJECT (ipt_reject_info / ip6t_reject_info, revision 0): which ICMP
// error (or TCP reset) answers the rejected packet.
import { put32, u32, type Family } from '../wire.js';
import { checkKeys, IptablesParseError, type Codec, type Decoder, type Wire } from './ext.js';

export type RejectWith4 = 'icmp-net-unreachable' | 'icmp-host-unreachable' | 'icmp-proto-unreachable' | 'icmp-port-unreachable' |
  'icmp-net-prohibited' | 'icmp-host-prohibited' | 'tcp-reset' | 'icmp-admin-prohibited';
export type RejectWith6 = 'icmp6-no-route' | 'icmp6-adm-prohibited' | 'icmp6-addr-unreachable' | 'icmp6-port-unreachable' |
  'tcp-reset' | 'icmp6-policy-fail' | 'icmp6-reject-route';

/** `-j REJECT [--reject-with TYPE]` (default icmp-port-unreachable / icmp6-port-unreachable). */
export interface RejectTarget {
  name: 'REJECT';
  with?: RejectWith4 | RejectWith6;
}

// Indexed by enum ipt_reject_with / ip6t_reject_with: [name, alias]; undefined where iptables has none.
const WITH4: readonly ([string, string] | undefined)[] = [
  ['icmp-net-unreachable', 'net-unreach'], ['icmp-host-unreachable', 'host-unreach'],
  ['icmp-proto-unreachable', 'proto-unreach'], ['icmp-port-unreachable', 'port-unreach'], undefined,
  ['icmp-net-prohibited', 'net-prohib'], ['icmp-host-prohibited', 'host-prohib'], ['tcp-reset', 'tcp-rst'],
  ['icmp-admin-prohibited', 'admin-prohib'],
];
const WITH6: readonly ([string, string] | undefined)[] = [
  ['icmp6-no-route', 'no-route'], ['icmp6-adm-prohibited', 'adm-prohibited'], undefined,
  ['icmp6-addr-unreachable', 'addr-unreach'], ['icmp6-port-unreachable', 'port-unreach'], undefined,
  ['tcp-reset', 'tcp-reset'], ['icmp6-policy-fail', 'policy-fail'], ['icmp6-reject-route', 'reject-route'],
];

const table = (family: Family) => (family === 4 ? WITH4 : WITH6);
const defaultWith = (family: Family): RejectWith4 | RejectWith6 => (family === 4 ? 'icmp-port-unreachable' : 'icmp6-port-unreachable');
const indexOf = (w: string, family: Family): number => table(family).findIndex((e) => e?.[0] === w);

const WIRE: Wire = { kernel: 'REJECT', revision: 0, size: 4 };

export const reject: Codec<RejectTarget> = {
  kind: 'target',
  name: 'REJECT',
  check(v, family, what) {
    checkKeys(v, ['name', 'with'], what);
    if (v.with !== undefined && indexOf(v.with, family) < 0) {
      throw new TypeError(`${what}.with must be one of ${table(family).filter((e) => e).map((e) => e![0]).join(', ')}`);
    }
  },
  wire: () => WIRE,
  encode(v, b, at, ctx) {
    put32(b, at, indexOf(v.with ?? defaultWith(ctx.family), ctx.family));
  },
  save: (v, ctx) => ` --reject-with ${v.with ?? defaultWith(ctx.family)}`,
  parser: {
    init: () => ({ name: 'REJECT' }),
    options: {
      'reject-with': {
        args: 1, apply(s, [a], _inv, ctx) {
          // REJECT_parse: the first name or alias that the argument is a prefix of (any case).
          const arg = a!.toLowerCase();
          const found = table(ctx.family).find((e) => e !== undefined && (e[0].startsWith(arg) || e[1].startsWith(arg)));
          if (found === undefined) throw new IptablesParseError(`unknown reject type "${a}"`);
          s.with = found[0] as RejectTarget['with'];
        },
      },
    },
  },
};

export const rejectDecoder: Decoder = {
  kind: 'target',
  kernel: 'REJECT',
  decode(b, at, len, revision, ctx) {
    if (revision !== 0 || len < 4) return undefined;
    const entry = table(ctx.family)[u32(b, at)];
    return entry === undefined ? undefined : { name: 'REJECT', with: entry[0] as RejectTarget['with'] } satisfies RejectTarget;
  },
};
