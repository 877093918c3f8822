"""Piecewise-linear activations: relu6, hard_sigmoid, hard_silu (hard_swish), hard_tanh,
sparse_sigmoid, sparse_plus.

f' is read from the output where the output tells the pieces apart, else from a 1-byte mask
(or the input, for the piecewise-quadratic ones).
"""

from __future__ import annotations

import jax.numpy as jnp
from jax import Array
from jax.typing import ArrayLike

from ._engine import Probes, elementwise, widen

__all__ = ["relu6", "hard_sigmoid", "hard_silu", "hard_tanh", "sparse_sigmoid", "sparse_plus", "hard_swish"]


@elementwise(
    derivative=lambda y: jnp.where((y > 0) & (y < 6), 1.0, 0.0),
    saves="output",
    half_from_input=False,  # f' reads a branch from y: exact from 16 bits
    formula="relu6(x) = min(max(x, 0), 6)",
    derivative_text="1 if 0 < y < 6 else 0",
    kinks="relu6'(0) = relu6'(6) = 0, as jax.nn",
    jax_nn="relu6",
    reference=lambda x: jnp.where(x <= 0, 0.0, jnp.where(x >= 6, 6.0, x)),
    probes=Probes(kink_points=(0.0, 6.0), smooth=False),
)
def relu6(x: ArrayLike) -> Array:
    """Rectified linear unit capped at 6, as ``jax.nn.relu6``.

    NaN gives gradient 0, as jax.nn; integers promote to float, as jax.nn.
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
    probes=Probes(kink_points=(-3.0, 3.0), smooth=False),
)
def hard_sigmoid(x: ArrayLike) -> Array:
    """Hard sigmoid, relu6(x + 3)/6, as ``jax.nn.hard_sigmoid``."""
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
    probes=Probes(kink_points=(-3.0, 3.0), smooth=False),
)
def hard_silu(x: ArrayLike) -> Array:
    """Hard SiLU (hard swish), x·relu6(x + 3)/6, as ``jax.nn.hard_silu``.

    :func:`hard_swish` is the same function.
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
    probes=Probes(kink_points=(-1.0, 1.0), smooth=False),
)
def hard_tanh(x: ArrayLike) -> Array:
    """Hard tanh, x clipped to [−1, 1], as ``jax.nn.hard_tanh``.

    NaN counts as inside (gradient 1), as jax.nn; integer input gives integer output.
    """
    return jnp.where(x > 1, 1, jnp.where(x < -1, -1, x))


def _slope_code(z: Array) -> Array:
    inside = (z > 0) & (z < 2)  # jax.nn's clip(z, 0, 2): each tie of its max/min halves the slope
    return inside.astype(jnp.int8) * 2 + ((z == 0) | (z == 2)).astype(jnp.int8)


def _sparse_sigmoid_code(x: Array, y: Array) -> Array:
    """1-byte slope code: 2 inside (−1, 1), 1 at ±1, 0 outside, from x + 1 in x's dtype (as jax.nn)"""
    return _slope_code(x + 1)


def _sparse_sigmoid_code_exact(x: Array, y: Array) -> Array:
    """1-byte slope code from x + 1 in float32 for 16-bit input (in bfloat16, 1.0078 + 1 rounds onto the kink)"""
    return _slope_code(widen(x) + 1)


@elementwise(
    derivative=lambda code: code * 0.25,  # the code counts quarter slopes: a multiply, no selects
    saves=_sparse_sigmoid_code,
    highest=dict(saves=_sparse_sigmoid_code_exact),
    formula="sparse_sigmoid(x) = clip((x + 1)/2, 0, 1)",
    derivative_text="1/2 if −1 < x < 1, 1/4 at ±1, else 0",
    kinks="sparse_sigmoid'(±1) = 1/4 (the mean of the one-sided slopes), as jax.nn",
    jax_nn="sparse_sigmoid",
    reference=lambda x: jnp.clip(0.5 * (x + 1), 0.0, 1.0),
    probes=Probes(kink_points=(-1.0, 1.0), smooth=False),
)
def sparse_sigmoid(x: ArrayLike) -> Array:
    """Sparse sigmoid, the derivative of :func:`sparse_plus` (Blondel et al. 2020, §6.2), as
    ``jax.nn.sparse_sigmoid``.
    """
    return 0.5 * jnp.clip(x + 1, 0, 2)


@elementwise(
    derivative=lambda x: jnp.clip(0.5 * (x + 1), 0.0, 1.0),
    saves="input",
    formula="sparse_plus(x) = 0 if x ≤ −1, (x + 1)²/4 if −1 < x < 1, x if x ≥ 1",
    derivative_text="clip((x + 1)/2, 0, 1) = sparse_sigmoid(x)",
    kinks="none for the slope (sparse_plus'(−1) = 0, sparse_plus'(1) = 1, as jax.nn); C¹, not C²",
    jax_nn="sparse_plus",
    reference=lambda x: jnp.where(x <= -1, 0.0, jnp.where(x >= 1, x, (x + 1) ** 2 / 4)),
    probes=Probes(kink_points=(-1.0, 1.0), smooth=False),
)
def sparse_plus(x: ArrayLike) -> Array:
    """Sparse plus, as ``jax.nn.sparse_plus``: a softplus with exact zeros and an exact linear
    tail.
    """
    return jnp.where(x <= -1, 0.0, jnp.where(x >= 1, x, jnp.square(x + 1) / 4))


hard_swish = hard_silu
