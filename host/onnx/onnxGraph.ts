import { encodeNodes } from './nodeEncoding.js';
import { ProtoWriter } from './protobuf.js';

/** ONNX TensorProto.DataType values we use. */
export const DataType = { FLOAT: 1, INT32: 6, INT64: 7, BOOL: 9, DOUBLE: 11 } as const;
export type DataTypeId = (typeof DataType)[keyof typeof DataType];

export type TensorData = Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array;

export interface OnnxTensor {
  dims: readonly number[];
  dataType: DataTypeId;
  data: TensorData;
}

/** Attribute values: a bare number or number[] is an INT/INTS attribute; floats must say so. */
export type AttrValue =
  | number
  | number[]
  | string
  | { f: number }
  | { floats: number[] }
  | { t: OnnxTensor };

export type Dim = number | string;

const CONTRIB_DOMAIN = 'com.microsoft';

interface NodeRecord {
  opType: string;
  /** Operator domain; '' is the default ONNX domain. */
  domain?: string;
  inputs: string[];
  outputs: string[];
  name: string;
  attrs: Record<string, AttrValue>;
}

interface ValueRecord {
  name: string;
  dataType: DataTypeId;
  dims: Dim[];
}

/**
 * A float tensor. A Float32Array is referenced, not copied (a model's weights are megabytes, and the graph is
 * serialised before anyone could change them); other array-likes are converted.
 */
export const f32 = (dims: readonly number[], data: ArrayLike<number>): OnnxTensor => ({
  dims,
  dataType: DataType.FLOAT,
  data: data instanceof Float32Array ? data : Float32Array.from(data),
});

export const i64 = (dims: readonly number[], data: readonly number[]): OnnxTensor => ({
  dims,
  dataType: DataType.INT64,
  data: BigInt64Array.from(data.map((v) => BigInt(v))),
});

/**
 * An ONNX graph under construction: nodes in order, initializers, typed inputs and outputs. Used by both the
 * inference exporter and the training-graph generator, so both share naming and encoding.
 */
export class OnnxGraph {
  private readonly nodes: NodeRecord[] = [];
  private readonly initializers = new Map<string, OnnxTensor>();
  private readonly inputs: ValueRecord[] = [];
  private readonly outputs: ValueRecord[] = [];
  private readonly usedNames = new Set<string>();
  private counter = 0;

  constructor(readonly name: string) {}

  /** A tensor name not used before, derived from `prefix`. */
  fresh(prefix: string): string {
    let name = prefix;
    while (this.usedNames.has(name)) name = `${prefix}__${this.counter++}`;
    this.usedNames.add(name);
    return name;
  }

  reserve(name: string): string {
    if (this.usedNames.has(name)) throw new Error(`ONNX tensor name '${name}' used twice`);
    this.usedNames.add(name);
    return name;
  }

  addInput(name: string, dataType: DataTypeId, dims: Dim[]): string {
    this.reserve(name);
    this.inputs.push({ name, dataType, dims });
    return name;
  }

  addOutput(name: string, dataType: DataTypeId, dims: Dim[]): void {
    this.outputs.push({ name, dataType, dims });
  }

  addInitializer(name: string, tensor: OnnxTensor): string {
    this.reserve(name);
    this.initializers.set(name, tensor);
    return name;
  }

  /** An initializer under a fresh name derived from `prefix` (no deduplication by value). */
  addFreshInitializer(prefix: string, tensor: OnnxTensor): string {
    const name = this.fresh(prefix);
    this.initializers.set(name, tensor);
    return name;
  }

  /** The tensor of an initializer (or constant), if `name` is one. */
  initializerTensor(name: string): OnnxTensor | undefined {
    return this.initializers.get(name);
  }

  hasInitializer(name: string): boolean {
    return this.initializers.has(name);
  }

  /** A constant as an initializer (cheaper for ORT than Constant nodes), deduplicated by value. */
  constant(tensor: OnnxTensor, prefix = 'const'): string {
    // Keyed by a hash of the bytes (cheap for the large one-hot im2col kernels), then compared byte for byte.
    const bytes = tensorBytes(tensor);
    const key = `${prefix}:${tensor.dataType}:${tensor.dims.join('x')}:${fnv1a(bytes)}`;
    const candidates = this.constCache.get(key) ?? [];
    const hit = candidates.find((c) => sameBytes(c.bytes, bytes));
    if (hit) return hit.name;
    const name = this.fresh(prefix); // fresh() already reserves the name
    this.initializers.set(name, tensor);
    this.constCache.set(key, [...candidates, { name, bytes }]);
    return name;
  }
  private readonly constCache = new Map<string, { name: string; bytes: Uint8Array }[]>();

