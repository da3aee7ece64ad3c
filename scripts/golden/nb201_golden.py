#!/usr/bin/python3
"""Step 2 of the NB201 golden values: the PyTorch reference.

    npx tsx scripts/golden/exportGoldenModels.ts [outDir] && /usr/bin/python3 scripts/golden/nb201_golden.py [outDir]

Needs Debian's python3-torch (1.13) and python3-onnx; run with /usr/bin/python3. Reads the ONNX models and input
tensors written by exportGoldenModels.ts (outDir defaults to $ZERONAS_GOLDEN_DIR or <tmpdir>/zeronas-golden) and
writes test/fixtures/golden/nb201_golden.json.

The network is an independent PyTorch implementation of xautodl's TinyNetwork / InferCell / ReLUConvBN /
ResNetBasicblock / POOLING / Zero / Identity, written from ALGORITHMS.md §B.1 (not imported from xautodl). Module
names equal xautodl's, so the state_dict keys equal the ONNX initializer names written by our exporter; weights are
loaded from those initializers with onnx.numpy_helper, so PyTorch and TypeScript start from identical tensors.
Every proxy runs on a fresh copy of the network (ALGORITHMS.md §F.6), in train mode (§0.3), float32 except
synflow (float64). The proxy semantics follow ALGORITHMS.md §A; each deliberate choice is listed in CONVENTIONS.
"""
import hashlib
import json
import math
import os
import sys
import tempfile

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
from onnx import numpy_helper

torch.set_num_threads(2)
torch.manual_seed(0)

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..'))
OUT_FILE = os.path.join(REPO, 'test', 'fixtures', 'golden', 'nb201_golden.json')
COMMAND = 'npx tsx scripts/golden/exportGoldenModels.ts && /usr/bin/python3 scripts/golden/nb201_golden.py'

CONVENTIONS = {
    'all': 'Fresh network per proxy, weights loaded from the ONNX initializers, model.train() (BN batch statistics), '
           'float32; cross-entropy with mean reduction and real labels where labels are used (ALGORITHMS.md §0.3, §0.4). '
           '"layers" = every Conv2d and Linear weight in module-registration order (§0.1). Gradient statistics and '
           'sums below are taken in float64 from the float32 gradients unless a key says float32. Numbers keep 10 '
           'significant digits; non-finite ones are the strings "nan", "inf", "-inf"; a proxy that raised is recorded '
           'as {"error": ...}.',
    'batch1': 'Real batch 1 = images 0..63 of the shipped sample; batch 2 = images 64..127 (unaugmented).',
    'forward': 'eval: model.eval() on a fresh network (running stats 0/1), the mode of the ONNX inference model; '
               'train: model.train() on a fresh network. Both on batch 1. logitsFirstRows = the first 4 rows.',
    'zico': '§A.1: N=2 batches (batch 1, batch 2), zero_grad before each batch, an independent copy of each '
            'gradient. value: float64 statistics (what host/proxies/math/zico.ts computes); valueFloat32Reference: the '
            "reference's float32 NumPy arithmetic (np.std ddof 0 of the signed gradient, exact-zero skip). "
            'noZeroGradVariant: the same statistics when the second gradient accumulates onto the first (g1, g1+g2), '
            'as the stored SLDGroup/ZiCo compute_zico.py::getzico would on GPU (it never calls zero_grad; other '
            'copies of that function do). layerS: S_l per layer (0 = skipped). gradNorms: per-layer L2 norms per batch.',
    'grad_norm': '§A.4 survey version: Σ_l ‖∂L/∂W_l‖₂ over conv/linear weights, batch 1 (the gradients of ZiCo batch 1).',
    'snip': '§A.5: Σ |W ⊙ ∂L/∂W| on batch 1, from the ordinary weight gradient (equal to |∂L/∂mask| of the mask form).',
    'plain': '§A.13: Σ W ⊙ ∂L/∂W on batch 1.',
    'grasp': '§A.6: T=1, one iteration on batch 1: g = dL/dW without graph, then z = Σ ⟨g, dL/dW (with graph)⟩, '
             'z.backward() gives H·g; score Σ -W ⊙ Hg.',
    'fisher': '§A.7 mode channel: hooks on every conv/linear output z and its gradient on batch 1; '
              'Fisher_k = ½ mean_n (Σ_spatial z·δ)²; score Σ_l Σ_k |Fisher_lk| · C_in/groups·k·k. layerSums: Σ_k Fisher_lk.',
    'synflow': '§A.8 survey version: abs() of every state_dict entry (BN running stats included), model.double(), '
               'BN kept in train mode, all-ones input [1,3,32,32], R = Σ logits, score Σ |W ⊙ ∂R/∂W| over conv/linear weights.',
    'jacob_cov': '§A.9: x = batch 1 with requires_grad, logits.backward(ones); C = np.corrcoef(J) (float64); value uses '
                 'np.linalg.eigvalsh (the symmetric solver the TS port uses); valueNpEig uses np.linalg.eig as the reference.',
    'swap': 'PROXIES_SOTA.md §3: the gaussian weights (N(0,1) conv/linear, biases 0, BN 1/0), images 0..15 of batch 1, '
            'train mode, outputs of every nn.ReLU with a 4-D input, number of distinct sample-wise sign patterns.',
    'meco': 'PROXIES_SOTA.md §2: PyTorch-default weights, image 0 of batch 1 alone, train mode, a hook on every module '
            'except the root; value: float32 torch.linalg.eig as the official code; value64: symmetric float64.',
    'az_nas': 'PROXIES_SOTA.md §1: kaiming-normal fan-in weights (<id>.kaiming.onnx), Gaussian input az_x.f32 [64,3,32,32], '
              'train mode, features = stem and cell outputs, block-local VJPs of the Rademacher g_out fed from az_gout_<config>.f32 '
              '(blocks 1..L in order); official: float32 eigvalsh/svdvals, NaN -> -inf; robust: float64, eigenvalues clamped at 0.',
    'naswot': '§A.10, ZiCo-repo semantics on the REAL batch 1 with PyTorch-default init: forward hooks on every nn.ReLU '
              'module, code = (ReLU input > 0), K accumulated in float64 (exact integers), value = slogdet(K)[1]. '
              'valueTypeNameMatch: hooks on every module whose type name contains "ReLU" as the survey/NASLib do, which '
              'on NB201 also catches ReLUConvBN and so counts every conv edge input twice.',
    'ntk': '§A.12 ZiCo-repo get_ntk_n on the REAL batch 1, PyTorch-default init, train mode: one forward, then per sample '
           'logits[i:i+1].backward(ones, retain_graph=True); row = concat of grads of every parameter whose name '
           'contains "weight" (BN gammas included). value = -cond with cond = λmax/λmin of the float64 NTK from '
           'np.linalg.eigvalsh; conditionFloat32Reference: torch float32 einsum + eigvalsh as the reference computes it.',
    'linear_regions': '§A.12 Linear_Region_Collector: Gaussian input lr_x (gaussianTensor seed 1003, [64,3,32,32]), '
                      'PyTorch-default init, train mode, forward hooks on nn.ReLU modules with 4-D input collecting '
                      'OUTPUTS; value = number of distinct sign patterns = Σ_i 1/Σ_j Same_ij (checked equal).',
    'zen': '§A.11: Gaussian init (the .gaussian.onnx weights), train mode, no grad; x = zen_x (seed 1001), '
           "x' = zen_x_perturbed = x + 0.01·eps (eps seed 1002, float32, computed in TS); f = lastact output "
           "(BN+ReLU, before GAP); Δ = mean_n Σ|f(x) - f(x')|; score = ln Δ + Σ_BN ln sqrt(mean running_var) read "
           'after both passes. bnRunningVarMeans in module order.',
}


