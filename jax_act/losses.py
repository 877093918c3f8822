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
from jax.typing import ArrayLike

from ._engine import check_array, check_axis, check_where, compute_dtype, lookup, loss
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


# --------------------------------------------------------------------------- softmax cross entropy


def _sce(axes: tuple[int, ...], x: Array, t: Array, mask: Array | None) -> tuple:
    # kept: the gradient (one array the size of the logits); −log p only if labels need it
    cdt = compute_dtype(x.dtype)
    xc, tc = x.astype(cdt), t.astype(cdt)
    if mask is not None:  # masked entries take no part, whatever they hold
        xc, tc = jnp.where(mask, xc, -jnp.inf), jnp.where(mask, tc, 0)
    logp = _log_softmax(xc, axes)
    loss = -jnp.sum(_times(tc, logp), axes)
    dx = jnp.sum(tc, axes, keepdims=True) * jnp.exp(logp) - tc  # (Σt)·S − t
    if mask is not None:  # excluded entries: no gradient for their labels either
        logp = jnp.where(mask, logp, 0)
    return loss.astype(jnp.result_type(x, t)), (dx.astype(x.dtype), (logp.astype(t.dtype), -1), None)


def _sce_reference(logits: Array, labels: Array, axis: Any = -1, where: Array | None = None) -> Array:
    """−Σ t log softmax(x), the plain formula (``where`` of the logits' shape)."""
    logp = jax.nn.log_softmax(logits, axis, where=where)
    logp = logp if where is None else jnp.where(where, logp, 0)  # masked entries take no part
    return -jnp.sum(labels * logp, axis)


@loss(
    values=_sce, reduced=lambda axes: axes, reference=_sce_reference, static=("axis",),
    formula="−Σ t log softmax(x)", derivative_text="(Σ t)·softmax(x) − t; ∂/∂t: −log softmax(x)",
    saves="the gradient (logits-sized); −log softmax(x) too when labels are differentiated",
)
def softmax_cross_entropy(
    logits: ArrayLike,
    labels: ArrayLike,
    axis: int | tuple[int, ...] | None = -1,
    where: ArrayLike | None = None,
) -> Array:
    """Softmax cross entropy, fused, as ``optax.losses.softmax_cross_entropy``.

    A term with label 0 contributes 0 even where its logit is −∞ (masked), where optax's value
    is NaN; a fully masked row gives 0 and gradient 0.

    Args:
      logits: unnormalized log probabilities, ``[..., num_classes]``.
      labels: target probabilities (e.g. one-hot), broadcasting to ``logits``' shape.
      axis: the class axis or axes (an int, a tuple, or None for all).
      where: optional mask of ``logits``' shape or of the batch shape (then expanded along
        ``axis``, as optax does); False entries take no part.

    Returns:
      The loss per example: ``logits``' shape without ``axis``.
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
    return axes, (x, t, _mask_for(fname, where, shape, axis))


# --------------------------------------------------------------------------- integer labels


def _sce_int(_: Any, x: Array, label: Array, mask: Array | None) -> tuple:
    """Along the last axis; kept: the gradient, logits-sized. optax's convention: the label's
    logit is read even where masked. A label outside [0, n) gives NaN, negative ones too (optax
    counts them from the end, so an ignore index such as −100 would become a class): as the
    fused loss under jit."""
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
    return loss.astype(x.dtype), (dx.astype(x.dtype), None, None)


def _sce_int_reference(logits: Array, labels: Array, axis: int = -1, where: Array | None = None) -> Array:
    """log Σ eˣ − x_label along ``axis`` (an int), the plain formula."""
    x = jnp.moveaxis(logits, axis, -1)
    mask = None if where is None else jnp.moveaxis(where, axis, -1)
    lse = jax.nn.logsumexp(x, -1, where=mask)
    return lse - jnp.take_along_axis(x, labels[..., None], -1)[..., 0]


@loss(
    values=_sce_int, reduced=lambda _: (-1,), reference=_sce_int_reference, static=("axis",),
    formula="log Σ eˣ − x_label", derivative_text="softmax(x) − one_hot(label)",
    saves="the gradient (logits-sized)",
)
def softmax_cross_entropy_with_integer_labels(
    logits: ArrayLike,
    labels: ArrayLike,
    axis: int | tuple[int, ...] = -1,
    where: ArrayLike | None = None,
) -> Array:
    """Softmax cross entropy with integer labels, fused, as
    ``optax.losses.softmax_cross_entropy_with_integer_labels``.

    −∞ (masked) logits other than the label's give finite values and gradients; a fully masked
    row gives 0 and gradient 0. Labels outside ``[-n, n)`` give NaN; labels are not
    differentiable.

    Args:
      logits: unnormalized log probabilities, ``[..., num_classes]``.
      labels: integer class indices of the batch shape ``[...]``.
      axis: the class axis, or a tuple of axes flattened into one class index (as optax).
      where: optional mask of ``logits``' shape or of the batch shape.

    Returns:
      The loss per example, of ``labels``' shape.
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
    return (), (x, label, mask)


# --------------------------------------------------------------------------- sigmoid BCE


