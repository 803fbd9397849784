// The in-memory object store: one table per resource, one global
// resourceVersion counter (as etcd's revision), a bounded window of recent
// changes per resource for watches, and consistent list snapshots for
// paginated lists. Objects are stored without kind/apiVersion and are never
// mutated once stored: every write stores a new object.

import type { ResourceType } from './resources.js';

/** A stored object: plain JSON with metadata. */
export type KubeObject = Record<string, any> & { metadata: Record<string, any> };

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** One stored object and its cached serialization. */
export class Entry {
  private itemJson: string | undefined;
  constructor(readonly key: string, readonly obj: KubeObject) {}

  /** The object's JSON without kind/apiVersion, as list items carry it. */
  json(): string {
    if (this.itemJson === undefined) this.itemJson = JSON.stringify(this.obj);
    return this.itemJson;
  }
}

/** One change, as watches see it. */
export interface Change {
  type: EventType;
  rv: number;
  entry: Entry;
  /** The object before an update (or the deleted object's last state). */
  prev: KubeObject | undefined;
  /** Cached watch line for watchers without a selector-driven rewrite. */
  line?: string;
}

export type ChangeListener = (c: Change) => void;

interface ListSnapshot {
  rv: number;
  entries: Entry[];
  lastUsed: number;
}

/** Resources whose JSON is made at write time: a proxy's informers list and watch them. */
const EAGER_JSON = new Set(['services', 'endpointslices', 'nodes']);

/** `namespace/name`, or `/name` for cluster-scoped objects. */
export function objectKey(namespace: string | undefined, name: string): string {
  return `${namespace ?? ''}/${name}`;
}

/** One resource's objects, change window and listeners. */
export class Table {
  readonly objects = new Map<string, Entry>();
  private sortedKeys: string[] | null = null;
  private ring: Change[] = [];
  private ringHead = 0;
  /** Every change with rv > windowStart is still in the ring. */
  windowStart: number;
  private readonly listeners = new Set<ChangeListener>();
  private snapshots = new Map<number, ListSnapshot>();

  /** Serialize objects when they are written rather than when first listed (kinds every proxy lists and watches). */
  readonly eagerJson: boolean;

  constructor(readonly type: ResourceType, private readonly windowSize: number, startRv: number) {
    this.windowStart = startRv;
    this.eagerJson = EAGER_JSON.has(type.resource);
  }

  get(key: string): Entry | undefined {
    return this.objects.get(key);
  }

  /** Keys in etcd order (namespace, then name). */
  keys(): string[] {
    if (this.sortedKeys === null) this.sortedKeys = [...this.objects.keys()].sort();
    return this.sortedKeys;
  }

  /** Entries in key order, restricted to a namespace when given. */
  entries(namespace?: string): Entry[] {
    const keys = this.keys();
    let lo = 0, hi = keys.length;
    if (namespace !== undefined) {
      const prefix = `${namespace}/`;
      lo = lowerBound(keys, prefix);
      hi = lowerBound(keys, `${namespace}0`); // '0' follows '/'
    }
    const out: Entry[] = new Array(hi - lo);
    for (let i = lo; i < hi; i++) out[i - lo] = this.objects.get(keys[i]!)!;
    return out;
  }

  /** Puts an object in place without a change event (loading a snapshot). */
  load(key: string, obj: KubeObject): void {
    const entry = new Entry(key, obj);
    if (this.eagerJson) entry.json();
    this.objects.set(key, entry);
    this.sortedKeys = null;
  }

  /** Applies a change. Called by the Store only. */
  apply(type: EventType, key: string, obj: KubeObject, rv: number): Change {
    const before = this.objects.get(key);
    const entry = new Entry(key, obj);
    if (type === 'DELETED') {
      this.objects.delete(key);
      this.sortedKeys = null;
    } else {
      if (before === undefined) this.sortedKeys = null;
      this.objects.set(key, entry);
    }
    if (this.eagerJson && type !== 'DELETED') entry.json();
    const change: Change = { type, rv, entry, prev: before?.obj };
    this.record(change);
    for (const l of this.listeners) l(change);
    return change;
  }

