// The dataplane-proxy command as a process: bad flags and config fields exit
// 2 naming the field before anything else happens, unimplemented modes say
// so, --write-config-to writes and exits 0, and without CAP_NET_ADMIN it
// refuses to start with a message saying so. Also the CapEff parser.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { CAP_NET_ADMIN, effectiveCapabilities, hasCapability, requireNetAdmin } from '../../src/proxy/caps.js';
import { decodeConfiguration } from '../../src/proxy/config/file.js';

const MAIN = join(import.meta.dirname, '../../src/proxy/main.ts');

/** Runs the binary from source (tsx), optionally without any capability (setpriv, when root). */
function proxy(args: string[], o: { noCaps?: boolean } = {}): { status: number | null; stdout: string; stderr: string } {
  const node = [process.execPath, '--import', 'tsx', MAIN, ...args];
  const [cmd, ...rest] = o.noCaps === true && process.getuid?.() === 0
    ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all', '--', ...node] : node;
  const r = spawnSync(cmd!, rest, { encoding: 'utf8', cwd: join(import.meta.dirname, '../..'), timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('proxy: dataplane-proxy command', function () {
  this.timeout(60_000);
  let dir = '';
  before(() => { dir = mkdtempSync(join(tmpdir(), 'dp-proxy-cli-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('--help prints the flags and exits 0', () => {
    const r = proxy(['--help']);
    assert.equal(r.status, 0);
    assert.match(r.stdout, /Usage: dataplane-proxy/);
    assert.match(r.stdout, /--iptables-min-sync-period <duration>/);
    assert.match(r.stdout, /--ipvs-scheduler <string>/);
  });

  it('a bad flag exits 2 naming it', () => {
    const r = proxy(['--iptables-sync-period=0s', '--bogus']);
    assert.equal(r.status, 2);
    assert.equal(r.stderr, "dataplane-proxy: --bogus: unknown option '--bogus'\n");
    const v = proxy(['--iptables-sync-period=0s']);
    assert.equal(v.status, 2);
    assert.equal(v.stderr, 'dataplane-proxy: --iptables-sync-period: must be greater than 0\n');
  });

  it('a bad config file exits 2 naming each field with its path and line', () => {
    const cfg = join(dir, 'bad.yaml');
    writeFileSync(cfg, 'apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nnftables:\n  syncPeriod: soon\nmystery: 1\n');
    const r = proxy([`--config=${cfg}`]);
    assert.equal(r.status, 2);
    assert.equal(r.stderr, `dataplane-proxy: ${cfg}: nftables.syncPeriod: time: invalid duration "soon" (line 4)\ndataplane-proxy: ${cfg}: mystery: unknown field (line 5)\n`);
  });

  it('--proxy-mode=iptables is a mode it has: the resolved config takes the iptables section', () => {
    const out = join(dir, 'iptables.yaml');
    const r = proxy(['--proxy-mode=iptables', '--write-config-to', out, '--iptables-min-sync-period=2s', '--iptables-masquerade-bit=13']);
    assert.equal(r.status, 0, r.stderr);
    const c = decodeConfiguration(readFileSync(out, 'utf8'));
    assert.equal(c.mode, 'iptables');
    assert.equal(c.iptables.minSyncPeriod, 2e9);
    assert.equal(c.iptables.masqueradeBit, 13);
  });

  it('--write-config-to writes the resolved configuration and exits 0', () => {
    const out = join(dir, 'out.yaml');
    const r = proxy(['--write-config-to', out, '--iptables-min-sync-period=2s', '--masquerade-all']);
    assert.equal(r.status, 0, r.stderr);
    const c = decodeConfiguration(readFileSync(out, 'utf8'));
    assert.equal(c.mode, 'nftables');
    assert.equal(c.nftables.minSyncPeriod, 2e9);
    assert.equal(c.nftables.masqueradeAll, true);
  });

  it('refuses to start without CAP_NET_ADMIN, and says so', function () {
    if (process.getuid?.() === 0 && spawnSync('setpriv', ['--version']).status !== 0) this.skip();
    const r = proxy(['--hostname-override=n1', '--master=http://127.0.0.1:1'], { noCaps: true });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^dataplane-proxy: dataplane-proxy needs CAP_NET_ADMIN to program the kernel \(nftables, conntrack\): run it as root, or grant the capability/);
  });

  it('reads CapEff', () => {
    const status = 'Name:\tnode\nCapInh:\t0000000000000000\nCapEff:\t0000000000001000\n';
    assert.equal(effectiveCapabilities(status), 0x1000n);
    assert.equal(hasCapability(CAP_NET_ADMIN, status), true);
    assert.equal(hasCapability(CAP_NET_ADMIN, 'CapEff:\t0000000000000fff\n'), false);
    assert.throws(() => requireNetAdmin('CapEff:\t0000000000000000\n'), /needs CAP_NET_ADMIN/);
    assert.doesNotThrow(() => requireNetAdmin('CapEff:\t000001fffeffffff\n'));
    assert.throws(() => effectiveCapabilities('Name: x\n'), /cannot read CapEff/);
  });
});
