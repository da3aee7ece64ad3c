/**
 * NodeProto messages written straight into one buffer: sizes first, then bytes. A training graph has thousands of
 * small nodes; building each (and each attribute) as its own ProtoWriter cost more than everything else in the
 * serialiser (a writer, a scratch buffer and a copy per message). Same wire format as ProtoWriter, field by field.
 */
import type { AttrValue, OnnxTensor } from './onnxGraph.js';

export interface EncodableNode {
  opType: string;
  domain?: string;
  inputs: readonly string[];
  outputs: readonly string[];
  name: string;
  attrs: Readonly<Record<string, AttrValue>>;
}

const textEncoder = new TextEncoder();

/** Bytes of the varint encoding (negative integers take ten, as protobuf's int64 does). */
function varintSize(v: number): number {
  if (v < 0) return 10;
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 0x80);
    n++;
  }
  return n;
}

class FlatWriter {
  pos = 0;
  constructor(readonly buf: Uint8Array) {}

  varint(v: number): void {
    if (v < 0) {
      let b = BigInt.asUintN(64, BigInt(v));
      for (let i = 0; i < 9; i++, b >>= 7n) this.buf[this.pos++] = Number(b & 0x7fn) | 0x80;
      this.buf[this.pos++] = Number(b);
      return;
    }
    while (v >= 0x80) {
      this.buf[this.pos++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.pos++] = v;
  }

  tag(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }

  bytes(field: number, data: Uint8Array): void {
    this.tag(field, 2);
    this.varint(data.length);
    this.buf.set(data, this.pos);
    this.pos += data.length;
  }

  float32(v: number): void {
    new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 4).setFloat32(0, v, true);
    this.pos += 4;
  }
}

/** A string's UTF-8 bytes, or undefined when it is ASCII (written char by char, no encoder call). */
function nonAscii(text: string): Uint8Array | undefined {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) >= 0x80) return textEncoder.encode(text);
  return undefined;
}

/** Size of a length-delimited string field, its tag included. */
function stringFieldSize(field: number, text: string): number {
  const n = nonAscii(text)?.length ?? text.length;
  return varintSize(field << 3) + varintSize(n) + n;
}

function writeString(w: FlatWriter, field: number, text: string): void {
  const utf8 = nonAscii(text);
  if (utf8 !== undefined) return w.bytes(field, utf8);
  w.tag(field, 2);
  w.varint(text.length);
  for (let i = 0; i < text.length; i++) w.buf[w.pos++] = text.charCodeAt(i);
}

/** AttributeProto body size (without its own tag and length). */
function attrBodySize(name: string, value: AttrValue, tensorBytes: (t: OnnxTensor) => Uint8Array): number {
  const integer = (v: number): number => {
    if (!Number.isInteger(v)) throw new RangeError(`attribute '${name}': ${v} is not an integer`);
    return varintSize(v);
  };
  let size = stringFieldSize(1, name) + 2 + 1; // name; type (field 20: two-byte tag, one-byte value)
  if (typeof value === 'number') size += 1 + integer(value);
  else if (typeof value === 'string') size += stringFieldSize(4, value);
  else if (Array.isArray(value)) {
    const n = value.reduce((acc, v) => acc + integer(v), 0);
    size += 1 + varintSize(n) + n;
  } else if ('f' in value) size += 1 + 4;
  else if ('floats' in value) size += 1 + varintSize(4 * value.floats.length) + 4 * value.floats.length;
  else {
    const n = tensorBytes(value.t).length;
    size += 1 + varintSize(n) + n;
  }
  return size;
}

function writeAttrBody(w: FlatWriter, name: string, value: AttrValue, tensorBytes: (t: OnnxTensor) => Uint8Array): void {
  writeString(w, 1, name);
  let type: number;
  if (typeof value === 'number') {
    w.tag(3, 0);
    w.varint(value);
    type = 2;
  } else if (typeof value === 'string') {
    writeString(w, 4, value);
    type = 3;
  } else if (Array.isArray(value)) {
    w.tag(8, 2);
    w.varint(value.reduce((acc, v) => acc + varintSize(v), 0));
    for (const v of value) w.varint(v);
    type = 7;
  } else if ('f' in value) {
    w.tag(2, 5);
    w.float32(value.f);
    type = 1;
  } else if ('floats' in value) {
    w.tag(7, 2);
    w.varint(4 * value.floats.length);
    for (const v of value.floats) w.float32(v);
    type = 6;
  } else {
    w.bytes(5, tensorBytes(value.t));
    type = 4;
  }
  w.tag(20, 0);
  w.varint(type);
}

/**
 * The nodes as repeated field `field` of their parent (GraphProto.node is field 1), ready to append to it.
 * `tensorBytes` encodes a tensor-valued attribute's TensorProto (rare: a ConstantOfShape value).
 */
export function encodeNodes(nodes: readonly EncodableNode[], field: number, tensorBytes: (t: OnnxTensor) => Uint8Array): Uint8Array {
  // Tensor attributes are encoded once, not once per pass.
  const tensorCache = new Map<OnnxTensor, Uint8Array>();
  const cachedTensorBytes = (t: OnnxTensor): Uint8Array => {
    let b = tensorCache.get(t);
    if (b === undefined) tensorCache.set(t, (b = tensorBytes(t)));
    return b;
  };
  const bodySizes = new Int32Array(nodes.length);
  const attrSizes: number[] = [];
  let total = 0;
  nodes.forEach((n, k) => {
    let size = 0;
    for (const i of n.inputs) size += stringFieldSize(1, i);
    for (const o of n.outputs) size += stringFieldSize(2, o);
    size += stringFieldSize(3, n.name) + stringFieldSize(4, n.opType);
    for (const key in n.attrs) {
      const a = attrBodySize(key, n.attrs[key]!, cachedTensorBytes);
      attrSizes.push(a);
      size += 1 + varintSize(a) + a;
    }
    if (n.domain) size += stringFieldSize(7, n.domain);
    bodySizes[k] = size;
    total += varintSize(field << 3) + varintSize(size) + size;
  });
  const w = new FlatWriter(new Uint8Array(total));
  let attrIndex = 0;
  nodes.forEach((n, k) => {
    w.tag(field, 2);
    w.varint(bodySizes[k]!);
    for (const i of n.inputs) writeString(w, 1, i);
    for (const o of n.outputs) writeString(w, 2, o);
    writeString(w, 3, n.name);
    writeString(w, 4, n.opType);
    for (const key in n.attrs) {
      w.tag(5, 2);
      w.varint(attrSizes[attrIndex++]!);
      writeAttrBody(w, key, n.attrs[key]!, cachedTensorBytes);
    }
    if (n.domain) writeString(w, 7, n.domain);
  });
  if (w.pos !== total) throw new Error(`node encoding: wrote ${w.pos} bytes, sized ${total}`);
  return w.buf;
}
