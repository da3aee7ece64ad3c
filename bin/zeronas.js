#!/usr/bin/env node
// Runs the TypeScript CLI through tsx's loader, so a fresh `npm ci` needs no build step.
import { register } from 'tsx/esm/api';

register();
const { exitWithParent, relaunchWithMallocTuning, wantsMallocTuning } = await import('../host/util/mallocTuning.ts');
const argv = process.argv.slice(2);
// Commands that score gradient proxies run with glibc allocator settings that avoid re-faulting every session's
// memory (host/util/mallocTuning.ts); glibc reads them only at start, hence the relaunch.
const TUNED_COMMANDS = new Set(['score', 'search', 'bench', 'worker']);
if (TUNED_COMMANDS.has(argv[0] ?? '') && wantsMallocTuning() && !argv.includes('--help') && !argv.includes('-h')) {
  process.exitCode = await relaunchWithMallocTuning();
} else {
  exitWithParent();
  const { main } = await import('../host/cli/main.ts');
  process.exitCode = await main(argv);
}
