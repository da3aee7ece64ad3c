#!/usr/bin/python3
"""Times one fwd+bwd of a zeronas IR graph in PyTorch CPU, for the ratio printed by scripts/bench/trainingGraph.ts.
Input: JSON {"graph": <host/ir/graph.ts Graph>, "shapes": {tensor: per-sample shape}}. BN in train mode, mean CE
on random labels, gradients of every trainable parameter, PyTorch-default uniform init. Uses Debian's python3-torch
(run with /usr/bin/python3); torch.set_num_threads(threads) because Debian's torch defaults to 1 thread here.

    /usr/bin/python3 scripts/bench/torch_reference.py model.json [--batch 64] [--threads 2] [--reps 10]
Prints `torch <version> threads=<n> median_ms=<float>`.
"""
import argparse
import json
import math
import statistics
import time

import torch
import torch.nn.functional as F


def build_params(graph, shapes):
    params = {}
    for n in graph["nodes"]:
        a, name = n["attrs"], n["name"]
        if n["op"] == "conv2d":
            ci = shapes[n["inputs"][0]][0]
            bound = 1 / math.sqrt(ci // a["groups"] * a["kernel"] ** 2)
            params[name + ".weight"] = torch.empty(a["outChannels"], ci // a["groups"], a["kernel"], a["kernel"]).uniform_(-bound, bound)
            if a["bias"]:
                params[name + ".bias"] = torch.empty(a["outChannels"]).uniform_(-bound, bound)
        elif n["op"] == "linear":
            fi = shapes[n["inputs"][0]][0]
            bound = 1 / math.sqrt(fi)
            params[name + ".weight"] = torch.empty(a["outFeatures"], fi).uniform_(-bound, bound)
            if a["bias"]:
                params[name + ".bias"] = torch.empty(a["outFeatures"]).uniform_(-bound, bound)
        elif n["op"] == "batchNorm":
            c = shapes[n["inputs"][0]][0]
            params[name + ".weight"] = torch.ones(c)
            params[name + ".bias"] = torch.zeros(c)
    for p in params.values():
        p.requires_grad_(True)
    return params


def forward(graph, params, x):
    v = {}
    for n in graph["nodes"]:
        a, name, op = n["attrs"], n["name"], n["op"]
        ins = [v[i] for i in n["inputs"]]
        if op == "input":
            y = x
        elif op == "conv2d":
            y = F.conv2d(ins[0], params[name + ".weight"], params.get(name + ".bias"), a["stride"], a["padding"], a["dilation"], a["groups"])
        elif op == "batchNorm":
            y = F.batch_norm(ins[0], None, None, params[name + ".weight"], params[name + ".bias"], True, a["momentum"], a["eps"])
        elif op == "relu":
            y = F.relu(ins[0])
        elif op == "relu6":
            y = F.relu6(ins[0])
        elif op == "hardSwish":
            y = F.hardswish(ins[0])
        elif op == "add":
            y = ins[0]
            for t in ins[1:]:
                y = y + t
        elif op == "concat":
            y = torch.cat(ins, 1)
        elif op == "avgPool":
            y = F.avg_pool2d(ins[0], a["kernel"], a["stride"], a["padding"], count_include_pad=a["countIncludePad"])
        elif op == "maxPool":
            y = F.max_pool2d(ins[0], a["kernel"], a["stride"], a["padding"])
        elif op == "globalAvgPool":
            y = F.adaptive_avg_pool2d(ins[0], 1)
        elif op == "flatten":
            y = ins[0].flatten(1)
        elif op == "linear":
            y = F.linear(ins[0], params[name + ".weight"], params.get(name + ".bias"))
        elif op == "identity":
            y = ins[0]
        elif op == "zero":
            s = a["stride"]
            y = ins[0].mul(0.0) if s == 1 else ins[0][:, :, ::s, ::s].mul(0.0)
        else:
            raise ValueError("unknown op " + op)
        v[name] = y
    return v[graph["output"]]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--reps", type=int, default=10)
    ap.add_argument("--zico", action="store_true", help="time the whole ZiCo procedure per architecture instead")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    with open(args.model) as f:
        model = json.load(f)
    graph, shapes = model["graph"], model["shapes"]
    inp = next(n for n in graph["nodes"] if n["op"] == "input")
    x = torch.rand(args.batch, *inp["attrs"]["shape"]) * 2 - 1
    params = build_params(graph, shapes)
    labels = torch.randint(0, shapes[graph["output"]][0], (args.batch,))

    def step():
        for p in params.values():
            p.grad = None
        F.cross_entropy(forward(graph, params, x), labels).backward()

    if args.zico:
        print(f"torch {torch.__version__} threads={torch.get_num_threads()} zico_median_ms={zico_ms(graph, shapes, args):.2f}")
        return
    for _ in range(2):
        step()
    times = []
    for _ in range(args.reps):
        t0 = time.perf_counter()
        step()
        times.append((time.perf_counter() - t0) * 1000)
    print(f"torch {torch.__version__} threads={torch.get_num_threads()} median_ms={statistics.median(times):.2f}")


def zico_procedure(graph, shapes, batch):
    """The reference ZiCo procedure (compute_zico.py semantics) for one architecture as a callable, end to end: build
    the network (fresh default init), two batches of fwd + bwd with zero_grad, an independent copy of each
    conv/linear weight gradient, then the NumPy statistics (std of the signed gradient, ddof 0, exact-zero skip)."""
    import numpy as np
    inp = next(n for n in graph["nodes"] if n["op"] == "input")
    k = shapes[graph["output"]][0]
    xs = [torch.rand(batch, *inp["attrs"]["shape"]) * 2 - 1 for _ in range(2)]
    ys = [torch.randint(0, k, (batch,)) for _ in range(2)]
    layer_names = [n["name"] + ".weight" for n in graph["nodes"] if n["op"] in ("conv2d", "linear")]

    def once():
        params = build_params(graph, shapes)
        grads = {name: [] for name in layer_names}
        for x, y in zip(xs, ys):
            for p in params.values():
                p.grad = None
            F.cross_entropy(forward(graph, params, x), y).backward()
            for name in layer_names:
                grads[name].append(params[name].grad.reshape(-1).detach().cpu().numpy().copy())
        score = 0.0
        for name in layer_names:
            g = np.stack(grads[name])
            std = np.std(g, axis=0)
            nz = std != 0
            s = np.sum(np.mean(np.abs(g), axis=0)[nz] / std[nz])
            if s != 0:
                score += np.log(s)
        return score

    return once


def zico_ms(graph, shapes, args):
    """Median wall time of `zico_procedure` over --reps calls, after one warm-up call."""
    once = zico_procedure(graph, shapes, args.batch)
    once()
    times = []
    for _ in range(args.reps):
        t0 = time.perf_counter()
        once()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


if __name__ == "__main__":
    main()
