// The iptables codec against what iptables-legacy 1.8.9 did with the same
// input (test/fixtures/iptables, captured by scripts/capture-iptables.mjs):
// our iptables-save text of the parsed corpus equals iptables-legacy-save's;
// the blob we encode equals the one iptables-legacy-restore sent
// (IPT_SO_SET_REPLACE via strace), byte for byte; decoding that blob gives
// the same text back; and the parser's edge cases.
import assert from 'node:assert/strict';

import { corpus, corpusSetIndex, corpusSetName, tablesOf } from '../fixtures/iptables/corpus.js';
import {
  IptablesParseError, IptablesTable, applyIptablesScript, parseIptables, parseIptablesCommand, splitIptablesArgs, type IptablesRule,
} from '../../src/index.js';
import { decodeTable } from '../../src/iptables/decode.js';
import { encodeTable } from '../../src/iptables/encode.js';
import { checkChains } from '../../src/iptables/validate.js';
import { probabilityText } from '../../src/iptables/ext/statistic.js';
import { saveRule } from '../../src/iptables/save.js';
import { layoutOf } from '../../src/iptables/wire.js';

/** Compares two entry blobs entry by entry, so a failure names the first entry that differs. */
function assertSameEntries(ours: Uint8Array, theirs: Uint8Array, family: 4 | 6): void {
  const l = layoutOf(family);
  const a = Buffer.from(ours);
  const b = Buffer.from(theirs);
  for (let off = 0; off < b.length;) {
    const n = b.readUInt16LE(off + l.next_offset);
    assert.equal(a.subarray(off, off + n).toString('hex'), b.subarray(off, off + n).toString('hex'), `entry at offset ${off}`);
    if (n === 0) break;
    off += n;
  }
  assert.equal(a.length, b.length);
}

for (const name of ['extensions4', 'extensions6'] as const) {
  describe(`iptables codec against iptables-legacy 1.8.9: ${name}`, () => {
    const c = corpus(name);
    const script = parseIptables(c.rules, { family: c.family });
    const saved = tablesOf(c.saved);

    it('parses every table of the file', () => {
      assert.deepEqual(script.tables.map((t) => t.name), c.replaces.map((r) => r.table));
    });

    for (const t of script.tables) {
      const table = applyIptablesScript(undefined, t, c.family);
      const golden = c.replaces.find((r) => r.table === t.name)!;

      it(`${t.name}: prints what iptables-legacy-save printed`, () => {
        assert.equal(table.toString(), saved.get(t.name));
      });

      it(`${t.name}: encodes to the blob iptables-legacy-restore sent`, () => {
        const enc = encodeTable(table, { family: c.family, setIndex: corpusSetIndex });
        assert.deepEqual(
          { validHooks: enc.info.validHooks, numEntries: enc.info.numEntries, size: enc.info.size, hookEntry: enc.info.hookEntry, underflow: enc.info.underflow },
          { validHooks: golden.validHooks, numEntries: golden.numEntries, size: golden.size, hookEntry: golden.hookEntry, underflow: golden.underflow },
        );
        assertSameEntries(enc.blob.subarray(96), Buffer.from(golden.entries, 'hex'), c.family);
      });

      it(`${t.name}: decodes iptables' blob back to the same text and bytes (rules decoded, or copied unread)`, () => {
        const info = { validHooks: golden.validHooks, hookEntry: golden.hookEntry, underflow: golden.underflow, numEntries: golden.numEntries, size: golden.size };
        const ctx = { family: c.family, setName: corpusSetName, setIndex: corpusSetIndex };
        const blob = Buffer.from(golden.entries, 'hex');
        for (const lazy of [false, true]) {
          const decoded = decodeTable(t.name, c.family, info, blob, ctx, { lazy });
          const again = encodeTable(decoded, { family: c.family, setIndex: corpusSetIndex });
          assertSameEntries(again.blob.subarray(96), blob, c.family);
        }
        const decoded = decodeTable(t.name, c.family, info, blob, ctx);
        assert.equal(new IptablesTable(decoded).toString(), saved.get(t.name));
      });

      it(`${t.name}: parsing iptables-save's text gives the same table`, () => {
        const again = parseIptables(saved.get(t.name)!, { family: c.family }).tables[0]!;
        assert.equal(applyIptablesScript(undefined, again, c.family).toString(), saved.get(t.name));
      });
    }
  });
}

