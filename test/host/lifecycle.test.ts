// Hangs and lifecycle on the real kernel: nothing the library starts may
// hold up the process's exit, a namespace argument that is not a network
// namespace (a FIFO, a file, another kind of namespace) fails at once naming
// the argument, monitors stop at any moment, and calls on a closed handle
// fail with ERR_HANDLE_CLOSED. The exit checks run in child processes.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
  Conntrack, Genl, HandleClosedError, Ipvs, NetlinkError, Nftables, NftMonitor, Rtnl, type NftEvent,
} from '../../src/index.js';
import { freshNetnsPerTest, makeNetns, sh } from '../helpers.js';

const INDEX = new URL('../../src/index.ts', import.meta.url).pathname;

interface ChildRun { code: number | null; signal: string | null; out: string; err: string; exitAfterMarkMs?: number }

// Runs an ESM script (the library imported as `dp`) in a child node; it
// prints MARK where the test expects it to be ending. Killed (SIGKILL) after
// `limitMs`. exitAfterMarkMs: how long the process took to exit after MARK.
function runChild(body: string, limitMs = 30000): Promise<ChildRun> {
  const script = `import * as dp from ${JSON.stringify(INDEX)};\nconst MARK = () => console.log('MARK');\n${body}\n`;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let markAt: number | undefined;
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (markAt === undefined && out.includes('MARK')) markAt = Date.now();
    });
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    const killer = setTimeout(() => child.kill('SIGKILL'), limitMs);
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      resolve({ code, signal, out, err, ...(markAt !== undefined ? { exitAfterMarkMs: Date.now() - markAt } : {}) });
    });
  });
}

// The child ended by itself, with status 0, within `ms` of printing MARK.
function exitedPromptly(r: ChildRun, ms = 3000): void {
  assert.equal(r.signal, null, `killed (hung): ${r.out} ${r.err}`);
  assert.equal(r.code, 0, `${r.out} ${r.err}`);
  assert.ok(r.exitAfterMarkMs !== undefined && r.exitAfterMarkMs < ms, `exited ${r.exitAfterMarkMs} ms after MARK: ${r.out}`);
}

