r"""Losses with closed-form gradients, fused with their activation, and a worked example of backpropagation.

Each loss is declared through the engine (:func:`~jax_act.engine.declare_explicit`, kind
``loss``): a jitted ``jax.custom_vjp`` function with optax's signature, its ``custom_jvp`` twin
(``jax_act.forward_mode.losses``) and a registry entry (``jax-act list``). The backward rule is
the closed form, and the forward pass saves *one array the size of the logits* — the gradient
itself — and nothing else (the labels' gradient, when labels are differentiated, needs one more):

=============================================  =============================  =================
loss                                           ∂/∂logits                      ∂/∂labels
=============================================  =============================  =================
``softmax_cross_entropy``                      (Σ labels) · softmax − labels  −log_softmax
``softmax_cross_entropy_with_integer_labels``  softmax − one_hot(labels)      (integer: none)
``sigmoid_binary_cross_entropy``               σ(logits) − labels             −logits
``squared_error``                              2 (predictions − targets)      −2 (predictions − targets)
``sum_of_squares_error``                       outputs − targets              targets − outputs
=============================================  =============================  =================

:func:`linear_softmax_cross_entropy_with_integer_labels` fuses the output layer as well:
the softmax cross-entropy of ``hidden @ weight + bias``, walked in chunks so that the logits
never exist whole (see its docstring).

Values and gradients equal optax's (``optax.losses``) to rounding. Where optax's value is NaN
they stay finite: a term whose label is 0 contributes 0 even when its log-probability is −∞,
so −∞ (masked) logits under zero labels, and logits of ±1e9, give finite values and
gradients; a fully masked row gives loss 0 and gradient 0. A −∞ logit under a *nonzero*
label gives loss +∞, which is the true value. Half-precision logits are computed in float32
and rounded once.

The worked example of backpropagation (:func:`sum_of_squares_error` and :func:`backprop`) is
a one-layer network: :math:`z_k = \sum_j x_j w_{jk}`, output
:math:`g(z_k)`, :math:`E = \tfrac12 \sum_k (g(z_k) - t_k)^2` and

.. math::
    \frac{\partial E}{\partial w_{jk}} = (g(z_k) - t_k)\, g'(z_k)\, x_j ,

with :math:`g'` from :func:`jax_act.derivative` (softmax through its Jacobian).
"""

from __future__ import annotations

from typing import Any, Callable, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax import Array
from jax.custom_derivatives import SymbolicZero
from jax.typing import ArrayLike

from ._engine import check_array, check_axis, check_where, compute_dtype, custom_pair, declare_explicit, lookup
from ._kernels import softplus
from ._linear_ce import linear_softmax_cross_entropy_plan, linear_softmax_cross_entropy_with_integer_labels
from ._softmax import _log_softmax

__all__ = [
    "Backprop",
    "backprop",
    "check_labels",
    "linear_softmax_cross_entropy_plan",
    "linear_softmax_cross_entropy_with_integer_labels",
    "sigmoid_binary_cross_entropy",
    "softmax_cross_entropy",
    "softmax_cross_entropy_with_integer_labels",
    "squared_error",
    "sum_of_squares_error",
]


# --------------------------------------------------------------------------- helpers


def _float_arg(fname: str, argname: str, value: Any) -> Array:
    arr = check_array(f"losses.{fname}", argname, value)
    if not jnp.issubdtype(arr.dtype, jnp.floating):
        raise TypeError(f"jax_act.losses.{fname}: argument {argname!r} must be a float array, got dtype {arr.dtype}")
    return arr


def _broadcast(fname: str, names: tuple[str, str], a: Array, b: Array) -> tuple[int, ...]:
    try:
        return tuple(np.broadcast_shapes(a.shape, b.shape))
    except ValueError:
        raise ValueError(
            f"jax_act.losses.{fname}: {names[0]!r} of shape {a.shape} and {names[1]!r} of shape "
            f"{b.shape} do not broadcast"
        ) from None


