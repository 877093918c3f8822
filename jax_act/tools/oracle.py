"""The accuracy oracle: a plain formula's float64 jaxpr interpreted in mpmath.

The formula (or jax's VJP of it) is traced in float64 and its jaxpr evaluated on numpy object
arrays of mpmath numbers, at 40 significant digits and more where that is not enough: no
overflow, no cancellation. The interpreter knows the primitives plain formulas are written
with (arithmetic, exp, log, log1p, expm1, tanh, logistic, erf, comparisons, select,
reductions, reshapes, calls); any other raises :class:`Unsupported`, and the caller falls back
to float64.
"""

from __future__ import annotations

from typing import Any, Callable

import jax
import jax.numpy as jnp
import numpy as np


class Unsupported(Exception):
    """A primitive the interpreter does not know: the caller falls back to float64."""


def mpmath_module():
    """``mpmath``, or None where it is not installed."""
    try:
        import mpmath
    except ImportError:
        return None
    return mpmath


def _vec(f: Callable) -> Callable:
    return np.vectorize(f, otypes=[object])


def _exact_constants(mp) -> tuple[Callable, ...]:
    # A float64 constant that is the rounding of one of these stands for it: jax's ndtr
    # scales by a float64 √½ and erfc's derivative by −2/√π, and their last bit, multiplied
    # by x² (or by the cancellation at a root of f'), moved the oracle by hundreds of float64
    # ulps (exact gelu' at x = −18 and near its root)
    return (
        lambda: mp.pi, lambda: mp.sqrt(2), lambda: mp.sqrt(0.5), lambda: mp.sqrt(mp.pi), lambda: 1 / mp.sqrt(mp.pi),
        lambda: 2 / mp.sqrt(mp.pi), lambda: mp.sqrt(2 * mp.pi), lambda: 1 / mp.sqrt(2 * mp.pi),
        lambda: mp.sqrt(2 / mp.pi), lambda: mp.ln2, lambda: mp.log(2 * mp.pi) / 2,
    )


def _unary(mp) -> dict[str, Callable]:
    def safe(f):
        def g(v):
            try:
                return f(v)
            except (ValueError, ZeroDivisionError):
                return mp.nan

        return _vec(g)

    def log(v):
        if v == 0:
            return -mp.inf
        return mp.nan if v < 0 or mp.isnan(v) else mp.log(v)

    def log1p(v):  # not log(1 + v): 1 + e^−256 is 1 at 80 digits (mish's oracle lost eˣ there)
        if v == -1:
            return -mp.inf
        return mp.nan if v < -1 or mp.isnan(v) else mp.log1p(v)

    same = lambda a: a  # noqa: E731
    return {
        "neg": lambda a: -a, "abs": _vec(abs), "sign": _vec(mp.sign), "square": lambda a: a * a,
        "exp": _vec(mp.exp), "exp2": _vec(lambda v: mp.power(2, v)), "expm1": _vec(mp.expm1),
        "log": _vec(log), "log1p": _vec(log1p), "tanh": _vec(mp.tanh),
        "logistic": _vec(lambda v: 1 / (1 + mp.exp(-v))), "erf": _vec(mp.erf),
        # mpmath overflows a float on erfc(1e300); past 1e100 it is below 10^(−10^200): 0
        "erfc": _vec(lambda v: mp.erfc(v) if v < 1e100 else mp.mpf(0)),
        "sqrt": safe(lambda v: mp.sqrt(v) if v >= 0 else mp.nan),
        "rsqrt": safe(lambda v: 1 / mp.sqrt(v) if v > 0 else (mp.inf if v == 0 else mp.nan)),
        "cbrt": _vec(mp.cbrt), "sin": _vec(mp.sin), "cos": _vec(mp.cos), "atan": _vec(mp.atan),
        "copy": same, "copy_p": same, "stop_gradient": same,
        "is_finite": _vec(lambda v: bool(mp.isfinite(v))), "not": lambda a: ~np.asarray(a, bool),
    }


def _binary(mp) -> dict[str, Callable]:
    def div(u, v):  # mpmath has no signed zero: a float −0 divisor is taken as +0
        if v == 0:
            return mp.nan if u == 0 or mp.isnan(u) else (mp.inf if u > 0 else -mp.inf)
        return u / v

    def extreme(pick):
        return _vec(lambda u, v: mp.nan if mp.isnan(u) or mp.isnan(v) else pick(u, v))

    def compare(op):
        return lambda a, b: np.asarray(op(a, b), bool)

    return {
        "add": lambda a, b: a + b, "add_any": lambda a, b: a + b, "sub": lambda a, b: a - b,
        "mul": lambda a, b: a * b, "div": _vec(div), "pow": _vec(mp.power),
        "max": extreme(max), "min": extreme(min),
        "gt": compare(np.greater), "lt": compare(np.less), "ge": compare(np.greater_equal),
        "le": compare(np.less_equal), "eq": compare(np.equal), "ne": compare(np.not_equal),
        "and": np.logical_and, "or": np.logical_or,
    }


# The structural primitives: (interpreter, params, *inputs) -> output.


