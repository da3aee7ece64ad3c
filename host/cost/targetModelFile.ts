/**
 * Reads a cost model orchestrate saved (`runs/<id>/<target>/cost-model.round<r>.json`, targetCostModel.ts) back as
 * a search cost function: the snapshot's samples are refitted with the same code, so `zeronas search --cost
 * t=model:<file>` prices exactly as the loop's model did after that round.
 */
import { readFileSync } from 'node:fs';
import { ZeronasError } from '../../shared/errors.js';
import type { CostFn } from '../search/types.js';
import { openSpace } from '../spaces/index.js';
import type { SearchSpace } from '../spaces/searchSpace.js';
import { loadLookupTable } from './lookupTable.js';
import { parseTargetModelSnapshot, TargetCostModel, type TargetModelSnapshot } from './targetCostModel.js';

export async function loadTargetModel(path: string): Promise<{ snapshot: TargetModelSnapshot; model: TargetCostModel }> {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ZeronasError('ZN_IO', `cannot read cost model '${path}': ${(err as Error).message}`, { path }, err);
  }
  const snapshot = parseTargetModelSnapshot(raw, path);
  const entry = openSpace(snapshot.space, snapshot.spaceOptions);
  const lut = snapshot.lut ? await loadLookupTable(snapshot.lut) : undefined;
  return { snapshot, model: TargetCostModel.fromSnapshot(snapshot, (a) => entry.deviceGraph(entry.space.parse(a)), lut) };
}

/** A search cost function from a saved model; refuses a model of another space. */
export async function loadTargetModelCost<A>(path: string, space: SearchSpace<A>): Promise<CostFn<A> & { metric: TargetModelSnapshot['metric'] }> {
  const { snapshot, model } = await loadTargetModel(path);
  if (snapshot.space !== space.name) {
    throw new ZeronasError('ZN_BAD_ARGUMENT', `cost model '${path}' was fitted on space '${snapshot.space}', not '${space.name}'`, { path });
  }
  const fn = (a: A) => {
    const p = model.predict(space.format(a));
    return p ? { [snapshot.metric]: p.value } : {};
  };
  return Object.assign(fn, { metric: snapshot.metric });
}
