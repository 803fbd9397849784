// Reads and writes KubeProxyConfiguration files. Decoding is strict, as
// kube-proxy's: an unknown field, a wrong type, a bad duration or a
// duplicate key is rejected with its path and line; every problem in the
// file is reported at once.
import { readFileSync, writeFileSync } from 'node:fs';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, stringify, type Node, type Scalar } from 'yaml';
import { zeroConfiguration, setDefaults } from './defaults.js';
import { formatDuration, parseDuration } from './duration.js';
import { ConfigError, Problems } from './errors.js';
import { API_VERSION, KIND, SCHEMA, type Field, type KubeProxyConfiguration } from './schema.js';

/** Go's yaml.v2 (YAML 1.1) reads these plain scalars as booleans. */
const YAML11_TRUE = new Set(['y', 'Y', 'yes', 'Yes', 'YES', 'on', 'On', 'ON']);
const YAML11_FALSE = new Set(['n', 'N', 'no', 'No', 'NO', 'off', 'Off', 'OFF']);
const INT32_MAX = 2 ** 31 - 1;

interface Context {
  readonly problems: Problems;
  readonly lines: LineCounter;
}

function where(ctx: Context, node: Node | null | undefined): string {
  const offset = node?.range?.[0];
  if (offset === undefined) return '';
  return ` (line ${ctx.lines.linePos(offset).line})`;
}

function scalarValue(ctx: Context, node: unknown, path: string, expected: string): Scalar | undefined {
  if (isScalar(node)) return node;
  ctx.problems.add(path, `expected ${expected}, got a ${isMap(node) ? 'map' : isSeq(node) ? 'list' : 'value'}${where(ctx, node as Node)}`);
  return undefined;
}

function decodeScalar(ctx: Context, node: unknown, field: Field, path: string): unknown {
  const s = scalarValue(ctx, node, path, field.kind === 'bool' ? 'a boolean' : field.kind === 'string' ? 'a string' : `a ${field.kind}`);
  if (s === undefined) return undefined;
  const v = s.value;
  const bad = (why: string): undefined => { ctx.problems.add(path, `${why}${where(ctx, s)}`); return undefined; };
  switch (field.kind) {
    case 'string':
      return typeof v === 'string' ? v : bad(`expected a string, got ${JSON.stringify(v)}`);
    case 'bool':
      if (typeof v === 'boolean') return v;
      if (typeof v === 'string' && s.type === 'PLAIN' && YAML11_TRUE.has(v)) return true;
      if (typeof v === 'string' && s.type === 'PLAIN' && YAML11_FALSE.has(v)) return false;
      return bad(`expected true or false, got ${JSON.stringify(v)}`);
    case 'int32': {
      const unsigned = 'unsigned' in field && field.unsigned === true;
      if (typeof v !== 'number' || !Number.isInteger(v)) return bad(`expected an integer, got ${JSON.stringify(v)}`);
      if (v > INT32_MAX || v < (unsigned ? 0 : -INT32_MAX - 1)) return bad(`${v} is out of range for a${unsigned ? 'n unsigned' : ''} 32-bit integer`);
      return v;
    }
    case 'float':
      return typeof v === 'number' && Number.isFinite(v) ? v : bad(`expected a number, got ${JSON.stringify(v)}`);
    case 'quantity':
      return typeof v === 'string' || typeof v === 'number' ? String(v) : bad(`expected a quantity, got ${JSON.stringify(v)}`);
    case 'duration':
    case 'durationOrNanos':
      if (field.kind === 'durationOrNanos' && typeof v === 'number' && Number.isInteger(v)) return v;
      if (typeof v !== 'string') return bad(`expected a duration such as "5s" or "1m30s", got ${JSON.stringify(v)}`);
      try {
        return parseDuration(v);
      } catch (e) {
        return bad((e as Error).message);
      }
    default:
      return bad(`unexpected scalar`);
  }
}

function decodeList(ctx: Context, node: unknown, of: Field, path: string): unknown[] | undefined {
  if (!isSeq(node)) {
    ctx.problems.add(path, `expected a list${where(ctx, node as Node)}`);
    return undefined;
  }
  return node.items.map((item, i) => decodeField(ctx, item, of, `${path}[${i}]`));
}

