#!/usr/bin/env node
// The `dataplane` command: read-only views of the kernel's state for
// machines without the usual tools. Each subcommand lives in its own file.

const USAGE = `usage: dataplane <command> [options]

commands:
  ipvs list [-n] [--stats] [--netns NAME]   IPVS table, in \`ipvsadm -Ln\` layout
  iptables save [--netns NAME] [-6] [-t TABLE] [-c]
                                            legacy x_tables, as iptables-legacy-save prints them
  nft list [--netns NAME] [TABLE]           nftables ruleset, in nft syntax
`;

type Command = (args: string[]) => Promise<number>;

const commands: Record<string, () => Promise<Command>> = {
  ipvs: async () => (await import('./ipvs.js')).run,
  iptables: async () => (await import('./iptables.js')).run,
  nft: async () => (await import('./nft.js')).run,
};

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '-h' || name === '--help') {
    process.stdout.write(USAGE);
    return name === undefined ? 2 : 0;
  }
  const load = commands[name];
  if (load === undefined) {
    process.stderr.write(`dataplane: unknown command ${JSON.stringify(name)}\n${USAGE}`);
    return 2;
  }
  return (await load())(rest);
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (e: unknown) => {
    process.stderr.write(`dataplane: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  },
);
