/**
 * How commands talk to people and machines. `--json` prints exactly one JSON document on stdout; human output
 * goes to stdout, progress and warnings to stderr (so `--json` output stays parseable).
 */
export interface OutputOptions {
  json: boolean;
  quiet: boolean;
}

const useColour = (): boolean => process.stdout.isTTY === true && !process.env.NO_COLOR;

export const colour = {
  bold: (s: string): string => (useColour() ? `\x1b[1m${s}\x1b[22m` : s),
  dim: (s: string): string => (useColour() ? `\x1b[2m${s}\x1b[22m` : s),
  red: (s: string): string => (process.stderr.isTTY && !process.env.NO_COLOR ? `\x1b[31m${s}\x1b[39m` : s),
  green: (s: string): string => (useColour() ? `\x1b[32m${s}\x1b[39m` : s),
  yellow: (s: string): string => (process.stderr.isTTY && !process.env.NO_COLOR ? `\x1b[33m${s}\x1b[39m` : s),
};

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function warn(opts: OutputOptions, message: string): void {
  if (!opts.quiet) process.stderr.write(`${colour.yellow('warning')}: ${message}\n`);
}

export function info(opts: OutputOptions, message: string): void {
  if (!opts.quiet && !opts.json) process.stderr.write(`${message}\n`);
}

/** Formats a table of rows as aligned plain text. */
export function table(rows: (string | number)[][]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, String(cell).length)));
  return rows.map((row) => row.map((cell, i) => String(cell).padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}