def _bce(_: Any, x: Array, t: Array) -> tuple:
    # kept: σ(x) − t; and x only when the labels are differentiated (∂L/∂t = −x)
    cdt = compute_dtype(x.dtype)
    xc, tc = x.astype(cdt), t.astype(cdt)
    # −t log σ(x) − (1 − t) log σ(−x), with log σ(x) = −softplus(−x); 0 · ∞ = 0
    loss = jnp.where(tc == 0, 0, tc * softplus(-xc)) + jnp.where(tc == 1, 0, (1 - tc) * softplus(xc))
    return loss.astype(x.dtype), ((jax.lax.logistic(xc) - tc).astype(x.dtype), (x, -1))


def _bce_reference(logits: Array, labels: Array) -> Array:
    """−t log σ(x) − (1 − t) log(1 − σ(x)), the plain formula."""
    p = jax.nn.sigmoid(logits)
    return -labels * jnp.log(p) - (1 - labels) * jnp.log1p(-p)


@loss(
    values=_bce, reference=_bce_reference,
    formula="−t log σ(x) − (1 − t) log(1 − σ(x))", derivative_text="σ(x) − t; ∂/∂t: −x",
    saves="σ(x) − t (logits-sized); x too when labels are differentiated",
)
def sigmoid_binary_cross_entropy(logits: ArrayLike, labels: ArrayLike) -> Array:
    """Elementwise sigmoid (binary) cross entropy, fused, as
    ``optax.losses.sigmoid_binary_cross_entropy`` (labels take the logits' dtype).

    Logits of ±1e9 and ±∞ give finite values and gradients where the label agrees (label 1 at
    +∞, 0 at −∞); a wrong certain prediction costs +∞.

    Args:
      logits: logits of the positive class.
      labels: targets in [0, 1], broadcasting against ``logits``.

    Returns:
      The loss per element, of the broadcast shape.
    """
    fname = "sigmoid_binary_cross_entropy"
    x = _float_arg(fname, "logits", logits)
    t = check_array(f"losses.{fname}", "labels", labels).astype(x.dtype)  # as optax: labels take logits' dtype
    shape = _broadcast(fname, ("logits", "labels"), x, t)
    x, t = jnp.broadcast_to(x, shape), jnp.broadcast_to(t, shape)
    return (), (x, t)


# --------------------------------------------------------------------------- squared errors and the worked example


def _sq(static: tuple, g: Array, t: Array) -> tuple:
    # kept: g − t, one array for both partials (∂/∂t = −∂/∂g)
    axes, half = static
    d = g - t
    e = jnp.sum(jnp.square(d.astype(compute_dtype(d.dtype))), axes)  # axes () : elementwise
    return (0.5 * e if half else e).astype(d.dtype), ((d, 1 if half else 2), (d, -1 if half else -2))


def _squared(fname: str, outputs: Any, targets: Any, axis: Any, half: bool) -> tuple:
    g = _float_arg(fname, "predictions" if not half else "outputs", outputs)
    t = jnp.zeros_like(g) if targets is None else check_array(f"losses.{fname}", "targets", targets)
    if not half and t.shape != g.shape:  # optax's squared_error asks for equal shapes
        raise ValueError(f"jax_act.losses.{fname}: 'predictions' of shape {g.shape} and 'targets' of shape "
                         f"{t.shape} must have the same shape")
    shape = _broadcast(fname, ("predictions" if not half else "outputs", "targets"), g, t)
    dtype = jnp.result_type(g, t)
    g, t = jnp.broadcast_to(g, shape).astype(dtype), jnp.broadcast_to(t, shape).astype(dtype)
    axes = () if axis == () else check_axis(f"losses.{fname}", axis, len(shape))
    return (axes, half), (g, t)


def _squared_reference(predictions: Array, targets: Array | None = None) -> Array:
    """(p − t)², the plain formula."""
    return jnp.square(predictions - (0 if targets is None else targets))


def _sum_of_squares_reference(outputs: Array, targets: Array, axis: Any = -1) -> Array:
    """½ Σ (g − t)² over ``axis``, the plain formula."""
    return 0.5 * jnp.sum(jnp.square(outputs - targets), axis)


@loss(
    values=_sq, reduced=lambda static: static[0], reference=_squared_reference,
    formula="(p − t)²", derivative_text="2 (p − t); ∂/∂t: −2 (p − t)", saves="p − t (predictions-sized)",
)
def squared_error(predictions: ArrayLike, targets: ArrayLike | None = None) -> Array:
    """Elementwise squared error, as ``optax.losses.squared_error`` (``targets`` None: zeros).

    Args:
      predictions: a float array.
      targets: an array of ``predictions``' shape (another shape is a ValueError, as in
        optax), or None (zeros).

    Returns:
      The elementwise squared error, of ``predictions``' shape.
    """
    return _squared("squared_error", predictions, targets, (), False)


@loss(
    values=_sq, reduced=lambda static: static[0], reference=_sum_of_squares_reference, static=("axis",),
    formula="½ Σ (g − t)²", derivative_text="g − t; ∂/∂t: t − g", saves="g − t (outputs-sized)",
)
def sum_of_squares_error(
    outputs: ArrayLike, targets: ArrayLike, axis: int | tuple[int, ...] | None = -1
) -> Array:
    """The sum-of-squares error of the backpropagation example, ½ Σ (g − t)² over ``axis``:
    ``optax.losses.l2_loss(outputs, targets).sum(axis)``.

    Args:
      outputs: the network's outputs g.
      targets: the targets t, broadcasting against ``outputs``.
      axis: the output axis or axes summed over (None: all, a scalar).

    Returns:
      E per example: the broadcast shape without ``axis``.
    """
    return _squared("sum_of_squares_error", outputs, targets, axis, True)


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
