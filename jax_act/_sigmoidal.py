"""S-shaped activations and their logarithms: sigmoid, tanh, log_sigmoid, log1mexp,
soft_sign, tanh_shrink (x − tanh x).

Each derivative is read from what the forward pass keeps: the output wherever f' is a
function of it (σ' = y(1 − y), tanh' = 1 − y²), else the input.
"""

from __future__ import annotations

import math

import jax.numpy as jnp
from jax import Array, lax
from jax.typing import ArrayLike

from . import _kernels as k
from ._engine import Probes, elementwise

__all__ = ["sigmoid", "tanh", "log_sigmoid", "log1mexp", "soft_sign", "tanh_shrink"]


def _tanh_derivative(y: Array) -> Array:
    """(1 − y)(1 + y): 1 − y² without its cancellation near |y| = 1."""
    return (1 - y) * (1 + y)


def _tanh_derivative_highest(y: Array) -> Array:
    """1 − y² below |y| = ½: one rounding fewer (in float32 at the default level, XLA:CPU kept
    an array more in a transformer step)."""
    return jnp.where(jnp.abs(y) < 0.5, 1 - y * y, (1 - y) * (1 + y))  # |y| ≥ ½: 1 ∓ y exact


def _sigmoid_slope(x: Array) -> Array:
    """σ'(x) = σ(x)σ(−x) from x (``k.sigmoid_pair``): every bit down to the underflow."""
    s, c = k.sigmoid_pair(x)
    return s * c


@elementwise(
    # (g·y)(1 − y): XLA kept an array more for g·(y(1 − y)) in a bfloat16 step under remat;
    # 1 − y is exact for y ≥ ½ (Sterbenz)
    derivative=lambda y: (y, 1 - y),
    saves="output",
    highest=dict(half_from_input=True, derivative_from_input=_sigmoid_slope),
    formula="σ(x) = 1 / (1 + e^−x)",
    derivative_text="σ'(x) = y (1 − y)",
    kinks="none (smooth)",
    jax_nn="sigmoid",
    reference=lambda x: 1 / (1 + jnp.exp(-x)),
)
def sigmoid(x: ArrayLike) -> Array:
    """Sigmoid (logistic) activation, as ``jax.nn.sigmoid``.

    Where the output has rounded to 1 (x ≳ 16.6 in float32, 5.6 in bfloat16) the gradient is 0,
    as in jax.nn and PyTorch; the true value there is below the dtype's epsilon.
    """
    return lax.logistic(x)


@elementwise(
    derivative=_tanh_derivative,
    saves="output",
    highest=dict(
        forward=k.tanh,
        derivative=_tanh_derivative_highest,
        half_from_input=True,
        derivative_from_input=lambda x: 4 * _sigmoid_slope(2 * x),  # tanh x = 2σ(2x) − 1
    ),
    float64=dict(derivative=_tanh_derivative_highest),
    formula="tanh(x) = (e^x − e^−x) / (e^x + e^−x)",
    derivative_text="tanh'(x) = 1 − y²",
    kinks="none (smooth)",
    jax_nn="tanh",
    reference=lambda x: (jnp.exp(x) - jnp.exp(-x)) / (jnp.exp(x) + jnp.exp(-x)),
)
def tanh(x: ArrayLike) -> Array:
    """Hyperbolic tangent activation, as ``jax.nn.tanh`` (XLA's ``tanh``).

    Where the output has rounded to ±1 (``|x|`` ≳ 9 in float32) the gradient is 0, as in jax.nn.
    At ``accuracy="highest"`` the float32 output is within about an ulp (XLA's: 4.6).
    """
    return jnp.tanh(x)


@elementwise(
    derivative=lambda x: lax.logistic(-x),
    saves="input",
    highest=dict(derivative=lambda y: -k.expm1(y), saves="output", half_from_input=True),  # σ(−x) = 1 − e^y
    formula="log_sigmoid(x) = log σ(x) = −log(1 + e^(−x))",
    derivative_text="1 − e^y = σ(−x)",
    kinks="none (smooth)",
    jax_nn="log_sigmoid",
    reference=lambda x: -jnp.logaddexp(0.0, -x),
)
def log_sigmoid(x: ArrayLike) -> Array:
    """Log-sigmoid activation, as ``jax.nn.log_sigmoid``.

    The gradient is 1 at −inf and 0 at +inf. At ``accuracy="highest"``, expm1 is a float32
    kernel within about an ulp.
    """
    return -k.softplus(-x)


