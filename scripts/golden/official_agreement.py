#!/usr/bin/python3
"""Procedure-level agreement of our MeCo, MeCo_opt, SWAP and AZ-NAS with their official procedures (issue #21).

    /usr/bin/python3 scripts/golden/official_agreement.py [--seeds 0,1,2,3] [--cells 50] [--swap-repeats 32] \
        [--ours-runs 1:<csv>,2:<csv>] [--table-only]

(about 6 minutes per seed on one loaded core, SWAP's 32 initialisations being most of it). Each seed's sweep seeds
PyTorch and Python's random at its start, so seeds can be run separately (--out-dir elsewhere) and their rows of
official-50.csv concatenated; --table-only recomputes the table from the stored CSVs.

nb201_golden.py checks arithmetic: PyTorch and TypeScript on the SAME exported weights and inputs. This script runs
each official procedure end to end in PyTorch, as ../shared/docs/PROXIES_SOTA.md documents it, with its own random
draws, on the cells of test/fixtures/official-agreement/ours-50.csv (the first 50 cells of the seed-0 1000-cell
sample, with OUR scores), and prints the Spearman correlation between our scores and the official procedure's, per
proxy, for every PyTorch seed given, and between every two PyTorch seeds (the ceiling a one-initialisation procedure can
reach against another draw of itself). It writes test/fixtures/official-agreement/official-50.csv (PyTorch's scores,
one row per seed and cell) and agreement.json (the table); test/unit/host/proxies/officialAgreement.test.ts checks the
table against both CSVs and the doc.

The procedures (PROXIES_SOTA.md sections; the network is nb201_golden.py's xautodl TinyNetwork, imported):
- MeCo (§2, correlation experiment): torch.manual_seed(seed) once per sweep; ONE image drawn as the official loader
  does (a shuffled loader's first item: torch.randperm over the 512 bundled images, RandomCrop(32, padding 4) with
  zero padding, horizontal flip p 0.5), normalised with the MeCo repository's mean/std; the same image for every
  cell; per cell a freshly built network with PyTorch-default init, train mode, a forward hook on every module;
  per call λ_min of the channel correlation (NaN/inf -> 0, float32 torch.linalg.eig), summed. The official network
  is Zero-Cost-NAS's NAS201Model; on the xautodl network it differs by (a) a conv bias inside cells, which train-mode
  BN on the output removes, (b) non-affine BN in cells, equal to affine BN at init (γ 1, β 0), (c) three more hook
  calls: the stem's BN output a third time and the output of the last cell of each stage once more (their
  nn.Sequential stacks). 'meco' adds (c) (NAS201Model multiplicities); 'meco_xautodl' is the plain hook set (what
  ours implements); 'meco_image0' uses image 0 unaugmented with the xautodl mean/std (OUR input) on the same weights.
- MeCo_opt (§2): in the same hooks, λ_min of the correlation of 8 channels from Python random.sample (seeded with
  the sweep seed; the official script leaves it unseeded), times C/8. 'meco_opt' on the official image,
  'meco_opt_image0' on image 0.
- SWAP (§3): the first 16 images unshuffled with the SWAP repository's mean/std; per cell a network, then per repeat
  network_weight_gaussian_init (conv/linear weights N(0,1), biases 0, BN 1/0) and one no-grad train-mode forward;
  distinct sample-wise patterns of the ReLU outputs; 'swap' = mean over --swap-repeats (official driver: 32),
  'swap_1init' = the first repeat (ours uses one initialisation).
- AZ-NAS (§1, tss_general.ipynb): torch.manual_seed(seed) once per sweep; per cell a network, init_model
  'kaiming_norm_fanin' (conv/linear weights N(0, 2/fan_in), biases 0, BN 1/0), x = torch.randn(64, 3, 32, 32), train
  mode; the 17 block-local VJPs draw their Rademacher vectors from block 17 down to 1 (the official loop order);
  '_f32' = the official float32 eigvalsh/svdvals with NaN -> -inf, unsuffixed = float64 with eigenvalues clamped at 0
  (the robust form ours implements). The aggregate is Σ ln(rank/n) over FLOPs (the NATS-Bench API value, = the §1
  formula), expressivity, progressivity and trainability, over the cells scored (n = 50).
"""
import argparse
import csv
import json
import math
import os
import random
import sys
import time

