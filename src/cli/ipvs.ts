// `dataplane ipvs list [-n] [--stats|--rate] [--netns NAME]`: the IPVS table
// in `ipvsadm -Ln` layout, for machines without ipvsadm. Addresses are always
// numeric: -n is accepted as ipvsadm's (no name lookups are ever done).
import { Command, Option } from 'commander';

import type { ListFormat } from '../ipvs/format.js';
import { NETNS_FLAGS, NETNS_HELP, subcommand } from './usage.js';

interface ListOptions {
  numeric?: boolean;
  stats?: boolean;
  rate?: boolean;
  netns?: string;
}

/** `dataplane ipvs`: the IPVS commands. */
export function ipvsCommand(): Command {
  const ipvs = subcommand('ipvs', 'IPVS virtual servers (the kernel\'s L4 load balancer)')
    .usage('<command> [options]')
    .helpCommand('help [command]', 'print help for a command');
  ipvs.addCommand(subcommand('list', 'print the IPVS table in `ipvsadm -Ln` layout (also: ipvs -L, ipvs -l)')
    .option('-n, --numeric', 'numeric addresses and ports, as ipvsadm -n (always so: no names are looked up)')
    .addOption(new Option('--stats', 'statistics columns, as ipvsadm -Ln --stats').conflicts('rate'))
    .addOption(new Option('--rate', 'rate columns, as ipvsadm -Ln --rate').conflicts('stats'))
    .option(NETNS_FLAGS, NETNS_HELP)
    .addHelpText('after', '\nEquivalent to: ipvsadm -Ln [--stats|--rate] (ip netns exec NAME ipvsadm ... for --netns)')
    .action(list));
  return ipvs;
}

async function list(opts: ListOptions): Promise<void> {
  const [{ Ipvs }, { formatList }] = await Promise.all([import('../ipvs/ipvs.js'), import('../ipvs/format.js')]);
  const format: ListFormat = opts.stats ? 'stats' : opts.rate ? 'rate' : 'plain';
  const ipvs = await Ipvs.open(opts.netns !== undefined ? { netns: opts.netns } : {});
  try {
    const info = await ipvs.info();
    const services = await ipvs.list();
    process.stdout.write(formatList(info, services, format));
  } finally {
    await ipvs.close();
  }
}
