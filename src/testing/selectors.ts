// Label and field selectors as list and watch take them
// (`?labelSelector=app=x,!canary` and `?fieldSelector=spec.nodeName=n1`).

import { badRequest, StatusError } from './errors.js';

export type LabelOperator = '=' | '==' | '!=' | 'in' | 'notin' | 'exists' | '!' | 'gt' | 'lt';

/** One requirement of a label selector. */
export interface LabelRequirement {
  key: string;
  operator: LabelOperator;
  values: string[];
}

type Token = { type: 'id' | 'op' | 'end'; text: string };

const OPS = ['==', '!=', '=', '!', '(', ')', ',', '>', '<'];

function tokenize(s: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (c === ' ' || c === '\t' || c === '\n') { i++; continue; }
    const op = OPS.find((o) => s.startsWith(o, i));
    if (op !== undefined) { out.push({ type: 'op', text: op }); i += op.length; continue; }
    let j = i;
    while (j < s.length && !' \t\n'.includes(s[j]!) && !OPS.some((o) => s.startsWith(o, j))) j++;
    out.push({ type: 'id', text: s.slice(i, j) });
    i = j;
  }
  out.push({ type: 'end', text: '' });
  return out;
}

const NAME = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)$/;
const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Messages for a label key that is not a qualified name (empty when it is). */
export function labelKeyErrors(key: string): string[] {
  const slash = key.split('/');
  if (slash.length > 2) return ["a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"];
  const name = slash[slash.length - 1]!;
  const errs: string[] = [];
  if (slash.length === 2) {
    const prefix = slash[0]!;
    if (prefix.length === 0) errs.push('prefix part must be non-empty');
    else if (!SUBDOMAIN.test(prefix) || prefix.length > 253) errs.push("prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')");
  }
  if (name.length === 0) errs.push('name part must be non-empty');
  else if (name.length > 63) errs.push('name part must be no more than 63 characters');
  if (name.length > 0 && !NAME.test(name)) errs.push("name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')");
  return errs;
}

/** Messages for a label value that is not valid (empty when it is). */
export function labelValueErrors(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 63) errs.push('must be no more than 63 characters');
  if (value.length > 0 && !NAME.test(value)) errs.push("a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')");
  return errs;
}

function parseError(message: string): StatusError {
  return badRequest(`unable to parse requirement: ${message}`);
}

class Parser {
  private i = 0;
  constructor(private readonly toks: Token[]) {}
  peek(): Token { return this.toks[this.i]!; }
  next(): Token { return this.toks[this.i++]!; }

  requirement(): LabelRequirement {
    let t = this.next();
    let negated = false;
    if (t.type === 'op' && t.text === '!') { negated = true; t = this.next(); }
    if (t.type !== 'id') throw parseError(`found '${t.text}', expected: identifier`);
    const key = t.text;
    const keyErrs = labelKeyErrors(key);
    if (keyErrs.length > 0) throw parseError(`<nil>: Invalid value: ${JSON.stringify(key)}: ${keyErrs.join('; ')}`);
    const after = this.peek();
    if (negated || after.type === 'end' || (after.type === 'op' && after.text === ',')) {
      return { key, operator: negated ? '!' : 'exists', values: [] };
    }
    const op = this.next();
    let operator: LabelOperator;
    if (op.type === 'op' && (op.text === '=' || op.text === '==' || op.text === '!=')) operator = op.text;
    else if (op.type === 'op' && op.text === '>') operator = 'gt';
    else if (op.type === 'op' && op.text === '<') operator = 'lt';
    else if (op.type === 'id' && (op.text === 'in' || op.text === 'notin')) operator = op.text;
    else throw parseError(`found '${op.text}', expected: '=', '!=', '==', 'in', notin'`);
    const values = operator === 'in' || operator === 'notin' ? this.valueSet() : [this.singleValue()];
    for (const v of values) {
      const errs = labelValueErrors(v);
      if (errs.length > 0) throw parseError(`values[0][${key}]: Invalid value: ${JSON.stringify(v)}: ${errs.join('; ')}`);
      if ((operator === 'gt' || operator === 'lt') && !/^-?\d+$/.test(v)) throw parseError(`for 'Gt', 'Lt' operators, the value must be an integer`);
    }
    return { key, operator, values };
  }

  singleValue(): string {
    const t = this.peek();
    if (t.type === 'id') { this.i++; return t.text; }
    if (t.type === 'end' || t.text === ',') return '';
    throw parseError(`found '${t.text}', expected: identifier`);
  }

  valueSet(): string[] {
    const open = this.next();
    if (open.text !== '(') throw parseError(`found '${open.text}', expected: '('`);
    const values: string[] = [];
    for (;;) {
      const t = this.next();
      if (t.type === 'id') values.push(t.text);
      else if (t.text === ')' && values.length === 0) return [''];
      else throw parseError(`found '${t.text}', expected: ',', ')' or identifier`);
      const sep = this.next();
      if (sep.text === ')') return values;
      if (sep.text !== ',') throw parseError(`found '${sep.text}', expected: ',' or ')'`);
    }
  }
}

/** Parses a label selector string; throws a 400 StatusError on bad syntax. */
export function parseLabelSelector(s: string): LabelRequirement[] {
  const p = new Parser(tokenize(s));
  const out: LabelRequirement[] = [];
  if (p.peek().type === 'end') return out;
  for (;;) {
    out.push(p.requirement());
    const t = p.next();
    if (t.type === 'end') return out;
    if (t.text !== ',') throw parseError(`found '${t.text}', expected: ',' or 'end of string'`);
  }
}

