// What the `dataplane` subcommands share: the conventions every command
// follows, and the error for bad usage (exit status 2).
import { Command } from 'commander';

/** Bad usage found after parsing: exit status 2, the message and the command's usage on stderr. */
export class UsageError extends Error {
  constructor(readonly command: Command, message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** `dataplane nft list`: the words that run the command. */
export function commandPath(cmd: Command): string {
  const path: string[] = [];
  for (let c: Command | null = cmd; c !== null; c = c.parent) path.unshift(c.name());
  return path.join(' ');
}

/** `Usage: dataplane nft list [options] [[FAMILY] TABLE]` and where to find more. */
export function usageLines(cmd: Command): string {
  const name = commandPath(cmd);
  return `Usage: ${name} ${cmd.usage()}\nTry '${name} --help' for every option.\n`;
}

/**
 * A command with the shared behaviour: its usage errors (unknown option,
 * missing argument, conflicting options) print `dataplane ... list: what`
 * and its usage line on stderr; --help prints to stdout; commander exits
 * nothing itself (main.ts turns its errors into status 2).
 */
export function subcommand(name: string, description: string): Command {
  const cmd: Command = new Command(name).description(description).exitOverride();
  cmd.configureOutput({
    outputError: (text, write) => write(`${commandPath(cmd)}: ${text.replace(/^error: /, '')}${usageLines(cmd)}`),
  });
  return cmd;
}

/** The `--netns NAME` option, the same in every command: the library's `netns`. */
export const NETNS_FLAGS = '--netns <name>';
export const NETNS_HELP = 'network namespace: a name in /run/netns (ip netns add NAME) or a path (default: this process\'s)';