  /** Appends a node; returns its output names (fresh ones when `outputs` is a count). */
  node(
    opType: string,
    inputs: string[],
    attrs: Record<string, AttrValue> = {},
    outputs: string[] | number = 1,
    name?: string,
  ): string[] {
    const outs =
      typeof outputs === 'number'
        ? Array.from({ length: outputs }, () => this.fresh(`${name ?? opType}_out`))
        : outputs.map((o) => this.reserve(o));
    this.push({ opType, inputs, outputs: outs, name: name ?? this.fresh(`${opType}_node`), attrs });
    return outs;
  }

  /**
   * A single-output onnxruntime contrib operator (version 1 of its domain: com.microsoft by default, e.g.
   * FusedMatMul, or com.microsoft.nchwc for the blocked-layout kernels). Such models run only on onnxruntime;
   * training graphs do, inference exports never use these.
   */
  contribOp(opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}, domain = CONTRIB_DOMAIN, output?: string): string {
    const out = output === undefined ? this.fresh(`${opType}_out`) : this.reserve(output);
    this.push({ opType, domain, inputs, outputs: [out], name: this.fresh(`${opType}_node`), attrs });
    return out;
  }

  /**
   * Re-emits the node that produced `output` as the last node, with `extraInputs` appended to its inputs and a fresh
   * output name, which is returned. For a value nothing has read yet (the caller checks `isRead`): moving its
   * producer after the extra inputs' keeps the node order topological, and the old name is left without a producer, so
   * a later reader of it would fail at session creation instead of silently reading the changed value.
   */
  extendLastUse(output: string, extraInputs: string[]): string {
    const index = this.nodes.findIndex((n) => n.outputs.length === 1 && n.outputs[0] === output);
    if (index < 0) throw new Error(`no node produces '${output}'`);
    const [node] = this.nodes.splice(index, 1);
    const out = this.fresh(`${node!.opType}_out`);
    this.push({ ...node!, inputs: [...node!.inputs, ...extraInputs], outputs: [out] });
    return out;
  }

  /** Whether some node reads `name`, or it is a graph output. */
  isRead(name: string): boolean {
    return this.readNames.has(name) || this.outputs.some((o) => o.name === name);
  }

  private push(node: NodeRecord): void {
    this.nodes.push(node);
    for (const i of node.inputs) this.readNames.add(i);
  }
  /** Every name some node reads (only grows: nodes are never removed before serialising). */
  private readonly readNames = new Set<string>();

  /** Single-output shorthand. */
  op(opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}, output?: string): string {
    return this.node(opType, inputs, attrs, output === undefined ? 1 : [output])[0]!;
  }

  /**
   * The nodes and initializers worth serialising. ORT spends ~0.1 ms per node at session creation, and each of its
   * optimiser passes that changes the graph re-resolves all of it, so what it would remove is removed here:
   *  - duplicate nodes (same op, inputs and attributes; e.g. the ReLU and im2col of one tensor feeding two convs):
   *    the later one is dropped and its readers read the first (what ORT's CommonSubexpressionElimination does);
   *  - an Identity that only renames a node's result to a graph output name: the producer writes the output name
   *    directly (skipped when the source is itself an output, a graph input or an initializer, or already renamed);
   *  - nodes whose results reach no graph output (e.g. statistics a rule computes for outputs not asked for), and
   *    initializers no kept node reads.
   */
  private pruned(): { nodes: NodeRecord[]; initializers: [string, OnnxTensor][] } {
    const outputNames = new Set(this.outputs.map((o) => o.name));
    const nodes = dropDeadNodes(foldOutputRenames(mergeDuplicateNodes(this.nodes, outputNames), outputNames), outputNames);
    const read = new Set(nodes.flatMap((n) => n.inputs));
    return { nodes, initializers: [...this.initializers].filter(([name]) => read.has(name) || outputNames.has(name)) };
  }

  /** Nodes the serialised model holds (after pruning). */
  get nodeCount(): number {
    return this.pruned().nodes.length;
  }

  toBytes(opset = 17): Uint8Array {
    return this.serialize(opset).bytes;
  }

  /** The model bytes and the number of nodes they hold (after pruning, which runs once). */
  serialize(opset = 17): { bytes: Uint8Array; nodeCount: number } {
    const { nodes, initializers } = this.pruned();
    const graph = new ProtoWriter().encoded(encodeNodes(nodes, 1, (t) => encodeTensor('', t).finish()));
    graph.string(2, this.name);
    for (const [name, t] of initializers) graph.message(5, encodeTensor(name, t));
    for (const v of this.inputs) graph.message(11, encodeValueInfo(v));
    for (const v of this.outputs) graph.message(12, encodeValueInfo(v));

    const model = new ProtoWriter()
      .varint(1, 8) // ir_version 8 (ONNX 1.10+, understood by every onnxruntime we target)
      .string(2, 'zeronas')
      .string(3, '0.1.0')
      .message(7, graph)
      .message(8, new ProtoWriter().string(1, '').varint(2, opset));
    // Every onnxruntime contrib domain used (com.microsoft, com.microsoft.nchwc) is at version 1.
    for (const domain of new Set(nodes.map((n) => n.domain ?? '').filter(Boolean))) model.message(8, new ProtoWriter().string(1, domain).varint(2, 1));
    return { bytes: model.finish(), nodeCount: nodes.length };
  }
}

