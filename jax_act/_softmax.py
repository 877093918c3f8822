"""Maps and reductions along an axis: softmax, log_softmax, softmin, logsumexp, logmeanexp.

The maps keep one array for the backward pass: their output (log_softmax: e^(x − max), whose
quotient by its row sum is the softmax); for 16-bit input, the input, from which that array is
computed again in float32 (see ``along_axis``). The reductions keep their input (their gradient is
e^(x − max) / Σ e^(x − max), which y = lse alone cannot give) and their reduced output.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import Array
from jax.typing import ArrayLike

from ._engine import (
    Axis,
    along_axis,
    check_array,
    check_axis,
    check_where,
    compute_dtype,
    custom_pair,
    declare_explicit,
    flatten_axes,
    float_input,
)

__all__ = ["softmax", "log_softmax", "softmin", "logsumexp", "logmeanexp"]


# The guards below for empty (all −inf) and +inf rows are arithmetic (a reduction's start
# value, max, min), never a select: XLA:CPU fuses a whole softmax, forward and backward,
# into one kernel only while its row operations are arithmetic (a select there cost ~1.5×).


def _row_max(x: Array, axis: tuple[int, ...]) -> Array:
    """The maximum along ``axis`` (kept, size 1); an empty row gives the lowest finite float,
    so x minus it stays −inf rather than NaN. That float is the reduction's start value, not
    a max after it: one row operation fewer (which costs the model's step a row buffer)."""
    top = jax.lax.reduce(x, np.array(-jnp.finfo(x.dtype).max, x.dtype), jax.lax.max, axis)
    return jax.lax.stop_gradient(jnp.expand_dims(top, axis))  # the result does not depend on it


def _shift(x: Array, axis: tuple[int, ...], limit: bool = False) -> Array:
    """``x`` minus its maximum along ``axis`` (an empty row stays −inf). A +inf or NaN
    maximum is kept: such a row gives NaN, as in jax.nn. With ``limit``, a row holding +inf
    gives the limit instead: +inf is clamped to the largest float M first, so it is shifted
    to 0 (e⁰ = 1) and the rest to about −M (e⁻ᴹ = 0); an entry equal to M ties with +inf."""
    if limit:
        x = jnp.minimum(x, jnp.finfo(x.dtype).max)
    return x - _row_max(x, axis)


def _plain_softmax(x: Array, axis: Any, where: Any) -> Array:
    e = jnp.exp(x) if where is None else jnp.where(where, jnp.exp(x), 0)
    return e / jnp.sum(e, axis, keepdims=True)


def _dot(y: Array, v: Array, axes: tuple[int, ...]) -> Array:
    return jnp.sum(y * v, axes, keepdims=True)


def _softmax_terms(s: Array, v: Array, axes: tuple[int, ...]) -> tuple[Array, Array]:
    return s * v, s * _dot(s, v, axes)


def _softmax_product(s: Array, v: Array, axes: tuple[int, ...]) -> Array:
    # J = diag(S) − S Sᵀ is symmetric, so the VJP and the JVP are the same product. Factored,
    # not s·v − s·⟨s, v⟩: a term below the smallest normal float is flushed to 0 by XLA:CPU
    # while their difference is a normal float.
    return s * (v - _dot(s, v, axes))


def _row_sum(e: Array, axis: Any) -> Array:
    # A row with anything in it sums to at least 1 (its maximum gives e⁰ = 1 exactly); an
    # empty row sums to 0, and 1 in its place gives 0/1 = 0 and log 1 = 0, not 0/0 and
    # −inf − (−inf). A select, not max(sum, 1): where a saturated row sums to exactly 1,
    # max's tie would halve the derivative through it (the losses' second derivatives).
    total = jnp.sum(e, axis, keepdims=True)
    return jnp.where(total == 0, 1, total)  # NaN stays NaN (a row holding +inf or NaN)


def _exps(x: Array, axis: Any, limit: bool = False) -> Array:
    """e^(x − max): the softmax is it over its row sum."""
    return jnp.exp(_shift(x, axis, limit))


def _softmax(x: Array, axis: Any, limit: bool = False) -> Array:
    e = _exps(x, axis, limit)
    return e / _row_sum(e, axis)


def _log_softmax(x: Array, axis: Any) -> Array:
    """x − log Σ e^x along the (normalized) axes: an empty row gives −inf, not NaN."""
    shifted = _shift(x, axis)
    return shifted - jnp.log(_row_sum(jnp.exp(shifted), axis))


def _log_softmax_terms(e: Array, v: Array, axes: tuple[int, ...]) -> tuple[Array, Array]:
    # Jᵀ g = g − S ⟨1, g⟩ (J = I − 1 Sᵀ, row i: e_i − S), S = e / Σe the softmax, from the kept
    # exponentials (not e^y: y has rounded, and e^y would carry |y| ulps); on an entry
    # x_i = −inf this is the limit (∂y_i/∂x_i → 1), as jax.nn. Masked entries are zeroed by
    # the engine. The row sum is taken again from e (one cheap pass) rather than kept: the
    # backward pass keeps one array and nothing else, and the sum is jax.nn's, summed from
    # the same e. The row factor first: jax.nn's roundings, and the order in which XLA:CPU
    # fuses it as fast as jax.nn's (g − S·Σg is ~8% slower).
    return v, (jnp.sum(v, axes, keepdims=True) / _row_sum(e, axes)) * e


def _log_softmax_jvp(e: Array, t: Array, axes: tuple[int, ...]) -> Array:
    return t - jnp.sum(e * t, axes, keepdims=True) / _row_sum(e, axes)  # J t = t − ⟨S, t⟩


@along_axis(
    terms=_softmax_terms,
    vjp=_softmax_product,
    formula="S_i = e^{x_i} / Σ_j e^{x_j}",
    derivative_text="∂S_i/∂x_j = S_i (δ_ij − S_j); VJP S ⊙ (g − ⟨g, S⟩)",
    jax_nn="softmax",
    reference=lambda x, axis=-1, where=None: _plain_softmax(x, axis, where),
)
def softmax(x: ArrayLike, axis: Axis = -1, where: ArrayLike | None = None) -> Array:
    """Softmax along ``axis``, as ``jax.nn.softmax``.

    Entries excluded by ``where`` and −inf entries give 0 with gradient 0; a row with no entry
    left gives 0 and gradient 0, never NaN. A row holding +inf or NaN gives NaN, as jax.nn.
    """
    return _softmax(x, axis)


def _plain_log_softmax(x: Array, axis: Any, where: Any) -> Array:
    # shifted by the row's max: x − log Σ e^x would round log Σ e^x at the scale of x (an
    # oracle off by |x|·eps where the answer is tiny); the max's gradient is zero, so autodiff
    # of this is the formula's own
    top = jax.lax.stop_gradient(jnp.max(x if where is None else jnp.where(where, x, -jnp.inf), axis, keepdims=True))
    z = x - jnp.where(jnp.isfinite(top), top, 0)
    e = jnp.exp(z) if where is None else jnp.where(where, jnp.exp(z), 0)
    y = z - jnp.log(jnp.sum(e, axis, keepdims=True))
    return y if where is None else jnp.where(where, y, -jnp.inf)


def _kept_exps(x: Array, axes: Any) -> Array:
    """e^(x − max), from the forward pass (softmax S = e^y is it over its row sum)"""
    return _exps(x, axes)


@along_axis(
    terms=_log_softmax_terms,
    jvp=_log_softmax_jvp,
    saves=_kept_exps,
    formula="y_i = x_i − log Σ_j e^{x_j}",
    derivative_text="∂y_i/∂x_j = δ_ij − S_j, S = softmax(x) = e^y; VJP g − S Σ_j g_j",
    jax_nn="log_softmax",
    reference=lambda x, axis=-1, where=None: _plain_log_softmax(x, axis, where),
    zero_masked=True,
)
def log_softmax(x: ArrayLike, axis: Axis = -1, where: ArrayLike | None = None) -> Array:
    """Log-softmax along ``axis``, as ``jax.nn.log_softmax``.

    No exponential is evaluated in the backward pass (16-bit input at the highest level aside);
    16-bit input is computed in float32, sums included. Excluded entries and fully masked rows
    give −inf with gradient 0; a −inf entry gives −inf and the derivative's limit, as jax.nn; a
    row of only −inf gives −inf (jax.nn: NaN) and gradient g; +inf or NaN gives NaN.
    """
    return _log_softmax(x, axis)


@along_axis(
    terms=lambda s, g, axes: _softmax_terms(s, g, axes)[::-1],  # −(a − b) = b − a
    vjp=lambda s, g, axes: -_softmax_product(s, g, axes),
    formula="softmin(x)_i = e^{−x_i} / Σ_j e^{−x_j}",
    derivative_text="∂S_i/∂x_j = −S_i (δ_ij − S_j); VJP −S ⊙ (g − ⟨g, S⟩)",
    reference=lambda x, axis=-1, where=None: jax.nn.softmax(-x, axis, where=where),  # jax.nn's softmin
    fill=np.inf,
)
def softmin(x: ArrayLike, axis: Axis = -1, where: ArrayLike | None = None) -> Array:
    """Softmin along ``axis``: softmax(−x), as PyTorch's ``softmin`` (``dim`` is ``axis``).

    Excluded and +inf entries give 0 with gradient 0; a row with no entry left gives 0. A row
    holding −inf gives the limit, uniform over its −inf entries (PyTorch: NaN); NaN gives NaN.
    """
    return _softmax(-x, axis, limit=True)


# --------------------------------------------------------------------------- logsumexp
#
# The core works on `a`, `b` (None, or broadcast to a's shape) and `mask` (None, or a's
# shape; False entries are excluded); it always keeps the reduced axes (size 1) and returns
# (lse, sign) in the compute dtype (float32 for half input), so the saved lse is not
# rounded to half precision.


def _lse_masked(a: Array, mask: Array | None) -> Array:
    a = a.astype(compute_dtype(a.dtype))
    return a if mask is None else jax.lax.select(mask, a, jnp.full_like(a, -jnp.inf))


def _lse_terms(axes: tuple[int, ...], a: Array, b: Array | None, mask: Array | None) -> tuple[Array, Array, Array]:
    """(e^(a − top), Σ b e^(a − top) with the reduced axes kept, top): top is the row's
    maximum, at most the largest float (a +inf row gives +inf, as jax.nn, not NaN)."""
    a = _lse_masked(a, mask)
    top = jnp.minimum(_row_max(a, axes), jnp.finfo(a.dtype).max)
    e = jnp.exp(a - top)
    if b is None:
        return e, jnp.sum(e, axes, keepdims=True), top
    bb = b.astype(a.dtype)
    # b = 0 excludes an entry, even a +inf one; b · e keeps ∂total/∂b_i = e_i at b_i = 0 (finite e)
    e_kept = jnp.where((bb != 0) | jnp.isfinite(e), e, 0)
    return e, jnp.sum(bb * e_kept, axes, keepdims=True), top


def _lse_evaluate(axes: tuple[int, ...], a: Array, b: Array | None, mask: Array | None) -> tuple[Array, Array]:
    _, total, top = _lse_terms(axes, a, b, mask)
    return jnp.log(jnp.abs(total)) + top, jnp.sign(total)


def _lse_weight(axes: tuple[int, ...], a: Array, b: Array | None, mask: Array | None) -> Array:
    """∂lse/∂b_i = sign · e^(a_i − lse) = e^(a_i − top) / Σ b e^(a − top), from the saved input
    rather than the rounded lse (whose error, eps·|lse|, would be the weights' relative error):
    0 for excluded entries and when nothing is left in the row (total 0, lse = −inf)."""
    e, total, _ = _lse_terms(axes, a, b, mask)
    if b is None:  # total is 0 (empty row, e = 0) or at least 1: no select (see _row_max)
        return e / jnp.maximum(total, 1)
    empty = total == 0  # weights b can cancel to 0 in a row that is not empty
    return jnp.where(empty, 0, e / jnp.where(empty, 1, total))


def _lse_jvp(axes: tuple[int, ...], xs: tuple, out: tuple, ts: tuple) -> tuple[Array, Array]:
    (a, b, mask), (_, sign), (ta, tb, _) = xs, out, ts
    w = _lse_weight(axes, a, b, mask)
    dt = w * ta.astype(w.dtype)
    if b is not None:
        dt = dt * b.astype(w.dtype) + w * tb.astype(w.dtype)
    return jnp.sum(dt, axes, keepdims=True), jnp.zeros_like(sign)


def _lse_vjp(axes: tuple[int, ...], res: tuple, g: tuple) -> tuple:
    a, b, mask, _, _ = res
    gw = g[0] * _lse_weight(axes, a, b, mask)  # g of the sign output: zero (piecewise constant)
    if b is None:
        return gw.astype(a.dtype), None, None
    return (gw * b.astype(gw.dtype)).astype(a.dtype), gw.astype(b.dtype), None


# Saves the inputs a, b and mask as given (arrays the caller holds anyway: nothing of the
# input's size is computed and kept) and the reduced outputs lse and sign (1/n of the size).
# The weights are rebuilt from the input (e^(a − max) / Σ), not from the rounded lse.
_lse_core, _lse_twin = custom_pair(
    _lse_evaluate,
    jvp=_lse_jvp,
    save=lambda axes, xs, out: (*xs, *out),
    vjp=_lse_vjp,
)


def _lse_inputs(fname: str, a: Any, axis: Any, b: Any, where: Any, argname: str = "a") -> tuple:
    """Checked, promoted and broadcast (a, b or None, axes, mask or None)."""
    a = float_input(fname, a, argname)
    if b is not None:
        b = check_array(fname, "b", b)
        dtype = jnp.result_type(a, b)
        if not jnp.issubdtype(dtype, jnp.inexact):
            dtype = jnp.result_type(dtype, float)
        try:
            shape = np.broadcast_shapes(a.shape, b.shape)
        except ValueError:
            raise ValueError(
                f"jax_act.{fname}: argument 'b' of shape {b.shape} does not broadcast against "
                f"the input's shape {a.shape}"
            ) from None
        a, b = jnp.broadcast_to(a.astype(dtype), shape), jnp.broadcast_to(b.astype(dtype), shape)
    axes = check_axis(fname, axis, a.ndim)
    return a, b, axes, check_where(fname, where, a.shape)


def _squeeze(v: Array, axes: tuple[int, ...], keepdims: bool) -> Array:
    return v if keepdims else jnp.squeeze(v, axes)


def _plain_logsumexp(a, axis=None, b=None, keepdims=False, return_sign=False, where=None):
    e = jnp.exp(a) if b is None else b * jnp.exp(a)
    total = jnp.sum(e if where is None else jnp.where(where, e, 0), axis, keepdims=keepdims)
    lse = jnp.log(jnp.abs(total))
    if return_sign:
        return lse, jnp.sign(total)
    return lse if b is None else jnp.where(total < 0, jnp.nan, lse)


def _lse_jacobian(a, axis=None, b=None, keepdims=False, return_sign=False, where=None):
    """∂lse/∂a along the flattened axes: shape ``batch + (n,)`` (b and where as given)."""
    a, b, axes, mask = _lse_inputs("derivative(logsumexp)", a, axis, b, where)
    w = _lse_weight(axes, a, b, mask)
    w = w * (1 if b is None else b.astype(w.dtype))
    return flatten_axes(w.astype(a.dtype), axes)[0]


@declare_explicit(
    core=_lse_core,
    twin=_lse_twin,
    derivative=_lse_jacobian,
    reference=_plain_logsumexp,
    static=("axis", "keepdims", "return_sign"),
    kind="reduction",
    formula="lse(a) = log Σ_i b_i e^{a_i}",
    derivative_text="∂lse/∂a_i = b_i e^{a_i − lse} · sign; ∂lse/∂b_i = e^{a_i − lse} · sign",
    saves="input a (and b) + the reduced output",
    jax_nn="logsumexp",
)
def logsumexp(
    core,
    a: ArrayLike,
    axis: Axis = None,
    b: ArrayLike | None = None,
    keepdims: bool = False,
    return_sign: bool = False,
    where: ArrayLike | None = None,
) -> Array | tuple[Array, Array]:
    """Log-sum-exp reduction, as ``jax.nn.logsumexp``: log|Σ b e^a|, s the sum's sign.

    Excluded entries, entries with b = 0 and −inf entries contribute nothing, gradient 0; a row
    with nothing left gives −inf and gradient 0 (jax.nn: NaN). ∂/∂b is s·e^(a − lse) even where
    b = 0 (jax.nn: 0). +inf gives +inf (gradient NaN); NaN gives NaN. With ``b`` and
    ``return_sign=False`` a negative sum gives NaN with gradient 0, as jax.nn.

    Args:
      b: optional scale factors broadcasting against ``a``; differentiable.
      return_sign: return ``(log|sum|, sign(sum))`` (the sign's gradient is 0).

    Returns:
      The reduced array, or the pair ``(result, sign)`` when ``return_sign`` is True.
    """
    a, b, axes, mask = _lse_inputs("logsumexp", a, axis, b, where)
    lse, sign = core(axes, a, b, mask)
    lse, sign = _squeeze(lse, axes, keepdims).astype(a.dtype), _squeeze(sign, axes, keepdims).astype(a.dtype)
    if return_sign:
        return lse, sign
    return lse if b is None else jax.lax.select(sign < 0, jnp.full_like(lse, jnp.nan), lse)


def _plain_logmeanexp(x, axis=None, where=None, keepdims=False):
    e = jnp.exp(x) if where is None else jnp.where(where, jnp.exp(x), 0)
    n = jnp.sum(jnp.ones_like(x) if where is None else jnp.asarray(where, x.dtype), axis, keepdims=keepdims)
    return jnp.log(jnp.sum(e, axis, keepdims=keepdims) / n)


def _lme_jacobian(x, axis=None, where=None, keepdims=False):
    """∂/∂x along the flattened axes: shape ``batch + (n,)``, the same weights as logsumexp's."""
    _lse_inputs("derivative(logmeanexp)", x, axis, None, where, "x")  # the checks, named
    return _lse_jacobian(x, axis, where=where)


@declare_explicit(
    core=_lse_core,
    twin=_lse_twin,
    derivative=_lme_jacobian,
    reference=_plain_logmeanexp,
    static=("axis", "keepdims"),
    kind="reduction",
    formula="lme(x) = log (1/n) Σ_i e^{x_i} = lse(x) − log n",
    derivative_text="∂lme/∂x_i = e^{x_i − lse}",
    saves="input + the reduced output",
    jax_nn="logmeanexp",
)
def logmeanexp(core, x: ArrayLike, axis: Axis = None, where: ArrayLike | None = None, keepdims: bool = False) -> Array:
    """Log-mean-exp reduction, as ``jax.nn.logmeanexp``: lse(x) − log n, n the entries
    ``where`` leaves.

    Conventions as :func:`logsumexp`; a row with n = 0 gives −inf and gradient 0 (jax.nn: NaN).

    Returns:
      The reduced array, of ``x``'s floating dtype.
    """
    x, _, axes, mask = _lse_inputs("logmeanexp", x, axis, None, where, "x")
    lse, _ = core(axes, x, None, mask)
    n = np.prod([x.shape[i] for i in axes], dtype=int) if mask is None else jnp.sum(mask, axes, keepdims=True)
    n = jnp.broadcast_to(jnp.asarray(n, lse.dtype), lse.shape)
    # n = 0: lse is −inf, and so is lme (not NaN); log n is a constant, so the backward pass
    # keeps nothing beyond the core's residuals
    lme = lse - jnp.log(jnp.maximum(n, 1))
    return _squeeze(lme, axes, keepdims).astype(x.dtype)
