"""How one accuracy level computes an elementwise activation (:class:`Rule`): the forward
formula, f' in terms of what the backward pass keeps, and which array that is."""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, Literal

import jax
import jax.numpy as jnp

from .checks import HALF

Saves = Literal["output", "input"]


@dataclasses.dataclass(frozen=True)
class Rule:
    """How one accuracy level computes an elementwise activation.

    Attributes:
      forward: ``f(x, *params, **static)``, evaluated in the compute dtype (float32 for 16-bit
        input) and rounded once.
      derivative: f' as a function of ``(s, *params, **static)``, ``s`` the saved array; or a
        tuple of factors of f', which the cotangent is multiplied by one at a time, in order
        (``(g·a)·b``: where XLA kept an array more for ``g·(a·b)``).
      saves: what the backward pass keeps: ``"output"`` (f' is a function of y = f(x), so the
        backward pass costs no memory the next layer does not already keep), ``"input"`` (f is
        not invertible: gelu, silu), or a function of ``(x, y)`` returning a smaller residual
        (a boolean mask), whose docstring names it.
      half_from_input: with ``saves="output"``, keep x instead for float16/bfloat16 input and
        compute y again in float32: the gradient is then rounded once, but in a model x is an
        array the next layer does not share (the default level keeps the 16-bit output, as
        jax.nn does).
      derivative_from_input: f' as a function of ``(x, *params, **static)``, used where an
        output-saving rule keeps x (16-bit input): float32's y saturates long before a 16-bit
        dtype's f' underflows (bfloat16 σ' is normal up to x ≈ 87; float32 σ is 1 from 16.6).
      barrier: for a rule that keeps x, pass x and y through an optimization barrier: without
        it XLA may fuse the forward into the backward pass and keep an intermediate besides x
        (gelu in an MLP step: 12 bytes per element, not 4). False where the barrier itself made
        XLA keep more; "half" for 16-bit input only (log1mexp: it costs an array in a float32
        transformer step and saves one in a bfloat16 MLP step).
    """

    forward: Callable[..., jax.Array]
    derivative: Callable[..., jax.Array | tuple[jax.Array, ...]]
    saves: Saves | Callable[[jax.Array, jax.Array], jax.Array]
    half_from_input: bool = False
    derivative_from_input: Callable[..., jax.Array] | None = None
    barrier: bool | Literal["half"] = True

    def keeps_input(self, dtype: Any) -> bool:
        """Whether the backward pass keeps x: always for ``saves="input"``; for an
        output-saving rule with ``half_from_input``, for 16-bit input (y again in float32)."""
        half = self.saves == "output" and self.half_from_input and jnp.dtype(dtype) in HALF
        return self.saves == "input" or half

    def keeps_only_output(self, dtype: Any) -> bool:
        """Whether the backward pass keeps y and nothing made from x (16-bit x then needs no
        fence when widened: see ``widen``)."""
        return self.saves == "output" and not self.keeps_input(dtype)

    def needs_barrier(self, dtype: Any) -> bool:
        return self.keeps_input(dtype) and (self.barrier is True or (self.barrier == "half" and dtype in HALF))

    def saves_text(self) -> str:
        if not isinstance(self.saves, str):
            return (self.saves.__doc__ or self.saves.__name__).strip()
        return self.saves + (" (16-bit input: the input)" if self.saves == "output" and self.half_from_input else "")
