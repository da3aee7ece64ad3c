import { describe, expect, it } from 'vitest';
import { csvField, parseCsvRows, readCsv } from '../../../shared/csv.js';

describe('shared CSV reader', () => {
  it('reads quoted fields with commas, doubled quotes and CRLF line ends', () => {
    expect(readCsv('a,b\r\n"x, y","say ""hi"""\r\n1,2')).toEqual([
      { a: 'x, y', b: 'say "hi"' },
      { a: '1', b: '2' },
    ]);
  });

  it('skips blank lines and keeps empty fields', () => {
    expect(parseCsvRows('a,b\n\n1,\n')).toEqual([
      ['a', 'b'],
      ['1', ''],
    ]);
  });

  it('rejects a row with 3 fields under a 2-field header (ZN_BAD_DATA)', () => {
    expect(() => readCsv('a,b\n1,2,3\n')).toThrow(
      expect.objectContaining({ code: 'ZN_BAD_DATA', message: 'CSV row 2 has 3 fields, header has 2' }),
    );
  });

  it('quotes a field only when needed', () => {
    expect([csvField('plain'), csvField('a,b'), csvField('say "hi"'), csvField(1.5)]).toEqual([
      'plain',
      '"a,b"',
      '"say ""hi"""',
      '1.5',
    ]);
  });
});
