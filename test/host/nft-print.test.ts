// Ruleset.toString() against `nft list ruleset` on the host kernel, for what
// the kube-proxy corpora do not reach: link-layer matches in netdev, bridge,
// arp, ip and inet tables (ether, vlan, arp fields, meta protocol/iiftype,
// the dependencies nft leaves out, matches nft merged into one load), set
// and map elements (nft's sort order and line layout per type), and `typeof`
// declarations of every expression nft 1.0.6 keeps in set userdata.
import assert from 'node:assert/strict';
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';

import { execFileSync } from 'node:child_process';
import { Nftables, nftTextBytes, type NftSet } from '../../src/index.js';
import { makeNetns, sh } from '../helpers.js';
import { nftablesWithVeths, nftIn, nftList, veths, withFile } from '../fixtures/nft/flowtable-ruleset.js';
import { linkLayerSample } from '../fixtures/nft/link-layer-sample.js';

const fixture = (name: string) => new URL(`../fixtures/nft/${name}`, import.meta.url).pathname;

describe('printing as nft list ruleset does: link layer and set elements', () => {
  let nft: Nftables;
  const ns = nftablesWithVeths((h) => { nft = h; });

  // Each corpus is written as nft lists it, so nft reads it back unchanged.
  for (const corpus of ['link-layer-ruleset.nft', 'set-elements.nft', 'typeof-sets.nft']) {
    it(`${corpus}: toString() prints what nft lists, and the re-encoded ruleset lists the same`, async () => {
      sh('ip', ['netns', 'exec', ns.name, 'nft', '-f', fixture(corpus)]);
      const text = readFileSync(fixture(corpus), 'utf8');
      assert.equal(nftList(ns.name), text);
      const listed = await nft.list();
      assert.equal(listed.toString(), text);
      const other = makeNetns();
      try {
        veths(other.name);
        const nft2 = await Nftables.open({ netns: other.name });
        await nft2.commit(listed.toTransaction());
        assert.equal((await nft2.list()).toString(), text);
        await nft2.close();
        assert.equal(nftList(other.name), text);
      } finally {
        other.remove();
      }
    });
  }

  it('a `typeof jhash` set, which nft 1.0.6 cannot list (it crashes), prints a declaration nft refuses', async () => {
    withFile('table ip t {\n\tset s {\n\t\ttypeof jhash ip saddr mod 2 seed 0x5 offset 3\n\t}\n}\n', (f) => nftIn(ns.name, '-f', f));
    // (No core file: the shell forbids one before it becomes nft.)
    assert.throws(() => sh('sh', ['-c', `ulimit -c 0; exec ip netns exec ${ns.name} nft list ruleset`]), (e: { signal?: string }) => e.signal === 'SIGSEGV');
    const text = (await nft.list()).toString();
    assert.match(text, /\tset s \{\n\t\ttype integer\n\t\}/);
    const other = makeNetns();
    try {
      assert.throws(() => withFile(text, (f) => nftIn(other.name, '-f', f)), /unqualified type integer specified in set definition/);
    } finally {
      other.remove();
    }
  });

  it('comments and strings that are not UTF-8: nftTextBytes(toString()) is what nft writes, byte for byte, and recreates them', async () => {
    const bytes = (t: string) => Buffer.from(t, 'latin1');
    // A table comment, an interface name and a rule comment mixing bytes that are not UTF-8 with `é` that is.
    const script = bytes('table ip t {\n\tcomment "t\xe9\xff"\n\tchain c {\n\t\tiifname "x\xffy" accept comment "a\xffb\xe9 \xc3\xa9"\n\t}\n}\n');
    const raw = (name: string) => execFileSync('ip', ['netns', 'exec', name, 'nft', 'list', 'ruleset']);
    withFile(script.toString('latin1'), (f) => { writeFileSync(f, script); nftIn(ns.name, '-f', f); });
    assert.deepEqual(raw(ns.name), script);
    const listed = await nft.list();
    assert.match(listed.toString(), /comment "a\udcffb\udce9 é"/);
    assert.deepEqual(nftTextBytes(listed.toString()), script);
    const other = makeNetns();
    try {
      const nft2 = await Nftables.open({ netns: other.name });
      await nft2.commit(listed.toTransaction());
      await nft2.close();
      assert.deepEqual(raw(other.name), script);
    } finally {
      other.remove();
    }
  });

  it('link-layer matches built with the builders read back as nft -f of the same commands', async () => {
    await nft.commit(linkLayerSample());
    const ours = nftList(ns.name);
    assert.match(ours, /\t\tvlan id 10 drop\n\t\tvlan pcp 3 vlan type ip accept\n\t\tether type ip6 drop\n/);
    assert.match(ours, /\t\tip saddr 10\.0\.0\.1 drop\n\t\tarp operation request accept\n/);
    assert.equal((await nft.list()).toString(), ours);
    const other = makeNetns();
    try {
      sh('ip', ['netns', 'exec', other.name, 'nft', '-f', fixture('link-layer.nft')]);
      assert.equal(ours, nftList(other.name));
    } finally {
      other.remove();
    }
  });

  it('elements we add in any order print in nft\'s order and layout', async () => {
    const text = readFileSync(fixture('set-elements.nft'), 'utf8');
    sh('ip', ['netns', 'exec', ns.name, 'nft', '-f', fixture('set-elements.nft')]);
    const sets = (await nft.list()).sets;
    // The same sets again, elements reversed and shuffled, through our encoder.
    const other = makeNetns();
    try {
      const nft2 = await Nftables.open({ netns: other.name });
      const tx = nft2.transaction().addTable({ family: 'ip', name: 's' });
      let seed = 7;
      const shuffle = <T>(xs: T[]): T[] => {
        const out = [...xs].reverse();
        for (let i = out.length - 1; i > 0; i--) {
          seed = (seed * 1103515245 + 12345) & 0x7fffffff;
          const j = seed % (i + 1);
          [out[i], out[j]] = [out[j]!, out[i]!];
        }
        return out;
      };
      for (const s of sets) {
        const copy: NftSet = { ...s, elements: s.flags?.includes('interval') ? s.elements : shuffle(s.elements ?? []) };
        delete copy.handle;
        tx.addSet(copy);
      }
      await nft2.commit(tx);
      // Concatenated ranges keep the order they were added in (nft shows the kernel's); the rest is sorted.
      assert.equal((await nft2.list()).toString(), nftList(other.name));
      await nft2.close();
      const stripOrderFree = (t: string) => t.replace(/\tset ci \{[^}]*\}\n/, '');
      assert.equal(stripOrderFree(nftList(other.name)), stripOrderFree(text));
    } finally {
      other.remove();
    }
  });

  it('a transaction with link-layer rules prints as an nft script nft -f accepts', async () => {
    const tx = linkLayerSample();
    const file = `/tmp/dp-ll-${process.pid}.nft`;
    writeFileSync(file, tx.toString());
    try {
      sh('ip', ['netns', 'exec', ns.name, 'nft', '-f', file]);
    } finally {
      unlinkSync(file);
    }
    const other = makeNetns();
    try {
      const nft2 = await Nftables.open({ netns: other.name });
      await nft2.commit(linkLayerSample());
      await nft2.close();
      assert.equal(nftList(ns.name), nftList(other.name));
    } finally {
      other.remove();
    }
  });
});
