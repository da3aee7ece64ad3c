#!/usr/bin/env node
/* global process */
// Runs before `npm test`: the tools the suite needs beyond npm. On a fresh Debian machine, as root, it installs the
// missing ones (apt-get); otherwise it names each missing tool, what needs it and how to get it, and stops before a
// test fails with a bare assertion.
import { spawnSync } from 'node:child_process';

const TOOLS = [
  { command: 'chromium', debianPackage: 'chromium', neededBy: 'the browser tests (headless-Chromium agent, dashboard, report)' },
  { command: 'shellcheck', debianPackage: 'shellcheck', neededBy: 'the lint of scripts/install-agent.sh' },
  { command: 'redis-server', debianPackage: 'redis-server', neededBy: 'the scoring-queue tests (a real Redis for BullMQ workers)' },
  { command: 'systemd-analyze', debianPackage: 'systemd', neededBy: 'the check of the unit scripts/install-agent.sh writes (systemd-analyze verify)' },
];

const has = (command) => spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
const missing = TOOLS.filter((t) => !has(t.command));
if (missing.length === 0) process.exit(0);

const packages = missing.map((t) => t.debianPackage);
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
if (isRoot && has('apt-get')) {
  process.stderr.write(`npm test: installing ${packages.join(', ')} (Debian packages the tests need)\n`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const update = spawnSync('apt-get', ['update', '-q'], { stdio: 'inherit', env });
  const install = update.status === 0 ? spawnSync('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...packages], { stdio: 'inherit', env }) : update;
  if (install.status === 0 && missing.every((t) => has(t.command))) process.exit(0);
  process.stderr.write(`npm test: could not install ${packages.join(', ')} with apt-get (exit ${install.status}); install them and run npm test again\n`);
  process.exit(1);
}
for (const t of missing) process.stderr.write(`npm test: '${t.command}' is missing (used by ${t.neededBy})\n`);
process.stderr.write(
  has('apt-get')
    ? `install with: sudo apt-get install ${packages.join(' ')}   (then run npm test again)\n`
    : `install ${packages.join(' and ')} with your system's package manager (then run npm test again)\n`,
);
process.exit(1);
