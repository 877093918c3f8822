"""Finite differences in float64 with a convergence test instead of a step to tune.

For output k and input leaf j, along a random direction v (each entry scaled to its input, so a
kink at 0 is never crossed): φ(c) = ⟨ct_k, f_k(x + c·v)⟩ is differenced centrally at steps
c = 10^-1 … 10^-8, plainly and Richardson-extrapolated, and compared with the rule's
⟨VJP_k(ct_k)_j, v⟩. A correct rule's difference shrinks like c² (c⁴ extrapolated) until it
reaches the rounding floor R/c, R = eps·Σ|terms of φ| plus the function's own noise, measured by
second differences at steps 1e-12 … 1e-8; it may start below it, as for relu or x². The check
passes when, at some step, the difference is within TOLERANCE of that floor; a wrong rule's
difference stalls at its error instead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import jax
import jax.numpy as jnp
import numpy as np

from . import plan
from .report import RuleRow

if TYPE_CHECKING:
    from .rule import Context, RowData

STEPS = 10.0 ** -np.arange(1.0, 8.01, 0.5)  # consecutive steps differ by √10: Richardson's r² = 10
NOISE = (1e-12, 1e-10, 1e-8)
EPS64 = float(np.finfo(np.float64).eps)


def _direction(x: np.ndarray, scale: float, rng: np.random.Generator) -> np.ndarray:
    """Random, each entry as large as its input (a kink at 0 is crossed only at steps above
    |x|/scale), at least a tenth of the draw's scale."""
    u = rng.uniform(0.5, 1.0, np.shape(x)) * rng.choice([-1.0, 1.0], np.shape(x))
    return u * np.maximum(np.abs(x), 0.1 * scale)


def _steps(n_leaves: int) -> tuple[np.ndarray, np.ndarray]:
    per = np.concatenate([[0.0], STEPS, -STEPS, NOISE, -np.asarray(NOISE)])
    return np.repeat(np.arange(n_leaves), per.size), np.tile(per, n_leaves)


def finite_difference_rows(ctx: "Context", data: "RowData") -> list[RuleRow]:
    """One row per output and input leaf, the worst over the drawn cases."""
    draws = [c for c, case in enumerate(ctx.cases) if case.kind == "draw"]
    ins = ctx.in_paths()
    exact = [j for j, x in enumerate(data.inputs[0][0]) if x.dtype == jnp.float64]
    if not draws or not exact:
        ctx.notes.append("finite differences: not run (" + ("no drawn inputs" if not draws else "no float64 leaf") + ")")
        return []
    tol = plan.tolerance(ctx.opts, "float64")
    worst = {(k, j): (0.0, "") for k in range(len(ctx.out_paths)) for j in exact}
    for c in draws:
        for (k, j), (e, at) in _case(ctx, data, c, exact).items():
            if e > worst[(k, j)][0]:
                worst[(k, j)] = (e, f"{ctx.cases[c].label}: {at}")
    return [RuleRow("finite differences", "float64", ctx.out_paths[k], ins[j], e, tol, e <= tol, at)
            for (k, j), (e, at) in worst.items()]


def _case(ctx: "Context", data: "RowData", c: int, exact: list[int]) -> dict[tuple[int, int], tuple[float, str]]:
    xs, others = data.inputs[c]
    cts = tuple(data.probes[c][0][(k, 0)] for k in range(len(ctx.out_paths)))
    rng = np.random.default_rng((ctx.opts["seed"], 13, c))
    vs = tuple(jnp.asarray(_direction(np.asarray(x), ctx.cases[c].scale, rng), x.dtype) for x in xs)
    js, cs = _steps(len(xs))
    phi, size = (np.asarray(a) for a in ctx.run_fd(xs, others, cts, vs, jnp.asarray(js), jnp.asarray(cs, jnp.float64)))
    per = cs.size // len(xs)
    n = STEPS.size
    out = {}
    for j in exact:
        block, mags = phi[j * per:(j + 1) * per], size[j * per:(j + 1) * per]
        for k in range(len(ctx.out_paths)):
            g = [np.asarray(data.ours[c][("vjp", k, 0)][i]) for i in range(len(xs))]
            d = float(np.vdot(g[j], np.asarray(vs[j])))
            terms = float(np.sum(np.abs(g[j] * np.asarray(vs[j]))))
            p = block[:, k]
            noise = max(abs(p[1 + 2 * n + i] - 2 * p[0] + p[1 + 2 * n + len(NOISE) + i]) / 2 for i in range(len(NOISE)))
            # rounding φ itself, and x + c·v (leaf j alone moves), and the function's own noise
            floor = EPS64 * (mags[0, k] + float(np.sum(np.abs(g[j] * np.asarray(xs[j]))))) + noise
            out[(k, j)] = _converged(p[1:1 + n], p[1 + n:1 + 2 * n], d, floor, terms)
    return out


def _converged(plus: np.ndarray, minus: np.ndarray, d: float, floor: float, terms: float) -> tuple[float, str]:
    """The smallest error over the steps, in units of the rounding floor there."""
    diff = (plus - minus) / (2 * STEPS)
    rich = (10 * diff[1:] - diff[:-1]) / 9
    unit = floor / STEPS + EPS64 * terms
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        plain = np.abs(diff - d) / np.maximum(unit, 1e-300)
        extra = np.abs(rich - d) / np.maximum(1.2 * unit[1:], 1e-300)
    ratios = np.concatenate([plain, extra])
    ratios = np.where(np.isfinite(ratios), ratios, np.inf)
    if not np.isfinite(d):
        return np.inf, f"the rule's directional derivative is {d}"
    i = int(np.argmin(ratios))
    if not np.isfinite(ratios[i]):
        return 0.0, ""  # the function is not finite near this point: nothing to difference
    plain_best = i < diff.size
    estimate, step = (diff[i], STEPS[i]) if plain_best else (rich[i - diff.size], STEPS[i - diff.size + 1])
    how = "" if plain_best else ", extrapolated"
    return float(ratios[i]), f"finite differences give {estimate:.10g} (step {step:.0e}{how}), the rule {d:.10g}"