describe('iptables parser', () => {
  const rule = (line: string, family: 4 | 6 = 4): IptablesRule => {
    const cmd = parseIptablesCommand(splitIptablesArgs(line), family);
    assert.ok(cmd !== undefined && 'rule' in cmd);
    return cmd.rule;
  };

  it('splits arguments as iptables-restore does: quotes group, backslash escapes inside quotes only', () => {
    assert.deepEqual(splitIptablesArgs('-A X -m comment --comment "a b \\" c\\\\d" -j  ACCEPT'), ['-A', 'X', '-m', 'comment', '--comment', 'a b " c\\d', '-j', 'ACCEPT']);
    assert.deepEqual(splitIptablesArgs('a\\b "" c'), ['a\\b', '', 'c']);
    assert.throws(() => splitIptablesArgs('-A X "open'), IptablesParseError);
  });

  it('loads the protocol match where its first option appears, as iptables does', () => {
    assert.equal(saveRule('X', rule('-A X -p tcp -m comment --comment c --dport 80'), 4), '-A X -p tcp -m comment --comment c -m tcp --dport 80');
    assert.equal(saveRule('X', rule('-A X -p tcp --dport 80 -m comment --comment c'), 4), '-A X -p tcp -m tcp --dport 80 -m comment --comment c');
    assert.equal(saveRule('X', rule('-A X -p ipv6-icmp --icmpv6-type 128', 6), 6), '-A X -p ipv6-icmp -m icmp6 --icmpv6-type 128');
    // A recent list name prints bare as iptables-save prints it, unless bare would not read back (found by the iptables_decode fuzzer).
    const recent = (name: string) => saveRule('X', rule(`-A X -m recent --set --name ${name} --rsource`), 4);
    assert.equal(recent('KUBE-SEP.B'), '-A X -m recent --set --name KUBE-SEP.B --mask 255.255.255.255 --rsource');
    for (const quoted of ['"KUBE-SEP-B "', '"a\\"b"']) {
      const line = recent(quoted);
      assert.equal(saveRule('X', rule(line), 4), line, `${quoted} reads back as it printed`);
      assert.match(line, /--name "/);
    }
    // So do interfaces, physdev interfaces and CT's helper and timeout names (the same bare print in iptables-save).
    for (const line of ['-A X -i "e th0" -o "a\\"b" -j ACCEPT', '-A X -m physdev --physdev-in "v 1" --physdev-out "v\\\\2" -j ACCEPT',
      '-A X -p tcp -j CT --helper "ft p" --timeout "t 1"', '-A X -i eth0 -m physdev --physdev-in veth+ -j ACCEPT']) {
      assert.equal(saveRule('X', rule(line), 4), saveRule('X', rule(saveRule('X', rule(line), 4)), 4), line);
      assert.equal(saveRule('X', rule(line), 4).includes('"'), line.includes('"'), line);
    }
  });

  it('gives an option to the latest extension that has it', () => {
    const r = rule('-A X -m comment --comment a -m comment --comment b');
    assert.deepEqual(r.matches, [{ name: 'comment', comment: 'a' }, { name: 'comment', comment: 'b' }]);
    // As in iptables, --comment still goes to the comment match loaded before -m mark.
    assert.throws(() => rule('-A X -m comment --comment a -m mark --comment b'), /"--mark" must be specified/);
  });

  it('accepts unique prefixes of long options, and rejects ambiguous ones', () => {
    assert.equal(saveRule('X', rule('-A X --src 10.0.0.1 --proto udp --jump ACCEPT'), 4), '-A X -s 10.0.0.1/32 -p udp -j ACCEPT');
    assert.equal(saveRule('X', rule('-A X -p tcp --dp 22'), 4), '-A X -p tcp -m tcp --dport 22');
  });

  it('masks addresses and prints /32 as iptables does', () => {
    assert.equal(rule('-A X -s 10.1.2.3/8').source, '10.0.0.0/8');
    assert.equal(rule('-A X -d 10.1.2.3/255.255.0.255').destination, '10.1.0.3/255.255.0.255');
    assert.equal(rule('-A X -s fd00::1:2/64', 6).source, 'fd00::/64');
  });

  it('refuses what iptables refuses, naming the line', () => {
    const bad: [string, RegExp][] = [
      ['-A X -s ! 10.0.0.1', /host\/network/],
      ['-A X ! -m comment --comment x', /cannot have ! before --match/],
      ['-A X -p tcp --tcp-flags SYN', /requires two args/],
      ['-A X -m statistic --mode nth --every 3', /also requires "--packet"/],
      ['-A X -m nosuchmatch', /Couldn't load match/],
      ['-A X -j DNAT --to-destination 10.0.0.1:80', /Need TCP, UDP, SCTP or DCCP/],
      ['-A X -m multiport --dports 1,2', /multiport needs/],
      ['-A X -m recent', /you must specify one of/],
      ['-A X -p tcp --syn --tcp-flags ALL NONE', /Only one of/],
      ['-L', /not supported/],
      ['-A X -t nat', /table is given by/],
    ];
    for (const [line, re] of bad) assert.throws(() => rule(line), re, line);
    assert.throws(() => parseIptables('*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j NOPE --x\nCOMMIT\n'), (e: unknown) => e instanceof IptablesParseError && e.line === 3);
    assert.throws(() => parseIptables('*filter\n:INPUT ACCEPT [0:0]\n'), /COMMIT expected/);
    assert.throws(() => parseIptables('*nosuchtable\nCOMMIT\n'), /does not exist/);
  });

  it('keeps -4 lines for IPv4 and -6 lines for IPv6 only', () => {
    const text = '*filter\n:INPUT ACCEPT [0:0]\n-4 -A INPUT -s 10.0.0.1 -j DROP\n-6 -A INPUT -s fd00::1 -j DROP\nCOMMIT\n';
    const count = (family: 4 | 6) => parseIptables(text, { family }).tables[0]!.steps.filter((s) => s.op === 'append').length;
    assert.equal(count(4), 1);
    assert.equal(count(6), 1);
  });

  it('plays chain lines in file order: a chain must be declared before a jump to it', () => {
    const text = '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j LATER\n:LATER - [0:0]\nCOMMIT\n';
    const t = parseIptables(text).tables[0]!;
    assert.throws(() => applyIptablesScript(undefined, t, 4), /line 3: append: jump to "LATER", which is not a chain/);
    const ok = parseIptables('*filter\n:INPUT ACCEPT [0:0]\n:LATER - [0:0]\n-A INPUT -j LATER\nCOMMIT\n').tables[0]!;
    assert.equal(applyIptablesScript(undefined, ok, 4).chain('INPUT')?.rules.length, 1);
  });

  it('--noflush keeps rules and flushes only declared user chains; without it all is replaced', () => {
    const base = applyIptablesScript(undefined, parseIptables('*filter\n:INPUT DROP [1:2]\n:A - [0:0]\n:B - [0:0]\n-A A -j ACCEPT\n-A B -j DROP\n-A INPUT -j A\nCOMMIT\n').tables[0]!, 4, { counters: true });
    const more = parseIptables('*filter\n:B - [0:0]\n-A B -j RETURN\n-A INPUT -j B\nCOMMIT\n').tables[0]!;
    const kept = applyIptablesScript(base, more, 4, { noflush: true });
    assert.equal(kept.toString(), '*filter\n:INPUT DROP [1:2]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:A - [0:0]\n:B - [0:0]\n-A INPUT -j A\n-A INPUT -j B\n-A A -j ACCEPT\n-A B -j RETURN\nCOMMIT\n');
    const flushed = applyIptablesScript(base, more, 4);
    assert.equal(flushed.toString(), '*filter\n:INPUT DROP [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:B - [0:0]\n-A INPUT -j B\n-A B -j RETURN\nCOMMIT\n');
  });

  it('plays -N, -X, -F, -E, -I, -R, -D and -P lines', () => {
    const text = ['*filter', ':INPUT ACCEPT [0:0]', '-N A', '-N B', '-A A -j ACCEPT', '-I A -j DROP', '-I A 2 -j RETURN', '-R A 1 -p udp -j DROP',
      '-D A -j ACCEPT', '-A B -j A', '-E B C', '-F A', '-N GONE', '-X GONE', '-P INPUT DROP', 'COMMIT', ''].join('\n');
    const t = applyIptablesScript(undefined, parseIptables(text).tables[0]!, 4);
    assert.equal(t.toString(), '*filter\n:INPUT DROP [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:A - [0:0]\n:C - [0:0]\n-A C -j A\nCOMMIT\n');
    assert.throws(() => applyIptablesScript(undefined, parseIptables('*filter\n-X INPUT\nCOMMIT\n').tables[0]!, 4), /built-in/);
    assert.throws(() => applyIptablesScript(undefined, parseIptables('*filter\n-N A\n-A A -j ACCEPT\n-X A\nCOMMIT\n').tables[0]!, 4), /line 4: .*not empty/);
  });

  it('prints statistic probabilities as glibc %.11f does (ties to even)', () => {
    assert.equal(probabilityText(0x80000000 / 4096), '0.00024414062'); // 2^-12 = 0.000244140625 exactly: a tie
    assert.equal(probabilityText(0x40000000), '0.50000000000');
    assert.equal(probabilityText(Math.round(0x80000000 / 3)), '0.33333333349');
    assert.equal(probabilityText(0x80000000), '1.00000000000');
  });
});

describe('iptables encoder', () => {
  it('writes the same blob in one checked pass, into a reused buffer holding old bytes, when rules outgrow the room reserved', () => {
    // Rules of 12 comments (112 + 12 x 288 + 40 bytes) are far over the 256 bytes a rule is given before it is sized.
    const big: IptablesRule = { matches: Array.from({ length: 12 }, (_, i) => ({ name: 'comment' as const, comment: `c${i}` })), target: { name: 'jump', chain: 'Z' } };
    const text = '*filter\n:INPUT ACCEPT [0:0]\n:A - [0:0]\n:Z - [0:0]\n-A Z -p udp -j DROP\nCOMMIT\n';
    const t = applyIptablesScript(undefined, parseIptables(text).tables[0]!, 4);
    t.chain('A')!.rules = Array.from({ length: 40 }, () => big);
    const ctx = { family: 4 as const, setIndex: corpusSetIndex };
    const plain = encodeTable(t, ctx);
    assert.ok(plain.blob.length > 40 * 256, 'the rules outgrow the room first reserved');
    // A buffer with room to grow into (zeroed as the blob grows), and one without (grown into a new buffer).
    for (const factor of [64, 1]) {
      let given: Buffer | undefined;
      const reused = encodeTable(t, ctx, { alloc: (size) => (given = Buffer.alloc(factor * size, 0xa5).fill(0, 0, size)) }, checkChains(t));
      assert.equal(reused.storage === given, factor === 64);
      assert.equal(Buffer.from(reused.blob).toString('hex'), Buffer.from(plain.blob).toString('hex'), `buffer of ${factor} x the room`);
      assert.deepEqual(reused.info, plain.info);
    }
  });
});

describe('iptables decoder', () => {
  it('ends a user chain that lacks its closing RETURN at the next chain (decoded or copied unread)', () => {
    const t = applyIptablesScript(undefined, parseIptables('*filter\n:INPUT ACCEPT [0:0]\n:A - [0:0]\n:B - [0:0]\n-A A -p tcp -j ACCEPT\n-A B -p udp -j DROP\nCOMMIT\n').tables[0]!, 4);
    const enc = encodeTable(t, { family: 4, setIndex: corpusSetIndex });
    const entries = Buffer.from(enc.blob.subarray(96));
    // Entries: the three built-ins' policies, A's head, rule and RETURN, B's head, rule and RETURN, the end. Drop A's RETURN.
    const l = layoutOf(4);
    const offsets: number[] = [];
    for (let off = 0; off < entries.length; off += entries.readUInt16LE(off + l.next_offset)) offsets.push(off);
    assert.equal(offsets.length, 10);
    const blob = Buffer.concat([entries.subarray(0, offsets[5]), entries.subarray(offsets[6])]);
    const info = { ...enc.info, numEntries: 9, size: blob.length };
    const want = '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:A - [0:0]\n:B - [0:0]\n-A A -p tcp -j ACCEPT\n-A B -p udp -j DROP\nCOMMIT\n';
    const ctx = { family: 4 as const, setName: corpusSetName, setIndex: corpusSetIndex };
    for (const lazy of [false, true]) {
      const decoded = decodeTable('filter', 4, info, blob, ctx, { lazy });
      // Copied unread (lazy) or encoded again, the chain gets its RETURN back.
      assert.equal(Buffer.from(encodeTable(decoded, { family: 4, setIndex: corpusSetIndex }).blob).toString('hex'), Buffer.from(enc.blob).toString('hex'));
      assert.equal(new IptablesTable(decoded).toString(), want);
    }
  });
});
