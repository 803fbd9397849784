// `dataplane nft list [--netns NAME] [TABLE | FAMILY TABLE]`: the nftables
// ruleset read over nfnetlink and printed in nft syntax.
import { Nftables } from '../nft/nftables.js';
import type { Family } from '../nft/enums.js';
import { nftTextBytes } from '../nft/text.js';

const USAGE = 'usage: dataplane nft list [--netns NAME] [[FAMILY] TABLE]\n';
const FAMILIES = ['ip', 'ip6', 'inet', 'arp', 'bridge', 'netdev'];

export async function run(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'list') {
    process.stderr.write(USAGE);
    return 2;
  }
  let netns: string | undefined;
  const positional: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    if (a === '--netns' || a === '-n') netns = rest[++i];
    else if (a.startsWith('--netns=')) netns = a.slice('--netns='.length);
    else if (a === '-h' || a === '--help') { process.stdout.write(USAGE); return 0; }
    else if (a.startsWith('-')) { process.stderr.write(`dataplane nft: unknown option ${a}\n${USAGE}`); return 2; }
    else positional.push(a);
  }
  if (rest.includes('--netns') && netns === undefined) { process.stderr.write(USAGE); return 2; }
  let family: Family | undefined;
  let table: string | undefined;
  if (positional.length === 2) {
    if (!FAMILIES.includes(positional[0]!)) { process.stderr.write(`dataplane nft: unknown family ${positional[0]}\n`); return 2; }
    family = positional[0] as Family;
    table = positional[1];
  } else if (positional.length === 1) {
    table = positional[0];
  } else if (positional.length > 2) {
    process.stderr.write(USAGE);
    return 2;
  }
  const nft = await Nftables.open(netns !== undefined ? { netns } : {});
  try {
    const rs = await nft.list({ ...(family !== undefined ? { family } : {}), ...(table !== undefined ? { table } : {}) });
    if (table !== undefined && rs.tables.length === 0) {
      process.stderr.write(`dataplane nft: no table ${table}\n`);
      return 1;
    }
    process.stdout.write(nftTextBytes(rs.toString()));
    return 0;
  } finally {
    await nft.close();
  }
}
