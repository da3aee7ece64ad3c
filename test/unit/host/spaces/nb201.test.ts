import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ZeronasError } from '../../../../shared/errors.js';
import { analyticMetrics } from '../../../../host/metrics/analytic.js';
import {
  buildNb201Network,
  canonicalNb201,
  cellFromCode,
  cellToCode,
  enumerateNb201,
  formatNb201,
  isNb201Disconnected,
  liveEdgesNb201,
  parseNb201,
} from '../../../../host/spaces/nb201.js';
import { readCsv } from '../../../../host/util/csv.js';

const ALL_CONV = '|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|';
const ALL_NONE = '|none~0|+|none~0|none~1|+|none~0|none~1|none~2|';
const TYPICAL = '|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|';

function expectArchError(text: string, fragment: string): void {
  try {
    parseNb201(text);
  } catch (err) {
    expect(err).toBeInstanceOf(ZeronasError);
    expect((err as ZeronasError).code).toBe('ZN_BAD_ARCH_STRING');
    expect((err as Error).message).toContain(fragment);
    return;
  }
  throw new Error(`expected '${text}' to be rejected`);
}

describe('nb201 arch strings', () => {
  it('round-trips the benchmark string exactly', () => {
    expect(formatNb201(parseNb201(TYPICAL))).toBe(TYPICAL);
    expect(parseNb201(TYPICAL)).toEqual([
      'nor_conv_3x3',
      'nor_conv_3x3',
      'avg_pool_3x3',
      'skip_connect',
      'nor_conv_3x3',
      'skip_connect',
    ]);
  });

  it("rejects an unknown op and names it (ZN_BAD_ARCH_STRING, 'conv_5x5')", () => {
    expectArchError('|conv_5x5~0|+|none~0|none~1|+|none~0|none~1|none~2|', "'conv_5x5'");
  });
  it('rejects an input index out of range and names the token', () => {
    expectArchError('|none~1|+|none~0|none~1|+|none~0|none~1|none~2|', "'none~1'");
    expectArchError('|none~0|+|none~0|none~1|+|none~0|none~1|none~7|', "'none~7'");
  });
  it('rejects malformed strings: wrong group count, missing bars, missing ~', () => {
    expectArchError('|none~0|+|none~0|none~1|', 'expected 3');
    expectArchError('none~0|+|none~0|none~1|+|none~0|none~1|none~2|', "'none~0|'");
    expectArchError('|none0|+|none~0|none~1|+|none~0|none~1|none~2|', "'none0'");
    expectArchError('|none~0|+|none~0|+|none~0|none~1|none~2|', "'|none~0|'");
    expectArchError('', 'empty');
  });

  it('enumerates 15,625 distinct cells; codes round-trip', () => {
    const seen = new Set<string>();
    for (const cell of enumerateNb201()) seen.add(formatNb201(cell));
    expect(seen.size).toBe(15625);
    expect(cellToCode(cellFromCode(12345))).toBe(12345);
  });

  it('finds the 341 disconnected cells and the 9,445 cells without unreachable ops (as the benchmark data)', () => {
    let disconnected = 0;
    let allLive = 0;
    const canonical = new Set<string>();
    for (const cell of enumerateNb201()) {
      if (isNb201Disconnected(cell)) disconnected++;
      const live = liveEdgesNb201(cell);
      if (cell.every((op, k) => op === 'none' || live[k])) allLive++;
      canonical.add(canonicalNb201(cell));
    }
    expect(disconnected).toBe(341);
    expect(allLive).toBe(9445);
    // Functional equivalence classes (none dropped, skip = identity, op(0) = 0, commutative sums).
    expect(canonical.size).toBe(4930);
  });

  it('canonicalises isomorphic cells to one form', () => {
    // A skip into node 1 then conv equals conv straight from the input.
    const a = canonicalNb201(parseNb201('|skip_connect~0|+|none~0|none~1|+|none~0|nor_conv_3x3~1|none~2|'));
    const b = canonicalNb201(parseNb201('|none~0|+|none~0|none~1|+|nor_conv_3x3~0|none~1|none~2|'));
    expect(a).toBe(b);
    // A conv on a dead branch (node 1 feeds only none edges) changes nothing; sum order does not matter.
    const c = canonicalNb201(parseNb201('|none~0|+|none~0|none~1|+|nor_conv_3x3~0|none~1|none~2|'));
    const d = canonicalNb201(parseNb201('|nor_conv_1x1~0|+|none~0|none~1|+|nor_conv_3x3~0|none~1|none~2|'));
    expect(c).toBe(d);
    const e = canonicalNb201(parseNb201('|nor_conv_1x1~0|+|none~0|none~1|+|nor_conv_3x3~0|skip_connect~1|none~2|'));
    const f = canonicalNb201(parseNb201('|nor_conv_3x3~0|+|none~0|none~1|+|nor_conv_1x1~0|skip_connect~1|none~2|'));
    expect(e).toBe(f);
    expect(e).not.toBe(c);
    expect(canonicalNb201(parseNb201(ALL_NONE))).toBe('zero');
  });
});

describe('nb201 network (TinyNetwork C=16 N=5)', () => {
  it('all nor_conv_3x3: 1,531,546 params and 222.86 M MACs in the benchmark convention', () => {
    const m = analyticMetrics(buildNb201Network(ALL_CONV));
    expect(m.params).toBe(1531546);
    expect(m.macsTextbook).toBe(220119690);
    expect(Math.abs(m.macs / 1e6 - 222.860992) / 222.860992).toBeLessThan(1e-4);
  });

  it('all none: 73,306 params, 7.78 M textbook MACs', () => {
    const m = analyticMetrics(buildNb201Network(ALL_NONE));
    expect(m.params).toBe(73306);
    expect(m.macsTextbook).toBe(7783050);
  });

  it('parameter names are the reference state-dict keys', () => {
    const g = buildNb201Network(TYPICAL);
    const names = g.nodes.map((n) => n.name);
    expect(names).toContain('stem.0');
    expect(names).toContain('cells.0.layers.0.op.1');
    expect(names).toContain('cells.5.downsample.1');
    expect(names).toContain('classifier');
  });

  it('matches NAS-Bench-201 params and MACs within 0.1% on the committed subset (305 cells)', () => {
    const rows = readCsv(readFileSync(new URL('../../../fixtures/nb201_metrics_subset.csv', import.meta.url), 'utf8'));
    expect(rows.length).toBeGreaterThan(300);
    for (const row of rows) {
      const m = analyticMetrics(buildNb201Network(row.arch_str!));
      expect(Math.abs(m.params / 1e6 - Number(row.params)) / Number(row.params), row.arch_str).toBeLessThan(1e-3);
      expect(Math.abs(m.macs / 1e6 - Number(row.flops)) / Number(row.flops), row.arch_str).toBeLessThan(1e-3);
    }
  });

  it('builds other datasets and sizes', () => {
    const g = buildNb201Network(TYPICAL, { numClasses: 120, inputSize: 16, channels: 8, cellsPerStage: 1 });
    expect(g.nodes.at(-1)!.op).toBe('linear');
    expect(() => buildNb201Network(TYPICAL, { channels: 0 })).toThrow(/channels must be a positive integer, got 0/);
  });
});
