/**
 * Refuses ONNX models that keep tensor data outside the model (security issue #19, item 8).
 *
 * WHY. A TensorProto may say "my bytes are in a file": data_location = EXTERNAL plus external_data entries
 * (location, offset, length). onnxruntime refuses absolute and `../` locations, but for a model created from bytes
 * it resolves the others against the process's working directory. A hostile host (or anyone in the middle of a plain
 * ws:// link) could point an initializer at a file next to the agent (its `agent.env` holds the token) and learn its
 * size and bytes through the results the agent reports. Models the host exports never use external data, so a model
 * that does is refused with ZN_MODEL_EXTERNAL_DATA before any onnxruntime session exists: in the agent once the
 * transfer is complete and its sha256 verified (client.ts, so it is never cached), and again in the measurement
 * child for models already in the cache (measureChild.ts). The child also runs in an empty private directory
 * (measureWorker.ts), so even a missed reference finds nothing to read.
 *
 * The browser agent does not run this check: onnxruntime-web has no file system and reads external data only from
 * buffers the page hands it explicitly (it hands none), so there is nothing for such a model to reach.
 *
 * HOW. A walk of the protobuf wire format that descends only into the fields that can hold a TensorProto:
 *   ModelProto.graph (7), .training_info (20: TrainingInfoProto.initialization 1 / algorithm 2), .functions (25);
 *   GraphProto.node (1), .initializer (5), .sparse_initializer (15);  NodeProto.attribute (5);
 *   AttributeProto.t (5), g (6), tensors (10), graphs (11), sparse_tensor (22), sparse_tensors (23);
 *   SparseTensorProto.values (1), indices (2);  FunctionProto.node (7), .attribute_proto (11);
 *   TensorProto.external_data (13): any entry refuses; .data_location (14): anything but DEFAULT (0) refuses.
 * Every other field is skipped by its wire type. The walk keeps its own stack (no recursion), stops at MAX_DEPTH
 * nested messages and reads each byte at most once. Bytes it cannot read (truncated varint, a length past the end,
 * group or unknown wire types, field number 0, a known message field with another wire type) make the model
 * refused as malformed (ZN_MODEL_LOAD); nothing here throws.
 */
import type { ZeronasErrorCode } from '../shared/errors.js';
import type { WireError } from '../shared/protocol/messages.js';

/** Nested messages the walk follows (model = 1; a tensor in a node attribute of the main graph is at 5). */
export const MAX_DEPTH = 32;

type Kind = 'model' | 'trainingInfo' | 'graph' | 'node' | 'attribute' | 'function' | 'tensor' | 'sparseTensor';

/** For each message kind: field number -> [field name (`[]`: repeated), kind of the nested message]. */
const CHILDREN: Record<Kind, Readonly<Record<number, readonly [string, Kind]>>> = {
  model: { 7: ['graph', 'graph'], 20: ['training_info[]', 'trainingInfo'], 25: ['functions[]', 'function'] },
  trainingInfo: { 1: ['initialization', 'graph'], 2: ['algorithm', 'graph'] },
  graph: { 1: ['node[]', 'node'], 5: ['initializer[]', 'tensor'], 15: ['sparse_initializer[]', 'sparseTensor'] },
  node: { 5: ['attribute[]', 'attribute'] },
  attribute: {
    5: ['t', 'tensor'],
    6: ['g', 'graph'],
    10: ['tensors[]', 'tensor'],
    11: ['graphs[]', 'graph'],
    22: ['sparse_tensor', 'sparseTensor'],
    23: ['sparse_tensors[]', 'sparseTensor'],
  },
  function: { 7: ['node[]', 'node'], 11: ['attribute_proto[]', 'attribute'] },
  sparseTensor: { 1: ['values', 'tensor'], 2: ['indices', 'tensor'] },
  tensor: {},
};

const TENSOR_NAME = 8;
const TENSOR_EXTERNAL_DATA = 13;
const TENSOR_DATA_LOCATION = 14;