def _mask_for(fname: str, where: Any, shape: tuple[int, ...], axis: Any) -> Array | None:
    """optax's convention: a ``where`` of the batch shape is expanded along ``axis``."""
    if where is None:
        return None
    w = check_array(f"losses.{fname}", "where", where)
    if w.ndim != len(shape) and isinstance(axis, int):
        w = jnp.expand_dims(w, axis)
    return check_where(f"losses.{fname}", w, shape)


def _times(label: Array, logp: Array) -> Array:
    """label · log p, with 0 · (−∞) = 0: a class that is not a target costs nothing."""
    return jnp.where(label == 0, 0, label * logp)


def _loss_pair(grads_of: Callable, *, save: Callable, vjp: Callable, symbolic_zeros: bool = False) -> tuple:
    """A loss's ``custom_vjp`` core and its forward-mode twin, from the engine's
    :func:`~jax_act.engine.custom_pair`. ``grads_of(static, *xs)`` gives ``(loss, reduced
    axes, ∂L/∂x for each x (None: not differentiable))``: the loss is the value, and the twin's
    JVP is the same closed form, Σ_axes ẋ · ∂L/∂x (JAX transposes it for reverse mode, so the
    twin works under both). ``save`` and ``vjp`` are the core's: they keep less than every
    gradient (see each loss)."""

    def jvp(static: Any, xs: tuple, loss: Array, ts: tuple) -> Array:
        _, axes, *grads = grads_of(static, *xs)
        out = jnp.zeros_like(loss)
        for t, g in zip(ts, grads):
            if g is None or t is None or t.dtype == jax.dtypes.float0:
                continue
            out = out + jnp.sum(t.astype(g.dtype) * g, axes).astype(loss.dtype)
        return out

    return custom_pair(lambda static, *xs: grads_of(static, *xs)[0], jvp=jvp, save=save, vjp=vjp,
                       symbolic_zeros=symbolic_zeros)


# --------------------------------------------------------------------------- softmax cross entropy


def _sce_values(axes: tuple[int, ...], x: Array, t: Array, mask: Array | None) -> tuple[Array, Array, Array]:
    cdt = compute_dtype(x.dtype)
    xc, tc = x.astype(cdt), t.astype(cdt)
    if mask is not None:  # masked entries take no part, whatever they hold
        xc, tc = jnp.where(mask, xc, -jnp.inf), jnp.where(mask, tc, 0)
    logp = _log_softmax(xc, axes)
    loss = -jnp.sum(_times(tc, logp), axes)
    dx = jnp.sum(tc, axes, keepdims=True) * jnp.exp(logp) - tc  # (Σt)·S − t
    if mask is not None:  # excluded entries: no gradient for their labels either
        logp = jnp.where(mask, logp, 0)
    return loss.astype(jnp.result_type(x, t)), dx.astype(x.dtype), logp


def _sce_grads(axes: tuple[int, ...], x: Array, t: Array, mask: Array | None) -> tuple:
    loss, dx, logp = _sce_values(axes, x, t, mask)
    return loss, axes, dx, (-logp).astype(t.dtype), None


def _sce_save(axes: tuple[int, ...], xs: tuple, loss: Array) -> tuple:
    # Saved: the gradient (one array the size of the logits); −log p only if labels need it.
    x, t, mask = xs
    _, dx, logp = _sce_values(axes, x.value, t.value, getattr(mask, "value", mask))
    return dx, logp.astype(t.value.dtype) if t.perturbed else None


def _sce_bwd(axes: tuple[int, ...], res: tuple, g: Any) -> tuple:
    dx, logp = res
    if isinstance(g, SymbolicZero):
        return None, None, None
    g = jnp.expand_dims(g.astype(compute_dtype(g.dtype)), axes)
    gx = (g * dx).astype(dx.dtype)
    gt = None if logp is None else (-g * logp).astype(logp.dtype)
    return gx, gt, None


_sce, _sce_twin = _loss_pair(_sce_grads, save=_sce_save, vjp=_sce_bwd, symbolic_zeros=True)


