// ip_tables and ip6_tables of the real kernel, each test in a fresh netns,
// with iptables-legacy 1.8.9 as the oracle both ways: what the tools write
// we read back as iptables-legacy-save prints it (and re-encode to the same
// bytes); what we write the tools read back identically.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import { corpus, tablesOf } from '../fixtures/iptables/corpus.js';
import { kubeProxyRules } from '../fixtures/iptables/kube-proxy.mjs';
import { corpusIpsets, legacy, legacyRestore, legacySave, legacySaveTables, straceReplaces } from '../fixtures/iptables/legacy.js';
import { freshNetnsPerTest, sh } from '../helpers.js';
import { Iptables, IptablesError, IptablesTable, parseIptables, type IptablesChain, type IptablesRule, type IptablesTableName } from '../../src/index.js';
import { layoutOf } from '../../src/iptables/wire.js';

/** The kernel's entries with comefrom and counters zeroed (what a rewrite must reproduce). */
function entriesOf(blob: Buffer, family: 4 | 6): string {
  const l = layoutOf(family);
  const b = Buffer.from(blob);
  for (let off = 0; off < b.length; off += b.readUInt16LE(off + l.next_offset)) {
    b.fill(0, off + l.comefrom, off + l.comefrom + 4);
    b.fill(0, off + l.counters, off + l.counters + 16);
  }
  return b.toString('hex');
}

/** The raw entries of a table, read with our binding. */
async function rawEntries(ns: string, family: 4 | 6, table: string): Promise<string> {
  const { binding } = await import('../../src/binding.js');
  const h = new (binding().XtHandle)(family);
  await h.open({ path: `/run/netns/${ns}` });
  try {
    const r = await h.get(table);
    assert.equal(r.error, undefined);
    return entriesOf(r.entries, family);
  } finally {
    h.close();
  }
}

const inputs: { name: string; family: 4 | 6; text: () => string; ipsets: boolean }[] = [
  { name: 'extension corpus (IPv4)', family: 4, text: () => corpus('extensions4').rules, ipsets: true },
  { name: 'extension corpus (IPv6)', family: 6, text: () => corpus('extensions6').rules, ipsets: true },
  { name: 'kube-proxy dump, 300 services (IPv4)', family: 4, text: () => kubeProxyRules({ services: 300 }), ipsets: false },
  { name: 'kube-proxy dump, 300 services (IPv6)', family: 6, text: () => kubeProxyRules({ services: 300, family: 6 }), ipsets: false },
];

