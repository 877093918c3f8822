"""What a float64 oracle's own arithmetic can be trusted to: its jaxpr evaluated with, beside
every value,

* a **mark** where an infinity or NaN born from finite operands (e^800, 1e200², ∞ − ∞) could
  have reached: a naive reference (exp(x)/Σexp(x)) returns finite garbage there (x/∞ = 0), so
  those entries are no oracle and are not judged;
* a **magnitude**, the size of the terms the value was summed or subtracted from: 1 − tanh²x
  near saturation has terms of size 1 and a result of 1e-8, so its rounding is 1e-8 relative
  to the result but eps relative to the terms. Errors are scaled by it. First order: an
  elementwise operation takes Σ|∂f/∂aᵢ|·mᵢ over its operands (at least its own |value|), a
  sum adds the magnitudes, a product of arrays combines |a|·m_b + m_a·|b|. A product that
  underflows to zero or a subnormal (e^-800, 1e154⁻²) has lost everything below the smallest
  normal number: its magnitude is at least that over eps, which a later product by 1e154
  carries into the result, while a sum it joins barely notices.

Elementwise operations carry marks entry by entry, and select takes the chosen operand's;
layout operations move both as they move the values; reductions, dot products and cumulative
operations spread them along what they combine; calls are evaluated inside; anything else marks
all its outputs when any input is marked, and gives them the largest magnitude of its inputs.
"""

from __future__ import annotations

from typing import Any, Callable

import jax
import jax.numpy as jnp
from jax import lax

# calls whose inner jaxpr is evaluated in place
_CALLS = {"jit": "jaxpr", "pjit": "jaxpr", "closed_call": "call_jaxpr", "core_call": "call_jaxpr",
          "custom_jvp_call": "call_jaxpr", "custom_vjp_call": "call_jaxpr", "remat2": "jaxpr", "checkpoint": "jaxpr"}
# operations that move entries: applied to marks and magnitudes with the same parameters
_LAYOUT = {"broadcast_in_dim", "reshape", "transpose", "squeeze", "expand_dims", "slice", "rev", "concatenate",
           "dynamic_slice", "gather", "pad"}
_REDUCE = {"reduce_sum", "reduce_max", "reduce_min", "reduce_prod", "argmax", "argmin", "reduce_and", "reduce_or"}
_CUMULATIVE = {"cumsum", "cumprod", "cummax", "cummin", "cumlogsumexp"}
# where a zero or subnormal result has lost precision, not found an answer
_UNDERFLOW = {"exp", "exp2", "mul", "div", "integer_pow", "pow", "logistic", "rsqrt", "erfc", "square"}


def bounded(f: Callable, *args: Any) -> tuple[Any, Any, Any]:
    """``(f(*args), marks, magnitudes)``, each with ``f``'s output structure. Traceable (use
    under ``jax.jit``)."""
    closed = jax.make_jaxpr(f)(*args)
    flat = jax.tree_util.tree_leaves(args)
    outs, marks, mags = _eval(closed.jaxpr, closed.consts, [(a, _none(a), _abs(a)) for a in flat])
    tree = jax.tree_util.tree_structure(jax.eval_shape(f, *args))
    return tuple(jax.tree_util.tree_unflatten(tree, t) for t in (outs, marks, mags))


def _none(v: Any) -> jax.Array:
    return jnp.zeros(jnp.shape(v), bool)


def _is_float(v: Any) -> bool:
    return jnp.issubdtype(jnp.result_type(v), jnp.inexact)


def _abs(v: Any) -> jax.Array:
    return jnp.abs(v).astype(jnp.result_type(v)) if _is_float(v) else jnp.zeros(jnp.shape(v), jnp.float32)


def _finite(v: Any) -> jax.Array:
    return jnp.isfinite(v) if _is_float(v) else jnp.ones(jnp.shape(v), bool)


def _eval(jaxpr: Any, consts: list, args: list) -> tuple[list, list, list]:
    env: dict = {}

    def read(v: Any) -> tuple[Any, Any, Any]:
        return (v.val, _none(v.val), _abs(v.val)) if hasattr(v, "val") else env[v]  # a literal, or a variable

    for v, c in zip(jaxpr.constvars, consts):
        env[v] = (c, _none(c), _abs(c))
    for v, a in zip(jaxpr.invars, args):
        env[v] = a
    for eqn in jaxpr.eqns:
        ins = [read(v) for v in eqn.invars]
        for v, out in zip(eqn.outvars, _step(eqn, ins)):
            env[v] = out
    results = [read(v) for v in jaxpr.outvars]
    return [r[0] for r in results], [r[1] for r in results], [r[2] for r in results]


