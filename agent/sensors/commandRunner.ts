/** Runs a command without a shell and returns its stdout (shared by the vcgencmd readers). */
import { execFile } from 'node:child_process';
import type { CommandRunner } from './energyMeter.js';

export const execRunner: CommandRunner = (command, args, timeoutMs, cwd) =>
  new Promise((resolve, reject) => {
    execFile(command, [...args], { timeout: timeoutMs, maxBuffer: 1024 * 1024, ...(cwd === undefined ? {} : { cwd }) }, (err, stdout, stderr) => {
      if (err) {
        const e = err as NodeJS.ErrnoException;
        reject(Object.assign(new Error(`${command} ${args.join(' ')} failed: ${e.message.trim()}${stderr ? ` (${String(stderr).trim().slice(0, 200)})` : ''}`), { code: e.code }));
      } else resolve(String(stdout));
    });
  });
