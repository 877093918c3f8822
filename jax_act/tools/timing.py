"""Paired timing for ``jax-act bench``: jax_act and its baseline interleaved sample by sample
(the order alternating), the median of the paired ratios with min/max, and compile time
measured apart (the method: ``bench/README.md``)."""

from __future__ import annotations

import resource
import statistics
import time
from typing import Any, Callable

import jax

Fn = Callable[..., jax.Array]


def _call(f: Fn, args: tuple) -> float:
    t0 = time.perf_counter()
    jax.block_until_ready(f(*args))
    return time.perf_counter() - t0


def paired(fa: Fn, fb: Fn, args: list[tuple], budget: float, max_samples: int, copy: Fn | None = None) -> dict:
    """Time jitted fa and fb (and the copy kernel, when given) interleaved over rotated ``args``.

    Each sample runs them back to back on the same buffer, the order reversed every other
    sample. Returns per-kernel median/min/max seconds, the median/min/max of the paired
    ratios fa/fb, compile seconds and XLA's cost analysis per side, and minor page faults per call.
    """
    (ca, cost_a), (cb, cost_b) = _compile(fa, args[0]), _compile(fb, args[0])
    fns = [fa, fb] + ([copy] if copy else [])
    warm = sum(min(_call(f, a) for a in args[:2]) for f in fns)
    samples = int(min(max_samples, max(5, budget / max(warm, 1e-6))))
    times: list[list[float]] = [[] for _ in fns]
    faults0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for i in range(samples):
        a = args[i % len(args)]
        order = range(len(fns)) if i % 2 == 0 else reversed(range(len(fns)))
        for j in order:
            times[j].append(_call(fns[j], a))
    faults = (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults0) / (len(fns) * samples)
    ratios = [x / y for x, y in zip(times[0], times[1])]
    out = dict(
        samples=samples,
        ours=_timing_stats(times[0]), base=_timing_stats(times[1]), ratio=_timing_stats(ratios),
        compile_s=dict(ours=ca, base=cb), cost=dict(ours=cost_a, base=cost_b),
        page_faults_per_call=faults,
    )
    if copy:
        out["copy"] = _timing_stats(times[2])
    return out


def _compile(f: Any, args: tuple) -> tuple[float, dict]:
    """Seconds to lower and compile, and XLA's static cost analysis (flops, transcendentals,
    bytes accessed): noise-free evidence of why one side is slower."""
    t0 = time.perf_counter()
    compiled = f.lower(*args).compile()
    seconds = time.perf_counter() - t0
    try:
        cost = compiled.cost_analysis()
        cost = cost[0] if isinstance(cost, (list, tuple)) else cost
        cost = {k: float(cost[k]) for k in ("flops", "transcendentals", "bytes accessed") if k in cost}
    except Exception:  # not every backend reports it
        cost = {}
    return seconds, cost


def _timing_stats(v: list[float]) -> dict:
    return dict(median=statistics.median(v), min=min(v), max=max(v))


def scaled(stats: dict, k: float) -> dict:
    return {key: v * k for key, v in stats.items()}


