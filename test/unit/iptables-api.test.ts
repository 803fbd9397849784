// The iptables API without a kernel: every bad input is a TypeError or
// RangeError before anything would be sent; FakeIptables keeps tables as
// the kernel does (made on first use, replaced whole), applies counters the
// three ways, and detects a writer that came in between a read and a commit.
import assert from 'node:assert/strict';

import { FakeIptables, IptablesConflictError, IptablesError, isIptablesConflict, type IptablesChain, type IptablesRule } from '../../src/index.js';
import { encodeTable } from '../../src/iptables/encode.js';
import { checkChains, validateTable } from '../../src/iptables/validate.js';

const builtins = (policy: 'ACCEPT' | 'DROP' = 'ACCEPT'): IptablesChain[] => ['INPUT', 'FORWARD', 'OUTPUT'].map((name) => ({ name, policy, rules: [] }));
const filter = (extra: IptablesChain[] = [], rules: IptablesRule[] = []): IptablesChain[] => {
  const chains = builtins();
  chains[0]!.rules = rules;
  return [...chains, ...extra];
};

describe('iptables validation (before anything is sent)', () => {
  const bad: [string, () => IptablesChain[], typeof TypeError | typeof RangeError, RegExp][] = [
    ['a missing built-in chain', () => builtins().slice(1), TypeError, /missing INPUT/],
    ['a policy on a user chain', () => filter([{ name: 'X', policy: 'DROP', rules: [] }]), TypeError, /only the built-in chains/],
    ['a built-in chain without policy', () => [{ name: 'INPUT', rules: [] }, ...builtins().slice(1)], TypeError, /needs policy/],
    ['a duplicate chain', () => filter([{ name: 'X', rules: [] }, { name: 'X', rules: [] }]), TypeError, /appears twice/],
    ['a chain name over 28 bytes', () => filter([{ name: 'K'.repeat(29), rules: [] }]), TypeError, /longer than 28/],
    ['a chain name clashing with a target', () => filter([{ name: 'DNAT', rules: [] }]), TypeError, /clash/],
    ['a chain name with a space', () => filter([{ name: 'A B', rules: [] }]), TypeError, /whitespace/],
    ['a jump to a missing chain', () => filter([], [{ target: { name: 'jump', chain: 'NOPE' } }]), TypeError, /no chain "NOPE"/],
    ['a jump to a built-in chain', () => filter([], [{ target: { name: 'goto', chain: 'OUTPUT' } }]), TypeError, /built-in chain OUTPUT/],
    ['a jump loop', () => filter([{ name: 'A', rules: [{ target: { name: 'jump', chain: 'B' } }] }, { name: 'B', rules: [{ target: { name: 'goto', chain: 'A' } }] }]), RangeError, /jump loop: A -> B -> A/],
    ['an IPv6 address in IPv4', () => filter([], [{ source: 'fd00::1' }]), TypeError, /not an IPv4 address/],
    ['a prefix too long', () => filter([], [{ source: '10.0.0.0/33' }]), RangeError, /prefix length/],
    ['an interface name too long', () => filter([], [{ inInterface: 'x'.repeat(16) }]), RangeError, /shorter than 16/],
    ['an unknown protocol', () => filter([], [{ protocol: 'nosuchproto' }]), TypeError, /unknown protocol/],
    ['an unknown match', () => filter([], [{ matches: [{ name: 'bogus' } as never] }]), TypeError, /unknown match "bogus"/],
    ['an unknown option of a match', () => filter([], [{ matches: [{ name: 'tcp', dport: 80 } as never] }]), TypeError, /unknown option "dport"/],
    ['a port out of range', () => filter([], [{ protocol: 'tcp', matches: [{ name: 'tcp', destinationPort: 70000 }] }]), RangeError, /0\.\.65535/],
    ['a port range upside down', () => filter([], [{ protocol: 'tcp', matches: [{ name: 'tcp', sourcePort: { from: 9, to: 1 } }] }]), RangeError, /from <= to/],
    ['a comment of 256 bytes', () => filter([], [{ matches: [{ name: 'comment', comment: 'c'.repeat(256) }] }]), RangeError, /longer than 255/],
    ['a probability above 1', () => filter([], [{ matches: [{ name: 'statistic', mode: 'random', probability: 1.5 }] }]), RangeError, /0\.\.1/],
    ['nth without every', () => filter([], [{ matches: [{ name: 'statistic', mode: 'nth' }] }]), TypeError, /every must be an integer/],
    ['16 multiport ports', () => filter([], [{ protocol: 'tcp', matches: [{ name: 'multiport', destinationPorts: Array.from({ length: 16 }, (_, i) => i + 1) }] }]), RangeError, /too many ports/],
    ['an ICMPv6 match in IPv4', () => filter([], [{ matches: [{ name: 'icmp6', type: 128 }] }]), TypeError, /icmp6 is for IPv6/],
    ['a DNAT address of the other family', () => filter([], [{ target: { name: 'DNAT', address: 'fd00::1' } }]), TypeError, /IPv4 address/],
    ['a REJECT type of IPv6 in IPv4', () => filter([], [{ target: { name: 'REJECT', with: 'icmp6-no-route' } }]), TypeError, /with must be one of/],
    ['a MARK value over 32 bits', () => filter([], [{ target: { name: 'MARK', value: 2 ** 32, mask: 1 } }]), RangeError, /0\.\.4294967295/],
    ['a raw extension with unaligned data', () => filter([], [{ matches: [{ name: 'raw', extension: 'length', revision: 1, data: new Uint8Array(5) }] }]), TypeError, /multiple of 8/],
    ['negative counters', () => filter([], [{ counters: { packets: -1, bytes: 0 } }]), TypeError, /non-negative/],
    ['a rule over 64 KiB', () => filter([], [{ matches: Array.from({ length: 230 }, () => ({ name: 'comment' as const, comment: 'x' })) }]), RangeError, /64 KiB/],
  ];
  for (const [what, chains, type, re] of bad) {
    it(`refuses ${what}`, () => {
      assert.throws(() => validateTable({ name: 'filter', family: 4, chains: chains() }), (e: unknown) => e instanceof type && re.test((e as Error).message));
      // The same when the rules are checked as they are encoded (replace()'s one pass), before a byte is sent.
      const data = { name: 'filter' as const, family: 4 as const, chains: chains() };
      assert.throws(() => encodeTable(data, { family: 4, setIndex: () => 0 }, {}, checkChains(data)), (e: unknown) => e instanceof type && re.test((e as Error).message));
    });
  }

  it('refuses an unknown table or family, and accepts a full kube-proxy style table', () => {
    assert.throws(() => validateTable({ name: 'nosuch' as 'nat', family: 4, chains: [] }), TypeError);
    assert.throws(() => validateTable({ name: 'nat', family: 5 as 4, chains: [] }), TypeError);
    validateTable({
      name: 'nat', family: 4, chains: [
        ...['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'].map((name) => ({ name, policy: 'ACCEPT' as const, rules: [] })),
        { name: 'KUBE-SVC-A', rules: [{ matches: [{ name: 'statistic', mode: 'random', probability: 0.5 }], target: { name: 'jump', chain: 'KUBE-SEP-A' } }] },
        { name: 'KUBE-SEP-A', rules: [{ protocol: 'tcp', matches: [{ name: 'tcp' }], target: { name: 'DNAT', address: '10.0.0.1', port: 8080 } }] },
      ],
    });
  });
});