import numpy as np
import torch
import torch.nn as nn
from scipy.stats import rankdata, spearmanr

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nb201_golden as golden  # noqa: E402  (the network builder and the SWAP / AZ-NAS operations)

torch.set_num_threads(1)  # the machine is shared: one core

REPO = golden.REPO
FIXTURE_DIR = os.path.join(REPO, 'test', 'fixtures', 'official-agreement')
DATA = os.path.join(REPO, 'data', 'cifar10-sample', 'cifar10_train_512.bin')
COMMAND = '/usr/bin/python3 scripts/golden/official_agreement.py'

# Normalisations of the official repositories (PROXIES_SOTA.md §2, §3) and of ours (host/data/normalization.ts).
MECO_NORM = ((0.4914, 0.4822, 0.4465), (0.2023, 0.1994, 0.2010))
SWAP_NORM = ((0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616))
OURS_NORM = ((125.3 / 255, 123.0 / 255, 113.9 / 255), (63.0 / 255, 62.1 / 255, 66.7 / 255))
# NAS201Model hooks these xautodl module outputs once more (stem wrapper; the stage stacks end at cells 4, 10, 16).
NAS201MODEL_EXTRA_CALLS = ('stem.1', 'cells.4', 'cells.10', 'cells.16')
AZ_BATCH = 64
SWAP_BATCH = 16


def read_images():
    raw = np.fromfile(DATA, dtype=np.uint8)
    records = raw.reshape(-1, 3073)
    return torch.from_numpy(records[:, 1:].reshape(-1, 3, 32, 32).astype(np.float32) / 255.0)


def normalise(x, norm):
    mean, std = (torch.tensor(v).view(1, 3, 1, 1) for v in norm)
    return (x - mean) / std


def official_meco_image(pixels):
    """A first item of the official shuffled, augmented loader (torchvision RandomCrop(32, padding=4) pads with
    zeros, then RandomHorizontalFlip), drawn from torch's global generator. The same distribution, not the same draw:
    DataLoader's sampler seeds a generator of its own, and the official loader shuffles all 50,000 images."""
    index = int(torch.randperm(pixels.shape[0])[0])
    padded = torch.nn.functional.pad(pixels[index:index + 1], (4, 4, 4, 4))
    top = int(torch.randint(0, 9, (1,)))
    left = int(torch.randint(0, 9, (1,)))
    img = padded[:, :, top:top + 32, left:left + 32]
    flipped = bool(torch.rand(1) < 0.5)
    if flipped:
        img = torch.flip(img, dims=[3])
    return normalise(img, MECO_NORM), {'index': index, 'top': top, 'left': left, 'flipped': flipped}


def lambda_min32(fea):
    corr = torch.corrcoef(fea)
    corr[torch.isnan(corr)] = 0
    corr[torch.isinf(corr)] = 0
    return float(torch.min(torch.real(torch.linalg.eig(corr)[0])))


def meco_terms(net, x, rng):
    """One forward with a hook on every module but the root: per call (module name, MeCo term, MeCo_opt term)."""
    net.train()
    calls = []

    def hook_for(name):
        def hook(module, inputs, output):
            fea = output[0].detach()
            fea = fea.reshape(fea.shape[0], -1)
            c = fea.shape[0]
            picked = rng.sample(range(c), 8)
            calls.append((name, lambda_min32(fea), lambda_min32(fea[picked]) * c / 8))
        return hook

    handles = [m.register_forward_hook(hook_for(name)) for name, m in net.named_modules() if name != '']
    with torch.no_grad():
        net(x)
    for h in handles:
        h.remove()
    return calls


