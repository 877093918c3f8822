"""Gated units: glu, swiglu, geglu, reglu, each ``a ⊙ gate(b)`` of the halves of ``x``
(:func:`~jax_act._engine.gated.gated_unit`), declared by its gate and the gate's derivative."""

from __future__ import annotations

from typing import Callable

import jax
import jax.numpy as jnp
from jax import Array, lax
from jax.typing import ArrayLike

from . import _kernels as k
from ._engine import Probes, gated_unit, plain_gated
from ._kernels import plain

__all__ = ["glu", "swiglu", "geglu", "reglu"]


# --------------------------------------------------------------------------- the gates


def _sigmoid_and_prime(b: Array) -> tuple[Array, Array]:
    s = lax.logistic(b)
    return s, s * (1 - s)  # jax.nn's σ'; XLA:CPU kept more for σ(b)σ(−b) in a bfloat16 model


def _sigmoid_pair_and_prime(b: Array) -> tuple[Array, Array]:
    s, sc = k.sigmoid_pair(b)  # one exp; σ(b)σ(−b) has no 1 − σ cancellation for b > 0
    return s, s * sc


def _both(value: Callable[..., Array], derivative: Callable[..., Array]) -> Callable[..., tuple[Array, Array]]:
    """The gate and its derivative, from the elementwise activation's own formulas (they
    build the same subexpressions, so XLA evaluates those once)."""
    return lambda b, **opts: (value(b, **opts), derivative(b, **opts))


def _relu(b: Array) -> Array:
    return jnp.maximum(b, 0)


def _relu_prime(b: Array) -> Array:
    return (b > 0).astype(b.dtype)  # relu'(0) = 0, as jax.nn


# --------------------------------------------------------------------------- the units


@gated_unit(
    gate=lax.logistic,
    gate_and_prime=_sigmoid_and_prime,
    native=True,
    highest=dict(gate=lax.logistic, gate_and_prime=_sigmoid_pair_and_prime),
    formula="glu(x) = a ⊙ σ(b), (a, b) = split(x, 2, axis)",
    derivative_text="∂/∂a = σ(b); ∂/∂b = a σ(b) σ(−b)",
    reference=plain_gated(lambda b: 1 / (1 + jnp.exp(-b))),
    jax_nn="glu",
)
def glu(x: ArrayLike, axis: int = -1) -> Array:
    """Gated linear unit, as ``jax.nn.glu``: the first half times σ of the second.

    16-bit input is computed in its own dtype at the default level, as jax.nn.glu does.
    """


@gated_unit(
    gate=plain.silu_value,
    gate_and_prime=_both(plain.silu_value, plain.silu_derivative),
    highest=dict(gate=k.silu_value, gate_and_prime=_both(k.silu_value, k.silu_derivative)),
    float64=_both(plain.silu_value, k.silu_derivative),
    formula="swiglu(x) = a ⊙ silu(b), (a, b) = split(x, 2, axis)",
    derivative_text="∂/∂a = silu(b); ∂/∂b = a σ(b)(1 + b σ(−b))",
    reference=plain_gated(lambda b: b / (1 + jnp.exp(-b))),
    jax_nn_gate=jax.nn.silu,
)
def swiglu(x: ArrayLike, axis: int = -1) -> Array:
    """SwiGLU (Shazeer 2020; PaLM, LLaMA), fused: the first half times silu of the second.

    The papers write silu(xW) ⊙ xV: concatenate the projections as ``[xV, xW]``. (Megatron-LM
    and Transformer Engine activate the first half: swap the halves to port their weights.)
    """


@gated_unit(
    gate=plain.gelu_value,
    gate_and_prime=_both(plain.gelu_value, plain.gelu_derivative),
    highest=dict(gate=k.gelu_value, gate_and_prime=_both(k.gelu_value, k.gelu_derivative)),
    float64=_both(plain.gelu_value, k.gelu_derivative),
    formula="geglu(x) = a ⊙ gelu(b), (a, b) = split(x, 2, axis)",
    derivative_text="∂/∂a = gelu(b); ∂/∂b = a gelu'(b) (tanh form, or Φ(b) + b φ(b))",
    reference=plain_gated(plain.gelu_reference),
    jax_nn_gate=jax.nn.gelu,
)
def geglu(x: ArrayLike, axis: int = -1, approximate: bool = True) -> Array:
    """GEGLU (Shazeer 2020), fused: the first half times gelu of the second.

    Args:
      approximate: gelu's tanh form (True, the default) or the exact erf form (static).
    """


@gated_unit(
    gate=_relu,
    gate_and_prime=_both(_relu, _relu_prime),
    formula="reglu(x) = a ⊙ relu(b), (a, b) = split(x, 2, axis)",
    derivative_text="∂/∂a = relu(b); ∂/∂b = a if b > 0 else 0",
    reference=plain_gated(lambda b: jnp.where(b > 0, b, 0)),
    jax_nn_gate=jax.nn.relu,
    kinks="∂/∂b = 0 at b = 0 (relu'(0) = 0, as jax.nn)",
    probes=Probes(kink_points=(0.0,), smooth=False),
)
def reglu(x: ArrayLike, axis: int = -1) -> Array:
    """ReGLU (Shazeer 2020), fused: the first half times relu of the second."""
