"""Elementwise activations: one declaration each (formula, closed-form derivative, what is saved).

Derivatives take what the forward pass saved: ``y`` (the output) where f' can be written from
it, else ``x``. They run in float32 for half-precision inputs (the engine upcasts).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import jax.numpy as jnp
import numpy as np
from jax import Array, lax
from jax.typing import ArrayLike
from jax.scipy.special import ndtr

from ._engine import elementwise

__all__ = ["sigmoid", "tanh", "relu", "leaky_relu"]


def _sigmoid_slope(x: Array) -> Array:
    """σ'(x) = σ(x)σ(−x) from x (``_sigmoid_pair``, below): every bit down to the underflow."""
    s, c = _sigmoid_pair(x)
    return s * c


@elementwise(
    derivative=lambda y: y * (1 - y),  # 1 − y is exact for y ≥ ½ (Sterbenz)
    derivative_from_input=_sigmoid_slope,
    saves="output",
    formula="σ(x) = 1 / (1 + e^−x)",
    derivative_text="σ'(x) = y (1 − y)",
    kinks="none (smooth)",
    jax_nn="sigmoid",
    reference=lambda x: 1 / (1 + jnp.exp(-x)),
)
def sigmoid(x: ArrayLike) -> Array:
    r"""Sigmoid (logistic) activation.

    .. math::
        \sigma(x) = \frac{1}{1 + e^{-x}}, \qquad \sigma'(x) = \sigma(x)\,(1 - \sigma(x))

    The backward pass keeps only the output :math:`y = \sigma(x)` ("when we backpropagate,
    p is already computed") and computes :math:`y(1-y)` from it. Where the output has
    rounded to 1 (:math:`x \gtrsim 16.6` in float32) the gradient is therefore 0, exactly as
    in ``jax.nn`` and PyTorch; the true value there is below the output dtype's epsilon.
    (16-bit input: see the note below; ``jax.nn``'s gradient is 0 from :math:`x \approx 5.6`
    on in bfloat16, :math:`7.6` in float16.) Kinks: none.

    Args:
      x: input array.

    Returns:
      An array of the input's (floating) dtype.

    Examples:
      >>> import jax.numpy as jnp, jax_act
      >>> jax_act.sigmoid(jnp.array([-1.0, 0.0, 1.0]))
      Array([0.26894143, 0.5       , 0.7310586 ], dtype=float32)
    """
    return lax.logistic(x)


@elementwise(
    derivative=lambda y: jnp.where(jnp.abs(y) < 0.5, 1 - y * y, (1 - y) * (1 + y)),  # |y| ≥ ½: 1 ∓ y exact
    derivative_from_input=lambda x: 4 * _sigmoid_slope(2 * x),  # tanh x = 2σ(2x) − 1
    saves="output",
    formula="tanh(x) = (e^x − e^−x) / (e^x + e^−x)",
    derivative_text="tanh'(x) = 1 − y²",
    kinks="none (smooth)",
    jax_nn="tanh",
    reference=lambda x: (jnp.exp(x) - jnp.exp(-x)) / (jnp.exp(x) + jnp.exp(-x)),
)
def tanh(x: ArrayLike) -> Array:
    r"""Hyperbolic tangent activation.

    .. math::
        \tanh(x) = \frac{e^x - e^{-x}}{e^x + e^{-x}}, \qquad
        \tanh'(x) = 1 - \tanh^2(x) = (1 - y)(1 + y)

    The backward pass keeps only the output and evaluates :math:`(1-y)(1+y)` where
    :math:`|y| \ge \tfrac12` (:math:`1 \mp y` is exact there), :math:`1 - y^2` below. The
    gradient from a saved output can be no better than the output, so in float32 (and half
    precision, which computes in float32) the output is
    :math:`x + x^3 Q(x^2)` on :math:`|x| < 0.55` (``tools/fit_tanh.py``) and
    :math:`\pm(1 - 2/(e^{2|x|} + 1))` beyond: within about an ulp, where XLA's ``tanh`` (and
    ``jax.nn.tanh``) is up to 4.6 ulps off, and the gradient within 2.3 against 4.6. (On
    XLA:CPU, where this kernel is compute-bound, that costs time: see ``bench/README.md``.)
    float64 is XLA's ``tanh``. Where the output has rounded to ±1
    (:math:`|x| \gtrsim 9` in float32) the gradient is 0, as in ``jax.nn``. Kinks: none.

    Args:
      x: input array.

    Returns:
      An array of the input's (floating) dtype.

    Examples:
      >>> import jax.numpy as jnp, jax_act
      >>> jax_act.tanh(jnp.array([-1.0, 0.0, 1.0]))
      Array([-0.7615942,  0.       ,  0.7615942], dtype=float32)
    """
    return _tanh(x)


@elementwise(
    derivative=lambda y: (y > 0).astype(y.dtype),
    saves="output",
    half_from_input=False,  # f' reads a branch from y: exact from 16 bits
    formula="relu(x) = max(x, 0)",
    derivative_text="relu'(x) = 1 if y > 0 else 0",
    kinks="relu'(0) = 0, as jax.nn and PyTorch",
    keep_int=True,
    jax_nn="relu",
    reference=lambda x: jnp.where(x > 0, x, jnp.zeros_like(x)),
    kink_points=(0.0,),
    smooth=False,
)
def relu(x: ArrayLike) -> Array:
    r"""Rectified linear unit.

    .. math::
        \mathrm{relu}(x) = \max(x, 0), \qquad
        \mathrm{relu}'(x) = \begin{cases} 1, & x > 0 \\ 0, & x \le 0 \end{cases}

    Kink convention: :math:`\mathrm{relu}'(0) = 0`, as ``jax.nn.relu`` and PyTorch. The
    backward pass keeps only the output (:math:`y > 0 \iff x > 0`). Integer input gives
    integer output, as ``jax.nn.relu``; NaN gives NaN with gradient 0.

    Args:
      x: input array.

    Returns:
      An array of the input's dtype.

    Examples:
      >>> import jax.numpy as jnp, jax_act
      >>> jax_act.relu(jnp.array([-2.0, 0.0, 2.0]))
      Array([0., 0., 2.], dtype=float32)
    """
    return jnp.maximum(x, 0)


def _sign_mask(x: Array, y: Array) -> Array:
    """sign mask (1 byte)"""
    return x >= 0


@elementwise(
    # jax.nn's autodiff keeps just this 1-byte mask; keeping y instead would cost more in
    # isolation and could not tell the branch for negative_slope ≤ 0 or for -0.0.
    derivative=lambda nonneg, negative_slope: jnp.where(nonneg, 1, negative_slope),
    saves=_sign_mask,
    partials={"negative_slope": lambda x, y, negative_slope: jnp.where(x >= 0, 0, x)},
    formula="leaky_relu(x) = x if x ≥ 0 else α·x",
    derivative_text="1 if x ≥ 0 else α; ∂/∂α = x if x < 0 else 0",
    kinks="leaky_relu'(0) = 1 (the x ≥ 0 branch), as jax.nn; PyTorch gives α",
    jax_nn="leaky_relu",
    reference=lambda x, negative_slope=1e-2: jnp.where(x >= 0, x, negative_slope * x),
    kink_points=(0.0,),
    smooth=False,
    test_params=({}, {"negative_slope": 0.2}),
)
def leaky_relu(x: ArrayLike, negative_slope: ArrayLike = 1e-2) -> Array:
    r"""Leaky rectified linear unit.

    .. math::
        \mathrm{leaky\_relu}(x) = \begin{cases} x, & x \ge 0 \\ \alpha x, & x < 0 \end{cases}
        \qquad
        \frac{\partial}{\partial x} = \begin{cases} 1, & x \ge 0 \\ \alpha, & x < 0 \end{cases}
        \qquad
        \frac{\partial}{\partial \alpha} = \begin{cases} 0, & x \ge 0 \\ x, & x < 0 \end{cases}

    where :math:`\alpha` = ``negative_slope`` (a scalar or an array broadcasting against
    ``x``; differentiable). Kink convention: the derivative at 0 is 1, as ``jax.nn``
    (PyTorch gives :math:`\alpha`).

    The backward pass keeps a 1-byte mask of :math:`x \ge 0` (what ``jax.nn``'s autodiff
    keeps): exact for any slope, negative ones included, and for :math:`-0`. The input is kept
    as well only when ``negative_slope`` itself is differentiated.

    Args:
      x: input array.
      negative_slope: the slope for ``x < 0`` (default 0.01).

    Returns:
      An array of the promoted floating dtype of ``x`` and ``negative_slope``.

    Examples:
      >>> import jax.numpy as jnp, jax_act
      >>> jax_act.leaky_relu(jnp.array([-2.0, 0.0, 2.0]))
      Array([-0.02,  0.  ,  2.  ], dtype=float32)
    """
    return jnp.where(x >= 0, x, negative_slope * x)


# =========================================================================== jax.nn parity
# Every remaining jax.nn elementwise activation: jax.nn's name, signature, defaults, output
# dtype, values and kink gradients. What each keeps for the backward pass is stated in its
# declaration: the output wherever f' is a function of it, a 1-byte mask where f' is piecewise
# constant and the output cannot tell a kink from a flat piece, else the input.

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946
_SQRT_2_OVER_PI = 0.7978845608028654  # √(2/π)
_GELU_CUBIC = 0.044715
_SQRT_HALF = 0.7071067811865476  # √½
# Beyond these magnitudes every derivative below has rounded to its limit (0 or 1) in float64,
# so clipping the input there changes no result and keeps ±inf out of `inf · 0`.
_TAIL = 1000.0
_GELU_TAIL = 40.0  # Φ(−40), φ(40) and σ(2u(−40)) underflow float64


