"""Normalizing maps along an axis: softmax. Each keeps only its output for the backward pass."""

from __future__ import annotations

import jax.numpy as jnp
from jax import Array, lax
from jax.typing import ArrayLike

from ._engine import along_axis

__all__ = ["softmax"]


def _plain_softmax(x: Array, axis, where) -> Array:
    e = jnp.exp(x) if where is None else jnp.where(where, jnp.exp(x), 0)
    return e / jnp.sum(e, axis, keepdims=True)


def _dot(y: Array, v: Array, axes: tuple[int, ...]) -> Array:
    return jnp.sum(y * v, axes, keepdims=True)


@along_axis(
    # J = diag(S) − S Sᵀ is symmetric, so the VJP and the JVP are the same product.
    vjp=lambda s, g, axes: s * (g - _dot(s, g, axes)),
    jvp=lambda s, t, axes: s * (t - _dot(s, t, axes)),
    formula="S_i = e^{x_i} / Σ_j e^{x_j}",
    derivative_text="∂S_i/∂x_j = S_i (δ_ij − S_j); VJP S ⊙ (g − ⟨g, S⟩)",
    jax_nn="softmax",
    reference=lambda x, axis=-1, where=None: _plain_softmax(x, axis, where),
)
def softmax(x: ArrayLike, axis: int | tuple[int, ...] | None = -1, where: ArrayLike | None = None) -> Array:
    r"""Softmax along ``axis``.

    .. math::
        S_i = \frac{e^{x_i}}{\sum_j e^{x_j}}, \qquad
        \frac{\partial S_i}{\partial x_j} = S_i(\delta_{ij} - S_j), \qquad
        \text{VJP: } S \odot (g - \langle g, S\rangle)

    The backward pass keeps only :math:`S`. Entries excluded by ``where`` and entries equal
    to :math:`-\infty` get output 0 and gradient 0; a row with no entry left (fully masked,
    or all :math:`-\infty`) gives output 0 and gradient 0, never NaN. A row holding
    :math:`+\infty` or NaN gives NaN, as ``jax.nn.softmax``. Kinks: none.

    Args:
      x: input array.
      axis: the axis or axes to normalize over: an int, a tuple of ints, or None (all).
      where: optional boolean mask broadcasting against ``x``; False entries are excluded.

    Returns:
      An array of ``x``'s shape and floating dtype whose entries along ``axis`` sum to 1.

    Examples:
      >>> import jax.numpy as jnp, jax_act
      >>> jax_act.softmax(jnp.array([0.0, 1.0, 2.0]))
      Array([0.09003057, 0.24472848, 0.66524094], dtype=float32)
    """
    top = jnp.max(x, axis, keepdims=True)
    top = lax.stop_gradient(jnp.where(jnp.isfinite(top), top, 0))  # all −inf rows: shift by 0
    e = jnp.exp(x - top)
    total = jnp.sum(e, axis, keepdims=True)
    return e / jnp.where(total == 0, 1, total)  # nothing left in the row: 0, not 0/0
