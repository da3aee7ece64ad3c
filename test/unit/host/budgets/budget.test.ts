import { describe, expect, it } from 'vitest';
import { checkBudgetTargets, parseAnyBudget, toSearchBudgets } from '../../../../host/budgets/budget.js';

describe('the one budget grammar (search and orchestrate)', () => {
  it('reads target and structural budgets with their units', () => {
    expect(parseAnyBudget('pi3b:latency<=15ms')).toEqual({ target: 'pi3b', metric: 'latency', max: 15, text: 'pi3b:latency<=15ms' });
    expect(parseAnyBudget('pi3b:energy<=2mJ')).toMatchObject({ target: 'pi3b', metric: 'energy', max: 0.002 });
    expect(parseAnyBudget('name:kitchen-pi:latency<=250us')).toMatchObject({ target: 'name:kitchen-pi', metric: 'latency', max: 0.25 });
    expect(parseAnyBudget('flops<=450M')).toEqual({ metric: 'flops', max: 450e6, text: 'flops<=450M' });
    expect(parseAnyBudget('params<=1.5M')).toMatchObject({ metric: 'params', max: 1.5e6 });
    expect(parseAnyBudget('layers<=14')).toMatchObject({ metric: 'layers', max: 14 });
  });

  it("rejects a malformed budget, naming it (ZN_BAD_ARGUMENT): 'pi3b:latency<15ms'", () => {
    expect(() => parseAnyBudget('pi3b:latency<15ms')).toThrow(expect.objectContaining({ code: 'ZN_BAD_ARGUMENT', message: expect.stringContaining("budget 'pi3b:latency<15ms' is malformed") }));
    expect(() => parseAnyBudget('pi3b:energy<=2ms')).toThrow(expect.objectContaining({ code: 'ZN_BAD_ARGUMENT', message: expect.stringContaining("unit 'ms' is not a energy unit") }));
    expect(() => parseAnyBudget('layers<=14M')).toThrow(expect.objectContaining({ message: expect.stringContaining('layers take no unit') }));
  });

  it('turns budgets into the search form, refusing two budgets on one quantity', () => {
    const b = toSearchBudgets(['pi3b:latency<=15ms', 'pi3b:energy<=2mJ', 'flops<=100M'].map(parseAnyBudget));
    expect(b).toEqual({ flops: 100e6, targets: { pi3b: { latencyMs: 15, energyJ: 0.002 } } });
    expect(() => toSearchBudgets(['pi3b:latency<=15ms', 'pi3b:latency<=10ms'].map(parseAnyBudget))).toThrow(expect.objectContaining({ message: expect.stringContaining('bound the same quantity') }));
  });

  it('refuses a budget naming a target that is not searched', () => {
    expect(() => checkBudgetTargets([parseAnyBudget('pi4:latency<=5ms')], ['pi3b'])).toThrow(expect.objectContaining({ message: expect.stringContaining("names target 'pi4', which is not in --targets (pi3b)") }));
  });
});
