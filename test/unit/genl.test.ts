// Generic netlink needs no privilege: resolve the controller itself in the
// caller's namespace, and a family the host kernel lacks.
import assert from 'node:assert/strict';

import { Genl, isNotFound, NetlinkError } from '../../src/index.js';

describe('genl: family resolution (unprivileged, own netns)', () => {
  let genl: Genl;
  before(async () => { genl = await Genl.open(); });
  after(async () => { await genl.close(); });

  it('resolves nlctrl to id 16 with its notify group', async () => {
    const f = await genl.resolveFamily('nlctrl');
    assert.equal(f.name, 'nlctrl');
    assert.equal(f.id, 16); // GENL_ID_CTRL
    assert.ok(f.groups.some((g) => g.name === 'notify'));
  });

  it('an unknown family is ENOENT naming the operation and the family', async () => {
    await assert.rejects(genl.resolveFamily('dataplane-none'), (e: unknown) =>
      isNotFound(e) && (e as NetlinkError).operation === 'genl.resolveFamily' && (e as NetlinkError).code === 'ENOENT' &&
      (e as NetlinkError).message.includes('"dataplane-none"'));
  });

  it('answers many concurrent calls, in order, on one handle', async () => {
    const names = Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? 'nlctrl' : 'dataplane-none'));
    const results = await Promise.allSettled(names.map((n) => genl.resolveFamily(n)));
    results.forEach((r, i) => assert.equal(r.status, i % 2 === 0 ? 'fulfilled' : 'rejected'));
  });
});