def finite_sum(values):
    return sum(v for v in values if math.isfinite(v))


def meco_scores(net, x, rng):
    calls = meco_terms(net, x, rng)
    xautodl = finite_sum(v for _, v, _ in calls)
    extra = finite_sum(v for name, v, _ in calls if name in NAS201MODEL_EXTRA_CALLS)
    opt = finite_sum(v for _, _, v in calls)
    return xautodl, xautodl + extra, opt, len(calls)


def gaussian_init(net):
    """SWAP's network_weight_gaussian_init."""
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.normal_(m.weight)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)


def swap_count(net, x):
    """golden.swap's count (distinct columns of sign(ReLU outputs)) with PROXIES_SOTA.md §3's exact shortcut: each
    column's B-bit pattern as one integer, then distinct integers (checked equal to golden.swap on the first cell)."""
    feats, _ = golden.relu_outputs(net, x)
    s = (torch.cat(feats, 1) > 0).to(torch.int64)
    weights = (2 ** torch.arange(s.shape[0], dtype=torch.int64)).view(-1, 1)
    return int(torch.unique((s * weights).sum(0)).numel())


def kaiming_fanin_init(net):
    """AZ-NAS's init_model(model, 'kaiming_norm_fanin')."""
    for m in net.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            nn.init.kaiming_normal_(m.weight, mode='fan_in', nonlinearity='relu')
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)


def nb201_flops(arch):
    """§1: MFLOPs of the NATS-Bench API for CIFAR-10, from the numbers of 3x3 and 1x1 convs per cell."""
    ops = [op for node in golden.parse_arch(arch) for op, _ in node]
    return 7.78305 + 35.389440 * ops.count('nor_conv_3x3') + 3.932160 * ops.count('nor_conv_1x1')


def feature_shapes(net, x):
    with torch.no_grad():
        f = net.stem(x)
        shapes = [tuple(f.shape)]
        for cell in net.cells:
            f = cell(f)
            shapes.append(tuple(f.shape))
    return shapes


def net_for(arch):
    return golden.TinyNetwork(arch, 16, 5, 10)


def run_seed(seed, archs, pixels, swap_repeats):
    rows = {a: {'seed': seed, 'arch': a, 'flops': nb201_flops(a)} for a in archs}
    t0 = time.time()

    # MeCo / MeCo_opt: one sweep, seeded once.
    torch.manual_seed(seed)
    rng = random.Random(seed)
    rng0 = random.Random(seed + 1000)  # image 0's MeCo_opt draws, kept off the official stream
    image, info = official_meco_image(pixels)
    image0 = normalise(pixels[:1], OURS_NORM)
    print(f'seed {seed}: MeCo image = bundled image {info}', flush=True)
    for i, a in enumerate(archs):
        net = net_for(a)
        xautodl, nas201, opt, calls = meco_scores(net, image, rng)
        xautodl0, _, opt0, _ = meco_scores(net, image0, rng0)
        rows[a].update(meco=nas201, meco_xautodl=xautodl, meco_image0=xautodl0, meco_opt=opt, meco_opt_image0=opt0)
        if i == 0:  # the local hook set must equal nb201_golden.meco's
            ref = golden.meco(net, image0)
            assert abs(ref['value'] - xautodl0) <= 1e-6 * max(1.0, abs(xautodl0)) and ref['calls'] == calls, (ref, xautodl0, calls)
    print(f'seed {seed}: MeCo/MeCo_opt {time.time() - t0:.0f} s', flush=True)

    # SWAP: never seeded by the official code; seeded here for reproducibility.
    t0 = time.time()
    torch.manual_seed(seed)
    x16 = normalise(pixels[:SWAP_BATCH], SWAP_NORM)
    for i, a in enumerate(archs):
        net = net_for(a)
        counts = []
        for _ in range(swap_repeats):
            gaussian_init(net)
            counts.append(swap_count(net, x16))
            if i == 0 and len(counts) == 1:
                assert golden.swap(net, x16)['value'] == counts[0], 'the pattern-code shortcut differs from torch.unique'
        rows[a].update(swap=float(np.mean(counts)), swap_1init=counts[0])
    print(f'seed {seed}: SWAP ({swap_repeats} inits) {time.time() - t0:.0f} s', flush=True)

    # AZ-NAS: prepare_seed once for the sweep, then per cell: build, re-init, randn input, Rademacher per block.
    t0 = time.time()
    torch.manual_seed(seed)
    for a in archs:
        net = net_for(a)
        net.train()
        kaiming_fanin_init(net)
        x = torch.randn(AZ_BATCH, 3, 32, 32)
        shapes = feature_shapes(net, x)
        g_outs = [None] * (len(shapes) - 1)
        for l in range(len(shapes) - 1, 0, -1):
            g_outs[l - 1] = (torch.bernoulli(torch.full(shapes[l], 0.5)) - 0.5) * 2
        az = golden.az_nas(net, x, g_outs)
        for kind, suffix in (('robust', ''), ('official', '_f32')):
            for score in ('expressivity', 'progressivity', 'trainability'):
                rows[a][f'az_{score}{suffix}'] = float(az[kind][score])
    print(f'seed {seed}: AZ-NAS {time.time() - t0:.0f} s', flush=True)
    return [rows[a] for a in archs]


