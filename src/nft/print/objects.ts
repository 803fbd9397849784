// Named stateful objects as `nft list` prints them (obj_print_data):
// counter, quota, limit, secmark, ct helper, ct timeout, ct expectation,
// synproxy. Objects of a kind nft does not know print as `unknown`.
import { rateText, limitText } from '../expr/limit.js';
import { OBJECT_TYPES } from '../expr/objref.js';
import { quotaText } from '../expr/quota.js';
import type { NamedObject } from '../object.js';
import { PROTOCOL_NAMES } from '../symbols.js';
import * as U from '../uapi.js';
import { attrTable } from '../wire.js';
import { timeText } from './value.js';

const FAMILY_NAMES: Record<number, string> = { 1: 'inet', 2: 'ip', 3: 'arp', 5: 'netdev', 7: 'bridge', 10: 'ip6' };
const protoName = (n: number): string => PROTOCOL_NAMES.get(n) ?? String(n);

// nft's timeout policy state names per protocol (print_proto_timeout_policy).
const TCP_STATES = ['syn_sent', 'syn_recv', 'established', 'fin_wait', 'close_wait', 'last_ack', 'time_wait', 'close', 'syn_sent2', 'retrans', 'unack'];
const UDP_STATES = ['unreplied', 'replied'];
const TCP_DEFAULTS = [120, 60, 432000, 120, 60, 30, 120, 10, 120, 300, 300];
const UDP_DEFAULTS = [30, 120];

const be = (b: Buffer | undefined, n = 4): number => (b === undefined ? 0 : n === 1 ? b[0]! : n === 2 ? b.readUInt16BE(0) : b.readUInt32BE(0));
const be64 = (b: Buffer | undefined): number => (b === undefined ? 0 : Number(b.readBigUInt64BE(0)));
const str = (b: Buffer | undefined): string => (b === undefined ? '' : b.toString('utf8').replace(/\0+$/, ''));

function timeoutPolicy(l4: number, data: Buffer | undefined, t: string): string[] {
  const states = l4 === 6 ? TCP_STATES : l4 === 17 ? UDP_STATES : [];
  const defaults = l4 === 6 ? TCP_DEFAULTS : l4 === 17 ? UDP_DEFAULTS : [];
  const a = data !== undefined ? attrTable(data) : [];
  const parts: string[] = [];
  states.forEach((name, i) => {
    const v = a[i + 1];
    const n = v !== undefined && v.length === 4 ? v.readUInt32BE(0) : 0;
    if (n !== defaults[i]) parts.push(`${name} : ${n}`);
  });
  return [`${t}policy = { ${parts.join(', ')} }`];
}

// The lines inside the object's block.
function body(o: NamedObject, t: string): string[] {
  const type = typeof o.type === 'number' ? o.type : OBJECT_TYPES.number(o.type);
  const d = o.data !== undefined ? attrTable(Buffer.from(o.data)) : [];
  switch (type) {
    case U.NFT_OBJECT_COUNTER: return [`${t}packets ${o.packets ?? 0} bytes ${o.bytes ?? 0}`];
    case U.NFT_OBJECT_QUOTA: return [`${t}${quotaText(o.bytes ?? 0, o.over ? U.NFT_QUOTA_F_INV : 0, o.used ?? 0)}`];
    case U.NFT_OBJECT_SECMARK: return [`${t}"${str(d[U.NFTA_SECMARK_CTX])}"`];
    case U.NFT_OBJECT_CT_HELPER:
      return [`${t}type "${str(d[U.NFTA_CT_HELPER_NAME])}" protocol ${protoName(be(d[U.NFTA_CT_HELPER_L4PROTO], 1))}`,
        `${t}l3proto ${FAMILY_NAMES[be(d[U.NFTA_CT_HELPER_L3PROTO], 2)] ?? 'unknown'}`];
    case U.NFT_OBJECT_CT_TIMEOUT: {
      const l4 = be(d[U.NFTA_CT_TIMEOUT_L4PROTO], 1);
      return [`${t}protocol ${protoName(l4)}`, `${t}l3proto ${FAMILY_NAMES[be(d[U.NFTA_CT_TIMEOUT_L3PROTO], 2)] ?? 'unknown'}`,
        ...timeoutPolicy(l4, d[U.NFTA_CT_TIMEOUT_DATA], t)];
    }
    case U.NFT_OBJECT_CT_EXPECT:
      return [`${t}protocol ${protoName(be(d[U.NFTA_CT_EXPECT_L4PROTO], 1))}`, `${t}dport ${be(d[U.NFTA_CT_EXPECT_DPORT], 2)}`,
        `${t}timeout ${timeText(be(d[U.NFTA_CT_EXPECT_TIMEOUT]))}`, `${t}size ${be(d[U.NFTA_CT_EXPECT_SIZE], 1)}`,
        `${t}l3proto ${FAMILY_NAMES[be(d[U.NFTA_CT_EXPECT_L3PROTO], 2)] ?? 'unknown'}`];
    case U.NFT_OBJECT_LIMIT:
      return [`${t}${limitText({ rate: be64(d[U.NFTA_LIMIT_RATE]), unit: be64(d[U.NFTA_LIMIT_UNIT]), burst: be(d[U.NFTA_LIMIT_BURST]),
        limitType: be(d[U.NFTA_LIMIT_TYPE]), flags: be(d[U.NFTA_LIMIT_FLAGS]) })}`];
    case U.NFT_OBJECT_SYNPROXY: {
      const flags = be(d[U.NFTA_SYNPROXY_FLAGS]);
      const lines: string[] = [];
      if (flags & 1) lines.push(`${t}mss ${be(d[U.NFTA_SYNPROXY_MSS], 2)}`);
      if (flags & 2) lines.push(`${t}wscale ${be(d[U.NFTA_SYNPROXY_WSCALE], 1)}`);
      if (flags & 12) lines.push(`${t}${flags & 8 ? 'timestamp' : ''} ${flags & 4 ? 'sack-perm' : ''}`);
      return lines;
    }
    default: return [];
  }
}

const NAMES: Record<number, string> = {
  [U.NFT_OBJECT_COUNTER]: 'counter', [U.NFT_OBJECT_QUOTA]: 'quota', [U.NFT_OBJECT_CT_HELPER]: 'ct helper', [U.NFT_OBJECT_LIMIT]: 'limit',
  [U.NFT_OBJECT_CT_TIMEOUT]: 'ct timeout', [U.NFT_OBJECT_SECMARK]: 'secmark', [U.NFT_OBJECT_SYNPROXY]: 'synproxy', [U.NFT_OBJECT_CT_EXPECT]: 'ct expectation',
};

/** An object's block as `nft list` prints it. */
export function objectText(o: NamedObject, indent: string): string[] {
  const type = typeof o.type === 'number' ? o.type : OBJECT_TYPES.number(o.type);
  const name = NAMES[type];
  if (name === undefined) return [`${indent}unknown ${o.name} {`, `${indent}}`];
  const head = `${indent}${name} ${o.name} {`;
  const comment = o.comment !== undefined ? [`${indent}\tcomment "${o.comment}"`] : [];
  return [head, ...comment, ...body(o, `${indent}\t`), `${indent}}`];
}

export { rateText };