def _sigmoid_pair(t: Array) -> tuple[Array, Array]:
    """(σ(t), σ(−t)), both to full relative precision, from one exp (no 1 − σ cancellation):
    σ(−|t|) = 1/(1 + e^|t|) directly, and σ(|t|) = 1 − σ(−|t|) ≥ ½, rounded once. (Fewer
    roundings than e^−|t|/(1 + e^−|t|): σ(t)σ(−t) within 2.8 ulps in float32, against 4.4.)"""
    small = lax.logistic(-jnp.abs(t))  # σ(−|t|) ≤ ½
    big = 1 - small  # σ(|t|)
    positive = t >= 0
    return jnp.where(positive, big, small), jnp.where(positive, small, big)


def _logistic_and_complement(x: Array, lo: Array | float = 0.0) -> tuple[Array, Array]:
    """(σ(x), σ(−x)): σ(x) = 1/(1 + e^−x) term for term as ``lax.logistic`` (so a value
    built on it is jax.nn's, bit for bit), and σ(−x) from the same exp: e^−x σ(x) for x > 0,
    where 1 − σ(x) would cancel. With ``lo``, of x + lo (|lo| ≤ an ulp of x, from
    ``_times``)."""
    e = jnp.exp(-x)
    s = 1 / (1 + e)
    sc = jnp.where(x > 0, e * s, 1 - s)
    if isinstance(lo, float):
        return s, sc
    # σ' = σ(x)σ(−x): to first order in lo (e^−x·(1 − lo) instead costs XLA:CPU two more
    # arrays kept per layer inside a model, measured)
    return s * (1 + lo * sc), sc * (1 - lo * s)


# ---- double-float arguments (float32): e^z amplifies z's rounding by |z|, up to 87·2⁻²⁴
# relative at the underflow edge, so the derivatives of gelu and quick_gelu take z as hi + lo.


def _split(v: Array) -> tuple[Array, Array]:
    """v = hi + lo with 12 significant bits each in float32 (|v| < 2¹¹⁵), 26 in float64
    (Veltkamp): products of halves are exact. Arithmetic, not a bit mask: XLA:CPU
    materializes a bitcast inside a model's backward pass (4 bytes per element more,
    measured)."""
    t = v * (134217729.0 if v.dtype == jnp.float64 else 4097.0)  # 2²⁷ + 1, 2¹² + 1
    hi = t - (t - v)
    return hi, v - hi


def _two_product(a: Array, b: Array) -> tuple[Array, Array | float]:
    """a·b = p + e exactly (Dekker), p the rounded product (float32 and float64; other
    dtypes: e = 0)."""
    p = a * b
    if p.dtype not in (jnp.float32, jnp.float64):
        return p, 0.0
    (ah, al), (bh, bl) = _split(a), _split(b)
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


def _two_sum(a: Array, b: Array) -> tuple[Array, Array]:
    """a + b = s + e exactly (Knuth); a constant operand goes through ``_constant``."""
    s = a + b
    v = s - a
    return s, (a - (s - v)) + (b - v)


def _constant(c: float) -> tuple[Array, float]:
    """c = hi + lo, hi a float32 behind a barrier (XLA would otherwise fold the constant
    into the expressions that recover the rounding error of c + v or c·v)."""
    hi = float(np.float32(c))
    return lax.optimization_barrier(jnp.float32(hi)), c - hi


def _times(c: float, x: Array) -> tuple[Array, Array | float]:
    """c·x = hi + lo: hi is the rounded product, lo its error and c's own (float32; other
    dtypes get lo = 0)."""
    if x.dtype != jnp.float32:
        return c * x, 0.0
    c_hi, c_lo = _constant(c)
    p, e = _two_product(c_hi, x)
    return p, e + c_lo * x


def _gelu_argument(x: Array) -> tuple[Array, Array | float]:
    """2u = x·(k + k·0.044715·x²), k = 2√(2/π), as hi + lo (float32; other dtypes: lo = 0)."""
    k = 2 * _SQRT_2_OVER_PI
    if x.dtype != jnp.float32:
        return k * (x + _GELU_CUBIC * x**3), 0.0
    x2, x2_lo = _two_product(x, x)
    m, m_lo = _times(k * _GELU_CUBIC, x2)
    k_hi, k_lo = _constant(k)
    q, q_lo = _two_sum(k_hi, m)
    z, z_lo = _two_product(x, q)
    return z, z_lo + x * (q_lo + m_lo + k_lo + k * _GELU_CUBIC * x2_lo)


def _horner(t: Array, coefficients: tuple[float, ...]) -> Array:
    """c₀ + t·(c₁ + t·(c₂ + …))."""
    p = coefficients[-1]
    for c in reversed(coefficients[:-1]):
        p = c + t * p
    return p


# 1/k!, k = 2 … 12: Taylor through t¹² is exact to 2⁻³⁰ of the result on (−ln 2, ln 3)
_EXPM1_TAYLOR = tuple(1 / math.factorial(k) for k in range(2, 13))


def _expm1(t: Array) -> Array:
    """eᵗ − 1 within about an ulp in float32, in two thirds of the time of XLA's expm1 (up to
    5.4 ulps off on |t| < ½): t + t²·P(t) on (−ln 2, ln 3), where eᵗ − 1 would lose bits to
    the subtraction, else eᵗ − 1 (eᵗ ≤ ½ or ≥ 3: exp's error stays within an ulp of the
    result). float64 keeps XLA's (within 4 float64 ulps)."""
    if t.dtype == jnp.float64:
        return jnp.expm1(t)
    small = (t > -0.6931471805599453) & (t < 1.0986122886681098)
    u = jnp.where(small, t, 0.0)
    return jnp.where(small, jnp.copysign(u + u * u * _horner(u, _EXPM1_TAYLOR), u), jnp.exp(t) - 1)  # −0 stays −0


# tools/fit_tanh.py: (tanh x − x)/x³ ≈ Q(x²) on |x| < 0.55, within 3.0e-11 of tanh x
_TANH_SERIES = (
    -0.33333332711036423, 0.1333329335436459, -0.053959611580613916,
    0.021782625000245408, -0.008413468341950574, 0.0023953687582899982,
)
_TANH_CUT = 0.55  # tanh ≥ ½ from here: 1 − t is exact-ish and t's error is at most half an ulp


def _tanh(x: Array) -> Array:
    """tanh x within about an ulp in float32 (XLA's is up to 4.6 ulps off, and f' = 1 − y²
    inherits that): x + x³Q(x²) on |x| < 0.55, else ±(1 − 2/(e^2|x| + 1)). float64 keeps
    XLA's (float64 ulps, not float32 ones)."""
    if x.dtype == jnp.float64:
        return jnp.tanh(x)
    a = jnp.abs(x)
    small = a < _TANH_CUT
    u = jnp.where(small, a, 0.0)
    s = u * u
    big = 1 - 2 / (jnp.exp(2 * a) + 1)  # 1 at a = inf; NaN stays NaN
    return jnp.copysign(jnp.where(small, u + u * s * _horner(s, _TANH_SERIES), big), x)


def _softplus(z: Array) -> Array:
    """log(1 + e^z): jax.nn's ``logaddexp(z, 0)``, term for term (NaN propagates through max)."""
    return jnp.maximum(z, 0) + jnp.log1p(jnp.exp(-jnp.abs(z)))


class _Root(NamedTuple):
    """A root x₀ = hi + lo of f' (hi, lo float32), and f'(x) = d·P(d) with d = x − x₀ on
    |d| ≤ width: P(d) = p0[0] + (p0[1] + d·(p[0] + d·(p[1] + …))), fitted to 2⁻²⁸ relative
    in 60-digit arithmetic by ``tools/fit_roots.py`` (P's constant term is kept as hi + lo).
    ``float64``: the same for float64 (fitted to 2⁻⁵⁶ on a narrower band)."""

    hi: float
    lo: float
    width: float
    p0: tuple[float, float]
    p: tuple[float, ...]
    float64: "_Root | None" = None


def _near_root(x: Array, fprime: Array, root: _Root) -> Array:
    """f' with the cancellation at its root taken out (float32 and float64; half precision
    computes in float32). Near x₀ the direct formula is a difference of nearly equal terms
    and keeps only their absolute error (mish's: millions of ulps of the tiny f'); d =
    (x − hi) − lo is exact there (x − hi by Sterbenz's lemma), so d·P(d) is good to about an
    ulp."""
    if x.dtype == jnp.float64:
        root = root.float64
    elif x.dtype != jnp.float32:
        return fprime
    # the barrier keeps XLA from folding (x − hi) − lo into x − (hi + lo), which rounds to x − hi
    hi, lo = lax.optimization_barrier((jnp.asarray(root.hi, x.dtype), jnp.asarray(root.lo, x.dtype)))
    d = (x - hi) - lo
    return jnp.where(jnp.abs(d) <= root.width, d * (root.p0[0] + (root.p0[1] + d * _horner(d, root.p))), fprime)


def _keep_nothing(x: Array, y: Array) -> None:
    """nothing (f' = 1)"""
    return None


@elementwise(
    derivative=lambda _: 1.0,
    saves=_keep_nothing,
    formula="identity(x) = x",
    derivative_text="identity'(x) = 1",
    kinks="none (smooth)",
    keep_int=True,
    jax_nn="identity",
    reference=lambda x: x,
)
def identity(x: ArrayLike) -> Array:
    r"""Identity activation: returns its argument.

    .. math::
        \mathrm{identity}(x) = x, \qquad \mathrm{identity}'(x) = 1

    The backward pass keeps nothing. Integer and boolean input is returned as is, as
    ``jax.nn.identity``. Kinks: none.

    Args:
      x: input array.

    Returns:
      ``x`` as an array of its own dtype.

    Examples:
      >>> import jax.numpy as jnp, jax_act
      >>> jax_act.identity(jnp.array([-2.0, 0.5, 3.0]))
      Array([-2. ,  0.5,  3. ], dtype=float32)
    """
    return x


