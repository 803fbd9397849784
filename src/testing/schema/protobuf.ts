// Reading the Kubernetes protobuf encoding (`application/vnd.kubernetes.protobuf`)
// of a request body into the JSON shape the rest of the server decodes:
// the `k8s\0` magic, a runtime.Unknown envelope (typeMeta, raw), and the
// object's message read field by field with the schemas and their field numbers.
// Sub-structures the schemas keep as given (`any`) cannot be read from
// protobuf; a body that carries one is refused with a clear message.

import { formatTime } from './decode.js';
import { PROTO_FIELDS } from './protobuf-fields.js';
import type { ObjectSchema, Schema } from './types.js';

/** The body is not protobuf the test cluster can read. */
export class ProtobufError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtobufError';
  }
}

type Json = any;

/** A protobuf reader over one message's bytes. */
class Reader {
  pos: number;
  constructor(readonly buf: Uint8Array, start = 0, readonly end = buf.length) {
    this.pos = start;
  }

  done(): boolean {
    return this.pos >= this.end;
  }

  varint(): bigint {
    let v = 0n;
    let shift = 0n;
    for (;;) {
      if (this.pos >= this.end) throw new ProtobufError('truncated varint');
      const b = this.buf[this.pos++]!;
      v |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return v;
      shift += 7n;
      if (shift > 63n) throw new ProtobufError('varint too long');
    }
  }

  bytes(): Uint8Array {
    const n = Number(this.varint());
    if (this.pos + n > this.end) throw new ProtobufError('truncated field');
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  fixed64(): number {
    if (this.pos + 8 > this.end) throw new ProtobufError('truncated fixed64');
    const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 8).getFloat64(0, true);
    this.pos += 8;
    return v;
  }

  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.pos += 8;
    else if (wire === 2) this.bytes();
    else if (wire === 5) this.pos += 4;
    else throw new ProtobufError(`unsupported wire type ${wire}`);
  }

  /** Every (field number, wire type) of the message, in order. */
  *fields(): Generator<[number, number]> {
    while (!this.done()) {
      const key = Number(this.varint());
      yield [key >>> 3, key & 7];
    }
  }
}

const text = new TextDecoder('utf-8', { fatal: false });

function signed(v: bigint, bits: 32 | 64): number {
  return Number(BigInt.asIntN(bits, v));
}

function message(bytes: Uint8Array, read: (r: Reader, field: number, wire: number) => void): void {
  const r = new Reader(bytes);
  for (const [field, wire] of r.fields()) read(r, field, wire);
}

function intOrString(bytes: Uint8Array): Json {
  let type = 0, int = 0, str = '';
  message(bytes, (r, f, w) => {
    if (f === 1) type = signed(r.varint(), 64);
    else if (f === 2) int = signed(r.varint(), 32);
    else if (f === 3) str = text.decode(r.bytes());
    else r.skip(w);
  });
  return type === 1 ? str : int;
}

function time(bytes: Uint8Array, micro: boolean): string {
  let seconds = 0, nanos = 0;
  message(bytes, (r, f, w) => {
    if (f === 1) seconds = signed(r.varint(), 64);
    else if (f === 2) nanos = signed(r.varint(), 32);
    else r.skip(w);
  });
  return formatTime(seconds * 1000 + Math.floor(nanos / 1e6), micro);
}

/** One value of a field whose schema is `s` (a repeated field calls this once per element). */
function value(r: Reader, wire: number, s: Schema, path: string): Json {
  switch (s.kind) {
    case 'string': return text.decode(r.bytes());
    case 'int32': return signed(r.varint(), 32);
    case 'int64': return signed(r.varint(), 64);
    case 'bool': return r.varint() !== 0n;
    case 'double': return wire === 1 ? r.fixed64() : Number(r.varint());
    case 'intOrString': return intOrString(r.bytes());
    case 'time': return time(r.bytes(), false);
    case 'microTime': return time(r.bytes(), true);
    case 'quantity': {
      let q = '';
      message(r.bytes(), (m, f, w) => { if (f === 1) q = text.decode(m.bytes()); else m.skip(w); });
      return q;
    }
    case 'object': return object(r.bytes(), s, path);
    case 'any': {
      const b = r.bytes();
      if (b.length === 0) return {};
      throw new ProtobufError(`${path}: this field cannot be read from protobuf by the test cluster; send the object as JSON`);
    }
    default: throw new ProtobufError(`${path}: unexpected ${s.kind}`);
  }
}