def _sce_reference(logits: Array, labels: Array, axis: Any = -1, where: Array | None = None) -> Array:
    """−Σ t log softmax(x), the plain formula (``where`` of the logits' shape)."""
    logp = jax.nn.log_softmax(logits, axis, where=where)
    logp = logp if where is None else jnp.where(where, logp, 0)  # masked entries take no part
    return -jnp.sum(labels * logp, axis)


@declare_explicit(
    core=_sce, twin=_sce_twin, derivative=None, reference=_sce_reference, static=("axis",), kind="loss",
    formula="−Σ t log softmax(x)", derivative_text="(Σ t)·softmax(x) − t; ∂/∂t: −log softmax(x)",
    saves="the gradient (logits-sized); −log softmax(x) too when labels are differentiated",
)
def softmax_cross_entropy(
    core: Callable,
    logits: ArrayLike,
    labels: ArrayLike,
    axis: int | tuple[int, ...] | None = -1,
    where: ArrayLike | None = None,
) -> Array:
    r"""Softmax cross entropy, fused: the gradient is softmax − labels, in closed form.

    .. math::
        L = -\sum_i t_i \log S_i(x), \qquad
        \frac{\partial L}{\partial x_i} = \Big(\sum_j t_j\Big) S_i - t_i
        \;(= S_i - t_i \text{ for labels summing to 1}), \qquad
        \frac{\partial L}{\partial t_i} = -\log S_i

    Same signature, values and gradients as ``optax.losses.softmax_cross_entropy``. The
    backward pass keeps one array the size of the logits (the gradient). A term with label 0
    contributes 0 even where its logit is −∞ (masked), where optax's value is NaN; a fully
    masked row gives 0 and gradient 0.

    Args:
      logits: unnormalized log probabilities, ``[..., num_classes]``.
      labels: target probabilities (e.g. one-hot), broadcasting to ``logits``' shape.
      axis: the class axis or axes (an int, a tuple, or None for all).
      where: optional mask of ``logits``' shape or of the batch shape (then expanded along
        ``axis``, as optax does); False entries take no part.

    Returns:
      The loss per example: ``logits``' shape without ``axis``.

    Examples:
      >>> import jax.numpy as jnp
      >>> from jax_act import losses
      >>> logits = jnp.array([[1.2, -0.8, -0.5], [0.9, -1.2, 1.1]], dtype=jnp.float32)
      >>> labels = jnp.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], dtype=jnp.float32)
      >>> losses.softmax_cross_entropy(logits, labels)
      Array([0.2761..., 2.9517...], dtype=float32)
    """
    fname = "softmax_cross_entropy"
    x = _float_arg(fname, "logits", logits)
    t = _float_arg(fname, "labels", labels)
    shape = _broadcast(fname, ("logits", "labels"), x, t)
    if shape != x.shape:
        raise ValueError(
            f"jax_act.losses.{fname}: 'labels' of shape {t.shape} must broadcast to the shape "
            f"of 'logits' {x.shape}"
        )
    t = jnp.broadcast_to(t, shape)
    axes = check_axis(f"losses.{fname}", axis, x.ndim)
    return core(axes, x, t, _mask_for(fname, where, shape, axis))


# --------------------------------------------------------------------------- integer labels


def _sce_int_values(x: Array, label: Array, mask: Array | None) -> tuple[Array, Array]:
    """Along the last axis. optax's convention: the label's logit is read even where masked. A
    label outside [0, n) gives NaN, negative ones too (optax counts them from the end, so an
    ignore index such as −100 would become a class): as the fused loss under jit."""
    cdt = compute_dtype(x.dtype)
    xc = x.astype(cdt)
    n = x.shape[-1]
    valid = (label >= 0) & (label < n)
    xm = xc if mask is None else jnp.where(mask, xc, -jnp.inf)
    logp = _log_softmax(xm, (x.ndim - 1,))
    top = jnp.max(xm, -1)
    top = jax.lax.stop_gradient(jnp.where(jnp.isfinite(top), top, 0))
    lse = top + jnp.log(jnp.sum(jnp.exp(xm - top[..., None]), -1))
    picked = jnp.take_along_axis(xc, jnp.clip(label, 0, n - 1)[..., None], -1)[..., 0]
    loss = jnp.where(valid, lse - picked, jnp.nan)
    one_hot = jnp.arange(n) == label[..., None]
    dx = jnp.exp(logp) - one_hot.astype(cdt)
    dx = jnp.where(valid[..., None], dx, jnp.nan)
    if mask is not None:  # a row with nothing left: loss 0 and gradient 0, as optax's value
        alive = jnp.any(mask, -1)
        loss = jnp.where(alive, loss, 0)
        dx = jnp.where(alive[..., None], dx, 0)
    return loss, dx


