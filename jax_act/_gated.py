"""Gated units, fused: ``x`` is split in two halves ``a, b`` along ``axis`` and the unit is
``a ⊙ act(b)``: the first half is the value, the second half the gate, as ``jax.nn.glu`` and
``torch.nn.functional.glu``. Each is one declaration of ``act`` and ``act'``; the backward
pass keeps only the input ``x`` (both halves, one array) and computes

    ∂/∂a = g ⊙ act(b),    ∂/∂b = g ⊙ a ⊙ act'(b).
"""

from __future__ import annotations

import inspect
from typing import Any, Callable

import jax
import jax.numpy as jnp
import numpy as np
from jax import Array, lax
from jax.typing import ArrayLike

from . import _kernels as k
from ._smooth_rectifiers import _gelu_derivative, _gelu_reference, _gelu_value, _silu_derivative, _silu_value
from ._engine import Probes, custom_pair, declare_explicit, float_input, widen

__all__ = ["glu", "swiglu", "geglu", "reglu"]


def _split(fname: str, x: Any, axis: Any) -> tuple[Array, int]:
    """Checked float input and its split axis (non-negative); the size there must be even."""
    x = float_input(fname, x)
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise TypeError(f"jax_act.{fname}: argument 'axis' must be an int, got {axis!r}")
    if not -x.ndim <= axis < x.ndim:
        raise ValueError(f"jax_act.{fname}: axis {axis} is out of range for an input of rank {x.ndim}")
    axis = int(axis) % x.ndim
    if x.shape[axis] % 2:
        raise ValueError(
            f"jax_act.{fname}: argument 'x' has size {x.shape[axis]} along axis {axis}; a gated "
            "unit splits it into two halves, so it must be even"
        )
    return x, axis


def gated_unit(
    *,
    gate: Callable[..., Array],
    gate_and_prime: Callable[..., tuple[Array, Array]],
    formula: str,
    derivative_text: str,
    reference: Callable[..., Array],
    kinks: str = "none (smooth)",
    jax_nn: str | None = None,
    probes: Probes = Probes(),
    native: bool = False,
    jax_nn_gate: Callable[..., Array] | None = None,
    highest: dict[str, Callable[..., Any]] | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Array]]:
    """Declare ``f(x, axis=-1, **opts) = a ⊙ gate(b, **opts)``, ``a, b = split(x, 2, axis)``.

    Decorates a stub ``f(x, axis=-1, **opts)`` that carries the public signature and the
    docstring; ``opts`` (``approximate``) are static. ``gate`` (the forward pass) and
    ``gate_and_prime`` (the backward pass: both at once, so they share their transcendental)
    see the gate half in float32 or wider. The backward pass keeps ``x`` alone.
    ``native``: at the default level, compute 16-bit input in its own dtype, as jax.nn does,
    with no barrier (glu: upcasting made XLA:CPU keep a float32 half in a bfloat16 model).
    ``jax_nn_gate``: jax.nn's function for the gate, for the baseline ``a * jax.nn.<gate>(b)``
    (what the default level is measured against where jax.nn has no such unit).
    ``highest``: the ``gate`` and ``gate_and_prime`` of ``accuracy="highest"``, where they differ.
    """

    def declare(stub: Callable[..., Any]) -> Callable[..., Array]:
        levels = {"default": _GatedCore(gate, gate_and_prime, native=native)}
        levels["highest"] = _GatedCore(**highest) if highest else levels["default"]
        call = _GatedCall(stub)
        return declare_explicit(
            core={level: c.vjp for level, c in levels.items()},
            twin={level: c.twin for level, c in levels.items()},
            derivative=call.derivative(levels),
            reference=reference,
            static=call.static,
            kind="gated",
            formula=formula,
            derivative_text=derivative_text,
            saves="input",
            kinks=kinks,
            jax_nn=jax_nn,
            probes=probes,
            baseline=_plain_gated(jax_nn_gate, f"a * jax.nn.{jax_nn_gate.__name__}(b)") if jax_nn_gate else None,
        )(call.face())

    return declare


