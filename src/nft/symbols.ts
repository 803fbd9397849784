// The symbolic constants nft 1.0.6 prints and parses for its data types
// (datatype.c, proto.c, meta.c, ct.c, exthdr.c, fib.c): name -> value, in
// nft's order (where two names share a value, the first is the one printed).
// Values are the logical numbers (0x0800 for `ip`), whatever the byte order
// the type has on the wire.

/** A symbol table: its entries, and whether numbers without a name print in hex. */
export interface Symbols {
  entries: readonly (readonly [string, number])[];
  hex?: boolean;
}

const table = (entries: [string, number][], hex = false): Symbols => ({ entries, hex });

export const NFPROTO_SYMBOLS = table([['ipv4', 2], ['ipv6', 10]]);
export const ICMP_TYPE_SYMBOLS = table([
  ['echo-reply', 0], ['destination-unreachable', 3], ['source-quench', 4], ['redirect', 5], ['echo-request', 8],
  ['router-advertisement', 9], ['router-solicitation', 10], ['time-exceeded', 11], ['parameter-problem', 12],
  ['timestamp-request', 13], ['timestamp-reply', 14], ['info-request', 15], ['info-reply', 16],
  ['address-mask-request', 17], ['address-mask-reply', 18],
]);
export const ICMP_CODE_SYMBOLS = table([
  ['net-unreachable', 0], ['host-unreachable', 1], ['prot-unreachable', 2], ['port-unreachable', 3],
  ['net-prohibited', 9], ['host-prohibited', 10], ['admin-prohibited', 13], ['frag-needed', 4],
]);
export const ICMPV6_TYPE_SYMBOLS = table([
  ['destination-unreachable', 1], ['packet-too-big', 2], ['time-exceeded', 3], ['parameter-problem', 4],
  ['echo-request', 128], ['echo-reply', 129], ['mld-listener-query', 130], ['mld-listener-report', 131],
  ['mld-listener-done', 132], ['mld-listener-reduction', 132], ['nd-router-solicit', 133], ['nd-router-advert', 134],
  ['nd-neighbor-solicit', 135], ['nd-neighbor-advert', 136], ['nd-redirect', 137], ['router-renumbering', 138],
  ['ind-neighbor-solicit', 141], ['ind-neighbor-advert', 142], ['mld2-listener-report', 143],
]);
export const ICMPV6_CODE_SYMBOLS = table([
  ['no-route', 0], ['admin-prohibited', 1], ['addr-unreachable', 3], ['port-unreachable', 4],
  ['policy-fail', 5], ['reject-route', 6],
]);
export const ICMPX_CODE_SYMBOLS = table([
  ['port-unreachable', 1], ['admin-prohibited', 3], ['no-route', 0], ['host-unreachable', 2],
]);
export const IGMP_TYPE_SYMBOLS = table([
  ['membership-query', 0x11], ['membership-report-v1', 0x12], ['membership-report-v2', 0x16],
  ['membership-report-v3', 0x22], ['leave-group', 0x17],
]);
export const TCP_FLAG_SYMBOLS = table([
  ['fin', 0x01], ['syn', 0x02], ['rst', 0x04], ['psh', 0x08], ['ack', 0x10], ['urg', 0x20], ['ecn', 0x40], ['cwr', 0x80],
], true);
export const DCCP_PKTTYPE_SYMBOLS = table([
  ['request', 0], ['response', 1], ['data', 2], ['ack', 3], ['dataack', 4], ['closereq', 5], ['close', 6],
  ['reset', 7], ['sync', 8], ['syncack', 9],
], true);
export const MH_TYPE_SYMBOLS = table([
  ['binding-refresh-request', 0], ['home-test-init', 1], ['careof-test-init', 2], ['home-test', 3], ['careof-test', 4],
  ['binding-update', 5], ['binding-acknowledgement', 6], ['binding-error', 7], ['fast-binding-update', 8],
  ['fast-binding-acknowledgement', 9], ['fast-binding-advertisement', 10], ['experimental-mobility-header', 11],
  ['home-agent-switch-message', 12],
]);
export const DSCP_SYMBOLS = table([
  ['cs0', 0x00], ['cs1', 0x08], ['cs2', 0x10], ['cs3', 0x18], ['cs4', 0x20], ['cs5', 0x28], ['cs6', 0x30], ['cs7', 0x38],
  ['df', 0x00], ['be', 0x00], ['lephb', 0x01], ['af11', 0x0a], ['af12', 0x0c], ['af13', 0x0e], ['af21', 0x12],
  ['af22', 0x14], ['af23', 0x16], ['af31', 0x1a], ['af32', 0x1c], ['af33', 0x1e], ['af41', 0x22], ['af42', 0x24],
  ['af43', 0x26], ['va', 0x2c], ['ef', 0x2e],
], true);
export const ECN_SYMBOLS = table([['not-ect', 0], ['ect1', 1], ['ect0', 2], ['ce', 3]], true);
export const ETHERTYPE_SYMBOLS = table([
  ['ip', 0x0800], ['arp', 0x0806], ['ip6', 0x86dd], ['8021q', 0x8100], ['8021ad', 0x88a8], ['vlan', 0x8100],
], true);
export const ARPOP_SYMBOLS = table([
  ['request', 1], ['reply', 2], ['rrequest', 3], ['rreply', 4], ['inrequest', 8], ['inreply', 9], ['nak', 10],
], true);
export const ARPHRD_SYMBOLS = table([
  ['ether', 1], ['ppp', 512], ['ipip', 768], ['ipip6', 769], ['loopback', 772], ['sit', 776], ['ipgre', 778],
], true);
export const PKTTYPE_SYMBOLS = table([['host', 0], ['unicast', 0], ['broadcast', 1], ['multicast', 2], ['other', 3]]);
export const CT_STATE_SYMBOLS = table([['invalid', 1], ['new', 8], ['established', 2], ['related', 4], ['untracked', 64]], true);
export const CT_DIR_SYMBOLS = table([['original', 0], ['reply', 1]]);
export const CT_STATUS_SYMBOLS = table([
  ['expected', 1], ['seen-reply', 2], ['assured', 4], ['confirmed', 8], ['snat', 16], ['dnat', 32], ['dying', 512],
], true);
export const CT_EVENT_SYMBOLS = table([
  ['new', 1], ['related', 2], ['destroy', 4], ['reply', 8], ['assured', 16], ['protoinfo', 32], ['helper', 64],
  ['mark', 128], ['seqadj', 256], ['secmark', 512], ['label', 1024],
], true);
export const FIB_ADDRTYPE_SYMBOLS = table([
  ['unspec', 0], ['unicast', 1], ['local', 2], ['broadcast', 3], ['anycast', 4], ['multicast', 5], ['blackhole', 6],
  ['unreachable', 7], ['prohibit', 8],
]);
export const BOOLEAN_SYMBOLS = table([['exists', 1], ['missing', 0]]);
export const DAY_SYMBOLS = table([
  ['Sunday', 0], ['Monday', 1], ['Tuesday', 2], ['Wednesday', 3], ['Thursday', 4], ['Friday', 5], ['Saturday', 6],
]);
/** /etc/iproute2/group, /etc/iproute2/rt_realms and rt_marks as iproute2 ships them (nft prints their names quoted). */
export const DEVGROUP_SYMBOLS = table([['default', 0]]);
export const REALM_SYMBOLS = table([['cosmos', 0]]);
export const MARK_SYMBOLS = table([]);

