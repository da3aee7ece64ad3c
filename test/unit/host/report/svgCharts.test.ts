import { describe, expect, it } from 'vitest';
import { logTicks, niceTicks, renderChart } from '../../../../host/report/svgCharts.js';

describe('svgCharts', () => {
  it('niceTicks 0..10 by about 5 gives the 1-2-5 step 2', () => {
    expect(niceTicks(0, 10, 5)).toEqual([0, 2, 4, 6, 8, 10]);
  });

  it('logTicks 0.8..120 gives 1, 2, 5, 10, 20, 50, 100', () => {
    expect(logTicks(0.8, 120)).toEqual([1, 2, 5, 10, 20, 50, 100]);
  });

  it('plots each point with its data values, highlights one, draws the reference line and the area', () => {
    const svg = renderChart({
      id: 'c1',
      xLabel: 'x',
      yLabel: 'y',
      series: [{ name: 's', colour: '#000', kind: 'points', className: 'pts', points: [{ x: 1, y: 2 }, { x: 3, y: 4, isHighlighted: true }] }],
      referenceLines: [{ axis: 'x', value: 2.5, label: 'budget' }],
      areas: [{ points: [[1, 1], [3, 1], [3, 4]], colour: '#0f0', className: 'band' }],
    });
    expect(svg.match(/class="point pts/g)).toHaveLength(2);
    expect(svg).toContain('data-x="3" data-y="4"');
    expect(svg.match(/highlight/g)).toHaveLength(1);
    expect(svg).toContain('class="ref-line" data-value="2.5"');
    expect(svg).toContain('class="band"');
  });

  it('escapes labels and titles (a series name with <script> stays text)', () => {
    const svg = renderChart({ xLabel: '<x>', yLabel: 'y', series: [{ name: '<script>', colour: '#000', kind: 'points', points: [{ x: 1, y: 1, label: 'a"b' }] }] });
    expect(svg).not.toContain('<script>');
    expect(svg).toContain('&lt;script&gt;');
    expect(svg).toContain('a&quot;b');
  });

  it('drops non-positive values on a log axis instead of drawing them at -Infinity', () => {
    const svg = renderChart({ xLabel: 'x', yLabel: 'y', xScale: 'log', series: [{ name: 's', colour: '#000', kind: 'points', points: [{ x: 0, y: 1 }, { x: 10, y: 2 }] }] });
    expect(svg.match(/class="point/g)).toHaveLength(1);
    expect(svg).not.toMatch(/NaN|Infinity/);
  });
});