def _select_n(it, p, which, *cases):
    which = np.asarray(which).astype(int)
    cases = np.broadcast_arrays(*[np.asarray(c, object) for c in cases])
    return np.choose(which, cases) if cases[0].ndim else cases[int(which)]


def _convert_element_type(it, p, a):
    dt, a = np.dtype(p["new_dtype"]), np.asarray(a)
    if np.issubdtype(dt, np.floating):
        return a if a.dtype == object else it.mpf_array(a.astype(np.float64))
    if dt == bool:
        return np.asarray(a != 0, bool) if a.dtype != bool else a
    return np.vectorize(int, otypes=[dt])(a) if a.size else a.astype(dt)


def _broadcast_in_dim(it, p, a):
    a, shape = np.asarray(a), p["shape"]
    expanded = [1] * len(shape)
    for i, d in enumerate(p["broadcast_dimensions"]):
        expanded[d] = a.shape[i]
    return np.broadcast_to(a.reshape(expanded), shape)


def _reduce_sum(it, p, a):
    out = np.sum(np.asarray(a), axis=tuple(p["axes"]))
    return it.mpf_array(out) if np.ndim(out) == 0 and not isinstance(out, np.ndarray) else np.asarray(out, object)


def _reduce_with(f):
    return lambda it, p, a: np.asarray(f(np.asarray(a), axis=tuple(p["axes"])), object)


def _slice(it, p, a):
    strides = p["strides"] or (1,) * len(p["start_indices"])
    return np.asarray(a)[tuple(slice(*s) for s in zip(p["start_indices"], p["limit_indices"], strides))]


def _pad(it, p, a, fill):
    a, fill, cfg = np.asarray(a, object), np.asarray(fill, object), p["padding_config"]
    if any(i != 0 or lo < 0 or hi < 0 for lo, hi, i in cfg):
        raise Unsupported("pad (interior or negative)")
    out = np.full(tuple(n + lo + hi for n, (lo, hi, _) in zip(a.shape, cfg)), fill[()], object)
    out[tuple(slice(lo, lo + n) for n, (lo, _, _) in zip(a.shape, cfg))] = a
    return out


def _nested_jaxpr(it, p, *ins):
    inner = p.get("jaxpr") or p.get("call_jaxpr") or p.get("fun_jaxpr")
    return it.run(getattr(inner, "jaxpr", inner), getattr(inner, "consts", []), ins)


_STRUCTURAL: dict[str, Callable] = {
    "integer_pow": lambda it, p, a: _vec(lambda v: v ** p["y"] if v != 0 or p["y"] > 0 else it.mp.inf)(a),
    "select_n": _select_n,
    "convert_element_type": _convert_element_type,
    "broadcast_in_dim": _broadcast_in_dim,
    "reshape": lambda it, p, a: np.asarray(a).reshape(p["new_sizes"]),
    "squeeze": lambda it, p, a: np.squeeze(np.asarray(a), tuple(p["dimensions"])),
    "expand_dims": lambda it, p, a: np.expand_dims(np.asarray(a), tuple(p["dimensions"])),
    "transpose": lambda it, p, a: np.transpose(np.asarray(a), p["permutation"]),
    "reduce_sum": _reduce_sum,
    "reduce_max": _reduce_with(np.max),
    "reduce_min": _reduce_with(np.min),
    "slice": _slice,
    "concatenate": lambda it, p, *ins: np.concatenate([np.asarray(v, object) for v in ins], axis=p["dimension"]),
    "pad": _pad,
    **dict.fromkeys(("jit", "pjit", "closed_call", "core_call", "remat", "checkpoint", "custom_jvp_call",
                     "custom_vjp_call", "custom_vjp_call_jaxpr"), _nested_jaxpr),
}


class _Interpreter:
    """A jaxpr evaluated on object arrays of mpmath numbers at the current ``mp.dps``."""

    def __init__(self, mp):
        self.mp = mp
        self.known = {float(c()): c for c in _exact_constants(mp)}
        self.unary, self.binary = _unary(mp), _binary(mp)
        self._to_mp = _vec(lambda v: mp.mpf(float(v)))
        self._to_mp_constant = _vec(lambda v: self.constant(float(v)))

    def constant(self, v: float) -> Any:
        c = self.known.get(abs(v))
        return self.mp.mpf(v) if c is None else (c() if v > 0 else -c())

    def mpf_array(self, a: Any, snap: bool = False) -> np.ndarray:
        """``a`` as mpmath numbers (bools and integers kept); ``snap``: a constant of the
        formula, read as the number it rounds (see ``_exact_constants``)."""
        a = np.asarray(a)
        if a.dtype == object or a.dtype == bool or np.issubdtype(a.dtype, np.integer):
            return a
        return (self._to_mp_constant if snap else self._to_mp)(a.astype(np.float64)) if a.size else a.astype(object)

    def apply(self, name: str, params: dict, ins: list) -> Any:
        if name in self.unary:
            return self.unary[name](np.asarray(ins[0]))
        if name in self.binary:
            return self.binary[name](*np.broadcast_arrays(*(np.asarray(v) for v in ins)))
        if name not in _STRUCTURAL:
            raise Unsupported(name)
        return _STRUCTURAL[name](self, params, *ins)

    def run(self, jaxpr: Any, consts: list, vals: list) -> list:
        env: dict = {}

        def read(v):
            return self.mpf_array(v.val, snap=True) if type(v).__name__ == "Literal" else env[v]

        env.update((var, self.mpf_array(val, snap=True)) for var, val in zip(jaxpr.constvars, consts))
        env.update(zip(jaxpr.invars, vals))
        for eqn in jaxpr.eqns:
            out = self.apply(eqn.primitive.name, eqn.params, [read(v) for v in eqn.invars])
            for var, val in zip(eqn.outvars, out if eqn.primitive.multiple_results else [out]):
                env[var] = val if isinstance(val, np.ndarray) else np.asarray(val)
        return [read(v) for v in jaxpr.outvars]


