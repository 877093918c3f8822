"""``jax-act accuracy``: error in ulps against a higher-precision oracle, beside jax.nn's.

For every registered activation and every dtype (bfloat16, float16, float32, float64) it
evaluates, on a dense grid spanning the dtype's whole finite range plus the edge set,

* the value ``f(x)`` and
* the gradient (elementwise: ``f'(x)``, the VJP with a cotangent of ones; along an axis: the
  VJP with a fixed cotangent row),

of jax_act's public function and of jax.nn's counterpart, and reports the max and the 99.9th
percentile of the error in ulps of the output dtype, and the share of correctly rounded
points (the dtype's value nearest the truth), side by side.

A map along an axis whose VJP is a difference, softmax's ``S_i w_i − S_i ⟨S, w⟩``, loses
the result's leading bits where the two terms nearly cancel: its error in ulps of the result
says little there. Those rows also report the gradient error in ulps of the larger term
(column ``terms``), the terms as the declaration states them, in float64.

**The oracle.** The declaration's ``reference`` (the plain formula) and ``jax.grad`` of it,
traced to a jaxpr once and then

* evaluated in float64 (vectorized) for the bfloat16/float16/float32 grids, with every point
  where the float64 evaluation is not trustworthy (non-finite, or disagreeing with jax_act's
  own float64 result by more than 2^-40 relative: cancellation or overflow in the naive
  formula) re-evaluated by interpreting the same jaxpr in mpmath at 40 significant digits;
* interpreted in mpmath at 40 digits at every point for the float64 grid.

The interpreter (``jax_act.tools.oracle``) knows the primitives plain formulas are written
with (arithmetic, exp, log, log1p, expm1, tanh, logistic, erf, comparisons, select,
reductions, ...). Without mpmath installed, or for a formula using a primitive it does not
know, the float64 evaluation alone is the oracle; the row says so (column ``oracle``: ``mp``
or ``f64``).

The grid: bfloat16 and float16 exhaustively (every finite value); float32 and float64 every
sign and binade from the smallest subnormal to the largest finite value, sampled densely
(``--points`` per dtype), plus a dense linear grid over [-20, 20]; plus the edge set (0, ±kinks,
±1e-8, ±1e4, exp-overflow thresholds, ±max, ±smallest subnormal). Inputs outside the
declared ``domain`` are dropped. Along-axis functions take rows ``[v, 0, 1, -2, v/2, 3]``
with v running over the grid.

Errors in ulps: ``|got - true| / ulp(true)`` in the output dtype, where ulp(t) is the spacing
of the dtype at |t| (the subnormal spacing below the smallest normal). Points where the true
value is not finite are scored exact when ``got`` is the same infinity (or NaN for NaN), else
infinite.
"""

from __future__ import annotations

import argparse
import dataclasses
import inspect
import json
import math
import sys
import time
from typing import Any, Callable

import jax
import jax.numpy as jnp
import numpy as np

from .._engine import LEVELS, REGISTRY
from .._engine.checks import HALF
from ..testing import DTYPES, Case, cases
from .oracle import Unsupported, mp_oracle, mpmath_module



# --------------------------------------------------------------------------- the grid


def _finfo(dtype: Any):
    return jnp.finfo(jnp.dtype(dtype))


