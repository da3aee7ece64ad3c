import { describe, expect, it } from 'vitest';
import { initWeights, mulberry32 } from '../../../host/ir/init.js';
import { exportInference } from '../../../host/onnx/exportInference.js';
import { exportTraining } from '../../../host/onnx/exportTraining.js';
import { f32, i64, OnnxGraph, DataType } from '../../../host/onnx/onnxGraph.js';
import { ProtoWriter } from '../../../host/onnx/protobuf.js';
import { buildNb201Network } from '../../../host/spaces/nb201.js';
import { externalDataRefusal, MAX_DEPTH, scanExternalData } from '../../../agent/onnxExternalData.js';
import { addModel, constantModel, functionModel, ifModel, nestedGraphsModel, sparseModel, trainingInfoModel } from '../../helpers/externalDataModels.js';

const ARCH = '|nor_conv_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|avg_pool_3x3~0|nor_conv_3x3~1|skip_connect~2|';
const LEAK = { location: 'agent.env', length: 64 };

describe('scanExternalData: models without external data pass', () => {
  it('passes the inference and training models the project exports', () => {
    const graph = buildNb201Network(ARCH);
    expect(scanExternalData(exportInference(graph, initWeights(graph, 0), { batch: 1 }))).toEqual({ status: 'clean' });
    const small = buildNb201Network(ARCH, { channels: 4, cellsPerStage: 1 });
    expect(scanExternalData(exportTraining(small, initWeights(small, 0), { batch: 2 }).bytes)).toEqual({ status: 'clean' });
  });

  it('passes tensors in node attributes and subgraphs when their data is inline', () => {
    const g = new OnnxGraph('attrs');
    const x = g.addInput('x', DataType.FLOAT, [2]);
    const shape = g.constant(i64([1], [2]));
    const filled = g.op('ConstantOfShape', [shape], { value: { t: f32([1], [3]) } });
    g.addOutput(g.op('Add', [x, filled], {}, 'y'), DataType.FLOAT, [2]);
    expect(scanExternalData(g.toBytes())).toEqual({ status: 'clean' });
    for (const bytes of [addModel(16), constantModel(16), ifModel(), ifModel(undefined, 4), nestedGraphsModel(5)]) expect(scanExternalData(bytes)).toEqual({ status: 'clean' });
    expect(externalDataRefusal(addModel(16))).toBeNull();
  });
});

describe('scanExternalData: external data is refused wherever a tensor can be', () => {
  it('in an initializer: data_location = EXTERNAL with entries, the flag alone, or the entries alone', () => {
    expect(scanExternalData(addModel(16, LEAK))).toEqual({ status: 'external-data', path: 'graph.initializer[0]', tensorName: 'W', location: 'agent.env' });
    expect(scanExternalData(addModel(16, { ...LEAK, isFlagOnly: true }))).toMatchObject({ status: 'external-data', tensorName: 'W', location: null });
    expect(scanExternalData(addModel(16, { ...LEAK, isEntriesOnly: true }))).toMatchObject({ status: 'external-data', tensorName: 'W', location: 'agent.env' });
  });

  it('in a node attribute tensor (Constant value)', () => {
    expect(scanExternalData(constantModel(16, LEAK))).toEqual({ status: 'external-data', path: 'graph.node[0].attribute[0].t', tensorName: 'W', location: 'agent.env' });
  });

  it('in a subgraph, also nested several If nodes deep', () => {
    expect(scanExternalData(ifModel(LEAK))).toMatchObject({ status: 'external-data', path: 'graph.node[0].attribute[1].g.node[0].attribute[0].t', tensorName: 'E' });
    const deep = scanExternalData(ifModel(LEAK, 4));
    expect(deep).toMatchObject({ status: 'external-data', tensorName: 'E', location: 'agent.env' });
    if (deep.status === 'external-data') expect(deep.path.split('.g.').length).toBe(5);
  });

  it('in a sparse initializer (values or indices), a model-local function (node or attribute default) and training info', () => {
    expect(scanExternalData(sparseModel(LEAK, 'values'))).toMatchObject({ status: 'external-data', path: 'graph.sparse_initializer[0].values', tensorName: 'S_values' });
    expect(scanExternalData(sparseModel(LEAK, 'indices'))).toMatchObject({ status: 'external-data', path: 'graph.sparse_initializer[0].indices', tensorName: 'S_indices' });
    expect(scanExternalData(functionModel(LEAK, 'node'))).toMatchObject({ status: 'external-data', path: 'functions[0].node[0].attribute[0].t' });
    expect(scanExternalData(functionModel(LEAK, 'attribute_proto'))).toMatchObject({ status: 'external-data', path: 'functions[0].attribute_proto[0].t' });
    expect(scanExternalData(trainingInfoModel(LEAK))).toMatchObject({ status: 'external-data', path: 'training_info[0].initialization.initializer[0]', tensorName: 'R' });
  });

  it('becomes a ZN_MODEL_EXTERNAL_DATA refusal naming the tensor, its place and the location', () => {
    const refusal = externalDataRefusal(addModel(16, LEAK));
    expect(refusal).toMatchObject({ code: 'ZN_MODEL_EXTERNAL_DATA', details: { path: 'graph.initializer[0]', tensor: 'W', location: 'agent.env' } });
    expect(refusal?.message).toMatch(/'W' at graph\.initializer\[0\].*location 'agent\.env'/);
  });
});