def _sce_int_grads(_: Any, x: Array, label: Array, mask: Array | None) -> tuple:
    loss, dx = _sce_int_values(x, label, mask)
    return loss.astype(x.dtype), (-1,), dx.astype(x.dtype), None, None


def _sce_int_bwd(_: Any, dx: Array, g: Array) -> tuple:
    gx = (g.astype(compute_dtype(g.dtype))[..., None] * dx).astype(dx.dtype)
    return gx, None, None


# Saved: the gradient, logits-sized.
_sce_int, _sce_int_twin = _loss_pair(_sce_int_grads, save=lambda _, xs, loss: _sce_int_grads(_, *xs)[2],
                                     vjp=_sce_int_bwd)


def _sce_int_reference(logits: Array, labels: Array, axis: int = -1, where: Array | None = None) -> Array:
    """log Σ eˣ − x_label along ``axis`` (an int), the plain formula."""
    x = jnp.moveaxis(logits, axis, -1)
    mask = None if where is None else jnp.moveaxis(where, axis, -1)
    lse = jax.nn.logsumexp(x, -1, where=mask)
    return lse - jnp.take_along_axis(x, labels[..., None], -1)[..., 0]


@declare_explicit(
    core=_sce_int, twin=_sce_int_twin, derivative=None, reference=_sce_int_reference, static=("axis",),
    kind="loss", formula="log Σ eˣ − x_label", derivative_text="softmax(x) − one_hot(label)",
    saves="the gradient (logits-sized)",
)
def softmax_cross_entropy_with_integer_labels(
    core: Callable,
    logits: ArrayLike,
    labels: ArrayLike,
    axis: int | tuple[int, ...] = -1,
    where: ArrayLike | None = None,
) -> Array:
    r"""Softmax cross entropy with integer labels, fused: gradient softmax − one_hot(labels).

    .. math::
        L = \log \sum_j e^{x_j} - x_{\text{label}}, \qquad
        \frac{\partial L}{\partial x_i} = S_i - [i = \text{label}]

    Same signature, values and gradients as
    ``optax.losses.softmax_cross_entropy_with_integer_labels``; the backward pass keeps one
    array the size of the logits (the gradient). −∞ (masked) logits other than the label's
    give finite values and gradients; a fully masked row gives 0 and gradient 0. Labels
    outside ``[-n, n)`` give NaN. Labels are not differentiable.

    Args:
      logits: unnormalized log probabilities, ``[..., num_classes]``.
      labels: integer class indices of the batch shape ``[...]``.
      axis: the class axis, or a tuple of axes flattened into one class index (as optax).
      where: optional mask of ``logits``' shape or of the batch shape.

    Returns:
      The loss per example, of ``labels``' shape.

    Examples:
      >>> import jax.numpy as jnp
      >>> from jax_act import losses
      >>> logits = jnp.array([[1.2, -0.8, -0.5], [0.9, -1.2, 1.1]], dtype=jnp.float32)
      >>> losses.softmax_cross_entropy_with_integer_labels(logits, jnp.array([0, 1]))
      Array([0.2761..., 2.9517...], dtype=float32)
    """
    fname = "softmax_cross_entropy_with_integer_labels"
    x = _float_arg(fname, "logits", logits)
    label = check_array(f"losses.{fname}", "labels", labels)
    if not jnp.issubdtype(label.dtype, jnp.integer):
        raise TypeError(f"jax_act.losses.{fname}: argument 'labels' must be an integer array, got dtype {label.dtype}")
    if axis is None or isinstance(axis, bool) or not isinstance(axis, (int, np.integer, tuple)):
        raise TypeError(f"jax_act.losses.{fname}: argument 'axis' must be an int or a tuple of ints, got {axis!r}")
    axes = check_axis(f"losses.{fname}", axis, x.ndim, ordered=True)  # the label indexes them in this order
    mask = _mask_for(fname, where, x.shape, axis)
    batch = tuple(a for a in range(x.ndim) if a not in axes)
    batch_shape = tuple(x.shape[a] for a in batch)
    if label.shape != batch_shape:
        raise ValueError(
            f"jax_act.losses.{fname}: 'labels' of shape {label.shape} must have the batch shape "
            f"{batch_shape} of 'logits' {x.shape} without axis {axis}"
        )
    # classes to the last axis, flattened (as optax does for a tuple of axes)
    x = x.transpose(batch + axes).reshape(*batch_shape, -1)
    if mask is not None:
        mask = mask.transpose(batch + axes).reshape(*batch_shape, -1)
    return core((), x, label, mask)


