// The `dataplane` binary's usage, run as a user runs it (a child process):
// help on every command, exit statuses and streams, one meaning per flag.
// What it prints from the kernel is in test/host/cli.test.ts and the vm suite.
import assert from 'node:assert/strict';

import { dataplaneCli as dataplane } from '../helpers.js';

/** The options a help text lists, e.g. ['-n', '--numeric', '--netns', '-h', '--help']. */
function optionsListed(help: string): string[] {
  const section = help.split('\nOptions:\n')[1]?.split('\n\n')[0] ?? '';
  return [...section.matchAll(/^ {2}(-\S+?)(?:, (--\S+))?(?: <\w+>)? /gm)].flatMap((m) => m.slice(1).filter((x) => x !== undefined));
}

describe('dataplane CLI usage', function () {
  this.timeout(30_000);

  const helps: [string[], RegExp][] = [
    [['--help'], /^Usage: dataplane <command> \[options\]/],
    [['-h'], /^Usage: dataplane <command> \[options\]/],
    [['help'], /^Usage: dataplane <command> \[options\]/],
    [['ipvs', '--help'], /^Usage: dataplane ipvs <command> \[options\]/],
    [['help', 'ipvs'], /^Usage: dataplane ipvs <command> \[options\]/],
    [['ipvs', 'list', '--help'], /^Usage: dataplane ipvs list \[options\]/],
    [['ipvs', 'help', 'list'], /^Usage: dataplane ipvs list \[options\]/],
    [['nft', '--help'], /^Usage: dataplane nft <command> \[options\]/],
    [['help', 'nft'], /^Usage: dataplane nft <command> \[options\]/],
    [['nft', 'list', '--help'], /^Usage: dataplane nft list \[options\] \[\[FAMILY\] TABLE\]/],
    [['nft', 'help', 'list'], /^Usage: dataplane nft list \[options\] \[\[FAMILY\] TABLE\]/],
    [['iptables', '--help'], /^Usage: dataplane iptables <command> \[options\]/],
    [['iptables', 'save', '--help'], /^Usage: dataplane iptables save \[options\]/],
  ];
  for (const [args, usage] of helps) {
    it(`dataplane ${args.join(' ')}: help on stdout, exit 0`, () => {
      const r = dataplane(...args);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stderr, '');
      assert.match(r.stdout, usage);
    });
  }

  it('the top-level help lists every command; without one, the help goes to stderr with status 2', () => {
    const help = dataplane('--help').stdout;
    for (const c of ['ipvs', 'iptables', 'nft', 'help [command]']) assert.match(help, new RegExp(`^ {2}${c.replace(/[[\]]/g, '\\$&')} `, 'm'), c);
    const bare = dataplane();
    assert.equal(bare.status, 2);
    assert.equal(bare.stdout, '');
    assert.equal(bare.stderr, help);
  });

  it('each list command\'s usage lists every option it takes, and a flag means the same in every command', () => {
    const ipvs = dataplane('ipvs', 'list', '--help').stdout;
    const nft = dataplane('nft', 'list', '--help').stdout;
    assert.deepEqual(optionsListed(ipvs), ['-n', '--numeric', '--stats', '--rate', '--netns', '-h', '--help']);
    assert.deepEqual(optionsListed(nft), ['--netns', '-h', '--help']);
    const netnsLine = (help: string) => /^ {2}--netns <name> +(.*(?:\n {18}.*)*)/m.exec(help)?.[1];
    assert.equal(netnsLine(ipvs), netnsLine(nft));
    assert.match(ipvs, /-n, --numeric +numeric addresses/);
    const ipt = dataplane('iptables', 'save', '--help').stdout;
    assert.deepEqual(optionsListed(ipt), ['-4', '--ipv4', '-6', '--ipv6', '-t', '--table', '-c', '--counters', '--netns', '-h', '--help']);
    // Its option column is wider (-t, --table <table>): the same words, wrapped elsewhere.
    const netnsText = (help: string) => /^ {2}--netns <name> +([\s\S]*?)\n {2}-/m.exec(help)?.[1]!.replace(/\s+/g, ' ');
    assert.equal(netnsText(ipt), netnsText(nft));
  });

  it('-n is numeric everywhere: nft list refuses it (nft -n is not what it prints) and points at --netns', () => {
    const r = dataplane('nft', 'list', '-n', 'x');
    assert.equal(r.status, 2);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, 'dataplane nft list: -n/--numeric (nft -n) is not supported: rules print as `nft list ruleset` prints them; ' +
      "a namespace is --netns NAME\nUsage: dataplane nft list [options] [[FAMILY] TABLE]\nTry 'dataplane nft list --help' for every option.\n");
  });

  const misuse: [string[], string][] = [
    [['bogus'], "dataplane: unknown command 'bogus'"],
    [['ipvs'], 'Usage: dataplane ipvs <command> [options]'],
    [['ipvs', 'show'], "dataplane ipvs: unknown command 'show'"],
    [['ipvs', 'list', '--bogus'], "dataplane ipvs list: unknown option '--bogus'"],
    [['ipvs', 'list', '--stats', '--rate'], "dataplane ipvs list: option '--stats' cannot be used with option '--rate'"],
    [['ipvs', 'list', 'x'], "dataplane ipvs list: too many arguments for 'list'"],
    [['nft', 'list', '--netns'], "dataplane nft list: option '--netns <name>' argument missing"],
    [['nft', 'list', 'ipx', 't'], 'dataplane nft list: unknown family "ipx" (one of ip, ip6, inet, arp, bridge, netdev)'],
    [['nft', 'list', 'a', 'b', 'c'], "dataplane nft list: too many arguments for 'list'"],
    [['iptables', 'save', '-t', 'nope'], "dataplane iptables save: option '-t, --table <table>' argument 'nope' is invalid. Allowed choices are filter, nat, mangle, raw, security."],
    [['iptables', 'save', '-4', '-6'], "dataplane iptables save: option '-4, --ipv4' cannot be used with option '-6, --ipv6'"],
  ];
  for (const [args, message] of misuse) {
    it(`dataplane ${args.join(' ')}: exit 2, says what is wrong on stderr`, () => {
      const r = dataplane(...args);
      assert.equal(r.status, 2);
      assert.equal(r.stdout, '');
      assert.ok(r.stderr.startsWith(message), r.stderr);
    });
  }
});