# ----------------------------------------------------------------------------------------------------------------
# NB201 network (xautodl TinyNetwork), written from ALGORITHMS.md §B.1
# ----------------------------------------------------------------------------------------------------------------
class ReLUConvBN(nn.Module):
    def __init__(self, c_in, c_out, kernel, stride, padding):
        super().__init__()
        self.op = nn.Sequential(
            nn.ReLU(inplace=False),
            nn.Conv2d(c_in, c_out, kernel, stride=stride, padding=padding, bias=False),
            nn.BatchNorm2d(c_out, affine=True, track_running_stats=True),
        )

    def forward(self, x):
        return self.op(x)


class POOLING(nn.Module):
    """avg_pool_3x3 with C_in == C_out (no preprocess): AvgPool 3x3, pad 1, count_include_pad=False."""

    def __init__(self, stride):
        super().__init__()
        self.op = nn.AvgPool2d(3, stride=stride, padding=1, count_include_pad=False)

    def forward(self, x):
        return self.op(x)


class Zero(nn.Module):
    def forward(self, x):
        return x.mul(0.0)


class Identity(nn.Module):
    def forward(self, x):
        return x


def make_op(name, c):
    if name == 'none':
        return Zero()
    if name == 'skip_connect':
        return Identity()
    if name == 'nor_conv_1x1':
        return ReLUConvBN(c, c, 1, 1, 0)
    if name == 'nor_conv_3x3':
        return ReLUConvBN(c, c, 3, 1, 1)
    if name == 'avg_pool_3x3':
        return POOLING(1)
    raise ValueError(name)


def parse_arch(arch):
    nodes = []
    for group in arch.split('+'):
        edges = []
        for token in group.strip('|').split('|'):
            op, inp = token.split('~')
            edges.append((op, int(inp)))
        nodes.append(edges)
    assert [len(n) for n in nodes] == [1, 2, 3], arch
    return nodes


