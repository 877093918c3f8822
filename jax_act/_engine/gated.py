"""Gated units, fused: ``x`` is split in two halves ``a, b`` along ``axis`` and the unit is
``a ⊙ act(b)``: the first half is the value, the second half the gate, as ``jax.nn.glu`` and
``torch.nn.functional.glu``. A declaration (:func:`gated_unit`) gives ``act`` and ``act'``;
the backward pass keeps only the input ``x`` (both halves, one array) and computes

    ∂/∂a = g ⊙ act(b),    ∂/∂b = g ⊙ a ⊙ act'(b).
"""

from __future__ import annotations

import inspect
from typing import Any, Callable

import jax.numpy as jnp
import numpy as np
from jax import Array, lax

from .checks import float_input, widen
from .pair import custom_pair, declare_explicit
from .registry import Probes


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
    float64: Callable[..., tuple[Array, Array]] | None = None,
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
    ``highest``: the ``gate`` and ``gate_and_prime`` of ``accuracy="highest"``, where they differ;
    ``float64``: the default level's ``gate_and_prime`` for float64 input, where it differs.
    """

    def declare(stub: Callable[..., Any]) -> Callable[..., Array]:
        levels = {"default": _GatedCore(gate, gate_and_prime, native=native, float64=float64)}
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
            baseline=plain_gated(jax_nn_gate, f"a * jax.nn.{jax_nn_gate.__name__}(b)") if jax_nn_gate else None,
        )(call.face())

    return declare


class _GatedCore:
    """One level's gate as a ``custom_vjp`` core (:attr:`vjp`) and its twin (:attr:`twin`),
    both called as ``core((axis, opts), x)``; the backward pass keeps x alone."""

    def __init__(self, gate: Callable[..., Array], gate_and_prime: Callable[..., tuple[Array, Array]],
                 native: bool = False, float64: Callable[..., tuple[Array, Array]] | None = None) -> None:
        self.gate, self.native = gate, native
        # the dispatch table: dtype → gate_and_prime; None: every dtype without its own entry
        self.primes = {None: gate_and_prime, "float64": float64 or gate_and_prime}
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
        act, prime = self.primes.get(b.dtype.name, self.primes[None])(b, **dict(opts))
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


def plain_gated(gate: Callable[..., Array], doc: str = "") -> Callable[..., Array]:
    """The plain formula ``a * gate(b)``: the testing kit's oracle (or, with a jax.nn gate,
    the baseline)."""

    def reference(x: Array, axis: int = -1, **opts: Any) -> Array:
        a, b = _halves(x, axis)
        return a * gate(b, **opts)

    reference.__doc__ = doc or None
    return reference
