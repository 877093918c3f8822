"""Rectifiers: identity, relu, the leaky family (leaky_relu, prelu, rrelu), relu2, and the
thresholds (threshold, hard_shrink, soft_shrink).

Piecewise f' is kept as a 1-byte mask where the output cannot tell a kink from a flat piece,
else read from the output. The leaky family keeps jax.nn's kink convention (the x ≥ 0 branch
at 0), so that ``prelu(x, a) == leaky_relu(x, a)`` holds for gradients too; where jax.nn has
no such function, PyTorch's convention is followed (stated in each docstring).
"""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import Array
from jax.typing import ArrayLike

from ._engine import Probes, compute_dtype, custom_pair, declare_explicit, elementwise, float_input

__all__ = ["relu", "leaky_relu", "identity", "prelu", "rrelu", "threshold", "hard_shrink", "soft_shrink", "relu2", "squared_relu"]


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
    probes=Probes(kink_points=(0.0,), smooth=False),
)
def relu(x: ArrayLike) -> Array:
    """Rectified linear unit, as ``jax.nn.relu``.

    Integer input gives integer output, as jax.nn; NaN gives NaN with gradient 0.
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
    probes=Probes(kink_points=(0.0,), smooth=False, test_params=({}, {"negative_slope": 0.2})),
)
def leaky_relu(x: ArrayLike, negative_slope: ArrayLike = 1e-2) -> Array:
    """Leaky rectified linear unit, as ``jax.nn.leaky_relu``.

    Args:
      negative_slope: α, the slope for x < 0 (default 0.01): a scalar or an array
        broadcasting against ``x``; differentiable.
    """
    return jnp.where(x >= 0, x, negative_slope * x)


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
    """Identity activation, as ``jax.nn.identity``: returns its argument.

    Returns:
      ``x`` as an array of its own dtype (integer and boolean input as is).
    """
    return x


def _slope_where(nonneg: Array, slope: Array) -> Array:
    """The leaky family's derivative: 1 on the x ≥ 0 branch, the slope on the other."""
    return jnp.where(nonneg, jnp.ones_like(slope), slope)


@elementwise(
    derivative=lambda x, negative_slope: _slope_where(x >= 0, negative_slope),
    saves="input",
    partials={"negative_slope": lambda x, y, negative_slope: jnp.where(x >= 0, 0, x)},
    partials_need="x",  # with a learned slope: x and the slope, as autodiff keeps (no y)
    formula="prelu(x) = x if x ≥ 0 else a·x",
    derivative_text="1 if x ≥ 0 else a; ∂/∂a = x if x < 0 else 0",
    kinks="prelu'(0) = 1 (the x ≥ 0 branch), as jax_act.leaky_relu and jax.nn.leaky_relu; PyTorch gives a",
    reference=lambda x, negative_slope: jnp.maximum(x, 0) + negative_slope * jnp.minimum(x, 0),
    probes=Probes(kink_points=(0.0,), smooth=False, test_params=({"negative_slope": 0.25}, {"negative_slope": -0.5})),
)
def prelu(x: ArrayLike, negative_slope: ArrayLike) -> Array:
    """Parametric rectified linear unit, PyTorch's ``F.prelu``: a learned slope.

    Args:
      negative_slope: a, the slope for x < 0: an array broadcasting against ``x`` by NumPy's
        rules (for PyTorch's ``(N, C, H, W)`` pass shape ``(C, 1, 1)``); differentiable, its
        gradient summed over the broadcast axes.
    """
    return jnp.where(x >= 0, x, negative_slope * x)