# ---- the exponential-linear family: f = x for x > 0, and f' on x ≤ 0 read from y (selu: from x)


def _exp_linear_derivative(y: Array, alpha: ArrayLike) -> Array:
    """f' for f = x (x > 0), α(eˣ − 1) (x ≤ 0): there f' = αeˣ = y + α."""
    return jnp.where(y > 0, 1.0, y + alpha)


def _elu(x: Array, alpha: ArrayLike) -> Array:
    # the double where: the unused branch sees 0, so elu(1e4) cannot overflow into inf · 0
    return jnp.where(x > 0, x, alpha * _expm1(jnp.where(x > 0, 0, x)))


def _elu_reference(x: Array, alpha: ArrayLike) -> Array:
    return jnp.where(x > 0, x, alpha * (jnp.exp(jnp.minimum(x, 0.0)) - 1))


@elementwise(
    derivative=_exp_linear_derivative,
    saves="output",
    partials={"alpha": lambda x, y, alpha: _expm1(jnp.where(x > 0, 0, x))},
    formula="elu(x) = x if x > 0 else α(eˣ − 1)",
    derivative_text="1 if y > 0 else y + α; ∂/∂α = eˣ − 1 if x ≤ 0 else 0",
    kinks="elu'(0) = α (the x ≤ 0 branch), as jax.nn",
    jax_nn="elu",
    reference=lambda x, alpha=1.0: _elu_reference(x, alpha),
    kink_points=(0.0,),
    smooth=False,
    test_params=({}, {"alpha": 0.5}),
)
def elu(x: ArrayLike, alpha: ArrayLike = 1.0) -> Array:
    r"""Exponential linear unit.

    .. math::
        \mathrm{elu}(x) = \begin{cases} x, & x > 0 \\ \alpha (e^x - 1), & x \le 0 \end{cases}
        \qquad
        \mathrm{elu}'(x) = \begin{cases} 1, & x > 0 \\ \alpha e^x = y + \alpha, & x \le 0 \end{cases}
        \qquad
        \frac{\partial\,\mathrm{elu}}{\partial \alpha} =
        \begin{cases} 0, & x > 0 \\ e^x - 1, & x \le 0 \end{cases}

    Kink convention: :math:`\mathrm{elu}'(0) = \alpha` (the :math:`x \le 0` branch), as
    ``jax.nn``. The backward pass keeps only the output :math:`y` and reads the branch from
    its sign, which needs :math:`\alpha \ge 0` (the usual case; for a negative ``alpha`` the
    output cannot tell the branches apart). :math:`y + \alpha` is accurate to the output
    dtype's epsilon in absolute terms; once :math:`y` has rounded to :math:`-\alpha`
    (:math:`x \lesssim -17` in float32) the gradient is 0, where the true value
    :math:`\alpha e^x` is below epsilon. The input is kept as well only when ``alpha`` is
    differentiated. No overflow for large :math:`x`: the unused branch sees 0.

    Args:
      x: input array.
      alpha: scalar or array broadcasting against ``x`` (default 1.0); differentiable.

    Returns:
      An array of the promoted floating dtype of ``x`` and ``alpha``.

    Examples:
      >>> import jax.numpy as jnp, jax_act
      >>> jax_act.elu(jnp.array([-1.0, 0.0, 1.0]))
      Array([-0.63212055,  0.        ,  1.        ], dtype=float32)
    """
    return _elu(x, alpha)


def _celu_dalpha(x: Array, y: Array, alpha: Array) -> Array:
    t = jnp.minimum(x, 0) / alpha  # ∂/∂α α(e^t − 1) with t = x/α: e^t − 1 − t·e^t
    return _expm1(t) - t * jnp.exp(t)


@elementwise(
    derivative=lambda y, alpha: jnp.where(y > 0, 1.0, y / alpha + 1),
    saves="output",
    partials={"alpha": _celu_dalpha},
    formula="celu(x) = x if x > 0 else α(e^(x/α) − 1)",
    derivative_text="1 if y > 0 else y/α + 1; ∂/∂α = e^t − 1 − t·e^t, t = x/α, if x ≤ 0 else 0",
    kinks="none for the value's slope (celu'(0) = 1 from both sides); C¹, not C²",
    jax_nn="celu",
    reference=lambda x, alpha=1.0: jnp.where(x > 0, x, alpha * (jnp.exp(jnp.minimum(x, 0.0) / alpha) - 1)),
    kink_points=(0.0,),
    smooth=False,
    test_params=({}, {"alpha": 2.0}),
)
def celu(x: ArrayLike, alpha: ArrayLike = 1.0) -> Array:
    r"""Continuously differentiable exponential linear unit.

    .. math::
        \mathrm{celu}(x) = \begin{cases} x, & x > 0 \\
            \alpha \left(e^{x/\alpha} - 1\right), & x \le 0 \end{cases}
        \qquad
        \mathrm{celu}'(x) = \begin{cases} 1, & x > 0 \\
            e^{x/\alpha} = y/\alpha + 1, & x \le 0 \end{cases}

    and, with :math:`t = x/\alpha`,
    :math:`\partial\,\mathrm{celu}/\partial\alpha = e^t - 1 - t e^t` for :math:`x \le 0`
    (0 otherwise). The derivative is continuous: :math:`\mathrm{celu}'(0) = 1`, as ``jax.nn``.

    The backward pass keeps only the output and reads the branch from its sign, which needs
    :math:`\alpha > 0`. :math:`y/\alpha + 1` is accurate to epsilon in absolute terms; once
    :math:`y` has rounded to :math:`-\alpha` (:math:`x/\alpha \lesssim -17` in float32) the
    gradient is 0. The input is kept as well only when ``alpha`` is differentiated.

    Args:
      x: input array.
      alpha: scalar or array broadcasting against ``x`` (default 1.0); differentiable.

    Returns:
      An array of the promoted floating dtype of ``x`` and ``alpha``.

    Examples:
      >>> import jax.numpy as jnp, jax_act
      >>> jax_act.celu(jnp.array([-1.0, 0.0, 1.0]), alpha=2.0)
      Array([-0.78693867,  0.        ,  1.        ], dtype=float32)
    """
    return jnp.where(x > 0, x, alpha * _expm1(jnp.minimum(x, 0) / alpha))


def _selu_derivative(x: Array) -> Array:
    # λαeˣ from x: read from the output, y + λα would carry y's roundings (expm1's and the
    # product's) magnified by |y|/f', worse than jax.nn's; in a model the output-keeping
    # form kept no less either (XLA kept 8 bytes/element for it, as for jax.nn)
    return jnp.where(x > 0, _SELU_SCALE, (_SELU_SCALE * _SELU_ALPHA) * jnp.exp(jnp.minimum(x, 0)))


@elementwise(
    derivative=_selu_derivative,
    saves="input",
    formula="selu(x) = λx if x > 0 else λα(eˣ − 1), λ ≈ 1.0507, α ≈ 1.6733",
    derivative_text="λ if x > 0 else λαeˣ",
    kinks="selu'(0) = λα (the x ≤ 0 branch), as jax.nn",
    jax_nn="selu",
    reference=lambda x: _SELU_SCALE * _elu_reference(x, _SELU_ALPHA),
    kink_points=(0.0,),
    smooth=False,
)
def selu(x: ArrayLike) -> Array:
    r"""Scaled exponential linear unit.

    .. math::
        \mathrm{selu}(x) = \lambda \begin{cases} x, & x > 0 \\ \alpha (e^x - 1), & x \le 0
            \end{cases}
        \qquad
        \mathrm{selu}'(x) = \begin{cases} \lambda, & x > 0 \\
            \lambda \alpha e^x = y + \lambda\alpha, & x \le 0 \end{cases}

    with :math:`\lambda = 1.0507009873554804934193349852946` and
    :math:`\alpha = 1.6732632423543772848170429916717`. Kink convention:
    :math:`\mathrm{selu}'(0) = \lambda\alpha` (the :math:`x \le 0` branch), as ``jax.nn``.

    The backward pass keeps only the input, and computes :math:`\lambda\alpha e^x` from
    it: read from the output, :math:`y + \lambda\alpha` would carry the roundings of
    :math:`y` magnified by :math:`|y| / f'`, and unlike for :func:`elu`, inside a model XLA
    kept as much for the output-keeping form as for ``jax.nn`` (8 bytes/element).
    ``selu(-inf)`` is :math:`-\lambda\alpha` with gradient 0.

    Args:
      x: input array.

    Returns:
      An array of the input's (floating) dtype.

    Examples:
      >>> import jax.numpy as jnp, jax_act
      >>> jax_act.selu(jnp.array([-1.0, 0.0, 1.0]))
      Array([-1.1113307,  0.       ,  1.050701 ], dtype=float32)
    """
    return _SELU_SCALE * _elu(x, _SELU_ALPHA)


# ---- gelu, silu, mish: not invertible, so the input alone is kept


def _gelu_cdf(x: Array, approximate: bool) -> Array:
    """The CDF factor: Φ(x) = ½erfc(−x/√2), or ½(1 + tanh u) = σ(2u)."""
    if approximate:
        return _logistic_and_complement(2 * _SQRT_2_OVER_PI * (x + _GELU_CUBIC * x**3))[0]
    return 0.5 * lax.erfc(-x * _SQRT_HALF)


def _gelu_value(x: Array, approximate: bool = True) -> Array:
    z = jnp.maximum(x, -_GELU_TAIL)  # keeps −inf out of −inf · 0
    if approximate:
        return z * _gelu_cdf(x, approximate)
    e, e_lo, scale, m = _normal_parts(z)  # erfc loses x²/2 ulps (and flushes): Φ = φ·m below
    return jnp.where(z < _mills_from(z), z * (e * (m + m * e_lo)) * scale, z * _gelu_cdf(x, False))


