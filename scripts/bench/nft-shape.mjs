// The kube-proxy-shaped ruleset of the benchmark, as a transaction and as nft text.
import { nft } from '../../dist/index.js';

export const TABLE = 'kube-proxy';
/** BENCH_SHAPE=rules: endpoints picked by `numgen ... 0 goto` rules instead of an anonymous verdict map per service. */
export const SHAPE = process.env.BENCH_SHAPE === 'rules' ? 'rules' : 'vmap';
const F = 'ip';

export const svcIp = (i) => `172.30.${(i >> 8) & 255}.${i & 255}`;
export const epIp = (i, e) => `10.${128 + e}.${(i >> 8) & 255}.${i & 255}`;
export const svcChain = (i) => `service-${i.toString(36).padStart(4, '0')}-ns/svc${i}/tcp/p80`;
export const epChain = (i, e) => `endpoint-${i.toString(36).padStart(4, '0')}-ns/svc${i}/tcp/p80__${epIp(i, e)}/8080`;

export function base(tx) {
  tx.addTable({ family: F, name: TABLE, comment: 'rules for kube-proxy' });
  tx.addChain({ family: F, table: TABLE, name: 'nat-prerouting', type: 'nat', hook: 'prerouting', priority: -100, policy: 'accept' });
  tx.addChain({ family: F, table: TABLE, name: 'nat-output', type: 'nat', hook: 'output', priority: -100, policy: 'accept' });
  tx.addChain({ family: F, table: TABLE, name: 'nat-postrouting', type: 'nat', hook: 'postrouting', priority: 100, policy: 'accept' });
  for (const name of ['mark-for-masquerade', 'masquerading', 'services']) tx.addChain({ family: F, table: TABLE, name });
  tx.addSet({ family: F, table: TABLE, name: 'service-ips', type: 'ipv4_addr . inet_proto . inet_service', map: 'verdict', comment: 'ClusterIP, ExternalIP and LoadBalancer IP traffic' });
  const r = (chain, ...p) => tx.addRule(nft.rule(F, TABLE, chain, ...p));
  r('nat-prerouting', nft.jump('services'));
  r('nat-output', nft.jump('services'));
  r('nat-postrouting', nft.jump('masquerading'));
  r('mark-for-masquerade', nft.orMark(0x4000));
  r('masquerading', nft.markMasked(0x4000, 0), nft.ret());
  r('masquerading', [{ type: 'meta', key: 'mark', dreg: 1 }, { type: 'bitwise', sreg: 1, dreg: 1, op: 'mask_xor', len: 4, mask: Buffer.from('ffffffff', 'hex'), xor: Buffer.from('00400000', 'hex') }, { type: 'meta', key: 'mark', sreg: 1 }]);
  r('masquerading', nft.masquerade('fully-random'));
  r('services', nft.vmap(['ip daddr', 'meta l4proto', 'th dport'], 'service-ips'));
}

export function service(tx, i) {
  const eps = [0, 1];
  for (const e of eps) tx.addChain({ family: F, table: TABLE, name: epChain(i, e) });
  tx.addChain({ family: F, table: TABLE, name: svcChain(i) });
  tx.addRule(nft.rule(F, TABLE, svcChain(i), nft.match('ip daddr', svcIp(i)), nft.match('tcp dport', 80), nft.match('ip saddr', '10.0.0.0/8', '!='), nft.jump('mark-for-masquerade')));
  if (SHAPE === 'rules') {
    // numgen random mod (N-k) 0 goto ep_k ... goto ep_last: the same even spread without a verdict map.
    eps.forEach((e, k) => {
      if (k === eps.length - 1) tx.addRule(nft.rule(F, TABLE, svcChain(i), nft.goto(epChain(i, e))));
      else tx.addRule(nft.rule(F, TABLE, svcChain(i), { type: 'numgen', dreg: 1, modulus: eps.length - k, mode: 'random', offset: 0 }, { type: 'cmp', sreg: 1, op: 'eq', data: new Uint8Array(4) }, nft.goto(epChain(i, e))));
    });
  } else {
    tx.addRule(nft.rule(F, TABLE, svcChain(i), nft.numgenVmap(eps.map((e) => ({ kind: 'goto', chain: epChain(i, e) })))));
  }
  for (const e of eps) {
    tx.addRule(nft.rule(F, TABLE, epChain(i, e), nft.match('ip saddr', epIp(i, e)), nft.jump('mark-for-masquerade')));
    tx.addRule(nft.rule(F, TABLE, epChain(i, e), nft.match('meta l4proto', 'tcp'), nft.dnat(epIp(i, e), 8080)));
  }
  tx.addElements({ family: F, table: TABLE, name: 'service-ips' }, [{ key: [svcIp(i), 'tcp', 80], verdict: { kind: 'goto', chain: svcChain(i) } }]);
}

export function nftText(SERVICES) {
  const out = [
    `table ip ${TABLE} {`, '\tcomment "rules for kube-proxy"',
    '\tmap service-ips {', '\t\ttype ipv4_addr . inet_proto . inet_service : verdict', '\t\tcomment "ClusterIP, ExternalIP and LoadBalancer IP traffic"', '\t}',
    '\tchain nat-prerouting {', '\t\ttype nat hook prerouting priority dstnat; policy accept;', '\t\tjump services', '\t}',
    '\tchain nat-output {', '\t\ttype nat hook output priority -100; policy accept;', '\t\tjump services', '\t}',
    '\tchain nat-postrouting {', '\t\ttype nat hook postrouting priority srcnat; policy accept;', '\t\tjump masquerading', '\t}',
    '\tchain mark-for-masquerade {', '\t\tmeta mark set meta mark | 0x4000', '\t}',
    '\tchain masquerading {', '\t\tmeta mark & 0x4000 == 0 return', '\t\tmeta mark set meta mark ^ 0x4000', '\t\tmasquerade fully-random', '\t}',
    '\tchain services {', '\t\tip daddr . meta l4proto . th dport vmap @service-ips', '\t}',
  ];
  for (let i = 0; i < SERVICES; i++) {
    for (const e of [0, 1]) out.push(`\tchain ${epChain(i, e)} {`, `\t\tip saddr ${epIp(i, e)} jump mark-for-masquerade`, `\t\tmeta l4proto tcp dnat to ${epIp(i, e)}:8080`, '\t}');
    out.push(`\tchain ${svcChain(i)} {`, `\t\tip daddr ${svcIp(i)} tcp dport 80 ip saddr != 10.0.0.0/8 jump mark-for-masquerade`,
      ...(SHAPE === 'rules' ? [`\t\tnumgen random mod 2 0 goto ${epChain(i, 0)}`, `\t\tgoto ${epChain(i, 1)}`]
        : [`\t\tnumgen random mod 2 vmap { 0 : goto ${epChain(i, 0)}, 1 : goto ${epChain(i, 1)} }`]), '\t}');
  }
  out.push('}');
  for (let i = 0; i < SERVICES; i++) out.push(`add element ip ${TABLE} service-ips { ${svcIp(i)} . tcp . 80 : goto ${svcChain(i)} }`);
  return `${out.join('\n')}\n`;
}

