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
/** The bundled agent (`zeronas agent-bundle`) has the version compiled in; a checkout reads its package.json. */
export const PACKAGE_VERSION =
  (globalThis as { __ZERONAS_PACKAGE_VERSION__?: string }).__ZERONAS_PACKAGE_VERSION__ ?? (require('../../package.json') as { version: string }).version;
