"""The exponential-linear family: elu, celu, selu. f = x for x > 0; on x ≤ 0 the derivative
is read from the output (f' = y + α), selu's from the input.
"""

from __future__ import annotations

import jax.numpy as jnp
from jax import Array
from jax.typing import ArrayLike

from . import _kernels as k
from ._engine import Probes, elementwise

__all__ = ["elu", "celu", "selu"]


_SELU_ALPHA = 1.6732632423543772848170429916717


_SELU_SCALE = 1.0507009873554804934193349852946


def _exp_linear_derivative(y: Array, alpha: ArrayLike) -> Array:
    """f' for f = x (x > 0), α(eˣ − 1) (x ≤ 0): there f' = αeˣ = y + α."""
    return jnp.where(y > 0, 1.0, y + alpha)


def _elu(x: Array, alpha: ArrayLike, expm1=jnp.expm1) -> Array:
    # the double where: the unused branch sees 0, so elu(1e4) cannot overflow into inf · 0
    return jnp.where(x > 0, x, alpha * expm1(jnp.where(x > 0, 0, x)))


def _elu_reference(x: Array, alpha: ArrayLike) -> Array:
    return jnp.where(x > 0, x, alpha * (jnp.exp(jnp.minimum(x, 0.0)) - 1))


@elementwise(
    derivative=_exp_linear_derivative,
    saves="output",
    highest=dict(forward=lambda x, alpha: _elu(x, alpha, k.expm1), half_from_input=True),
    partials={"alpha": lambda x, y, alpha: jnp.expm1(jnp.where(x > 0, 0, x))},
    formula="elu(x) = x if x > 0 else α(eˣ − 1)",
    derivative_text="1 if y > 0 else y + α; ∂/∂α = eˣ − 1 if x ≤ 0 else 0",
    kinks="elu'(0) = α (the x ≤ 0 branch), as jax.nn",
    jax_nn="elu",
    reference=lambda x, alpha=1.0: _elu_reference(x, alpha),
    probes=Probes(kink_points=(0.0,), smooth=False, test_params=({}, {"alpha": 0.5})),
)
def elu(x: ArrayLike, alpha: ArrayLike = 1.0) -> Array:
    """Exponential linear unit, as ``jax.nn.elu``.

    The branch is read from the output's sign, which needs α ≥ 0. Once y has rounded to −α
    (x ≲ −17 in float32) the gradient is 0.

    Args:
      alpha: α, a scalar or an array broadcasting against ``x`` (default 1.0); differentiable.
    """
    return _elu(x, alpha)


def _celu_dalpha(x: Array, y: Array, alpha: Array) -> Array:
    t = jnp.minimum(x, 0) / alpha  # ∂/∂α α(e^t − 1) with t = x/α: e^t − 1 − t·e^t
    return jnp.expm1(t) - t * jnp.exp(t)


def _celu(x: Array, alpha: ArrayLike, expm1=jnp.expm1) -> Array:
    return jnp.where(x > 0, x, alpha * expm1(jnp.minimum(x, 0) / alpha))


@elementwise(
    derivative=lambda y, alpha: jnp.where(y > 0, 1.0, y / alpha + 1),
    saves="output",
    highest=dict(forward=lambda x, alpha: _celu(x, alpha, k.expm1), half_from_input=True),
    partials={"alpha": _celu_dalpha},
    formula="celu(x) = x if x > 0 else α(e^(x/α) − 1)",
    derivative_text="1 if y > 0 else y/α + 1; ∂/∂α = e^t − 1 − t·e^t, t = x/α, if x ≤ 0 else 0",
    kinks="none for the value's slope (celu'(0) = 1 from both sides); C¹, not C²",
    jax_nn="celu",
    reference=lambda x, alpha=1.0: jnp.where(x > 0, x, alpha * (jnp.exp(jnp.minimum(x, 0.0) / alpha) - 1)),
    probes=Probes(kink_points=(0.0,), smooth=False, test_params=({}, {"alpha": 2.0})),
)
def celu(x: ArrayLike, alpha: ArrayLike = 1.0) -> Array:
    """Continuously differentiable exponential linear unit, as ``jax.nn.celu``.

    The branch is read from the output's sign, which needs α > 0. Once y has rounded to −α
    (x/α ≲ −17 in float32) the gradient is 0.

    Args:
      alpha: α, a scalar or an array broadcasting against ``x`` (default 1.0); differentiable.
    """
    return _celu(x, alpha)


def _selu_derivative(x: Array) -> Array:
    # λαeˣ from x: read from the output, y + λα would carry y's roundings (expm1's and the
    # product's) magnified by |y|/f', worse than jax.nn's; in a model the output-keeping
    # form kept no less either (XLA kept 8 bytes/element for it, as for jax.nn)
    return jnp.where(x > 0, _SELU_SCALE, (_SELU_SCALE * _SELU_ALPHA) * jnp.exp(jnp.minimum(x, 0)))


@elementwise(
    derivative=_selu_derivative,
    saves="input",
    highest=dict(forward=lambda x: _SELU_SCALE * _elu(x, _SELU_ALPHA, k.expm1)),
    formula="selu(x) = λx if x > 0 else λα(eˣ − 1), λ ≈ 1.0507, α ≈ 1.6733",
    derivative_text="λ if x > 0 else λαeˣ",
    kinks="selu'(0) = λα (the x ≤ 0 branch), as jax.nn",
    jax_nn="selu",
    reference=lambda x: _SELU_SCALE * _elu_reference(x, _SELU_ALPHA),
    probes=Probes(kink_points=(0.0,), smooth=False),
)
def selu(x: ArrayLike) -> Array:
    """Scaled exponential linear unit, as ``jax.nn.selu``.

    λ = 1.0507009873554804934193349852946, α = 1.6732632423543772848170429916717.
    ``selu(-inf)`` is −λα with gradient 0.
    """
    return _SELU_SCALE * _elu(x, _SELU_ALPHA)
