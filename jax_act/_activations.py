"""Elementwise activations: one declaration each (formula, closed-form derivative, what is saved).

Derivatives take what the forward pass saved: ``y`` (the output) where f' can be written from
it, else ``x``. They run in float32 for half-precision inputs (the engine upcasts). Each
declaration is the default accuracy level; ``highest=`` names the kernels (``_kernels``) that
``accuracy="highest"`` uses instead.
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
from jax import Array, lax
from jax.typing import ArrayLike
from jax.scipy.special import ndtr

from . import _kernels as k
from ._engine import elementwise

__all__ = ["sigmoid", "tanh", "relu", "leaky_relu"]


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
    derivative=lambda y: (y > 0).astype(y.dtype),
    saves="output",
    half_from_input=False,  # f' reads a branch from y: exact from 16 bits
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


def _sign_mask(x: Array, y: Array) -> Array:
    """sign mask (1 byte)"""
    return x >= 0


@elementwise(
    # jax.nn's autodiff keeps just this 1-byte mask; keeping y instead would cost more in
    # isolation and could not tell the branch for negative_slope ≤ 0 or for -0.0.
    derivative=lambda nonneg, negative_slope: jnp.where(nonneg, 1, negative_slope),
    saves=_sign_mask,
    partials={"negative_slope": lambda x, y, negative_slope: jnp.where(x >= 0, 0, x)},
    formula="leaky_relu(x) = x if x ≥ 0 else α·x",
    derivative_text="1 if x ≥ 0 else α; ∂/∂α = x if x < 0 else 0",
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

    The backward pass keeps a 1-byte mask of :math:`x \ge 0` (what ``jax.nn``'s autodiff
    keeps): exact for any slope, negative ones included, and for :math:`-0`. The input is kept
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


# =========================================================================== jax.nn parity
# Every remaining jax.nn elementwise activation: jax.nn's name, signature, defaults, output
# dtype, values and kink gradients. What each keeps for the backward pass is stated in its
# declaration: the output wherever f' is a function of it, a 1-byte mask where f' is piecewise
# constant and the output cannot tell a kink from a flat piece, else the input.

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946
_SQRT_2_OVER_PI, _GELU_CUBIC = k.SQRT_2_OVER_PI, k.GELU_CUBIC
_TAIL, _GELU_TAIL = k.TAIL, k.GELU_TAIL  # where the derivatives have reached their limits


def _keep_nothing(x: Array, y: Array) -> None:
    """nothing (f' = 1)"""
    return None


@elementwise(
    derivative=lambda _: 1.0,
    saves=_keep_nothing,
    formula="identity(x) = x",
    derivative_text="identity'(x) = 1",
    kinks="none (smooth)",
    keep_int=True,
    jax_nn="identity",
    reference=lambda x: x,
)
def identity(x: ArrayLike) -> Array:
    r"""Identity activation: returns its argument.

    .. math::
        \mathrm{identity}(x) = x, \qquad \mathrm{identity}'(x) = 1

    The backward pass keeps nothing. Integer and boolean input is returned as is, as
    ``jax.nn.identity``. Kinks: none.

    Args:
      x: input array.

    Returns:
      ``x`` as an array of its own dtype.

    Examples:
      >>> import jax.numpy as jnp, jax_act
      >>> jax_act.identity(jnp.array([-2.0, 0.5, 3.0]))
      Array([-2. ,  0.5,  3. ], dtype=float32)
    """
    return x


# ---- the exponential-linear family: f = x for x > 0, and f' on x ≤ 0 read from y (selu: from x)


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
    kink_points=(0.0,),
    smooth=False,
    test_params=({}, {"alpha": 0.5}),
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
    kink_points=(0.0,),
    smooth=False,
    test_params=({}, {"alpha": 2.0}),
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
    kink_points=(0.0,),
    smooth=False,
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


# ---- gelu, silu, mish: not invertible, so the input alone is kept


def _gelu_value(x: Array, approximate: bool = True) -> Array:
    z = jnp.maximum(x, -_GELU_TAIL)  # gelu(−inf) = 0, not −inf · 0
    if approximate:  # jax.nn's, term for term
        return z * (0.5 * (1.0 + jnp.tanh(_SQRT_2_OVER_PI * (z + _GELU_CUBIC * z**3))))
    return 0.5 * z * lax.erfc(-z * k.SQRT_HALF)


def _gelu_derivative(x: Array, approximate: bool = True) -> Array:
    z = jnp.clip(x, -_GELU_TAIL, _GELU_TAIL)  # beyond ±40 f' is 0 or 1: no inf · 0
    if x.dtype == jnp.float64:  # outside the speed contract: the careful form is as cheap as any
        return k.gelu_derivative(x, approximate)
    if approximate:  # ½(1 + t)(1 + x(1 − t)u'), t = tanh u: jax.nn's terms, factored
        t = jnp.tanh(_SQRT_2_OVER_PI * (z + _GELU_CUBIC * z**3))
        return (0.5 + 0.5 * t) * (1 + z * (1 - t) * (_SQRT_2_OVER_PI * (1 + 3 * _GELU_CUBIC * z * z)))
    # Φ(x) + xφ(x), Φ from erfc: no cancellation in the left tail
    return 0.5 * lax.erfc(-z * k.SQRT_HALF) + z * jnp.exp(-0.5 * z * z) * (0.5 * k.SQRT_2_OVER_PI)


def _gelu_reference(x: Array, approximate: bool = True) -> Array:
    # ½(1 + tanh u) written as 1/(1 + e^(−2u)), and Φ as ndtr: no cancellation in the
    # negative tail, where ½(1 + tanh u) and ½(1 + erf) lose every digit even in float64
    if approximate:
        return x / (1 + jnp.exp(-2 * _SQRT_2_OVER_PI * (x + _GELU_CUBIC * x**3)))
    return x * ndtr(x)


@elementwise(
    derivative=_gelu_derivative,
    saves="input",
    static=("approximate",),
    highest=dict(forward=k.gelu_value, derivative=k.gelu_derivative),
    formula="gelu(x) = x·Φ(x) (exact) or x·½(1 + tanh u) = x·σ(2u), u = √(2/π)(x + 0.044715x³) (approximate)",
    derivative_text="Φ(x) + x·φ(x) (exact); s + x·s(1 − s)·2√(2/π)(1 + 0.134145x²), s = σ(2u) (approximate)",
    kinks="none (smooth)",
    jax_nn="gelu",
    reference=_gelu_reference,
    test_params=({}, {"approximate": False}),
)
def gelu(x: ArrayLike, approximate: bool = True) -> Array:
    r"""Gaussian error linear unit.

    With ``approximate=False``, the exact form with the normal CDF :math:`\Phi`:

    .. math::
        \mathrm{gelu}(x) = x\,\Phi(x), \qquad
        \mathrm{gelu}'(x) = \Phi(x) + x\,\varphi(x), \quad
        \varphi(x) = \frac{e^{-x^2/2}}{\sqrt{2\pi}}

    With ``approximate=True`` (the default, as ``jax.nn``), the tanh approximation:

    .. math::
        \mathrm{gelu}(x) = \frac{x}{2}\left(1 + \tanh u\right), \quad
        u = \sqrt{2/\pi}\,(x + 0.044715\,x^3)
        \\
        \mathrm{gelu}'(x) = \tfrac12(1 + \tanh u) + \tfrac12 x\,(1 - \tanh^2 u)\,
        \sqrt{2/\pi}\,(1 + 3 \cdot 0.044715\,x^2)

    The value is ``jax.nn.gelu``'s formula (the exact form through ``erfc``); the derivative
    is computed from the input, which is all the backward pass keeps (autodiff of
    ``jax.nn.gelu`` keeps up to five arrays), as ``jax.nn``'s terms (float64: as at the
    highest level, below). Kinks: none. Integer input is promoted to a float first.
    ``gelu(±inf)`` is ``±inf``/0 with gradient 1/0 (``jax.nn`` gives NaN there).

    At ``accuracy="highest"`` the float32 (and half-precision) gradient is within 4 ulps of
    the exact one wherever that is a normal float: :math:`\frac12(1 + \tanh u)` is computed as
    :math:`\sigma(2u)`, which keeps full relative precision in the negative tail; within 0.56
    of the root of :math:`\mathrm{gelu}'` (:math:`x_0 \approx -0.752`), where the two terms
    cancel, the derivative is :math:`(x - x_0)P(x - x_0)` with :math:`x - x_0` exact; in the
    left tail the exponential's argument is carried to 48 bits, and :math:`\sigma(2u)`
    (:math:`\varphi`) is scaled by :math:`e^{16}` where it would flush to 0 while the
    derivative is still normal. The exact form below the root band computes
    :math:`\Phi(x) = \varphi(x)\,m(-x)`, :math:`m` the Mills ratio (fitted, and its asymptotic
    series below :math:`-8`), and :math:`\mathrm{gelu}'(x) = \varphi(x)\,(x + m(-x))`: value
    within 4 ulps, where XLA's erfc loses :math:`x^2/2` ulps.

    Args:
      x: input array.
      approximate: whether to use the tanh approximation (static; default True).

    Returns:
      An array of the input's floating dtype.

    Examples:
      >>> import jax.numpy as jnp, jax_act
      >>> jax_act.gelu(jnp.array([-1.0, 0.0, 1.0]))
      Array([-0.15880796,  0.        ,  0.841192  ], dtype=float32)
      >>> jax_act.gelu(jnp.array([-1.0, 0.0, 1.0]), approximate=False)
      Array([-0.15865527,  0.        ,  0.8413447 ], dtype=float32)
    """
    return _gelu_value(x, approximate)


def _silu_value(x: Array) -> Array:
    return jnp.maximum(x, -_TAIL) * lax.logistic(x)  # silu(−inf) = 0, not −inf · 0


def _silu_derivative(x: Array) -> Array:
    if x.dtype == jnp.float64:  # outside the speed contract: the careful form (jax.nn's p99.9 is 10 ulps)
        return k.silu_derivative(x)
    z = jnp.clip(x, -_TAIL, _TAIL)  # z·(1 − σ) → 0 at ±inf, not inf · 0
    s = lax.logistic(z)
    return s * (1 + z * (1 - s))


@elementwise(
    derivative=_silu_derivative,
    saves="input",
    highest=dict(forward=k.silu_value, derivative=k.silu_derivative),
    formula="silu(x) = x·σ(x)",
    derivative_text="σ(x)(1 + x(1 − σ(x)))",
    kinks="none (smooth)",
    jax_nn="silu",
    aliases=("swish",),
    reference=lambda x: x * (0.5 + 0.5 * jnp.tanh(0.5 * x)),
)
def silu(x: ArrayLike) -> Array:
    r"""Sigmoid linear unit (swish): :math:`x\,\sigma(x)`.

    .. math::
        \mathrm{silu}(x) = \frac{x}{1 + e^{-x}}, \qquad
        \mathrm{silu}'(x) = \sigma(x)\bigl(1 + x\,(1 - \sigma(x))\bigr)

    The value is ``jax.nn.silu``'s; the derivative is computed from the input, the one array
    the backward pass keeps (float64: as at the highest level, below). Near the root of :math:`\mathrm{silu}'` (:math:`x_0 \approx
    -1.278`) the sum :math:`1 + x(1 - \sigma(x))` cancels (so does ``jax.nn``'s). At
    ``accuracy="highest"`` :math:`1 - \sigma(x) = \sigma(-x)` comes from the same
    exponential without cancellation, and within 0.3 of the root the float32 (or
    half-precision) gradient is :math:`(x - x_0)P(x - x_0)`, a fitted polynomial with
    :math:`x - x_0` exact: within 4 ulps everywhere. :func:`swish` is the same function. Kinks: none. The backward pass keeps only the input.
    ``silu(-inf)`` is 0 with gradient 0 and ``silu(inf)`` is inf with gradient 1
    (``jax.nn`` gives NaN for both gradients).

    Args:
      x: input array.

    Returns:
      An array of the input's floating dtype.

    Examples:
      >>> import jax.numpy as jnp, jax_act
      >>> jax_act.silu(jnp.array([-1.0, 0.0, 1.0]))
      Array([-0.26894143,  0.        ,  0.7310586 ], dtype=float32)
    """
    return _silu_value(x)


def _mish_reference(x: Array) -> Array:
    # tanh(softplus(x)) = 1 − 2r²/((1 + r)² + r²) with r = e^−x for x ≥ 0: autodiff of
    # tanh (1 − tanh²) would cancel there; for x < 0, tanh(log1p(eˣ)) is accurate as it is
    r = jnp.exp(-jnp.abs(x))
    return x * jnp.where(x >= 0, 1 - 2 * r * r / ((1 + r) ** 2 + r * r), jnp.tanh(jnp.log1p(r)))


def _mish_derivative(x: Array) -> Array:
    e, n, d = k.mish_parts(x)  # 4x·e before any division: e/d alone would flush to 0 first
    return n / d + (4 * jnp.clip(x, -_TAIL, 40.0) * e / d) * ((1 + e) / d)


@elementwise(
    derivative=_mish_derivative,
    saves="input",
    highest=dict(derivative=k.mish_derivative),
    formula="mish(x) = x·tanh(softplus(x)) = x·n/(n + 2), n = eˣ(eˣ + 2)",
    derivative_text="n/(n + 2) + 4x·eˣ(1 + eˣ)/(n + 2)²",
    kinks="none (smooth)",
    jax_nn="mish",
    reference=_mish_reference,
)
def mish(x: ArrayLike) -> Array:
    r"""Mish activation: :math:`x \tanh(\mathrm{softplus}(x))`.

    With :math:`e = e^x` and :math:`n = e(e + 2)`,
    :math:`\tanh(\log(1 + e)) = \frac{(1+e)^2 - 1}{(1+e)^2 + 1} = \frac{n}{n + 2}`, so one
    exponential gives both the value and the derivative:

    .. math::
        \mathrm{mish}(x) = x\,\frac{n}{n + 2}, \qquad
        \mathrm{mish}'(x) = \frac{n}{n + 2} + \frac{4x\,e\,(1 + e)}{(n + 2)^2}

    The exponential is taken of :math:`x` clipped to :math:`[-1000, 40]` (beyond which the
    results have reached their limits), so ``mish(1e3)`` is 1000 and nothing overflows.
    Kinks: none. The backward pass keeps only the input (autodiff of ``jax.nn.mish`` keeps
    five arrays). ``mish(-inf)`` is 0 with gradient 0.

    The two terms of the derivative cancel at its root :math:`x_0 \approx -1.1924` (as
    ``jax.nn``'s do). At ``accuracy="highest"``, within 0.36 of it the float32 derivative is
    :math:`(x - x_0)\,P(x - x_0)`, a fitted polynomial with :math:`x - x_0` exact, and for
    :math:`x < -0.4`, where the terms cancel 2–3 fold, it is taken over one denominator with
    :math:`1 + x` and :math:`1 + e(1 + e/2)` carried to twice the precision: within 4 ulps
    everywhere.

    Args:
      x: input array.

    Returns:
      An array of the input's floating dtype.

    Examples:
      >>> import jax.numpy as jnp, jax_act
      >>> jax_act.mish(jnp.array([-1.0, 0.0, 1.0]))
      Array([-0.30340147,  0.        ,  0.86509836], dtype=float32)
    """
    x = jnp.maximum(x, -_TAIL)
    _, n, d = k.mish_parts(x)
    return x * (n / d)


# ---- softplus and its relatives: f' from the output through expm1


def _softplus_slope(x: Array, beta: Array, threshold: float | None = None) -> Array:
    slope = lax.logistic(beta * x)  # σ(βx)
    return slope if threshold is None else jnp.where(beta * x > threshold, 1.0, slope)


def _softplus_slope_from_output(y: Array, beta: Array, threshold: float | None = None) -> Array:
    slope = -k.expm1(-beta * y)  # σ(βx) = 1 − e^(−βy)
    return slope if threshold is None else jnp.where(beta * y > threshold, 1.0, slope)


def _softplus_dbeta(x: Array, y: Array, beta: Array, threshold: float | None = None) -> Array:
    # ∂/∂β log(1 + e^z)/β = (z·σ(z) − softplus(z))/β², z = βx; the numerator equals
    # −(|z|·σ(−|z|) + log1p(e^−|z|)) for either sign of z: no cancellation.
    a = jnp.abs(beta * x)
    e = jnp.exp(-a)
    d = -(a * e / (1 + e) + jnp.log1p(e)) / (beta * beta)
    return d if threshold is None else jnp.where(beta * x > threshold, 0.0, d)


def _softplus_reference(x: Array, *, beta: ArrayLike = 1.0, threshold: float | None = None) -> Array:
    soft = jnp.logaddexp(beta * x, 0.0) / beta
    return soft if threshold is None else jnp.where(beta * x > threshold, x, soft)


@elementwise(
    derivative=_softplus_slope,
    saves="input",
    highest=dict(derivative=_softplus_slope_from_output, saves="output", half_from_input=True),
    partials={"beta": _softplus_dbeta},
    partials_need="x",
    static=("threshold",),
    formula="softplus(x) = log(1 + e^(βx))/β (x where βx > threshold)",
    derivative_text="σ(βx) = 1 − e^(−βy) (1 where βx > threshold); ∂/∂β = (z·σ(z) − log(1 + e^z))/β², z = βx",
    kinks="none (smooth); with a threshold, the slope is 1 past it, as PyTorch",
    jax_nn="softplus",
    reference=_softplus_reference,
)
def softplus(x: ArrayLike, *, beta: ArrayLike = 1.0, threshold: float | None = None) -> Array:
    r"""Softplus activation.

    .. math::
        \mathrm{softplus}(x) = \frac{1}{\beta}\log\left(1 + e^{\beta x}\right), \qquad
        \mathrm{softplus}'(x) = \sigma(\beta x) = 1 - e^{-\beta y}

    computed as :math:`\max(z, 0) + \log(1 + e^{-|z|})`, :math:`z = \beta x` (so
    ``softplus(89.)`` is 89 and nothing overflows), and, with :math:`z = \beta x`,
    :math:`\partial\,\mathrm{softplus}/\partial\beta = (z\,\sigma(z) - \log(1 + e^z))/\beta^2`.
    Called as ``softplus(x)`` it is ``jax.nn.softplus``, value for value. The keyword-only
    ``beta`` and ``threshold`` are PyTorch's: where :math:`\beta x >` ``threshold`` the
    result is :math:`x` itself (slope 1); ``threshold=None`` (the default, unlike PyTorch's
    20) never switches. Kinks: none.

    The backward pass keeps only the input and computes :math:`\sigma(\beta x)` from it (the
    output would serve as well, but inside a model XLA:CPU then keeps more arrays, and
    :math:`\mathrm{expm1}` costs more time than :math:`\sigma`): the gradient is 0 at
    :math:`-\infty`, 1/2 at 0, 1 at :math:`+\infty` and NaN at NaN. At ``accuracy="highest"``
    it keeps only the output and computes :math:`-\mathrm{expm1}(-\beta y)` with a float32
    expm1 within about an ulp.

    Args:
      x: input array.
      beta: scale of the input (keyword-only, default 1.0); differentiable, :math:`\beta > 0`.
      threshold: above :math:`\beta x >` ``threshold`` return :math:`x` (keyword-only,
        static; default None: never).

    Returns:
      An array of the promoted floating dtype of ``x`` and ``beta``.

    Examples:
      >>> import jax.numpy as jnp, jax_act
      >>> jax_act.softplus(jnp.array([-1.0, 0.0, 1.0, 89.0]))
      Array([ 0.3132617,  0.6931472,  1.3132617, 89.       ], dtype=float32)
    """
    z = beta * x
    soft = k.softplus(z) / beta
    return soft if threshold is None else jnp.where(z > threshold, x, soft)


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
    domain=(0.0, float("inf")),
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
    highest=dict(half_from_input=True, derivative_from_input=lambda x: 1 / jnp.square(1 + jnp.abs(x))),
    formula="soft_sign(x) = x / (|x| + 1)",
    derivative_text="1/(|x| + 1)² = (1 − |y|)²",
    kinks="none for the slope (soft_sign'(0) = 1); C¹, not C²",
    jax_nn="soft_sign",
    reference=lambda x: x / (1 + jnp.abs(x)),
    kink_points=(0.0,),
    smooth=False,
)
def soft_sign(x: ArrayLike) -> Array:
    r"""Soft-sign activation.

    .. math::
        \mathrm{soft\_sign}(x) = \frac{x}{|x| + 1}, \qquad
        \mathrm{soft\_sign}'(x) = \frac{1}{(|x| + 1)^2} = (1 - |y|)^2

    The backward pass keeps only the output. :math:`(1 - |y|)^2` is accurate to epsilon in
    absolute terms (relative accuracy falls off as :math:`|x|` grows); where :math:`|y|` has
    rounded to 1 (:math:`|x| \gtrsim 2^{24}` in float32) the gradient is 0. Kinks: none
    (the second derivative jumps at 0). ``soft_sign(±inf)`` is ±1 with gradient 0
    (``jax.nn`` gives NaN).

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


def _squareplus_value(x: Array, b: Array) -> Array:
    z = jnp.maximum(x, -jnp.finfo(x.dtype).max)  # −inf: the limit 0, not −inf + inf
    return (z + k.squareplus_root(z, b)[1]) / 2  # the root is |x| where x² overflows


def _squareplus_derivative(x: Array, b: Array) -> Array:
    z = jnp.clip(x, -jnp.finfo(x.dtype).max, jnp.finfo(x.dtype).max)  # ±inf: 1 and 0, not inf/inf
    return 0.5 + 0.5 * (z / k.squareplus_root(z, b)[1])


def _squareplus_stable(x: Array, b: Array) -> Array:
    _, root = k.squareplus_root(x, b)
    return jnp.maximum(x, 0) + (0.5 * b) / (root + jnp.abs(x))  # x → −∞: b/(4|x|), not 0


@elementwise(
    derivative=_squareplus_derivative,
    saves="input",
    highest=dict(forward=_squareplus_stable, derivative=k.squareplus_derivative),
    partials={"b": lambda x, y, b: 0.25 / k.squareplus_root(x, b)[1]},
    partials_need="x",
    formula="squareplus(x) = (x + √(x² + b)) / 2",
    derivative_text="(1 + x/√(x² + b)) / 2; ∂/∂b = 1 / (4√(x² + b))",
    kinks="none (smooth) for b > 0",
    jax_nn="squareplus",
    reference=lambda x, b=4: jnp.where(x > 0, (x + jnp.sqrt(x * x + b)) / 2, b / (2 * (jnp.sqrt(x * x + b) - x))),
    test_params=({}, {"b": 1.0}),
)
def squareplus(x: ArrayLike, b: ArrayLike = 4) -> Array:
    r"""Squareplus activation (So, 2021), a smooth relu with smoothness parameter :math:`b > 0`.

    .. math::
        \mathrm{squareplus}(x) = \frac{x + \sqrt{x^2 + b}}{2}, \qquad
        \mathrm{squareplus}'(x) = \frac12\Bigl(1 + \frac{x}{\sqrt{x^2 + b}}\Bigr), \qquad
        \frac{\partial\,\mathrm{squareplus}}{\partial b} = \frac{1}{4\sqrt{x^2 + b}}

    The value and the derivative are ``jax.nn``'s formulas; the backward pass keeps the input
    (autodiff of ``jax.nn.squareplus`` keeps two arrays). Both cancel for negative :math:`x`
    (``jax.nn`` returns 0 at :math:`x = -10^4` in float32, where the value is
    :math:`10^{-4}`). Kinks: none.

    At ``accuracy="highest"`` the value is :math:`\max(x, 0) + \frac{b/2}{\sqrt{x^2 + b} + |x|}`
    and the derivative :math:`\frac{b/2}{x^2 + b + |x|\sqrt{x^2 + b}}` for
    :math:`x < -\sqrt{b/3}`, which equal the formulas but do not cancel (within 2.5 ulps in
    float32), at the cost of a division in each pass. Where :math:`x^2` overflows the root is
    :math:`|x|` (``jax.nn`` gives +inf for ``squareplus(-1e20)`` in float32):
    ``squareplus(±inf)`` is ±inf/0 with gradient 1/0.

    Args:
      x: input array.
      b: smoothness parameter, scalar or array broadcasting against ``x`` (default 4);
        differentiable.

    Returns:
      An array of the promoted floating dtype of ``x`` and ``b``.

    Examples:
      >>> import jax.numpy as jnp, jax_act
      >>> jax_act.squareplus(jnp.array([-1.0, 0.0, 1.0]))
      Array([0.618034, 1.      , 1.618034], dtype=float32)
    """
    return _squareplus_value(x, b)


# ---- piecewise linear: f' from the output where it tells the pieces apart, else a mask


@elementwise(
    derivative=lambda y: jnp.where((y > 0) & (y < 6), 1.0, 0.0),
    saves="output",
    half_from_input=False,  # f' reads a branch from y: exact from 16 bits
    formula="relu6(x) = min(max(x, 0), 6)",
    derivative_text="1 if 0 < y < 6 else 0",
    kinks="relu6'(0) = relu6'(6) = 0, as jax.nn",
    jax_nn="relu6",
    reference=lambda x: jnp.where(x <= 0, 0.0, jnp.where(x >= 6, 6.0, x)),
    kink_points=(0.0, 6.0),
    smooth=False,
)
def relu6(x: ArrayLike) -> Array:
    r"""Rectified linear unit capped at 6.

    .. math::
        \mathrm{relu6}(x) = \min(\max(x, 0), 6), \qquad
        \mathrm{relu6}'(x) = \begin{cases} 1, & 0 < x < 6 \\ 0, & \text{otherwise} \end{cases}

    Kink convention: :math:`\mathrm{relu6}'(0) = \mathrm{relu6}'(6) = 0`, as ``jax.nn``.
    The backward pass keeps only the output (:math:`0 < y < 6 \iff 0 < x < 6`); NaN gives
    gradient 0, as ``jax.nn``.

    Args:
      x: input array.

    Returns:
      An array of the input's floating dtype (integers promote, as ``jax.nn``).

    Examples:
      >>> import jax.numpy as jnp, jax_act
      >>> jax_act.relu6(jnp.array([-1.0, 3.0, 7.0]))
      Array([0., 3., 6.], dtype=float32)
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
    kink_points=(-3.0, 3.0),
    smooth=False,
)
def hard_sigmoid(x: ArrayLike) -> Array:
    r"""Hard sigmoid: a piecewise-linear sigmoid.

    .. math::
        \mathrm{hard\_sigmoid}(x) = \frac{\mathrm{relu6}(x + 3)}{6}, \qquad
        \mathrm{hard\_sigmoid}'(x) = \begin{cases} 1/6, & -3 < x < 3 \\
            0, & \text{otherwise} \end{cases}

    Kink convention: the derivative at :math:`\pm 3` is 0, as ``jax.nn`` (from relu6's).
    The backward pass keeps only the output (:math:`0 < y < 1 \iff -3 < x < 3`).

    Args:
      x: input array.

    Returns:
      An array of the input's floating dtype.

    Examples:
      >>> import jax.numpy as jnp, jax_act
      >>> jax_act.hard_sigmoid(jnp.array([-4.0, 0.0, 1.5]))
      Array([0.  , 0.5 , 0.75], dtype=float32)
    """
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
    kink_points=(-3.0, 3.0),
    smooth=False,
)
def hard_silu(x: ArrayLike) -> Array:
    r"""Hard SiLU (hard swish): :math:`x \cdot \mathrm{hard\_sigmoid}(x)`.

    .. math::
        \mathrm{hard\_silu}(x) = \frac{x\,\mathrm{relu6}(x + 3)}{6}, \qquad
        \mathrm{hard\_silu}'(x) = \begin{cases} 0, & x \le -3 \\ (2x + 3)/6, & -3 < x < 3 \\
            1, & x \ge 3 \end{cases}

    :func:`hard_swish` is the same function. Kink convention, as ``jax.nn``:
    :math:`\mathrm{hard\_silu}'(-3) = 0` and :math:`\mathrm{hard\_silu}'(3) = 1`. The
    function is not invertible (it dips below 0), so the backward pass keeps the input.

    Args:
      x: input array.

    Returns:
      An array of the input's floating dtype.

    Examples:
      >>> import jax.numpy as jnp, jax_act
      >>> jax_act.hard_silu(jnp.array([-4.0, -1.0, 1.5]))
      Array([-0.        , -0.33333334,  1.125     ], dtype=float32)
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
    kink_points=(-1.0, 1.0),
    smooth=False,
)
def hard_tanh(x: ArrayLike) -> Array:
    r"""Hard tanh: :math:`x` clipped to :math:`[-1, 1]`.

    .. math::
        \mathrm{hard\_tanh}(x) = \begin{cases} -1, & x < -1 \\ x, & -1 \le x \le 1 \\
            1, & 1 < x \end{cases}
        \qquad
        \mathrm{hard\_tanh}'(x) = \begin{cases} 1, & -1 \le x \le 1 \\
            0, & \text{otherwise} \end{cases}

    Kink convention: :math:`\mathrm{hard\_tanh}'(\pm 1) = 1`, as ``jax.nn`` (PyTorch gives
    0). The output is ±1 both at the kinks and beyond them, so it cannot carry that
    convention: the backward pass keeps a 1-byte mask of :math:`-1 \le x \le 1` instead (NaN
    counts as inside, gradient 1, as ``jax.nn``). Integer input gives integer output, as
    ``jax.nn``.

    Args:
      x: input array.

    Returns:
      An array of the input's dtype.

    Examples:
      >>> import jax.numpy as jnp, jax_act
      >>> jax_act.hard_tanh(jnp.array([-2.0, 0.5, 2.0]))
      Array([-1. ,  0.5,  1. ], dtype=float32)
    """
    return jnp.where(x > 1, 1, jnp.where(x < -1, -1, x))


def _sparse_sigmoid_code(x: Array, y: Array) -> Array:
    """1-byte slope code: 2 inside (−1, 1), 1 at ±1, 0 outside"""
    z = x + 1  # jax.nn's clip(z, 0, 2): each tie of its max/min halves the slope
    inside = (z > 0) & (z < 2)
    return inside.astype(jnp.int8) * 2 + ((z == 0) | (z == 2)).astype(jnp.int8)


@elementwise(
    derivative=lambda code: jnp.where(code == 2, 0.5, jnp.where(code == 1, 0.25, 0.0)),
    saves=_sparse_sigmoid_code,
    formula="sparse_sigmoid(x) = clip((x + 1)/2, 0, 1)",
    derivative_text="1/2 if −1 < x < 1, 1/4 at ±1, else 0",
    kinks="sparse_sigmoid'(±1) = 1/4 (the mean of the one-sided slopes), as jax.nn",
    jax_nn="sparse_sigmoid",
    reference=lambda x: jnp.clip(0.5 * (x + 1), 0.0, 1.0),
    kink_points=(-1.0, 1.0),
    smooth=False,
)
def sparse_sigmoid(x: ArrayLike) -> Array:
    r"""Sparse sigmoid: the derivative of :func:`sparse_plus` (Blondel et al. 2020, §6.2).

    .. math::
        \mathrm{sparse\_sigmoid}(x) = \begin{cases} 0, & x \le -1 \\ (x + 1)/2, & -1 < x < 1 \\
            1, & 1 \le x \end{cases}
        \qquad
        \mathrm{sparse\_sigmoid}'(x) = \begin{cases} 1/2, & -1 < x < 1 \\ 1/4, & x = \pm 1 \\
            0, & \text{otherwise} \end{cases}

    Kink convention: the derivative at :math:`\pm 1` is :math:`1/4`, the mean of the
    one-sided slopes, as ``jax.nn`` (whose clip splits ties). The output is 0 or 1 both at
    the kinks and beyond, so the backward pass keeps a 1-byte slope code instead.

    Args:
      x: input array.

    Returns:
      An array of the input's floating dtype.

    Examples:
      >>> import jax.numpy as jnp, jax_act
      >>> jax_act.sparse_sigmoid(jnp.array([-2.0, 0.0, 0.5, 2.0]))
      Array([0.  , 0.5 , 0.75, 1.  ], dtype=float32)
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
    kink_points=(-1.0, 1.0),
    smooth=False,
)
def sparse_plus(x: ArrayLike) -> Array:
    r"""Sparse plus: a softplus with exact zeros and an exact linear tail.

    .. math::
        \mathrm{sparse\_plus}(x) = \begin{cases} 0, & x \le -1 \\ \frac14 (x + 1)^2, & -1 < x < 1
            \\ x, & 1 \le x \end{cases}
        \qquad
        \mathrm{sparse\_plus}'(x) = \mathrm{sparse\_sigmoid}(x)
            = \mathrm{clip}\left(\tfrac{x + 1}{2}, 0, 1\right)

    The derivative is continuous (0 at :math:`-1`, 1 at 1, as ``jax.nn``); the second
    derivative jumps at :math:`\pm 1`. The backward pass keeps only the input (the output
    would serve, :math:`(x + 1)/2 = \sqrt{y}`, but inside a model XLA:CPU then keeps more
    than ``jax.nn`` does).

    Args:
      x: input array.

    Returns:
      An array of the input's floating dtype.

    Examples:
      >>> import jax.numpy as jnp, jax_act
      >>> jax_act.sparse_plus(jnp.array([-2.0, 0.0, 0.5, 2.0]))
      Array([0.    , 0.25  , 0.5625, 2.    ], dtype=float32)
    """
    return jnp.where(x <= -1, 0.0, jnp.where(x >= 1, x, jnp.square(x + 1) / 4))


swish = silu
hard_swish = hard_silu

__all__ += [  # noqa: PLE0605
    "identity",
    "elu",
    "celu",
    "selu",
    "gelu",
    "silu",
    "swish",
    "mish",
    "softplus",
    "log_sigmoid",
    "log1mexp",
    "soft_sign",
    "squareplus",
    "relu6",
    "hard_sigmoid",
    "hard_silu",
    "hard_swish",
    "hard_tanh",
    "sparse_sigmoid",
    "sparse_plus",
]