class _GatedCore:
    """One level's gate as a ``custom_vjp`` core (:attr:`vjp`) and its twin (:attr:`twin`),
    both called as ``core((axis, opts), x)``; the backward pass keeps x alone."""

    def __init__(self, gate: Callable[..., Array], gate_and_prime: Callable[..., tuple[Array, Array]],
                 native: bool = False) -> None:
        self.gate, self.gate_and_prime, self.native = gate, gate_and_prime, native
        self.vjp, self.twin = custom_pair(self.evaluate, jvp=self._jvp, save=lambda st, xs, y: xs[0],
                                          vjp=self._vjp, barrier=not native, kept="input")

    def halves(self, x: Array, axis: int) -> tuple[Array, Array]:
        a, b = jnp.split(x if self.native else widen(x), 2, axis)
        return a, b

    def evaluate(self, st: tuple, x: Array) -> Array:
        axis, opts = st
        a, b = self.halves(x, axis)
        return (a * self.gate(b, **dict(opts))).astype(x.dtype)

    def partials(self, st: tuple, x: Array) -> tuple[Array, Array]:
        """(∂f/∂a, ∂f/∂b) entry by entry: (gate(b), a ⊙ gate'(b))."""
        axis, opts = st
        a, b = self.halves(x, axis)
        act, prime = self.gate_and_prime(b, **dict(opts))
        return act, a * prime

    def _jvp(self, st: tuple, xs: tuple, y: Array, ts: tuple) -> Array:
        da, db = self.partials(st, xs[0])
        ta, tb = self.halves(ts[0], st[0])
        return (da * ta + db * tb).astype(y.dtype)

    def _vjp(self, st: tuple, x: Array, g: Array) -> tuple[Array]:
        da, db = self.partials(st, x)
        g = g.astype(da.dtype)
        # a concatenate: joining with two zero pads and an add kept both padded halves, each
        # x-sized, in float32 (reglu in a gated-MLP step: 12 MiB over the plain formula)
        return (jnp.concatenate([g * da, g * db], st[0]).astype(x.dtype),)


class _GatedCall:
    """The stub's signature: ``x``, ``axis`` and the static options; the face around a core,
    and the bare derivative."""

    def __init__(self, stub: Callable[..., Any]) -> None:
        self.stub, self.name = stub, stub.__name__
        self.signature = inspect.signature(stub)
        self.static = tuple(self.signature.parameters)[1:]  # axis and the options

    def prepare(self, fname: str, args: tuple, kwargs: dict) -> tuple[Array, tuple]:
        bound = self.signature.bind(*args, **kwargs)
        bound.apply_defaults()
        x, axis = _split(fname, bound.arguments["x"], bound.arguments["axis"])
        return x, (axis, tuple((n, bound.arguments[n]) for n in self.static[1:]))

    def face(self) -> Callable[..., Array]:
        def face(c: Callable, *args: Any, **kwargs: Any) -> Array:
            x, st = self.prepare(self.name, args, kwargs)
            return c(st, x)

        face.__name__ = self.name
        face.__doc__ = self.stub.__doc__
        face.__wrapped__ = self.stub  # type: ignore[attr-defined] # inspect lands on the declaration
        face.__signature__ = self.signature.replace(  # type: ignore[attr-defined]
            parameters=[inspect.Parameter("core", inspect.Parameter.POSITIONAL_ONLY), *self.signature.parameters.values()]
        )
        return face

    def derivative(self, levels: dict[str, _GatedCore]) -> Callable[..., Array]:
        def derivative(*args: Any, accuracy: str, **kwargs: Any) -> Array:
            x, st = self.prepare(f"derivative({self.name})", args, kwargs)
            return jnp.concatenate(levels[accuracy].partials(st, x), st[0]).astype(x.dtype)

        return derivative


def _halves(x: Array, axis: int) -> tuple[Array, Array]:
    n = x.shape[axis] // 2
    return lax.slice_in_dim(x, 0, n, axis=axis), lax.slice_in_dim(x, n, 2 * n, axis=axis)


def _plain_gated(gate: Callable[..., Array], doc: str = "") -> Callable[..., Array]:
    """The plain formula ``a * gate(b)``: the testing kit's oracle (or, with a jax.nn gate,
    the baseline)."""

    def reference(x: Array, axis: int = -1, **opts: Any) -> Array:
        a, b = _halves(x, axis)
        return a * gate(b, **opts)

    reference.__doc__ = doc or None
    return reference


# --------------------------------------------------------------------------- the gates


def _sigmoid_and_prime(b: Array) -> tuple[Array, Array]:
    s = lax.logistic(b)
    return s, s * (1 - s)  # jax.nn's σ'; XLA:CPU kept more for σ(b)σ(−b) in a bfloat16 model