def interpret(closed: Any, args: list[np.ndarray]) -> list[np.ndarray]:
    """The closed jaxpr's outputs at ``args`` (float64), in mpmath at the current precision."""
    mp = mpmath_module()
    if mp is None:
        raise Unsupported("mpmath is not installed")
    it = _Interpreter(mp)
    return it.run(closed.jaxpr, closed.consts, [it.mpf_array(a) for a in args])


def _agree(mp, a, b) -> bool:
    return bool(a == b or (mp.isnan(a) and mp.isnan(b)) or abs(a - b) <= mp.mpf(10) ** -30 * abs(b))


def _unsettled_rows(mp, x: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> list[int]:
    """Rows whose 40- and 80-digit results differ, or are an exact 0 at an input below 1e-60
    (where an exact 0 can hide total cancellation)."""
    rows = hi.shape[0] if hi.ndim else 1
    flat_lo, flat_hi = lo.reshape(rows, -1), hi.reshape(rows, -1)
    xr = np.abs(np.asarray(x, np.float64)).reshape(rows, -1)
    tiny = [bool(np.any((r != 0) & (r < 1e-60))) for r in xr]
    return [
        i for i in range(rows)
        if any(
            not (mp.isnan(a) and mp.isnan(b))
            and (mp.isnan(a) != mp.isnan(b) or abs(a - b) > mp.mpf(10) ** -30 * abs(b) or (b == 0 and tiny[i]))
            for a, b in zip(flat_lo[i], flat_hi[i])
        )
    ]


def _settle(mp, f: Callable, subs: list[np.ndarray]) -> np.ndarray:
    """``f`` at the rows ``subs`` at 60 + |log10 of the smallest input| digits (at most 400)
    and at twice that; NaN (not scored) where those two still differ."""
    nz = np.abs(subs[0][subs[0] != 0])
    mp.mp.dps = int(min(400, 60 + max(0.0, -np.log10(nz.min())) if nz.size else 60))
    closed = jax.make_jaxpr(f)(*(jnp.asarray(a, jnp.float64) for a in subs))
    (redo,) = interpret(closed, subs)
    mp.mp.dps *= 2
    (check,) = interpret(closed, subs)
    redo, check = np.asarray(redo, object), np.asarray(check, object)
    return np.where(np.vectorize(lambda a, b: _agree(mp, a, b), otypes=[bool])(redo, check), check, mp.nan)


def mp_oracle(f: Callable[..., jax.Array], x: np.ndarray, *extra: np.ndarray) -> np.ndarray:
    """``f(x)`` (``x`` float64) with ``f``'s float64 jaxpr interpreted in mpmath: an object array.

    Evaluated at 40 and at 80 significant digits; where the two disagree or give exactly 0
    for an input below 1e-60 (cancellation in the plain formula, e.g. (e^x − e^−x) for tiny x)
    the point is evaluated again (at most 400 points; any beyond come back as NaN, i.e. not
    scored) with 60 + |log10 of the smallest input| digits (at most 400), enough for the
    cancellation between float64 inputs, and once more at twice that: points where those two
    still disagree (terms like e^−1000 cancelling) come back as NaN too."""
    mp = mpmath_module()
    if mp is None:
        raise Unsupported("mpmath is not installed")
    mp.mp.dps = 40
    extra = tuple(np.asarray(e, np.float64) for e in extra)  # row-aligned with x (cotangents)
    closed = jax.make_jaxpr(f)(*(jnp.asarray(a, jnp.float64) for a in (x, *extra)))
    try:
        (lo,) = interpret(closed, [x, *extra])
        mp.mp.dps = 80
        (hi,) = interpret(closed, [x, *extra])
        lo, hi = np.asarray(lo, object), np.asarray(hi, object)
        bad = _unsettled_rows(mp, x, lo, hi)
        if len(bad) > 400:  # a budget: the rest are not trusted at 80 digits, so not scored
            hi.reshape(hi.shape[0] if hi.ndim else 1, -1)[bad[400:]] = mp.nan
            bad = bad[:400]
        if bad and x.ndim:
            hi = hi.copy()
            hi[bad] = _settle(mp, f, [np.asarray(a)[bad] for a in (x, *extra)])
        return hi
    finally:
        mp.mp.dps = 40
