/**
 * `zeronas search`: builds the space, the proxy scorer (on the scoring graph; IDW at a reduced input size), target
 * cost functions from a measured table or a lookup table, and the budgets, then calls host/search/runSearch.
 * The state is saved after the run (and on Ctrl-C) so `--state` resumes it.
 */
import { checkPositiveIntegers } from '../../shared/node/cliParser.js';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ZeronasError } from '../../shared/errors.js';
import type { Graph } from '../ir/graph.js';
import { loadLookupTable } from '../cost/lookupTable.js';
import { runSearch, type SearchAlgo, type SearchState } from '../search/index.js';
import { aggregationFor, parseProxyList, rankScoreMeaning } from '../proxies/ensemble.js';
import type { CostFn, CostVector } from '../search/types.js';
import type { SearchSpace } from '../spaces/searchSpace.js';
import { defaultProxyOf, openSpace } from '../spaces/index.js';
import { createProxyComputer } from '../proxies/scoreArchitecture.js';
import { referenceSampleScorer, referenceSize } from '../search/referenceScore.js';
import { scoreThrough } from '../queue/scoreThrough.js';
import { openQueueFromArgs, QUEUE_WINDOW, reportQueueProgress } from './queueOptions.js';
import { readCsv } from '../util/csv.js';
import { parseAnyBudget, toSearchBudgets } from '../budgets/budget.js';
import { loadTargetModelCost } from '../cost/targetModelFile.js';
import { writeJsonAtomic } from '../run/runFolder.js';
import type { SearchArgs } from './commands/search.js';
import { createProgress } from './progress.js';
import { printJson, table, warn } from './output.js';

async function costFunctions<A>(specs: string[], space: SearchSpace<A>): Promise<Record<string, CostFn<A>>> {
  const costs: Record<string, CostFn<A>> = {};
  for (const spec of specs) {
    const m = /^([A-Za-z0-9._:-]+)=(table|lut|model):(.+)$/.exec(spec);
    if (!m) throw new ZeronasError('ZN_BAD_ARGUMENT', `--cost '${spec}' is malformed; expected <target>=model:<cost-model.round<r>.json> or <target>=table:<csv>:<column>`);
    const [, target, kind, rest] = m as unknown as [string, string, string, string];
    if (kind === 'table') {
      const i = rest.lastIndexOf(':');
      if (i <= 0 || i === rest.length - 1) {
        throw new ZeronasError('ZN_BAD_ARGUMENT', `--cost '${spec}' names no column; expected ${target}=table:<csv>:<column> (e.g. ${target}=table:../shared/data/hw/hwnasbench_nb201.csv:cifar10_raspi4_latency)`);
      }
      const [path, column] = [rest.slice(0, i), rest.slice(i + 1)];
      if (!existsSync(path)) throw new ZeronasError('ZN_IO', `--cost table '${path}' does not exist`);
      const rows = readCsv(readFileSync(path, 'utf8'));
      if (!rows[0] || !(column in rows[0])) throw new ZeronasError('ZN_BAD_ARGUMENT', `--cost table '${path}' has no column '${column}'`);
      const byArch = new Map(rows.map((r) => [r.arch_str ?? r.arch ?? '', Number(r[column])]));
      costs[target] = (a) => {
        const v = byArch.get(space.format(a));
        if (v === undefined) throw new ZeronasError('ZN_BAD_DATA', `--cost table '${path}' has no row for ${space.format(a)}`);
        return { latencyMs: v };
      };
    } else if (kind === 'model') {
      costs[target] = await loadTargetModelCost(rest, space);
    } else {
      // A table alone is a sum of per-kernel timings, which overstates end-to-end latency (by 150-213% on this
      // project's VM, docs/engineering/closed-loop.md); it prices only once calibrated against whole models.
      await loadLookupTable(rest); // a missing or malformed file is reported as such first
      throw new ZeronasError(
        'ZN_BAD_ARGUMENT',
        `--cost ${target}=lut:${rest}: a lookup table has no calibration to end-to-end latency (its raw per-kernel sum overstates it); ` +
          `calibrate it on the device with zeronas orchestrate --targets ${target} --lut ${target}=${rest}, then pass --cost ${target}=model:runs/<id>/${target.replace(/[^A-Za-z0-9._-]/g, '_')}/cost-model.round<r>.json`,
        { target, path: rest },
      );
    }
  }
  return costs;
}