class InferCell(nn.Module):
    def __init__(self, genotype, c):
        super().__init__()
        self.layers = nn.ModuleList()
        self.node_IX = []
        self.node_IN = []
        for node in genotype:
            ix, inn = [], []
            for op, inp in node:
                ix.append(len(self.layers))
                inn.append(inp)
                self.layers.append(make_op(op, c))
            self.node_IX.append(ix)
            self.node_IN.append(inn)

    def forward(self, x):
        nodes = [x]
        for ix, inn in zip(self.node_IX, self.node_IN):
            nodes.append(sum(self.layers[l](nodes[i]) for l, i in zip(ix, inn)))
        return nodes[-1]


class ResNetBasicblock(nn.Module):
    def __init__(self, c_in, c_out, stride):
        super().__init__()
        assert stride == 2
        self.conv_a = ReLUConvBN(c_in, c_out, 3, stride, 1)
        self.conv_b = ReLUConvBN(c_out, c_out, 3, 1, 1)
        self.downsample = nn.Sequential(
            nn.AvgPool2d(kernel_size=2, stride=2, padding=0),
            nn.Conv2d(c_in, c_out, kernel_size=1, stride=1, padding=0, bias=False),
        )

    def forward(self, x):
        return self.downsample(x) + self.conv_b(self.conv_a(x))


class TinyNetwork(nn.Module):
    def __init__(self, arch, c, n, num_classes):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, c, 3, padding=1, bias=False), nn.BatchNorm2d(c))
        genotype = parse_arch(arch)
        channels = [c] * n + [c * 2] + [c * 2] * n + [c * 4] + [c * 4] * n
        reductions = [False] * n + [True] + [False] * n + [True] + [False] * n
        self.cells = nn.ModuleList()
        c_prev = c
        for c_curr, reduction in zip(channels, reductions):
            self.cells.append(ResNetBasicblock(c_prev, c_curr, 2) if reduction else InferCell(genotype, c_curr))
            c_prev = c_curr
        self.lastact = nn.Sequential(nn.BatchNorm2d(c_prev), nn.ReLU(inplace=True))
        self.global_pooling = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(c_prev, num_classes)

    def forward_pre_gap(self, x):
        feature = self.stem(x)
        for cell in self.cells:
            feature = cell(feature)
        return self.lastact(feature)

    def forward(self, x):
        out = self.global_pooling(self.forward_pre_gap(x))
        out = out.view(out.size(0), -1)
        return out, self.classifier(out)


def load_initializers(path):
    model = onnx.load(path)
    return {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}


def build(spec, onnx_file, golden_dir):
    cfg = spec['config']
    net = TinyNetwork(spec['arch'], cfg['channels'], cfg['cellsPerStage'], cfg['numClasses'])
    inits = load_initializers(os.path.join(golden_dir, onnx_file))
    state = net.state_dict()
    with torch.no_grad():
        for key, value in state.items():
            if key.endswith('num_batches_tracked'):
                continue
            if key not in inits:
                raise SystemExit(f'{onnx_file}: state_dict key {key} has no ONNX initializer')
            array = inits[key]
            if tuple(array.shape) != tuple(value.shape):
                raise SystemExit(f'{onnx_file}: {key} has shape {array.shape} in ONNX, {tuple(value.shape)} in PyTorch')
            value.copy_(torch.from_numpy(np.array(array)))
    extra = sorted(k for k in inits if k not in state)
    return net, extra


def weighted_layers(net):
    return [(name, m) for name, m in net.named_modules() if isinstance(m, (nn.Conv2d, nn.Linear))]


def g10(v):
    """Rounds to 10 significant digits to keep the fixture small (float32 data carry ~7)."""
    v = float(v)
    if not math.isfinite(v):
        return str(v)
    return float(f'{v:.10g}')


def checksum(tensors):
    total, absolute, count = 0.0, 0.0, 0
    for t in tensors:
        a = np.asarray(t, dtype=np.float64)
        total += float(a.sum())
        absolute += float(np.abs(a).sum())
        count += a.size
    return {'count': count, 'sum': g10(total), 'absSum': g10(absolute)}


# ----------------------------------------------------------------------------------------------------------------
# Proxies
# ----------------------------------------------------------------------------------------------------------------
def forward_record(net, x, train):
    net.train(train)
    with torch.no_grad():
        _, logits = net(x)
    l = logits.numpy().astype(np.float64)
    return {'logitsFirstRows': [[g10(v) for v in row] for row in l[:4]], 'sum': g10(l.sum()), 'absSum': g10(np.abs(l).sum())}


def batch_gradients(net, x, y):
    net.train()
    net.zero_grad()
    _, logits = net(x)
    loss = F.cross_entropy(logits, y)
    loss.backward()
    grads = [m.weight.grad.detach().clone().reshape(-1).numpy() for _, m in weighted_layers(net)]
    return float(loss.item()), grads


