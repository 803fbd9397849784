#!/usr/bin/env node
// The `dataplane` command: read-only views of the kernel's state for
// machines without the usual tools. Each subcommand lives in its own file;
// this one parses with commander and decides exit codes: 0 done (and
// --help, `dataplane help`), 1 the operation failed, 2 bad usage.
//
// One meaning per flag across subcommands, as the kernel tools have them:
// `-n`/`--numeric` is numeric output (ipvsadm -n, nft -n), a network
// namespace is only ever `--netns NAME` (iproute2's -netns; its short `-n`
// would clash with numeric), `-h`/`--help` is help.
import { Command, CommanderError } from 'commander';

import { iptablesCommand } from './iptables.js';
import { ipvsCommand } from './ipvs.js';
import { nftCommand } from './nft.js';
import { commandPath, subcommand, UsageError, usageLines } from './usage.js';

/** The whole command tree; `run` and the tests parse with it. */
function program(): Command {
  const root = subcommand('dataplane', 'Read-only views of the Linux dataplane (IPVS, nftables, legacy iptables) straight from the kernel, with no tools needed.')
    .usage('<command> [options]')
    .helpCommand('help [command]', 'print help for a command')
    .addHelpText('after', '\nEvery command takes --help. Exit status: 0 done, 1 the operation failed, 2 bad usage.');
  root.addCommand(ipvsCommand());
  root.addCommand(iptablesCommand());
  root.addCommand(nftCommand());
  return root;
}

/** Runs `dataplane ARGV...` and resolves to the exit status. */
async function run(argv: string[]): Promise<number> {
  // ipvsadm's -L/-l as the list command
  if (argv[0] === 'ipvs' && (argv[1] === '-L' || argv[1] === '-l')) argv = ['ipvs', 'list', ...argv.slice(2)];
  const root = program();
  try {
    await root.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;  // commander printed the message
    if (e instanceof UsageError) {
      process.stderr.write(`${commandPath(e.command)}: ${e.message}\n${usageLines(e.command)}`);
      return 2;
    }
    process.stderr.write(`dataplane: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}

run(process.argv.slice(2)).then((code) => { process.exitCode = code; });
