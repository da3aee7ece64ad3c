#!/usr/bin/env python3
"""Writes test/fixtures/numpyChoice.json: what NumPy's default generator gives, for zeronas' port of it
(shared/numpyRandom.ts). `zeronas score --sample n --seed s` draws NAS-Bench-201 indices as
np.random.default_rng(s).choice(15625, n, replace=False), so a Python user gets the same cells; this fixture is the
oracle. Needs only NumPy (Debian: python3-numpy). Usage: /usr/bin/python3 scripts/golden/numpy_choice.py [out.json]
"""
import json
import sys

import numpy as np

out = sys.argv[1] if len(sys.argv) > 1 else 'test/fixtures/numpyChoice.json'


def checksum(values):
    # Position-weighted sum mod 2^61-1, so a reordering changes it too.
    return int(sum((i + 1) * int(v) for i, v in enumerate(values)) % (2**61 - 1))


fixture = {
    'numpy': np.__version__,
    'seedSequence': [
        {'seed': str(s), 'state': [f'{w:016x}' for w in np.random.SeedSequence(s).generate_state(4, np.uint64)]}
        for s in (0, 1, 42, 123456789, 2**32 + 5, 2**70 + 3)
    ],
    'raw': [
        {'seed': str(s), 'values': [f'{int(v):016x}' for v in np.random.PCG64(s).random_raw(6)]} for s in (0, 7)
    ],
    'choice': [],
}
# Sizes on both sides of NumPy's switch between Floyd's algorithm and a tail shuffle (pop > 10000 and n > pop // 50).
for seed, pop, n in [(0, 15625, 1000), (1, 15625, 1000), (0, 15625, 6), (3, 15625, 6), (0, 15625, 312),
                     (0, 15625, 313), (9, 100, 100), (4, 5000, 4000), (0, 15625, 15625), (2**33, 15625, 50)]:
    values = np.random.default_rng(seed).choice(pop, n, replace=False).tolist()
    entry = {'seed': str(seed), 'population': pop, 'n': n, 'checksum': str(checksum(values)), 'head': values[:50]}
    if n <= 1000:
        entry['values'] = values
    fixture['choice'].append(entry)

with open(out, 'w') as f:
    json.dump(fixture, f, separators=(',', ':'))
    f.write('\n')
print(f'wrote {out} (numpy {np.__version__})')