def zico_float64(g_batches):
    total, layer_s = 0.0, []
    for stack in g_batches:
        g = np.asarray(stack, dtype=np.float64)
        sigma = g.std(axis=0)
        mu = np.abs(g).mean(axis=0)
        nz = sigma != 0
        s = float((mu[nz] / sigma[nz]).sum())
        layer_s.append(s)
        if s != 0:
            total += math.log(s)
    return total, layer_s


def zico_float32_reference(g_batches):
    """caculate_zico's arithmetic: float32 arrays, np.std / np.mean over axis 0, exact-zero skip, natural log."""
    nsr_mean_sum_abs = 0
    for stack in g_batches:
        g = np.array(stack)  # float32, shape [N, P]
        nsr_std = np.std(g, axis=0)
        nonzero_idx = np.nonzero(nsr_std)[0]
        nsr_mean_abs = np.mean(np.abs(g), axis=0)
        tmpsum = np.sum(nsr_mean_abs[nonzero_idx] / nsr_std[nonzero_idx])
        if tmpsum != 0:
            nsr_mean_sum_abs += np.log(tmpsum)
    return float(nsr_mean_sum_abs)


def grasp(net, x, y):
    net.train()
    weights = [m.weight for _, m in weighted_layers(net)]
    net.zero_grad()
    _, logits = net(x)
    grad_w = torch.autograd.grad(F.cross_entropy(logits, y), weights, allow_unused=True)
    _, logits = net(x)
    grad_f = torch.autograd.grad(F.cross_entropy(logits, y), weights, create_graph=True, allow_unused=True)
    z = 0
    for gw, gf in zip(grad_w, grad_f):
        if gw is not None:
            z = z + (gw.data * gf).sum()
    z.backward()
    total = 0.0
    for w in weights:
        if w.grad is not None:
            total += float((-w.data.double() * w.grad.double()).sum())
    return total


def fisher(net, x, y):
    net.train()
    acts, grads, handles = {}, {}, []
    layers = weighted_layers(net)

    def hook(name):
        def fn(module, inputs, output):
            acts[name] = output.detach()
            output.register_hook(lambda g: grads.__setitem__(name, g.detach()))
        return fn

    for name, m in layers:
        handles.append(m.register_forward_hook(hook(name)))
    net.zero_grad()
    _, logits = net(x)
    F.cross_entropy(logits, y).backward()
    for h in handles:
        h.remove()
    total, layer_sums = 0.0, []
    for name, m in layers:
        a = acts[name].double()
        g = grads[name].double()
        g_nk = (a * g).sum(dim=list(range(2, a.dim()))) if a.dim() > 2 else a * g
        fisher_k = 0.5 * g_nk.pow(2).mean(0)
        per_channel = int(np.prod(m.weight.shape[1:]))
        layer_sums.append(g10(fisher_k.sum()))
        total += float(fisher_k.abs().sum()) * per_channel
    return total, layer_sums


def synflow(net, input_shape):
    net.train()
    with torch.no_grad():
        for _, v in net.state_dict().items():
            v.abs_()
    net.double()
    net.zero_grad()
    _, logits = net(torch.ones([1] + list(input_shape), dtype=torch.float64))
    torch.sum(logits).backward()
    total = 0.0
    for _, m in weighted_layers(net):
        total += float((m.weight * m.weight.grad).abs().sum())
    return total


def jacob_cov(net, x):
    net.train()
    net.zero_grad()
    xx = x.clone().requires_grad_(True)
    _, logits = net(xx)
    logits.backward(torch.ones_like(logits))
    jac = xx.grad.detach().reshape(xx.shape[0], -1).numpy()
    constant_rows = [i for i in range(jac.shape[0]) if np.all(jac[i] == jac[i, 0])]
    if constant_rows:
        # np.corrcoef gives NaN rows and the reference's try/except returns NaN
        return {'value': 'nan', 'reason': f'constant Jacobian rows {constant_rows[:5]}...', 'constantRows': len(constant_rows),
                'jacobianAbsSum': g10(np.abs(jac.astype(np.float64)).sum())}
    corrs = np.corrcoef(jac)
    k = 1e-5
    eig_sym = np.linalg.eigvalsh(corrs)
    value = -float(np.sum(np.log(eig_sym + k) + 1.0 / (eig_sym + k)))
    eig_ref, _ = np.linalg.eig(corrs)
    eig_ref = np.real_if_close(eig_ref)
    value_ref = -float(np.real(np.sum(np.log(eig_ref + k) + 1.0 / (eig_ref + k))))
    return {
        'value': g10(value),
        'valueNpEig': g10(value_ref),
        'lambdaMin': g10(eig_sym[0]),
        'lambdaMax': g10(eig_sym[-1]),
        'jacobianAbsSum': g10(np.abs(jac.astype(np.float64)).sum()),
    }