def _step(eqn: Any, ins: list) -> list[tuple]:
    name = eqn.primitive.name
    if name in _CALLS and _CALLS[name] in eqn.params:
        inner = eqn.params[_CALLS[name]]
        jaxpr, consts = (inner.jaxpr, inner.consts) if hasattr(inner, "consts") else (inner, [])
        if len(jaxpr.invars) == len(ins):
            return list(zip(*_eval(jaxpr, consts, ins)))
    vals = [v for v, _, _ in ins]
    outs = eqn.primitive.bind(*vals, **eqn.params)
    outs = list(outs) if eqn.primitive.multiple_results else [outs]
    if name == "select_n":
        return [_select(ins, outs[0])]
    if _elementwise(name, vals, outs):
        return [_pointwise(eqn, ins, outs[0])]
    moved = _spread(eqn, name, ins)
    born = jnp.all(jnp.stack([jnp.all(_finite(v)) for v in vals])) if vals else jnp.bool_(True)
    if moved is None:  # unknown: conservative
        any_in = jnp.any(jnp.stack([jnp.any(m) for _, m, _ in ins])) if ins else jnp.bool_(False)
        every = any_in | (born & ~jnp.all(jnp.stack([jnp.all(_finite(o)) for o in outs])))
        top = jnp.max(jnp.stack([jnp.max(g, initial=0.0).astype(jnp.float64) for _, _, g in ins])) if ins else 0.0
        return [(o, jnp.broadcast_to(every, jnp.shape(o)), jnp.maximum(_abs(o), top.astype(_abs(o).dtype)))
                for o in outs]
    return [(o, m | (born & ~_finite(o)), jnp.maximum(g, _abs(o))) for o, (m, g) in zip(outs, moved)]


def _select(ins: list, out: Any) -> tuple:
    shape = jnp.shape(out)
    which = ins[0][0].astype(jnp.int32) if ins[0][0].dtype == jnp.bool_ else ins[0][0]
    pick = lambda xs: jnp.choose(which, [jnp.broadcast_to(x, shape) for x in xs], mode="clip")  # noqa: E731
    mark = pick([m for _, m, _ in ins[1:]]) | jnp.broadcast_to(ins[0][1], shape)
    return out, mark, pick([g.astype(_abs(out).dtype) for _, _, g in ins[1:]])


def _elementwise(name: str, vals: list, outs: list) -> bool:
    """One output, and every operand broadcasting to its shape (of its rank, or a scalar)."""
    if len(outs) != 1 or name in _LAYOUT or name in _REDUCE or name in _CUMULATIVE:
        return False
    shape = jnp.shape(outs[0])
    return all(jnp.ndim(v) == 0 or (jnp.ndim(v) == len(shape) and all(a in (b, 1) for a, b in zip(jnp.shape(v), shape)))
               for v in vals)


# magnitudes without a JVP: sums add their operands' magnitudes; products and quotients
# combine first order; the rest pass the magnitude through (or, for comparisons, have none)
_ADD = {"add", "sub", "add_any"}
_PASS = {"neg", "abs", "convert_element_type", "copy", "copy_p", "reduce_precision", "real", "stop_gradient",
         "sign", "floor", "ceil", "round"}
# where an infinity, NaN, zero or subnormal can be born from finite, nonzero operands
_BIRTH = {"exp", "exp2", "expm1", "pow", "integer_pow", "mul", "div", "log", "log1p", "sinh", "cosh", "tan", "rsqrt",
          "sqrt", "logistic", "erfc", "erf_inv", "lgamma", "digamma", "atan2", "rem", "square"} | _ADD


def _pointwise(eqn: Any, ins: list, out: Any) -> tuple:
    """Marks entry by entry; the magnitude of the terms (first order), at least |f|."""
    name, shape = eqn.primitive.name, jnp.shape(out)
    came = _none(out)
    for _, m, _ in ins:
        came = came | jnp.broadcast_to(m, shape)
    mag = _magnitude(eqn, name, ins, out)
    if name in _BIRTH and _is_float(out):
        finite = jnp.ones(shape, bool)
        for v, _, _ in ins:
            finite = finite & jnp.broadcast_to(_finite(v), shape)
        came = came | (finite & ~jnp.isfinite(out))
        if name in _UNDERFLOW:
            fi = jnp.finfo(jnp.result_type(out))
            mag = jnp.where(jnp.abs(out) < fi.tiny, jnp.maximum(mag, fi.tiny / fi.eps), mag)
    return out, came, mag


