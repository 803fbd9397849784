// `dataplane nft list [--netns NAME] [[FAMILY] TABLE]`: the nftables ruleset
// read over nfnetlink and printed in nft syntax.
import { Command, Option } from 'commander';

import type { Family } from '../nft/enums.js';
import { nftTextBytes } from '../nft/text.js';
import { NETNS_FLAGS, NETNS_HELP, subcommand, UsageError } from './usage.js';

const FAMILIES: readonly string[] = ['ip', 'ip6', 'inet', 'arp', 'bridge', 'netdev'];

interface ListOptions {
  netns?: string;
  numeric?: boolean;
}

/** `dataplane nft`: the nftables commands. */
export function nftCommand(): Command {
  const nft = subcommand('nft', 'nftables rulesets')
    .usage('<command> [options]')
    .helpCommand('help [command]', 'print help for a command');
  const list = subcommand('list', 'print the ruleset, or one table, in nft syntax')
    .usage('[options] [[FAMILY] TABLE]')
    .argument('[family]', `address family: ${FAMILIES.join(', ')} (default: every family)`)
    .argument('[table]', 'table name (default: every table)')
    .option(NETNS_FLAGS, NETNS_HELP)
    // -n means numeric in every dataplane command; nft's -n (numeric protocols,
    // priorities, times) is not what this printer does, so it is refused
    .addOption(new Option('-n, --numeric').hideHelp())
    .addHelpText('after', '\nEquivalent to: nft list ruleset | nft list table [FAMILY] TABLE (ip netns exec NAME nft ... for --netns)\n' +
      'A TABLE without FAMILY lists the tables of that name in every family.')
    .action((a: string | undefined, b: string | undefined, opts: ListOptions) => listRuleset(list, a, b, opts));
  nft.addCommand(list);
  return nft;
}

async function listRuleset(cmd: Command, a: string | undefined, b: string | undefined, opts: ListOptions): Promise<void> {
  if (opts.numeric) {
    throw new UsageError(cmd, '-n/--numeric (nft -n) is not supported: rules print as `nft list ruleset` prints them; a namespace is --netns NAME');
  }
  const [family, table] = b === undefined ? [undefined, a] : [a, b];
  if (family !== undefined && !FAMILIES.includes(family)) {
    throw new UsageError(cmd, `unknown family ${JSON.stringify(family)} (one of ${FAMILIES.join(', ')})`);
  }
  const { Nftables } = await import('../nft/nftables.js');
  const { isNotFound } = await import('../errors.js');
  const nft = await Nftables.open(opts.netns !== undefined ? { netns: opts.netns } : {});
  try {
    const filter = { ...(family !== undefined ? { family: family as Family } : {}), ...(table !== undefined ? { table } : {}) };
    const rs = await nft.list(filter).catch((e: unknown) => {
      if (table !== undefined && isNotFound(e)) return undefined;  // a family and a table the kernel does not have
      throw e;
    });
    if (rs === undefined || (table !== undefined && rs.tables.length === 0)) {
      throw new Error(`no such table: ${family !== undefined ? `${family} ` : ''}${table}`);
    }
    process.stdout.write(nftTextBytes(rs.toString()));
  } finally {
    await nft.close();
  }
}
