"""Smooth rectifiers: gelu, quick_gelu, silu (swish), mish, softplus, squareplus.

gelu, silu and mish are not invertible, so the backward pass keeps the input alone;
softplus reads σ(βx) back from its output, squareplus its root.
"""

from __future__ import annotations

import jax.numpy as jnp
from jax import Array, lax
from jax.typing import ArrayLike

from . import _kernels as k
from ._kernels import plain
from ._engine import Probes, elementwise

__all__ = ["gelu", "silu", "mish", "softplus", "squareplus", "swish", "quick_gelu"]


_TAIL = k.TAIL  # where the derivatives have reached their limits


@elementwise(
    derivative=plain.gelu_derivative,
    saves="input",
    static=("approximate",),
    highest=dict(forward=k.gelu_value, derivative=k.gelu_derivative),
    float64=dict(derivative=k.gelu_derivative),
    formula="gelu(x) = x·Φ(x) (exact) or x·½(1 + tanh u) = x·σ(2u), u = √(2/π)(x + 0.044715x³) (approximate)",
    derivative_text="Φ(x) + x·φ(x) (exact); s + x·s(1 − s)·2√(2/π)(1 + 0.134145x²), s = σ(2u) (approximate)",
    kinks="none (smooth)",
    jax_nn="gelu",
    reference=plain.gelu_reference,
    probes=Probes(test_params=({}, {"approximate": False})),
)
def gelu(x: ArrayLike, approximate: bool = True) -> Array:
    """Gaussian error linear unit, as ``jax.nn.gelu``.

    ``gelu(±inf)`` is ±inf/0 with gradient 1/0 (jax.nn gives NaN). At ``accuracy="highest"``
    the gradient is within 4 float32 ulps wherever it is normal (Mills ratio, root band).

    Args:
      approximate: the tanh form (True, the default) or the exact erf form (static).
    """
    return plain.gelu_value(x, approximate)


@elementwise(
    derivative=plain.silu_derivative,
    saves="input",
    highest=dict(forward=k.silu_value, derivative=k.silu_derivative),
    float64=dict(derivative=k.silu_derivative),
    formula="silu(x) = x·σ(x)",
    derivative_text="σ(x)(1 + x(1 − σ(x)))",
    kinks="none (smooth)",
    jax_nn="silu",
    aliases=("swish",),
    reference=lambda x: x / (1 + jnp.exp(-x)),
)
def silu(x: ArrayLike) -> Array:
    """Sigmoid linear unit (swish), as ``jax.nn.silu``.

    ``silu(-inf)`` is 0 with gradient 0, ``silu(inf)`` inf with gradient 1 (jax.nn: NaN). At
    ``accuracy="highest"`` the gradient is within 4 float32 ulps, its root band included.
    """
    return plain.silu_value(x)


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
    """Mish activation, as ``jax.nn.mish``, from one exponential: n = eˣ(eˣ + 2).

    The exponential is of x clipped to [−1000, 40]: ``mish(1e3)`` is 1000, ``mish(-inf)`` 0
    with gradient 0. At ``accuracy="highest"`` the gradient is within 4 float32 ulps.
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
    """Softplus activation: ``jax.nn.softplus`` when called as ``softplus(x)``.

    Computed as max(z, 0) + log(1 + e^−|z|), z = βx: nothing overflows. The gradient is 0 at
    −inf, 1 at +inf and NaN at NaN.

    Args:
      beta: β > 0, the input's scale (keyword-only, default 1.0); differentiable.
      threshold: where βx > threshold, return x (keyword-only, static; default None: never).
    """
    z = beta * x
    soft = k.softplus(z) / beta
    return soft if threshold is None else jnp.where(z > threshold, x, soft)


def _squareplus_value(x: Array, b: Array) -> Array:
    z = jnp.maximum(x, -jnp.finfo(x.dtype).max)  # −inf: the limit 0, not −inf + inf
    return z / 2 + k.squareplus_root(z, b)[1] / 2  # the root is |x| where x² overflows (and so is x + root)


def _squareplus_derivative(x: Array, b: Array) -> Array:
    z = k.finite(x)  # ±inf: 1 and 0, not inf/inf
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
    """Squareplus activation (So, 2021), a smooth relu, as ``jax.nn.squareplus``.

    Both passes cancel for negative x as jax.nn's do; at ``accuracy="highest"`` they do not
    (within 2.5 float32 ulps). ``squareplus(±inf)`` is ±inf/0 with gradient 1/0.

    Args:
      b: b > 0, the smoothness (default 4); broadcasts against ``x``; differentiable.
    """
    return _squareplus_value(x, b)


swish = silu


@elementwise(
    derivative=lambda x: plain.silu_derivative(k.QUICK_GELU * x),  # silu' at z = 1.702x
    saves="input",  # not invertible
    highest=dict(derivative=k.quick_gelu_derivative),
    float64=dict(derivative=lambda x: k.silu_derivative(k.QUICK_GELU * x)),
    formula="quick_gelu(x) = x·σ(1.702 x)",
    derivative_text="σ(z)(1 + z·σ(−z)), z = 1.702 x",
    kinks="none (smooth)",
    reference=lambda x: x / (1 + jnp.exp(-1.702 * x)),
)
def quick_gelu(x: ArrayLike) -> Array:
    """Quick GELU, x·σ(1.702x) (Hendrycks & Gimpel 2016; CLIP's).

    f(−inf) = 0, f(+inf) = +inf, f'(±inf) = 1 and 0. At ``accuracy="highest"`` the gradient
    is within 4 float32 ulps wherever it is normal.
    """
    return jnp.maximum(x, -k.TAIL) * lax.logistic(k.QUICK_GELU * x)  # −∞·σ(−∞) would be NaN; the limit is 0