describe('iptables against iptables-legacy 1.8.9 (host kernel, fresh netns each)', function () {
  this.timeout(120000);
  const ns = freshNetnsPerTest();

  for (const input of inputs) {
    it(`${input.name}: what iptables-legacy-restore wrote reads back as iptables-legacy-save prints it, and re-encodes to the same bytes`, async () => {
      if (input.ipsets) corpusIpsets(ns.name, input.family);
      const text = input.text();
      legacyRestore(ns.name, input.family, text);
      const theirs = legacySaveTables(ns.name, input.family);
      const ipt = await Iptables.open({ netns: ns.name, family: input.family, lock: false });
      try {
        const script = parseIptables(text, { family: input.family });
        assert.deepEqual([...theirs.keys()].sort(), script.tables.map((t) => t.name).sort());
        for (const t of script.tables) {
          const got = await ipt.get(t.name);
          assert.equal(got.toString(), theirs.get(t.name), `${t.name} as text`);
          const before = await rawEntries(ns.name, input.family, t.name);
          await ipt.replace(t.name, got.chains);
          assert.equal(await rawEntries(ns.name, input.family, t.name), before, `${t.name}: our rewrite of what we read is the same bytes`);
          // Chains never read are copied, not decoded: the same bytes again.
          await ipt.replace(t.name, (await ipt.get(t.name)).chains);
          assert.equal(await rawEntries(ns.name, input.family, t.name), before, `${t.name}: rewriting unread chains is the same bytes`);
        }
        assert.deepEqual(legacySaveTables(ns.name, input.family), theirs);
      } finally {
        await ipt.close();
      }
    });

    it(`${input.name}: what we write iptables-legacy-save reads back identically`, async () => {
      if (input.ipsets) corpusIpsets(ns.name, input.family);
      const ipt = await Iptables.open({ netns: ns.name, family: input.family, lock: false });
      try {
        await ipt.restore(input.text());
      } finally {
        await ipt.close();
      }
      const ours = legacySave(ns.name, input.family);
      // The same file through the tool, in a second namespace, for what it should read.
      const other = `${ns.name}-oracle`;
      sh('ip', ['netns', 'add', other]);
      try {
        if (input.ipsets) corpusIpsets(other, input.family);
        legacyRestore(other, input.family, input.text());
        assert.deepEqual(tablesOf(ours), legacySaveTables(other, input.family));
        for (const t of parseIptables(input.text(), { family: input.family }).tables) {
          assert.equal(await rawEntries(ns.name, input.family, t.name), await rawEntries(other, input.family, t.name), `${t.name} bytes`);
        }
      } finally {
        sh('ip', ['netns', 'del', other]);
      }
    });
  }

  for (const name of ['extensions4', 'extensions6'] as const) {
    it(`${name}: the IPT_SO_SET_REPLACE blobs we send are the ones iptables-legacy-restore sends (strace)`, async () => {
      const c = corpus(name);
      corpusIpsets(ns.name, c.family);
      const theirs = straceReplaces(ns.name, [c.family === 4 ? 'iptables-legacy-restore' : 'ip6tables-legacy-restore'], c.rules);
      const other = `${ns.name}-ours`;
      sh('ip', ['netns', 'add', other]);
      try {
        corpusIpsets(other, c.family);
        const script = `import { Iptables } from './src/index.ts';
          const ipt = await Iptables.open({ family: ${c.family}, lock: false });
          await ipt.restore(require('node:fs').readFileSync(0, 'utf8'));
          await ipt.close();`;
        const ours = straceReplaces(other, [process.execPath, '--import', 'tsx', '--input-type=module', '-e',
          `import { createRequire } from 'node:module'; const require = createRequire(import.meta.url); ${script}`], c.rules);
        assert.deepEqual(ours.map((r) => r.table), theirs.map((r) => r.table));
        ours.forEach((r, i) => {
          const t = theirs[i]!;
          const valid = (x: number[]) => x.map((v, h) => ((r.validHooks >> h) & 1 ? v : 0));
          assert.deepEqual([r.validHooks, r.numEntries, r.size, valid(r.hookEntry), valid(r.underflow)],
            [t.validHooks, t.numEntries, t.size, valid(t.hookEntry), valid(t.underflow)], `${r.table} header`);
          assert.equal(r.entries, t.entries, `${r.table} entries`);
        });
      } finally {
        sh('ip', ['netns', 'del', other]);
      }
    });
  }

  it('an edit of one chain of a large table leaves every other chain as it was (unread chains copied, jumps moved)', async () => {
    const text = kubeProxyRules({ services: 300 });
    legacyRestore(ns.name, 4, text);
    const ipt = await Iptables.open({ netns: ns.name, lock: false });
    try {
      await ipt.update('nat', (tx) => {
        // A rule in front of everything moves every offset after it.
        tx.insert('PREROUTING', { protocol: 'udp', matches: [{ name: 'udp', destinationPort: 5353 }], target: { name: 'RETURN' } });
        tx.newChain('AAA-FIRST').append('AAA-FIRST', { target: { name: 'jump', chain: 'KUBE-MARK-MASQ' } });
      });
      const expected = legacySave(ns.name, 4, 'nat')
        .replace('-A PREROUTING -p udp -m udp --dport 5353 -j RETURN\n', '').replace(':AAA-FIRST - [0:0]\n', '').replace('-A AAA-FIRST -j KUBE-MARK-MASQ\n', '');
      const other = `${ns.name}-oracle`;
      sh('ip', ['netns', 'add', other]);
      try {
        legacyRestore(other, 4, text);
        assert.equal(expected, legacySave(other, 4, 'nat'));
      } finally {
        sh('ip', ['netns', 'del', other]);
      }
    } finally {
      await ipt.close();
    }
  });

  it('get() of a table not yet used instantiates it empty, as iptables-legacy -L does; tables() lists it afterwards', async () => {
    const ipt = await Iptables.open({ netns: ns.name, lock: false });
    try {
      assert.deepEqual(await ipt.tables(), []);
      const nat = await ipt.get('nat');
      assert.equal(nat.toString(), IptablesTable.empty('nat', 4).toString());
      assert.deepEqual(await ipt.tables(), ['nat']);
      await ipt.get('raw');
      assert.deepEqual(await ipt.tables(), ['raw', 'nat']);
      assert.equal(legacySave(ns.name, 4, 'nat'), nat.toString());
    } finally {
      await ipt.close();
    }
  });

  it('a replace the kernel refuses leaves the old table byte-identical, and the error names iptables.replace with errno', async () => {
    legacyRestore(ns.name, 4, corpus('extensions4').rules.replace(/^-A INPUT -m set .*\n/gm, ''));
    const ipt = await Iptables.open({ netns: ns.name, lock: false });
    try {
      const before = { text: legacySave(ns.name, 4), bytes: await rawEntries(ns.name, 4, 'filter') };
      const filter = await ipt.get('filter');
      // REDIRECT is a nat-table target: the kernel's checkentry refuses it in filter (EINVAL).
      filter.chain('INPUT')!.rules.push({ protocol: 'tcp', target: { name: 'REDIRECT', port: 8080 } });
      await assert.rejects(ipt.replace('filter', filter.chains), (e: unknown) =>
        e instanceof IptablesError && e.operation === 'iptables.replace' && e.code === 'EINVAL' && e.errno === 22 && e.table === 'filter' && e.step === 'replace');
      // A match the kernel does not have: ENOENT.
      const again = await ipt.get('filter');
      again.chain('INPUT')!.rules.push({ matches: [{ name: 'raw', extension: 'nosuchmatch', revision: 0, data: new Uint8Array(8) }] });
      await assert.rejects(ipt.replace('filter', again.chains), (e: unknown) => e instanceof IptablesError && e.code === 'ENOENT');
      assert.equal(legacySave(ns.name, 4), before.text);
      assert.equal(await rawEntries(ns.name, 4, 'filter'), before.bytes);
    } finally {
      await ipt.close();
    }
  });

  it('extensions without a typed form read as raw and are written back byte for byte', async () => {
    legacy(ns.name, 4, '-A', 'INPUT', '-m', 'length', '--length', '100:1500', '-j', 'ACCEPT');
    legacy(ns.name, 4, '-A', 'INPUT', '-m', 'u32', '--u32', '0>>22&0x3C@12>>26&0x3C@0=0x4000', '-m', 'ttl', '--ttl-gt', '5', '-j', 'DROP');
    legacy(ns.name, 4, '-t', 'mangle', '-A', 'PREROUTING', '-m', 'iprange', '--src-range', '10.0.0.1-10.0.0.9', '-j', 'TTL', '--ttl-set', '64');
    const before = legacySave(ns.name, 4);
    const ipt = await Iptables.open({ netns: ns.name, lock: false });
    try {
      for (const t of ['filter', 'mangle'] as const) {
        const table = await ipt.get(t);
        const raws = table.chains.flatMap((c) => c.rules).flatMap((r) => [...(r.matches ?? []), r.target!]).filter((x) => x?.name === 'raw');
        assert.ok(raws.length >= 2, `${t}: raw extensions decoded`);
        const bytes = await rawEntries(ns.name, 4, t);
        await ipt.replace(t, table.chains);
        assert.equal(await rawEntries(ns.name, 4, t), bytes);
      }
      assert.match((await ipt.get('filter')).toString(), /-A INPUT -m length --dataplane-raw 0:[0-9a-f]+ -j ACCEPT/);
    } finally {
      await ipt.close();
    }
    assert.equal(legacySave(ns.name, 4), before);
  });

  it('a commit detects a writer that came after the read (even one that kept the size), and update() edits again', async () => {
    legacy(ns.name, 4, '-A', 'INPUT', '-p', 'tcp', '--dport', '22', '-j', 'ACCEPT');
    const ipt = await Iptables.open({ netns: ns.name, lock: false });
    try {
      const tx = await ipt.transaction('filter');
      tx.append('INPUT', { protocol: 'udp', target: { name: 'DROP' } });
      // Another writer replaces the rule by one of the same size: same entry count, same table size.
      legacy(ns.name, 4, '-R', 'INPUT', '1', '-p', 'tcp', '--dport', '23', '-j', 'ACCEPT');
      await assert.rejects(tx.commit(), (e: unknown) => e instanceof IptablesError && e.name === 'IptablesConflictError' && e.code === 'EAGAIN');
      assert.equal(legacySave(ns.name, 4, 'filter'), '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -p tcp -m tcp --dport 23 -j ACCEPT\nCOMMIT\n');
      let attempts = 0;
      await ipt.update('filter', (t) => {
        attempts++;
        if (attempts === 1) legacy(ns.name, 4, '-A', 'INPUT', '-p', 'icmp', '-j', 'ACCEPT');
        t.append('INPUT', { protocol: 'udp', target: { name: 'DROP' } });
      });
      assert.equal(attempts, 2);
      assert.match(legacySave(ns.name, 4, 'filter'), /--dport 23 -j ACCEPT\n-A INPUT -p icmp -j ACCEPT\n-A INPUT -p udp -j DROP\n/);
    } finally {
      await ipt.close();
    }
  });

  it('update() holds the xtables lock from its read to its commit; a writer that ignores the lock and changes the entry count is caught, and update() edits again', async () => {
    const lock = `/tmp/dp-xtables-held-${process.pid}.lock`;
    const { spawnSync } = await import('node:child_process');
    const free = () => spawnSync('flock', ['-n', lock, 'true']).status === 0;
    legacy(ns.name, 4, '-A', 'INPUT', '-p', 'tcp', '--dport', '22', '-j', 'ACCEPT');
    const ipt = await Iptables.open({ netns: ns.name, lock, lockWait: 5000 });
    const rogue = await Iptables.open({ netns: ns.name, lock: false });
    try {
      let attempts = 0;
      await ipt.update('filter', async (tx) => {
        attempts++;
        assert.equal(free(), false, 'held while the edit runs');
        if (attempts === 1) await rogue.update('filter', (t) => t.append('INPUT', { protocol: 'icmp', target: { name: 'ACCEPT' } }));
        tx.append('INPUT', { protocol: 'udp', target: { name: 'DROP' } });
      });
      assert.equal(attempts, 2);
      assert.equal(free(), true, 'released after the commit');
      assert.match(legacySave(ns.name, 4, 'filter'), /--dport 22 -j ACCEPT\n-A INPUT -p icmp -j ACCEPT\n-A INPUT -p udp -j DROP\n/);
      // An update inside an update of the same handle would wait for itself: refused, and the lock let go.
      await assert.rejects(ipt.update('filter', () => ipt.update('nat', () => undefined)), (e: unknown) => e instanceof IptablesError && e.code === 'EDEADLK');
      assert.equal(free(), true);
      // Updates of one handle started together take turns, each with the lock.
      const order: string[] = [];
      await Promise.all(['tcp', 'udp', 'icmp'].map((protocol) => ipt.update('filter', async (tx) => {
        order.push(`${protocol} in`);
        assert.equal(free(), false);
        await new Promise((r) => setTimeout(r, 20));
        tx.append('FORWARD', { protocol, target: { name: 'ACCEPT' } });
        order.push(`${protocol} out`);
      })));
      assert.deepEqual(order, ['tcp in', 'tcp out', 'udp in', 'udp out', 'icmp in', 'icmp out']);
      assert.match(legacySave(ns.name, 4, 'filter'), /-A FORWARD -p tcp -j ACCEPT\n-A FORWARD -p udp -j ACCEPT\n-A FORWARD -p icmp -j ACCEPT\n/);
      assert.equal(free(), true);
      // A replace() of the same handle while the lock is held does not wait for it, and the commit then reads the table again.
      await ipt.update('filter', async (tx) => {
        await ipt.replace('filter', (await ipt.get('filter')).chains);
        tx.append('INPUT', { protocol: 'udp', target: { name: 'ACCEPT' } });
      });
      assert.match(legacySave(ns.name, 4, 'filter'), /-A INPUT -p udp -j ACCEPT\n/);
    } finally {
      await ipt.close();
      await rogue.close();
      sh('rm', ['-f', lock]);
    }
  });

  it('update() under the lock reads the table once; a transaction committed without it reads it again for the generation check (strace)', () => {
    const lock = `/tmp/dp-xtables-once-${process.pid}.lock`;
    const reads = (body: string): number => {
      const log = `/tmp/dp-strace-get-${process.pid}-${Date.now()}.log`;
      const script = `import { Iptables } from './src/index.ts'; const ipt = await Iptables.open({ lock: ${JSON.stringify(lock)} }); ${body}; await ipt.close();`;
      try {
        sh('ip', ['netns', 'exec', ns.name, 'strace', '-f', '-o', log, '-e', 'trace=getsockopt', process.execPath, '--import', 'tsx', '--input-type=module', '-e', script]);
        return (readFileSync(log, 'utf8').match(/IPT_SO_GET_ENTRIES/g) ?? []).length;
      } finally {
        sh('rm', ['-f', log, lock]);
      }
    };
    assert.equal(reads("await ipt.update('filter', (tx) => tx.append('INPUT', { protocol: 'udp', target: { name: 'DROP' } }))"), 1);
    assert.equal(reads("const tx = await ipt.transaction('filter'); tx.append('INPUT', { protocol: 'udp', target: { name: 'DROP' } }); await tx.commit()"), 2);
    assert.match(legacySave(ns.name, 4, 'filter'), /-A INPUT -p udp -j DROP\n-A INPUT -p udp -j DROP\n/);
  });

  it('waits for the xtables lock that iptables-legacy writers take, and gives up after lockWait', async () => {
    const lock = `/tmp/dp-xtables-${process.pid}.lock`;
    const { spawn } = await import('node:child_process');
    const holder = spawn('flock', ['-x', lock, 'sleep', '0.6'], { stdio: 'ignore' });
    await new Promise((r) => setTimeout(r, 150));
    const ipt = await Iptables.open({ netns: ns.name, lock, lockWait: 50 });
    const filter = (await ipt.get('filter')).chains;
    try {
      await assert.rejects(ipt.replace('filter', filter), (e: unknown) => e instanceof IptablesError && e.step === 'lock' && e.code === 'EAGAIN');
      const patient = await Iptables.open({ netns: ns.name, lock, lockWait: 5000 });
      const t0 = Date.now();
      await patient.replace('filter', filter);
      assert.ok(Date.now() - t0 >= 200, 'it waited for the holder');
      await patient.close();
    } finally {
      await ipt.close();
      holder.kill();
      sh('rm', ['-f', lock]);
    }
  });

  it('counters: zero, set from the rules, or kept for unchanged rules across a replace', async () => {
    const ipt = await Iptables.open({ netns: ns.name, lock: false });
    try {
      await ipt.restore('*filter\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A OUTPUT -o lo -p udp -m udp --dport 9999 -j ACCEPT\nCOMMIT\n');
      sh('ip', ['netns', 'exec', ns.name, 'ip', 'link', 'set', 'lo', 'up']);
      sh('ip', ['netns', 'exec', ns.name, process.execPath, '-e',
        "const s=require('dgram').createSocket('udp4');let n=0;const go=()=>s.send('x',9999,'127.0.0.1',()=>{if(++n<3)go();else s.close();});go();"]);
      const counted = (await ipt.get('filter')).chain('OUTPUT')!.rules[0]!.counters;
      assert.equal(counted?.packets, 3);
      const table = await ipt.get('filter');
      table.chain('OUTPUT')!.rules.unshift({ protocol: 'tcp', target: { name: 'ACCEPT' } });
      await ipt.replace('filter', table.chains, { counters: 'keep' });
      assert.match(legacySave(ns.name, 4, 'filter', true), /\[0:0\] -A OUTPUT -p tcp -j ACCEPT\n\[3:\d+\] -A OUTPUT -o lo -p udp/);
      table.chain('OUTPUT')!.rules[0]!.counters = { packets: 11, bytes: 22 };
      table.chain('INPUT')!.counters = { packets: 5, bytes: 6 };
      await ipt.replace('filter', table.chains, { counters: 'set' });
      assert.match(legacySave(ns.name, 4, 'filter', true), /:INPUT ACCEPT \[5:6\][^]*\[11:22\] -A OUTPUT -p tcp -j ACCEPT\n\[3:\d+\] -A OUTPUT -o lo/);
      await ipt.replace('filter', table.chains);
      assert.match(legacySave(ns.name, 4, 'filter', true), /\[0:0\] -A OUTPUT -p tcp -j ACCEPT\n\[0:0\] -A OUTPUT -o lo/);
    } finally {
      await ipt.close();
    }
  });

  it('counters: chains left unread keep theirs across a replace, also when the table changed since it was read', async () => {
    const ipt = await Iptables.open({ netns: ns.name, lock: false });
    try {
      await ipt.restore('*filter\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:COUNT - [0:0]\n:OTHER - [0:0]\n-A OUTPUT -j COUNT\n' +
        '-A COUNT -o lo -p udp -m udp --dport 9999 -j ACCEPT\n-A OTHER -j RETURN\nCOMMIT\n');
      sh('ip', ['netns', 'exec', ns.name, 'ip', 'link', 'set', 'lo', 'up']);
      sh('ip', ['netns', 'exec', ns.name, process.execPath, '-e',
        "const s=require('dgram').createSocket('udp4');let n=0;const go=()=>s.send('x',9999,'127.0.0.1',()=>{if(++n<3)go();else s.close();});go();"]);
      const counted = (): string => legacySave(ns.name, 4, 'filter', true).split('\n').filter((l) => / -A (OUTPUT|COUNT) /.test(l)).join('\n');
      const before = counted();
      assert.match(before, /^\[[1-9]\d*:\d+\] -A OUTPUT -j COUNT\n\[3:\d+\] -A COUNT -o lo -p udp -m udp --dport 9999 -j ACCEPT$/);
      // OUTPUT and COUNT are never read: their bytes are copied, and their counters carried by position.
      const table = await ipt.get('filter');
      const stale = await ipt.get('filter');
      table.chains.find((c) => c.name === 'OTHER')!.rules.unshift({ protocol: 'tcp', target: { name: 'DROP' } });
      await ipt.replace('filter', table.chains, { counters: 'keep' });
      assert.equal(counted(), before);
      assert.match(legacySave(ns.name, 4, 'filter'), /-A OTHER -p tcp -j DROP\n-A OTHER -j RETURN\n/);
      // `stale` was read before that replace: its chains are compared with the table's instead.
      await ipt.replace('filter', stale.chains, { counters: 'keep' });
      assert.equal(counted(), before);
      assert.doesNotMatch(legacySave(ns.name, 4, 'filter'), /-p tcp -j DROP/);
      // update() under the lock commits without reading again: the counters come from the read it holds,
      // for a chain copied unread (OUTPUT) and for one decoded and compared (COUNT).
      const locked = await Iptables.open({ netns: ns.name, lock: `/tmp/dp-xtables-counters-${process.pid}.lock` });
      try {
        await locked.update('filter', (tx) => {
          void tx.table.chain('COUNT')!.rules.length;
          tx.insert('OTHER', { protocol: 'udp', target: { name: 'DROP' } });
        });
      } finally {
        await locked.close();
        sh('rm', ['-f', `/tmp/dp-xtables-counters-${process.pid}.lock`]);
      }
      assert.equal(counted(), before);
      assert.match(legacySave(ns.name, 4, 'filter'), /-A OTHER -p udp -j DROP\n-A OTHER -j RETURN\n/);
    } finally {
      await ipt.close();
    }
  });

  it('dataplane iptables save prints what iptables-legacy-save prints, less its comment lines', async () => {
    legacyRestore(ns.name, 4, kubeProxyRules({ services: 30 }));
    legacyRestore(ns.name, 6, kubeProxyRules({ services: 30, family: 6 }));
    const cli = (...args: string[]): string => sh(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'iptables', 'save', '--netns', ns.name, ...args]);
    assert.equal(cli(), legacySave(ns.name, 4));
    assert.equal(cli('-6'), legacySave(ns.name, 6));
    assert.equal(cli('-t', 'nat'), legacySave(ns.name, 4, 'nat'));
    assert.equal(cli('-6', '-t', 'filter', '-c'), legacySave(ns.name, 6, 'filter', true));
  });

  it('refuses bad arguments before opening anything', async () => {
    await assert.rejects(Iptables.open({ netns: ns.name, family: 5 as 4 }), TypeError);
    await assert.rejects(Iptables.open({ netns: ns.name, lock: 'relative' }), TypeError);
    const ipt = await Iptables.open({ netns: ns.name, lock: false });
    try {
      await assert.rejects(ipt.get('nope' as IptablesTableName), TypeError);
      await assert.rejects(ipt.replace('filter', [{ name: 'INPUT', policy: 'ACCEPT', rules: [] }]), /missing FORWARD, OUTPUT/);
      const builtins = ['INPUT', 'FORWARD', 'OUTPUT'].map((name) => ({ name, policy: 'ACCEPT' as const, rules: [] as IptablesRule[] }));
      await assert.rejects(ipt.replace('filter', [null as unknown as IptablesChain, ...builtins]), (e: unknown) => e instanceof TypeError && /chains\[0\] must be/.test(e.message));
      for (const [rule, re] of [[null, /chain A rule 2 must be an object/], [{ matches: 'set' }, /chain A rule 2\.matches must be an array/],
        [{ matches: [null] }, /chain A rule 2\.matches\[0\] must be an object/], [{ matches: [{ name: 'set' }] }, /chain A rule 2\.matches\[0\]/]] as const) {
        const chains: IptablesChain[] = [...builtins, { name: 'A', rules: [{ target: { name: 'ACCEPT' } } as IptablesRule, rule as unknown as IptablesRule] }];
        await assert.rejects(ipt.replace('filter', chains), (e: unknown) => (e instanceof TypeError || e instanceof RangeError) && re.test(e.message), String(re));
      }
      assert.deepEqual(await ipt.tables(), [], 'nothing was sent');
    } finally {
      await ipt.close();
    }
  });
});
