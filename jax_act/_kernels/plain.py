"""The default level's gelu and silu: jax.nn's formulas and their closed-form derivatives,
term for term, shared by the elementwise activations and the gated units (geglu, swiglu).
Float64 input takes the careful derivatives of the highest level instead (the declarations'
dispatch tables say so)."""

from __future__ import annotations

import jax.numpy as jnp
from jax import Array, lax
from jax.scipy.special import ndtr

from . import GELU_CUBIC, GELU_TAIL, SQRT_2_OVER_PI, SQRT_HALF, TAIL


def gelu_value(x: Array, approximate: bool = True) -> Array:
    z = jnp.maximum(x, -GELU_TAIL)  # gelu(−inf) = 0, not −inf · 0
    if approximate:  # jax.nn's, term for term
        return z * (0.5 * (1.0 + jnp.tanh(SQRT_2_OVER_PI * (z + GELU_CUBIC * z**3))))
    return 0.5 * z * lax.erfc(-z * SQRT_HALF)


def gelu_derivative(x: Array, approximate: bool = True) -> Array:
    z = jnp.clip(x, -GELU_TAIL, GELU_TAIL)  # beyond ±40 f' is 0 or 1: no inf · 0
    if approximate:  # ½(1 + t)(1 + x(1 − t)u'), t = tanh u: jax.nn's terms, factored
        t = jnp.tanh(SQRT_2_OVER_PI * (z + GELU_CUBIC * z**3))
        return (0.5 + 0.5 * t) * (1 + z * (1 - t) * (SQRT_2_OVER_PI * (1 + 3 * GELU_CUBIC * z * z)))
    # Φ(x) + xφ(x), Φ from erfc: no cancellation in the left tail
    return 0.5 * lax.erfc(-z * SQRT_HALF) + z * jnp.exp(-0.5 * z * z) * (0.5 * SQRT_2_OVER_PI)


def gelu_reference(x: Array, approximate: bool = True) -> Array:
    # ½(1 + tanh u) written as 1/(1 + e^(−2u)), and Φ as ndtr: no cancellation in the
    # negative tail, where ½(1 + tanh u) and ½(1 + erf) lose every digit even in float64
    if approximate:
        return x / (1 + jnp.exp(-2 * SQRT_2_OVER_PI * (x + GELU_CUBIC * x**3)))
    return x * ndtr(x)


def silu_value(x: Array) -> Array:
    return jnp.maximum(x, -TAIL) * lax.logistic(x)  # silu(−inf) = 0, not −inf · 0


def silu_derivative(x: Array) -> Array:
    z = jnp.clip(x, -TAIL, TAIL)  # z·(1 − σ) → 0 at ±inf, not inf · 0
    s = lax.logistic(z)
    return s * (1 + z * (1 - s))
