/**
 * A small CSV reader shared by the host and the agents (no Node APIs): a header row, then records. Handles quoted
 * fields with commas, doubled quotes and CRLF; enough for the benchmark files and our own outputs.
 */
import { ZeronasError } from './errors.js';

/** Parses a CSV with a header row into records; a row whose field count differs from the header's is ZN_BAD_DATA. */
export function readCsv(text: string): Record<string, string>[] {
  const rows = parseCsvRows(text);
  if (rows.length === 0) return [];
  const header = rows[0]!;
  return rows.slice(1).map((cells, i) => {
    if (cells.length !== header.length) {
      throw new ZeronasError('ZN_BAD_DATA', `CSV row ${i + 2} has ${cells.length} fields, header has ${header.length}`);
    }
    const record: Record<string, string> = {};
    header.forEach((name, k) => (record[name] = cells[k]!));
    return record;
  });
}

/** Every non-empty row of a CSV as its fields, header included. */
export function parseCsvRows(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      if (row.length > 1 || row[0] !== '') rows.push(row);
      row = [];
      field = '';
    } else field += ch;
  }
  if (field !== '' || row.length) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

/** Quotes a CSV field when needed. */
export function csvField(value: string | number): string {
  const s = String(value);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
