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
    differentiated. No overflow for large :math:`x`: the unused branch sees 0. The value is
    ``jax.nn``'s (XLA's ``expm1``); at ``accuracy="highest"``, a float32 ``expm1`` within
    about an ulp (XLA's: 5.4).

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