/** True when `labels` satisfy every requirement. */
export function matchesLabels(reqs: readonly LabelRequirement[], labels: Record<string, string> | undefined): boolean {
  for (const r of reqs) {
    const has = labels !== undefined && Object.prototype.hasOwnProperty.call(labels, r.key);
    const v = has ? labels![r.key]! : undefined;
    switch (r.operator) {
      case '=': case '==': case 'in': if (!has || !r.values.includes(v!)) return false; break;
      case '!=': case 'notin': if (has && r.values.includes(v!)) return false; break;
      case 'exists': if (!has) return false; break;
      case '!': if (has) return false; break;
      case 'gt': case 'lt': {
        if (!has || !/^-?\d+$/.test(v!)) return false;
        const n = Number(v), bound = Number(r.values[0]);
        if (r.operator === 'gt' ? !(n > bound) : !(n < bound)) return false;
        break;
      }
    }
  }
  return true;
}

/** A map selector (`spec.selector` of a Service) as requirements. */
export function selectorFromMap(m: Record<string, string>): LabelRequirement[] {
  return Object.keys(m).sort().map((key) => ({ key, operator: '=' as const, values: [m[key]!] }));
}

// -- field selectors ----------------------------------------------------------

export interface FieldRequirement {
  field: string;
  operator: '=' | '!=';
  value: string;
}

type Getter = (o: Record<string, any>) => string;

const META_FIELDS: Record<string, Getter> = {
  'metadata.name': (o) => o.metadata?.name ?? '',
  'metadata.namespace': (o) => o.metadata?.namespace ?? '',
};

/** Field selectors each resource supports beyond metadata (kube-apiserver's field label conversions). */
const FIELDS: Record<string, Record<string, Getter>> = {
  pods: {
    'spec.nodeName': (o) => o.spec?.nodeName ?? '',
    'spec.restartPolicy': (o) => o.spec?.restartPolicy ?? '',
    'spec.schedulerName': (o) => o.spec?.schedulerName ?? '',
    'spec.serviceAccountName': (o) => o.spec?.serviceAccountName ?? '',
    'spec.hostNetwork': (o) => String(o.spec?.hostNetwork ?? false),
    'status.phase': (o) => o.status?.phase ?? '',
    'status.podIP': (o) => o.status?.podIP ?? '',
    'status.nominatedNodeName': (o) => o.status?.nominatedNodeName ?? '',
  },
  nodes: { 'spec.unschedulable': (o) => String(o.spec?.unschedulable ?? false) },
  namespaces: { 'status.phase': (o) => o.status?.phase ?? '' },
  services: { 'spec.clusterIP': (o) => o.spec?.clusterIP ?? '', 'spec.type': (o) => o.spec?.type ?? '' },
  events: {
    'involvedObject.kind': (o) => o.involvedObject?.kind ?? '',
    'involvedObject.namespace': (o) => o.involvedObject?.namespace ?? '',
    'involvedObject.name': (o) => o.involvedObject?.name ?? '',
    'involvedObject.uid': (o) => o.involvedObject?.uid ?? '',
    'involvedObject.apiVersion': (o) => o.involvedObject?.apiVersion ?? '',
    'involvedObject.resourceVersion': (o) => o.involvedObject?.resourceVersion ?? '',
    'involvedObject.fieldPath': (o) => o.involvedObject?.fieldPath ?? '',
    reason: (o) => o.reason ?? '',
    reportingComponent: (o) => o.reportingComponent ?? '',
    source: (o) => o.source?.component ?? '',
    type: (o) => o.type ?? '',
  },
};

function splitUnescaped(s: string, sep: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '\\' && i + 1 < s.length) { cur += s[i]! + s[i + 1]!; i++; continue; }
    if (s[i] === sep) { out.push(cur); cur = ''; continue; }
    cur += s[i]!;
  }
  out.push(cur);
  return out;
}

function unescape(s: string): string {
  return s.replace(/\\(.)/g, '$1');
}

/** Parses a field selector for `resource`; throws a 400 StatusError for bad syntax or an unsupported field. */
export function parseFieldSelector(s: string, resource: string): FieldRequirement[] {
  const out: FieldRequirement[] = [];
  if (s.trim() === '') return out;
  for (const term of splitUnescaped(s, ',')) {
    const m = /^([^=!]*)(==|!=|=)(.*)$/s.exec(term);
    if (m === null) throw badRequest(`invalid selector: '${s}'; can't understand '${term}'`);
    const field = m[1]!.trim();
    const known = field in META_FIELDS || (FIELDS[resource] !== undefined && field in FIELDS[resource]!);
    if (!known) {
      if (field === 'metadata.namespace' || FIELDS[resource] === undefined) {
        throw badRequest(`"${field}" is not a known field selector: only "metadata.name", "metadata.namespace"`);
      }
      throw badRequest(`field label not supported: ${field}`);
    }
    out.push({ field, operator: m[2] === '!=' ? '!=' : '=', value: unescape(m[3]!) });
  }
  return out;
}

/** True when the object satisfies every field requirement. */
export function matchesFields(reqs: readonly FieldRequirement[], resource: string, obj: Record<string, any>): boolean {
  for (const r of reqs) {
    const get = META_FIELDS[r.field] ?? FIELDS[resource]?.[r.field];
    const v = get === undefined ? '' : get(obj);
    if ((v === r.value) !== (r.operator === '=')) return false;
  }
  return true;
}
