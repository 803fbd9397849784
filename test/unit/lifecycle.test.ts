// Sockets are released by close() and, for handles dropped without it, by
// garbage collection (the native object's finalizer closes the fd).
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { setImmediate as tick } from 'node:timers/promises';

import { Genl, Rtnl } from '../../src/index.js';

function netlinkSockets(): number {
  // Every open fd; the handles below are the only thing changing it.
  return readdirSync('/proc/self/fd').length;
}

async function collect(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  assert.ok(gc, 'run with --expose-gc (see .mocharc.json)');
  for (let i = 0; i < 5; i++) {
    gc();
    await tick();
  }
}

describe('handle lifecycle', () => {
  it('close() releases the socket', async () => {
    const before = netlinkSockets();
    const handles = await Promise.all(Array.from({ length: 50 }, () => Rtnl.open()));
    assert.equal(netlinkSockets(), before + 50);
    await Promise.all(handles.map((h) => h.close()));
    assert.equal(netlinkSockets(), before);
  });

  it('close() waits for the calls already queued', async () => {
    const genl = await Genl.open();
    const pending = genl.resolveFamily('nlctrl');
    const closing = genl.close();
    assert.equal((await pending).id, 16);
    await closing;
  });

  it('handles dropped without close() are released by the garbage collector', async () => {
    await collect();
    const before = netlinkSockets();
    await (async () => {
      const handles = await Promise.all(Array.from({ length: 200 }, () => Genl.open()));
      assert.equal(netlinkSockets(), before + 200);
      await handles[0]!.resolveFamily('nlctrl');
    })();
    for (let i = 0; i < 20 && netlinkSockets() > before; i++) await collect();
    assert.equal(netlinkSockets(), before);
  });
});