# rrelu: a PRNG key is no float parameter, so rrelu declares its closed form with custom_pair.
# The backward pass keeps a 1-byte sign mask and the key, and draws the same slopes again
# from the key: recomputing them costs a few arithmetic operations per element, keeping them
# would cost a full array.
def _rrelu_slope(key: tuple, shape: tuple[int, ...], dtype: Any, static: tuple) -> Array:
    """Training (``key = (k,)``): one slope per element from U(lower, upper), drawn in float32
    whatever the input dtype (the same key gives the same slopes). Otherwise their mean."""
    lower, upper, training = static
    if training:
        return jax.random.uniform(key[0], shape, jnp.float32, minval=lower, maxval=upper).astype(dtype)
    return jnp.asarray((lower + upper) / 2, dtype)


def _rrelu_evaluate(static: tuple, x: Array, *key: Array) -> Array:
    xc = x.astype(compute_dtype(x.dtype))
    slope = _rrelu_slope(key, x.shape, xc.dtype, static)
    return jnp.where(xc >= 0, xc, slope * xc).astype(x.dtype)


def _rrelu_prime(nonneg: Array, key: tuple, dtype: Any, static: tuple) -> Array:
    return _slope_where(nonneg, _rrelu_slope(key, nonneg.shape, compute_dtype(dtype), static))


def _rrelu_vjp(static: tuple, res: tuple, g: Array) -> tuple:
    nonneg, key = res
    dx = g.astype(compute_dtype(g.dtype)) * _rrelu_prime(nonneg, key, g.dtype, static)
    return (dx.astype(g.dtype), *(None for _ in key))  # a key has no cotangent


def _rrelu_jvp(static: tuple, xs: tuple, y: Array, txs: tuple) -> Array:
    x, *key = xs
    ty = txs[0].astype(compute_dtype(y.dtype)) * _rrelu_prime(x >= 0, tuple(key), y.dtype, static)
    return ty.astype(y.dtype)


_rrelu_core, _rrelu_twin = custom_pair(
    _rrelu_evaluate,
    jvp=_rrelu_jvp,
    save=lambda static, xs, y: (xs[0] >= 0, tuple(xs[1:])),  # sign mask (1 byte) and the key
    vjp=_rrelu_vjp,
)


def _rrelu_arguments(fname: str, x: Any, key: Any, lower: Any, upper: Any, training: Any) -> tuple[tuple, tuple]:
    """Checked ``(static, primals)`` for the core: ``primals`` is ``(x,)`` or ``(x, key)``."""
    x = float_input(fname, x)
    for argname, v in (("lower", lower), ("upper", upper)):
        if isinstance(v, bool) or not isinstance(v, (int, float, np.floating, np.integer)) or not math.isfinite(v):
            raise TypeError(f"jax_act.{fname}: argument {argname!r} must be a finite Python number, got {v!r:.40}")
    if not 0 <= lower <= upper:
        raise ValueError(f"jax_act.{fname}: arguments 'lower' and 'upper' need 0 ≤ lower ≤ upper, got {lower}, {upper}")
    if not isinstance(training, (bool, np.bool_)):
        raise TypeError(f"jax_act.{fname}: argument 'training' must be a bool, got {training!r:.40}")
    static = (float(lower), float(upper), bool(training))
    if not training:
        return static, (x,)
    if key is None:
        raise ValueError(f"jax_act.{fname}: argument 'key' (a PRNG key) is required when training=True")
    key = jnp.asarray(key) if not isinstance(key, jax.Array) else key
    if not (jax.dtypes.issubdtype(key.dtype, jax.dtypes.prng_key) or key.dtype == jnp.uint32):
        raise TypeError(f"jax_act.{fname}: argument 'key' must be a PRNG key (jax.random.key), got dtype {key.dtype}")
    return static, (x, key)


def _rrelu_derivative(x: ArrayLike, key: Any = None, lower: float = 1 / 8, upper: float = 1 / 3, training: bool = False) -> Array:
    static, (x, *k) = _rrelu_arguments("derivative(rrelu)", x, key, lower, upper, training)
    return _rrelu_prime(x >= 0, tuple(k), x.dtype, static).astype(x.dtype) * jnp.ones_like(x)


