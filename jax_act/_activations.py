"""Elementwise activations: one declaration each (formula, closed-form derivative, what is saved).

Derivatives take what the forward pass saved: ``y`` (the output) where f' can be written from
it, else ``x``. They run in float32 for half-precision inputs (the engine upcasts).
"""

from __future__ import annotations

import jax.numpy as jnp
from jax import Array, lax
from jax.typing import ArrayLike

from ._engine import elementwise

__all__ = ["sigmoid", "tanh", "relu", "leaky_relu"]


@elementwise(
    derivative=lambda y: y * (1 - y),  # 1 − y is exact for y ≥ ½ (Sterbenz)
    saves="output",
    formula="σ(x) = 1 / (1 + e^−x)",
    derivative_text="σ'(x) = y (1 − y)",
    kinks="none (smooth)",
    jax_nn="sigmoid",
    reference=lambda x: 1 / (1 + jnp.exp(-x)),
)
def sigmoid(x: ArrayLike) -> Array:
    r"""Sigmoid (logistic) activation.

    .. math::
        \sigma(x) = \frac{1}{1 + e^{-x}}, \qquad \sigma'(x) = \sigma(x)\,(1 - \sigma(x))

    The backward pass keeps only the output :math:`y = \sigma(x)` ("when we backpropagate,
    p is already computed") and computes :math:`y(1-y)` from it. Where the output has
    rounded to 1 (:math:`x \gtrsim 16.6` in float32, :math:`\gtrsim 8.3` in float16) the
    gradient is therefore 0, exactly as in ``jax.nn`` and PyTorch; the true value there is
    below the output dtype's epsilon. Kinks: none.

    Args:
      x: input array.

    Returns:
      An array of the input's (floating) dtype.

    Examples:
      >>> import jax.numpy as jnp, jax_act
      >>> jax_act.sigmoid(jnp.array([-1.0, 0.0, 1.0]))
      Array([0.26894143, 0.5       , 0.7310586 ], dtype=float32)
    """
    return lax.logistic(x)


@elementwise(
    derivative=lambda y: (1 - y) * (1 + y),  # = 1 − y², without cancellation near |y| = 1
    saves="output",
    formula="tanh(x) = (e^x − e^−x) / (e^x + e^−x)",
    derivative_text="tanh'(x) = 1 − y²",
    kinks="none (smooth)",
    jax_nn="tanh",
    reference=lambda x: (jnp.exp(x) - jnp.exp(-x)) / (jnp.exp(x) + jnp.exp(-x)),
)
def tanh(x: ArrayLike) -> Array:
    r"""Hyperbolic tangent activation.

    .. math::
        \tanh(x) = \frac{e^x - e^{-x}}{e^x + e^{-x}}, \qquad
        \tanh'(x) = 1 - \tanh^2(x) = (1 - y)(1 + y)

    The backward pass keeps only the output and evaluates :math:`(1-y)(1+y)`, which avoids
    the cancellation of :math:`1 - y^2`. Where the output has rounded to ±1
    (:math:`|x| \gtrsim 9` in float32) the gradient is 0, as in ``jax.nn``. Kinks: none.

    Args:
      x: input array.

    Returns:
      An array of the input's (floating) dtype.

    Examples:
      >>> import jax.numpy as jnp, jax_act
      >>> jax_act.tanh(jnp.array([-1.0, 0.0, 1.0]))
      Array([-0.7615942,  0.       ,  0.7615942], dtype=float32)
    """
    return jnp.tanh(x)


