/**
 * The `zeronas` umbrella CLI. Each command lives in commands/<name>.ts and imports its heavy modules (onnxruntime,
 * SQLite) lazily inside its handler, so `--help` stays instant on a Raspberry Pi. This file is the one error
 * boundary: errors become `code: message` for people, `{code, message, details}` under --json, and exit code 1
 * (2 for usage errors).
 */
import type { Argv } from 'yargs';
import { camelCase, optionValueProblem, PACKAGE_VERSION, yargs } from '../../shared/node/cliParser.js';
import { ZeronasError } from '../../shared/errors.js';
import { colour } from './output.js';
import { commands } from './commands/index.js';

export function buildParser(argv: string[]): Argv {
  let parser = yargs(argv)
    .scriptName('zeronas')
    .usage('$0 <command> [options]\n\nHardware-aware zero-shot neural architecture search.')
    .option('json', { type: 'boolean', default: false, describe: 'Print one machine-readable JSON document' })
    .option('quiet', { type: 'boolean', default: false, describe: 'Print only results (no progress, no warnings)' })
    .strict()
    .demandCommand(1, 'Name a command (zeronas --help lists them).')
    .recommendCommands()
    .help()
    .alias('h', 'help')
    .version(PACKAGE_VERSION)
    .wrap(Math.min(110, process.stdout.columns || 110))
    .exitProcess(false)
    .fail((message, err) => {
      if (err) throw err;
      // yargs checks required options before unknown ones: `--ach x64` would read "Missing required argument: arch"
      const known = Object.keys((parser as unknown as { getOptions(): { key: Record<string, unknown> } }).getOptions().key);
      const unknown = message.startsWith('Missing required argument') ? unknownOptions(argv, known) : [];
      throw new UsageError(unknown.length ? `Unknown argument${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')} (and ${message.charAt(0).toLowerCase()}${message.slice(1)})` : message);
    })
    .middleware((parsed) => {
      const problem = optionValueProblem(argv, parsed as Record<string, unknown>);
      if (problem) throw new UsageError(problem);
    }, false);
  for (const command of commands) parser = parser.command(command as never);
  return parser;
}

export class UsageError extends Error {}

/** Options on `argv` (`--name`, `--name=v`, `--no-name`) that are none of `known` (yargs' keys, either spelling). */
export function unknownOptions(argv: readonly string[], known: readonly string[]): string[] {
  const names = new Set(known.flatMap((k) => [k, camelCase(k)]));
  const out: string[] = [];
  for (const token of argv) {
    if (token === '--') break;
    const m = /^--(?:no-)?([a-zA-Z][\w-]*)(?:=.*)?$/.exec(token);
    if (m && !names.has(m[1]!) && !names.has(camelCase(m[1]!))) out.push(m[1]!);
  }
  return out;
}

export async function main(argv: string[]): Promise<number> {
  const wantsJson = argv.includes('--json');
  try {
    await buildParser(argv).parseAsync();
    return Number(process.exitCode ?? 0);
  } catch (err) {
    return reportError(err, wantsJson, helpCommandFor(argv, err));
  }
}

/**
 * The help that explains a usage error: the command's own (`zeronas bench costmodel --help`) when the command line
 * names one, else the list. A command whose first positional is a subcommand (`bench <what>`) gets it appended
 * unless the error is about that word.
 */
export function helpCommandFor(argv: readonly string[], err: unknown): string {
  const words: string[] = [];
  for (const a of argv) {
    if (a.startsWith('-')) break;
    words.push(a);
  }
  const command = commands.find((c) => String((c as { command?: string }).command ?? '').split(' ')[0] === words[0]);
  if (!command) return 'zeronas --help';
  const path = [words[0]!];
  const takesSubcommand = /^\S+ <what>/.test(String((command as { command?: string }).command));
  const sub = words[1];
  if (takesSubcommand && sub && /^[a-z-]+$/.test(sub) && !(err instanceof Error && err.message.includes(sub))) path.push(sub);
  return `zeronas ${path.join(' ')} --help`;
}

function reportError(err: unknown, json: boolean, help: string): number {
  if (err instanceof UsageError) {
    if (json) process.stdout.write(`${JSON.stringify({ code: 'ZN_USAGE', message: err.message })}\n`);
    // The same CODE: message shape as every other error (docs/errors.md), so scripts can match one pattern.
    else process.stderr.write(`${colour.red('ZN_USAGE')}: ${err.message}\nRun '${help}' for usage.\n`);
    return 2;
  }
  if (err instanceof ZeronasError) {
    if (json) {
      process.stdout.write(`${JSON.stringify({ code: err.code, message: err.message, details: err.details })}\n`);
    } else {
      process.stderr.write(`${colour.red(err.code)}: ${err.message}\n`);
    }
    return 1;
  }
  const e = err as Error;
  if (json) process.stdout.write(`${JSON.stringify({ code: 'ZN_INTERNAL', message: e?.message ?? String(err) })}\n`);
  else process.stderr.write(`${colour.red('internal error')}: ${e?.stack ?? String(err)}\n`);
  return 1;
}
