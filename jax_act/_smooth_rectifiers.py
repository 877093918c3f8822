"""Smooth rectifiers: gelu, quick_gelu, silu (swish), mish, softplus, squareplus.

gelu, silu and mish are not invertible, so the backward pass keeps the input alone;
softplus reads σ(βx) back from its output, squareplus its root.
"""

from __future__ import annotations

import jax.numpy as jnp
from jax import Array, lax
from jax.scipy.special import ndtr
from jax.typing import ArrayLike

from . import _kernels as k
from ._engine import Probes, elementwise

__all__ = ["gelu", "silu", "mish", "softplus", "squareplus", "swish", "quick_gelu"]


_SQRT_2_OVER_PI, _GELU_CUBIC = k.SQRT_2_OVER_PI, k.GELU_CUBIC


_TAIL, _GELU_TAIL = k.TAIL, k.GELU_TAIL  # where the derivatives have reached their limits


def _gelu_value(x: Array, approximate: bool = True) -> Array:
    z = jnp.maximum(x, -_GELU_TAIL)  # gelu(−inf) = 0, not −inf · 0
    if approximate:  # jax.nn's, term for term
        return z * (0.5 * (1.0 + jnp.tanh(_SQRT_2_OVER_PI * (z + _GELU_CUBIC * z**3))))
    return 0.5 * z * lax.erfc(-z * k.SQRT_HALF)


def _gelu_derivative(x: Array, approximate: bool = True) -> Array:
    z = jnp.clip(x, -_GELU_TAIL, _GELU_TAIL)  # beyond ±40 f' is 0 or 1: no inf · 0
    if x.dtype == jnp.float64:  # outside the speed contract: the careful form is as cheap as any
        return k.gelu_derivative(x, approximate)
    if approximate:  # ½(1 + t)(1 + x(1 − t)u'), t = tanh u: jax.nn's terms, factored
        t = jnp.tanh(_SQRT_2_OVER_PI * (z + _GELU_CUBIC * z**3))
        return (0.5 + 0.5 * t) * (1 + z * (1 - t) * (_SQRT_2_OVER_PI * (1 + 3 * _GELU_CUBIC * z * z)))
    # Φ(x) + xφ(x), Φ from erfc: no cancellation in the left tail
    return 0.5 * lax.erfc(-z * k.SQRT_HALF) + z * jnp.exp(-0.5 * z * z) * (0.5 * k.SQRT_2_OVER_PI)


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
    highest=dict(forward=k.gelu_value, derivative=k.gelu_derivative),
    formula="gelu(x) = x·Φ(x) (exact) or x·½(1 + tanh u) = x·σ(2u), u = √(2/π)(x + 0.044715x³) (approximate)",
    derivative_text="Φ(x) + x·φ(x) (exact); s + x·s(1 − s)·2√(2/π)(1 + 0.134145x²), s = σ(2u) (approximate)",
    kinks="none (smooth)",
    jax_nn="gelu",
    reference=_gelu_reference,
    probes=Probes(test_params=({}, {"approximate": False})),
)
def gelu(x: ArrayLike, approximate: bool = True) -> Array:
    r"""Gaussian error linear unit.

    With ``approximate=False``, the exact form with the normal CDF :math:`\Phi`:

    .. math::
        \mathrm{gelu}(x) = x\,\Phi(x), \qquad
        \mathrm{gelu}'(x) = \Phi(x) + x\,\varphi(x), \quad
        \varphi(x) = \frac{e^{-x^2/2}}{\sqrt{2\pi}}

    With ``approximate=True`` (the default, as ``jax.nn``), the tanh approximation:

    .. math::
        \mathrm{gelu}(x) = \frac{x}{2}\left(1 + \tanh u\right), \quad
        u = \sqrt{2/\pi}\,(x + 0.044715\,x^3)
        \\
        \mathrm{gelu}'(x) = \tfrac12(1 + \tanh u) + \tfrac12 x\,(1 - \tanh^2 u)\,
        \sqrt{2/\pi}\,(1 + 3 \cdot 0.044715\,x^2)

    The value is ``jax.nn.gelu``'s formula (the exact form through ``erfc``); the derivative
    is computed from the input, which is all the backward pass keeps (autodiff of
    ``jax.nn.gelu`` keeps up to five arrays), as ``jax.nn``'s terms (float64: as at the
    highest level, below). Kinks: none. Integer input is promoted to a float first.
    ``gelu(±inf)`` is ``±inf``/0 with gradient 1/0 (``jax.nn`` gives NaN there).

    At ``accuracy="highest"`` the float32 (and half-precision) gradient is within 4 ulps of
    the exact one wherever that is a normal float: :math:`\frac12(1 + \tanh u)` is computed as
    :math:`\sigma(2u)`, which keeps full relative precision in the negative tail; within 0.56
    of the root of :math:`\mathrm{gelu}'` (:math:`x_0 \approx -0.752`), where the two terms
    cancel, the derivative is :math:`(x - x_0)P(x - x_0)` with :math:`x - x_0` exact; in the
    left tail the exponential's argument is carried to 48 bits, and :math:`\sigma(2u)`
    (:math:`\varphi`) is scaled by :math:`e^{16}` where it would flush to 0 while the
    derivative is still normal. The exact form below the root band computes
    :math:`\Phi(x) = \varphi(x)\,m(-x)`, :math:`m` the Mills ratio (fitted, and its asymptotic
    series below :math:`-8`), and :math:`\mathrm{gelu}'(x) = \varphi(x)\,(x + m(-x))`: value
    within 4 ulps, where XLA's erfc loses :math:`x^2/2` ulps.

    Args:
      x: input array.
      approximate: whether to use the tanh approximation (static; default True).

    Returns:
      An array of the input's floating dtype.

    Examples:
      >>> import jax.numpy as jnp, jax_act
      >>> jax_act.gelu(jnp.array([-1.0, 0.0, 1.0]))
      Array([-0.15880796,  0.        ,  0.841192  ], dtype=float32)
      >>> jax_act.gelu(jnp.array([-1.0, 0.0, 1.0]), approximate=False)
      Array([-0.15865527,  0.        ,  0.8413447 ], dtype=float32)
    """
    return _gelu_value(x, approximate)


