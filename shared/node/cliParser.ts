/**
 * (shared/node/: shared by the Node tools only; the browser agent compiles shared/ without Node's types.)
 * yargs for both command-line tools (`zeronas`, `zeronas-agent`), loaded through its CommonJS entry: the ESM entry
 * ships cliui with a character wrap that breaks help text mid-word ("P\nareto"); the CommonJS one wraps at word
 * boundaries (wrap-ansi). Also the package version, for `--version`.
 */
import { createRequire } from 'node:module';
import type yargsType from 'yargs';

const require = createRequire(import.meta.url);
export const yargs = require('yargs') as typeof yargsType;
export const PACKAGE_VERSION = (require('../../package.json') as { version: string }).version;