def naswot(net, x, type_name_match):
    net.train()
    b = x.shape[0]
    state = {'K': np.zeros((b, b), dtype=np.float64), 'units': 0}

    def hook(module, inputs, output):
        inp = inputs[0].detach().reshape(b, -1)
        c = (inp > 0).double()
        state['K'] += (c @ c.t() + (1.0 - c) @ (1.0 - c).t()).numpy()
        state['units'] += inp.shape[1]

    handles = []
    for _, m in net.named_modules():
        if (type_name_match and 'ReLU' in str(type(m))) or (not type_name_match and isinstance(m, nn.ReLU)):
            handles.append(m.register_forward_hook(hook))
    with torch.no_grad():
        net(x)
    for h in handles:
        h.remove()
    sign, logdet = np.linalg.slogdet(state['K'])
    return {'value': g10(logdet), 'units': state['units'], 'hooks': len(handles), 'kernelSum': g10(state['K'].sum()),
            'kernel01': g10(state['K'][0, 1])}


def ntk(net, x):
    net.train()
    net.zero_grad()
    _, logits = net(x)
    params = [(n, p) for n, p in net.named_parameters() if 'weight' in n]
    rows = []
    for i in range(x.shape[0]):
        logits[i:i + 1].backward(torch.ones_like(logits[i:i + 1]), retain_graph=True)
        rows.append(torch.cat([p.grad.reshape(-1).detach().clone() for _, p in params if p.grad is not None]))
        net.zero_grad()
    g32 = torch.stack(rows, 0)
    ntk32 = torch.einsum('nc,mc->nm', [g32, g32])
    eig32 = torch.linalg.eigvalsh(ntk32)
    cond32 = float(np.nan_to_num((eig32[-1] / eig32[0]).item()))  # the reference maps NaN to 0
    g64 = g32.double()
    ntk64 = (g64 @ g64.t()).numpy()
    eig = np.linalg.eigvalsh(ntk64)
    with np.errstate(divide='ignore', invalid='ignore'):
        cond = float(np.float64(eig[-1]) / np.float64(eig[0]))
    return {'value': g10(-cond), 'condition': g10(cond), 'lambdaMin': g10(eig[0]), 'lambdaMax': g10(eig[-1]),
            'trace': g10(np.trace(ntk64)), 'conditionFloat32Reference': g10(cond32), 'columns': int(g32.shape[1]),
            'parameters': len(params)}


def relu_outputs(net, x):
    """Outputs of every nn.ReLU whose input is 4-D, flattened per sample (the hook of TE-NAS's linear regions and of
    SWAP's swap.py), from one no-grad forward in train mode."""
    net.train()
    feats = []

    def hook(module, inputs, output):
        if inputs[0].dim() == 4:
            feats.append(output.detach().reshape(output.shape[0], -1).clone())

    handles = [m.register_forward_hook(hook) for _, m in net.named_modules() if isinstance(m, nn.ReLU)]
    with torch.no_grad():
        net(x)
    for h in handles:
        h.remove()
    return feats, len(handles)


def linear_regions(net, x):
    feats, hooks = relu_outputs(net, x)
    a = torch.sign(torch.cat(feats, 1)).double()
    res = a @ (1 - a).t()
    res = res + res.t()
    same = 1 - torch.sign(res)
    n_lr = float((1.0 / same.sum(1)).sum())
    distinct = int(np.unique(a.numpy().astype(np.uint8), axis=0).shape[0])
    assert abs(n_lr - distinct) < 1e-9, (n_lr, distinct)
    return {'value': distinct, 'units': int(a.shape[1]), 'hooks': hooks}


def swap(net, x):
    """SWAP as the official src/metrics/swap.py computes it (PROXIES_SOTA.md §3): S = sign(concat of the ReLU outputs
    flattened per sample); the score is the number of distinct columns of S (torch.unique(S.T, dim=0)). Weights come
    from the gaussian ONNX (N(0,1) conv/linear, biases 0)."""
    feats, _ = relu_outputs(net, x)
    s = torch.sign(torch.cat(feats, 1))
    return {'value': int(torch.unique(s.t(), dim=0).shape[0]), 'neurons': int(s.shape[1]), 'hooks': len(feats)}


def meco(net, x):
    """MeCo as the official correlation experiment computes it (PROXIES_SOTA.md §2): a forward hook on every module of
    named_modules() except the root (whose tuple output starts with the pooled features: a vector, contributing 0);
    in each, corrcoef over the channels of the (only) sample's output, NaN/inf -> 0, min real eigenvalue
    (torch.linalg.eig, float32); the sum over calls, dropping non-finite values. value64: the same with a symmetric
    float64 solver (what host/proxies/math/meco.ts computes)."""
    net.train()
    v32, v64 = [], []

    def hook(module, inputs, output):
        fea = output[0].detach()
        fea = fea.reshape(fea.shape[0], -1)
        corr = torch.corrcoef(fea)
        corr[torch.isnan(corr)] = 0
        corr[torch.isinf(corr)] = 0
        v32.append(float(torch.min(torch.real(torch.linalg.eig(corr)[0]))))
        c64 = np.corrcoef(fea.double().numpy()) if fea.shape[1] > 1 else np.full((fea.shape[0], fea.shape[0]), np.nan)
        c64 = np.nan_to_num(np.atleast_2d(c64), nan=0.0, posinf=0.0, neginf=0.0)
        v64.append(float(np.linalg.eigvalsh(c64).min()))

    handles = [m.register_forward_hook(hook) for name, m in net.named_modules() if name != '']
    with torch.no_grad():
        net(x)
    for h in handles:
        h.remove()
    return {'value': g10(sum(v for v in v32 if math.isfinite(v))), 'value64': g10(sum(v for v in v64 if math.isfinite(v))),
            'calls': len(v32)}