# gelu'(x₀) = 0 at x₀ ≈ −0.7525 (approximate) and −0.7518 (exact) (tools/fit_roots.py)
_GELU_ROOTS = {
    True: _Root(
        hi=-0.7524614334106445, lo=1.1339627903339533e-08, width=0.56, p0=(0.4304001033306122, -1.1638417340975593e-08),
        p=(0.38751843571662903, -0.015782959759235382, -0.11394445598125458, -0.01661660149693489,
           0.019681565463542938, 0.005236480385065079, -0.002416003728285432, -0.000836016668472439,
           0.0002387283748248592),
        float64=_Root(
            hi=-0.7524614220710163, lo=3.635560509207687e-17, width=0.1, p0=(0.4304000910248585, 2.0290302699499068e-17),
            p=(0.38751844613578895, -0.015782853521848085, -0.11394448308095896, -0.01661932834298743,
               0.01968230945980896, 0.00526105922712525, -0.0024227318355653127, -0.0009274366599130296,
               0.00026392565126548444, 0.0001237751163378552, -3.477916894058047e-05),
        ),
    ),
    False: _Root(
        hi=-0.7517915368080139, lo=1.211444988769017e-08, width=0.56, p0=(0.43149399757385254, -4.784073581731718e-09),
        p=(0.38828498125076294, -0.018199753016233444, -0.11400822550058365, -0.014769580215215683,
           0.019421417266130447, 0.004521775059401989, -0.0022371879313141108, -0.0006802795687690377,
           0.00017772028513718396),
        float64=_Root(
            hi=-0.7517915246935645, lo=1.4956759177009883e-17, width=0.1, p0=(0.4314939923140469, 2.7312463225573985e-17),
            p=(0.388284982990552, -0.018199676398671115, -0.1140082332972217, -0.014771522148212625,
               0.01942167983818729, 0.004539228365593178, -0.0022395380673160973, -0.0007448242283400444,
               0.00018633960016076087, 8.592734525129281e-05, -1.1201395750896431e-05),
        ),
    ),
}


# σ(2u), φ and Φ are scaled by e^_SHIFT where XLA would flush them to 0 while f' is still a
# normal float; the shift is exact on the arguments it applies to (|2u| ≥ 64, x²/2 ≥ 32)
_SHIFT = 16


def _shifted(far: Array, t: Array) -> tuple[Array, Array]:
    """The exponent t raised by _SHIFT where ``far``, and the factor e^−_SHIFT that undoes it."""
    return jnp.where(far, t + _SHIFT, t), jnp.where(far, math.exp(-_SHIFT), 1.0)


_LOG_SQRT_2PI = 0.9189385332046727  # ln √(2π)

# The Mills ratio m(t) = Φ(−t)/φ(t) on 1.3 ≤ t ≤ 8, for exact gelu below its root band (float32)
_MILLS_FROM, _MILLS_CENTER = 1.3, 4.65
# tools/fit_mills.py: m(t) ≈ P(t − 4.65) on [1.3, 8.0], within 2.4e-08 of m
_MILLS = (
    0.2062430132376728, -0.04097001168356289, 0.00786625129499057, -0.0014639009267695953,
    0.00026473284141121, -4.665810544521737e-05, 7.99713313657408e-06, -1.318477399824419e-06,
    2.2010607404007686e-07, -4.047425743222278e-08, 5.85133405190704e-09, -2.910524971826177e-10,
    7.948133947659427e-11, -4.919640430719126e-11, 6.285356505212806e-12,
)


def _normal_parts(z: Array) -> tuple[Array, Array, Array, Array]:
    """φ(z) = e·(1 + e_lo)·scale, with ln φ = −z²/2 − ln√(2π) carried to more than the dtype
    and e scaled by e¹⁶ (scale = e⁻¹⁶; the shift is exact) below −8, so that φ does not
    flush to 0 where z·φ(z) is still a normal float (down to −13.4 in float32, −38 in
    float64); and m = Φ(z)/φ(z), the Mills ratio of −z, for z < −1.3: the fitted _MILLS
    (float32 accuracy) down to −8, the asymptotic series 1/|z| · (1 − 1/z² + 3/z⁴ − …) below
    (to 1.5e-7 of m at −8, 2e-14 from −30, where float64 starts using it; m itself is a 1/z²
    share of z + m). XLA drops whichever its caller does not use."""
    z2, z2_lo = _two_product(z, z)
    c, c_lo = _constant(_LOG_SQRT_2PI)
    s, s_err = _two_sum(-0.5 * z2, -c)
    far = z < -8
    s, scale = _shifted(far, s)
    r = 1 / (z * z)
    series = (1 - r * (1 - 3 * r * (1 - 5 * r * (1 - 7 * r * (1 - 9 * r))))) / -z
    m = jnp.where(far, series, _horner(-z - _MILLS_CENTER, _MILLS))
    return jnp.exp(s), s_err - (0.5 * z2_lo + c_lo), scale, m


def _mills_from(z: Array) -> float:
    """Where gelu and gelu' switch to φ·m: float32 below its root band; float64 only from −30,
    where m's series alone is within 1e-17 of x + m, and erfc's Φ flushes to 0 before
    x·φ(x) does (x ≈ −37.6)."""
    return -30.0 if z.dtype == jnp.float64 else -_MILLS_FROM


def _gelu_derivative(x: Array, approximate: bool = True) -> Array:
    z = jnp.clip(x, -_GELU_TAIL, _GELU_TAIL)  # beyond ±40 the terms below are 0: no inf · 0
    if approximate:  # s(1 + x·(2u)'·(1 − s)), s = σ(2u), 2u to more than float32 (_gelu_argument)
        t, t_lo = _gelu_argument(z)
        # σ(2u) of 2u < −64 scaled: it would flush to 0 below 2u ≈ −87.3, where
        # f' ≈ 243·σ(2u) is still a normal float (down to x ≈ −10.35)
        t, scale = _shifted(t < -64, t)
        s, sc = _logistic_and_complement(t, t_lo)
        k = 2 * _SQRT_2_OVER_PI
        direct = s * (1 + z * (k + 3 * k * _GELU_CUBIC * z * z) * sc) * scale
    else:  # Φ(x) + x·φ(x); float32 below the root band φ(x)·(x + m), m = Φ/φ: no erfc
        # (float32's loses x²/2 ulps to its own x²) and no cancelling sum
        e, e_lo, scale, m = _normal_parts(z)
        below = e * (z + (m + (z + m) * e_lo)) * scale  # 1 + e_lo folded into m, the smaller term
        direct = jnp.where(z < _mills_from(z), below, _gelu_cdf(x, False) + z * (e + e * e_lo) * scale)
    return _near_root(x, direct, _GELU_ROOTS[approximate])


def _gelu_reference(x: Array, approximate: bool = True) -> Array:
    # ½(1 + tanh u) written as 1/(1 + e^(−2u)), and Φ as ndtr: no cancellation in the
    # negative tail, where ½(1 + tanh u) and ½(1 + erf) lose every digit even in float64
    if approximate:
        return x / (1 + jnp.exp(-2 * _SQRT_2_OVER_PI * (x + _GELU_CUBIC * x**3)))
    return x * ndtr(x)


@elementwise(
    derivative=_gelu_derivative,
    saves="input",
    static=("approximate",),
    formula="gelu(x) = x·Φ(x) (exact) or x·½(1 + tanh u) = x·σ(2u), u = √(2/π)(x + 0.044715x³) (approximate)",
    derivative_text="Φ(x) + x·φ(x) (exact); s + x·s(1 − s)·2√(2/π)(1 + 0.134145x²), s = σ(2u) (approximate)",
    kinks="none (smooth)",
    jax_nn="gelu",
    reference=_gelu_reference,
    test_params=({}, {"approximate": False}),
)
def gelu(x: ArrayLike, approximate: bool = True) -> Array:
    r"""Gaussian error linear unit.

    With ``approximate=False``, the exact form with the normal CDF :math:`\Phi`:

    .. math::
        \mathrm{gelu}(x) = x\,\Phi(x) = \frac{x}{2}\,\mathrm{erfc}\!\left(\frac{-x}{\sqrt 2}\right),
        \qquad
        \mathrm{gelu}'(x) = \Phi(x) + x\,\varphi(x), \quad
        \varphi(x) = \frac{e^{-x^2/2}}{\sqrt{2\pi}}

    With ``approximate=True`` (the default, as ``jax.nn``), the tanh approximation, computed
    as :math:`\tfrac12(1 + \tanh u) = \sigma(2u)`:

    .. math::
        \mathrm{gelu}(x) = \frac{x}{2}\left(1 + \tanh u\right) = x\,\sigma(2u), \quad
        u = \sqrt{2/\pi}\,(x + 0.044715\,x^3)
        \\
        \mathrm{gelu}'(x) = s + x\,s\,(1 - s)\,2\sqrt{2/\pi}\,(1 + 3 \cdot 0.044715\,x^2),
        \quad s = \sigma(2u)

    The sigmoid keeps full relative precision in the negative tail, where ``jax.nn``'s
    :math:`1 + \tanh u` cancels, and does not saturate early (XLA's float32 tanh returns
    exactly ±1 from :math:`|u| \approx 7.9`, which puts ``jax.nn``'s gradient 24 ulps off at
    :math:`x = 4.9`). :math:`s` and :math:`1 - s` come from one exponential without
    cancellation, and the derivative reuses the forward pass's. Kinks: none. The float32
    (and half-precision) gradient is within 4 ulps of the exact one wherever that is a
    normal float (a dense sweep finds 4.0 at most; the exact form 3.2): within 0.56 of the
    root of :math:`\mathrm{gelu}'` (:math:`x_0 \approx -0.752`), where the two terms cancel,
    it is :math:`(x - x_0)P(x - x_0)`, a degree-9 fit with :math:`x - x_0` exact (float64:
    degree 11 within 0.1); in the left tail the exponential's argument (:math:`2u`, or
    :math:`x^2/2`) is carried to 48 bits, since its rounding would be amplified
    :math:`|2u|`-fold (up to 87: ``jax.nn`` has no correct digit there); and down to
    :math:`x \approx -10.35` (:math:`-13.4` exact), where :math:`\sigma(2u)`
    (:math:`\varphi`) fall below the normal range and XLA flushes them to 0, they are scaled
    by :math:`e^{16}` first.

    The exact form below the root band (float32; float64 from :math:`x = -30`) computes
    :math:`\Phi(x) = \varphi(x)\,m(-x)`, :math:`m` the Mills ratio (a degree-14 fit down to
    :math:`-8`, ``tools/fit_mills.py``, its asymptotic series below), and
    :math:`\mathrm{gelu}'(x) = \varphi(x)\,(x + m(-x))`: XLA's erfc rounds its own
    :math:`x^2` and loses :math:`x^2/2` ulps (``jax.nn``'s exact gelu value is 156 ulps off
    at the 99.9th percentile in float32), and :math:`\Phi + x\varphi` cancels two-fold near
    :math:`x = -1.6` (5.5 ulps from erfc). Within 4 ulps (value) and 2.1 (gradient) on the
    accuracy grid, at the cost of a polynomial and an exponential in the forward pass.

    On XLA:CPU, where this kernel is compute-bound, the tanh form's forward+backward takes
    1.6–2.4× jax.nn's time, the exact form's 1.1× (its forward 1.5×). The backward pass
    keeps only the input (autodiff of ``jax.nn.gelu`` keeps five arrays). Integer input is promoted to a float first (``gelu`` of an integer array equals
    ``gelu`` of the same values as floats). ``gelu(±inf)`` is ``±inf``/0 with gradient 1/0
    (``jax.nn`` gives NaN there).

    Args:
      x: input array.
      approximate: whether to use the tanh approximation (static; default True).

    Returns:
      An array of the input's floating dtype.

    Examples:
      >>> import jax.numpy as jnp, jax_act
      >>> jax_act.gelu(jnp.array([-1.0, 0.0, 1.0]))
      Array([-0.158808,  0.      ,  0.841192], dtype=float32)
      >>> jax_act.gelu(jnp.array([-1.0, 0.0, 1.0]), approximate=False)
      Array([-0.15865527,  0.        ,  0.8413447 ], dtype=float32)
    """
    return _gelu_value(x, approximate)