def _sigmoid_pair_and_prime(b: Array) -> tuple[Array, Array]:
    s, sc = k.sigmoid_pair(b)  # one exp; σ(b)σ(−b) has no 1 − σ cancellation for b > 0
    return s, s * sc


def _both(value: Callable[..., Array], derivative: Callable[..., Array]) -> Callable[..., tuple[Array, Array]]:
    """The gate and its derivative, from the elementwise activation's own formulas (they
    build the same subexpressions, so XLA evaluates those once)."""
    return lambda b, **opts: (value(b, **opts), derivative(b, **opts))


def _relu(b: Array) -> Array:
    return jnp.maximum(b, 0)


def _relu_prime(b: Array) -> Array:
    return (b > 0).astype(b.dtype)  # relu'(0) = 0, as jax.nn


# --------------------------------------------------------------------------- the units


@gated_unit(
    gate=lax.logistic,
    gate_and_prime=_sigmoid_and_prime,
    native=True,
    highest=dict(gate=lax.logistic, gate_and_prime=_sigmoid_pair_and_prime),
    formula="glu(x) = a ⊙ σ(b), (a, b) = split(x, 2, axis)",
    derivative_text="∂/∂a = σ(b); ∂/∂b = a σ(b) σ(−b)",
    reference=_plain_gated(lambda b: 1 / (1 + jnp.exp(-b))),
    jax_nn="glu",
)
def glu(x: ArrayLike, axis: int = -1) -> Array:
    r"""Gated linear unit, as ``jax.nn.glu``: the first half gated by the sigmoid of the second.

    .. math::
        \mathrm{glu}(x) = a \odot \sigma(b), \qquad
        \frac{\partial}{\partial a} = \sigma(b), \qquad
        \frac{\partial}{\partial b} = a\, \sigma(b)\, \sigma(-b)

    where ``a, b`` are the first and second halves of ``x`` along ``axis`` (``b`` is the
    gate, as in ``jax.nn.glu`` and ``torch.nn.functional.glu``). The backward pass keeps only
    ``x``. Half-precision input is computed in its own dtype, as ``jax.nn.glu`` does (in
    float32 at ``accuracy="highest"``, where :math:`\sigma(b)\sigma(-b)` also comes from one
    exponential without cancellation). Kinks: none.

    Args:
      x: input array; its size along ``axis`` must be even.
      axis: the axis to split (an int).

    Returns:
      An array of ``x``'s floating dtype, half as long along ``axis``.

    Examples:
      >>> import jax.numpy as jnp, jax_act
      >>> jax_act.glu(jnp.array([1.0, 2.0, 0.0, 1.0]))
      Array([0.5      , 1.4621172], dtype=float32)
    """


@gated_unit(
    gate=_silu_value,
    gate_and_prime=_both(_silu_value, _silu_derivative),
    highest=dict(gate=k.silu_value, gate_and_prime=_both(k.silu_value, k.silu_derivative)),
    formula="swiglu(x) = a ⊙ silu(b), (a, b) = split(x, 2, axis)",
    derivative_text="∂/∂a = silu(b); ∂/∂b = a σ(b)(1 + b σ(−b))",
    reference=_plain_gated(lambda b: b / (1 + jnp.exp(-b))),
    jax_nn_gate=jax.nn.silu,
)
def swiglu(x: ArrayLike, axis: int = -1) -> Array:
    r"""SwiGLU (Shazeer 2020; PaLM, LLaMA), fused: the first half times silu of the second.

    .. math::
        \mathrm{swiglu}(x) = a \odot \mathrm{silu}(b) = a \odot b\,\sigma(b), \qquad
        \frac{\partial}{\partial a} = \mathrm{silu}(b), \qquad
        \frac{\partial}{\partial b} = a\, \sigma(b)\big(1 + b\,\sigma(-b)\big)

    ``a, b`` are the first and second halves of ``x`` along ``axis``; ``b`` is the gate (the
    activated half), as in :func:`glu`. The papers write :math:`\mathrm{silu}(xW) \odot xV`:
    concatenate the projections as ``[xV, xW]`` for this function. (Megatron-LM and
    Transformer Engine activate the *first* half: swap the halves to port their weights.)
    The backward pass keeps only ``x``. Kinks: none.

    Args:
      x: input array; its size along ``axis`` must be even.
      axis: the axis to split (an int).

    Returns:
      An array of ``x``'s floating dtype, half as long along ``axis``.

    Examples:
      >>> import jax.numpy as jnp, jax_act
      >>> jax_act.swiglu(jnp.array([1.0, 2.0, 0.0, 1.0]))
      Array([0.       , 1.4621172], dtype=float32)
    """