@elementwise(
    derivative=lambda y: (y > 0).astype(y.dtype),
    saves="output",
    formula="relu(x) = max(x, 0)",
    derivative_text="relu'(x) = 1 if y > 0 else 0",
    kinks="relu'(0) = 0, as jax.nn and PyTorch",
    keep_int=True,
    jax_nn="relu",
    reference=lambda x: jnp.where(x > 0, x, jnp.zeros_like(x)),
    kink_points=(0.0,),
    smooth=False,
)
def relu(x: ArrayLike) -> Array:
    r"""Rectified linear unit.

    .. math::
        \mathrm{relu}(x) = \max(x, 0), \qquad
        \mathrm{relu}'(x) = \begin{cases} 1, & x > 0 \\ 0, & x \le 0 \end{cases}

    Kink convention: :math:`\mathrm{relu}'(0) = 0`, as ``jax.nn.relu`` and PyTorch. The
    backward pass keeps only the output (:math:`y > 0 \iff x > 0`). Integer input gives
    integer output, as ``jax.nn.relu``; NaN gives NaN with gradient 0.

    Args:
      x: input array.

    Returns:
      An array of the input's dtype.

    Examples:
      >>> import jax.numpy as jnp, jax_act
      >>> jax_act.relu(jnp.array([-2.0, 0.0, 2.0]))
      Array([0., 0., 2.], dtype=float32)
    """
    return jnp.maximum(x, 0)


def _leaky_relu_derivative(y: Array, negative_slope: Array) -> Array:
    # The branch is read from y's sign; y = ±0 with the sign bit set came from x < 0 whose
    # product underflowed (x = +0 is the x ≥ 0 branch, derivative 1, as jax.nn).
    positive = (y > 0) | ((y == 0) & ~jnp.signbit(y))
    return jnp.where(positive, jnp.ones_like(y), negative_slope)


@elementwise(
    derivative=_leaky_relu_derivative,
    saves="output",
    partials={"negative_slope": lambda x, y, negative_slope: jnp.where(x >= 0, 0, x)},
    formula="leaky_relu(x) = x if x ≥ 0 else α·x",
    derivative_text="1 if y ≥ 0 else α; ∂/∂α = x if x < 0 else 0",
    kinks="leaky_relu'(0) = 1 (the x ≥ 0 branch), as jax.nn; PyTorch gives α",
    jax_nn="leaky_relu",
    reference=lambda x, negative_slope=1e-2: jnp.where(x >= 0, x, negative_slope * x),
    kink_points=(0.0,),
    smooth=False,
    test_params=({}, {"negative_slope": 0.2}),
)
def leaky_relu(x: ArrayLike, negative_slope: ArrayLike = 1e-2) -> Array:
    r"""Leaky rectified linear unit.

    .. math::
        \mathrm{leaky\_relu}(x) = \begin{cases} x, & x \ge 0 \\ \alpha x, & x < 0 \end{cases}
        \qquad
        \frac{\partial}{\partial x} = \begin{cases} 1, & x \ge 0 \\ \alpha, & x < 0 \end{cases}
        \qquad
        \frac{\partial}{\partial \alpha} = \begin{cases} 0, & x \ge 0 \\ x, & x < 0 \end{cases}

    where :math:`\alpha` = ``negative_slope`` (a scalar or an array broadcasting against
    ``x``; differentiable). Kink convention: the derivative at 0 is 1, as ``jax.nn``
    (PyTorch gives :math:`\alpha`).

    The backward pass keeps only the output and reads the branch from its sign, which is
    exact for the leaky case :math:`\alpha > 0`. (For a slope that may become negative, as
    a learned one can, use :func:`jax_act.prelu`, which keeps the input.) The input is kept
    as well only when ``negative_slope`` itself is differentiated.

    Args:
      x: input array.
      negative_slope: the slope for ``x < 0`` (default 0.01).

    Returns:
      An array of the promoted floating dtype of ``x`` and ``negative_slope``.

    Examples:
      >>> import jax.numpy as jnp, jax_act
      >>> jax_act.leaky_relu(jnp.array([-2.0, 0.0, 2.0]))
      Array([-0.02,  0.  ,  2.  ], dtype=float32)
    """
    return jnp.where(x >= 0, x, negative_slope * x)