def _silu_value(x: Array) -> Array:
    s, _ = _logistic_and_complement(x)  # the derivative's σ, shared
    return jnp.maximum(x, -_TAIL) * s  # silu(−inf) = 0, not −inf · 0


def _silu_prime(z: Array, lo: Array | float = 0.0) -> Array:
    """σ(z)(1 + zσ(−z)) of z + lo, directly (it cancels at its root, z₀ ≈ −1.278)."""
    s, sc = _logistic_and_complement(z, lo)  # silu: the forward pass's σ, computed once for both
    zc = jnp.clip(z, -_TAIL, _TAIL)  # z·σ(−z) → 0 at ±inf, not inf · 0
    return s * (1 + zc * sc if isinstance(lo, float) else (1 + zc * sc) + lo * sc)


# silu'(x₀) = 0 at x₀ ≈ −1.278 (tools/fit_roots.py)
_SILU_ROOT = _Root(
    hi=-1.2784645557403564, lo=1.2979282537628478e-08, width=0.3, p0=(0.2178117036819458, 2.059083348271429e-09),
    p=(0.14664879441261292, 0.01887480728328228, -0.015222660265862942, -0.006606170441955328,
       0.00012692461314145476, 0.0007910953718237579, 0.0001804074418032542),
    float64=_Root(
        hi=-1.2784645427610737, lo=-1.0946994183093437e-16, width=0.1, p0=(0.2178117057198001, -4.544873864580968e-18),
        p=(0.1466487969969469, 0.018874814223785168, -0.015222655223190322, -0.006606589140639698,
           0.000126627411913386, 0.0007985225215159298, 0.00018570673056222373, -4.097855931535944e-05,
           -2.9674903969927525e-05),
    ),
)


def _silu_derivative(x: Array) -> Array:
    return _near_root(x, _silu_prime(x), _SILU_ROOT)


@elementwise(
    derivative=_silu_derivative,
    saves="input",
    formula="silu(x) = x·σ(x)",
    derivative_text="σ(x)(1 + x(1 − σ(x)))",
    kinks="none (smooth)",
    jax_nn="silu",
    aliases=("swish",),
    reference=lambda x: x * (0.5 + 0.5 * jnp.tanh(0.5 * x)),
)
def silu(x: ArrayLike) -> Array:
    r"""Sigmoid linear unit (swish): :math:`x\,\sigma(x)`.

    .. math::
        \mathrm{silu}(x) = \frac{x}{1 + e^{-x}}, \qquad
        \mathrm{silu}'(x) = \sigma(x)\bigl(1 + x\,(1 - \sigma(x))\bigr)

    The derivative reuses the forward pass's :math:`\sigma(x)`, and takes
    :math:`1 - \sigma(x) = \sigma(-x)` from the same exponential, so nothing cancels for
    large positive :math:`x`. Near the root of :math:`\mathrm{silu}'` (:math:`x_0 \approx
    -1.278`) the sum :math:`1 + x\sigma(-x)` cancels (``jax.nn``'s float32 gradient is
    hundreds of ulps off there), so within 0.3 of it a float32 (or half-precision) gradient
    is :math:`(x - x_0)P(x - x_0)`, a degree-7 fit with :math:`x - x_0` exact: within 4 ulps
    everywhere (on XLA:CPU, where this kernel is compute-bound, forward+backward then takes
    1.2–1.3× jax.nn's time).
    :func:`swish` is the same function. Kinks: none. The backward pass keeps only the input.
    ``silu(-inf)`` is 0 with gradient 0 and ``silu(inf)`` is inf with gradient 1
    (``jax.nn`` gives NaN for both gradients).

    Args:
      x: input array.

    Returns:
      An array of the input's floating dtype.

    Examples:
      >>> import jax.numpy as jnp, jax_act
      >>> jax_act.silu(jnp.array([-1.0, 0.0, 1.0]))
      Array([-0.26894143,  0.        ,  0.7310586 ], dtype=float32)
    """
    return _silu_value(x)


def _mish_parts(x: Array) -> tuple[Array, Array, Array]:
    """e = eˣ, n = e(e + 2) and n + 2, with tanh(softplus(x)) = n/(n + 2), on a clipped x
    (tanh(softplus(x)) is exactly 1 in float64 from x ≈ 20, and eˣ underflows below −745)."""
    e = jnp.exp(jnp.clip(x, -_TAIL, 40.0))
    n = e * (e + 2)
    return e, n, n + 2


def _mish_reference(x: Array) -> Array:
    # tanh(softplus(x)) = 1 − 2r²/((1 + r)² + r²) with r = e^−x for x ≥ 0: autodiff of
    # tanh (1 − tanh²) would cancel there; for x < 0, tanh(log1p(eˣ)) is accurate as it is
    r = jnp.exp(-jnp.abs(x))
    return x * jnp.where(x >= 0, 1 - 2 * r * r / ((1 + r) ** 2 + r * r), jnp.tanh(jnp.log1p(r)))


# mish'(x₀) = 0 at x₀ ≈ −1.192 (tools/fit_roots.py)
_MISH_ROOT = _Root(
    hi=-1.1924312114715576, lo=-3.0439375464652585e-09, width=0.36, p0=(0.2669479250907898, -1.1569572855307797e-08),
    p=(0.2047312706708908, 0.04190795123577118, -0.020271847024559975, -0.015826189890503883,
       -0.003359721740707755, 0.0011557048419490457, 0.0009781632106751204),
    float64=_Root(
        hi=-1.1924312145154952, lo=-4.8484829848031044e-17, width=0.1, p0=(0.2669479140495345, 1.5332340637165753e-17),
        p=(0.20473126408010586, 0.04190782104360988, -0.020271822716684235, -0.015821126561737377,
           -0.0033606849270352026, 0.001092405542646119, 0.0009898181072206021, 0.0002541290367331526,
           -4.196247797481917e-05, -5.5800031972061555e-05, -1.7211991616637986e-05),
    ),
)


def _mish_derivative(x: Array) -> Array:
    e, n, d = _mish_parts(x)  # f' = n/d + 4x·e(1 + e)/d²
    x = jnp.clip(x, -_TAIL, 40.0)
    # 4x·e before any division: e/d alone falls below the normal range (and is flushed to 0
    # on XLA:CPU) where f' itself is still a normal float
    direct = n / d + (4 * x * e / d) * ((1 + e) / d)
    # x < −0.4: the two terms cancel 2–3 fold on (−3.2, −0.8) and their roundings add up (9
    # ulps in float32). Over one denominator f' = e·b/h², h = d/2 = 1 + δ, δ = e(1 + e/2),
    # b = (1 + x) + e(1.5 + x + e(1 + e/4)) (b cancels only at the root), with 1 + x and
    # 1 + δ carried as hi + lo: their roundings were most of what was left.
    one, _ = _constant(1.0)
    delta = e * (1 + 0.5 * e)
    h = one + delta
    h_lo = delta - (h - one)  # exact (Fast2Sum: δ < 1.5 has 1's exponent or less)
    s, s_lo = _two_sum(one, x)
    b = s + (s_lo + e * ((1.5 + x) + e * (1 + 0.25 * e)))
    left = e * b / (h * h) * (1 - 2 * h_lo / h)
    return _near_root(x, jnp.where(x < -0.4, left, direct), _MISH_ROOT)


