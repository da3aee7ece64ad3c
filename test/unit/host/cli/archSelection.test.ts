/**
 * `--archs <file>` formats: one cell per line, a CSV with an arch_str/arch column among others, and a single-column
 * CSV under an arch_str or arch header (the header is not read as a cell).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { selectArchs } from '../../../../host/cli/archSelection.js';

const A = '|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|';
const B = '|none~0|+|none~0|none~1|+|none~0|skip_connect~1|skip_connect~2|';
const dir = mkdtempSync(join(tmpdir(), 'zeronas-archs-'));
const file = (name: string, text: string): string => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

describe('--archs files', () => {
  it('reads one cell per line', () => {
    expect(selectArchs({ archs: file('lines.txt', `${A}\n${B}\n`), seed: 0 })).toEqual([A, B]);
  });

  it('reads the arch_str or arch column of a CSV', () => {
    expect(selectArchs({ archs: file('wide.csv', `index,arch_str,acc\n0,${A},93.1\n1,${B},10\n`), seed: 0 })).toEqual([A, B]);
    expect(selectArchs({ archs: file('arch.csv', `arch,zico\n${B},0\n`), seed: 0 })).toEqual([B]);
  });

  it('reads a single-column CSV under an arch_str or arch header', () => {
    expect(selectArchs({ archs: file('one.csv', `arch_str\n${A}\n${B}\n`), seed: 0 })).toEqual([A, B]);
    expect(selectArchs({ archs: file('one-arch.csv', `arch\n${B}\n`), seed: 0 })).toEqual([B]);
  });

  it('names the bad line of a malformed file', () => {
    expect(() => selectArchs({ archs: file('bad.txt', `${A}\nnot-a-cell\n`), seed: 0 })).toThrow(/line 2/);
  });
});
