/**
 * Small hand-encoded ONNX models for the external-data tests (agent/onnxExternalData.ts): clean ones and hostile ones
 * whose tensors say their bytes live in a file (TensorProto.data_location = EXTERNAL, external_data {location,
 * length}). Field numbers are onnx.proto's; encoding is the host's own ProtoWriter. `addModel` is a complete, valid
 * model (output = input + W over `n` floats): onnxruntime-node runs the clean one, and runs the hostile one too,
 * reading W from `location` relative to its working directory, when nothing refuses it.
 */
import { ProtoWriter } from '../../host/onnx/protobuf.js';

const FLOAT = 1;
const EXTERNAL = 1;

export interface ExternalRef {
  location: string;
  /** Bytes to read (external_data 'length'); omitted when undefined. */
  length?: number;
  /** Leave out data_location = EXTERNAL (only the external_data entries). */
  isEntriesOnly?: boolean;
  /** Leave out the external_data entries (only data_location = EXTERNAL). */
  isFlagOnly?: boolean;
}

const entry = (key: string, value: string): ProtoWriter => new ProtoWriter().string(1, key).string(2, value);

/** A float TensorProto of shape [n]: zeros inline, or a reference to external data. */
export function floatTensor(name: string, n: number, external?: ExternalRef): ProtoWriter {
  const t = new ProtoWriter().varint(1, n).varint(2, FLOAT);
  if (name) t.string(8, name);
  if (!external) return t.bytes(9, new Uint8Array(4 * n));
  if (!external.isFlagOnly) {
    t.message(13, entry('location', external.location));
    if (external.length !== undefined) t.message(13, entry('length', String(external.length)));
  }
  if (!external.isEntriesOnly) t.varint(14, EXTERNAL);
  return t;
}

function valueInfo(name: string, n: number): ProtoWriter {
  const shape = new ProtoWriter().message(1, new ProtoWriter().varint(1, n));
  const tensorType = new ProtoWriter().varint(1, FLOAT).message(2, shape);
  return new ProtoWriter().string(1, name).message(2, new ProtoWriter().message(1, tensorType));
}

function node(opType: string, inputs: string[], outputs: string[], name: string, attributes: ProtoWriter[] = []): ProtoWriter {
  const w = new ProtoWriter();
  for (const i of inputs) w.string(1, i);
  for (const o of outputs) w.string(2, o);
  w.string(3, name).string(4, opType);
  for (const a of attributes) w.message(5, a);
  return w;
}

/** AttributeProto `value` of type TENSOR (as on a Constant node). */
const tensorAttribute = (name: string, tensor: ProtoWriter): ProtoWriter => new ProtoWriter().string(1, name).varint(20, 4).message(5, tensor);
/** AttributeProto of type GRAPH. */
const graphAttribute = (name: string, graph: ProtoWriter): ProtoWriter => new ProtoWriter().string(1, name).varint(20, 5).message(6, graph);

function model(graph: ProtoWriter, extra?: (m: ProtoWriter) => void): Uint8Array {
  const m = new ProtoWriter().varint(1, 8).string(2, 'zeronas-test').message(7, graph).message(8, new ProtoWriter().string(1, '').varint(2, 17));
  extra?.(m);
  return m.finish();
}

/** output = input + W, with W an initializer of `n` floats (inline zeros, or external). Input 'input', dims [n]. */
export function addModel(n: number, external?: ExternalRef): Uint8Array {
  const graph = new ProtoWriter()
    .message(1, node('Add', ['input', 'W'], ['output'], 'add'))
    .string(2, 'add')
    .message(5, floatTensor('W', n, external))
    .message(11, valueInfo('input', n))
    .message(12, valueInfo('output', n));
  return model(graph);
}

/** output = input + Constant(value = W): the tensor sits in a node attribute instead of an initializer. */
export function constantModel(n: number, external?: ExternalRef): Uint8Array {
  const graph = new ProtoWriter()
    .message(1, node('Constant', [], ['W'], 'const', [tensorAttribute('value', floatTensor('W', n, external))]))
    .message(1, node('Add', ['input', 'W'], ['output'], 'add'))
    .string(2, 'constant')
    .message(11, valueInfo('input', n))
    .message(12, valueInfo('output', n));
  return model(graph);
}

