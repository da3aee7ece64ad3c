/**
 * The embedded default: `orchestrate --targets local` starts a real agent process on this machine that connects
 * back over loopback, exactly as a remote device would (same protocol, same measurement code).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { withoutMallocTuning } from '../util/mallocTuning.js';
import { LOCAL_AGENT_NAME } from './fleet.js';

const AGENT_BIN = fileURLToPath(new URL('../../bin/zeronas-agent.js', import.meta.url));

export interface LocalAgent {
  child: ChildProcess;
  stop(): Promise<void>;
}

export function startLocalAgent(hostUrl: string, token: string, log: (line: string) => void, extraArgs: string[] = []): LocalAgent {
  const child = spawn(process.execPath, [AGENT_BIN, '--host', hostUrl, '--name', LOCAL_AGENT_NAME, ...extraArgs], {
    // The token travels in the environment, not argv, so it does not show in `ps`.
    env: { ...agentEnv(), ZERONAS_TOKEN: token },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const forward = (chunk: Buffer): void => {
    for (const line of chunk.toString().split('\n')) if (line.trim()) log(`[local agent] ${line}`);
  };
  child.stdout?.on('data', forward);
  child.stderr?.on('data', forward);
  return {
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        child.once('exit', () => {
          clearTimeout(killer);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}

/**
 * The host's environment minus ZERONAS_* (the agent reads those as options, so it gets only its own) and minus our
 * allocator tuning (an agent times what an application would see).
 */
function agentEnv(): NodeJS.ProcessEnv {
  return withoutMallocTuning(Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ZERONAS_'))));
}
