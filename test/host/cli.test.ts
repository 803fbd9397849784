// `dataplane nft list` against the real kernel and the real nft, each test in
// a fresh netns: what it prints, and the same "no such table" message with
// or without a family. (`dataplane ipvs list` runs against ipvsadm in the vm
// suite; this kernel has no IPVS.)
import assert from 'node:assert/strict';

import { dataplaneCli, freshNetnsPerTest, sh } from '../helpers.js';

describe('dataplane CLI on the kernel', function () {
  this.timeout(30_000);
  const ns = freshNetnsPerTest();
  const nft = (...args: string[]) => sh('ip', ['netns', 'exec', ns.name, 'nft', ...args]);

  beforeEach(() => {
    nft('add table ip filter; add chain ip filter input { type filter hook input priority 0; policy accept; }; ' +
      'add rule ip filter input tcp dport 22 counter accept; add table inet filter; add set inet filter allowed { type ipv4_addr; elements = { 10.0.0.1 } }');
  });

  it('nft list --netns NAME prints what `nft list ruleset` prints; [FAMILY] TABLE what `nft list table` prints', () => {
    const all = dataplaneCli('nft', 'list', '--netns', ns.name);
    assert.equal(all.status, 0, all.stderr);
    assert.equal(all.stdout, nft('list', 'ruleset'));
    const one = dataplaneCli('nft', 'list', `--netns=/run/netns/${ns.name}`, 'ip', 'filter');
    assert.equal(one.status, 0, one.stderr);
    assert.equal(one.stdout, nft('list', 'table', 'ip', 'filter'));
    // a table name alone: that name in every family
    const both = dataplaneCli('nft', 'list', '--netns', ns.name, 'filter');
    assert.equal(both.stdout, nft('list', 'table', 'ip', 'filter') + nft('list', 'table', 'inet', 'filter'));
  });

  it('a missing table: the same message and status with or without a family', () => {
    for (const [args, what] of [[['nosuch'], 'nosuch'], [['ip', 'nosuch'], 'ip nosuch'], [['ip6', 'filter'], 'ip6 filter']] as const) {
      const r = dataplaneCli('nft', 'list', '--netns', ns.name, ...args);
      assert.equal(r.status, 1, what);
      assert.equal(r.stdout, '');
      assert.equal(r.stderr, `dataplane: no such table: ${what}\n`);
    }
  });
});