function mapEntry(r: Reader, s: Schema & { kind: 'map' }, path: string): [string, Json] {
  let k = '';
  let v: Json = null;
  message(r.bytes(), (m, f, w) => {
    if (f === 1) k = text.decode(m.bytes());
    else if (f === 2) v = value(m, w, s.values, `${path}[${k}]`);
    else m.skip(w);
  });
  return [k, v];
}

const numbersByName = new Map<string, Map<number, string>>();

function numbers(s: ObjectSchema): Map<number, string> {
  const key = `${s.pkg}.${s.go}`;
  let m = numbersByName.get(key);
  if (m === undefined) {
    const table = PROTO_FIELDS[key];
    if (table === undefined) throw new ProtobufError(`${s.go}: no protobuf field numbers`);
    m = new Map(Object.entries(table).map(([name, n]) => [n, name]));
    numbersByName.set(key, m);
  }
  return m;
}

function object(bytes: Uint8Array, s: ObjectSchema, path: string): Record<string, Json> {
  const names = numbers(s);
  const out: Record<string, Json> = {};
  message(bytes, (r, field, wire) => {
    const name = names.get(field);
    if (name === undefined) throw new ProtobufError(`${path === '' ? s.go : path}: protobuf field ${field} is not one the test cluster reads; send the object as JSON`);
    const f = s.fields[name]!.schema;
    const p = path === '' ? name : `${path}.${name}`;
    if (f.kind === 'list') {
      const list: Json[] = (out[name] ??= []);
      const packed = wire === 2 && (f.items.kind === 'int32' || f.items.kind === 'int64' || f.items.kind === 'bool');
      if (packed) {
        const inner = r.bytes();
        const ir = new Reader(inner);
        while (!ir.done()) list.push(value(ir, 0, f.items, p));
      } else {
        list.push(value(r, wire, f.items, `${p}[${list.length}]`));
      }
    } else if (f.kind === 'map') {
      const [k, v] = mapEntry(r, f, p);
      (out[name] ??= {})[k] = v;
    } else {
      out[name] = value(r, wire, f, p);
    }
  });
  return out;
}

/** The `apiVersion`, `kind` and object of a Kubernetes protobuf body, the object in JSON shape. */
export function decodeProtobuf(body: Uint8Array, schemaOf: (apiVersion: string, kind: string) => ObjectSchema | undefined): Record<string, Json> {
  if (body.length < 4 || body[0] !== 0x6b || body[1] !== 0x38 || body[2] !== 0x73 || body[3] !== 0) {
    throw new ProtobufError('provided protobuf object does not begin with the k8s magic prefix');
  }
  let apiVersion = '', kind = '';
  let raw: Uint8Array | undefined;
  message(body.subarray(4), (r, f, w) => {
    if (f === 1) {
      message(r.bytes(), (t, tf, tw) => {
        if (tf === 1) apiVersion = text.decode(t.bytes());
        else if (tf === 2) kind = text.decode(t.bytes());
        else t.skip(tw);
      });
    } else if (f === 2) raw = r.bytes();
    else r.skip(w);
  });
  const schema = schemaOf(apiVersion, kind);
  if (schema === undefined) throw new ProtobufError(`no kind "${kind}" is registered for version "${apiVersion}"`);
  return { apiVersion, kind, ...object(raw ?? new Uint8Array(), schema, '') };
}