def az_nas(net, x, g_outs):
    """AZ-NAS as the official compute_az_nas_score.py computes it on NB201 (PROXIES_SOTA.md §1): kaiming-normal
    fan-in weights (the .kaiming ONNX), Gaussian input, train mode; features = the stem's and every cell's output;
    per feature the entropy of the normalised eigenvalues of the channel covariance; per block (last first) the
    block-local VJP of a given Rademacher g_out (g_outs[l-1], fed from the TS side), pixel-unshuffled across a
    resolution change, and T = -s - 1/(s + 1e-6) + 2 of the largest singular value of G_in^T G_out / (BHW).
    'official': float32 eigvalsh/svdvals, NaN -> -inf; 'robust': float64, eigenvalues clamped at 0 (what
    host/proxies/math/azNas.ts computes)."""
    net.train()
    feats = [net.stem(x)]
    for cell in net.cells:
        feats.append(cell(feats[-1]))

    def entropy(fea, robust):
        fea = fea.detach().double() if robust else fea.detach()
        b, c, h, w = fea.shape
        m = fea.permute(0, 2, 3, 1).reshape(b * h * w, c)
        m = m - m.mean(dim=0, keepdim=True)
        sigma = m.t().mm(m) / m.shape[0]
        ev = torch.linalg.eigvalsh(sigma)
        if robust:
            ev = ev.clamp(min=0)
        p = ev / ev.sum()
        return float(((-p) * torch.log(p + 1e-8)).sum())

    out = {}
    per_block = {}
    for l in range(len(feats) - 1, 0, -1):
        g_out = g_outs[l - 1]
        g_in = torch.autograd.grad(feats[l], feats[l - 1], g_out, retain_graph=True)[0]
        if g_out.shape == g_in.shape and bool(torch.all(g_in == g_out)):
            per_block[l] = {'official': -math.inf, 'robust': -math.inf}
            continue
        if g_out.shape[2] != g_in.shape[2]:
            g_in = nn.PixelUnshuffle(g_in.shape[2] // g_out.shape[2])(g_in)
        bo, co, ho, wo = g_out.shape
        ci = g_in.shape[1]
        gi = g_in.permute(0, 2, 3, 1).reshape(-1, ci)
        go = g_out.permute(0, 2, 3, 1).reshape(-1, co)
        per_block[l] = {}
        for kind, (a, b2) in {'official': (gi, go), 'robust': (gi.double(), go.double())}.items():
            mat = a.t().mm(b2) / (bo * ho * wo)
            sv = float(torch.linalg.svdvals(mat).max())
            per_block[l][kind] = -sv - 1 / (sv + 1e-6) + 2
    for kind in ('official', 'robust'):
        e = [entropy(f, kind == 'robust') for f in feats]
        e = [(-math.inf if math.isnan(v) else v) for v in e]
        expr = sum(e)
        prog = min(e[l] - e[l - 1] for l in range(1, len(e)))
        blocks = [per_block[l][kind] for l in range(1, len(feats))]
        train = float(np.mean(blocks))
        fix = lambda v: -math.inf if math.isnan(v) else v  # noqa: E731
        out[kind] = {'expressivity': g10(fix(expr)), 'progressivity': g10(fix(prog)), 'trainability': g10(fix(train)),
                     'perFeature': [g10(v) for v in e], 'perBlock': [g10(v) for v in blocks]}
    return out


def zen(net, x, x_perturbed):
    net.train()
    with torch.no_grad():
        f1 = net.forward_pre_gap(x)
        f2 = net.forward_pre_gap(x_perturbed)
    delta = float(torch.abs(f1.double() - f2.double()).sum(dim=[1, 2, 3]).mean())
    means = [float(m.running_var.double().mean()) for m in net.modules() if isinstance(m, nn.BatchNorm2d)]
    log_bn = float(sum(math.log(math.sqrt(v)) for v in means))
    # the reference's float32 arithmetic
    ref = torch.log(torch.mean(torch.sum(torch.abs(f1 - f2), dim=[1, 2, 3])))
    for m in net.modules():
        if isinstance(m, nn.BatchNorm2d):
            ref = ref + torch.log(torch.sqrt(torch.mean(m.running_var)))
    value = math.log(delta) + log_bn if delta > 0 else -math.inf
    return {'value': g10(value), 'valueFloat32Reference': g10(float(ref)), 'delta': g10(delta),
            'logBnScaling': g10(log_bn), 'bnRunningVarMeans': [g10(v) for v in means]}


# ----------------------------------------------------------------------------------------------------------------
def safe(fn, *args):
    """Runs one proxy; an exception is recorded (the reference would crash or return NaN) instead of aborting."""
    try:
        return fn(*args)
    except Exception as err:  # noqa: BLE001
        return {'error': f'{type(err).__name__}: {err}'}


def read_f32(golden_dir, name, shape):
    return torch.from_numpy(np.fromfile(os.path.join(golden_dir, name), dtype='<f4').reshape(shape).copy())


def check_data(manifest, golden_dir, images):
    """Independently reads and normalises the shipped sample and compares with the TS-selected batches."""
    data = manifest['data']
    raw = open(os.path.join(REPO, data['file']), 'rb').read()
    sha = hashlib.sha256(raw).hexdigest()
    assert sha == data['sha256'], 'the shipped sample changed since exportGoldenModels.ts ran'
    n = data['shape'][0]
    records = np.frombuffer(raw, dtype=np.uint8)[: n * 3073].reshape(n, 3073)
    labels = records[:, 0].astype(np.int64)
    pixels = torch.from_numpy(records[:, 1:].reshape(n, 3, 32, 32).astype(np.float32)) / 255.0
    mean = torch.tensor([125.3, 123.0, 113.9]) / 255.0
    std = torch.tensor([63.0, 62.1, 66.7]) / 255.0
    ours = (pixels - mean.view(1, 3, 1, 1)) / std.view(1, 3, 1, 1)
    diff = float((ours - images).abs().max())
    assert diff < 1e-5, f'TS batches differ from the PyTorch normalisation by {diff}'
    return labels, diff


def main():
    golden_dir = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.environ.get(
        'ZERONAS_GOLDEN_DIR', os.path.join(tempfile.gettempdir(), 'zeronas-golden')))
    manifest = json.load(open(os.path.join(golden_dir, 'manifest.json')))
    for name, sha in manifest['files'].items():
        got = hashlib.sha256(open(os.path.join(golden_dir, name), 'rb').read()).hexdigest()
        assert got == sha, f'{name} changed after exportGoldenModels.ts wrote it'

    sel = manifest['data']['selection']
    b = sel['batchSize']
    images = read_f32(golden_dir, 'batches.f32', manifest['data']['shape'])
    ts_labels = np.fromfile(os.path.join(golden_dir, 'labels.i32'), dtype='<i4').astype(np.int64)
    py_labels, max_diff = check_data(manifest, golden_dir, images)
    assert (py_labels == ts_labels).all(), 'labels differ between the TS reader and the raw file'
    labels = torch.from_numpy(ts_labels)
    x1, y1 = images[:b], labels[:b]
    x2, y2 = images[b:2 * b], labels[b:2 * b]

    gshape = manifest['gaussianInputs']['shape']
    zen_x = read_f32(golden_dir, 'zen_x.f32', gshape)
    zen_eps = read_f32(golden_dir, 'zen_eps.f32', gshape)
    zen_xp = read_f32(golden_dir, 'zen_x_perturbed.f32', gshape)
    torch_perturbed = zen_x + 0.01 * zen_eps
    perturbed_diff = float((torch_perturbed - zen_xp).abs().max())
    lr_x = read_f32(golden_dir, 'lr_x.f32', gshape)
    az_x = read_f32(golden_dir, manifest['azNas']['input'], gshape)
    az_gout = {c: torch.from_numpy(np.fromfile(os.path.join(golden_dir, f), dtype='<f4').copy())
               for c, f in manifest['azNas']['gOutFiles'].items()}

    models = []
    only = os.environ.get('ZERONAS_GOLDEN_ONLY')  # a substring of model ids: quick partial runs for debugging
    for spec in [m for m in manifest['models'] if not only or only in m['id']]:
        print(f"{spec['id']}: {spec['arch']}", flush=True)
        fresh = lambda: build(spec, spec['onnx'], golden_dir)[0]  # noqa: E731
        net, extra = build(spec, spec['onnx'], golden_dir)
        sd = {k: v for k, v in net.state_dict().items() if not k.endswith('num_batches_tracked')}
        gnet = build(spec, spec['gaussianOnnx'], golden_dir)[0]
        gsd = {k: v for k, v in gnet.state_dict().items() if not k.endswith('num_batches_tracked')}
        layer_names = [f'{name}.weight' for name, _ in weighted_layers(net)]
        record = {
            'id': spec['id'],
            'arch': spec['arch'],
            'config': spec['config'],
            'stateDictEntries': len(sd),
            'nonStateInitializers': extra,
            'weights': checksum(v.numpy() for v in sd.values()),
            'gaussianWeights': checksum(v.numpy() for v in gsd.values()),
            'layers': layer_names,
            'forward': {'eval': forward_record(fresh(), x1, False), 'train': forward_record(fresh(), x1, True)},
        }

        znet = fresh()
        loss1, g1 = batch_gradients(znet, x1, y1)
        loss2, g2 = batch_gradients(znet, x2, y2)
        stacks = [np.stack([a, c]) for a, c in zip(g1, g2)]
        z64, layer_s = zico_float64(stacks)
        accumulated = [np.stack([a, (a + c).astype(np.float32)]) for a, c in zip(g1, g2)]
        record['zico'] = {
            'value': g10(z64),
            'valueFloat32Reference': g10(zico_float32_reference(stacks)),
            'noZeroGradVariant': g10(zico_float64(accumulated)[0]),
            'losses': [g10(loss1), g10(loss2)],
            'skippedLayers': int(sum(1 for s in layer_s if s == 0)),
            'layerS': [g10(s) for s in layer_s],
            'gradNorms': [[g10(np.linalg.norm(g.astype(np.float64))) for g in gs] for gs in (g1, g2)],
        }
        weights = [m.weight.detach().reshape(-1).numpy().astype(np.float64) for _, m in weighted_layers(znet)]
        record['grad_norm'] = g10(sum(np.linalg.norm(g.astype(np.float64)) for g in g1))
        record['snip'] = g10(sum(np.abs(w * g).sum() for w, g in zip(weights, g1)))
        record['plain'] = g10(sum((w * g).sum() for w, g in zip(weights, g1)))
        grasp_value = safe(grasp, fresh(), x1, y1)
        record['grasp'] = grasp_value if isinstance(grasp_value, dict) else g10(grasp_value)
        fisher_value, fisher_layers = fisher(fresh(), x1, y1)
        record['fisher'] = {'value': g10(fisher_value), 'layerSums': fisher_layers}
        record['synflow'] = g10(synflow(fresh(), [3, spec['config']['inputSize'], spec['config']['inputSize']]))
        record['jacob_cov'] = safe(jacob_cov, fresh(), x1)
        record['naswot'] = naswot(fresh(), x1, False)
        record['naswot']['valueTypeNameMatch'] = naswot(fresh(), x1, True)['value']
        record['ntk'] = safe(ntk, fresh(), x1)
        record['linear_regions'] = safe(linear_regions, fresh(), lr_x)
        record['zen'] = zen(gnet, zen_x, zen_xp)
        record['swap'] = swap(build(spec, spec['gaussianOnnx'], golden_dir)[0], x1[:16])
        record['meco'] = meco(fresh(), x1[:1])
        az = manifest['azNas']
        g_outs, offset = [], 0
        cfg_id = spec['id'].split('-')[0]
        for shape in az['gOutShapes'][cfg_id]:
            size = int(np.prod(shape))
            g_outs.append(az_gout[cfg_id][offset:offset + size].reshape(shape))
            offset += size
        record['az_nas'] = az_nas(build(spec, spec['kaimingOnnx'], golden_dir)[0], az_x, g_outs)
        models.append(record)

    fixture = {
        '_generatedBy': COMMAND,
        '_about': 'Golden values for NB201 proxies from an independent PyTorch reference (scripts/golden/nb201_golden.py). '
                  'Weights: initWeights(graph, 0) exported by exportInference and loaded by name; inputs: see data and '
                  'gaussianInputs, reproducible in TypeScript from the shipped sample without Python.',
        'reference': {'python': sys.version.split()[0], 'torch': torch.__version__, 'onnx': onnx.__version__,
                      'numpy': np.__version__, 'threads': torch.get_num_threads()},
        'data': {**manifest['data'], 'labels': ts_labels.tolist(),
                 'batchChecksums': [checksum([images[i * b:(i + 1) * b].numpy()]) for i in range(sel['batches'])],
                 'pythonNormalizationMaxAbsDiff': max_diff},
        'gaussianInputs': {**manifest['gaussianInputs'],
                           'checksums': {'zenX': checksum([zen_x.numpy()]), 'zenEps': checksum([zen_eps.numpy()]),
                                         'zenPerturbed': checksum([zen_xp.numpy()]), 'linearRegionsX': checksum([lr_x.numpy()])},
                           'torchPerturbedMaxAbsDiff': perturbed_diff},
        'weightSeed': manifest['weightSeed'],
        'weightInit': manifest['weightInit'],
        'conventions': CONVENTIONS,
        'models': models,
    }
    fixture['data'].pop('images', None)
    out_file = os.path.join(golden_dir, 'partial.json') if only else OUT_FILE
    os.makedirs(os.path.dirname(out_file), exist_ok=True)
    with open(out_file, 'w') as f:
        json.dump(fixture, f, indent=1, ensure_ascii=False)
        f.write('\n')
    print(f'wrote {out_file}')


if __name__ == '__main__':
    main()