describe('lifecycle: namespace arguments that are not network namespaces', function () {
  this.timeout(60000);
  let dir: string;
  before(() => { dir = mkdtempSync(join(tmpdir(), 'dp-life-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('a FIFO as netns or peerNetns fails at once naming the argument, and the process exits', async () => {
    const fifo = join(dir, 'fifo');
    sh('mkfifo', [fifo]);
    const r = await runChild(`
      const fifo = ${JSON.stringify(fifo)};
      const show = (e) => console.log(e.constructor.name, e.code, e.message);
      for (const open of [dp.Rtnl.open, dp.Nftables.open, dp.Genl.open, dp.Conntrack.open, dp.Ipvs.open]) {
        await open({ netns: fifo }).then(() => console.log('opened'), show);
      }
      const rtnl = await dp.Rtnl.open();
      await rtnl.addVeth('dpf0', 'dpf1', { peerNetns: fifo }).then(() => console.log('added'), show);
      await rtnl.close();
      MARK();`);
    exitedPromptly(r);
    const lines = r.out.trim().split('\n').filter((l) => l !== 'MARK');
    assert.equal(lines.length, 6, r.out);
    for (const l of lines.slice(0, 5)) assert.match(l, /^NetlinkError EINVAL .*open failed: open: netns \S+fifo is not a network namespace/);
    assert.match(lines[5]!, /^NetlinkError EINVAL rtnl\.addVeth failed: open: peerNetns \S+fifo is not a network namespace/);
  });

  it('a regular file or another kind of namespace is refused the same way', async () => {
    for (const path of ['/etc/hostname', '/proc/self/ns/mnt', '/proc/self/ns/uts', '/dev/null']) {
      await assert.rejects(Rtnl.open({ netns: path }), (e: unknown) =>
        e instanceof NetlinkError && e.code === 'EINVAL' && e.message.includes(`netns ${path} is not a network namespace`), path);
    }
    // A real one still works, by path and by pid.
    await (await Rtnl.open({ netns: '/proc/self/ns/net' })).close();
    await (await Rtnl.open({ netns: { pid: process.pid } })).close();
  });
});

describe('lifecycle: nothing the library starts holds up exit', function () {
  this.timeout(60000);

  it('handles left open, and an idle monitor left open, do not keep the process alive', async () => {
    exitedPromptly(await runChild(`
      const nft = await dp.Nftables.open();
      const rtnl = await dp.Rtnl.open();
      const genl = await dp.Genl.open();
      const ct = await dp.Conntrack.open();
      await rtnl.listLinks();
      const m = nft.monitor();
      m.next().then((r) => console.log('next', JSON.stringify(r)));
      MARK();`));
  });

  it("process.exit() ends a process whose monitor is ref'd and awaited", async () => {
    exitedPromptly(await runChild(`
      const nft = await dp.Nftables.open();
      const m = nft.monitor({ ref: true });
      setTimeout(() => { MARK(); process.exit(0); }, 200);
      for await (const e of m) console.log('event', e.type);`));
  });

  it("a ref'd monitor keeps the process alive until it is stopped, then lets it exit", async () => {
    for (const stop of ['m.return()', 'm.close()', 'nft.close()', 'ac.abort()']) {
      const r = await runChild(`
        const nft = await dp.Nftables.open();
        const ac = new AbortController();
        const m = nft.monitor({ ref: true, signal: ac.signal });
        const started = Date.now();
        setTimeout(() => { MARK(); ${stop}; }, 500);
        try {
          for await (const e of m) console.log('event', e.type);
          console.log('ended');
        } catch (e) { console.log('rejected', e.name); }
        console.log('alive', Date.now() - started >= 450);`);
      exitedPromptly(r);
      assert.match(r.out, stop === 'ac.abort()' ? /rejected AbortError/ : /ended/, `${stop}: ${r.out}`);
      assert.match(r.out, /alive true/, stop);
    }
  });

  it("an unref'd monitor awaited in a loop lets the process end", async () => {
    const r = await runChild(`
      const nft = await dp.Nftables.open();
      MARK();
      for await (const e of nft.monitor()) console.log('event', e.type);`);
    // Node ends a process whose top-level await can never settle with status 13.
    assert.equal(r.signal, null, r.out + r.err);
    assert.ok(r.code === 13 && r.exitAfterMarkMs !== undefined && r.exitAfterMarkMs < 3000, `${r.code} ${r.exitAfterMarkMs} ${r.err}`);
  });
});

describe('lifecycle: monitor', () => {
  const ns = freshNetnsPerTest();
  let nft: Nftables;
  beforeEach(async () => { nft = await Nftables.open({ netns: ns.name }); });
  afterEach(async () => { await nft.close(); });

  const addTable = async (name: string) => {
    const tx = nft.transaction();
    tx.addTable({ family: 'inet', name });
    await nft.commit(tx);
  };

  it('is subscribed when monitor() returns: a change committed right after is seen', async () => {
    for (let i = 0; i < 20; i++) {
      const m = nft.monitor();
      await addTable(`t${i}`);
      const first = await m.next();
      assert.deepEqual(first.value && first.value.type === 'new' && first.value.kind === 'table' ? first.value.table.name : first.value, `t${i}`);
      await m.return();
    }
  });

  it('sees a change another process makes right after monitor() returns', async () => {
    const m = nft.monitor();
    sh('ip', ['netns', 'exec', ns.name, 'nft', 'add table ip fromnft']);
    const e = (await m.next()).value as NftEvent;
    assert.ok(e.type === 'new' && e.kind === 'table' && e.table.name === 'fromnft', JSON.stringify(e));
    await m.close();
  });

  it("stops at any moment: return() and close() while a next() is pending, break, the handle's close()", async () => {
    const a = nft.monitor();
    const pending = a.next();
    assert.deepEqual(await a.return(), { value: undefined, done: true });
    assert.deepEqual(await pending, { value: undefined, done: true });
    assert.ok(a.closed);

    const b = nft.monitor();
    const waiting = b.next();
    await b.close();
    assert.deepEqual(await waiting, { value: undefined, done: true });
    assert.deepEqual(await b.next(), { value: undefined, done: true });

    const c = nft.monitor();
    const seen: string[] = [];
    const loop = (async () => { for await (const e of c) { seen.push(e.type); if (e.type === 'generation') break; } })();
    await addTable('x');
    await loop;
    assert.ok(c.closed && seen.at(-1) === 'generation', seen.join());

    const d = nft.monitor();
    const e = nft.monitor();
    const dn = d.next();
    await nft.close();
    assert.deepEqual(await dn, { value: undefined, done: true });
    assert.ok(d.closed && e.closed);
    assert.throws(() => nft.monitor(), (x: unknown) => x instanceof HandleClosedError && x.code === 'ERR_HANDLE_CLOSED');
  });

  it('an AbortSignal stops it: the pending next() rejects with the reason, later ones are done', async () => {
    const ac = new AbortController();
    const m = nft.monitor({ signal: ac.signal });
    const pending = m.next();
    ac.abort();
    await assert.rejects(pending, (e: unknown) => (e as Error).name === 'AbortError');
    assert.deepEqual(await m.next(), { value: undefined, done: true });
    assert.throws(() => nft.monitor({ signal: AbortSignal.abort() }), (e: unknown) => (e as Error).name === 'AbortError');
  });

  it('events queued before a stop are still read; options are checked', async () => {
    const m = nft.monitor();
    await addTable('q');
    // The kernel queues the events before it acknowledges the batch; the
    // event loop reads them during this wait.
    await new Promise((r) => setTimeout(r, 100));
    await m.close();
    // close() ends the subscription; what had arrived is still delivered.
    const e = await m.next();
    assert.ok(e.done !== true && e.value.type === 'new' && e.value.kind === 'table', JSON.stringify(e));
    for (const bad of [{ pollMs: 50 }, { pollMs: NaN }, { signal: {} }, { ref: 1 }, null]) {
      assert.throws(() => nft.monitor(bad as never), TypeError, JSON.stringify(bad));
    }
    assert.ok(nft.monitor() instanceof NftMonitor);
  });
});

describe('lifecycle: calls on a closed handle', () => {
  const ns = freshNetnsPerTest();

  it('fail with HandleClosedError (code ERR_HANDLE_CLOSED) naming the call, on every handle', async () => {
    const closed = (op: string) => (e: unknown) => e instanceof HandleClosedError && e.code === 'ERR_HANDLE_CLOSED' && e.operation === op;
    const nft = await Nftables.open({ netns: ns.name });
    await nft.close();
    await assert.rejects(nft.list(), closed('nft.list'));
    await assert.rejects(nft.commit(nft.transaction().addTable({ family: 'ip', name: 't' })), closed('nft.commit'));
    const rtnl = await Rtnl.open({ netns: ns.name });
    await rtnl.close();
    await assert.rejects(rtnl.listLinks(), closed('rtnl.listLinks'));
    const genl = await Genl.open({ netns: ns.name });
    await genl.close();
    await assert.rejects(genl.resolveFamily('nlctrl'), closed('genl.resolveFamily'));
    const ct = await Conntrack.open({ netns: ns.name });
    await ct.close();
    await assert.rejects(ct.list(), (e: unknown) => e instanceof HandleClosedError && e.operation.startsWith('conntrack.'));
    const ipvs = await Ipvs.open({ netns: ns.name });
    await ipvs.close();
    await assert.rejects(ipvs.listServices(), closed('ipvs.listServices'));
  });
});

describe('lifecycle: errors name what the caller gave', () => {
  it('rtnl.addAddress on a missing link names the call and the link', async () => {
    const ns = makeNetns();
    try {
      const rtnl = await Rtnl.open({ netns: ns.name });
      await assert.rejects(rtnl.addAddress('nosuch', '10.0.0.1/24'), (e: unknown) =>
        e instanceof NetlinkError && e.operation === 'rtnl.addAddress' && e.code === 'ENODEV' && e.message.includes('link "nosuch"'));
      await assert.rejects(rtnl.deleteLink('nosuch'), (e: unknown) => e instanceof NetlinkError && e.message.includes('link "nosuch"'));
      await rtnl.close();
    } finally {
      ns.remove();
    }
  });
});