# --------------------------------------------------------------------------- sigmoid BCE


def _bce_values(x: Array, t: Array) -> tuple[Array, Array]:
    cdt = compute_dtype(x.dtype)
    xc, tc = x.astype(cdt), t.astype(cdt)
    # −t log σ(x) − (1 − t) log σ(−x), with log σ(x) = −softplus(−x); 0 · ∞ = 0
    loss = jnp.where(tc == 0, 0, tc * softplus(-xc)) + jnp.where(tc == 1, 0, (1 - tc) * softplus(xc))
    return loss, jax.lax.logistic(xc) - tc


def _bce_grads(_: Any, x: Array, t: Array) -> tuple:
    loss, dx = _bce_values(x, t)
    return loss.astype(x.dtype), (), dx.astype(x.dtype), (-x).astype(t.dtype)


def _bce_save(_: Any, xs: tuple, loss: Array) -> tuple:
    # Saved: σ(x) − t; and x only when the labels are differentiated (∂L/∂t = −x).
    x, t = xs
    return _bce_values(x.value, t.value)[1].astype(x.value.dtype), x.value if t.perturbed else None


def _bce_bwd(_: Any, res: tuple, g: Any) -> tuple:
    dx, x = res
    if isinstance(g, SymbolicZero):
        return None, None
    g = g.astype(compute_dtype(g.dtype))
    return (g * dx).astype(dx.dtype), None if x is None else (-g * x).astype(x.dtype)


_bce, _bce_twin = _loss_pair(_bce_grads, save=_bce_save, vjp=_bce_bwd, symbolic_zeros=True)


def _bce_reference(logits: Array, labels: Array) -> Array:
    """−t log σ(x) − (1 − t) log(1 − σ(x)), the plain formula."""
    p = jax.nn.sigmoid(logits)
    return -labels * jnp.log(p) - (1 - labels) * jnp.log1p(-p)


@declare_explicit(
    core=_bce, twin=_bce_twin, derivative=None, reference=_bce_reference, static=(), kind="loss",
    formula="−t log σ(x) − (1 − t) log(1 − σ(x))", derivative_text="σ(x) − t; ∂/∂t: −x",
    saves="σ(x) − t (logits-sized); x too when labels are differentiated",
)
def sigmoid_binary_cross_entropy(core: Callable, logits: ArrayLike, labels: ArrayLike) -> Array:
    r"""Elementwise sigmoid (binary) cross entropy, fused: the gradient is σ(logits) − labels.

    .. math::
        L = -t \log\sigma(x) - (1 - t)\log(1 - \sigma(x)), \qquad
        \frac{\partial L}{\partial x} = \sigma(x) - t, \qquad
        \frac{\partial L}{\partial t} = -x

    Same signature, values and gradients as ``optax.losses.sigmoid_binary_cross_entropy``
    (labels take the logits' dtype). The backward pass keeps one array the size of the
    logits, σ(x) − t. Logits of ±1e9 and ±∞ give finite values and gradients where the label
    agrees (label 1 at +∞, 0 at −∞); a wrong certain prediction costs +∞.

    Args:
      logits: logits of the positive class.
      labels: targets in [0, 1], broadcasting against ``logits``.

    Returns:
      The loss per element, of the broadcast shape.

    Examples:
      >>> import jax.numpy as jnp
      >>> from jax_act import losses
      >>> x = jnp.array([-2.0, 0.0, 3.0], dtype=jnp.float32)
      >>> print(losses.sigmoid_binary_cross_entropy(x, jnp.array([0.0, 1.0, 1.0])).round(4))
      [0.1269 0.6931 0.0486]
    """
    fname = "sigmoid_binary_cross_entropy"
    x = _float_arg(fname, "logits", logits)
    t = check_array(f"losses.{fname}", "labels", labels).astype(x.dtype)  # as optax: labels take logits' dtype
    shape = _broadcast(fname, ("logits", "labels"), x, t)
    x, t = jnp.broadcast_to(x, shape), jnp.broadcast_to(t, shape)
    return core((), x, t)