const WIRE_VARINT = 0;
const WIRE_64BIT = 1;
const WIRE_LENGTH = 2;
const WIRE_32BIT = 5;

export type ExternalDataScan =
  | { status: 'clean' }
  /** `path` names the tensor's place, e.g. `graph.initializer[0]` or `graph.node[3].attribute[0].t`. */
  | { status: 'external-data'; path: string; tensorName: string | null; location: string | null }
  | { status: 'malformed' | 'too-deep'; path: string; reason: string };

interface Frame {
  kind: Kind;
  pos: number;
  end: number;
  path: string;
  /** Children seen so far per field number (for the path); created on the first child. */
  counts: Map<number, number> | null;
  /** Tensor frames only. */
  isExternal: boolean;
  tensorName: string | null;
  location: string | null;
}

const decoder = new TextDecoder('utf-8', { fatal: false });
const MAX_REPORTED_CHARS = 200;

/** Reads a varint at `pos` (at most 10 bytes, not past `end`); null when truncated or too long. */
function readVarint(bytes: Uint8Array, pos: number, end: number): { value: number; next: number } | null {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 10 && pos + i < end; i++) {
    const b = bytes[pos + i]!;
    // Exact below 2^53; above, still > 0 (only ever compared with 0, 1 or a remaining length).
    value += (b & 0x7f) * scale;
    scale *= 128;
    if (b < 0x80) return { value, next: pos + i + 1 };
  }
  return null;
}

function text(bytes: Uint8Array, start: number, end: number): string {
  return decoder.decode(bytes.subarray(start, Math.min(end, start + 4 * MAX_REPORTED_CHARS))).slice(0, MAX_REPORTED_CHARS);
}

/** The `value` of a StringStringEntryProto whose key is 'location' (flat message: no nesting), else null. */
function entryLocation(bytes: Uint8Array, start: number, end: number): string | null {
  let key: string | null = null;
  let value: string | null = null;
  let pos = start;
  while (pos < end) {
    const tag = readVarint(bytes, pos, end);
    if (!tag) return null;
    const field = Math.floor(tag.value / 8);
    const wire = tag.value % 8;
    if (wire !== WIRE_LENGTH) return null;
    const len = readVarint(bytes, tag.next, end);
    if (!len || len.value > end - len.next) return null;
    if (field === 1) key = text(bytes, len.next, len.next + len.value);
    else if (field === 2) value = text(bytes, len.next, len.next + len.value);
    pos = len.next + len.value;
  }
  return key === 'location' ? value : null;
}