def _rrelu_reference(x: Any, key: Any = None, lower: float = 1 / 8, upper: float = 1 / 3, training: bool = False) -> Array:
    if training:
        slope = jax.random.uniform(key, jnp.shape(x), jnp.float32, minval=lower, maxval=upper).astype(x.dtype)
    else:
        slope = (lower + upper) / 2
    return jnp.maximum(x, 0) + slope * jnp.minimum(x, 0)


@declare_explicit(
    core=_rrelu_core,
    twin=_rrelu_twin,
    derivative=_rrelu_derivative,
    reference=_rrelu_reference,
    static=("lower", "upper", "training"),
    kind="elementwise",
    formula="rrelu(x) = x if x ≥ 0 else a·x; a ~ U(lower, upper) per element (training), (lower + upper)/2 (eval)",
    derivative_text="1 if x ≥ 0 else a (the same a, drawn again from the key)",
    saves="sign mask (1 byte) and the PRNG key; the slopes are drawn again from the key",
    kinks="rrelu'(0) = 1 (the x ≥ 0 branch), as jax_act.leaky_relu; PyTorch gives the slope",
    probes=Probes(kink_points=(0.0,), smooth=False),
)
def rrelu(core, x: ArrayLike, key: ArrayLike | None = None, lower: float = 1 / 8, upper: float = 1 / 3, training: bool = False) -> Array:
    """Randomized leaky rectified linear unit, PyTorch's ``F.rrelu`` (Xu et al. 2015).

    In training the slope a of each element is drawn from U(lower, upper) with ``key``
    (``jax.random.uniform`` in float32: the same slopes for every dtype); otherwise a is
    (lower + upper)/2 and rrelu is :func:`jax_act.leaky_relu` with that slope.

    Args:
      key: a PRNG key, required when ``training`` is True; not differentiable.
      lower: the smallest slope (a Python number, default 1/8).
      upper: the largest slope (a Python number ≥ lower, default 1/3).
      training: draw random slopes (True) or use their mean (False, the default).
    """
    static, primals = _rrelu_arguments("rrelu", x, key, lower, upper, training)
    return core(static, *primals)


@elementwise(
    derivative=lambda x, threshold, value: jnp.where(x <= threshold, 0, jnp.ones_like(x)),
    saves="input",  # the branch cannot be read from y when value > threshold
    partials={
        "threshold": lambda x, y, threshold, value: jnp.zeros_like(x),
        "value": lambda x, y, threshold, value: jnp.where(x <= threshold, jnp.ones_like(x), 0),
    },
    partials_need="x",
    formula="threshold(x) = x if x > t else v",
    derivative_text="1 if x > t else 0; ∂/∂v = 1 if x ≤ t else 0; ∂/∂t = 0",
    kinks="at x = t: value v, derivative 0, ∂/∂v = 1, as PyTorch (f jumps there unless v = t)",
    reference=lambda x, threshold, value: jnp.where(x > threshold, x, value),
    probes=Probes(smooth=False, test_params=({"threshold": 0.5, "value": -1.0}, {"threshold": -1.5, "value": 2.0})),
)
def threshold(x: ArrayLike, threshold: ArrayLike, value: ArrayLike) -> Array:
    """Threshold, PyTorch's ``F.threshold``: x above ``threshold``, else ``value``.

    ∂f/∂t is 0 (the jump at t has no derivative). NaN gives NaN with derivative 1, as PyTorch.

    Args:
      threshold: t, a scalar or an array broadcasting against ``x``.
      value: v, taken at and below t; differentiable.
    """
    return jnp.where(x <= threshold, value, x)


def _dead_zone(x: Array, lambd: Array) -> Array:
    """−λ ≤ x ≤ λ, ends included (PyTorch's convention); False for NaN, which passes through."""
    return (x >= -lambd) & (x <= lambd)