# --------------------------------------------------------------------------- squared errors and the worked example


def _sq_values(axes: tuple[int, ...], half: bool, g: Array, t: Array) -> tuple[Array, Array]:
    d = g - t
    cdt = compute_dtype(d.dtype)
    e = jnp.sum(jnp.square(d.astype(cdt)), axes)  # axes () : elementwise
    return (0.5 * e if half else e).astype(d.dtype), d


def _sq_grads(static: tuple, g: Array, t: Array) -> tuple:
    axes, half = static
    loss, d = _sq_values(axes, half, g, t)
    d = d if half else 2 * d
    return loss, axes, d, -d


def _sq_bwd(static: tuple, d: Array, ct: Array) -> tuple[Array, Array]:
    axes, half = static
    c = jnp.expand_dims(ct.astype(compute_dtype(ct.dtype)), axes)
    gd = ((c if half else 2 * c) * d).astype(d.dtype)
    return gd, -gd


# Saved: g − t, one array for both gradients.
_sq, _sq_twin = _loss_pair(_sq_grads, save=lambda static, xs, loss: _sq_values(*static, *xs)[1], vjp=_sq_bwd)


def _squared(core: Callable, fname: str, outputs: Any, targets: Any, axis: Any, half: bool) -> Array:
    g = _float_arg(fname, "predictions" if not half else "outputs", outputs)
    t = jnp.zeros_like(g) if targets is None else check_array(f"losses.{fname}", "targets", targets)
    if not half and t.shape != g.shape:  # optax's squared_error asks for equal shapes
        raise ValueError(f"jax_act.losses.{fname}: 'predictions' of shape {g.shape} and 'targets' of shape "
                         f"{t.shape} must have the same shape")
    shape = _broadcast(fname, ("predictions" if not half else "outputs", "targets"), g, t)
    dtype = jnp.result_type(g, t)
    g, t = jnp.broadcast_to(g, shape).astype(dtype), jnp.broadcast_to(t, shape).astype(dtype)
    axes = () if axis == () else check_axis(f"losses.{fname}", axis, len(shape))
    return core((axes, half), g, t)


def _squared_reference(predictions: Array, targets: Array | None = None) -> Array:
    """(p − t)², the plain formula."""
    return jnp.square(predictions - (0 if targets is None else targets))


def _sum_of_squares_reference(outputs: Array, targets: Array, axis: Any = -1) -> Array:
    """½ Σ (g − t)² over ``axis``, the plain formula."""
    return 0.5 * jnp.sum(jnp.square(outputs - targets), axis)