@elementwise(
    derivative=_mish_derivative,
    saves="input",
    formula="mish(x) = x·tanh(softplus(x)) = x·n/(n + 2), n = eˣ(eˣ + 2)",
    derivative_text="n/(n + 2) + 4x·eˣ(1 + eˣ)/(n + 2)²",
    kinks="none (smooth)",
    jax_nn="mish",
    reference=_mish_reference,
)
def mish(x: ArrayLike) -> Array:
    r"""Mish activation: :math:`x \tanh(\mathrm{softplus}(x))`.

    With :math:`e = e^x` and :math:`n = e(e + 2)`,
    :math:`\tanh(\log(1 + e)) = \frac{(1+e)^2 - 1}{(1+e)^2 + 1} = \frac{n}{n + 2}`, so one
    exponential gives both the value and the derivative:

    .. math::
        \mathrm{mish}(x) = x\,\frac{n}{n + 2}, \qquad
        \mathrm{mish}'(x) = \frac{n}{n + 2} + \frac{4x\,e\,(1 + e)}{(n + 2)^2}

    The exponential is taken of :math:`x` clipped to :math:`[-1000, 40]` (beyond which the
    results have reached their limits), so ``mish(1e3)`` is 1000 and nothing overflows.
    The two terms of the derivative cancel at its root :math:`x_0 \approx -1.1924`: within
    0.36 of it the float32 derivative is :math:`(x - x_0)\,P(x - x_0)`, a fitted polynomial,
    with :math:`x - x_0` exact (about 2 ulps there, where the formula loses every digit).
    For :math:`x < -0.4` they also cancel 2–3 fold, so there it is taken over one
    denominator, :math:`e\,b/h^2` with :math:`h = 1 + e(1 + e/2)` and
    :math:`b = (1 + x) + e(1.5 + x + e(1 + e/4))`, :math:`1 + x` and :math:`h` carried to
    twice the precision: within 4 ulps everywhere (the two terms as they come were 9 ulps
    off). Kinks: none. The backward pass keeps only the input (autodiff of
    ``jax.nn.mish`` keeps five arrays). ``mish(-inf)`` is 0 with gradient 0.

    Args:
      x: input array.

    Returns:
      An array of the input's floating dtype.

    Examples:
      >>> import jax.numpy as jnp, jax_act
      >>> jax_act.mish(jnp.array([-1.0, 0.0, 1.0]))
      Array([-0.30340147,  0.        ,  0.86509836], dtype=float32)
    """
    x = jnp.maximum(x, -_TAIL)
    _, n, d = _mish_parts(x)
    return x * (n / d)


# ---- softplus and its relatives: f' from the output through expm1


def _softplus_derivative(y: Array, beta: Array, threshold: float | None = None) -> Array:
    slope = -_expm1(-beta * y)  # σ(βx) = 1 − e^(−βy)
    return slope if threshold is None else jnp.where(beta * y > threshold, 1.0, slope)


def _softplus_dbeta(x: Array, y: Array, beta: Array, threshold: float | None = None) -> Array:
    # ∂/∂β log(1 + e^z)/β = (z·σ(z) − softplus(z))/β², z = βx; the numerator equals
    # −(|z|·σ(−|z|) + log1p(e^−|z|)) for either sign of z: no cancellation.
    a = jnp.abs(beta * x)
    e = jnp.exp(-a)
    d = -(a * e / (1 + e) + jnp.log1p(e)) / (beta * beta)
    return d if threshold is None else jnp.where(beta * x > threshold, 0.0, d)


def _softplus_reference(x: Array, *, beta: ArrayLike = 1.0, threshold: float | None = None) -> Array:
    soft = jnp.logaddexp(beta * x, 0.0) / beta
    return soft if threshold is None else jnp.where(beta * x > threshold, x, soft)


@elementwise(
    derivative=_softplus_derivative,
    saves="output",
    partials={"beta": _softplus_dbeta},
    static=("threshold",),
    formula="softplus(x) = log(1 + e^(βx))/β (x where βx > threshold)",
    derivative_text="1 − e^(−βy) = σ(βx) (1 where βy > threshold); ∂/∂β = (z·σ(z) − log(1 + e^z))/β², z = βx",
    kinks="none (smooth); with a threshold, the slope is 1 past it, as PyTorch",
    jax_nn="softplus",
    reference=_softplus_reference,
)
def softplus(x: ArrayLike, *, beta: ArrayLike = 1.0, threshold: float | None = None) -> Array:
    r"""Softplus activation.

    .. math::
        \mathrm{softplus}(x) = \frac{1}{\beta}\log\left(1 + e^{\beta x}\right), \qquad
        \mathrm{softplus}'(x) = \sigma(\beta x) = 1 - e^{-\beta y}

    computed as :math:`\max(z, 0) + \log(1 + e^{-|z|})`, :math:`z = \beta x` (so
    ``softplus(89.)`` is 89 and nothing overflows), and, with :math:`z = \beta x`,
    :math:`\partial\,\mathrm{softplus}/\partial\beta = (z\,\sigma(z) - \log(1 + e^z))/\beta^2`.
    Called as ``softplus(x)`` it is ``jax.nn.softplus``, value for value. The keyword-only
    ``beta`` and ``threshold`` are PyTorch's: where :math:`\beta x >` ``threshold`` the
    result is :math:`x` itself (slope 1); ``threshold=None`` (the default, unlike PyTorch's
    20) never switches. Kinks: none.

    The backward pass keeps only the output and computes :math:`-\mathrm{expm1}(-\beta y)`,
    accurate to a few ulps on both tails: the gradient is 0 at :math:`-\infty`, 1/2 at 0, 1
    at :math:`+\infty` and NaN at NaN. The input is kept as well only when ``beta`` is
    differentiated.

    Args:
      x: input array.
      beta: scale of the input (keyword-only, default 1.0); differentiable, :math:`\beta > 0`.
      threshold: above :math:`\beta x >` ``threshold`` return :math:`x` (keyword-only,
        static; default None: never).

    Returns:
      An array of the promoted floating dtype of ``x`` and ``beta``.

    Examples:
      >>> import jax.numpy as jnp, jax_act
      >>> jax_act.softplus(jnp.array([-1.0, 0.0, 1.0, 89.0]))
      Array([ 0.3132617,  0.6931472,  1.3132617, 89.       ], dtype=float32)
    """
    z = beta * x
    soft = _softplus(z) / beta
    return soft if threshold is None else jnp.where(z > threshold, x, soft)


@elementwise(
    derivative=lambda y: -_expm1(y),  # σ(−x) = 1 − e^y
    saves="output",
    formula="log_sigmoid(x) = log σ(x) = −log(1 + e^(−x))",
    derivative_text="1 − e^y = σ(−x)",
    kinks="none (smooth)",
    jax_nn="log_sigmoid",
    reference=lambda x: -jnp.logaddexp(0.0, -x),
)
def log_sigmoid(x: ArrayLike) -> Array:
    r"""Log-sigmoid activation.

    .. math::
        \mathrm{log\_sigmoid}(x) = \log \sigma(x) = -\log\left(1 + e^{-x}\right), \qquad
        \mathrm{log\_sigmoid}'(x) = \sigma(-x) = 1 - e^{y}

    The backward pass keeps only the output and computes :math:`-\mathrm{expm1}(y)`,
    accurate on both tails (gradient 1 at :math:`-\infty`, 0 at :math:`+\infty`). Kinks: none.

    Args:
      x: input array.

    Returns:
      An array of the input's floating dtype.

    Examples:
      >>> import jax.numpy as jnp, jax_act
      >>> jax_act.log_sigmoid(jnp.array([-1.0, 0.0, 1.0]))
      Array([-1.3132617, -0.6931472, -0.3132617], dtype=float32)
    """
    return -_softplus(-x)


@elementwise(
    derivative=lambda x: 1 / _expm1(x),
    saves="input",
    formula="log1mexp(x) = log(1 − e^(−x)), x > 0",
    derivative_text="1 / (eˣ − 1)",
    kinks="none on x > 0 (undefined for x < 0; −inf with gradient inf at 0, as jax.nn)",
    jax_nn="log1mexp",
    reference=lambda x: jnp.where(x > 2, jnp.log1p(-jnp.exp(-x)), jnp.log(-jnp.expm1(-x))),
    domain=(0.0, float("inf")),
)
def log1mexp(x: ArrayLike) -> Array:
    r"""Numerically stable :math:`\log(1 - e^{-x})`, for :math:`x > 0`.

    .. math::
        \mathrm{log1mexp}(x) = \log\left(1 - e^{-x}\right), \qquad
        \mathrm{log1mexp}'(x) = \frac{1}{e^x - 1}

    computed as :math:`\log(-\mathrm{expm1}(-x))` below :math:`\log 2` and
    :math:`\mathrm{log1p}(-e^{-x})` above (Mächler's two forms and switch point, as
    ``jax.nn``). In float64 the switch is at 1.5 instead: XLA's float64 ``log1p`` is off by
    up to ~120 ulps on :math:`(-0.5, -0.25)`, so the first form is kept longer (at most 2
    ulps there, against ``jax.nn``'s 118 at :math:`x \approx 0.9`). Undefined (NaN) for
    :math:`x < 0`; :math:`-\infty` with gradient :math:`+\infty` at 0. Kinks: none.

    The backward pass keeps the input: the derivative can be written from the output as
    :math:`\mathrm{expm1}(-y)`, but that loses :math:`|y|` ulps for small :math:`x`, while
    :math:`1/\mathrm{expm1}(x)` is exact to an ulp or two (and ``jax.nn`` keeps :math:`x` too).

    Args:
      x: input array (positive).

    Returns:
      An array of the input's floating dtype.

    Examples:
      >>> import jax.numpy as jnp, jax_act
      >>> jax_act.log1mexp(jnp.array([0.5, 1.0, 5.0]))
      Array([-0.93275213, -0.45867515, -0.00676075], dtype=float32)
    """
    cut = 1.5 if x.dtype == jnp.float64 else 0.6931471805599453  # float64 log1p: see above
    return jnp.where(x < cut, jnp.log(-_expm1(-x)), jnp.log1p(-jnp.exp(-x)))