def grid(dtype: Any, points: int = 20000, extra: tuple[float, ...] = ()) -> np.ndarray:
    """Finite inputs of ``dtype``: every value for 16-bit types; for wider types ``points``
    values spread over every binade (subnormals included, both signs), a linear grid over
    [-20, 20], and the edge set."""
    dt = jnp.dtype(dtype)
    fi = _finfo(dt)
    if dt.itemsize == 2:
        xs = np.arange(1 << 16, dtype=np.uint16).view(dt)
        xs = xs[np.isfinite(xs.astype(np.float32))]
    else:
        exps = np.arange(int(fi.minexp) - int(fi.nmant), int(fi.maxexp))
        per = max(1, points // (2 * len(exps)))
        frac = np.arange(per) / per
        mags = (np.ldexp(1.0, exps)[:, None] * (1 + frac[None, :])).ravel()
        lin = np.linspace(-20, 20, max(points // 5, 11))
        xs = np.concatenate([mags, -mags, lin]).astype(dt)
    edges = [0.0, 1e-8, 1e4, float(np.log(float(fi.max))), float(fi.max), float(fi.tiny), float(fi.smallest_subnormal), 1.0]
    edges += [float(e) for e in extra]
    e = np.asarray(edges + [-v for v in edges], np.float64)
    xs = np.concatenate([xs.astype(dt), e[np.abs(e) <= float(fi.max)].astype(dt)])
    xs = np.unique(xs.astype(np.float64)).astype(dt)
    return xs[np.isfinite(xs.astype(np.float64))]


COTANGENT = np.array([1.0, -0.5, 0.25, 2.0, -1.0, 0.75])  # exact in every dtype


def _axis_rows(v: np.ndarray) -> np.ndarray:
    """Rows for functions along an axis, one per point v: [v, 0, 1, −2, v/2, 3]."""
    v64 = v.astype(np.float64)
    return np.stack([v64, np.zeros_like(v64), np.ones_like(v64), -2 * np.ones_like(v64), v64 / 2, 3 + 0 * v64], -1)


def _cotangent(shape: tuple[int, ...]) -> np.ndarray:
    if not shape or len(shape) == 1:
        return np.ones(shape)
    return np.broadcast_to(np.resize(COTANGENT, shape[-1]), shape).copy()


# --------------------------------------------------------------------------- errors in ulps


def _ulp(t: np.ndarray, dtype: Any) -> np.ndarray:
    fi = _finfo(dtype)
    a = np.abs(t)
    with np.errstate(divide="ignore", invalid="ignore"):
        e = np.floor(np.log2(np.where(a > 0, a, 1.0)))
    e = np.where(a > 0, np.maximum(e, int(fi.minexp)), int(fi.minexp))
    return np.ldexp(1.0, (e - int(fi.nmant)).astype(int))


def ulp_errors(got: np.ndarray, true: np.ndarray, dtype: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(error in ulps, correctly rounded?, scored?) per point. ``true`` is float64 or an object
    array of mpmath numbers (then the difference is taken in mpmath)."""
    dt = jnp.dtype(dtype)
    g = np.asarray(got).astype(np.float64)
    if true.dtype == object:
        t = np.array([float(v) for v in true.ravel()], np.float64).reshape(true.shape)
        diff = np.array(
            [abs(float(v - gv)) if np.isfinite(gv) and np.isfinite(tv) else np.inf for v, gv, tv in zip(true.ravel(), g.ravel(), t.ravel())],
            np.float64,
        ).reshape(g.shape)
    else:
        t = true.astype(np.float64)
        with np.errstate(invalid="ignore", over="ignore"):
            diff = np.abs(g - t)
    with np.errstate(over="ignore", invalid="ignore"):
        td = t.astype(dt).astype(np.float64)  # the correctly rounded result (float64 → dtype)
    # XLA on CPU flushes subnormals to zero (inputs and results): points whose true value is
    # subnormal are not scored (``ulp_errors`` callers count them separately)
    scored = ~np.isnan(t) & ~((np.abs(t) < float(_finfo(dt).tiny)) & (t != 0))
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        err = diff / _ulp(t, dt)
    finite = np.isfinite(td)
    err = np.where(finite & np.isfinite(g), err, np.where(g == td, 0.0, np.inf))
    rounded = (g == td) | (np.isnan(g) & np.isnan(t))
    return err, rounded, scored


def _error_stats(err: np.ndarray, rounded: np.ndarray, mask: np.ndarray) -> dict[str, float]:
    e = err[mask]
    if e.size == 0:
        return {"max": 0.0, "p999": 0.0, "rounded": 100.0, "n": 0}
    s = np.sort(e)
    return {
        "max": float(s[-1]),
        "p999": float(s[min(len(s) - 1, int(math.ceil(0.999 * len(s))) - 1)]),
        "rounded": float(100 * np.mean(rounded[mask])),
        "n": int(e.size),
    }


# --------------------------------------------------------------------------- one row


def _value_and_grad(f: Callable, X: np.ndarray, W: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    @jax.jit
    def both(x, w):
        y, pull = jax.vjp(f, x)
        return y, pull(w.astype(y.dtype))[0]

    y, g = both(jnp.asarray(X), jnp.asarray(W))
    return np.asarray(y), np.asarray(g)


def _spread(idx: np.ndarray, cap: int, excluded: np.ndarray) -> np.ndarray:
    """At most ``cap`` of ``idx``, spread evenly; the rest are marked in ``excluded``."""
    if idx.size <= cap:
        return idx
    keep = idx[np.linspace(0, idx.size - 1, cap).round().astype(int)]
    excluded[np.setdiff1d(idx, keep)] = True
    return keep


def _as_float64(a: np.ndarray) -> np.ndarray:
    return a.astype(np.float64) if a.dtype != object else np.array([float(v) for v in a.ravel()]).reshape(a.shape)


def _untrusted_rows(f: Callable, X64: np.ndarray, W: np.ndarray, rv: np.ndarray, rg: np.ndarray,
                    g: np.ndarray, dt: Any, cap: int, excluded: np.ndarray) -> np.ndarray:
    """Rows where the float64 formula is not to be trusted: not finite, or more than 2^-40
    (relative) from jax_act's own float64 result. At most ``cap``, the rest ``excluded``."""
    y64, g64 = _value_and_grad(f, X64, W)
    rows = X64.shape[0]
    with np.errstate(invalid="ignore", over="ignore"):
        bad_v = ~np.isfinite(rv) | (np.abs(rv - y64) > 2**-40 * np.abs(y64) + 1e-300)
        bad_g = ~np.isfinite(rg) | (np.abs(rg - g64) > 2**-40 * np.abs(g64) + 1e-300)
    bad = bad_v.reshape(rows, -1).any(-1) | bad_g.reshape(rows, -1).any(-1)
    idx = _spread(np.flatnonzero(bad), cap, excluded)
    if dt.itemsize == 2:
        # Both float64 results can be wrong the same way (soft_sign' past |x| = 2^53: the
        # formula's two terms cancel, and y has rounded to 1). Where the 16-bit result
        # (float32 inside, rounded once) is more than 2 ulps from them, mpmath decides too,
        # with a budget of its own.
        with np.errstate(invalid="ignore", over="ignore"):
            far = np.isfinite(rg) & (np.abs(g.astype(np.float64) - rg) > 2 * _ulp(rg, dt))
        far = far.reshape(rows, -1).any(-1) & ~bad
        idx = np.union1d(idx, _spread(np.flatnonzero(far), cap, excluded))
    return idx


def _truth(case: Case, f: Callable, X: np.ndarray, W: np.ndarray, g: np.ndarray, dt: Any,
           cap: int) -> tuple[np.ndarray, np.ndarray, str, np.ndarray]:
    """(true values, true gradients, oracle, rows excluded): the reference in float64, with
    the untrusted points (every point, for float64) evaluated again in mpmath."""
    ref = lambda x: case.call(x, "reference")  # noqa: E731
    X64 = X.astype(np.float64)
    rv, rg = _value_and_grad(ref, X64, W)
    excluded = np.zeros(X.shape[0], bool)
    oracle = "f64"
    if mpmath_module() is not None:
        idx = np.arange(X.shape[0]) if dt == jnp.float64 else _untrusted_rows(f, X64, W, rv, rg, g, dt, cap, excluded)
        try:
            if idx.size:
                tv = mp_oracle(lambda x: ref(x), X64[idx])
                tg = mp_oracle(lambda x, w: jax.vjp(ref, x)[1](w)[0], X64[idx], W[idx])
                rv, rg = rv.astype(object), rg.astype(object)
                rv[idx], rg[idx] = tv, tg
            oracle = "mp"
        except Unsupported as e:
            oracle = f"f64 ({e})"
            rv, rg = rv.astype(np.float64), rg.astype(np.float64)
            excluded[:] = False
    if rv.dtype == object and dt != jnp.float64:  # float64 is plenty below float64
        rv, rg = _as_float64(rv), _as_float64(rg)
    return rv, rg, oracle, excluded


def _residual_limited(case: Case, level: str, dt: Any, X64: np.ndarray, rv: np.ndarray,
                      rg: np.ndarray) -> np.ndarray | None:
    """Where the backward pass reads f' from the saved output y, rounding y to the dtype alone
    moves f' by |f''(x)| · ulp(y)/2 / f'(x)² (relative): where that exceeds one ulp of f'
    (σ near 1, tanh near ±1, elu near −α: the output is close to its limit and has lost the
    bits f' needs), the point is "residual-limited" and left out of the float32 goal. None
    unless f' is read from the output kept in the dtype."""
    rule = (case.activation.rules or {}).get(level)
    if rule is None or rule.saves != "output" or rule.keeps_input(dt):
        return None
    f2 = jax.jit(jax.vmap(jax.grad(jax.grad(lambda v: case.call(v, "reference")))))
    with np.errstate(all="ignore"):
        h = np.asarray(f2(jnp.asarray(X64)))
        tgf = _as_float64(rg)
        rel = np.abs(h) * _ulp(_as_float64(rv), dt) / 2 / (tgf * tgf)
        return np.isfinite(h) & ((rel > 2.0 ** -int(_finfo(dt).nmant)) | ((tgf == 0) & (h != 0)))


@dataclasses.dataclass(frozen=True)
class _Scoring:
    """What a row's (value, gradient) pairs are scored against, and on which points."""

    dt: Any
    rv: np.ndarray  # the true values and gradients
    rg: np.ndarray
    rows: np.ndarray  # rows scored: neither excluded nor a subnormal input
    on_kink: np.ndarray  # rows at a kink: values scored, gradients not
    limited: np.ndarray | None  # see _residual_limited
    unsaturated: np.ndarray | None  # elementwise: the output has not reached its limit
    terms: np.ndarray | None  # where the VJP is a difference a − b: max(|a|, |b|) (see _terms)

    def __call__(self, yv: np.ndarray, gv: np.ndarray) -> dict[str, Any]:
        ev, cv, sv = ulp_errors(yv, self.rv, self.dt)
        eg, cg, sg = ulp_errors(gv, self.rg, self.dt)
        mv = sv & _per_point(self.rows, ev.shape)
        mg = sg & _per_point(self.rows & ~self.on_kink, eg.shape)
        out = {"value": _error_stats(ev, cv, mv), "grad": _error_stats(eg, cg, mg)}
        if self.terms is not None:
            with np.errstate(invalid="ignore", over="ignore"):
                et = np.abs(gv.astype(np.float64) - _as_float64(self.rg)) / _ulp(self.terms, self.dt)
            # a gradient whose terms are all below the smallest normal is flushed by XLA:CPU
            big = self.terms >= float(_finfo(self.dt).tiny)
            out["grad_terms"] = _error_stats(np.where(np.isnan(et), eg, et), cg, mg & big)
        if self.limited is not None:  # the same points for both sides: the comparison with jax.nn
            out["grad_unlimited"] = _error_stats(eg, cg, mg & ~self.limited)
        if self.unsaturated is not None:
            # the float32 gradient goal: where the true gradient is a normal float and the
            # saved output has not saturated (rounded to the limit at ±∞)
            tgf = _as_float64(self.rg)
            normal = np.isfinite(tgf) & (np.abs(tgf) >= float(_finfo(self.dt).tiny))
            out["grad_goal"] = _error_stats(eg, cg, mg & normal & self.unsaturated)
            out["saturated"] = int(np.sum(mg & ~self.unsaturated))
        return out


def _per_point(mask_rows: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    return np.broadcast_to(mask_rows.reshape((-1,) + (1,) * (len(shape) - 1)), shape)


def _terms(case: Case, X64: np.ndarray, W: np.ndarray) -> np.ndarray | None:
    """The larger of the two terms the VJP subtracts, per entry, in float64 from the
    declaration's own terms (None where it does not state them)."""
    larger = case.activation.gradient_terms
    if larger is None:
        return None
    return np.asarray(jax.jit(larger)(jnp.asarray(X64), jnp.asarray(W, np.float64)))


def _unsaturated(f: Callable, y: np.ndarray, dt: Any, limited: np.ndarray | None) -> np.ndarray:
    """Points whose output is not f's limit at ±∞ (nor, where f' is read from a rounded
    output, residual-limited)."""
    big = float(_finfo(dt).max)
    lim = np.asarray(f(jnp.asarray([-big, big], dt))).astype(np.float64)
    unsat = ~np.isin(y.astype(np.float64), lim[np.isfinite(lim)])
    return unsat & ~limited if limited is not None else unsat


def _jax_nn_score(case: Case, X: np.ndarray, W: np.ndarray, score: _Scoring) -> dict[str, Any] | None:
    """jax.nn's counterpart scored the same way; None where there is none."""
    nn_name = case.spec.jax_nn
    nn = getattr(jax.nn, nn_name, None) if nn_name else None
    if nn is None:
        return None
    try:  # keywords jax.nn does not take (softplus's beta) only when they are our defaults
        try:
            accepted = set(inspect.signature(nn).parameters)
        except (TypeError, ValueError):
            accepted = set(case.kwargs())
        ours = inspect.signature(case.activation.fn).parameters
        kw = {k: v for k, v in case.kwargs().items() if k in accepted}
        dropped = {k: v for k, v in case.kwargs().items() if k not in accepted}
        if any(ours[k].default is inspect.Parameter.empty or ours[k].default != v for k, v in dropped.items()):
            raise TypeError(f"jax.nn.{nn_name} has no {sorted(dropped)}")
        return score(*_value_and_grad(lambda x: nn(x, **kw), X, W))
    except Exception as e:  # noqa: BLE001
        return {"error": f"{type(e).__name__}: {e}"[:120]}


def measure(case: Case, dtype: Any, points: int = 20000, mp_points: int = 2000, mp_cap: int = 1500,
            level: str = "default") -> dict[str, Any]:
    """One row of the accuracy table: jax_act at accuracy ``level`` and jax.nn against the
    oracle on one dtype."""
    dt = jnp.dtype(dtype)
    xs = grid(dt, points if dt != jnp.float64 else mp_points, case.kinks())
    lo, hi = case.spec.probes.domain
    xs = xs[(xs.astype(np.float64) >= lo) & (xs.astype(np.float64) <= hi)]
    x64 = xs.astype(np.float64)
    elementwise = case.kind == "elementwise"
    X = xs if elementwise else _axis_rows(xs).astype(dt)
    f = lambda x: case.call(x, accuracy=level)  # noqa: E731
    W = _cotangent(jax.eval_shape(f, jax.ShapeDtypeStruct(X.shape, dt)).shape)
    y, g = _value_and_grad(f, X, W)
    rv, rg, oracle, excluded = _truth(case, f, X, W, g, dt, mp_cap)
    limited = _residual_limited(case, level, dt, X.astype(np.float64), rv, rg)
    sub_in = (np.abs(x64) < float(_finfo(dt).tiny)) & (x64 != 0)  # flushed to zero by XLA on CPU
    score = _Scoring(dt, rv, rg, ~excluded & ~sub_in, np.isin(x64, np.asarray(case.kinks(), np.float64)),
                     limited, _unsaturated(f, y, dt, limited) if elementwise else None,
                     _terms(case, X.astype(np.float64), W))
    row: dict[str, Any] = {"name": case.id, "dtype": dt.name, "level": level, "oracle": oracle, "points": int(X.shape[0])}
    row["residual_limited"] = int(limited.sum()) if limited is not None else 0
    row["excluded"] = int(excluded.sum())  # untrusted float64 oracle beyond the mpmath budget
    row["subnormal_inputs"] = int(sub_in.sum())
    row["jax_act"] = score(y, g)
    nn = _jax_nn_score(case, X, W, score)
    if nn is not None:
        row["jax_nn"] = nn
    row["goals"] = goals(row)
    return row


def goals(row: dict[str, Any]) -> list[str]:
    """Which goals a row misses (empty: all met). Every level: value and gradient no worse
    than jax.nn's (max and 99.9th percentile, the gradient also in ulps of its terms), and in
    16-bit dtypes correctly rounded at least as often. ``highest`` also: float32 gradients within 4
    ulps where unsaturated, and 16-bit values and gradients correctly rounded on ≥ 99%."""
    miss = []
    ours, nn = row["jax_act"], row.get("jax_nn")
    if nn and "error" not in nn:
        for part in ("value", "grad", "grad_terms"):
            # a gradient read from a saved output that has lost the bits f' needs is compared
            # off those points: their error is the residual's rounding, stated in `lim`
            key = "grad_unlimited" if part == "grad" and "grad_unlimited" in ours else part
            if key not in ours:
                continue
            if ours[key]["max"] > nn[key]["max"] + 1e-9 or ours[key]["p999"] > nn[key]["p999"] + 1e-9:
                miss.append(f"{part} worse than jax.nn")
            # 16-bit results are computed in float32 and rounded once: correctly rounded is
            # the norm there, and the share says how often a function misses it
            if part != "grad_terms" and jnp.dtype(row["dtype"]) in HALF and ours[key]["rounded"] < nn[key]["rounded"] - 1e-9:
                miss.append(f"{part} correctly rounded less often than jax.nn")
    if row.get("level", "highest") != "highest":
        return miss
    if row["dtype"] == "float32" and "grad_goal" in ours and ours["grad_goal"]["max"] > 4:
        miss.append(f"f32 grad {ours['grad_goal']['max']:.3g} ulp > 4")
    if jnp.dtype(row["dtype"]) in HALF:
        for part in ("value", "grad"):
            if ours[part]["rounded"] < 99:
                miss.append(f"{part} correctly rounded {ours[part]['rounded']:.1f}% < 99%")
    return miss


# --------------------------------------------------------------------------- the command


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--only", nargs="+", metavar="NAME", help="activations, spaces or commas (default: all)")
    parser.add_argument("--dtypes", nargs="+", default=list(DTYPES), metavar="DTYPE",
                        help=f"spaces or commas (default: {' '.join(DTYPES)})")
    parser.add_argument("--accuracy", choices=LEVELS, default="default",
                        help="the accuracy level to measure (default: %(default)s)")
    parser.add_argument("--json", default=None, metavar="PATH", help="also write every figure as JSON to PATH")
    parser.add_argument("--points", type=int, default=20000, help="grid size for float32 (16-bit types: every value)")
    parser.add_argument("--mp-points", type=int, default=2000, help="grid size for float64 (all evaluated in mpmath)")
    parser.add_argument("--all-params", action="store_true", help="every test parameter set, not only the first (and the formula choices)")


def _fmt(v: float) -> str:
    if v == 0:
        return "0"
    if not np.isfinite(v):
        return "inf"
    return f"{v:.3g}" if v < 1e4 else f"{v:.1e}"


def _terms_cell(side: dict[str, Any]) -> str:
    return f"{_fmt(side['grad_terms']['max']):>7}" if "grad_terms" in side else f"{'—':>7}"


def format_row(row: dict[str, Any]) -> str:
    o, n = row["jax_act"], row.get("jax_nn")
    cells = [row["name"][:28].ljust(28), row["dtype"].ljust(8), row["oracle"][:3].ljust(3)]
    for part in ("value", "grad"):
        s = o[part]
        cells.append(f"{_fmt(s['max']):>7} {_fmt(s['p999']):>6} {s['rounded']:5.1f}%")
    cells.append(_terms_cell(o))
    cells.append(f"{_fmt(o['grad_goal']['max']):>7}" if "grad_goal" in o else f"{'—':>7}")
    cells.append(f"{row.get('residual_limited', 0):>5}")
    if n and "error" not in n:
        for part in ("value", "grad"):
            s = n[part]
            cells.append(f"{_fmt(s['max']):>7} {_fmt(s['p999']):>6} {s['rounded']:5.1f}%")
        cells.append(_terms_cell(n))
    else:
        cells.append(f"{'—':>21} | {'—':>21} | {'—':>7}" if not n else f"{'error':>21} | {'':>21} | {'':>7}")
    cells.append("ok" if not row["goals"] else "; ".join(row["goals"]))
    return " | ".join(cells)


HEADER = (
    f"{'activation':28} | {'dtype':8} | orc | {'value max p99.9 CR':>21} | {'grad max p99.9 CR':>21} | "
    f"{'terms':>7} | {'grad*':>7} | {'lim':>5} | {'nn value max p99.9 CR':>21} | {'nn grad max p99.9 CR':>21} | "
    f"{'nn terms':>7} | goals"
)


LEGEND = (
    "errors in ulps of the output dtype; CR = correctly rounded points; nn = jax.nn on the same grid;\n"
    "terms = max gradient error in ulps of the larger of the two terms the VJP subtracts (softmax:\n"
    "S_i w_i and S_i <S, w>);\n"
    "grad* = max gradient error where the true gradient is normal and the saved output has neither\n"
    "saturated nor lost the bits f' needs (the float32 goal: <= 4); lim = points where f' is read from\n"
    "a saved output that has lost those bits (their error is the residual's rounding: the gradient is\n"
    "compared with jax.nn's off them); orc = oracle (mp: mpmath, f64: float64)"
)
GOALS = {
    "default": "no worse than jax.nn (max and p99.9, gradients also in ulps of their terms; 16-bit: CR share)",
    "highest": "no worse than jax.nn; float32 grad* <= 4 ulps; 16-bit values and gradients >= 99% CR",
}


def _measured_row(case: Case, dtype: str, args: argparse.Namespace) -> dict[str, Any]:
    """One printed row; a broken activation is a row with its error, not a crash."""
    t0 = time.time()
    try:
        row = measure(case, dtype, args.points, args.mp_points, level=args.accuracy)
    except Exception as e:  # noqa: BLE001
        row = {"name": case.id, "dtype": dtype, "error": f"{type(e).__name__}: {e}"[:200]}
        print(f"{case.id:28} | {dtype:8} | error: {row['error']}", flush=True)
        return row
    row["seconds"] = round(time.time() - t0, 2)
    print(format_row(row), flush=True)
    return row


def run(args: argparse.Namespace) -> int:
    from .._compat import enable_x64

    from .cli import activation_names, dtype_names

    names = activation_names(args.only, "accuracy") or list(REGISTRY)
    dtypes = dtype_names(args.dtypes, DTYPES)
    if mpmath_module() is None:
        print("jax-act accuracy: mpmath not installed: the float64 rows use a float64 oracle", file=sys.stderr)
    start = time.time()
    with enable_x64(True):
        print(f"accuracy level: {args.accuracy}; goals (ok = all met): {GOALS[args.accuracy]}\n{LEGEND}")
        print(HEADER)
        rows = [_measured_row(case, d, args) for case in cases(names, all_params=args.all_params) for d in dtypes]
    missed = [r for r in rows if r.get("goals") or "error" in r]
    print(
        f"\n{len(rows)} rows in {time.time() - start:.0f} s; {len(rows) - len(missed)} meet every goal, "
        f"{len(missed)} miss one (listed under goals); jax {jax.__version__}, {jax.default_backend()}"
    )
    if args.json:
        meta = {"jax": jax.__version__, "backend": jax.default_backend(), "date": time.strftime("%Y-%m-%d %H:%M:%S"),
                "accuracy": args.accuracy, "command": "jax-act accuracy " + " ".join(sys.argv[2:]), "rows": rows}
        with open(args.json, "w") as fh:
            json.dump(meta, fh, indent=1, default=float)
    return 0