export async function runSearchCommand(args: SearchArgs): Promise<unknown> {
  checkPositiveIntegers([['--max-scored', args.maxScored], ['--iterations', args.iterations]]);
  const budgets = toSearchBudgets(args.budget.map(parseAnyBudget));
  // The space from the registry: its scoring graph (IDW: no residual links, at --score-resolution) and its verbs.
  const entry = openSpace(args.space, args.scoreResolution !== undefined ? { scoreResolution: args.scoreResolution } : {});
  const space = entry.space;
  const scoringGraph = (a: unknown): Graph => entry.scoringGraph(a);
  const proxy = args.proxy ?? defaultProxyOf(args.space);
  const proxyNames = parseProxyList(proxy);
  const computers = await Promise.all(
    proxyNames.map((p) => createProxyComputer(p, { dataPath: args.data, batchSize: args.batchSize, batches: args.batches, seed: args.seed })),
  );
  const costs = await costFunctions(args.cost, space);
  for (const [target, limits] of Object.entries(budgets.targets ?? {})) {
    const f = costs[target] as (CostFn<unknown> & { metric?: string }) | undefined;
    if (!f) {
      throw new ZeronasError(
        'ZN_BAD_ARGUMENT',
        `a budget names target '${target}' but no --cost gives its cost; add --cost ${target}=model:runs/<id>/${target}/cost-model.round<r>.json (saved by orchestrate) or ${target}=table:<csv>:<column>`,
        { target },
      );
    }
    for (const metric of Object.keys(limits)) {
      if (f.metric && f.metric !== metric) throw new ZeronasError('ZN_BAD_ARGUMENT', `the budget on '${target}' bounds ${metric}, but its --cost model predicts ${f.metric}`, { target });
    }
  }
  const progress = createProgress(args);
  const abort = new AbortController();
  const scored = new Set<string>();
  const onSigint = (): void => abort.abort();
  process.once('SIGINT', onSigint);
  const state = args.state && existsSync(args.state) ? readSearchState(args.state) : undefined;
  const sampling = args.algo === 'sample';
  const queue = await openQueueFromArgs(args, args.data, (l) => progress.log(l));
  const stopQueueProgress = queue ? reportQueueProgress(queue, (l) => progress.log(l)) : () => {};
  const settings = { batchSize: args.batchSize, batches: args.batches, seed: args.seed };
  const scoreWith = (i: number, a: unknown): ReturnType<typeof scoreThrough> =>
    scoreThrough(queue, computers[i]!, { space: args.space, scoreResolution: args.scoreResolution, arch: space.format(a), proxy: proxyNames[i]!, settings }, () => scoringGraph(a));
  const proxyFns = Object.fromEntries(proxyNames.map((p, i) => [p, (a: unknown) => scoreWith(i, a)]));
  // A resumed search reuses the reference sample's values its --state file kept (same proxy, same seed).
  const saved = (state as { reference?: SavedReference } | undefined)?.reference;
  const known = new Map(saved && saved.proxy === proxy && saved.seed === args.seed ? saved.entries.map((e) => [e.arch, e.values]) : []);
  // Every proxy of one architecture: one at a time here, all at once through a queue (separate jobs).
  const scoreAll = async (a: unknown): Promise<number[]> => {
    const again = known.get(space.format(a));
    if (again) return again;
    scored.add(space.key(a));
    const one = async (i: number): Promise<number> => {
      const r = await scoreWith(i, a);
      return r.ok ? r.value : Number.NaN;
    };
    if (queue) return Promise.all(proxyNames.map((_, i) => one(i)));
    const out: number[] = [];
    for (let i = 0; i < proxyNames.length; i++) out.push(await one(i));
    return out;
  };
  // A combination in a search that compares candidates one by one: ranks against a reference sample scored first.
  let combined: ((values: readonly number[]) => number) | undefined;
  let reference: SavedReference | undefined;
  if (proxyNames.length > 1 && !sampling) {
    const size = referenceSize(args.maxScored ?? 500);
    const how = aggregationFor(proxy, args.aggregate);
    progress.log(
      `${proxy}: ${known.size ? `the reference sample of ${size} architectures kept in --state` : `scoring a reference sample of ${size} architectures (they count toward --max-scored)`}; a candidate's score is ` +
        rankScoreMeaning(how, proxyNames, 'them'),
    );
    const ref = await referenceSampleScorer({ space, seed: args.seed, size, scoreAll, how, onProgress: (done, total) => progress.update(`${proxy} reference sample`, done, total) });
    combined = ref.combined;
    reference = { proxy, seed: args.seed, entries: ref.reference };
    for (const e of ref.reference) known.set(e.arch, e.values); // a candidate the reference holds is not scored twice
  }
  const outcome = await runSearch<unknown>({
    space,
    algo: args.algo as SearchAlgo,
    iterations: sampling ? (args.maxScored ?? 500) : args.iterations,
    seed: args.seed,
    budgets,
    costs,
    signal: abort.signal,
    ...(state ? { state } : {}),
    ...(args.population ? { evolution: { populationSize: args.population } } : {}),
    // FLASH scores only its predictor's Sobol sample, so --max-scored caps that sample.
    ...(args.algo === 'flash' && args.maxScored !== undefined ? { flash: { maxScored: args.maxScored } } : {}),
    // NSGA-II evaluates a generation's candidates at once through a queue (the same result as one at a time).
    nsga2: { ...(args.population ? { populationSize: args.population } : {}), ...(queue ? { parallel: QUEUE_WINDOW } : {}) },
    // With --max-scored the run ends there (or at --iterations, whichever comes first): count what is scored.
    onProgress: (p) =>
      args.maxScored && !sampling && !p.phase
        ? progress.update(`${args.algo} (${proxy}), scored`, Math.min(scored.size, args.maxScored), args.maxScored)
        : progress.update(`${args.algo} (${proxy})${p.phase ? `, ${p.phase}` : ''}`, Math.min(p.iteration, p.total), p.total),
    // Through a queue, a window of candidates is scored at once, to keep the workers busy (the same cells either way).
    ...(sampling ? { sample: { proxies: proxyFns, aggregate: aggregationFor(proxy, args.aggregate), ...(queue ? { parallel: QUEUE_WINDOW } : {}) } } : {}),
    score: async (a) => {
      scored.add(space.key(a));
      if (args.maxScored !== undefined && scored.size >= args.maxScored && args.algo !== 'flash') abort.abort();
      return combined ? combined(await scoreAll(a)) : scoreWith(0, a);
    },
  }).finally(async () => {
    stopQueueProgress();
    await queue?.close();
  });
  if (outcome.sample) for (const r of outcome.sample.scored) scored.add(r.key);
  process.off('SIGINT', onSigint);
  progress.stop();
  if (args.state && outcome.state) writeJsonAtomic(args.state, reference ? { ...outcome.state, reference } : outcome.state);
  const result = {
    space: args.space,
    algo: args.algo,
    proxy,
    scored: scored.size,
    stopped: outcome.stopped,
    best: outcome.best ?? null,
    front: outcome.front.slice(0, 20),
    fronts: Object.fromEntries(Object.entries(outcome.fronts).map(([t, f]) => [t, f.slice(0, 20)])),
    feasible: outcome.feasible.length,
    ...(outcome.sample ? { draws: outcome.sample.draws, skipped: outcome.sample.skipped, topScored: outcome.sample.scored.slice(0, 10) } : {}),
    ...(outcome.flash ? { flash: outcome.flash } : {}),
  };
  if (args.report) {
    const { renderSearchReportHtml } = await import('../report/searchReport.js');
    const html = renderSearchReportHtml({ space: args.space, algo: args.algo, proxy, scored: scored.size, budgets, best: outcome.best ?? null, feasible: outcome.feasible, fronts: outcome.fronts });
    try {
      writeFileSync(args.report, html);
    } catch (err) {
      throw new ZeronasError('ZN_IO', `cannot write the report '${args.report}': ${(err as Error).message}`, { path: args.report }, err);
    }
    if (!args.json && !args.quiet) process.stderr.write(`report: ${resolve(args.report)}\n`);
  }
  if (scored.size === 0 && !outcome.stopped) {
    // A search that scored nothing found nothing: say why instead of a quiet "(none met the budgets)".
    const start = args.algo === 'evolution' ? ` Evolution mutates from the space's start architecture (${space.format(space.initial())}) and scores only candidates within the budgets; from there none was reachable: try --algo sample or --algo nsga2, or a looser budget.` : ' Loosen the budgets, or check them against the space (zeronas info).';
    warn(args, `nothing was scored: every candidate broke the budgets before scoring.${start}`);
  }
  if (args.json) printJson(args.report ? { ...result, reportPath: resolve(args.report) } : result);
  else {
    const b = outcome.best;
    process.stdout.write(
      `${table([
        ['best', b ? b.arch : '(none met the budgets)'],
        ['score', b && outcome.flash?.scores.predicted ? flashScoreText(b.score, proxy, outcome.flash.scores) : b ? `${b.score.toFixed(3)}${proxyNames.length > 1 ? `: ${rankScoreMeaning(aggregationFor(proxy, args.aggregate), proxyNames, sampling ? 'everything scored' : 'the reference sample')}` : ` (${proxy})`}` : '-'],
        ['metrics', b ? `params ${b.metrics.params.toLocaleString('en-US')}, flops ${(b.metrics.flops / 1e6).toFixed(1)} M, layers ${b.metrics.layers}` : '-'],
        ['costs', b ? costText(b.costs) : '-'],
        ['scored', `${scored.size} architectures${outcome.stopped ? ' (stopped early)' : ''}`],
        ['front', `${outcome.front.length} non-dominated${args.budget.length ? `, ${outcome.feasible.length} within budget` : ''}`],
      ])}\n`,
    );
  }
  return result;
}