@gated_unit(
    gate=_gelu_value,
    gate_and_prime=_both(_gelu_value, _gelu_derivative),
    highest=dict(gate=k.gelu_value, gate_and_prime=_both(k.gelu_value, k.gelu_derivative)),
    formula="geglu(x) = a ⊙ gelu(b), (a, b) = split(x, 2, axis)",
    derivative_text="∂/∂a = gelu(b); ∂/∂b = a gelu'(b) (tanh form, or Φ(b) + b φ(b))",
    reference=_plain_gated(_gelu_reference),
    jax_nn_gate=jax.nn.gelu,
)
def geglu(x: ArrayLike, axis: int = -1, approximate: bool = True) -> Array:
    r"""GEGLU (Shazeer 2020), fused: the first half times gelu of the second.

    .. math::
        \mathrm{geglu}(x) = a \odot \mathrm{gelu}(b), \qquad
        \frac{\partial}{\partial a} = \mathrm{gelu}(b), \qquad
        \frac{\partial}{\partial b} = a\, \mathrm{gelu}'(b)

    with ``jax.nn.gelu``'s two forms: ``approximate=True`` (the default, as ``jax.nn.gelu``)
    :math:`\mathrm{gelu}(b) = \tfrac12 b\,(1 + \tanh u) = b\,\sigma(2u)`,
    :math:`u = \sqrt{2/\pi}\,(b + 0.044715 b^3)`,
    :math:`\mathrm{gelu}'(b) = \tfrac12 (1 + \tanh u) + \tfrac12 b\,(1 - \tanh^2 u)\,
    \sqrt{2/\pi}\,(1 + 3 \cdot 0.044715\, b^2)`; ``approximate=False``
    :math:`\mathrm{gelu}(b) = b\,\Phi(b)`, :math:`\mathrm{gelu}'(b) = \Phi(b) + b\,\varphi(b)`
    (:math:`\Phi` computed with ``erfc``, accurate far into the left tail). ``a, b`` are the
    first and second halves of ``x`` along ``axis``; ``b`` is the gate, as in :func:`glu`.
    The backward pass keeps only ``x``. Kinks: none.

    Args:
      x: input array; its size along ``axis`` must be even.
      axis: the axis to split (an int).
      approximate: the tanh form (True) or the exact erf form (False).

    Returns:
      An array of ``x``'s floating dtype, half as long along ``axis``.

    Examples:
      >>> import jax.numpy as jnp, jax_act
      >>> jax_act.geglu(jnp.array([1.0, 2.0, 0.0, 1.0]))
      Array([0.      , 1.682384], dtype=float32)
    """


@gated_unit(
    gate=_relu,
    gate_and_prime=_both(_relu, _relu_prime),
    formula="reglu(x) = a ⊙ relu(b), (a, b) = split(x, 2, axis)",
    derivative_text="∂/∂a = relu(b); ∂/∂b = a if b > 0 else 0",
    reference=_plain_gated(lambda b: jnp.where(b > 0, b, 0)),
    jax_nn_gate=jax.nn.relu,
    kinks="∂/∂b = 0 at b = 0 (relu'(0) = 0, as jax.nn)",
    probes=Probes(kink_points=(0.0,), smooth=False),
)
def reglu(x: ArrayLike, axis: int = -1) -> Array:
    r"""ReGLU (Shazeer 2020), fused: the first half times relu of the second.

    .. math::
        \mathrm{reglu}(x) = a \odot \max(b, 0), \qquad
        \frac{\partial}{\partial a} = \max(b, 0), \qquad
        \frac{\partial}{\partial b} = \begin{cases} a, & b > 0 \\ 0, & b \le 0 \end{cases}

    ``a, b`` are the first and second halves of ``x`` along ``axis``; ``b`` is the gate, as in
    :func:`glu`. Kink convention: the derivative in ``b`` at ``b = 0`` is 0 (relu'(0) = 0, as
    ``jax.nn.relu``). The backward pass keeps only ``x``.

    Args:
      x: input array; its size along ``axis`` must be even.
      axis: the axis to split (an int).

    Returns:
      An array of ``x``'s floating dtype, half as long along ``axis``.

    Examples:
      >>> import jax.numpy as jnp, jax_act
      >>> jax_act.reglu(jnp.array([1.0, 2.0, -1.0, 3.0]))
      Array([0., 6.], dtype=float32)
    """