def _magnitude(eqn: Any, name: str, ins: list, out: Any) -> jax.Array:
    if not _is_float(out):
        return jnp.zeros(jnp.shape(out), jnp.float32)
    dt = jnp.result_type(out)
    shape = jnp.shape(out)
    g = [jnp.broadcast_to(m, shape).astype(dt) for _, _, m in ins]
    a = [jnp.broadcast_to(v, shape).astype(dt) if _is_float(v) else None for v, _, _ in ins]
    if name in _ADD:
        return g[0] + g[1]
    if name == "mul":
        return jnp.abs(a[1]) * g[0] + jnp.abs(a[0]) * g[1]
    if name == "div":
        return (g[0] + jnp.abs(out) * g[1]) / jnp.abs(a[1])
    if name in _PASS:
        return jnp.maximum(g[0], jnp.abs(out))
    if name in ("max", "min"):  # the chosen operand's
        return jnp.where(a[0] == out, g[0], g[1])
    if name == "clamp":  # clamp(lo, x, hi)
        return jnp.where(a[1] == out, g[1], jnp.abs(out))
    mag = jnp.abs(out)
    vals = [v for v, _, _ in ins]
    for i, (v, _, m) in enumerate(ins):
        if not _is_float(v):
            continue
        f = lambda x, i=i: eqn.primitive.bind(*[x if j == i else w for j, w in enumerate(vals)], **eqn.params)  # noqa: E731
        try:
            _, d = jax.jvp(f, (v,), (m.astype(jnp.result_type(v)),))
        except Exception:  # noqa: BLE001 - no JVP rule: the largest operand magnitude
            d = jnp.max(m)
        mag = mag + jnp.abs(jnp.broadcast_to(d, shape)).astype(dt)
    return mag


def _spread(eqn: Any, name: str, ins: list) -> list | None:
    """``[(mark, magnitude)]`` per output of a layout, reduction or product; None if unknown."""
    p = eqn.params
    (v0, m0, g0), rest = ins[0], ins[1:]
    if name in _LAYOUT:
        if name in ("dynamic_slice", "gather"):
            marks, mags = [m0, *[v for v, _, _ in rest]], [g0, *[v for v, _, _ in rest]]
        elif name == "pad":
            marks, mags = [m0, jnp.bool_(False)], [g0, jnp.zeros((), g0.dtype)]
        else:
            marks, mags = [m for _, m, _ in ins], [g.astype(g0.dtype) for _, _, g in ins]
        try:
            moved_m = eqn.primitive.bind(*marks, **p)
            moved_g = eqn.primitive.bind(*mags, **p)
        except Exception:  # noqa: BLE001 - a layout this cannot apply: be conservative
            return None
        return [(jnp.asarray(moved_m).astype(bool), moved_g)]
    if name in _REDUCE:
        axes = tuple(p["axes"])
        g = jnp.sum(g0, axis=axes) if name == "reduce_sum" else jnp.max(g0, axis=axes, initial=0.0)
        return [(jnp.any(m0, axis=axes), g)]
    if name in _CUMULATIVE:
        mark = lax.cumsum(m0.astype(jnp.int32), p["axis"], reverse=p["reverse"]) > 0
        return [(mark, lax.cumsum(g0, p["axis"], reverse=p["reverse"]) if name == "cumsum"
                 else lax.cummax(g0, p["axis"], reverse=p["reverse"]))]
    if name == "dot_general":
        (a, ma, ga), (b, mb, gb) = ins[:2]
        dims = p["dimension_numbers"]
        ones = lambda x: jnp.ones(jnp.shape(x), jnp.float32)  # noqa: E731
        mark = (lax.dot_general(ma.astype(jnp.float32), ones(b), dims) + lax.dot_general(ones(a), mb.astype(jnp.float32), dims)) > 0
        kw = dict(preferred_element_type=p.get("preferred_element_type"))
        g = lax.dot_general(ga, jnp.abs(b), dims, **kw) + lax.dot_general(jnp.abs(a), gb, dims, **kw)
        return [(mark, g)]
    return None