@elementwise(
    derivative=lambda y: jnp.square(1 - jnp.abs(y)),
    derivative_from_input=lambda x: 1 / jnp.square(1 + jnp.abs(x)),
    saves="output",
    formula="soft_sign(x) = x / (|x| + 1)",
    derivative_text="1/(|x| + 1)² = (1 − |y|)²",
    kinks="none for the slope (soft_sign'(0) = 1); C¹, not C²",
    jax_nn="soft_sign",
    reference=lambda x: x / (1 + jnp.abs(x)),
    kink_points=(0.0,),
    smooth=False,
)
def soft_sign(x: ArrayLike) -> Array:
    r"""Soft-sign activation.

    .. math::
        \mathrm{soft\_sign}(x) = \frac{x}{|x| + 1}, \qquad
        \mathrm{soft\_sign}'(x) = \frac{1}{(|x| + 1)^2} = (1 - |y|)^2

    The backward pass keeps only the output. :math:`(1 - |y|)^2` is accurate to epsilon in
    absolute terms (relative accuracy falls off as :math:`|x|` grows); where :math:`|y|` has
    rounded to 1 (:math:`|x| \gtrsim 2^{24}` in float32) the gradient is 0. Kinks: none
    (the second derivative jumps at 0). ``soft_sign(±inf)`` is ±1 with gradient 0
    (``jax.nn`` gives NaN).

    Args:
      x: input array.

    Returns:
      An array of the input's floating dtype.

    Examples:
      >>> import jax.numpy as jnp, jax_act
      >>> jax_act.soft_sign(jnp.array([-1.0, 0.0, 3.0]))
      Array([-0.5 ,  0.  ,  0.75], dtype=float32)
    """
    return jnp.where(jnp.isinf(x), jnp.sign(x), x / (jnp.abs(x) + 1))


def _squareplus_root(x: Array, b: Array) -> tuple[Array, Array]:
    """x² + b and its root, |x| where x² overflows (√ is |x| to the last bit there): one
    expression for the forward and backward passes, which XLA then computes once."""
    s = x * x + b
    return s, jnp.where(jnp.isinf(s), jnp.abs(x), jnp.sqrt(s))


def _squareplus_derivative(x: Array, b: Array) -> Array:
    s, r = _squareplus_root(x, b)
    q = jnp.where(jnp.isinf(s), jnp.sign(x), x / r)  # ±inf: ±1, not inf/inf
    a = jnp.abs(x)
    # (1 + q)/2 cancels below q = −½; there (r − |x|)(r + |x|) = b gives (b/2)/(r² + |x|r),
    # with s for r² (one rounding fewer), and b/(4x²) as a product where s overflows (XLA
    # rewrites (p/a)/a as p/(a·a), which overflows too; max(a, 1) keeps that unused branch's
    # own derivative finite at 0, or f'' would be NaN there). Selecting numerator and
    # denominator for a single division measured 1.6–2× slower on XLA:CPU.
    m = jnp.maximum(a, 1.0)
    tail = jnp.where(jnp.isinf(s), (0.5 * b / m) * (0.5 / m), (0.5 * b) / (s + a * r))
    return jnp.where(q > -0.5, 0.5 + 0.5 * q, tail)  # above −½ the subtraction is exact


@elementwise(
    derivative=_squareplus_derivative,
    saves="input",
    partials={"b": lambda x, y, b: 0.25 / _squareplus_root(x, b)[1]},
    partials_need="x",
    formula="squareplus(x) = (x + √(x² + b)) / 2",
    derivative_text="(1 + x/√(x² + b)) / 2 = (b/2) / (x² + b + |x|√(x² + b)) for x < 0; ∂/∂b = 1 / (4√(x² + b))",
    kinks="none (smooth) for b > 0",
    jax_nn="squareplus",
    reference=lambda x, b=4: jnp.where(x > 0, (x + jnp.sqrt(x * x + b)) / 2, b / (2 * (jnp.sqrt(x * x + b) - x))),
    test_params=({}, {"b": 1.0}),
)
def squareplus(x: ArrayLike, b: ArrayLike = 4) -> Array:
    r"""Squareplus activation (So, 2021), a smooth relu with smoothness parameter :math:`b > 0`.

    .. math::
        \mathrm{squareplus}(x) = \frac{x + \sqrt{x^2 + b}}{2}, \qquad
        \mathrm{squareplus}'(x) = \frac12\Bigl(1 + \frac{x}{\sqrt{x^2 + b}}\Bigr), \qquad
        \frac{\partial\,\mathrm{squareplus}}{\partial b} = \frac{1}{4\sqrt{x^2 + b}}

    Evaluated as :math:`\max(x, 0) + \frac{b/2}{\sqrt{x^2 + b} + |x|}`, which equals the
    formula but does not cancel for negative :math:`x` (``jax.nn`` returns 0 at
    :math:`x = -10^4` in float32, where the value is :math:`10^{-4}`); the gradient, likewise,
    as :math:`\frac{b/2}{x^2 + b + |x|\sqrt{x^2 + b}}` for :math:`x < -\sqrt{b/3}`.
    Kinks: none.

    The backward pass keeps the input, not the output. The derivative can be written from
    the output, :math:`y^2/(y^2 + b/4)`, but for :math:`x < 0` that doubles the relative
    error of :math:`y`: about 6 ulps in float32, and still 3.9 from a correctly rounded
    :math:`y`. From :math:`x` it is within 2.5 ulps. It is one array either way, as in
    isolation; inside a model the next layer would have shared :math:`y`, so it costs 4
    bytes per float32 element there (``jax.nn`` keeps 8). On XLA:CPU the backward's
    divisions make forward+backward 1.2–2.2× ``jax.nn``'s time (``bench/README.md``).
    ``squareplus(±inf)`` is ±inf/0 with gradient 1/0; the second derivative there is NaN.

    Args:
      x: input array.
      b: smoothness parameter, scalar or array broadcasting against ``x`` (default 4);
        differentiable.

    Returns:
      An array of the promoted floating dtype of ``x`` and ``b``.

    Examples:
      >>> import jax.numpy as jnp, jax_act
      >>> jax_act.squareplus(jnp.array([-1.0, 0.0, 1.0]))
      Array([0.618034, 1.      , 1.618034], dtype=float32)
    """
    _, root = _squareplus_root(x, b)
    return jnp.maximum(x, 0) + (0.5 * b) / (root + jnp.abs(x))  # x → −∞: b/(4|x|), not 0


# ---- piecewise linear: f' from the output where it tells the pieces apart, else a mask


@elementwise(
    derivative=lambda y: jnp.where((y > 0) & (y < 6), 1.0, 0.0),
    saves="output",
    half_from_input=False,  # f' reads a branch from y: exact from 16 bits
    formula="relu6(x) = min(max(x, 0), 6)",
    derivative_text="1 if 0 < y < 6 else 0",
    kinks="relu6'(0) = relu6'(6) = 0, as jax.nn",
    jax_nn="relu6",
    reference=lambda x: jnp.where(x <= 0, 0.0, jnp.where(x >= 6, 6.0, x)),
    kink_points=(0.0, 6.0),
    smooth=False,
)
def relu6(x: ArrayLike) -> Array:
    r"""Rectified linear unit capped at 6.

    .. math::
        \mathrm{relu6}(x) = \min(\max(x, 0), 6), \qquad
        \mathrm{relu6}'(x) = \begin{cases} 1, & 0 < x < 6 \\ 0, & \text{otherwise} \end{cases}

    Kink convention: :math:`\mathrm{relu6}'(0) = \mathrm{relu6}'(6) = 0`, as ``jax.nn``.
    The backward pass keeps only the output (:math:`0 < y < 6 \iff 0 < x < 6`); NaN gives
    gradient 0, as ``jax.nn``.

    Args:
      x: input array.

    Returns:
      An array of the input's floating dtype (integers promote, as ``jax.nn``).

    Examples:
      >>> import jax.numpy as jnp, jax_act
      >>> jax_act.relu6(jnp.array([-1.0, 3.0, 7.0]))
      Array([0., 3., 6.], dtype=float32)
    """
    return jnp.minimum(jnp.maximum(x, 0), 6)


def _hard_sigmoid(x: Array) -> Array:
    return jnp.minimum(jnp.maximum(x + 3, 0), 6) / 6  # relu6(x + 3)/6, as jax.nn


def _hard_sigmoid_reference(x: Array) -> Array:
    return jnp.where(x <= -3, 0.0, jnp.where(x >= 3, 1.0, (x + 3) / 6))


@elementwise(
    derivative=lambda y: jnp.where((y > 0) & (y < 1), 1 / 6, 0.0),
    saves="output",
    half_from_input=False,  # f' reads a branch from y: exact from 16 bits
    formula="hard_sigmoid(x) = relu6(x + 3) / 6",
    derivative_text="1/6 if 0 < y < 1 else 0",
    kinks="hard_sigmoid'(±3) = 0, as jax.nn",
    jax_nn="hard_sigmoid",
    reference=_hard_sigmoid_reference,
    kink_points=(-3.0, 3.0),
    smooth=False,
)
def hard_sigmoid(x: ArrayLike) -> Array:
    r"""Hard sigmoid: a piecewise-linear sigmoid.

    .. math::
        \mathrm{hard\_sigmoid}(x) = \frac{\mathrm{relu6}(x + 3)}{6}, \qquad
        \mathrm{hard\_sigmoid}'(x) = \begin{cases} 1/6, & -3 < x < 3 \\
            0, & \text{otherwise} \end{cases}

    Kink convention: the derivative at :math:`\pm 3` is 0, as ``jax.nn`` (from relu6's).
    The backward pass keeps only the output (:math:`0 < y < 1 \iff -3 < x < 3`).

    Args:
      x: input array.

    Returns:
      An array of the input's floating dtype.

    Examples:
      >>> import jax.numpy as jnp, jax_act
      >>> jax_act.hard_sigmoid(jnp.array([-4.0, 0.0, 1.5]))
      Array([0.  , 0.5 , 0.75], dtype=float32)
    """
    return _hard_sigmoid(x)