describe('scanExternalData: bad bytes are refused, never thrown', () => {
  const tag = (field: number, wire: number): number[] => [(field << 3) | wire];

  it('refuses each kind of malformed field as ZN_MODEL_LOAD', () => {
    const cases: [string, number[]][] = [
      ['field number 0', [0x00, 0x01]],
      ['group wire type (3)', [...tag(20, 3)]],
      ['wire type 6', [...tag(1, 6), 0]],
      ['truncated varint', [...tag(1, 0), 0x80, 0x80]],
      ['11-byte varint', [...tag(1, 0), ...new Array(10).fill(0x80), 0x01]],
      ['length past the end', [...tag(7, 2), 0x05, 0x01]],
      ['truncated 64-bit field', [...tag(1, 1), 1, 2, 3]],
      ['graph as a varint', [...tag(7, 0), 0x01]],
    ];
    for (const [label, bytes] of cases) {
      const scan = scanExternalData(new Uint8Array(bytes));
      expect(scan.status, label).toBe('malformed');
      expect(externalDataRefusal(new Uint8Array(bytes))?.code, label).toBe('ZN_MODEL_LOAD');
    }
    const badLocation = new ProtoWriter().message(7, new ProtoWriter().message(5, new ProtoWriter().varint(1, 4).bytes(14, new Uint8Array([1])))).finish();
    expect(scanExternalData(badLocation)).toMatchObject({ status: 'malformed', path: 'graph.initializer[0]', reason: expect.stringMatching(/data_location/) });
  });

  it('handles every truncation of clean and hostile models: clean or malformed, never external-data unless the marker is in', () => {
    const clean = addModel(16);
    for (let n = 0; n < clean.length; n++) expect(['clean', 'malformed']).toContain(scanExternalData(clean.subarray(0, n)).status);
    const hostile = addModel(16, LEAK);
    for (let n = 0; n < hostile.length; n++) expect(['clean', 'malformed', 'external-data']).toContain(scanExternalData(hostile.subarray(0, n)).status);
    expect(scanExternalData(hostile).status).toBe('external-data');
  });

  it('survives 3,000 seeded random and bit-flipped buffers', () => {
    const rand = mulberry32(19_008);
    const base = constantModel(16, LEAK);
    const seen = new Set<string>();
    for (let i = 0; i < 3_000; i++) {
      let bytes: Uint8Array;
      if (i % 2 === 0) {
        bytes = new Uint8Array(1 + Math.floor(rand() * 256)).map(() => Math.floor(rand() * 256));
      } else {
        bytes = base.slice();
        for (let k = 0; k < 1 + Math.floor(rand() * 4); k++) {
          const at = Math.floor(rand() * bytes.length);
          bytes[at] = bytes[at]! ^ (1 << Math.floor(rand() * 8));
        }
      }
      const scan = scanExternalData(bytes);
      seen.add(scan.status);
      expect(['clean', 'malformed', 'external-data', 'too-deep']).toContain(scan.status);
    }
    expect(seen.has('malformed')).toBe(true);
  });

  it(`bounds nesting at ${MAX_DEPTH} messages, however deep the bytes go`, () => {
    expect(scanExternalData(nestedGraphsModel(9)).status).toBe('clean'); // 1 + 1 + 3 * 9 = 29 messages
    expect(scanExternalData(nestedGraphsModel(11))).toMatchObject({ status: 'too-deep', reason: expect.stringMatching(/32/) });
    // 2,000 levels of node -> attribute -> graph (6,000 messages deep): refused at the limit, no recursion.
    const deep = deepAttributes(2_000);
    expect(scanExternalData(deep)).toMatchObject({ status: 'too-deep' });
    expect(externalDataRefusal(deep)?.code).toBe('ZN_MODEL_LOAD');
  });
});

function varint(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}

/** ModelProto.graph -> (node -> attribute.g -> graph) x levels, encoded innermost first into one buffer. */
function deepAttributes(levels: number): Uint8Array {
  let body: Uint8Array = new Uint8Array(0);
  const wrap = (field: number, inner: Uint8Array): Uint8Array => {
    const head = [(field << 3) | 2, ...varint(inner.length)];
    const out = new Uint8Array(head.length + inner.length);
    out.set(head);
    out.set(inner, head.length);
    return out;
  };
  for (let i = 0; i < levels; i++) body = wrap(1, wrap(5, wrap(6, body))); // graph.node.attribute.g
  return wrap(7, body);
}