def log_rank(columns):
    """AZ-NAS's aggregation: Σ ln(rankdata(m) / n), -inf ranking lowest."""
    n = len(columns[0])
    return [float(v) for v in sum(np.log(rankdata(np.asarray(c, dtype=np.float64)) / n) for c in columns)]


def rho(x, y):
    return float(spearmanr(rankdata(x), rankdata(y)).correlation)


# (label, our column, the official procedure's column). az_nas columns are aggregates built in `comparisons`.
COMPARISONS = [
    ('meco', 'meco', 'meco', 'official: augmented random image, NAS201Model call multiplicities'),
    ('meco', 'meco', 'meco_xautodl', 'official image, xautodl hook set'),
    ('meco', 'meco', 'meco_image0', 'image 0 unaugmented (our input), xautodl hook set'),
    ('meco_opt', 'meco_opt', 'meco_opt', 'official: augmented random image'),
    ('meco_opt', 'meco_opt', 'meco_opt_image0', 'image 0 unaugmented (our input)'),
    ('swap', 'swap', 'swap', 'official: mean of the repeats'),
    ('swap', 'swap', 'swap_1init', 'one initialisation (as ours)'),
    ('az_expressivity', 'az_expressivity', 'az_expressivity', 'float64, clamped (robust, as ours)'),
    ('az_expressivity', 'az_expressivity', 'az_expressivity_f32', 'official float32, NaN -> -inf'),
    ('az_progressivity', 'az_progressivity', 'az_progressivity', 'float64, clamped (robust, as ours)'),
    ('az_progressivity', 'az_progressivity', 'az_progressivity_f32', 'official float32, NaN -> -inf'),
    ('az_trainability', 'az_trainability', 'az_trainability', 'float64, clamped (robust, as ours)'),
    ('az_trainability', 'az_trainability', 'az_trainability_f32', 'official float32, NaN -> -inf'),
    ('flops', 'flops', 'flops', 'FLOPs of the §1 formula (the spec\'s API value)'),
    ('az_nas', 'az_nas', 'az_nas', 'log-rank of FLOPs + the three, robust'),
    ('az_nas', 'az_nas', 'az_nas_f32', 'log-rank of FLOPs + the three, official float32'),
    ('az_nas', 'az_nas', 'az_nas_our_flops', 'robust, with our FLOPs column on both sides'),
]