/** A graph whose only node is a Constant with `tensor`, output 'out' (a branch body). */
const constantGraph = (tensor: ProtoWriter, name: string): ProtoWriter =>
  new ProtoWriter().message(1, node('Constant', [], ['out'], `${name}_const`, [tensorAttribute('value', tensor)])).string(2, name).message(12, valueInfo('out', 4));

/** If(cond) with a Constant in each branch; `external` goes into the else branch's tensor (`depth` If nodes deep). */
export function ifModel(external?: ExternalRef, depth = 1): Uint8Array {
  let inner = constantGraph(floatTensor('E', 4, external), 'else_0');
  for (let d = 1; d < depth; d++) {
    inner = new ProtoWriter()
      .message(1, node('If', ['cond'], ['out'], `if_${d}`, [graphAttribute('then_branch', constantGraph(floatTensor('T', 4), `then_${d}`)), graphAttribute('else_branch', inner)]))
      .string(2, `else_${d}`)
      .message(12, valueInfo('out', 4));
  }
  const condInfo = new ProtoWriter().string(1, 'cond').message(2, new ProtoWriter().message(1, new ProtoWriter().varint(1, 9).message(2, new ProtoWriter())));
  const graph = new ProtoWriter()
    .message(1, node('If', ['cond'], ['output'], 'if_0', [graphAttribute('then_branch', constantGraph(floatTensor('T', 4), 'then_0')), graphAttribute('else_branch', inner)]))
    .string(2, 'if')
    .message(11, condInfo)
    .message(12, valueInfo('output', 4));
  return model(graph);
}

/** A model with a sparse initializer whose values (or indices) tensor is external. */
export function sparseModel(external: ExternalRef, where: 'values' | 'indices'): Uint8Array {
  const values = floatTensor('S_values', 2, where === 'values' ? external : undefined);
  const indices = new ProtoWriter().varint(1, 2).varint(2, 7).string(8, 'S_indices');
  if (where === 'indices') indices.message(13, entry('location', external.location)).varint(14, EXTERNAL);
  else indices.bytes(9, new Uint8Array(16));
  const sparse = new ProtoWriter().message(1, values).message(2, indices).varint(3, 4);
  const graph = new ProtoWriter().message(1, node('Identity', ['input'], ['output'], 'id')).string(2, 'sparse').message(15, sparse).message(11, valueInfo('input', 4)).message(12, valueInfo('output', 4));
  return model(graph);
}

/** A model-local function (ModelProto.functions) whose body has a Constant node with `external` data. */
export function functionModel(external: ExternalRef, where: 'node' | 'attribute_proto'): Uint8Array {
  const tensor = floatTensor('F', 4, external);
  const fn = new ProtoWriter().string(1, 'LeakyConst').string(5, 'out').string(10, 'zeronas.test');
  if (where === 'node') fn.message(7, node('Constant', [], ['out'], 'fconst', [tensorAttribute('value', tensor)]));
  else fn.message(7, node('Identity', ['x'], ['out'], 'fid')).message(11, tensorAttribute('value', tensor));
  const graph = new ProtoWriter().message(1, node('Identity', ['input'], ['output'], 'id')).string(2, 'fn').message(11, valueInfo('input', 4)).message(12, valueInfo('output', 4));
  return model(graph, (m) => m.message(25, fn));
}

/** A model with a TrainingInfoProto whose initialization graph holds an external initializer. */
export function trainingInfoModel(external: ExternalRef): Uint8Array {
  const init = new ProtoWriter().string(2, 'init').message(5, floatTensor('R', 4, external));
  const graph = new ProtoWriter().message(1, node('Identity', ['input'], ['output'], 'id')).string(2, 'train').message(11, valueInfo('input', 4)).message(12, valueInfo('output', 4));
  return model(graph, (m) => m.message(20, new ProtoWriter().message(1, init)));
}

/** A model nesting `levels` GRAPH attributes (graph -> node -> attribute -> graph ...): 3 messages per level. */
export function nestedGraphsModel(levels: number): Uint8Array {
  let graph = new ProtoWriter().string(2, 'leaf');
  for (let i = 0; i < levels; i++) graph = new ProtoWriter().message(1, node('If', ['cond'], ['out'], `n${i}`, [graphAttribute('then_branch', graph)])).string(2, `g${i}`);
  return model(graph);
}
