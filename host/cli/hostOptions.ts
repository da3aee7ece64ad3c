/**
 * Options of the commands that open a host for agents (`orchestrate`, `lut`): which targets, which port, how long to
 * wait for agents. Checked here, once for every such command, before anything is started or written (no run folder,
 * no listening socket), each error naming the bad value.
 */
import { ZeronasError } from '../../shared/errors.js';
import { deviceProfiles } from '../../devices/index.js';
import { checkTargetName } from '../orchestrator/fleet.js';

/** Seconds a host waits for every target's agents when not told (--wait-agents). */
export const DEFAULT_WAIT_AGENTS_S = 120;

/** Splits and checks a comma-separated target list (`--targets a,b`, or lut's one `--target`): known forms, no repeats. */
export function parseTargets(text: string, option = '--targets'): string[] {
  const targets = text.split(',').map((t) => t.trim()).filter(Boolean);
  if (targets.length === 0) throw new ZeronasError('ZN_BAD_ARGUMENT', `${option} is empty; give a target such as local or pi3b`);
  if (new Set(targets).size !== targets.length) throw new ZeronasError('ZN_BAD_ARGUMENT', `${option} lists a target twice: '${text}'`);
  for (const t of targets) checkTargetName(t, Object.keys(deviceProfiles));
  return targets;
}

/** A TCP port to listen on: an integer 0..65535, where 0 asks the system for any free port (the host prints it). */
export function checkPort(port: number | undefined): void {
  if (port === undefined) return;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ZeronasError('ZN_BAD_ARGUMENT', `--port must be an integer from 0 to 65535 (0 = any free port, printed when listening), got ${port}`, { port });
  }
}

/** Seconds to wait for agents: a positive, finite number. */
export function checkWaitAgents(seconds: number | undefined): void {
  if (seconds === undefined) return;
  if (!Number.isFinite(seconds) || seconds <= 0) {
    throw new ZeronasError('ZN_BAD_ARGUMENT', `--wait-agents must be a positive number of seconds (e.g. ${DEFAULT_WAIT_AGENTS_S}), got ${seconds}`, { waitAgents: seconds });
  }
}
