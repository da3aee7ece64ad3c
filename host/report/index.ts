/**
 * Run reports: `writeRunReport(runDir)` reads a run folder and writes runs/<id>/report.html (see reportHtml.ts).
 * Called by `orchestrate` at the end of every run (and of every --resume) and by `zeronas report`.
 */
import { join, resolve } from 'node:path';
import { writeFileSync, renameSync } from 'node:fs';
import { ZeronasError } from '../../shared/errors.js';
import { loadReportData, type ReportData, type TruthOption } from './reportData.js';
import { renderReportHtml } from './reportHtml.js';

export type { ReportData, TruthOption } from './reportData.js';
export { loadReportData } from './reportData.js';
export { renderReportHtml } from './reportHtml.js';

export interface WrittenReport {
  path: string;
  bytes: number;
  data: ReportData;
}

export function writeRunReport(runDir: string, options: { out?: string; truth?: TruthOption } = {}): WrittenReport {
  const data = loadReportData(runDir, options.truth ? { truth: options.truth } : {});
  const html = renderReportHtml(data);
  const path = resolve(options.out ?? join(resolve(runDir), 'report.html'));
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, html);
    renameSync(tmp, path);
  } catch (err) {
    throw new ZeronasError('ZN_IO', `cannot write the report '${path}': ${(err as Error).message}`, { path }, err);
  }
  return { path, bytes: Buffer.byteLength(html), data };
}
