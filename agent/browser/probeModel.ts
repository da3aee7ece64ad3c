/**
 * A tiny ONNX model (y = Relu(x), x float32 [1, 8]) written byte by byte, so the page can create one real session
 * per execution provider at start-up and report which providers actually run here, instead of which ones merely
 * exist (onnxruntime-web falls back silently when given a list; HARDWARE.md §7.4). Encodes only the protobuf
 * fields it needs (onnx.proto: ModelProto, GraphProto, NodeProto, ValueInfoProto, TypeProto).
 */
const utf8 = new TextEncoder();

function varint(n: number): number[] {
  const out: number[] = [];
  let v = n;
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

const key = (field: number, wireType: 0 | 2): number[] => varint((field << 3) | wireType);
const int = (field: number, value: number): number[] => [...key(field, 0), ...varint(value)];
const bytes = (field: number, content: number[]): number[] => [...key(field, 2), ...varint(content.length), ...content];
const str = (field: number, value: string): number[] => bytes(field, [...utf8.encode(value)]);

function tensorValueInfo(name: string, dims: number[]): number[] {
  const shape = dims.flatMap((d) => bytes(1, int(1, d))); // TensorShapeProto.dim { dim_value }
  const tensorType = [...int(1, 1 /* FLOAT */), ...bytes(2, shape)];
  return [...str(1, name), ...bytes(2, bytes(1, tensorType))]; // ValueInfoProto { name, type { tensor_type } }
}

export const PROBE_INPUT = { name: 'x', dims: [1, 8] } as const;

export function probeModelBytes(): Uint8Array {
  const node = [...str(1, 'x'), ...str(2, 'y'), ...str(3, 'probe_relu'), ...str(4, 'Relu')];
  const graph = [...bytes(1, node), ...str(2, 'zeronas_probe'), ...bytes(11, tensorValueInfo('x', [...PROBE_INPUT.dims])), ...bytes(12, tensorValueInfo('y', [...PROBE_INPUT.dims]))];
  const opset = [...str(1, ''), ...int(2, 13)];
  return new Uint8Array([...int(1, 8), ...str(2, 'zeronas'), ...bytes(7, graph), ...bytes(8, opset)]);
}