def _silu_value(x: Array) -> Array:
    return jnp.maximum(x, -_TAIL) * lax.logistic(x)  # silu(−inf) = 0, not −inf · 0


def _silu_derivative(x: Array) -> Array:
    if x.dtype == jnp.float64:  # outside the speed contract: the careful form (jax.nn's p99.9 is 10 ulps)
        return k.silu_derivative(x)
    z = jnp.clip(x, -_TAIL, _TAIL)  # z·(1 − σ) → 0 at ±inf, not inf · 0
    s = lax.logistic(z)
    return s * (1 + z * (1 - s))


@elementwise(
    derivative=_silu_derivative,
    saves="input",
    highest=dict(forward=k.silu_value, derivative=k.silu_derivative),
    formula="silu(x) = x·σ(x)",
    derivative_text="σ(x)(1 + x(1 − σ(x)))",
    kinks="none (smooth)",
    jax_nn="silu",
    aliases=("swish",),
    reference=lambda x: x / (1 + jnp.exp(-x)),
)
def silu(x: ArrayLike) -> Array:
    r"""Sigmoid linear unit (swish): :math:`x\,\sigma(x)`.

    .. math::
        \mathrm{silu}(x) = \frac{x}{1 + e^{-x}}, \qquad
        \mathrm{silu}'(x) = \sigma(x)\bigl(1 + x\,(1 - \sigma(x))\bigr)

    The value is ``jax.nn.silu``'s; the derivative is computed from the input, the one array
    the backward pass keeps (float64: as at the highest level, below). Near the root of :math:`\mathrm{silu}'` (:math:`x_0 \approx
    -1.278`) the sum :math:`1 + x(1 - \sigma(x))` cancels (so does ``jax.nn``'s). At
    ``accuracy="highest"`` :math:`1 - \sigma(x) = \sigma(-x)` comes from the same
    exponential without cancellation, and within 0.3 of the root the float32 (or
    half-precision) gradient is :math:`(x - x_0)P(x - x_0)`, a fitted polynomial with
    :math:`x - x_0` exact: within 4 ulps everywhere. :func:`swish` is the same function. Kinks: none. The backward pass keeps only the input.
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


def _mish_reference(x: Array) -> Array:
    # tanh(softplus(x)) = 1 − 2r²/((1 + r)² + r²) with r = e^−x for x ≥ 0: autodiff of
    # tanh (1 − tanh²) would cancel there; for x < 0, tanh(log1p(eˣ)) is accurate as it is
    r = jnp.exp(-jnp.abs(x))
    return x * jnp.where(x >= 0, 1 - 2 * r * r / ((1 + r) ** 2 + r * r), jnp.tanh(jnp.log1p(r)))


def _mish_derivative(x: Array) -> Array:
    e, n, d = k.mish_parts(x)  # 4x·e before any division: e/d alone would flush to 0 first
    return n / d + (4 * jnp.clip(x, -_TAIL, 40.0) * e / d) * ((1 + e) / d)


@elementwise(
    derivative=_mish_derivative,
    saves="input",
    highest=dict(derivative=k.mish_derivative),
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
    Kinks: none. The backward pass keeps only the input (autodiff of ``jax.nn.mish`` keeps
    five arrays). ``mish(-inf)`` is 0 with gradient 0.

    The two terms of the derivative cancel at its root :math:`x_0 \approx -1.1924` (as
    ``jax.nn``'s do). At ``accuracy="highest"``, within 0.36 of it the float32 derivative is
    :math:`(x - x_0)\,P(x - x_0)`, a fitted polynomial with :math:`x - x_0` exact, and for
    :math:`x < -0.4`, where the terms cancel 2–3 fold, it is taken over one denominator with
    :math:`1 + x` and :math:`1 + e(1 + e/2)` carried to twice the precision: within 4 ulps
    everywhere.

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
    _, n, d = k.mish_parts(x)
    return x * (n / d)


def _softplus_slope(x: Array, beta: Array, threshold: float | None = None) -> Array:
    slope = lax.logistic(beta * x)  # σ(βx)
    return slope if threshold is None else jnp.where(beta * x > threshold, 1.0, slope)


def _softplus_slope_from_output(y: Array, beta: Array, threshold: float | None = None) -> Array:
    slope = -k.expm1(-beta * y)  # σ(βx) = 1 − e^(−βy)
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
    derivative=_softplus_slope,
    saves="input",
    highest=dict(derivative=_softplus_slope_from_output, saves="output", half_from_input=True),
    partials={"beta": _softplus_dbeta},
    partials_need="x",
    static=("threshold",),
    formula="softplus(x) = log(1 + e^(βx))/β (x where βx > threshold)",
    derivative_text="σ(βx) = 1 − e^(−βy) (1 where βx > threshold); ∂/∂β = (z·σ(z) − log(1 + e^z))/β², z = βx",
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

    The backward pass keeps only the input and computes :math:`\sigma(\beta x)` from it (the
    output would serve as well, but inside a model XLA:CPU then keeps more arrays, and
    :math:`\mathrm{expm1}` costs more time than :math:`\sigma`): the gradient is 0 at
    :math:`-\infty`, 1/2 at 0, 1 at :math:`+\infty` and NaN at NaN. At ``accuracy="highest"``
    it keeps only the output and computes :math:`-\mathrm{expm1}(-\beta y)` with a float32
    expm1 within about an ulp.

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
    soft = k.softplus(z) / beta
    return soft if threshold is None else jnp.where(z > threshold, x, soft)


def _squareplus_value(x: Array, b: Array) -> Array:
    z = jnp.maximum(x, -jnp.finfo(x.dtype).max)  # −inf: the limit 0, not −inf + inf
    return z / 2 + k.squareplus_root(z, b)[1] / 2  # the root is |x| where x² overflows (and so is x + root)


def _squareplus_derivative(x: Array, b: Array) -> Array:
    z = jnp.clip(x, -jnp.finfo(x.dtype).max, jnp.finfo(x.dtype).max)  # ±inf: 1 and 0, not inf/inf
    return 0.5 + 0.5 * (z / k.squareplus_root(z, b)[1])


def _squareplus_stable(x: Array, b: Array) -> Array:
    _, root = k.squareplus_root(x, b)
    return jnp.maximum(x, 0) + (0.5 * b) / (root + jnp.abs(x))  # x → −∞: b/(4|x|), not 0


@elementwise(
    derivative=_squareplus_derivative,
    saves="input",
    highest=dict(forward=_squareplus_stable, derivative=k.squareplus_derivative),
    partials={"b": lambda x, y, b: 0.25 / k.squareplus_root(x, b)[1]},
    partials_need="x",
    formula="squareplus(x) = (x + √(x² + b)) / 2",
    derivative_text="(1 + x/√(x² + b)) / 2; ∂/∂b = 1 / (4√(x² + b))",
    kinks="none (smooth) for b > 0",
    jax_nn="squareplus",
    reference=lambda x, b=4: jnp.where(x > 0, (x + jnp.sqrt(x * x + b)) / 2, b / (2 * (jnp.sqrt(x * x + b) - x))),
    probes=Probes(test_params=({}, {"b": 1.0})),
)
def squareplus(x: ArrayLike, b: ArrayLike = 4) -> Array:
    r"""Squareplus activation (So, 2021), a smooth relu with smoothness parameter :math:`b > 0`.

    .. math::
        \mathrm{squareplus}(x) = \frac{x + \sqrt{x^2 + b}}{2}, \qquad
        \mathrm{squareplus}'(x) = \frac12\Bigl(1 + \frac{x}{\sqrt{x^2 + b}}\Bigr), \qquad
        \frac{\partial\,\mathrm{squareplus}}{\partial b} = \frac{1}{4\sqrt{x^2 + b}}

    The value and the derivative are ``jax.nn``'s formulas; the backward pass keeps the input
    (autodiff of ``jax.nn.squareplus`` keeps two arrays). Both cancel for negative :math:`x`
    (``jax.nn`` returns 0 at :math:`x = -10^4` in float32, where the value is
    :math:`10^{-4}`). Kinks: none.

    At ``accuracy="highest"`` the value is :math:`\max(x, 0) + \frac{b/2}{\sqrt{x^2 + b} + |x|}`
    and the derivative :math:`\frac{b/2}{x^2 + b + |x|\sqrt{x^2 + b}}` for
    :math:`x < -\sqrt{b/3}`, which equal the formulas but do not cancel (within 2.5 ulps in
    float32), at the cost of a division in each pass. Where :math:`x^2` overflows the root is
    :math:`|x|` (``jax.nn`` gives +inf for ``squareplus(-1e20)`` in float32):
    ``squareplus(±inf)`` is ±inf/0 with gradient 1/0.

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
    return _squareplus_value(x, b)