@declare_explicit(
    core=_sq, twin=_sq_twin, derivative=None, reference=_squared_reference, static=(), kind="loss",
    formula="(p − t)²", derivative_text="2 (p − t); ∂/∂t: −2 (p − t)", saves="p − t (predictions-sized)",
)
def squared_error(core: Callable, predictions: ArrayLike, targets: ArrayLike | None = None) -> Array:
    r"""Elementwise squared error, as ``optax.losses.squared_error``.

    .. math::
        L_i = (p_i - t_i)^2, \qquad \frac{\partial L_i}{\partial p_i} = 2 (p_i - t_i)

    Same signature, shape and values as optax's (``targets`` None means zeros); the backward
    pass keeps ``predictions − targets``. For the halved sum of the backpropagation example,
    :math:`E = \tfrac12 \sum_k (g_k - t_k)^2`, see :func:`sum_of_squares_error`.

    Args:
      predictions: a float array.
      targets: an array of ``predictions``' shape (a different shape is a ValueError, as in
        optax), or None (zeros).

    Returns:
      The elementwise squared error, of ``predictions``' shape.

    Examples:
      >>> import jax.numpy as jnp
      >>> from jax_act import losses
      >>> losses.squared_error(jnp.array([0.5, 2.0], dtype=jnp.float32), jnp.array([1.0, 1.0]))
      Array([0.25, 1.  ], dtype=float32)
    """
    return _squared(core, "squared_error", predictions, targets, (), False)


@declare_explicit(
    core=_sq, twin=_sq_twin, derivative=None, reference=_sum_of_squares_reference, static=("axis",), kind="loss",
    formula="½ Σ (g − t)²", derivative_text="g − t; ∂/∂t: t − g", saves="g − t (outputs-sized)",
)
def sum_of_squares_error(
    core: Callable, outputs: ArrayLike, targets: ArrayLike, axis: int | tuple[int, ...] | None = -1
) -> Array:
    r"""The sum-of-squares error of the backpropagation example,
    :math:`E = \tfrac12 \sum_k (g_k - t_k)^2`, summed over ``axis``.

    .. math::
        E = \frac12 \sum_k (g_k - t_k)^2, \qquad \frac{\partial E}{\partial g_k} = g_k - t_k

    Halved and summed over the output axis (one value per example): it equals
    ``optax.losses.l2_loss(outputs, targets).sum(axis)``, and ``squared_error(...).sum(axis) / 2``.
    The backward pass keeps ``outputs − targets``.

    Args:
      outputs: the network's outputs :math:`g(z_k)`.
      targets: the targets :math:`t_k`, broadcasting against ``outputs``.
      axis: the output axis or axes summed over (None: all, a scalar).

    Returns:
      E per example: the broadcast shape without ``axis``.

    Examples:
      >>> import jax.numpy as jnp
      >>> from jax_act import losses
      >>> print(losses.sum_of_squares_error(jnp.array([0.5, 2.0], dtype=jnp.float32), jnp.array([1.0, 1.0])))
      0.625
    """
    return _squared(core, "sum_of_squares_error", outputs, targets, axis, True)


class Backprop(NamedTuple):
    """What :func:`backprop` returns."""

    loss: Array  #: E, summed over every example
    grad: Array  #: ∂E/∂w, of ``w``'s shape
    outputs: Array  #: g(z), the network's outputs


