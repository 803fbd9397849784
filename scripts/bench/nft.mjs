// Benchmark (not a test): a kube-proxy-shaped ruleset for N services x 2
// endpoints, committed by us as one transaction vs `nft -f` of the same text;
// listing and decoding it vs `nft -j list ruleset`; and adding one service's
// chains and map element to the populated table (p50/p99).
//
//   npm run build:ts && node scripts/bench/nft.mjs [SERVICES=10000] [CHANGES=200]
//   BENCH_SHAPE=rules ...   endpoints picked by numgen rules instead of a verdict map per service
//
// Needs root (it makes two network namespaces and deletes them after).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Nftables, Transaction } from '../../dist/index.js';
import { base, nftText, service, SHAPE } from './nft-shape.mjs';

const SERVICES = Number(process.argv[2] ?? 10000);
const CHANGES = Number(process.argv[3] ?? 200);

const sh = (cmd, args) => execFileSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 30 });
const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

const nsOurs = `dp-bench-ours-${process.pid}`;
const nsNft = `dp-bench-nft-${process.pid}`;
const dir = mkdtempSync(join(tmpdir(), 'dp-bench-'));
sh('ip', ['netns', 'add', nsOurs]);
sh('ip', ['netns', 'add', nsNft]);
try {
  console.log(`kube-proxy-shaped ruleset: ${SERVICES} services x 2 endpoints (${SHAPE === 'rules' ? 'numgen rules' : 'numgen vmap per service'})`);
  const handle = await Nftables.open({ netns: nsOurs });

  let t0 = process.hrtime.bigint();
  const tx = new Transaction();
  base(tx);
  for (let i = 0; i < SERVICES; i++) service(tx, i);
  await handle.commit(tx);
  const ourCommit = ms(t0);

  const file = join(dir, 'ruleset.nft');
  writeFileSync(file, nftText(SERVICES));
  t0 = process.hrtime.bigint();
  sh('ip', ['netns', 'exec', nsNft, 'nft', '-f', file]);
  const nftCommit = ms(t0);

  const ourText = sh('ip', ['netns', 'exec', nsOurs, 'nft', 'list', 'ruleset']);
  const nftTextOut = sh('ip', ['netns', 'exec', nsNft, 'nft', 'list', 'ruleset']);
  const same = ourText.replace(/__map\d+/g, '') === nftTextOut.replace(/__map\d+/g, '');
  console.log(`  rulesets identical in nft list ruleset: ${same} (${ourText.split('\n').length} lines)`);

  t0 = process.hrtime.bigint();
  const listed = await handle.list();
  const ourList = ms(t0);
  t0 = process.hrtime.bigint();
  sh('ip', ['netns', 'exec', nsOurs, 'nft', '-j', 'list', 'ruleset']);
  const nftList = ms(t0);
  console.log(`  listed: ${listed.chains.length} chains, ${listed.rules.length} rules, ${listed.sets.length} sets`);

  const changes = [];
  for (let c = 0; c < CHANGES; c++) {
    const one = new Transaction();
    service(one, SERVICES + c);
    const t = process.hrtime.bigint();
    await handle.commit(one);
    changes.push(ms(t));
  }
  await handle.close();

  const commitRatio = nftCommit / ourCommit;
  const listRatio = nftList / ourList;
  console.log(`commit: ours ${ourCommit.toFixed(0)} ms, nft -f ${nftCommit.toFixed(0)} ms -> ${commitRatio.toFixed(1)}x faster (target >= 5x)`);
  console.log(`list:   ours ${ourList.toFixed(0)} ms, nft -j list ruleset ${nftList.toFixed(0)} ms -> ${listRatio.toFixed(1)}x faster (target >= 3x)`);
  console.log(`one-service change on the populated table (${CHANGES} runs): p50 ${pct(changes, 50).toFixed(2)} ms, p99 ${pct(changes, 99).toFixed(2)} ms (target <= 5 ms)`);
} finally {
  sh('ip', ['netns', 'del', nsOurs]);
  sh('ip', ['netns', 'del', nsNft]);
  rmSync(dir, { recursive: true, force: true });
}
