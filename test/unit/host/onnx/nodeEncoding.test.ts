/**
 * encodeNodes (one flat buffer, sizes first) against the same NodeProto messages built field by field with
 * ProtoWriter, the encoder checked against hand-encoded bytes in protobuf.test.ts: byte-identical output for every
 * attribute kind, negative integers, non-ASCII names, optional (empty) inputs and contrib domains.
 */
import { describe, expect, it } from 'vitest';
import { encodeNodes, type EncodableNode } from '../../../../host/onnx/nodeEncoding.js';
import { f32, type AttrValue, type OnnxTensor } from '../../../../host/onnx/onnxGraph.js';
import { ProtoWriter } from '../../../../host/onnx/protobuf.js';

const tensorBytes = (t: OnnxTensor): Uint8Array =>
  new ProtoWriter().packedVarints(1, t.dims).varint(2, t.dataType).bytes(9, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength)).finish();

/** The oracle: NodeProto / AttributeProto field by field (onnx.proto3 field numbers). */
function writerNode(n: EncodableNode): ProtoWriter {
  const w = new ProtoWriter();
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  w.string(3, n.name).string(4, n.opType);
  for (const [key, value] of Object.entries(n.attrs)) w.message(5, writerAttr(key, value));
  if (n.domain) w.string(7, n.domain);
  return w;
}

function writerAttr(name: string, value: AttrValue): ProtoWriter {
  const w = new ProtoWriter().string(1, name);
  if (typeof value === 'number') return w.varint(3, value).varint(20, 2);
  if (typeof value === 'string') return w.string(4, value).varint(20, 3);
  if (Array.isArray(value)) return w.packedVarints(8, value).varint(20, 7);
  if ('f' in value) return w.float32(2, value.f).varint(20, 1);
  if ('floats' in value) return w.packedFloats(7, value.floats).varint(20, 6);
  return w.bytes(5, tensorBytes(value.t)).varint(20, 4);
}

const nodes: EncodableNode[] = [
  { opType: 'Conv', inputs: ['x', 'w', ''], outputs: ['y'], name: 'Conv_node__1', attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1], group: 1 } },
  { opType: 'ReduceMean', inputs: ['y'], outputs: ['m'], name: 'n2', attrs: { axes: [-1, 0, 300], keepdims: 0 } },
  { opType: 'Conv', domain: 'com.microsoft.nchwc', inputs: ['y', 'σ²'], outputs: ['z'], name: 'ν', attrs: { kernel_shape: [1, 1], group: 16 } },
  { opType: 'FusedMatMul', domain: 'com.microsoft', inputs: ['a', 'b'], outputs: ['c'], name: 'mm', attrs: { transB: 1, alpha: { f: 0.125 } } },
  { opType: 'Cast', inputs: ['c'], outputs: ['d'], name: 'cast', attrs: { to: -3, mode: 'x'.repeat(300), scales: { floats: [0.5, -2, 1e-7] } } },
  { opType: 'ConstantOfShape', inputs: ['shape'], outputs: ['zeros'], name: '', attrs: { value: { t: f32([1], [0]) } } },
  { opType: 'Identity', inputs: [], outputs: [], name: '', attrs: {} },
];

describe('encodeNodes', () => {
  it('writes exactly the bytes of field-by-field NodeProto messages', () => {
    const want = new ProtoWriter();
    for (const n of nodes) want.message(1, writerNode(n));
    expect(Array.from(encodeNodes(nodes, 1, tensorBytes))).toEqual(Array.from(want.finish()));
  });

  it('names the attribute when an integer attribute is not an integer', () => {
    const bad: EncodableNode = { opType: 'Conv', inputs: [], outputs: [], name: 'c', attrs: { group: 1.5 } };
    expect(() => encodeNodes([bad], 1, tensorBytes)).toThrow(/attribute 'group': 1.5 is not an integer/);
  });
});