def _log1mexp(x: Array, expm1=jnp.expm1) -> Array:
    cut = 1.5 if x.dtype == jnp.float64 else 0.6931471805599453  # float64 log1p: see below
    return jnp.where(x < cut, jnp.log(-expm1(-x)), jnp.log1p(-jnp.exp(-x)))


@elementwise(
    derivative=lambda x: 1 / jnp.expm1(x),
    saves="input",
    barrier="half",  # float32: with it, XLA:CPU kept one more array in a transformer step
    highest=dict(barrier=True, forward=lambda x: _log1mexp(x, k.expm1), derivative=lambda x: 1 / k.expm1(x)),
    formula="log1mexp(x) = log(1 − e^(−x)), x > 0",
    derivative_text="1 / (eˣ − 1)",
    kinks="none on x > 0 (undefined for x < 0; −inf with gradient inf at 0, as jax.nn)",
    jax_nn="log1mexp",
    reference=lambda x: jnp.where(x > 2, jnp.log1p(-jnp.exp(-x)), jnp.log(-jnp.expm1(-x))),
    probes=Probes(domain=(0.0, float("inf"))),
)
def log1mexp(x: ArrayLike) -> Array:
    """Numerically stable log(1 − e^(−x)) for x > 0, as ``jax.nn.log1mexp``.

    Mächler's two forms, switched at log 2 (at 1.5 in float64, where XLA's log1p is off by up to
    120 ulps). NaN for x < 0; −inf with gradient +inf at 0.
    """
    return _log1mexp(x)


@elementwise(
    derivative=lambda y: jnp.square(1 - jnp.abs(y)),
    saves="output",
    # 1 − |y| from a 16-bit y carries |x| of its ulps: from x, at both levels (x costs a
    # 16-bit model step no bytes more than y, measured at every bfloat16 model shape)
    half_from_input=True,
    derivative_from_input=lambda x: 1 / jnp.square(1 + jnp.abs(x)),
    formula="soft_sign(x) = x / (|x| + 1)",
    derivative_text="1/(|x| + 1)² = (1 − |y|)²",
    kinks="none for the slope (soft_sign'(0) = 1); C¹, not C²",
    jax_nn="soft_sign",
    reference=lambda x: x / (1 + jnp.abs(x)),
    probes=Probes(kink_points=(0.0,), smooth=False),
)
def soft_sign(x: ArrayLike) -> Array:
    """Soft-sign activation, as ``jax.nn.soft_sign``.

    ``soft_sign(±inf)`` is ±1 with gradient 0 (jax.nn gives NaN). Where ``|y|`` has rounded to 1
    (``|x|`` ≳ 2²⁴ in float32) the gradient is 0.
    """
    z = k.finite(x)  # ±inf: M/(M + 1) = ±1, M the largest float; no select
    return z / (jnp.abs(z) + 1)


# x cosh x − sinh x = Σ_{k≥1} 2k x^{2k+1} / (2k+1)!: positive terms, no cancellation. Eleven
# terms leave a relative truncation error below 1e-17 for |x| < 2 (float64's eps is 1.1e-16).
_TANH_SHRINK_CUT = 2.0


_TANH_SHRINK_SERIES = tuple(2 * k / math.factorial(2 * k + 1) for k in range(1, 12))


def _tanh_shrink_small(x: Array) -> Array:
    """x − tanh x for |x| < 2, as (x cosh x − sinh x) / cosh x by the series."""
    x2 = x * x
    return x * x2 * k.horner(x2, _TANH_SHRINK_SERIES) / jnp.cosh(x)


def _tanh_shrink_highest(x: Array) -> Array:
    return jnp.where(jnp.abs(x) < _TANH_SHRINK_CUT, _tanh_shrink_small(x), x - k.tanh(x))


@elementwise(
    derivative=lambda x: jnp.square(jnp.tanh(x)),
    saves="input",  # f is invertible, but not in closed form
    highest=dict(forward=_tanh_shrink_highest, derivative=lambda x: jnp.square(k.tanh(x))),
    formula="tanh_shrink(x) = x − tanh x",
    derivative_text="tanh_shrink'(x) = tanh² x",
    kinks="none (smooth)",
    reference=lambda x: x - (jnp.exp(x) - jnp.exp(-x)) / (jnp.exp(x) + jnp.exp(-x)),
)
def tanh_shrink(x: ArrayLike) -> Array:
    """Tanh shrinkage, PyTorch's ``F.tanhshrink``.

    x − tanh x ≈ x³/3 cancels for small ``|x|``, as in PyTorch; at ``accuracy="highest"`` it is
    (x cosh x − sinh x)/cosh x by a positive series below ``|x|`` = 2, every digit kept.
    """
    return x - jnp.tanh(x)
