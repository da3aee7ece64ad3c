import { describe, expect, it } from 'vitest';
import { fisherChannels, fisherScore } from '../../../../../host/proxies/math/fisher.js';

describe('Fisher (ALGORITHMS.md §A.7, hand-derived vector)', () => {
  it('n=2, C=1, spatial 2: z=[[1,2],[3,4]], δ=[[1,1],[0,-1]] gives g=[3,-4], Fisher = ½·(9+16)/2 = 6.25', () => {
    expect(Array.from(fisherChannels([1, 2, 3, 4], [1, 1, 0, -1], 2, 1))).toEqual([6.25]);
  });

  it('linear layer (spatial 1), 2 channels: g_nk = z·δ', () => {
    // n=2, C=2: z=[[1,2],[3,4]], δ=[[2,0],[1,1]] -> g=[[2,0],[3,4]] -> F=[½(4+9)/2, ½(0+16)/2] = [3.25, 4]
    expect(Array.from(fisherChannels([1, 2, 3, 4], [2, 0, 1, 1], 2, 2))).toEqual([3.25, 4]);
  });

  it('broadcasts |Fisher_k| to the C_in/groups·k·k weights of channel k: 6.25·(3·1·1) + (3.25+4)·4 = 47.75', () => {
    const r = fisherScore([
      { name: 'conv', channels: [6.25], weightsPerChannel: 3 },
      { name: 'classifier', channels: [3.25, -4], weightsPerChannel: 4 },
    ]);
    expect(r).toEqual({ value: 18.75 + 29 });
  });

  it('a non-finite channel value gives -Infinity with a reason naming the layer', () => {
    expect(fisherScore([{ name: 'classifier', channels: [1, NaN], weightsPerChannel: 2 }]).reason).toContain(
      "'classifier' channel 1 is NaN",
    );
  });

  it('rejects a gradient of another shape (ZN_SHAPE_MISMATCH)', () => {
    expect(() => fisherChannels([1, 2, 3, 4], [1, 2], 2, 1)).toThrow(/must both be \[2, 1, spatial\]/);
  });
});
