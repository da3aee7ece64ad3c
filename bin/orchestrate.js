#!/usr/bin/env node
// `orchestrate ...` is `zeronas orchestrate ...`.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../host/cli/main.ts');
process.exitCode = await main(['orchestrate', ...process.argv.slice(2)]);
