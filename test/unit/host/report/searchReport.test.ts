import { describe, expect, it } from 'vitest';
import { renderSearchReportHtml } from '../../../../host/report/searchReport.js';

describe('renderSearchReportHtml', () => {
  it('writes params and flops budgets in millions, as they are given (params<=1.5M), not as 1.50e+6', () => {
    const html = renderSearchReportHtml({ space: 'flash', algo: 'sample', proxy: 'params', scored: 0, budgets: { params: 1.5e6, flops: 2.5e8 }, best: null, feasible: [], fronts: {} });
    expect(html).toContain('params ≤ 1.5 M');
    expect(html).toContain('flops ≤ 250 M');
    expect(html).not.toContain('e+6');
  });
});
