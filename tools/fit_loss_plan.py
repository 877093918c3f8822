"""Fit the fused output layer's CPU cost constants (jax_act/_ce_plan.py, ``COSTS``) to the
committed CPU measurements (bench/results/cpu-loss-plans.txt), and say which plan each
constant set picks at the measured shapes.

Each measured row is a walk (chunks × tokens × vocabulary columns) at a shape, with its step
time over the unfused step's, round-robin. Rows of one shape may come from different runs,
whose unfused steps differ, so a row's time is its ratio times the median unfused time of its
shape and dtype; rows after a line beginning "Held out:" test the constants and are not
fitted. Nonnegative least squares on the relative error, per dtype kind
(float32, 16-bit), over the terms of ``_ce_plan.terms``.

Usage: python tools/fit_loss_plan.py   (prints the constants, each row's error, and the picks)
"""

from __future__ import annotations

import dataclasses
import pathlib
import re
import statistics

import numpy as np
from scipy.optimize import nnls

from jax_act import _ce_plan as cp

RESULTS = pathlib.Path(__file__).parents[1] / "bench" / "results"
# bench/loss_plans.py: "dtype  NxHxV  plan  [walk]  ratio R [lo, hi]  F vs U ms ..."
ROUND_ROBIN = re.compile(r"^(float32|bfloat16)\s+(\d+)x(\d+)x(\d+)\s+(\S+)\s+(?:(\d+x\d+x\d+)\s+)?"
                         r"ratio ([\d.]+).*?([\d.]+) vs ([\d.]+)")
HELD_OUT = "Held out:"  # the rows after this line test the fitted constants


def rows() -> list[tuple[str, tuple[int, int, int], tuple[int, int, int], float, float]]:
    """``(dtype, (n, h, v), (chunks, tokens, columns), ratio, unfused ms)`` per measured walk."""
    out = []
    for line in (RESULTS / "cpu-loss-plans.txt").read_text().splitlines():
        if line.startswith(HELD_OUT):
            break
        m = ROUND_ROBIN.match(line)
        if not m:
            continue
        dtype, n, h, v, label, walk, ratio, _, unfused = m.groups()
        n, h, v = int(n), int(h), int(v)
        if walk:
            c, t, vc = map(int, walk.split("x"))
        else:  # a chunk_size, walked as the plan walks it
            size = tuple(map(int, label.split(",")))
            p = cp.plan(n, v, h, chunk_size=size if len(size) == 2 else size[0], dtype=dtype, backend="cpu")
            c, t, vc = p.chunks, p.tokens, p.vocab
        out.append((dtype, (n, h, v), (c, t, vc), float(ratio), float(unfused)))
    return out


def fit(measured: list, kind: str) -> tuple[cp.Costs, float]:
    data = [r for r in measured if cp._kind(r[0]) == kind]
    base = {}
    for dtype, shape, _, _, unfused in data:
        base.setdefault((dtype, shape), []).append(unfused)
    x = np.array([cp.terms(n, h, v, t, vc, c) for _, (n, h, v), (c, t, vc), _, _ in data], float)
    y = np.array([r * statistics.median(base[(d, s)]) / 1e3 for d, s, _, r, _ in data])
    coef, _ = nnls(x / y[:, None], np.ones(len(y)))
    costs = cp.Costs(*(float(f"{c:.3g}") for c in coef))
    err = x @ np.array(dataclasses.astuple(costs)) / y - 1
    for (dtype, shape, walk, ratio, _), e in zip(data, err):
        print(f"  {dtype:9} {'x'.join(map(str, shape)):16} {'x'.join(map(str, walk)):16} ratio {ratio:.3f}  model {e:+.2f}")
    return costs, float(np.sqrt(np.mean(err**2)))


def main() -> None:
    data = rows()
    measured = {(d, s, w): r for d, s, w, r, _ in data}
    for kind, dtype in (("float32", "float32"), ("16-bit", "bfloat16")):
        costs, rms = fit(data, kind)
        print(f'("cpu", "{kind}"): {costs}   # rms relative error {rms:.3f}')
        cp.COSTS[("cpu", kind)] = costs
        for n, h, v in sorted({s for d, s, _, _, _ in data if d == dtype}):
            for chunking in cp.CHUNKINGS:
                p = cp.plan(n, v, h, dtype=dtype, chunking=chunking, backend="cpu")
                walk = (p.chunks, p.tokens, p.vocab)
                print(f"  {dtype} {n}x{h}x{v} {chunking}: {'x'.join(map(str, walk))}, measured ratio "
                      f"{measured.get((dtype, (n, h, v), walk), '-')}")


if __name__ == "__main__":
    main()