def _outside_dead_zone(y: Array, lambd: Array) -> Array:
    """The shrinks' derivative from their output: 1 where y ≠ 0 (|x| > λ ≥ 0), else 0."""
    return jnp.where(y != 0, jnp.ones_like(y), 0)


@elementwise(
    derivative=_outside_dead_zone,
    saves="output",
    half_from_input=False,  # f' reads a branch from y: exact from 16 bits
    partials={"lambd": lambda x, y, lambd: jnp.zeros_like(y)},  # 0 almost everywhere
    partials_need="y",
    formula="hard_shrink(x) = x if |x| > λ else 0",
    derivative_text="1 if y ≠ 0 (|x| > λ) else 0; ∂/∂λ = 0",
    kinks="hard_shrink'(±λ) = 0 and hard_shrink(±λ) = 0 (the dead zone includes ±λ), as PyTorch",
    reference=lambda x, lambd=0.5: jnp.where(jnp.abs(x) > lambd, x, 0),
    probes=Probes(kink_points=(-0.5, 0.5), smooth=False, test_params=({}, {"lambd": 1.5})),
)
def hard_shrink(x: ArrayLike, lambd: ArrayLike = 0.5) -> Array:
    """Hard shrinkage, PyTorch's ``F.hardshrink``.

    ∂f/∂λ is 0 (f jumps at ±λ). NaN gives NaN with derivative 1, as PyTorch.

    Args:
      lambd: λ ≥ 0, the dead zone's half-width (default 0.5); broadcasts against ``x``.
    """
    return jnp.where(_dead_zone(x, lambd), 0, x)


@elementwise(
    derivative=_outside_dead_zone,
    saves="output",
    half_from_input=False,  # f' reads a branch from y: exact from 16 bits
    partials={"lambd": lambda x, y, lambd: -jnp.sign(y)},
    partials_need="y",
    formula="soft_shrink(x) = x − λ if x > λ, x + λ if x < −λ, else 0",
    derivative_text="1 if y ≠ 0 (|x| > λ) else 0; ∂/∂λ = −sign(y)",
    kinks="soft_shrink'(±λ) = 0 (the dead zone includes ±λ), as PyTorch",
    reference=lambda x, lambd=0.5: jnp.where(jnp.abs(x) > lambd, x - jnp.sign(x) * lambd, 0),
    probes=Probes(kink_points=(-0.5, 0.5), smooth=False, test_params=({}, {"lambd": 1.5})),
)
def soft_shrink(x: ArrayLike, lambd: ArrayLike = 0.5) -> Array:
    """Soft shrinkage, PyTorch's ``F.softshrink``: the proximal map of λ|x|.

    Inside the dead zone the value is 0·x (−0 for negative x, NaN for NaN), as PyTorch.

    Args:
      lambd: λ ≥ 0, the dead zone's half-width (default 0.5); differentiable.
    """
    return jnp.where(x > lambd, x - lambd, jnp.where(x < -lambd, x + lambd, x * 0))


@elementwise(
    # From y it would be 2√y, but y overflows (float16: x > 256) where 2x does not.
    derivative=lambda x: jnp.where(x > 0, 2 * x, 0),  # f''(0) = 0, as the docstring says
    saves="input",
    formula="relu2(x) = max(x, 0)²",
    derivative_text="relu2'(x) = 2·max(x, 0)",
    kinks="relu2 is C¹: relu2'(0) = 0 exactly; relu2'' jumps at 0 (0 for x < 0, 2 for x > 0)",
    aliases=("squared_relu",),
    reference=lambda x: jnp.square(jnp.maximum(x, 0)),
    probes=Probes(kink_points=(0.0,), smooth=False),
)
def relu2(x: ArrayLike) -> Array:
    """Squared rectified linear unit (alias ``squared_relu``; So et al. 2021, "Primer").

    NaN gives NaN with derivative 0.
    """
    r = jnp.maximum(x, 0)
    return r * r


squared_relu = relu2
