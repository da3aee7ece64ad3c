/**
 * (shared/node/: shared by the Node tools only; the browser agent compiles shared/ without Node's types.)
 * yargs for both command-line tools (`zeronas`, `zeronas-agent`), loaded through its CommonJS entry: the ESM entry
 * ships cliui with a character wrap that breaks help text mid-word ("P\nareto"); the CommonJS one wraps at word
 * boundaries (wrap-ansi). Also the package version, for `--version`.
 */
import { createRequire } from 'node:module';
import type yargsType from 'yargs';
import { ZeronasError } from '../errors.js';

const require = createRequire(import.meta.url);
export const yargs = require('yargs') as typeof yargsType;
/** The bundled agent (`zeronas agent-bundle`) has the version compiled in; a checkout reads its package.json. */
export const PACKAGE_VERSION =
  (globalThis as { __ZERONAS_PACKAGE_VERSION__?: string }).__ZERONAS_PACKAGE_VERSION__ ?? (require('../../package.json') as { version: string }).version;

/**
 * yargs quietly drops a value-less number option (`--max-scored` alone parses as absent, so the command runs with
 * its default), parses a value-less string option as '' (`--prior` alone: no prior) and turns `--max-scored abc`
 * into NaN. The message for the first such option on `raw`, else null.
 */
export function optionValueProblem(raw: readonly string[], parsed: Record<string, unknown>): string | null {
  for (let i = 0; i < raw.length; i++) {
    const token = raw[i]!;
    if (token === '--') break;
    const m = /^--([a-zA-Z][\w-]*)(?:=(.*))?$/.exec(token);
    if (!m) continue;
    const key = camelCase(m[1]!);
    if (!(key in parsed)) continue;
    const value = parsed[key];
    // a bare string option parses as '', a bare array option as []: both mean the value was forgotten
    if (value === undefined || (m[2] === undefined && (value === '' || (Array.isArray(value) && value.length === 0)))) return `--${m[1]} needs a value`;
    if (typeof value === 'number' && Number.isNaN(value)) return `--${m[1]} needs a number, got '${m[2] ?? raw[i + 1] ?? ''}'`;
  }
  return null;
}

/** yargs' camel-case spelling of an option (`max-scored` → `maxScored`). */
export function camelCase(option: string): string {
  return option.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** Each given (not undefined) option must be a positive integer; the error names the flag and the value. */
export function checkPositiveIntegers(options: readonly (readonly [flag: string, value: number | undefined])[]): void {
  for (const [flag, v] of options) {
    if (v !== undefined && (!Number.isInteger(v) || v < 1)) throw new ZeronasError('ZN_BAD_ARGUMENT', `${flag} must be a positive integer, got ${v}`);
  }
}