def _hard_silu_derivative(x: Array) -> Array:
    z = x + 3  # masked on z as jax.nn; (2x + 3)/6, not hard_sigmoid(x) + x/6: no rounded 1/6
    return jnp.where(z <= 0, 0.0, jnp.where(z >= 6, 1.0, (2 * x + 3) / 6))  # to cancel at −1.5


@elementwise(
    derivative=_hard_silu_derivative,
    saves="input",
    formula="hard_silu(x) = x·relu6(x + 3) / 6",
    derivative_text="0 if x ≤ −3, (2x + 3)/6 if −3 < x < 3, 1 if x ≥ 3",
    kinks="hard_silu'(−3) = 0, hard_silu'(3) = 1, as jax.nn",
    jax_nn="hard_silu",
    aliases=("hard_swish",),
    reference=lambda x: x * _hard_sigmoid_reference(x),
    kink_points=(-3.0, 3.0),
    smooth=False,
)
def hard_silu(x: ArrayLike) -> Array:
    r"""Hard SiLU (hard swish): :math:`x \cdot \mathrm{hard\_sigmoid}(x)`.

    .. math::
        \mathrm{hard\_silu}(x) = \frac{x\,\mathrm{relu6}(x + 3)}{6}, \qquad
        \mathrm{hard\_silu}'(x) = \begin{cases} 0, & x \le -3 \\ (2x + 3)/6, & -3 < x < 3 \\
            1, & x \ge 3 \end{cases}

    :func:`hard_swish` is the same function. Kink convention, as ``jax.nn``:
    :math:`\mathrm{hard\_silu}'(-3) = 0` and :math:`\mathrm{hard\_silu}'(3) = 1`. The
    function is not invertible (it dips below 0), so the backward pass keeps the input.

    Args:
      x: input array.

    Returns:
      An array of the input's floating dtype.

    Examples:
      >>> import jax.numpy as jnp, jax_act
      >>> jax_act.hard_silu(jnp.array([-4.0, -1.0, 1.5]))
      Array([-0.        , -0.33333334,  1.125     ], dtype=float32)
    """
    return jnp.maximum(x, -3) * _hard_sigmoid(x)  # hard_sigmoid is 0 below −3: no −inf · 0


def _hard_tanh_mask(x: Array, y: Array) -> Array:
    """1-byte mask of −1 ≤ x ≤ 1"""
    return ~((x > 1) | (x < -1))  # NaN counts as inside, as jax.nn's nested where


@elementwise(
    derivative=lambda inside: jnp.where(inside, 1.0, 0.0),
    saves=_hard_tanh_mask,
    formula="hard_tanh(x) = −1 if x < −1, x if −1 ≤ x ≤ 1, 1 if x > 1",
    derivative_text="1 if −1 ≤ x ≤ 1 else 0",
    kinks="hard_tanh'(±1) = 1, as jax.nn (PyTorch gives 0)",
    keep_int=True,
    jax_nn="hard_tanh",
    reference=lambda x: jnp.where(x < -1, -1.0, jnp.where(x > 1, 1.0, x)),
    kink_points=(-1.0, 1.0),
    smooth=False,
)
def hard_tanh(x: ArrayLike) -> Array:
    r"""Hard tanh: :math:`x` clipped to :math:`[-1, 1]`.

    .. math::
        \mathrm{hard\_tanh}(x) = \begin{cases} -1, & x < -1 \\ x, & -1 \le x \le 1 \\
            1, & 1 < x \end{cases}
        \qquad
        \mathrm{hard\_tanh}'(x) = \begin{cases} 1, & -1 \le x \le 1 \\
            0, & \text{otherwise} \end{cases}

    Kink convention: :math:`\mathrm{hard\_tanh}'(\pm 1) = 1`, as ``jax.nn`` (PyTorch gives
    0). The output is ±1 both at the kinks and beyond them, so it cannot carry that
    convention: the backward pass keeps a 1-byte mask of :math:`-1 \le x \le 1` instead (NaN
    counts as inside, gradient 1, as ``jax.nn``). Integer input gives integer output, as
    ``jax.nn``.

    Args:
      x: input array.

    Returns:
      An array of the input's dtype.

    Examples:
      >>> import jax.numpy as jnp, jax_act
      >>> jax_act.hard_tanh(jnp.array([-2.0, 0.5, 2.0]))
      Array([-1. ,  0.5,  1. ], dtype=float32)
    """
    return jnp.where(x > 1, 1, jnp.where(x < -1, -1, x))


def _sparse_sigmoid_code(x: Array, y: Array) -> Array:
    """1-byte slope code: 2 inside (−1, 1), 1 at ±1, 0 outside"""
    z = x + 1  # jax.nn's clip(z, 0, 2): each tie of its max/min halves the slope
    inside = (z > 0) & (z < 2)
    return inside.astype(jnp.int8) * 2 + ((z == 0) | (z == 2)).astype(jnp.int8)


@elementwise(
    derivative=lambda code: jnp.where(code == 2, 0.5, jnp.where(code == 1, 0.25, 0.0)),
    saves=_sparse_sigmoid_code,
    formula="sparse_sigmoid(x) = clip((x + 1)/2, 0, 1)",
    derivative_text="1/2 if −1 < x < 1, 1/4 at ±1, else 0",
    kinks="sparse_sigmoid'(±1) = 1/4 (the mean of the one-sided slopes), as jax.nn",
    jax_nn="sparse_sigmoid",
    reference=lambda x: jnp.clip(0.5 * (x + 1), 0.0, 1.0),
    kink_points=(-1.0, 1.0),
    smooth=False,
)
def sparse_sigmoid(x: ArrayLike) -> Array:
    r"""Sparse sigmoid: the derivative of :func:`sparse_plus` (Blondel et al. 2020, §6.2).

    .. math::
        \mathrm{sparse\_sigmoid}(x) = \begin{cases} 0, & x \le -1 \\ (x + 1)/2, & -1 < x < 1 \\
            1, & 1 \le x \end{cases}
        \qquad
        \mathrm{sparse\_sigmoid}'(x) = \begin{cases} 1/2, & -1 < x < 1 \\ 1/4, & x = \pm 1 \\
            0, & \text{otherwise} \end{cases}

    Kink convention: the derivative at :math:`\pm 1` is :math:`1/4`, the mean of the
    one-sided slopes, as ``jax.nn`` (whose clip splits ties). The output is 0 or 1 both at
    the kinks and beyond, so the backward pass keeps a 1-byte slope code instead.

    Args:
      x: input array.

    Returns:
      An array of the input's floating dtype.

    Examples:
      >>> import jax.numpy as jnp, jax_act
      >>> jax_act.sparse_sigmoid(jnp.array([-2.0, 0.0, 0.5, 2.0]))
      Array([0.  , 0.5 , 0.75, 1.  ], dtype=float32)
    """
    return 0.5 * jnp.clip(x + 1, 0, 2)


def _sparse_plus_derivative(y: Array) -> Array:
    # (x + 1)/2 = √y on (−1, 1); the double where keeps √'(0) = inf out of second derivatives
    positive = y > 0
    return jnp.where(positive, jnp.minimum(jnp.sqrt(jnp.where(positive, y, 1)), 1), 0.0)


@elementwise(
    derivative=_sparse_plus_derivative,
    saves="output",
    formula="sparse_plus(x) = 0 if x ≤ −1, (x + 1)²/4 if −1 < x < 1, x if x ≥ 1",
    derivative_text="min(√y, 1) = sparse_sigmoid(x)",
    kinks="none for the slope (sparse_plus'(−1) = 0, sparse_plus'(1) = 1, as jax.nn); C¹, not C²",
    jax_nn="sparse_plus",
    reference=lambda x: jnp.where(x <= -1, 0.0, jnp.where(x >= 1, x, (x + 1) ** 2 / 4)),
    kink_points=(-1.0, 1.0),
    smooth=False,
)
def sparse_plus(x: ArrayLike) -> Array:
    r"""Sparse plus: a softplus with exact zeros and an exact linear tail.

    .. math::
        \mathrm{sparse\_plus}(x) = \begin{cases} 0, & x \le -1 \\ \frac14 (x + 1)^2, & -1 < x < 1
            \\ x, & 1 \le x \end{cases}
        \qquad
        \mathrm{sparse\_plus}'(x) = \mathrm{sparse\_sigmoid}(x) = \min\left(\sqrt{y}, 1\right)

    The derivative is continuous (0 at :math:`-1`, 1 at 1, as ``jax.nn``); the second
    derivative jumps at :math:`\pm 1`. The backward pass keeps only the output: on
    :math:`(-1, 1)`, :math:`(x + 1)/2 = \sqrt{y}`, to an ulp.

    Args:
      x: input array.

    Returns:
      An array of the input's floating dtype.

    Examples:
      >>> import jax.numpy as jnp, jax_act
      >>> jax_act.sparse_plus(jnp.array([-2.0, 0.0, 0.5, 2.0]))
      Array([0.    , 0.25  , 0.5625, 2.    ], dtype=float32)
    """
    return jnp.where(x <= -1, 0.0, jnp.where(x >= 1, x, jnp.square(x + 1) / 4))


swish = silu
hard_swish = hard_silu

__all__ += [  # noqa: PLE0605
    "identity",
    "elu",
    "celu",
    "selu",
    "gelu",
    "silu",
    "swish",
    "mish",
    "softplus",
    "log_sigmoid",
    "log1mexp",
    "soft_sign",
    "squareplus",
    "relu6",
    "hard_sigmoid",
    "hard_silu",
    "hard_swish",
    "hard_tanh",
    "sparse_sigmoid",
    "sparse_plus",
]
