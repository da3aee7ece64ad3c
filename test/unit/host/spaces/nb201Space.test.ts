import { describe, expect, it } from 'vitest';
import { createNb201Space, NB201_INITIAL_ARCH } from '../../../../host/spaces/nb201Space.js';
import { SeededRng } from '../../../../host/search/rng.js';

describe('nb201 search-space adapter', () => {
  const space = createNb201Space();

  it('format/parse keep the benchmark string exactly', () => {
    const s = '|nor_conv_3x3~0|+|skip_connect~0|none~1|+|avg_pool_3x3~0|nor_conv_1x1~1|skip_connect~2|';
    expect(space.format(space.parse(s))).toBe(s);
    expect(space.format(space.initial())).toBe(NB201_INITIAL_ARCH);
  });

  it('rejects a 5-edge string (ZN_BAD_ARCH_STRING)', () => {
    expect(() => space.parse('|nor_conv_3x3~0|+|none~0|none~1|+|none~0|none~1|')).toThrow(
      expect.objectContaining({ code: 'ZN_BAD_ARCH_STRING', message: expect.stringContaining('expected 3') }),
    );
  });

  it('mutate changes exactly one edge op', () => {
    const rng = new SeededRng(5);
    let a = space.initial();
    for (let i = 0; i < 50; i++) {
      const b = space.mutate(a, rng, 1);
      expect(b.filter((op, k) => op !== a[k]).length).toBe(1);
      a = b;
    }
  });

  it('neighbourhood has 6 x 4 = 24 distinct cells', () => {
    const n = space.neighbourhood(space.initial());
    expect(new Set(n.map(space.key)).size).toBe(24);
  });

  it('metrics: params and FLOPs of the all-nor_conv_3x3 cell (§A.2, §A.3)', () => {
    const all3 = space.parse('|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|');
    const m = space.metrics(all3);
    expect(m.params).toBe(1_531_546);
    expect(m.flops).toBe(220_119_690);
  });

  it('sample is deterministic per seed', () => {
    const a = Array.from({ length: 5 }, ((r) => () => space.key(space.sample(r)))(new SeededRng(9)));
    const b = Array.from({ length: 5 }, ((r) => () => space.key(space.sample(r)))(new SeededRng(9)));
    expect(a).toEqual(b);
  });
});