const renameAll = (nodes: NodeRecord[], rename: Map<string, string>): NodeRecord[] =>
  rename.size === 0
    ? nodes
    : nodes.map((n) => ({ ...n, inputs: n.inputs.map((t) => rename.get(t) ?? t), outputs: n.outputs.map((t) => rename.get(t) ?? t) }));

/** Common-subexpression elimination over nodes in order (all our ops are deterministic). */
function mergeDuplicateNodes(nodes: NodeRecord[], outputNames: ReadonlySet<string>): NodeRecord[] {
  const rename = new Map<string, string>();
  // Keyed by op and inputs; the attributes (a JSON string) are compared only between nodes that share those.
  const firstByKey = new Map<string, { node: NodeRecord; attrs?: string }[]>();
  const kept: NodeRecord[] = [];
  for (const n of nodes) {
    const inputs = n.inputs.map((t) => rename.get(t) ?? t);
    const node = { ...n, inputs };
    kept.push(node);
    // Tensor-valued attributes are left alone (no cheap key), as are nodes that write graph outputs.
    if (n.outputs.some((o) => outputNames.has(o)) || Object.values(n.attrs).some((v) => typeof v === 'object' && v !== null && 't' in v)) continue;
    const key = `${n.domain ?? ''}:${n.opType}|${inputs.join(',')}`;
    const candidates = firstByKey.get(key);
    if (candidates === undefined) {
      firstByKey.set(key, [{ node }]);
      continue;
    }
    const attrs = JSON.stringify(n.attrs);
    const first = candidates.find((c) => (c.attrs ??= JSON.stringify(c.node.attrs)) === attrs && c.node.outputs.length === n.outputs.length);
    if (first === undefined) {
      candidates.push({ node, attrs });
      continue;
    }
    kept.pop();
    n.outputs.forEach((o, i) => rename.set(o, first.node.outputs[i]!));
  }
  return kept;
}

/** Lets a node write a graph output name directly instead of through an Identity. */
function foldOutputRenames(nodes: NodeRecord[], outputNames: ReadonlySet<string>): NodeRecord[] {
  const produced = new Set(nodes.flatMap((n) => n.outputs));
  const rename = new Map<string, string>();
  const folded = new Set<NodeRecord>();
  for (const n of nodes) {
    if (n.opType !== 'Identity' || !outputNames.has(n.outputs[0]!)) continue;
    const src = n.inputs[0]!;
    if (!produced.has(src) || outputNames.has(src) || rename.has(src)) continue;
    rename.set(src, n.outputs[0]!);
    folded.add(n);
  }
  return renameAll(nodes.filter((n) => !folded.has(n)), rename);
}

/** Nodes in order that (transitively) feed a graph output. */
function dropDeadNodes(nodes: NodeRecord[], outputNames: ReadonlySet<string>): NodeRecord[] {
  const needed = new Set(outputNames);
  const kept: NodeRecord[] = [];
  for (let i = nodes.length - 1; i >= 0; i--) {
    const n = nodes[i]!;
    if (!n.outputs.some((o) => needed.has(o))) continue;
    kept.push(n);
    for (const input of n.inputs) needed.add(input);
  }
  return kept.reverse();
}

/** raw_data is little-endian, which is what typed arrays hold on every platform we run on. */
function tensorBytes(t: OnnxTensor): Uint8Array {
  return new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
}

function fnv1a(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  return h >>> 0;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function encodeTensor(name: string, t: OnnxTensor): ProtoWriter {
  const w = new ProtoWriter();
  w.packedVarints(1, t.dims);
  w.varint(2, t.dataType);
  if (name) w.string(8, name);
  w.bytes(9, tensorBytes(t));
  return w;
}

function encodeValueInfo(v: ValueRecord): ProtoWriter {
  const shape = new ProtoWriter();
  for (const d of v.dims) {
    const dim = new ProtoWriter();
    if (typeof d === 'number') dim.varint(1, d);
    else dim.string(2, d);
    shape.message(1, dim);
  }
  const tensorType = new ProtoWriter().varint(1, v.dataType).message(2, shape);
  const type = new ProtoWriter().message(1, tensorType);
  return new ProtoWriter().string(1, v.name).message(2, type);
}
