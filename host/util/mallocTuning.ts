/**
 * glibc allocator settings for processes that run training graphs (gradient proxies), and the relaunch that applies
 * them: glibc reads GLIBC_TUNABLES only when a process starts.
 *
 * Why: every architecture gets a new onnxruntime session, and a session's first runs allocate hundreds of MB of
 * activations. By default glibc serves such blocks with fresh mmaps and unmaps them at release, so every session
 * page-faults its whole working set again. On our 2-core VM a fault cost ~6 µs and the first two runs of a session
 * took 2.5× the steady-state time (`scripts/bench/zico.ts --breakdown`). With these settings freed memory stays in
 * the heap (mmap_max=0, a trim threshold of 16 GiB) on transparent huge pages (hugetlb=1), so the next session
 * reuses it without faults. The cost: the process keeps its peak memory until it exits.
 *
 * Device agents are never tuned (their latencies must be what an application sees): see localAgent.ts.
 * Set ZERONAS_MALLOC_TUNING=0, or any GLIBC_TUNABLES of your own, to opt out.
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';

export const MALLOC_TUNABLES = ['glibc.malloc.hugetlb=1', 'glibc.malloc.mmap_max=0', 'glibc.malloc.trim_threshold=17179869184'].join(':');

/** True when this process should be relaunched with MALLOC_TUNABLES (Linux, not already tuned, not opted out). */
export function wantsMallocTuning(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): boolean {
  return platform === 'linux' && env.GLIBC_TUNABLES === undefined && env.ZERONAS_MALLOC_TUNING !== '0';
}

/** The environment without our tunables (for device agents), leaving a user's own GLIBC_TUNABLES alone. */
export function withoutMallocTuning(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  if (env.GLIBC_TUNABLES !== MALLOC_TUNABLES) return env;
  const rest = { ...env };
  delete rest.GLIBC_TUNABLES;
  return rest;
}

/**
 * Runs this same command (same node flags, script and arguments) again with MALLOC_TUNABLES and resolves with its
 * exit code. stdio is shared, so output and --json are unchanged. SIGTERM is passed on. SIGINT is not: Ctrl-C
 * already reaches the child through the terminal's process group, and a second one would cut short its graceful
 * stop (search saves its state on the first). An IPC channel ties the child to this process: if this one dies,
 * even by SIGKILL, the child sees the channel close and exits (exitWithParent).
 */
export function relaunchWithMallocTuning(): Promise<number> {
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, GLIBC_TUNABLES: MALLOC_TUNABLES },
  });
  const onInt = (): void => {};
  const onTerm = (): void => {
    child.kill('SIGTERM');
  };
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      resolve(code ?? 128 + (signal ? constants.signals[signal] : 1));
    });
  });
}

/** In a relaunched child: exit when the parent goes away; the IPC channel itself must not keep us alive. */
export function exitWithParent(): void {
  if (!process.send || !process.channel || process.env.GLIBC_TUNABLES !== MALLOC_TUNABLES) return;
  process.channel.unref();
  process.on('disconnect', () => process.exit(129));
}
