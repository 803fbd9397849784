// Checks, once at setup, that the kernel takes every kind of statement the
// ruleset uses: one transaction that creates a throwaway table holding one
// of each, and deletes it again (nothing of it is ever visible).
import type { NftablesInterface, Transaction } from '../../../nft/index.js';
import { nft } from '../../../nft/index.js';
import { ctStatusDnat, dnatNumgenMap, fibSaddrLocal, numgenIs, numgenMapUserdata } from './exprs.js';
import type { FamilyNames } from './family.js';

const PROBE = 'dataplane-proxy-probe';

function probeFamily(tx: Transaction, fam: FamilyNames): void {
  const T = { family: fam.table, table: PROBE };
  const R = (chain: string, ...parts: Parameters<typeof nft.rule>[3][]) => tx.addRule(nft.rule(fam.table, PROBE, chain, ...parts));
  const ip = fam.family === 4 ? '10.0.0.1' : 'fd00::1';
  tx.addTable({ family: fam.table, name: PROBE });
  tx.addChain({ ...T, name: 'nat', type: 'nat', hook: 'prerouting', priority: -100 });
  tx.addChain({ ...T, name: 'post', type: 'nat', hook: 'postrouting', priority: 100 });
  tx.addChain({ ...T, name: 'filter', type: 'filter', hook: 'forward', priority: -110 });
  tx.addSet({ ...T, name: 'eps', type: 'integer', map: `${fam.addr} . inet_service`, userdata: numgenMapUserdata(fam, 'tcp'), elements: [{ key: 0, value: [ip, 80] }] });
  tx.addSet({ ...T, name: 'aff', type: fam.addr, flags: ['dynamic', 'timeout'], timeout: 10_000 });
  tx.addSet({ ...T, name: 'fw', type: `${fam.addr} . inet_proto . inet_service . ${fam.addr}`, flags: ['interval'],
    elements: [{ key: [ip, 'tcp', 80, ip], keyEnd: [ip, 'tcp', 80, ip] }] });
  tx.addSet({ ...T, name: 'pairs', type: `${fam.addr} . ${fam.addr}` });
  R('nat', nft.inSet(fam.saddr, 'aff'), nft.match('meta l4proto', 'tcp'), nft.updateSet('aff', fam.saddr), nft.dnat(ip, 80));
  R('nat', numgenIs(2, 0), nft.match('meta l4proto', 'tcp'), nft.updateSet('aff', fam.saddr), nft.dnat(ip, 80));
  R('nat', nft.match('meta l4proto', 'tcp'), dnatNumgenMap(fam, 'eps', 1));
  R('nat', fibSaddrLocal(), nft.orMark(0x4000), nft.accept());
  R('post', ctStatusDnat(), nft.inSet([fam.saddr, fam.daddr], 'pairs'), nft.masquerade('fully-random'));
  R('filter', nft.inSet([fam.daddr, 'meta l4proto', 'th dport', fam.saddr], 'fw', true), { type: 'reject', rejectType: 'icmp', code: fam.portUnreachable });
  tx.deleteTable({ family: fam.table, name: PROBE });
}

/** Commits (and at once deletes) a table using every construct of the ruleset; throws an Error saying what the kernel lacks. */
export async function probeKernel(handle: NftablesInterface, families: readonly FamilyNames[]): Promise<void> {
  const tx = handle.transaction();
  for (const fam of families) probeFamily(tx, fam);
  try {
    await handle.commit(tx);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new Error(`nftables proxy: the kernel refused the ruleset's statements (${why}); it needs nf_tables with nat, numgen, fib, ct, ` +
      'dynamic sets and concatenated ranges (Linux 5.6 or later)', { cause: e });
  }
}