swish = silu


@elementwise(
    derivative=lambda x: _silu_derivative(k.QUICK_GELU * x),  # silu' at z = 1.702x
    saves="input",  # not invertible
    highest=dict(derivative=k.quick_gelu_derivative),
    formula="quick_gelu(x) = x·σ(1.702 x)",
    derivative_text="σ(z)(1 + z·σ(−z)), z = 1.702 x",
    kinks="none (smooth)",
    reference=lambda x: x / (1 + jnp.exp(-1.702 * x)),
)
def quick_gelu(x: ArrayLike) -> Array:
    r"""Quick GELU: the sigmoid approximation of gelu (Hendrycks & Gimpel 2016; CLIP's).

    .. math::
        f(x) = x\,\sigma(1.702\,x), \qquad
        f'(x) = \sigma(z)\,\bigl(1 + z\,\sigma(-z)\bigr), \quad z = 1.702\,x

    (:math:`\sigma(z)\sigma(-z) = \sigma'(z)`, without the cancellation of
    :math:`1 - \sigma(z)`). Limits: :math:`f(-\infty) = 0`, :math:`f(+\infty) = +\infty`,
    :math:`f'(\pm\infty)` = 1 and 0, taken exactly. Kinks: none. At ``accuracy="highest"``
    the float32 gradient is within 4 ulps wherever it is a normal float: :math:`z` is carried
    as a double-float (:math:`e^{z}` would amplify its rounding :math:`|z|`-fold), and within
    0.18 of the root of :math:`f'` (:math:`x_0 \approx -0.751`) it is
    :math:`(x - x_0)P(x - x_0)`, a fitted polynomial with :math:`x - x_0` exact.

    The backward pass keeps the input (f is not invertible).

    Args:
      x: input array.

    Returns:
      An array of the input's (floating) dtype.

    Examples:
      >>> import jax.numpy as jnp, jax_act
      >>> jax_act.quick_gelu(jnp.array([-1.0, 0.0, 1.0]))
      Array([-0.15420423,  0.        ,  0.8457958 ], dtype=float32)
    """
    return jnp.maximum(x, -k.TAIL) * lax.logistic(k.QUICK_GELU * x)  # −∞·σ(−∞) would be NaN; the limit is 0