describe('FakeIptables', () => {
  it('makes a table on first use, with the built-in chains and policy ACCEPT', async () => {
    const ipt = new FakeIptables();
    assert.deepEqual(await ipt.tables(), []);
    const nat = await ipt.get('nat');
    assert.deepEqual(nat.chains.map((c) => [c.name, c.policy]), [['PREROUTING', 'ACCEPT'], ['INPUT', 'ACCEPT'], ['OUTPUT', 'ACCEPT'], ['POSTROUTING', 'ACCEPT']]);
    await ipt.get('filter');
    assert.deepEqual(await ipt.tables(), ['filter', 'nat']);
  });

  it('replaces all or nothing: a bad table changes nothing', async () => {
    const ipt = new FakeIptables();
    await ipt.replace('filter', filter([{ name: 'A', rules: [{ target: { name: 'ACCEPT' } }] }]));
    const before = ipt.dump();
    await assert.rejects(ipt.replace('filter', filter([], [{ target: { name: 'jump', chain: 'GONE' } }])), TypeError);
    assert.equal(ipt.dump(), before);
  });

  it('refuses a set match naming an ipset that does not exist (ENOENT), like the kernel', async () => {
    const ipt = new FakeIptables({ ipsets: ['allowed'] });
    await ipt.replace('filter', filter([], [{ matches: [{ name: 'set', set: 'allowed', flags: ['src'] }], target: { name: 'ACCEPT' } }]));
    await assert.rejects(ipt.replace('filter', filter([], [{ matches: [{ name: 'set', set: 'other', flags: ['src'] }] }])),
      (e: unknown) => e instanceof IptablesError && e.code === 'ENOENT' && e.operation === 'iptables.replace');
  });

  it('sets counters zero, from the rules, or keeps those of unchanged rules', async () => {
    const ipt = new FakeIptables();
    const a: IptablesRule = { protocol: 'tcp', target: { name: 'ACCEPT' }, counters: { packets: 5, bytes: 500 } };
    const b: IptablesRule = { protocol: 'udp', target: { name: 'DROP' }, counters: { packets: 7, bytes: 700 } };
    await ipt.replace('filter', filter([], [a, b]), { counters: 'set' });
    assert.match(ipt.dump({ counters: true }), /\[5:500\] -A INPUT -p tcp -j ACCEPT\n\[7:700\] -A INPUT -p udp -j DROP/);
    await ipt.replace('filter', filter([], [{ protocol: 'icmp', target: { name: 'ACCEPT' } }, { ...b, counters: undefined }]), { counters: 'keep' });
    assert.match(ipt.dump({ counters: true }), /\[0:0\] -A INPUT -p icmp -j ACCEPT\n\[7:700\] -A INPUT -p udp -j DROP/);
    await ipt.replace('filter', filter([], [b]));
    assert.match(ipt.dump({ counters: true }), /\[0:0\] -A INPUT -p udp -j DROP/);
  });

  it('a transaction edits as iptables commands do and commits with the generation it read', async () => {
    const ipt = new FakeIptables();
    const tx = await ipt.transaction('filter');
    tx.newChain('SVC').append('SVC', { protocol: 'tcp', matches: [{ name: 'tcp', destinationPort: 80 }], target: { name: 'ACCEPT' } })
      .append('INPUT', { target: { name: 'jump', chain: 'SVC' } }).insert('INPUT', { inInterface: 'lo', target: { name: 'ACCEPT' } })
      .policy('FORWARD', 'DROP');
    await tx.commit();
    assert.equal((await ipt.get('filter')).toString(), [
      '*filter', ':INPUT ACCEPT [0:0]', ':FORWARD DROP [0:0]', ':OUTPUT ACCEPT [0:0]', ':SVC - [0:0]',
      '-A INPUT -i lo -j ACCEPT', '-A INPUT -j SVC', '-A SVC -p tcp -m tcp --dport 80 -j ACCEPT', 'COMMIT', ''].join('\n'));
    const edit = await ipt.transaction('filter');
    assert.throws(() => edit.deleteChain('SVC'), /not empty/);
    edit.delete('INPUT', { target: { name: 'jump', chain: 'SVC' } }).flush('SVC').deleteChain('SVC');
    assert.throws(() => edit.delete('INPUT', 5), RangeError);
    assert.throws(() => edit.newChain('INPUT'), /already exists/);
    await edit.commit();
    assert.deepEqual((await ipt.get('filter')).chains.map((c) => c.name), ['INPUT', 'FORWARD', 'OUTPUT']);
  });

  it('detects a writer between read and commit, and update() reads and edits again', async () => {
    const ipt = new FakeIptables();
    const tx = await ipt.transaction('filter');
    tx.append('INPUT', { protocol: 'tcp', target: { name: 'ACCEPT' } });
    await ipt.update('filter', (other) => { other.append('INPUT', { protocol: 'udp', target: { name: 'DROP' } }); });
    await assert.rejects(tx.commit(), (e: unknown) => e instanceof IptablesConflictError && isIptablesConflict(e) && e.code === 'EAGAIN');
    let calls = 0;
    const racing = ipt.update('filter', async (t) => {
      calls++;
      if (calls === 1) await ipt.update('filter', (o) => { o.append('INPUT', { protocol: 'icmp', target: { name: 'ACCEPT' } }); });
      t.append('INPUT', { protocol: 'tcp', target: { name: 'ACCEPT' } });
    });
    await racing;
    assert.equal(calls, 2);
    assert.match((await ipt.get('filter')).toString(), /-A INPUT -p udp -j DROP\n-A INPUT -p icmp -j ACCEPT\n-A INPUT -p tcp -j ACCEPT\n/);
  });

  it('restores iptables-save text, with and without --noflush', async () => {
    const ipt = new FakeIptables();
    await ipt.restore('*filter\n:INPUT DROP [0:0]\n:KUBE-A - [0:0]\n-A INPUT -j KUBE-A\n-A KUBE-A -j ACCEPT\nCOMMIT\n');
    await ipt.restore('*filter\n:KUBE-B - [0:0]\n-A INPUT -j KUBE-B\nCOMMIT\n', { noflush: true });
    assert.equal(ipt.dump(), '*filter\n:INPUT DROP [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:KUBE-A - [0:0]\n:KUBE-B - [0:0]\n-A INPUT -j KUBE-A\n-A INPUT -j KUBE-B\n-A KUBE-A -j ACCEPT\nCOMMIT\n');
    await ipt.restore('*filter\n:KUBE-B - [0:0]\nCOMMIT\n');
    assert.equal(ipt.dump(), '*filter\n:INPUT DROP [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:KUBE-B - [0:0]\nCOMMIT\n');
  });

  it('refuses bad arguments with TypeError', async () => {
    const ipt = new FakeIptables();
    await assert.rejects(ipt.get('nope' as 'nat'), TypeError);
    await assert.rejects(ipt.replace('filter', filter(), { counters: 'some' as 'zero' }), TypeError);
    await assert.rejects(ipt.replace('filter', filter(), { generation: 5 as unknown as bigint }), TypeError);
    assert.throws(() => new FakeIptables({ family: 5 as 4 }), TypeError);
  });
});
