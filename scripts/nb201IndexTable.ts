/**
 * Writes data/nb201/index-codes.txt: NAS-Bench-201's own architecture order (the benchmark's `index`, 0..15624) as
 * zeronas cell codes, so seeded samples can be drawn over benchmark indices as NumPy users draw them.
 *   npx tsx scripts/nb201IndexTable.ts [--csv ../shared/data/nb201/nb201_accuracy.csv] [--out data/nb201/index-codes.txt]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { cellToCode, NB201_SPACE_SIZE, parseNb201 } from '../host/spaces/nb201.js';
import { readCsv } from '../host/util/csv.js';
import { option } from './scriptArgs.js';

const csvPath = option('csv', new URL('../../shared/data/nb201/nb201_accuracy.csv', import.meta.url).pathname);
const outPath = option('out', new URL('../data/nb201/index-codes.txt', import.meta.url).pathname);

const codes = new Array<number>(NB201_SPACE_SIZE).fill(-1);
for (const row of readCsv(readFileSync(csvPath, 'utf8'))) {
  const index = Number(row.index);
  if (!Number.isInteger(index) || index < 0 || index >= NB201_SPACE_SIZE) throw new Error(`bad index '${row.index}'`);
  codes[index] = cellToCode(parseNb201(row.arch_str!));
}
const missing = codes.indexOf(-1);
if (missing >= 0) throw new Error(`${csvPath} has no row for index ${missing}`);
if (new Set(codes).size !== NB201_SPACE_SIZE) throw new Error(`${csvPath} lists some architecture twice`);

const lines = ['# NAS-Bench-201 index -> zeronas cell code (see README.md here); 25 per line, index order.'];
for (let i = 0; i < NB201_SPACE_SIZE; i += 25) lines.push(codes.slice(i, i + 25).join(' '));
writeFileSync(outPath, lines.join('\n') + '\n');
console.log(`wrote ${outPath}: ${NB201_SPACE_SIZE} codes from ${csvPath}`);
