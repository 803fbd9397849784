// Indexes the EndpointSlice controller keeps so a change costs work in
// proportion to what it touches, not to the cluster's size: pods by
// namespace and label, services by namespace and selector term.

import type { KubeObject } from '../store.js';

type Labels = Record<string, string>;

function term(k: string, v: string): string {
  return `${k}=${v}`;
}

/** Pods by namespace, and by `key=value` label within a namespace. */
export class PodIndex {
  private readonly byNs = new Map<string, Map<string, KubeObject>>();
  private readonly byLabel = new Map<string, Map<string, Set<string>>>();

  set(pod: KubeObject): void {
    this.remove(pod.metadata.namespace, pod.metadata.name);
    const ns = pod.metadata.namespace as string;
    let pods = this.byNs.get(ns);
    if (pods === undefined) this.byNs.set(ns, (pods = new Map()));
    pods.set(pod.metadata.name, pod);
    let labels = this.byLabel.get(ns);
    if (labels === undefined) this.byLabel.set(ns, (labels = new Map()));
    for (const [k, v] of Object.entries(pod.metadata.labels as Labels ?? {})) {
      const t = term(k, v);
      let set = labels.get(t);
      if (set === undefined) labels.set(t, (set = new Set()));
      set.add(pod.metadata.name);
    }
  }

  remove(namespace: string, name: string): void {
    const pod = this.byNs.get(namespace)?.get(name);
    if (pod === undefined) return;
    this.byNs.get(namespace)!.delete(name);
    const labels = this.byLabel.get(namespace)!;
    for (const [k, v] of Object.entries(pod.metadata.labels as Labels ?? {})) {
      const set = labels.get(term(k, v));
      set?.delete(name);
      if (set?.size === 0) labels.delete(term(k, v));
    }
  }

  get(namespace: string, name: string): KubeObject | undefined {
    return this.byNs.get(namespace)?.get(name);
  }

  /** Pods of `namespace` whose labels include every pair of `selector` (non-empty). */
  select(namespace: string, selector: Labels): KubeObject[] {
    const labels = this.byLabel.get(namespace);
    const pods = this.byNs.get(namespace);
    if (labels === undefined || pods === undefined) return [];
    let smallest: Set<string> | undefined;
    for (const [k, v] of Object.entries(selector)) {
      const set = labels.get(term(k, v));
      if (set === undefined) return [];
      if (smallest === undefined || set.size < smallest.size) smallest = set;
    }
    const out: KubeObject[] = [];
    for (const name of smallest ?? []) {
      const pod = pods.get(name)!;
      const l = pod.metadata.labels as Labels;
      if (Object.entries(selector).every(([k, v]) => l[k] === v)) out.push(pod);
    }
    return out;
  }

  /** Every indexed pod (for node changes, which are rare). */
  *all(): Iterable<KubeObject> {
    for (const pods of this.byNs.values()) yield* pods.values();
  }
}

/** Services by namespace and selector term, to find those a pod's labels may match. */
export class SelectorIndex {
  private readonly byTerm = new Map<string, Set<string>>();
  private readonly selectors = new Map<string, Labels>();

  /** Records (or with undefined, forgets) a service's selector. */
  set(namespace: string, name: string, selector: Labels | undefined): void {
    const key = `${namespace}/${name}`;
    const old = this.selectors.get(key);
    if (old !== undefined) {
      for (const [k, v] of Object.entries(old)) this.byTerm.get(`${namespace}/${term(k, v)}`)?.delete(key);
      this.selectors.delete(key);
    }
    if (selector === undefined || Object.keys(selector).length === 0) return;
    this.selectors.set(key, selector);
    for (const [k, v] of Object.entries(selector)) {
      const t = `${namespace}/${term(k, v)}`;
      let set = this.byTerm.get(t);
      if (set === undefined) this.byTerm.set(t, (set = new Set()));
      set.add(key);
    }
  }

  /** Keys (`ns/name`) of services whose selector the labels satisfy. */
  matching(namespace: string, labels: Labels | undefined): string[] {
    const out = new Set<string>();
    for (const [k, v] of Object.entries(labels ?? {})) {
      for (const key of this.byTerm.get(`${namespace}/${term(k, v)}`) ?? []) {
        const sel = this.selectors.get(key)!;
        if (Object.entries(sel).every(([sk, sv]) => labels![sk] === sv)) out.add(key);
      }
    }
    return [...out];
  }

  /** Every service key with a selector. */
  keys(): string[] {
    return [...this.selectors.keys()];
  }
}