def backprop(activation: str | Callable, x: ArrayLike, w: ArrayLike, t: ArrayLike, **params: Any) -> Backprop:
    r"""The worked example of backpropagation: the closed-form gradient of a one-layer network, by hand.

    The layer outputs :math:`g(z_k)`, :math:`z_k = \sum_j x_j w_{jk}`, and is scored by
    :func:`sum_of_squares_error` :math:`E = \tfrac12 \sum_k (g(z_k) - t_k)^2`. Then

    .. math::
        \frac{\partial E}{\partial w_{jk}} = \delta_k\, x_j, \qquad
        \delta_k = (g(z_k) - t_k)\, g'(z_k)

    with :math:`g'` the closed form from :func:`jax_act.derivative`. For an activation along
    an axis (softmax) :math:`g'` is the Jacobian :math:`\partial g_k/\partial z_j =
    S_k(\delta_{kj} - S_j)` and :math:`\delta_j = \sum_k (g_k - t_k)\,\partial g_k/\partial z_j`.
    No autodiff is involved; the test suite checks the result against ``jax.grad``.

    Args:
      activation: a jax_act activation or its name (``"sigmoid"``, ``"softmax"``, ...).
      x: inputs, ``[M]`` or batched ``[..., M]``.
      w: weights ``[M, K]``.
      t: targets ``[K]`` or ``[..., K]``.
      **params: the activation's parameters (e.g. ``negative_slope=0.2``).

    Returns:
      ``Backprop(loss, grad, outputs)``: E summed over the batch, ∂E/∂w, and g(z).

    Examples:
      >>> import jax.numpy as jnp
      >>> from jax_act import losses
      >>> x = jnp.array([1.0, -2.0], dtype=jnp.float32)
      >>> w = jnp.array([[0.5, -1.0], [0.25, 0.0]], dtype=jnp.float32)
      >>> losses.backprop("sigmoid", x, w, jnp.array([1.0, 0.0], dtype=jnp.float32)).grad
      Array([[-0.125    ,  0.0528...],
             [ 0.25     , -0.1057...]], dtype=float32)
    """
    act = lookup(activation, "losses.backprop")
    x = _float_arg("backprop", "x", x)
    w = _float_arg("backprop", "w", w)
    t = _float_arg("backprop", "t", t)
    if w.ndim != 2 or x.ndim < 1 or x.shape[-1] != w.shape[0]:
        raise ValueError(f"jax_act.losses.backprop: 'x' {x.shape} and 'w' {w.shape} must be [..., M] and [M, K]")
    hi = jax.lax.Precision.HIGHEST  # full precision on every backend (no TF32/bf16 passes)
    z = jnp.einsum("...j,jk->...k", x, w, precision=hi)
    g = act.fn(z, **params)
    if g.shape != z.shape or act.spec.kind not in ("elementwise", "axis_map"):
        raise ValueError(
            f"jax_act.losses.backprop: {act.spec.name!r} does not give one output per unit "
            "(use an elementwise activation or a map along the last axis such as softmax)"
        )
    r = g - t  # ∂E/∂g_k
    if act.spec.kind == "elementwise":
        delta = r * act.derivative(z, **params)  # (g(z_k) − t_k) g'(z_k)
    else:
        jac = act.derivative(z, **params)  # [..., k, j] = ∂g_k/∂z_j
        delta = jnp.einsum("...k,...kj->...j", r, jac, precision=hi)
    grad = jnp.einsum("...j,...k->jk", jnp.broadcast_to(x, (*delta.shape[:-1], x.shape[-1])), delta, precision=hi)
    loss = jnp.sum(sum_of_squares_error(g, t))
    return Backprop(loss, grad, g)


def check_labels(labels: ArrayLike, num_classes: int, where: ArrayLike | None = None) -> None:
    """A ``jax.experimental.checkify`` check that every label (where ``where`` is True) lies in
    ``[0, num_classes)``: call it in a training step and run the step under
    ``checkify.checkify`` to turn the losses' NaN for an out-of-range label into an error that
    names it. (Outside ``checkify`` JAX refuses the check.)

    Examples:
      >>> import jax, jax.numpy as jnp
      >>> from jax.experimental import checkify
      >>> from jax_act import losses
      >>> def step(logits, labels):
      ...     losses.check_labels(labels, logits.shape[-1])
      ...     return losses.softmax_cross_entropy_with_integer_labels(logits, labels).mean()
      >>> err, _ = checkify.checkify(jax.jit(step))(jnp.zeros((2, 5)), jnp.array([1, 7]))
      >>> print(err.get())  # doctest: +ELLIPSIS
      jax_act.losses: label 7 (at index 1) is outside [0, 5)...
    """
    from jax.experimental import checkify

    y = check_array("losses.check_labels", "labels", labels)
    if not jnp.issubdtype(y.dtype, jnp.integer):
        raise TypeError(f"jax_act.losses.check_labels: 'labels' must be an integer array, got dtype {y.dtype}")
    bad = (y < 0) | (y >= num_classes)
    if where is not None:
        bad = bad & jnp.broadcast_to(jnp.asarray(where, bool), y.shape)
    first = jnp.argmax(bad.ravel())
    checkify.check(~jnp.any(bad), "jax_act.losses: label {label} (at index {at}) is outside [0, {n})",
                   label=y.ravel()[first], at=first, n=jnp.asarray(num_classes))