/** IP protocol names by number: the netbase /etc/protocols nft reads (getprotobynumber, first name wins). */
export const PROTOCOL_NAMES: ReadonlyMap<number, string> = new Map([
  [0, 'ip'], [1, 'icmp'], [2, 'igmp'], [3, 'ggp'], [4, 'ipencap'], [5, 'st'], [6, 'tcp'], [8, 'egp'], [9, 'igp'],
  [12, 'pup'], [17, 'udp'], [20, 'hmp'], [22, 'xns-idp'], [27, 'rdp'], [29, 'iso-tp4'], [33, 'dccp'], [36, 'xtp'],
  [37, 'ddp'], [38, 'idpr-cmtp'], [41, 'ipv6'], [43, 'ipv6-route'], [44, 'ipv6-frag'], [45, 'idrp'], [46, 'rsvp'],
  [47, 'gre'], [50, 'esp'], [51, 'ah'], [57, 'skip'], [58, 'ipv6-icmp'], [59, 'ipv6-nonxt'], [60, 'ipv6-opts'],
  [73, 'rspf'], [81, 'vmtp'], [88, 'eigrp'], [89, 'ospf'], [93, 'ax.25'], [94, 'ipip'], [97, 'etherip'], [98, 'encap'],
  [103, 'pim'], [108, 'ipcomp'], [112, 'vrrp'], [115, 'l2tp'], [124, 'isis'], [132, 'sctp'], [133, 'fc'],
  [135, 'mobility-header'], [136, 'udplite'], [137, 'mpls-in-ip'], [138, 'manet'], [139, 'hip'], [140, 'shim6'],
  [141, 'wesp'], [142, 'rohc'], [143, 'ethernet'],
]);

/** The name of a value in a table (the first entry with it), if any. */
export function symbolOf(t: Symbols, v: number | bigint): string | undefined {
  const n = Number(v);
  for (const [name, value] of t.entries) if (value === n) return name;
  return undefined;
}

/** The value of a name in a table, if any. */
export function valueOf(t: Symbols, name: string): number | undefined {
  for (const [s, value] of t.entries) if (s === name) return value;
  return undefined;
}
