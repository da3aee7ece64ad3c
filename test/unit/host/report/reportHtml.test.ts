import { describe, expect, it } from 'vitest';
import { renderReportHtml } from '../../../../host/report/reportHtml.js';
import type { ReportData } from '../../../../host/report/reportData.js';

const ARCH = '|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|';

function data(): ReportData {
  return {
    runId: 'run</script><b>',
    space: 'nb201',
    proxy: 'zico',
    generatedAt: '2026-01-01T00:00:00.000Z',
    wallTimeS: 12,
    candidatesScored: 3,
    candidatesFailed: 0,
    settings: { measure: 2, candidates: 3, rounds: 1, seed: 0, targets: ['pi3b'] },
    targets: [
      {
        target: 'pi3b',
        budget: { target: 'pi3b', metric: 'latency', max: 15, text: 'pi3b:latency<=15ms' },
        costModel: { name: 'log-linear', mapePercent: 5, within10: 1, n: 2, lut: null },
        measured: 2,
        points: [
          { arch: ARCH, score: 10, predictedMs: 10.5, measuredMs: 10 },
          { arch: 'b', score: 5, predictedMs: 19, measuredMs: 20 },
          { arch: 'c', score: 7, predictedMs: 12, measuredMs: null },
        ],
        paretoFront: [{ arch: ARCH, score: 10, latencyMs: 10, measured: true }],
        errors: { definition: 'in-sample', n: 2, mapePercent: 5, within10: 1, maxErrorPercent: 5 },
        best: { arch: ARCH, proxyScore: 10, measuredLatencyMs: 10, measuredEnergyJ: null, predicted: 10.5, verifiedMedian: 10.2, onnx: 'pi3b/best.onnx', macs: 1e8, params: 1e6, onnxBytes: 4_000_000 },
        agents: [{ id: 'a', name: 'kitchen-pi', profile: 'pi3b', cpu: 'Cortex-A53' }],
        learningCurve: [],
        verification: [],
        isReplay: false,
        metric: 'latencyMs',
      },
    ],
    devices: [],
    progress: { startedAt: null, scored: [], measuredByTarget: {}, bestByTarget: {} },
    truth: null,
  };
}

describe('renderReportHtml', () => {
  it("says what round 0 measured: the fleet prior's choice when --prior chose it, else the spread of sizes", () => {
    const withCurve = (costPrior: string | null): string => {
      const d = data();
      d.targets[0]!.learningCurve = [{ round: 0, model: 'log-linear', samplesBefore: 0, measured: 2, n: 2, mapePercent: 5, within10: 1, spearman: 1, modelFile: null }];
      d.targets[0]!.costPrior = costPrior;
      return renderReportHtml(d);
    };
    expect(withCurve('hwnasbench')).toContain('Round 0 measured the architectures the fleet prior <code>hwnasbench</code> chose');
    expect(withCurve(null)).toContain('Round 0 is the first spread of sizes');
  });

  it('is self-contained: no external URL, no script but the JSON data block', () => {
    const html = renderReportHtml(data());
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    expect(html.match(/<script/g)).toHaveLength(1);
    expect(html).toContain('<script type="application/json" id="report-data">');
  });

  it('escapes the run id in text and in the embedded JSON (no early </script>)', () => {
    const html = renderReportHtml(data());
    expect(html).toContain('run&lt;/script&gt;&lt;b&gt;');
    expect(html.match(/<\/script>/g)).toHaveLength(1);
  });

  it('draws the target section: Pareto, latency with band, errors, cell and ONNX link', () => {
    const html = renderReportHtml(data());
    expect(html).toContain('id="pareto-pi3b"');
    expect(html).toContain('id="latency-pi3b"');
    // Predicted vs measured is log-log on every target (relative errors look alike, narrow or wide ranges).
    expect(html).toMatch(/id="latency-pi3b"[\s\S]*?measured latency \[ms\] \(log\)/);
    expect(html).toContain('class="band"');
    expect(html).toContain('<td data-field="mape">5.0%</td>');
    expect(html).toContain('href="pi3b/best.onnx" download');
    expect(html).toContain('class="cell"');
  });

  it('says so when no candidate met the budget', () => {
    const d = data();
    d.targets[0]!.best = null;
    expect(renderReportHtml(d)).toContain('No measured candidate met the budget (pi3b:latency&lt;=15ms)');
  });
});