/** Walks `bytes` as an ONNX ModelProto; see the header for what counts as external data. Never throws. */
export function scanExternalData(bytes: Uint8Array): ExternalDataScan {
  const stack: Frame[] = [{ kind: 'model', pos: 0, end: bytes.byteLength, path: 'model', counts: null, isExternal: false, tensorName: null, location: null }];
  const malformed = (frame: Frame, reason: string): ExternalDataScan => ({ status: 'malformed', path: frame.path, reason: `${reason} at byte ${frame.pos}` });

  while (stack.length > 0) {
    const frame = stack[stack.length - 1]!;
    if (frame.pos >= frame.end) {
      stack.pop();
      if (frame.isExternal) return { status: 'external-data', path: frame.path, tensorName: frame.tensorName, location: frame.location };
      continue;
    }
    const tag = readVarint(bytes, frame.pos, frame.end);
    if (!tag) return malformed(frame, 'truncated field tag');
    const field = Math.floor(tag.value / 8);
    const wire = tag.value % 8;
    if (field === 0 || field > 0x1fffffff) return malformed(frame, `invalid field number ${field}`);
    let next: number;
    let payloadStart = -1;
    let varintValue = 0;
    switch (wire) {
      case WIRE_VARINT: {
        const v = readVarint(bytes, tag.next, frame.end);
        if (!v) return malformed(frame, `truncated varint in field ${field}`);
        varintValue = v.value;
        next = v.next;
        break;
      }
      case WIRE_64BIT:
        next = tag.next + 8;
        break;
      case WIRE_32BIT:
        next = tag.next + 4;
        break;
      case WIRE_LENGTH: {
        const len = readVarint(bytes, tag.next, frame.end);
        if (!len) return malformed(frame, `truncated length of field ${field}`);
        if (len.value > frame.end - len.next) return malformed(frame, `field ${field} claims ${len.value} bytes, ${frame.end - len.next} remain`);
        payloadStart = len.next;
        next = len.next + len.value;
        break;
      }
      default:
        return malformed(frame, `wire type ${wire} in field ${field} (groups and unknown wire types are not ONNX)`);
    }
    if (next > frame.end) return malformed(frame, `field ${field} runs past the end of its message`);
    const fieldStart = frame.pos;
    frame.pos = next;

    if (frame.kind === 'tensor') {
      if (field === TENSOR_EXTERNAL_DATA) {
        frame.isExternal = true;
        if (payloadStart >= 0 && frame.location === null) frame.location = entryLocation(bytes, payloadStart, next);
      } else if (field === TENSOR_DATA_LOCATION) {
        if (wire !== WIRE_VARINT) return { status: 'malformed', path: frame.path, reason: `data_location with wire type ${wire} at byte ${fieldStart}` };
        if (varintValue !== 0) frame.isExternal = true;
      } else if (field === TENSOR_NAME && wire === WIRE_LENGTH) {
        frame.tensorName = text(bytes, payloadStart, next);
      }
      continue;
    }

    const child = CHILDREN[frame.kind][field];
    if (!child) continue;
    const [name, kind] = child;
    if (wire !== WIRE_LENGTH) return { status: 'malformed', path: frame.path, reason: `field ${name} (${field}) has wire type ${wire}, expected a message, at byte ${fieldStart}` };
    let label = name;
    if (name.endsWith('[]')) {
      frame.counts ??= new Map();
      const index = frame.counts.get(field) ?? 0;
      frame.counts.set(field, index + 1);
      label = `${name.slice(0, -2)}[${index}]`;
    }
    const path = frame.kind === 'model' ? label : `${frame.path}.${label}`;
    if (stack.length >= MAX_DEPTH) return { status: 'too-deep', path, reason: `messages nested more than ${MAX_DEPTH} deep` };
    stack.push({ kind, pos: payloadStart, end: next, path, counts: null, isExternal: false, tensorName: null, location: null });
  }
  return { status: 'clean' };
}

/**
 * The refusal for model bytes about to reach onnxruntime, or null when they may: ZN_MODEL_EXTERNAL_DATA for a tensor
 * with external data, ZN_MODEL_LOAD for bytes that are not a readable ONNX protobuf (or nest past MAX_DEPTH).
 */
export function externalDataRefusal(bytes: Uint8Array): (WireError & { code: ZeronasErrorCode }) | null {
  const scan = scanExternalData(bytes);
  switch (scan.status) {
    case 'clean':
      return null;
    case 'external-data':
      return {
        code: 'ZN_MODEL_EXTERNAL_DATA',
        message:
          `model refused: tensor ${scan.tensorName === null ? '(unnamed)' : `'${scan.tensorName}'`} at ${scan.path} keeps its data outside the model` +
          `${scan.location === null ? '' : ` (location '${scan.location}')`}; this agent runs only self-contained models (embed the data, e.g. onnx.save_model(..., save_as_external_data=False))`,
        details: { path: scan.path, tensor: scan.tensorName, location: scan.location },
      };
    case 'malformed':
    case 'too-deep':
      return {
        code: 'ZN_MODEL_LOAD',
        message: `model refused: not a readable ONNX model (${scan.reason}, in ${scan.path}), so it cannot be checked for external data`,
        details: { path: scan.path, reason: scan.reason },
      };
  }
}
