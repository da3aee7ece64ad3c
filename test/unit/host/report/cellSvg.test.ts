import { describe, expect, it } from 'vitest';
import { cellSvg } from '../../../../host/report/cellSvg.js';

const ARCH = '|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|none~2|';

describe('cellSvg', () => {
  it('draws the six NB201 edges in benchmark order with their ops, `none` dashed', () => {
    const svg = cellSvg(ARCH);
    const edges = [...svg.matchAll(/data-from="(\d)" data-to="(\d)" data-op="([a-z_0-9]+)"/g)].map((m) => `${m[3]}~${m[1]}->${m[2]}`);
    expect(edges).toEqual(['nor_conv_3x3~0->1', 'nor_conv_3x3~0->2', 'avg_pool_3x3~1->2', 'skip_connect~0->3', 'nor_conv_3x3~1->3', 'none~2->3']);
    expect(svg.match(/<circle class="node"/g)).toHaveLength(4);
    expect(svg).toMatch(/data-op="none"[^>]*stroke-dasharray/);
  });

  it('rejects a 5-edge string (ZN_BAD_ARCH_STRING)', () => {
    expect(() => cellSvg('|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|')).toThrow(expect.objectContaining({ code: 'ZN_BAD_ARCH_STRING' }));
  });
});
