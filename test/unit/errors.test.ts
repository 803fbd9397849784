import assert from 'node:assert/strict';

import { fromSystemError } from '../../src/errors.js';
import { Genl, isExists, isNotFound, NetlinkError, Rtnl } from '../../src/index.js';

describe('errors', () => {
  it('NetlinkError carries errno, code, operation and extack', () => {
    const e = new NetlinkError('rtnl.addAddress', { errno: 17, code: 'EEXIST', message: 'File exists', extack: 'ipv4: Address already assigned', extackOffset: 40 });
    assert.ok(e instanceof Error);
    assert.equal(e.name, 'NetlinkError');
    assert.equal(e.errno, 17);
    assert.equal(e.code, 'EEXIST');
    assert.equal(e.operation, 'rtnl.addAddress');
    assert.equal(e.extack, 'ipv4: Address already assigned');
    assert.equal(e.extackOffset, 40);
    assert.match(e.message, /^rtnl\.addAddress failed: File exists \[EEXIST\]: ipv4: Address already assigned$/);
    assert.ok(isExists(e));
    assert.ok(!isNotFound(e));
  });

  it('isNotFound covers ENOENT, ENODEV, ESRCH, EADDRNOTAVAIL and nothing else', () => {
    for (const code of ['ENOENT', 'ENODEV', 'ESRCH', 'EADDRNOTAVAIL']) {
      assert.ok(isNotFound(new NetlinkError('x', { errno: 1, code, message: '' })), code);
    }
    assert.ok(!isNotFound(new NetlinkError('x', { errno: 17, code: 'EEXIST', message: '' })));
    assert.ok(!isNotFound(Object.assign(new Error('plain'), { code: 'ENOENT' })));
    assert.ok(!isExists(undefined));
  });

  it('wraps native system errors and passes others through', () => {
    const sys = Object.assign(new Error('setns: cannot enter netns'), { errno: 1, code: 'EPERM', syscall: 'setns' });
    const wrapped = fromSystemError('rtnl.open', sys);
    assert.ok(wrapped instanceof NetlinkError);
    assert.equal(wrapped.operation, 'rtnl.open');
    assert.equal(wrapped.syscall, 'setns');
    assert.equal(wrapped.code, 'EPERM');
    const other = new TypeError('nope');
    assert.equal(fromSystemError('x', other), other);
  });

  it('opening in a namespace that does not exist fails with ENOENT naming the open', async () => {
    await assert.rejects(Rtnl.open({ netns: 'dataplane-no-such-netns' }), (e: unknown) =>
      e instanceof NetlinkError && e.code === 'ENOENT' && e.operation === 'rtnl.open' && e.syscall === 'open' &&
      /\/run\/netns\/dataplane-no-such-netns/.test(e.message));
    await assert.rejects(Genl.open({ netns: { pid: 0x3ffffffe } }), (e: unknown) => isNotFound(e) && (e as NetlinkError).operation === 'genl.open');
  });
});
