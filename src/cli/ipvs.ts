// `dataplane ipvs list [-n] [--stats|--rate] [--netns NAME]`: the IPVS table
// in `ipvsadm -Ln` layout, for machines without ipvsadm. Addresses are always
// numeric (-n is accepted for familiarity; no name lookups are done).
import { Ipvs } from '../ipvs/ipvs.js';
import { formatList, type ListFormat } from '../ipvs/format.js';

const USAGE = 'usage: dataplane ipvs list [-n] [--stats|--rate] [--netns NAME]\n';

export async function run(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'list' && sub !== '-L' && sub !== '-l') {
    process.stderr.write(USAGE);
    return 2;
  }
  let format: ListFormat = 'plain';
  let netns: string | undefined;
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    if (a === '-n' || a === '--numeric') continue;
    else if (a === '--stats') format = 'stats';
    else if (a === '--rate') format = 'rate';
    else if (a === '--netns' && i + 1 < rest.length) netns = rest[++i];
    else if (a.startsWith('--netns=')) netns = a.slice('--netns='.length);
    else {
      process.stderr.write(`dataplane ipvs: unknown option ${JSON.stringify(a)}\n${USAGE}`);
      return 2;
    }
  }
  const ipvs = await Ipvs.open(netns !== undefined ? { netns } : {});
  try {
    const [info, services] = [await ipvs.info(), await ipvs.list()];
    process.stdout.write(formatList(info, services, format));
    return 0;
  } finally {
    await ipvs.close();
  }
}
