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
    """(1 − y)(1 + y): 1 − y² without its cancellation near |y| = 1; 1 − y² below |y| = ½ in
    float64 and at the highest level (one rounding fewer; in float32 XLA:CPU then kept an
    array more in a transformer step)."""
    if y.dtype == jnp.float64:
        return _tanh_derivative_highest(y)
    return (1 - y) * (1 + y)


def _tanh_derivative_highest(y: Array) -> Array:
    return jnp.where(jnp.abs(y) < 0.5, 1 - y * y, (1 - y) * (1 + y))  # |y| ≥ ½: 1 ∓ y exact


def _sigmoid_slope(x: Array) -> Array:
    """σ'(x) = σ(x)σ(−x) from x (``k.sigmoid_pair``): every bit down to the underflow."""
    s, c = k.sigmoid_pair(x)
    return s * c


@elementwise(
    derivative=lambda y: y * (1 - y),  # 1 − y is exact for y ≥ ½ (Sterbenz)
    saves="output",
    highest=dict(half_from_input=True, derivative_from_input=_sigmoid_slope),
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
    rounded to 1 (:math:`x \gtrsim 16.6` in float32; :math:`5.6` in bfloat16, :math:`7.6` in
    float16) the gradient is therefore 0, exactly as in ``jax.nn`` and PyTorch; the true value
    there is below the output dtype's epsilon. At ``accuracy="highest"``, 16-bit input keeps
    its input and takes :math:`\sigma(x)\sigma(-x)` from it (see the note below). Kinks: none.

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
    derivative=_tanh_derivative,
    saves="output",
    highest=dict(
        forward=k.tanh,
        derivative=_tanh_derivative_highest,
        half_from_input=True,
        derivative_from_input=lambda x: 4 * _sigmoid_slope(2 * x),  # tanh x = 2σ(2x) − 1
    ),
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

    The backward pass keeps only the output and evaluates :math:`(1-y)(1+y)` (``jax.nn``:
    :math:`(1 - y) + (1 - y)y`; :math:`1 \mp y` is exact for :math:`|y| \ge \tfrac12`). The output is XLA's
    ``tanh``, as ``jax.nn.tanh``. Where the output has rounded to ±1
    (:math:`|x| \gtrsim 9` in float32) the gradient is 0, as in ``jax.nn``. Kinks: none.

    A gradient read from the output can be no better than the output, and XLA's float32
    ``tanh`` is up to 4.6 ulps off: at ``accuracy="highest"`` the float32 (and half-precision)
    output is :math:`x + x^3 Q(x^2)` on :math:`|x| < 0.55` (a fitted polynomial) and
    :math:`\pm(1 - 2/(e^{2|x|} + 1))` beyond, within about an ulp, the derivative is
    :math:`1 - y^2` below :math:`|y| = \tfrac12` (one rounding fewer), and 16-bit input keeps
    its input (see the note below).

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
    r"""Log-sigmoid activation.

    .. math::
        \mathrm{log\_sigmoid}(x) = \log \sigma(x) = -\log\left(1 + e^{-x}\right), \qquad
        \mathrm{log\_sigmoid}'(x) = \sigma(-x) = 1 - e^{y}

    The backward pass keeps only the input and computes :math:`\sigma(-x)` from it, accurate
    on both tails (gradient 1 at :math:`-\infty`, 0 at :math:`+\infty`). At
    ``accuracy="highest"`` it keeps only the output and computes :math:`-\mathrm{expm1}(y)`
    with a float32 expm1 within about an ulp. Kinks: none.

    Args:
      x: input array.

    Returns:
      An array of the input's floating dtype.

    Examples:
      >>> import jax.numpy as jnp, jax_act
      >>> jax_act.log_sigmoid(jnp.array([-1.0, 0.0, 1.0]))
      Array([-1.3132617, -0.6931472, -0.3132617], dtype=float32)
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
    r"""Numerically stable :math:`\log(1 - e^{-x})`, for :math:`x > 0`.

    .. math::
        \mathrm{log1mexp}(x) = \log\left(1 - e^{-x}\right), \qquad
        \mathrm{log1mexp}'(x) = \frac{1}{e^x - 1}

    computed as :math:`\log(-\mathrm{expm1}(-x))` below :math:`\log 2` and
    :math:`\mathrm{log1p}(-e^{-x})` above (Mächler's two forms and switch point, as
    ``jax.nn``). In float64 the switch is at 1.5 instead: XLA's float64 ``log1p`` is off by
    up to ~120 ulps on :math:`(-0.5, -0.25)`, so the first form is kept longer (at most 2
    ulps there, against ``jax.nn``'s 118 at :math:`x \approx 0.9`). Undefined (NaN) for
    :math:`x < 0`; :math:`-\infty` with gradient :math:`+\infty` at 0. Kinks: none.

    The backward pass keeps the input: the derivative can be written from the output as
    :math:`\mathrm{expm1}(-y)`, but that loses :math:`|y|` ulps for small :math:`x`, while
    :math:`1/\mathrm{expm1}(x)` is exact to an ulp or two (and ``jax.nn`` keeps :math:`x` too).
    ``expm1`` is XLA's; at ``accuracy="highest"``, a float32 expm1 within about an ulp
    (XLA's: 5.4).

    Args:
      x: input array (positive).

    Returns:
      An array of the input's floating dtype.

    Examples:
      >>> import jax.numpy as jnp, jax_act
      >>> jax_act.log1mexp(jnp.array([0.5, 1.0, 5.0]))
      Array([-0.93275213, -0.45867515, -0.00676075], dtype=float32)
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
    r"""Soft-sign activation.

    .. math::
        \mathrm{soft\_sign}(x) = \frac{x}{|x| + 1}, \qquad
        \mathrm{soft\_sign}'(x) = \frac{1}{(|x| + 1)^2} = (1 - |y|)^2

    For float32 and wider input the backward pass keeps only the output. :math:`(1 - |y|)^2`
    is accurate to epsilon in absolute terms (relative accuracy falls off as :math:`|x|`
    grows); where :math:`|y|` has rounded to 1 (:math:`|x| \gtrsim 2^{24}` in float32) the
    gradient is 0. Kinks: none (the second derivative jumps at 0). ``soft_sign(±inf)`` is ±1
    with gradient 0 (``jax.nn`` gives NaN).

    Args:
      x: input array.

    Returns:
      An array of the input's floating dtype.

    Examples:
      >>> import jax.numpy as jnp, jax_act
      >>> jax_act.soft_sign(jnp.array([-1.0, 0.0, 3.0]))
      Array([-0.5 ,  0.  ,  0.75], dtype=float32)
    """
    return jnp.where(jnp.isinf(x), jnp.sign(x), x / (jnp.abs(x) + 1))


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
    r"""Tanh shrinkage (PyTorch's ``F.tanhshrink``).

    .. math::
        f(x) = x - \tanh x, \qquad f'(x) = \tanh^2 x

    :math:`x - \tanh x \approx x^3/3` cancels for small :math:`|x|` (as in PyTorch). At
    ``accuracy="highest"``, below :math:`|x| = 2` it is evaluated as
    :math:`(x\cosh x - \sinh x)/\cosh x` with the positive series
    :math:`x\cosh x - \sinh x = \sum_{k \ge 1} 2k\,x^{2k+1}/(2k+1)!`, so small inputs keep
    their full relative precision, and tanh is the float32 kernel within about an ulp.
    Kinks: none.

    The backward pass keeps the input (f is invertible, but not in closed form) and computes
    :math:`\tanh^2 x` from it.

    Args:
      x: input array.

    Returns:
      An array of the input's (floating) dtype.

    Examples:
      >>> import jax.numpy as jnp, jax_act
      >>> jax_act.tanh_shrink(jnp.array([-2.0, 0.5, 3.0]))
      Array([-1.0359724 ,  0.03788283,  2.0049453 ], dtype=float32)
      >>> jax_act.tanh_shrink(jnp.array([0.001]), accuracy="highest")  # x³/3, every digit
      Array([3.3333328e-10], dtype=float32)
    """
    return x - jnp.tanh(x)
