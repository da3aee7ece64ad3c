#!/usr/bin/python3
"""ZiCo by the reference semantics in PyTorch, over a list of NAS-Bench-201 cells: an independent check of
`zeronas bench proxies` on the same sample (is a Spearman figure ours, or the sample's?).

    npx zeronas bench proxies --sample 1000 --seed 0 --proxies params --cache runs/bench/seed0-params.csv ...
    /usr/bin/python3 scripts/bench/zico_reference_sample.py runs/bench/seed0-params.csv runs/bench/seed0-zico-torch.csv \
        [--truth ../shared/data/nb201/nb201_accuracy.csv --column cifar10_test_acc] [--ours <csv with a zico column>]

Input: a CSV with an `arch` (or `arch_str`) column. Output: CSV `arch,zico_torch,seconds`, appended as cells finish, so an
interrupted run continues where it stopped. Prints Spearman with --truth, and with --ours (the `bench proxies`
cache) the per-cell agreement and both mean times per cell. Times depend on the allocator: run once as is and once
with GLIBC_TUNABLES set to host/util/mallocTuning.ts's value to compare like with like. Network: the golden script's TinyNetwork (scripts/golden/nb201_golden.py,
written from ALGORITHMS.md §B.1), PyTorch default init with torch.manual_seed(--init-seed) before each cell, train
mode. Data: the shipped CIFAR-10 sample, images 0..63 and 64..127, unaugmented, §0.5 normalisation (the reference
run of ALGORITHMS.md §A.1). ZiCo: zero_grad per batch, an independent copy of each gradient, the reference's
float32 NumPy statistics (`zico_float32_reference`). Uses Debian's python3-torch; run with /usr/bin/python3.
"""
import argparse
import csv
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'golden'))
import nb201_golden as g  # noqa: E402
from rank_stats import spearman  # noqa: E402  (scripts/bench, this script's own directory)

SAMPLE = os.path.join(g.REPO, 'data', 'cifar10-sample', 'cifar10_train_512.bin')


def load_batches(batch, batches):
    n = batch * batches
    records = np.fromfile(SAMPLE, dtype=np.uint8)[: n * 3073].reshape(n, 3073)
    labels = torch.from_numpy(records[:, 0].astype(np.int64))
    pixels = torch.from_numpy(records[:, 1:].reshape(n, 3, 32, 32).astype(np.float32)) / 255.0
    mean = torch.tensor([125.3, 123.0, 113.9]).view(1, 3, 1, 1) / 255.0
    std = torch.tensor([63.0, 62.1, 66.7]).view(1, 3, 1, 1) / 255.0
    x = (pixels - mean) / std
    return [(x[b * batch:(b + 1) * batch], labels[b * batch:(b + 1) * batch]) for b in range(batches)]


def zico(arch, data, init_seed):
    torch.manual_seed(init_seed)
    net = g.TinyNetwork(arch, 16, 5, 10)
    per_batch = [g.batch_gradients(net, x, y)[1] for x, y in data]
    stacks = [np.stack([grads[layer] for grads in per_batch]) for layer in range(len(per_batch[0]))]
    return float(g.zico_float32_reference(stacks))


def read_column(path, column):
    with open(path) as f:
        return {r.get('arch') or r.get('arch_str'): float(r[column]) for r in csv.DictReader(f) if r.get(column) not in (None, '', 'NA')}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('archs')
    ap.add_argument('out')
    ap.add_argument('--batch', type=int, default=64)
    ap.add_argument('--batches', type=int, default=2)
    ap.add_argument('--init-seed', type=int, default=0)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--truth')
    ap.add_argument('--column', default='cifar10_test_acc')
    ap.add_argument('--ours', help='a CSV with arch and zico columns (e.g. the bench proxies cache) to compare with')
    ap.add_argument('--repeat', type=int, default=1,
                    help='score each cell this many times and record the median time (after one untimed warm-up)')
    args = ap.parse_args()
    torch.set_num_threads(args.threads)

    with open(args.archs) as f:
        archs = [r.get('arch') or r['arch_str'] for r in csv.DictReader(f)]
    done = read_column(args.out, 'zico_torch') if os.path.exists(args.out) else {}
    data = load_batches(args.batch, args.batches)
    new_file = not os.path.exists(args.out)
    with open(args.out, 'a', newline='') as f:
        w = csv.writer(f)
        if new_file:
            w.writerow(['arch', 'zico_torch', 'seconds'])
        todo = [a for a in archs if a not in done]
        if todo and args.repeat > 1:
            zico(todo[0], data, args.init_seed)  # warm-up: first-call costs (allocator, oneDNN kernels)
        for i, arch in enumerate(todo):
            times = []
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                value = zico(arch, data, args.init_seed)
                times.append(time.perf_counter() - t0)
            seconds = float(np.median(times))
            w.writerow([arch, repr(value), f'{seconds:.4f}'])
            f.flush()
            done[arch] = value
            if (i + 1) % 50 == 0:
                print(f'{i + 1}/{len(todo)} cells', file=sys.stderr, flush=True)

    common = [a for a in archs if a in done]
    if args.truth:
        truth = read_column(args.truth, args.column)
        xs = [a for a in common if a in truth]
        print(f'reference ZiCo vs {args.column}: n={len(xs)} spearman={spearman([done[a] for a in xs], [truth[a] for a in xs]):.4f}')
    seconds = read_column(args.out, 'seconds')
    print(f'reference ZiCo time: mean {np.mean([seconds[a] for a in common]):.3f} s per cell over {len(common)} cells '
          f'(GLIBC_TUNABLES={os.environ.get("GLIBC_TUNABLES", "unset")})')
    if args.ours:
        ours = read_column(args.ours, 'zico')
        xs = [a for a in common if a in ours]
        rel = np.array([abs(ours[a] - done[a]) / max(abs(done[a]), 1e-12) for a in xs])
        print(f'ours vs reference ZiCo: n={len(xs)} spearman={spearman([done[a] for a in xs], [ours[a] for a in xs]):.4f} '
              f'median rel. diff={np.median(rel):.2e} max={rel.max():.2e}')
        ours_seconds = read_column(args.ours, 'zico_seconds')
        ts = [a for a in xs if a in ours_seconds]
        ours_mean, ref_mean = np.mean([ours_seconds[a] for a in ts]), np.mean([seconds[a] for a in ts])
        print(f'time on the same {len(ts)} cells: ours {ours_mean:.3f} s, reference {ref_mean:.3f} s per cell, '
              f'ratio ours/reference {ours_mean / ref_mean:.2f} (each as recorded when its file was written)')


if __name__ == '__main__':
    main()