def with_aggregates(rows, our_flops=None):
    """Adds az_nas (and az_nas_f32 when the float32 columns exist) over the given rows; with our_flops (our FLOPs
    column, same cell order) also az_nas_our_flops: the robust aggregate with our FLOPs in place of the API's, which
    isolates the three AZ-NAS scores from the FLOPs convention (ours counts pooling, BN and ReLU as NAS-Bench-201's
    `flops` column of NASLib does; §1's formula counts convolutions and the classifier only)."""
    out = [dict(r) for r in rows]
    variants = [('', 'flops', ''), ('_f32', 'flops', '_f32')] + ([('_our_flops', None, '')] if our_flops else [])
    for name, flops_key, suffix in variants:
        cols = [f'az_expressivity{suffix}', f'az_progressivity{suffix}', f'az_trainability{suffix}']
        if cols[0] not in out[0]:
            continue
        flops = [float(r[flops_key]) for r in out] if flops_key else our_flops
        agg = log_rank([flops] + [[float(r[c]) for r in out] for c in cols])
        for r, v in zip(out, agg):
            r[f'az_nas{name}'] = v
    return out


OURS_SEEDS_CSV = os.path.join(FIXTURE_DIR, 'ours-50-seeds.csv')
OURS_COLUMNS = ['meco', 'meco_opt', 'swap', 'az_expressivity', 'az_progressivity', 'az_trainability', 'flops']


