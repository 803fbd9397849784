// Bad input is refused with TypeError/RangeError before any byte is sent.
// An unprivileged handle in the caller's own namespace is enough: nothing
// here reaches the kernel.
import assert from 'node:assert/strict';

import { netnsWire } from '../../src/handle.js';
import { Genl, HandleClosedError, Rtnl } from '../../src/index.js';

describe('validation at the public edge', () => {
  let rtnl: Rtnl;
  before(async () => { rtnl = await Rtnl.open(); });
  after(async () => { await rtnl.close(); });

  it('netns option: names, paths, pids', () => {
    assert.deepEqual(netnsWire(undefined), {});
    assert.deepEqual(netnsWire('blue'), { path: '/run/netns/blue' });
    assert.deepEqual(netnsWire('/proc/1/ns/net'), { path: '/proc/1/ns/net' });
    assert.deepEqual(netnsWire({ path: '/var/run/netns/x' }), { path: '/var/run/netns/x' });
    assert.deepEqual(netnsWire({ pid: 42 }), { pid: 42 });
    for (const bad of ['', '..', 'a/b', 'a b', { pid: 0 }, { pid: -1 }, { pid: 1.5 }, { path: 'relative' }, 7, null]) {
      assert.throws(() => netnsWire(bad as never), TypeError, JSON.stringify(bad));
    }
  });

  it('open options are checked', async () => {
    await assert.rejects(Rtnl.open({ receiveBuffer: 12 }), RangeError);
    await assert.rejects(Rtnl.open({ netns: 'bad name' }), TypeError);
    await assert.rejects(Rtnl.open(null as never), TypeError);
  });

  it('interface names', async () => {
    for (const bad of ['', 'a'.repeat(16), 'a/b', 'a b', 'a:b', '.', '..']) {
      await assert.rejects(rtnl.addDummy(bad), TypeError, bad);
      await assert.rejects(rtnl.addVeth('ok0', bad), TypeError, bad);
    }
    await assert.rejects(rtnl.getLink(0), RangeError);
    await assert.rejects(rtnl.getLink(1.5), RangeError);
    await assert.rejects(rtnl.addDummy('d0', { mtu: 10 }), RangeError);
    await assert.rejects(rtnl.setLinkMtu('lo', 67), RangeError);
  });

  it('addresses', async () => {
    await assert.rejects(rtnl.addAddress('lo', '10.0.0.256/32'), TypeError);
    await assert.rejects(rtnl.addAddress('lo', '10.0.0.1/33'), RangeError);
    await assert.rejects(rtnl.addAddress('lo', 'fd00::1/64', { label: 'lo:x' }), TypeError);
    await assert.rejects(rtnl.addAddress('lo', '10.0.0.1/32', { label: 'a'.repeat(16) }), TypeError);
    await assert.rejects(rtnl.addAddress('lo', '10.0.0.1/32', { scope: 'galaxy' as never }), TypeError);
    await assert.rejects(rtnl.listAddresses({ family: 5 as never }), TypeError);
    // one bad address in a batch rejects the whole batch before sending
    await assert.rejects(rtnl.addAddresses('lo', ['10.0.0.1/32', 'nope']), TypeError);
    await assert.rejects(rtnl.addAddresses('lo', 'x' as never), TypeError);
  });

  it('generic netlink family names', async () => {
    const genl = await Genl.open();
    try {
      await assert.rejects(genl.resolveFamily(''), TypeError);
      await assert.rejects(genl.resolveFamily('x'.repeat(16)), TypeError);
    } finally {
      await genl.close();
    }
  });

  it('a closed handle refuses work', async () => {
    const h = await Rtnl.open();
    await h.close();
    assert.equal(h.closed, true);
    await assert.rejects(h.listLinks(), (e: unknown) => e instanceof HandleClosedError && e.code === 'ERR_HANDLE_CLOSED');
    await h.close(); // twice is fine
  });
});
