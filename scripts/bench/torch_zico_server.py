#!/usr/bin/python3
"""Times single ZiCo procedures in PyTorch on request, so that `npm run bench:zico` can alternate ours and PyTorch
run by run (this VM's speed drifts by 20-30 % over minutes; a ratio of two blocks timed minutes apart is mostly
drift). Reads one JSON request per line on stdin and answers one JSON line on stdout:

    {"procedure": "reference", "arch": "<nb201 string>"}   the reference code's nn.Module procedure
                                                            (zico_reference_sample.py's `zico`, shipped CIFAR-10 sample)
    {"procedure": "functional", "model": "<path>"}          the same procedure over our IR with torch.nn.functional
                                                            (torch_reference.py's `zico_procedure`; JSON {graph, shapes})
    -> {"ms": <wall time of that one call>}   or   {"error": "<message>"}

Each request runs the procedure once, network construction included; warm-up is the caller's choice (send the same
request first and ignore its time). Uses Debian's python3-torch: run with /usr/bin/python3.

    /usr/bin/python3 scripts/bench/torch_zico_server.py [--batch 64] [--threads 2]
"""
import argparse
import json
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_reference  # noqa: E402
import zico_reference_sample  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--batch', type=int, default=64)
    ap.add_argument('--threads', type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    data = zico_reference_sample.load_batches(args.batch, 2)
    functional = {}
    for line in sys.stdin:
        try:
            req = json.loads(line)
            if req['procedure'] == 'reference':
                run = lambda: zico_reference_sample.zico(req['arch'], data, 0)  # noqa: E731
            elif req['procedure'] == 'functional':
                if req['model'] not in functional:
                    with open(req['model']) as f:
                        model = json.load(f)
                    functional[req['model']] = torch_reference.zico_procedure(model['graph'], model['shapes'], args.batch)
                run = functional[req['model']]
            else:
                raise ValueError(f"unknown procedure {req['procedure']!r}")
            t0 = time.perf_counter()
            run()
            reply = {'ms': (time.perf_counter() - t0) * 1000}
        except Exception as e:  # noqa: BLE001 - reported to the caller, which prints it
            reply = {'error': f'{type(e).__name__}: {e}'}
        print(json.dumps(reply), flush=True)


if __name__ == '__main__':
    main()