  private record(c: Change): void {
    if (this.windowSize <= 0) { this.windowStart = c.rv; return; }
    if (this.ring.length < this.windowSize) { this.ring.push(c); return; }
    this.windowStart = this.ring[this.ringHead]!.rv;
    this.ring[this.ringHead] = c;
    this.ringHead = (this.ringHead + 1) % this.windowSize;
  }

  /** Changes after `rv`, oldest first, or undefined when the window no longer reaches back that far. */
  changesSince(rv: number): Change[] | undefined {
    if (rv < this.windowStart) return undefined;
    const n = this.ring.length;
    const out: Change[] = [];
    for (let i = 0; i < n; i++) {
      const c = this.ring[(this.ringHead + i) % n]!;
      if (c.rv > rv) out.push(c);
    }
    return out;
  }

  /** Forgets the change window: watches from any older resourceVersion now get 410 (as after an etcd compaction). */
  compact(currentRv: number): void {
    this.ring = [];
    this.ringHead = 0;
    this.windowStart = currentRv;
    this.snapshots.clear();
  }

  subscribe(l: ChangeListener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  /** A consistent list at the current revision, kept for continue tokens. */
  snapshot(rv: number): Entry[] {
    const now = Date.now();
    const have = this.snapshots.get(rv);
    if (have !== undefined) { have.lastUsed = now; return have.entries; }
    const entries = this.entries();
    this.snapshots.set(rv, { rv, entries, lastUsed: now });
    this.expireSnapshots(now);
    return entries;
  }

  /** The snapshot a continue token points at, if still kept. */
  snapshotAt(rv: number): Entry[] | undefined {
    const s = this.snapshots.get(rv);
    if (s === undefined) return undefined;
    s.lastUsed = Date.now();
    return s.entries;
  }

  private expireSnapshots(now: number): void {
    for (const [rv, s] of this.snapshots) {
      if (now - s.lastUsed > 5 * 60_000 || this.snapshots.size > 16) this.snapshots.delete(rv);
    }
  }
}

/** First index in sorted `keys` whose value is >= `k`. */
export function lowerBound(keys: readonly string[], k: string): number {
  let lo = 0, hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid]! < k) lo = mid + 1; else hi = mid;
  }
  return lo;
}

/** All tables and the global resourceVersion. */
export class Store {
  rv: number;
  private readonly tables = new Map<string, Table>();

  constructor(types: readonly ResourceType[], readonly windowSize: number, startRv = 1) {
    this.rv = startRv;
    for (const t of types) this.tables.set(tableName(t), new Table(t, windowSize, startRv));
  }

  table(t: ResourceType): Table {
    return this.tables.get(tableName(t))!;
  }

  allTables(): Table[] {
    return [...this.tables.values()];
  }

  /** Stores `obj` (whose metadata.resourceVersion this sets) under a fresh revision. */
  write(t: ResourceType, type: EventType, key: string, obj: KubeObject): Change {
    const rv = ++this.rv;
    const stored: KubeObject = { ...obj, metadata: { ...obj.metadata, resourceVersion: String(rv) } };
    return this.table(t).apply(type, key, reorderMeta(stored), rv);
  }

  /** Drops every change window (fault injection: the next watches from an old resourceVersion get 410). */
  compact(): void {
    for (const t of this.tables.values()) t.compact(this.rv);
  }
}

function tableName(t: ResourceType): string {
  return `${t.group}/${t.resource}`;
}

const META_ORDER = ['name', 'generateName', 'namespace', 'selfLink', 'uid', 'resourceVersion', 'generation', 'creationTimestamp',
  'deletionTimestamp', 'deletionGracePeriodSeconds', 'labels', 'annotations', 'ownerReferences', 'finalizers', 'managedFields'];

/** Keeps metadata fields in Go's order after resourceVersion was set. */
function reorderMeta(obj: KubeObject): KubeObject {
  const m = obj.metadata;
  const meta: Record<string, unknown> = {};
  for (const k of META_ORDER) if (m[k] !== undefined) meta[k] = m[k];
  return { ...obj, metadata: meta };
}