/** A FLASH best's score is its fitted predictor's; its own proxy score is shown too when it was one of the samples. */
function flashScoreText(predicted: number, proxy: string, s: { fittedOn?: number; bestMeasured?: number }): string {
  const measured = s.bestMeasured !== undefined ? `; measured ${s.bestMeasured.toFixed(3)} (${proxy})` : '';
  return `predicted ${predicted.toFixed(3)} (${proxy} predictor fitted on ${s.fittedOn ?? 0} scored)${measured}`;
}

/** Costs per target as --cost gives them (a model's prediction or a table's value), with units. */
function costText(costs: Record<string, CostVector>): string {
  const parts: string[] = [];
  for (const [target, c] of Object.entries(costs)) {
    if (c.latencyMs !== undefined) parts.push(`${target} ${c.latencyMs.toFixed(2)} ms`);
    if (c.energyJ !== undefined) parts.push(`${target} ${(c.energyJ * 1e3).toFixed(3)} mJ`);
    if (c.areaMm2 !== undefined) parts.push(`${target} ${c.areaMm2.toFixed(2)} mm²`);
  }
  return parts.length ? `${parts.join(', ')} (from --cost)` : '-';
}

/** The reference sample a combination was ranked against, kept in --state so a resumed search does not score it again. */
interface SavedReference {
  proxy: string;
  seed: number;
  entries: { arch: string; values: number[] }[];
}

/** A saved --state file, or ZN_BAD_DATA naming it (a truncated or edited file is not a crash). */
function readSearchState(path: string): SearchState {
  const text = readFileSync(path, 'utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ZeronasError('ZN_BAD_DATA', `--state '${path}' is not valid JSON (${(err as Error).message}); move it aside to start the search afresh`, { path }, err);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ZeronasError('ZN_BAD_DATA', `--state '${path}' does not hold a search state (a JSON object); move it aside to start the search afresh`, { path });
  }
  return value as SearchState;
}
