/**
 * `zeronas costmodel prior`: a fleet prior (host/cost/prior/priorFile.ts) that includes this installation's own
 * devices. Starts from a base prior (default the shipped HW-NAS-Bench one) and adds one reference per device and
 * metric measured in the given run folders, fitted on the base's feature basis with the same code the public
 * references were fitted with. A device's value per architecture is the median over every run that measured it
 * (runResults, the table `zeronas results` prints). Replayed targets (`zeronas-agent --replay`) are skipped: their
 * values are a published table, already in the base when it is HW-NAS-Bench. A device with fewer measurements than
 * the basis has coefficients is skipped with a note (its fit would be underdetermined). When the base carries a
 * positional basis (priorFile.ts `positional`), each added device is fitted on it too, so leave-one-device-out and
 * the `positional` option see the same devices on both bases; a device with too few architectures for the richer
 * basis (it has more coefficients) is left out of that basis only, with a note.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ZeronasError } from '../../shared/errors.js';
import { CostFeatureExtractor } from '../cost/costFeatures.js';
import { fitReference, type CostMetric, type FleetPrior, type FleetReference } from '../cost/prior/priorFile.js';
import { median } from '../cost/regression.js';
import type { Graph } from '../ir/graph.js';
import { openSpace } from '../spaces/index.js';
import { storeFoldersUnder } from '../run/runFolder.js';
import type { OrchestrateConfig } from './orchestrate.js';
import { runResults } from './results.js';

export interface FleetPriorBuild {
  prior: FleetPrior;
  added: FleetReference[];
  skipped: { device: string; metric: string; reason: string }[];
  runs: string[];
}

/** orchestrate's run folders under each root (a lookup-table job store under runs/ is not one), or the root itself. */
function runFoldersOf(roots: readonly string[]): string[] {
  return roots.flatMap((root) => storeFoldersUnder(root, { runsOnly: true }));
}

export function buildFleetPriorFromRuns(base: FleetPrior, roots: readonly string[], options: { onProgress?: (message: string) => void } = {}): FleetPriorBuild {
  const runs = runFoldersOf(roots);
  if (runs.length === 0) throw new ZeronasError('ZN_BAD_ARGUMENT', `no run folder (a folder with store.sqlite) under ${roots.join(', ')}`);
  const extractor = new CostFeatureExtractor();
  // (device, metric) -> arch -> values over runs; graphs per (space, arch)
  const values = new Map<string, { device: string; metric: CostMetric; dataset: string; perArch: Map<string, { graph: Graph; values: number[] }>; runs: Set<string> }>();
  const skipped: FleetPriorBuild['skipped'] = [];
  for (const run of runs) {
    const table = runResults(run);
    const config = JSON.parse(readFileSync(join(run, 'config.json'), 'utf8')) as OrchestrateConfig;
    const entry = openSpace(config.space, config.spaceOptions ?? {});
    const archIndex = table.columns.indexOf('arch_str');
    table.columns.forEach((column, j) => {
      const m = /^([^_]+)_(.+)_(latency|energy)$/.exec(column);
      if (!m) return;
      const sourceIndex = table.columns.indexOf(`${m[1]}_${m[2]}_source`);
      const key = `${m[2]}|${m[3]}|${config.space}`;
      for (const row of table.rows) {
        const v = row[j];
        if (typeof v !== 'number' || !(v > 0)) continue;
        if (row[sourceIndex] === 'replay') {
          if (!skipped.some((s) => s.device === m[2] && s.metric === m[3])) skipped.push({ device: m[2]!, metric: m[3]!, reason: `replayed values (run ${config.runId}), not measurements` });
          continue;
        }
        const arch = String(row[archIndex]);
        let set = values.get(key);
        if (!set) values.set(key, (set = { device: m[2]!, metric: m[3] as CostMetric, dataset: m[1]!, perArch: new Map(), runs: new Set() }));
        set.runs.add(config.runId);
        const cur = set.perArch.get(arch) ?? { graph: entry.deviceGraph(entry.space.parse(arch)), values: [] };
        cur.values.push(v);
        set.perArch.set(arch, cur);
      }
    });
  }
  const added: FleetReference[] = [];
  const addedPositional: FleetReference[] = [];
  const need = base.features.length + 1;
  for (const set of values.values()) {
    const samples = [...set.perArch.values()].map((a) => ({ graph: a.graph, value: median(a.values) }));
    const label = `${set.device}/${set.metric}`;
    try {
      const ref = fitReference(base, samples, { device: set.device, dataset: set.dataset, metric: set.metric, source: `runs ${[...set.runs].join(', ')}` }, extractor);
      added.push(ref);
      options.onProgress?.(`${label}: ${ref.samples} architectures, fit median |rel. residual| ${(100 * ref.relResidual).toFixed(1)}%`);
    } catch (err) {
      if (!(err instanceof ZeronasError) || err.code !== 'ZN_BAD_DATA') throw err;
      skipped.push({ device: set.device, metric: set.metric, reason: `${samples.length} measured architectures; a reference needs at least ${need} with an input-dependent output` });
      continue;
    }
    if (!base.positional) continue;
    try {
      addedPositional.push(fitReference(base.positional, samples, { device: set.device, dataset: set.dataset, metric: set.metric, source: `runs ${[...set.runs].join(', ')}` }, extractor, added.at(-1)));
    } catch (err) {
      if (!(err instanceof ZeronasError) || err.code !== 'ZN_BAD_DATA') throw err;
      skipped.push({ device: set.device, metric: set.metric, reason: `positional basis only: ${samples.length} measured architectures; it needs at least ${base.positional.features.length + 1} with an input-dependent output` });
    }
  }
  const replaced = (r: FleetReference): boolean => added.some((a) => a.device === r.device && a.metric === r.metric && a.dataset === r.dataset);
  const kept = base.references.filter((r) => !replaced(r));
  // A device refitted from runs replaces its old positional reference too, even when the richer basis could not be fitted.
  const positional = base.positional ? { ...base.positional, references: [...base.positional.references.filter((r) => !replaced(r)), ...addedPositional] } : undefined;
  return {
    prior: {
      ...base,
      description: `${base.description}; plus ${added.length} fleet reference(s) from ${runs.length} run folder(s)`,
      references: [...kept, ...added],
      ...(positional ? { positional } : {}),
    },
    added,
    skipped,
    runs,
  };
}
