import { buildNb201Network } from '../host/spaces/nb201.js';
import { azNasScores } from '../host/proxies/azNasProxy.js';
for (const a of ['|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|','|skip_connect~0|+|skip_connect~0|skip_connect~1|+|skip_connect~0|none~1|none~2|','|nor_conv_3x3~0|+|nor_conv_1x1~0|none~1|+|none~0|none~1|none~2|','|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|']) {
  for (let r = 0; r < 2; r++) {
  const t0 = performance.now();
  const s = await azNasScores(buildNb201Network(a), 0);
  console.log(((performance.now()-t0)/1000).toFixed(2), JSON.stringify(s).slice(0, 300));
  }
}
