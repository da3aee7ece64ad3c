/**
 * The agent's runtime probe, each runtime in its own short-lived measurement process (agent/measureChild.ts): a
 * native module that crashes while loading (a SIGSEGV in onnxruntime's CPU detection was seen under qemu with a
 * foreign /sys) marks that runtime unavailable with the reason, and the agent carries on with the others instead of
 * dying (and, under systemd, restarting into the same crash forever).
 */
import type { RuntimeAvailability } from '../../shared/protocol/messages.js';
import type { ChildReply, ProbeRequest } from '../measureChild.js';
import { forkMeasureProcess, killMeasureProcess, makeWorkDir, removeWorkDir } from '../measureWorker.js';
import { NODE_RUNTIME_IDS, type NodeRuntimeId } from './runtime.js';

/** Loading onnxruntime under emulation takes seconds; a probe that hangs this long is reported, not waited for. */
const PROBE_TIMEOUT_MS = 120_000;

function unavailable(runtime: NodeRuntimeId, reason: string): RuntimeAvailability {
  return { runtime, isAvailable: false, version: null, executionProviders: [], reason };
}

export function probeRuntimeIsolated(runtime: NodeRuntimeId): Promise<RuntimeAvailability> {
  return new Promise((resolve) => {
    let dir: string;
    try {
      dir = makeWorkDir();
    } catch (err) {
      resolve(unavailable(runtime, `could not create a directory for the probe: ${(err as Error).message}`));
      return;
    }
    let stderrTail = '';
    let answer: RuntimeAvailability | null = null;
    const child = forkMeasureProcess(dir);
    const timer = setTimeout(() => {
      answer ??= unavailable(runtime, `loading ${runtime} took more than ${PROBE_TIMEOUT_MS} ms; the probe was killed`);
      killMeasureProcess(child);
    }, PROBE_TIMEOUT_MS);
    child.stderr?.on('data', (d: Buffer) => {
      stderrTail = (stderrTail + d.toString()).slice(-1_000);
    });
    child.on('message', (raw) => {
      const reply = raw as ChildReply;
      if (reply.type === 'probe') answer = reply.availability;
    });
    child.on('error', (err) => {
      answer ??= unavailable(runtime, `could not start the probe process: ${err.message}`);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      removeWorkDir(dir);
      const tail = stderrTail.trim().split('\n').slice(-3).join(' | ');
      resolve(answer ?? unavailable(runtime, `loading ${runtime} crashed its process (exit code ${code}, signal ${signal})${tail ? `: ${tail}` : ''}`.slice(0, 1000)));
    });
    child.send({ probeRuntime: runtime } satisfies ProbeRequest);
  });
}

/** Every Node runtime, probed one after the other, each in its own process. */
export async function probeRuntimesIsolated(): Promise<RuntimeAvailability[]> {
  const out: RuntimeAvailability[] = [];
  for (const id of NODE_RUNTIME_IDS) out.push(await probeRuntimeIsolated(id));
  return out;
}
