#!/usr/bin/env python3
"""Which 1,000 cells was the project's reference ZiCo run (ALGORITHMS.md §A.1) computed on?

#Params does not depend on weights or data, so its Spearman rho with test accuracy on a sample fingerprints the
sample. The reference run reports #Params at 0.772 (CIFAR-10), 0.753 (CIFAR-100) and 0.704 (ImageNet16-120). This
script draws 1,000 NAS-Bench-201 indices with seed 0 by the samplers a Python user would reach for and prints the
three rho of each. Only np.random.default_rng(0).choice(15625, 1000, replace=False) reproduces all three, which is
why `zeronas ... --sample n --seed s` draws exactly that (shared/numpyRandom.ts).

#Params here is the part that varies between cells: 5 cells per stage x (9C^2+2C per nor_conv_3x3, C^2+2C per
nor_conv_1x1) over C = 16, 32, 64. The stem, the residual blocks and the classifier add the same constant to every
cell, which a rank correlation ignores.

Usage: /usr/bin/python3 scripts/bench/sample_fingerprint.py [path/to/nb201_accuracy.csv] (needs NumPy; PyTorch optional)
"""
import csv
import os
import random
import sys

import numpy as np
from rank_stats import spearman  # scripts/bench, this script's own directory

HERE = os.path.dirname(os.path.abspath(__file__))
path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, '../../../shared/data/nb201/nb201_accuracy.csv')
rows = sorted(csv.DictReader(open(path)), key=lambda r: int(r['index']))
N = len(rows)
COLUMNS = ('cifar10_test_acc', 'cifar100_test_acc', 'imagenet16_test_acc')
REFERENCE = (0.772, 0.753, 0.704)


def cell_params(arch):
    ops = [token.split('~')[0] for token in arch.replace('+', '').split('|') if token]
    per_c = {'nor_conv_3x3': lambda c: 9 * c * c + 2 * c, 'nor_conv_1x1': lambda c: c * c + 2 * c}
    return sum(5 * per_c[op](c) for c in (16, 32, 64) for op in ops if op in per_c)


params = np.array([cell_params(r['arch_str']) for r in rows], float)
acc = {k: np.array([float(r[k]) for r in rows]) for k in COLUMNS}


def samplers():
    random.seed(0)
    yield 'random.sample(range(N), 1000)', random.sample(range(N), 1000)
    random.seed(0)
    shuffled = list(range(N))
    random.shuffle(shuffled)
    yield 'random.shuffle(range(N))[:1000]', shuffled[:1000]
    np.random.seed(0)
    yield 'np.random.choice(N, 1000, replace=False)', np.random.choice(N, 1000, replace=False)
    np.random.seed(0)
    yield 'np.random.permutation(N)[:1000]', np.random.permutation(N)[:1000]
    yield 'default_rng(0).choice(N, 1000, replace=False)', np.random.default_rng(0).choice(N, 1000, replace=False)
    yield 'default_rng(0).permutation(N)[:1000]', np.random.default_rng(0).permutation(N)[:1000]
    try:
        import torch
        torch.manual_seed(0)
        yield 'torch.randperm(N)[:1000]', torch.randperm(N)[:1000].numpy()
    except ImportError:
        pass
    yield 'the first 1000 indices', range(1000)


print(f'#Params Spearman rho on 1,000 cells drawn with seed 0 ({", ".join(COLUMNS)}); the reference run: {REFERENCE}')
for name, idx in samplers():
    idx = np.array(list(idx))
    rho = tuple(round(spearman(params[idx], acc[k][idx]), 3) for k in COLUMNS)
    mark = '  <- the reference run\'s sample' if rho == REFERENCE else ''
    print(f'  {name:48s} {rho[0]:.3f} {rho[1]:.3f} {rho[2]:.3f}{mark}')