def read_ours_runs(spec, archs):
    """Our scores of the same cells at other seeds: from `zeronas score` CSVs (spec 'seed:path,...'), which are then
    stored as ours-50-seeds.csv, or from that file."""
    by_seed = {}
    if spec:
        for item in spec.split(','):
            seed, path = item.split(':', 1)
            rows = {r['arch']: r for r in csv.DictReader(open(path))}
            missing = [a for a in archs if a not in rows or rows[a].get('errors')]
            assert not missing, f'{path}: no clean score for {len(missing)} cells, e.g. {missing[:1]}'
            by_seed[int(seed)] = [{'seed': seed, 'arch': a, **{c: rows[a][c] for c in OURS_COLUMNS}} for a in archs]
        with open(OURS_SEEDS_CSV, 'w', newline='') as f:
            w = csv.writer(f, lineterminator='\n')
            w.writerow(['seed', 'arch'] + OURS_COLUMNS)
            for rows in by_seed.values():
                for r in rows:
                    w.writerow([r['seed'], r['arch']] + [r[c] for c in OURS_COLUMNS])
    elif os.path.exists(OURS_SEEDS_CSV):
        for r in csv.DictReader(open(OURS_SEEDS_CSV)):
            by_seed.setdefault(int(r['seed']), []).append(r)
        for seed, rows in by_seed.items():
            assert [r['arch'] for r in rows][: len(archs)] == archs, f'ours-50-seeds.csv: seed {seed} cells differ'
            by_seed[seed] = rows[: len(archs)]
    return by_seed


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--seeds', default='0,1,2,3', help='PyTorch seeds, one sweep each (default 0,1,2,3)')
    parser.add_argument('--cells', type=int, default=50, help='first n cells of ours-50.csv (default 50)')
    parser.add_argument('--swap-repeats', type=int, default=32, help='SWAP initialisations per cell (official 32)')
    parser.add_argument('--out-dir', default=FIXTURE_DIR, help='where official-50.csv and agreement.json go')
    parser.add_argument('--ours-runs', default='',
                        help='seed:csv,... of `zeronas score --archs <the 50 cells> --seed <seed>` outputs: stored as '
                             'ours-50-seeds.csv (read from there when omitted), for our own seed-to-seed figures')
    parser.add_argument('--table-only', action='store_true',
                        help='recompute the table from the existing official-50.csv in --out-dir (no PyTorch runs)')
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(',')]

    ours = list(csv.DictReader(open(os.path.join(FIXTURE_DIR, 'ours-50.csv'))))[: args.cells]
    archs = [r['arch'] for r in ours]
    pixels = read_images()
    ours = with_aggregates(ours)
    our_flops = [float(r['flops']) for r in ours]
    ours_by_seed = {0: ours}
    for seed, rows in read_ours_runs(args.ours_runs, archs).items():
        ours_by_seed[seed] = with_aggregates(rows)
    csv_path = os.path.join(args.out_dir, 'official-50.csv')

    official = {}
    if args.table_only:  # recompute the table from an existing official-50.csv
        stored = list(csv.DictReader(open(csv_path)))
        for seed in seeds:
            rows = [r for r in stored if int(r['seed']) == seed]
            assert [r['arch'] for r in rows] == archs, f'{csv_path}: seed {seed} does not hold the {len(archs)} cells'
            official[seed] = with_aggregates(rows, our_flops)
    else:
        for seed in seeds:
            official[seed] = with_aggregates(run_seed(seed, archs, pixels, args.swap_repeats), our_flops)

    columns = ['seed', 'arch', 'flops', 'meco', 'meco_xautodl', 'meco_image0', 'meco_opt', 'meco_opt_image0', 'swap',
               'swap_1init', 'az_expressivity', 'az_progressivity', 'az_trainability', 'az_expressivity_f32',
               'az_progressivity_f32', 'az_trainability_f32']
    if not args.table_only:
        os.makedirs(args.out_dir, exist_ok=True)
        with open(csv_path, 'w', newline='') as f:
            w = csv.writer(f, lineterminator='\n')
            w.writerow(columns)
            for seed in seeds:
                for r in official[seed]:
                    w.writerow([r[c] if isinstance(r[c], str) else f'{r[c]:.10g}' for c in columns])

    table = []
    header = f"{'proxy':17} {'official-procedure variant':62} {'n':>3} " + ' '.join(f'{"s" + str(s):>6}' for s in seeds)
    header += '  seed-to-seed (mean, min over pairs)' if len(seeds) > 1 else ''
    header += ('  ours seed-to-seed, ours vs official (means over pairs); mean ranks: ours vs official, official '
               'first vs second half of the seeds') if len(ours_by_seed) > 1 else ''
    print('\nSpearman, ours vs the official procedure in PyTorch (one column per PyTorch seed):')
    print(header)
    for proxy, ours_col, off_col, variant in COMPARISONS:
        x = [float(r[ours_col]) for r in ours]
        per_seed = {str(s): rho(x, [float(r[off_col]) for r in official[s]]) for s in seeds}
        entry = {'proxy': proxy, 'ours': ours_col, 'official': off_col, 'variant': variant, 'n': len(x),
                 'spearman': per_seed}
        line = f'{proxy:17} {variant:62} {len(x):3d} ' + ' '.join(f'{per_seed[str(s)]:6.3f}' for s in seeds)
        if len(seeds) > 1:
            pairs = {f'{a}-{b}': rho([float(r[off_col]) for r in official[a]], [float(r[off_col]) for r in official[b]])
                     for i, a in enumerate(seeds) for b in seeds[i + 1:]}
            entry['seedToSeed'] = float(np.mean(list(pairs.values())))
            entry['seedToSeedMin'] = min(pairs.values())
            entry['seedPairs'] = pairs
            line += f"  {entry['seedToSeed']:6.3f} {entry['seedToSeedMin']:6.3f}"
        if len(ours_by_seed) > 1:
            ys = {s: [float(r[ours_col]) for r in rows] for s, rows in ours_by_seed.items()}
            keys = sorted(ys)
            entry['oursSeedToSeed'] = float(np.mean([rho(ys[a], ys[b]) for i, a in enumerate(keys) for b in keys[i + 1:]]))
            entry['oursSeeds'] = keys
            entry['oursVsOfficialAllPairs'] = float(np.mean(
                [rho(ys[a], [float(r[off_col]) for r in official[b]]) for a in keys for b in seeds]))
            line += f"  {entry['oursSeedToSeed']:6.3f} {entry['oursVsOfficialAllPairs']:6.3f}"
            # Averaging each side's ranks over its draws removes most draw noise: what is left is a real difference.
            mean_ours = np.mean([rankdata(ys[k]) for k in keys], axis=0)
            off_ranks = [rankdata([float(r[off_col]) for r in official[b]]) for b in seeds]
            entry['meanRanks'] = rho(mean_ours, np.mean(off_ranks, axis=0))
            half = len(seeds) // 2
            entry['officialHalves'] = rho(np.mean(off_ranks[:half], axis=0), np.mean(off_ranks[half:], axis=0))
            line += f"  {entry['meanRanks']:6.3f} {entry['officialHalves']:6.3f}"
        print(line)
        table.append(entry)

    if len(ours_by_seed) > 1 and len(seeds) > 1:
        # Is a draw of ours spread like a draw of the official procedure, around the same values? (finite cells only)
        print('\nper cell, over the draws of each side (cells finite everywhere): mean of the scores, and the mean '
              'standard deviation of one draw around its cell\'s mean')
        spread = {}
        for name in ('meco', 'meco_opt', 'swap', 'az_expressivity', 'az_progressivity', 'az_trainability'):
            off_col = 'swap_1init' if name == 'swap' else name
            o = np.array([[float(r[name]) for r in rows] for rows in ours_by_seed.values()])
            f = np.array([[float(r[off_col]) for r in official[b]] for b in seeds])
            keep = np.all(np.isfinite(o), 0) & np.all(np.isfinite(f), 0)
            spread[name] = {'cells': int(keep.sum()), 'oursMean': float(o[:, keep].mean()),
                            'officialMean': float(f[:, keep].mean()),
                            'oursDrawSd': float(o[:, keep].std(0, ddof=1).mean()),
                            'officialDrawSd': float(f[:, keep].std(0, ddof=1).mean())}
            v = spread[name]
            print(f"{name:17} cells {v['cells']:2d}  mean ours {v['oursMean']:.6g} official {v['officialMean']:.6g}  "
                  f"draw sd ours {v['oursDrawSd']:.4g} official {v['officialDrawSd']:.4g}")

    summary = {
        '_generatedBy': f'{COMMAND} --seeds {args.seeds} --cells {args.cells} --swap-repeats {args.swap_repeats}'
                        + (' --table-only' if args.table_only else ''),
        '_about': 'Spearman between our scores (ours-50.csv) and the official procedures run in PyTorch '
                  '(official-50.csv); seedPairs = between two PyTorch seeds of the official procedure, seedToSeed = their mean, '
                  'seedToSeedMin = their minimum (the ceiling a one-draw procedure reaches against itself); '
                  'oursSeedToSeed = the mean between two of our seeds (ours-50-seeds.csv and seed 0), '
                  'oursVsOfficialAllPairs = the mean over every (our seed, PyTorch seed) pair; meanRanks = between the mean '
                  'ranks over our seeds and over the PyTorch seeds (draw noise averaged out); officialHalves = between '
                  'the mean ranks over the first and the second half of the PyTorch seeds (its ceiling). '
                  'See the script docstring.',
        'reference': {'torch': torch.__version__, 'numpy': np.__version__, 'threads': torch.get_num_threads()},
        'seeds': seeds,
        'swapRepeats': args.swap_repeats,
        'table': table,
        'drawSpread': spread if len(ours_by_seed) > 1 and len(seeds) > 1 else None,
    }
    with open(os.path.join(args.out_dir, 'agreement.json'), 'w') as f:
        json.dump(summary, f, indent=1)
        f.write('\n')
    print(f"\nwrote {'' if args.table_only else csv_path + ' and '}{os.path.join(args.out_dir, 'agreement.json')}")


if __name__ == '__main__':
    main()