function decodeMap(ctx: Context, node: unknown, fields: Readonly<Record<string, Field>> | 'boolMap', path: string,
  into: Record<string, unknown>): Record<string, unknown> | undefined {
  if (!isMap(node)) {
    ctx.problems.add(path === '' ? '(top level)' : path, `expected a map${where(ctx, node as Node)}`);
    return undefined;
  }
  for (const pair of node.items) {
    const keyNode = pair.key;
    const key = isScalar(keyNode) ? String(keyNode.value) : '';
    const at = path === '' ? key : `${path}.${key}`;
    if (fields === 'boolMap') {
      into[key] = decodeField(ctx, pair.value, { kind: 'bool' }, at);
      continue;
    }
    const field = fields[key];
    if (field === undefined) {
      ctx.problems.add(at, `unknown field${where(ctx, keyNode as Node)}`);
      continue;
    }
    into[key] = decodeField(ctx, pair.value, field, at, into[key]);
  }
  return into;
}

function decodeField(ctx: Context, node: unknown, field: Field, path: string, current?: unknown): unknown {
  if (node === null || (isScalar(node) && node.value === null)) {
    if (field.nullable === true) return field.kind === 'object' ? current : null;
    if (field.kind === 'object') return current;
    ctx.problems.add(path, `may not be null${where(ctx, node as Node | null)}`);
    return undefined;
  }
  switch (field.kind) {
    case 'object':
      return decodeMap(ctx, node, field.fields, path, (current ?? {}) as Record<string, unknown>) ?? current;
    case 'boolMap':
      return decodeMap(ctx, node, 'boolMap', path, {});
    case 'list':
      return decodeList(ctx, node, field.of, path);
    case 'stringList':
      return decodeList(ctx, node, { kind: 'string' }, path);
    default:
      return decodeScalar(ctx, node, field, path);
  }
}

/**
 * Decodes a KubeProxyConfiguration from YAML text and applies kube-proxy's
 * v1alpha1 defaults. Throws a ConfigError naming every bad field
 * (`source: nftables.syncPeriod: time: invalid duration "5x" (line 7)`).
 */
export function decodeConfiguration(text: string, source = 'config'): KubeProxyConfiguration {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new ConfigError(doc.errors.map((e) => ({ field: '(yaml)', message: e.message.split('\n')[0]! })), source);
  }
  const ctx: Context = { problems: new Problems(), lines };
  // apiVersion and kind must come from the file itself.
  const out = { ...zeroConfiguration(), apiVersion: '', kind: '' } as unknown as Record<string, unknown>;
  if (doc.contents === null) ctx.problems.add('(top level)', 'the file is empty');
  else decodeMap(ctx, doc.contents, SCHEMA, '', out);
  const cfg = out as unknown as KubeProxyConfiguration;
  if (!ctx.problems.list.some((p) => p.field === 'apiVersion' || p.field === 'kind' || p.field === '(top level)')) {
    if (cfg.kind !== KIND) ctx.problems.add('kind', `must be ${KIND}, got ${JSON.stringify(cfg.kind)}`);
    if (cfg.apiVersion !== API_VERSION) ctx.problems.add('apiVersion', `must be ${API_VERSION}, got ${JSON.stringify(cfg.apiVersion)}`);
  }
  ctx.problems.throwIfAny(source);
  return setDefaults(cfg);
}

/** Reads and decodes `--config FILE`. */
export function loadConfigurationFile(path: string): KubeProxyConfiguration {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError([{ field: '--config', message: `cannot read ${path}: ${(e as Error).message}` }]);
  }
  return decodeConfiguration(text, path);
}

function encodeField(value: unknown, field: Field): unknown {
  if (value === null || value === undefined) return null;
  switch (field.kind) {
    case 'duration':
    case 'durationOrNanos':
      return formatDuration(value as number);
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [k, f] of Object.entries(field.fields)) out[k] = encodeField((value as Record<string, unknown>)[k], f);
      return out;
    }
    case 'list':
      return (value as unknown[]).map((v) => encodeField(v, field.of));
    default:
      return value;
  }
}

/** The configuration as YAML, keys sorted and durations as Go text (what `--write-config-to` writes). */
export function encodeConfiguration(cfg: KubeProxyConfiguration): string {
  const out = encodeField(cfg, { kind: 'object', fields: SCHEMA });
  return stringify(out, { sortMapEntries: true });
}

/** `--write-config-to FILE`. */
export function writeConfigurationFile(path: string, cfg: KubeProxyConfiguration): void {
  writeFileSync(path, encodeConfiguration(cfg));
}
