// Bad input never crashes the test cluster and never leaves a half-written
// object: seeded random mutations of valid manifests, sent as creates,
// replaces and the three patch types, are answered with a 4xx Status (never
// a 500), and what is stored afterwards still decodes cleanly. Server-side
// apply configurations too.

import assert from 'node:assert/strict';

import { decode } from '../../src/testing/schema/decode.js';
import { lookupResource } from '../../src/testing/index.js';
import { clusterPerDescribe, raw } from './cluster-fixtures.js';

type Obj = Record<string, any>;

/** xorshift32: a small seeded generator, so a failure can be replayed. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    return x / 2 ** 32;
  };
}

const ODD_VALUES: unknown[] = [null, 0, -1, 2 ** 31, 1.5, '', 'x', 'None', '10.96.0.1', true, false, [], {}, [null], { $patch: 'delete' }, { $patch: 'replace' }, 'a'.repeat(300), [1, 'a', {}]];

function paths(v: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(prefix);
  if (Array.isArray(v)) v.forEach((x, i) => paths(x, [...prefix, i], out));
  else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) paths(x, [...prefix, k], out);
  return out;
}

function odd(next: () => number): unknown {
  return structuredClone(ODD_VALUES[Math.floor(next() * ODD_VALUES.length)]);
}

function mutate(base: Obj, next: () => number): Obj {
  const doc = structuredClone(base);
  const n = 1 + Math.floor(next() * 3);
  for (let i = 0; i < n; i++) {
    const all = paths(doc).filter((p) => p.length > 0);
    const p = all[Math.floor(next() * all.length)]!;
    let parent: any = doc;
    for (const k of p.slice(0, -1)) parent = parent[k];
    const last = p[p.length - 1]!;
    const r = next();
    if (r < 0.6) parent[last] = odd(next);
    else if (r < 0.8) { if (Array.isArray(parent)) parent.splice(Number(last), 1); else delete parent[last]; }
    else if (parent !== null && typeof parent === 'object' && !Array.isArray(parent)) parent[`bogus${i}`] = odd(next);
  }
  return doc;
}

const SERVICE: Obj = {
  apiVersion: 'v1', kind: 'Service',
  metadata: { name: 'fuzz', labels: { a: 'b' }, annotations: { x: 'y' } },
  spec: {
    type: 'NodePort', selector: { app: 'fuzz' }, sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 50 } },
    ports: [{ name: 'http', protocol: 'TCP', port: 80, targetPort: 'web', nodePort: 30555 }, { name: 'dns', protocol: 'UDP', port: 53 }],
    ipFamilyPolicy: 'PreferDualStack', externalTrafficPolicy: 'Local',
  },
};

const POD: Obj = {
  apiVersion: 'v1', kind: 'Pod',
  metadata: { name: 'fuzz', labels: { app: 'fuzz' } },
  spec: { nodeName: 'n', containers: [{ name: 'c', image: 'i', ports: [{ name: 'web', containerPort: 8080 }] }] },
  status: { phase: 'Running', podIPs: [{ ip: '10.244.0.9' }], conditions: [{ type: 'Ready', status: 'True' }] },
};

const SLICE: Obj = {
  apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
  metadata: { name: 'fuzz', labels: { 'kubernetes.io/service-name': 'fuzz' } },
  addressType: 'IPv4', endpoints: [{ addresses: ['10.0.0.1'], conditions: { ready: true }, nodeName: 'n', zone: 'z' }], ports: [{ name: 'http', port: 80, protocol: 'TCP' }],
};

describe('test cluster: bad input', function () {
  this.timeout(60_000);
  const f = clusterPerDescribe();

  for (const [what, base, path] of [
    ['services', SERVICE, '/api/v1/namespaces/default/services'],
    ['pods', POD, '/api/v1/namespaces/default/pods'],
    ['endpoint slices', SLICE, '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices'],
  ] as const) {
    it(`answers 60 mutated ${what} (create, replace, patches) with 2xx or 4xx, never 500, and stores only whole objects`, async () => {
      const next = rng(0x5eed + what.length);
      const codes = new Map<number, number>();
      const count = (c: number) => codes.set(c, (codes.get(c) ?? 0) + 1);
      for (let i = 0; i < 60; i++) {
        const doc = mutate(base, next);
        const name = `fuzz-${i}`;
        if (doc.metadata !== null && typeof doc.metadata === 'object' && !Array.isArray(doc.metadata)) doc.metadata.name = name;
        const created = await raw(f.cluster, 'POST', `${path}?fieldValidation=${['Strict', 'Warn', 'Ignore'][i % 3]}`, doc);
        count(created.status);
        assert.ok(created.status < 500, `create ${JSON.stringify(doc)} -> ${created.status} ${JSON.stringify(created.body)}`);
        // then a replace and patches against a good object
        const good = await raw(f.cluster, 'POST', path, { ...base, metadata: { ...base.metadata, name: `${name}-ok` }, ...(what === 'services' ? { spec: { ...base.spec, ports: [{ port: 80 }] } } : {}) });
        if (good.status !== 201) continue;
        const target = `${path}/${name}-ok`;
        const body = { ...doc, metadata: { ...(typeof doc.metadata === 'object' && doc.metadata !== null ? doc.metadata : {}), name: `${name}-ok` } };
        for (const [method, type, payload] of [
          ['PUT', 'application/json', body],
          ['PATCH', 'application/merge-patch+json', doc],
          ['PATCH', 'application/strategic-merge-patch+json', doc],
          ['PATCH', 'application/json-patch+json', [{ op: 'replace', path: '/spec', value: doc.spec ?? 1 }, { op: 'add', path: '/metadata/labels/x', value: doc.metadata?.labels ?? 'v' }]],
          ['PATCH', 'application/apply-patch+yaml', body],
        ] as const) {
          const r = await raw(f.cluster, method, `${target}?fieldManager=fuzz`, payload, type);
          count(r.status);
          assert.ok(r.status < 500, `${method} ${type} ${JSON.stringify(payload)} -> ${r.status} ${JSON.stringify(r.body)}`);
        }
        const del = await raw(f.cluster, 'DELETE', target, { gracePeriodSeconds: odd(next), preconditions: odd(next), dryRun: odd(next) });
        assert.ok(del.status < 500, `DELETE -> ${del.status} ${JSON.stringify(del.body)}`);
        await raw(f.cluster, 'DELETE', `${target}?gracePeriodSeconds=0`);
      }
      assert.ok((codes.get(201) ?? 0) > 0 && [...codes.keys()].some((c) => c >= 400), `a mix of answers: ${JSON.stringify([...codes])}`);
      const r = lookupResource(base.apiVersion.includes('/') ? base.apiVersion.split('/')[0]! : '', 'v1', path.split('/').pop()!)!;
      for (const e of f.cluster.api.store.table(r).entries()) {
        const { value, unknown } = decode(e.obj, r.schema);
        assert.deepEqual(unknown, []);
        assert.deepEqual(value, { ...e.obj }, `${e.key} is stored canonical`);
      }
      assert.equal((await raw(f.cluster, 'GET', '/version')).status, 200);
    });
  }
});
