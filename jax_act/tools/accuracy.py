"""``jax-act accuracy``: error in ulps against a higher-precision oracle, beside jax.nn's.

For every registered activation and every dtype (bfloat16, float16, float32, float64) it
evaluates, on a dense grid spanning the dtype's whole finite range plus the edge set,

* the value ``f(x)`` and
* the gradient (elementwise: ``f'(x)``, the VJP with a cotangent of ones; along an axis: the
  VJP with a fixed cotangent row),

of jax_act's public function and of jax.nn's counterpart, and reports the max and the 99.9th
percentile of the error in ulps of the output dtype, and the share of correctly rounded
points (error ≤ ½ ulp), side by side.

**The oracle.** The declaration's ``reference`` (the plain formula) and ``jax.grad`` of it,
traced to a jaxpr once and then

* evaluated in float64 (vectorized) for the bfloat16/float16/float32 grids, with every point
  where the float64 evaluation is not trustworthy (non-finite, or disagreeing with jax_act's
  own float64 result by more than 2^-40 relative: cancellation or overflow in the naive
  formula) re-evaluated by interpreting the same jaxpr in mpmath at 40 significant digits;
* interpreted in mpmath at 40 digits at every point for the float64 grid.

The interpreter knows the primitives plain formulas are written with (arithmetic, exp, log,
log1p, expm1, tanh, logistic, erf, comparisons, select, reductions, ...). Without mpmath
installed, or for a formula using a primitive it does not know, the float64 evaluation alone
is the oracle; the row says so (column ``oracle``: ``mp`` or ``f64``).

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
from ..testing import DTYPES, Case, cases



# --------------------------------------------------------------------------- mpmath oracle
#
# The oracle's jaxpr (the plain formula, or jax's VJP of it, traced in float64) interpreted on
# numpy object arrays of mpmath numbers at 40 significant digits: no overflow, no cancellation.


class Unsupported(Exception):
    """A primitive the interpreter does not know: the caller falls back to float64."""


def _mp():
    try:
        import mpmath
    except ImportError:
        return None
    return mpmath


def _interpret(closed: Any, args: list[np.ndarray]) -> list[np.ndarray]:
    mp = _mp()
    if mp is None:
        raise Unsupported("mpmath is not installed")
    vec = lambda f: np.vectorize(f, otypes=[object])  # noqa: E731
    # A float64 constant that is the rounding of one of these stands for it: jax's ndtr
    # scales by a float64 √½ and erfc's derivative by −2/√π, and their last bit, multiplied
    # by x² (or by the cancellation at a root of f'), moved the oracle by hundreds of float64
    # ulps (exact gelu' at x = −18 and near its root)
    exact = (
        lambda: mp.pi, lambda: mp.sqrt(2), lambda: mp.sqrt(0.5), lambda: mp.sqrt(mp.pi), lambda: 1 / mp.sqrt(mp.pi),
        lambda: 2 / mp.sqrt(mp.pi), lambda: mp.sqrt(2 * mp.pi), lambda: 1 / mp.sqrt(2 * mp.pi),
        lambda: mp.sqrt(2 / mp.pi), lambda: mp.ln2, lambda: mp.log(2 * mp.pi) / 2,
    )
    known = {float(c()): c for c in exact}

    def constant(v: float) -> Any:
        c = known.get(abs(v))
        return mp.mpf(v) if c is None else (c() if v > 0 else -c())

    to_mp = vec(lambda v: mp.mpf(float(v)))  # float64 only: mpf_array keeps bools and integers
    to_mp_constant = vec(lambda v: constant(float(v)))

    def mpf_array(a: Any, snap: bool = False) -> np.ndarray:
        """``a`` as mpmath numbers; ``snap``: a constant of the formula (see ``known``)."""
        a = np.asarray(a)
        if a.dtype == object:
            return a
        if a.dtype == bool or np.issubdtype(a.dtype, np.integer):
            return a
        return (to_mp_constant if snap else to_mp)(a.astype(np.float64)) if a.size else a.astype(object)

    def safe(f):
        def g(v):
            try:
                return f(v)
            except (ValueError, ZeroDivisionError):
                return mp.nan

        return vec(g)

    def div(a, b):
        def d(u, v):
            if v == 0:
                if u == 0 or mp.isnan(u):
                    return mp.nan
                return mp.inf if (u > 0) == (not _neg_zero(v)) else -mp.inf
            return u / v

        return vec(d)(a, b)

    def _neg_zero(v) -> bool:
        return False  # mpmath has no signed zero; a float −0 divisor is treated as +0

    def log(v):
        if v == 0:
            return -mp.inf
        if v < 0 or mp.isnan(v):
            return mp.nan
        return mp.log(v)

    def log1p(v):  # not log(1 + v): 1 + e^−256 is 1 at 80 digits (mish's oracle lost eˣ there)
        if v == -1:
            return -mp.inf
        return mp.nan if v < -1 or mp.isnan(v) else mp.log1p(v)

    unary = {
        "neg": lambda a: -a,
        "abs": vec(abs),
        "sign": vec(lambda v: mp.sign(v)),
        "exp": vec(mp.exp),
        "exp2": vec(lambda v: mp.power(2, v)),
        "log": vec(log),
        "log1p": vec(lambda v: log1p(v)),
        "expm1": vec(mp.expm1),
        "tanh": vec(mp.tanh),
        "logistic": vec(lambda v: 1 / (1 + mp.exp(-v))),
        "erf": vec(mp.erf),
        # mpmath overflows a float on erfc(1e300); past 1e100 it is below 10^(−10^200): 0
        "erfc": vec(lambda v: mp.erfc(v) if v < 1e100 else mp.mpf(0)),
        "sqrt": safe(lambda v: mp.sqrt(v) if v >= 0 else mp.nan),
        "rsqrt": safe(lambda v: 1 / mp.sqrt(v) if v > 0 else (mp.inf if v == 0 else mp.nan)),
        "cbrt": vec(mp.cbrt),
        "square": lambda a: a * a,
        "sin": vec(mp.sin),
        "cos": vec(mp.cos),
        "atan": vec(mp.atan),
        "copy": lambda a: a,
        "copy_p": lambda a: a,
        "is_finite": vec(lambda v: bool(mp.isfinite(v))),
        "not": lambda a: ~np.asarray(a, bool),
        "stop_gradient": lambda a: a,
    }
    binary = {
        "add": lambda a, b: a + b,
        "add_any": lambda a, b: a + b,
        "sub": lambda a, b: a - b,
        "mul": lambda a, b: a * b,
        "div": div,
        "pow": vec(lambda u, v: mp.power(u, v)),
        "max": vec(lambda u, v: mp.nan if mp.isnan(u) or mp.isnan(v) else max(u, v)),
        "min": vec(lambda u, v: mp.nan if mp.isnan(u) or mp.isnan(v) else min(u, v)),
        "gt": lambda a, b: np.asarray(a > b, bool),
        "lt": lambda a, b: np.asarray(a < b, bool),
        "ge": lambda a, b: np.asarray(a >= b, bool),
        "le": lambda a, b: np.asarray(a <= b, bool),
        "eq": lambda a, b: np.asarray(a == b, bool),
        "ne": lambda a, b: np.asarray(a != b, bool),
        "and": lambda a, b: np.logical_and(a, b),
        "or": lambda a, b: np.logical_or(a, b),
    }

    def run(jaxpr: Any, consts: list, vals: list) -> list:
        env: dict = {}

        def read(v):
            if type(v).__name__ == "Literal":
                return mpf_array(v.val, snap=True)
            return env[v]

        for var, val in zip(jaxpr.constvars, consts):
            env[var] = mpf_array(val, snap=True)
        for var, val in zip(jaxpr.invars, vals):
            env[var] = val
        for eqn in jaxpr.eqns:
            name, p = eqn.primitive.name, eqn.params
            ins = [read(v) for v in eqn.invars]
            if name in unary:
                out = unary[name](np.asarray(ins[0]))
            elif name in binary:
                a, b = (np.asarray(v) for v in ins)
                a, b = np.broadcast_arrays(a, b)
                out = binary[name](a, b)
            elif name == "integer_pow":
                out = vec(lambda v: v ** p["y"] if v != 0 or p["y"] > 0 else mp.inf)(ins[0])
            elif name == "select_n":
                which = np.asarray(ins[0]).astype(int)
                cases_ = np.broadcast_arrays(*[np.asarray(c, object) for c in ins[1:]])
                out = np.choose(which, cases_) if cases_[0].ndim else cases_[int(which)]
            elif name == "convert_element_type":
                dt = np.dtype(p["new_dtype"])
                a = np.asarray(ins[0])
                if np.issubdtype(dt, np.floating):
                    out = a if a.dtype == object else mpf_array(a.astype(np.float64))
                elif dt == bool:
                    out = np.asarray(a != 0, bool) if a.dtype != bool else a
                else:
                    out = np.vectorize(lambda v: int(v), otypes=[dt])(a) if a.size else a.astype(dt)
            elif name == "broadcast_in_dim":
                a = np.asarray(ins[0])
                shape, dims = p["shape"], p["broadcast_dimensions"]
                expanded = [1] * len(shape)
                for i, d in enumerate(dims):
                    expanded[d] = a.shape[i]
                out = np.broadcast_to(a.reshape(expanded), shape)
            elif name == "reshape":
                out = np.asarray(ins[0]).reshape(p["new_sizes"])
            elif name == "squeeze":
                out = np.squeeze(np.asarray(ins[0]), tuple(p["dimensions"]))
            elif name == "expand_dims":
                out = np.expand_dims(np.asarray(ins[0]), tuple(p["dimensions"]))
            elif name == "transpose":
                out = np.transpose(np.asarray(ins[0]), p["permutation"])
            elif name == "reduce_sum":
                out = np.sum(np.asarray(ins[0]), axis=tuple(p["axes"]))
                out = mpf_array(out) if np.ndim(out) == 0 and not isinstance(out, np.ndarray) else np.asarray(out, object)
            elif name in ("reduce_max", "reduce_min"):
                f = np.max if name == "reduce_max" else np.min
                out = np.asarray(f(np.asarray(ins[0]), axis=tuple(p["axes"])), object)
            elif name == "slice":
                strides = p["strides"] or (1,) * len(p["start_indices"])
                out = np.asarray(ins[0])[tuple(slice(a, b, c) for a, b, c in zip(p["start_indices"], p["limit_indices"], strides))]
            elif name == "concatenate":
                out = np.concatenate([np.asarray(v, object) for v in ins], axis=p["dimension"])
            elif name == "pad":
                a, fill = np.asarray(ins[0], object), np.asarray(ins[1], object)
                cfg = p["padding_config"]
                if any(i != 0 or lo < 0 or hi < 0 for lo, hi, i in cfg):
                    raise Unsupported("pad (interior or negative)")
                out = np.full(tuple(n + lo + hi for n, (lo, hi, _) in zip(a.shape, cfg)), fill[()], object)
                out[tuple(slice(lo, lo + n) for n, (lo, _, _) in zip(a.shape, cfg))] = a
            elif name in ("jit", "pjit", "closed_call", "core_call", "remat", "checkpoint"):
                inner = p.get("jaxpr") or p.get("call_jaxpr")
                out = run(inner.jaxpr, inner.consts, ins)
            elif name in ("custom_jvp_call", "custom_vjp_call", "custom_vjp_call_jaxpr"):
                inner = p.get("call_jaxpr") or p.get("fun_jaxpr")
                inner_jaxpr = inner.jaxpr if hasattr(inner, "jaxpr") else inner
                out = run(inner_jaxpr, getattr(inner, "consts", []), ins)
            else:
                raise Unsupported(name)
            outs = out if eqn.primitive.multiple_results else [out]
            for var, val in zip(eqn.outvars, outs):
                env[var] = np.asarray(val) if not isinstance(val, np.ndarray) else val
        return [read(v) for v in jaxpr.outvars]

    return run(closed.jaxpr, closed.consts, [mpf_array(a) for a in args])


def mp_oracle(f: Callable[..., jax.Array], x: np.ndarray, *extra: np.ndarray) -> np.ndarray:
    """``f(x)`` (``x`` float64) with ``f``'s float64 jaxpr interpreted in mpmath: an object array.

    Evaluated at 40 and at 80 significant digits; where the two disagree or give exactly 0
    for an input below 1e-60 (cancellation in the plain formula, e.g. (e^x − e^−x) for tiny x)
    the point is evaluated again (at most 400 points; any beyond come back as NaN, i.e. not
    scored) with 60 + |log10 of the smallest input| digits (at most 400), enough for the
    cancellation between float64 inputs, and once more at twice that: points where those two
    still disagree (terms like e^−1000 cancelling) come back as NaN too."""
    mp = _mp()
    if mp is None:
        raise Unsupported("mpmath is not installed")
    mp.mp.dps = 40
    extra = tuple(np.asarray(e, np.float64) for e in extra)  # row-aligned with x (cotangents)
    closed = jax.make_jaxpr(f)(*(jnp.asarray(a, jnp.float64) for a in (x, *extra)))
    try:
        (lo,) = _interpret(closed, [x, *extra])
        mp.mp.dps = 80
        (hi,) = _interpret(closed, [x, *extra])
        lo, hi = np.asarray(lo, object), np.asarray(hi, object)
        flat_lo, flat_hi = lo.reshape(lo.shape[0] if lo.ndim else 1, -1), hi.reshape(hi.shape[0] if hi.ndim else 1, -1)
        # an exact 0 at 80 digits can hide total cancellation only for inputs below ~1e-60
        xr = np.abs(np.asarray(x, np.float64)).reshape(flat_hi.shape[0], -1)
        tiny = [bool(np.any((r != 0) & (r < 1e-60))) for r in xr]
        bad = [
            i
            for i in range(flat_hi.shape[0])
            if any(
                not (mp.isnan(a) and mp.isnan(b))
                and (mp.isnan(a) != mp.isnan(b) or abs(a - b) > mp.mpf(10) ** -30 * abs(b) or (b == 0 and tiny[i]))
                for a, b in zip(flat_lo[i], flat_hi[i])
            )
        ]
        if len(bad) > 400:  # a budget: the rest are not trusted at 80 digits, so not scored
            flat = hi.reshape(flat_hi.shape)
            flat[bad[400:]] = mp.nan
            bad = bad[:400]
        if bad and x.ndim:
            subs = [np.asarray(a)[bad] for a in (x, *extra)]
            nz = np.abs(subs[0][subs[0] != 0])
            mp.mp.dps = int(min(400, 60 + max(0.0, -np.log10(nz.min())) if nz.size else 60))
            closed_sub = jax.make_jaxpr(f)(*(jnp.asarray(a, jnp.float64) for a in subs))
            (redo,) = _interpret(closed_sub, subs)
            mp.mp.dps *= 2
            (check,) = _interpret(closed_sub, subs)
            redo, check = np.asarray(redo, object), np.asarray(check, object)
            # still not converged (e.g. cancellation of e^−1000-sized terms): not scored
            same = np.vectorize(lambda a, b: bool(a == b or (mp.isnan(a) and mp.isnan(b)) or abs(a - b) <= mp.mpf(10) ** -30 * abs(b)), otypes=[bool])
            redo = np.where(same(redo, check), check, mp.nan)
            hi = hi.copy()
            hi[bad] = redo
        return hi
    finally:
        mp.mp.dps = 40


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


def measure(case: Case, dtype: Any, points: int = 20000, mp_points: int = 2000, mp_cap: int = 1500,
            level: str = "default") -> dict[str, Any]:
    """One row of the accuracy table: jax_act at accuracy ``level`` and jax.nn against the
    oracle on one dtype."""
    dt = jnp.dtype(dtype)
    xs = grid(dt, points if dt != jnp.float64 else mp_points, case.kinks())
    lo, hi = case.spec.probes.domain
    x64 = xs.astype(np.float64)
    xs = xs[(x64 >= lo) & (x64 <= hi)]
    elementwise = case.kind == "elementwise"
    X = xs if elementwise else _axis_rows(xs).astype(dt)
    X64 = X.astype(np.float64)
    f = lambda x: case.call(x, accuracy=level)  # noqa: E731
    ref = lambda x: case.call(x, "reference")  # noqa: E731
    out_shape = jax.eval_shape(f, jax.ShapeDtypeStruct(X.shape, dt)).shape
    W = _cotangent(out_shape)
    y, g = _value_and_grad(f, X, W)
    # the oracle
    oracle = "f64"
    rv, rg = _value_and_grad(ref, X64, W)
    excluded = np.zeros(X.shape[0], bool)
    mp_oracle_available = _mp() is not None
    if mp_oracle_available:
        if dt == jnp.float64:
            idx = np.arange(X.shape[0])
        else:  # repair the points where the float64 formula is not trustworthy
            y64, g64 = _value_and_grad(f, X64, W)
            with np.errstate(invalid="ignore", over="ignore"):
                bad_v = ~np.isfinite(rv) | (np.abs(rv - y64) > 2**-40 * np.abs(y64) + 1e-300)
                bad_g = ~np.isfinite(rg) | (np.abs(rg - g64) > 2**-40 * np.abs(g64) + 1e-300)
            bad = bad_v.reshape(X.shape[0], -1).any(-1) | bad_g.reshape(X.shape[0], -1).any(-1)
            idx = _spread(np.flatnonzero(bad), mp_cap, excluded)
            if dt.itemsize == 2:
                # Both float64 results can be wrong the same way (soft_sign' past |x| = 2^53:
                # the formula's two terms cancel, and y has rounded to 1). Where the 16-bit
                # result (float32 inside, rounded once) is more than 2 ulps from them,
                # mpmath decides too, with a budget of its own.
                with np.errstate(invalid="ignore", over="ignore"):
                    far = np.isfinite(rg) & (np.abs(g.astype(np.float64) - rg) > 2 * _ulp(rg, dt))
                far = far.reshape(X.shape[0], -1).any(-1) & ~bad
                idx = np.union1d(idx, _spread(np.flatnonzero(far), mp_cap, excluded))
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
        rv = np.array([float(v) for v in rv.ravel()]).reshape(rv.shape)
        rg = np.array([float(v) for v in rg.ravel()]).reshape(rg.shape)
    sub_in = (np.abs(x64[(x64 >= lo) & (x64 <= hi)]) < float(_finfo(dt).tiny)) & (x64[(x64 >= lo) & (x64 <= hi)] != 0)
    # Where the backward pass reads f' from the saved output y, rounding y to the dtype alone
    # moves f' by |f''(x)| · ulp(y)/2 / f'(x)² (relative): where that exceeds one ulp of f'
    # (σ near 1, tanh near ±1, elu near −α: the output is close to its limit and has lost the
    # bits f' needs), the point is "residual-limited" and left out of the float32 goal.
    limited = None  # (unless f' is read from the output kept in the dtype)
    rule = (case.activation.rules or {}).get(level)
    if rule is not None and rule.saves == "output" and not rule.keeps_input(dt):
        f2 = jax.jit(jax.vmap(jax.grad(jax.grad(lambda v: case.call(v, "reference")))))
        with np.errstate(all="ignore"):
            h = np.asarray(f2(jnp.asarray(X64)))
            tvf = rv.astype(np.float64) if rv.dtype != object else np.array([float(v) for v in rv.ravel()])
            tgf = rg.astype(np.float64) if rg.dtype != object else np.array([float(v) for v in rg.ravel()])
            rel = np.abs(h) * _ulp(tvf, dt) / 2 / (tgf * tgf)
            limited = np.isfinite(h) & ((rel > 2.0 ** -int(_finfo(dt).nmant)) | ((tgf == 0) & (h != 0)))
    keep_rows = ~excluded & ~sub_in  # subnormal inputs: flushed to zero by XLA on CPU
    on_kink = np.isin(x64[(x64 >= lo) & (x64 <= hi)], np.asarray(case.kinks(), np.float64))

    def per_point(mask_rows: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        return np.broadcast_to(mask_rows.reshape((-1,) + (1,) * (len(shape) - 1)), shape)

    def score(yv: np.ndarray, gv: np.ndarray) -> dict[str, Any]:
        ev, cv, sv = ulp_errors(yv, rv, dt)
        eg, cg, sg = ulp_errors(gv, rg, dt)
        mv = sv & per_point(keep_rows, ev.shape)
        mg = sg & per_point(keep_rows & ~on_kink, eg.shape)
        out = {"value": _error_stats(ev, cv, mv), "grad": _error_stats(eg, cg, mg)}
        if limited is not None:  # the same points for both sides: the comparison with jax.nn
            out["grad_unlimited"] = _error_stats(eg, cg, mg & ~limited)
        # the float32 gradient goal: where the true gradient is a normal float and the saved
        # output has not saturated (rounded to the limit at ±∞)
        if elementwise:
            tgf = rg.astype(np.float64) if rg.dtype != object else np.array([float(v) for v in rg.ravel()])
            normal = np.isfinite(tgf) & (np.abs(tgf) >= float(_finfo(dt).tiny))
            lim = np.asarray(f(jnp.asarray([-float(_finfo(dt).max), float(_finfo(dt).max)], dt))).astype(np.float64)
            unsat = ~np.isin(y.astype(np.float64), lim[np.isfinite(lim)])
            if limited is not None:  # f' computed from a rounded output: its conditioning
                unsat &= ~limited
            out["grad_goal"] = _error_stats(eg, cg, mg & normal & unsat)
            out["saturated"] = int(np.sum(mg & ~unsat))
        return out

    row: dict[str, Any] = {"name": case.id, "dtype": dt.name, "level": level, "oracle": oracle, "points": int(X.shape[0])}
    row["residual_limited"] = int(limited.sum()) if limited is not None else 0
    row["excluded"] = int(excluded.sum())  # untrusted float64 oracle beyond the mpmath budget
    row["subnormal_inputs"] = int(sub_in.sum())
    row["jax_act"] = score(y, g)
    nn_name = case.spec.jax_nn
    nn = getattr(jax.nn, nn_name, None) if nn_name else None
    if nn is not None:
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
            yn, gn = _value_and_grad(lambda x: nn(x, **kw), X, W)
            row["jax_nn"] = score(yn, gn)
        except Exception as e:  # noqa: BLE001
            row["jax_nn"] = {"error": f"{type(e).__name__}: {e}"[:120]}
    row["goals"] = goals(row)
    return row


def goals(row: dict[str, Any]) -> list[str]:
    """Which goals a row misses (empty: all met). Every level: value and gradient no worse
    than jax.nn's (max and 99.9th percentile). ``highest`` also: float32 gradients within 4
    ulps where unsaturated, and 16-bit values and gradients correctly rounded on ≥ 99%."""
    miss = []
    ours, nn = row["jax_act"], row.get("jax_nn")
    if nn and "error" not in nn:
        for part in ("value", "grad"):
            # a gradient read from a saved output that has lost the bits f' needs is compared
            # off those points: their error is the residual's rounding, stated in `lim`
            key = "grad_unlimited" if part == "grad" and "grad_unlimited" in ours else part
            if ours[key]["max"] > nn[key]["max"] + 1e-9 or ours[key]["p999"] > nn[key]["p999"] + 1e-9:
                miss.append(f"{part} worse than jax.nn")
    if row.get("level", "highest") != "highest":
        return miss
    if row["dtype"] == "float32" and "grad_goal" in ours and ours["grad_goal"]["max"] > 4:
        miss.append(f"f32 grad {ours['grad_goal']['max']:.3g} ulp > 4")
    if row["dtype"] in ("bfloat16", "float16"):
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


def format_row(row: dict[str, Any]) -> str:
    o, n = row["jax_act"], row.get("jax_nn")
    cells = [row["name"][:28].ljust(28), row["dtype"].ljust(8), row["oracle"][:3].ljust(3)]
    for part in ("value", "grad"):
        s = o[part]
        cells.append(f"{_fmt(s['max']):>7} {_fmt(s['p999']):>6} {s['rounded']:5.1f}%")
    cells.append(f"{_fmt(o['grad_goal']['max']):>7}" if "grad_goal" in o else f"{'—':>7}")
    cells.append(f"{row.get('residual_limited', 0):>5}")
    if n and "error" not in n:
        for part in ("value", "grad"):
            cells.append(f"{_fmt(n[part]['max']):>7} {_fmt(n[part]['p999']):>6}")
    else:
        cells.append(f"{'—':>14} {'—':>14}" if not n else f"{'error':>14} {'':>14}")
    cells.append("ok" if not row["goals"] else "; ".join(row["goals"]))
    return " | ".join(cells)


HEADER = (
    f"{'activation':28} | {'dtype':8} | orc | {'value max p99.9 CR':>21} | {'grad max p99.9 CR':>21} | "
    f"{'grad*':>7} | {'lim':>5} | {'nn value max p99.9':>14} | {'nn grad max p99.9':>14} | goals"
)


def run(args: argparse.Namespace) -> int:
    from .._compat import enable_x64

    from .cli import activation_names, dtype_names

    names = activation_names(args.only, "accuracy") or list(REGISTRY)
    dtypes = dtype_names(args.dtypes, DTYPES)
    if _mp() is None:
        print("jax-act accuracy: mpmath not installed: the float64 rows use a float64 oracle", file=sys.stderr)
    start = time.time()
    rows = []
    with enable_x64(True):
        goal = ("no worse than jax.nn (max and p99.9)" if args.accuracy == "default" else
                "no worse than jax.nn; float32 grad* <= 4 ulps; 16-bit values and gradients >= 99% CR")
        print(
            f"accuracy level: {args.accuracy}; goals (ok = all met): {goal}\n"
            "errors in ulps of the output dtype; CR = correctly rounded points; nn = jax.nn on the same grid;\n"
            "grad* = max gradient error where the true gradient is normal and the saved output has neither\n"
            "saturated nor lost the bits f' needs (the float32 goal: <= 4); lim = points where f' is read from\n"
            "a saved output that has lost those bits (their error is the residual's rounding: the gradient is\n"
            "compared with jax.nn's off them); orc = oracle (mp: mpmath, f64: float64)"
        )
        print(HEADER)
        for case in cases(names, all_params=args.all_params):
            for d in dtypes:
                t0 = time.time()
                try:
                    row = measure(case, d, args.points, args.mp_points, level=args.accuracy)
                except Exception as e:  # noqa: BLE001  a broken activation is a row, not a crash
                    row = {"name": case.id, "dtype": d, "error": f"{type(e).__name__}: {e}"[:200]}
                    print(f"{case.id:28} | {d:8} | error: {row['error']}", flush=True)
                    rows.append(row)
                    continue
                row["seconds"] = round(time.time() - t0, 2)
                rows.append(row)
                print(format_row(row), flush=True)
    missed = [r for r in rows if r.get("goals") or "error" in r]
    print(
        f"\n{len(rows)} rows in {time.time() - start:.0f} s; {len(rows) - len(missed)} meet every goal, "
        f"{len(missed)} miss one (listed under goals); jax {jax.__version__}, {jax.default_backend()}"
    )
    if args.json:
        meta = {"jax": jax.__version__, "backend": jax.default_backend(), "date": time.strftime("%Y-%m-%d %H:%M:%S"),
                "accuracy": args.accuracy,
                "command": "jax-act accuracy " + " ".join(sys.argv[2:]), "rows": rows}
        with open(args.json, "w") as fh:
            json.dump(meta, fh, indent=1, default=float)
    return 0
