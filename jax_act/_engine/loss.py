"""Losses from their closed form: a declaration states ``values(static, *xs) -> (loss, grads)``
once, and the engine makes its ``custom_vjp`` core (keeping ∂L/∂x for the differentiated
inputs only, an array shared by several partials once), its ``custom_jvp`` twin and its public
face in ``jax_act.losses``."""

from __future__ import annotations

import functools
import inspect
from typing import Any, Callable, Sequence

import jax
import jax.numpy as jnp
from jax.custom_derivatives import SymbolicZero

from .checks import compute_dtype
from .pair import custom_pair, first_argument_gradient
from .public import publish
from .registry import Probes

# ∂L/∂x for one input: an array, an (array, factor) pair (the partial is factor · array: one
# kept array serves ∂/∂g = d and ∂/∂t = −d), or None (not differentiable)
Partial = Any


def loss(
    *,
    values: Callable[..., tuple[jax.Array, Sequence[Partial]]],
    reference: Callable[..., jax.Array],
    formula: str,
    derivative_text: str,
    saves: str,
    static: Sequence[str] = (),
    reduced: Callable[[Any], tuple[int, ...]] = lambda static: (),
    kinks: str = "none (smooth)",
    probes: Probes = Probes(),
) -> Callable[[Callable[..., Any]], Callable[..., jax.Array]]:
    """Declare a loss. Decorates its front, ``front(*args)``: the public signature and docstring,
    whose body checks the arguments and returns ``(static_values, xs)``, what ``values`` takes.

    * ``values(static_values, *xs) -> (loss, grads)``: the loss and, per x, its partial
      ∂L/∂x (see :data:`Partial`) in x's dtype and shape;
    * ``reduced(static_values)``: the axes of the inputs the loss sums over (elementwise: ());
    * ``static``: the front's arguments jit takes as static (``axis``);
    * ``saves``: what the backward pass keeps, in words; the rest as for :func:`elementwise`.

    The bare derivative is ∂(Σ L)/∂(first argument), from the same closed form.
    """
    core, twin = _pair(values, reduced)

    def declare(front: Callable[..., Any]) -> Callable[..., jax.Array]:
        sig = inspect.signature(front)

        def face(which: str) -> Callable[..., jax.Array]:
            rule = core if which == "vjp" else twin

            def impl(*args: Any, accuracy: str, **kwargs: Any) -> jax.Array:
                st, xs = front(*args, **kwargs)
                return rule(st, *xs)

            return impl

        gradient = first_argument_gradient(functools.partial(face("vjp"), accuracy="default"), sig, front.__name__)
        return publish(front, sig, face, lambda *a, accuracy, **kw: gradient(*a, **kw), gradient.__doc__,
                       kind="loss", formula=formula, derivative_text=derivative_text, kinks=kinks, saves=saves,
                       static=static, probes=probes, reference=reference)

    return declare


def _scaled(p: Partial) -> tuple[jax.Array, float] | None:
    return None if p is None else p if isinstance(p, tuple) else (p, 1)


def _pair(values: Callable, reduced: Callable) -> tuple[Callable, Callable]:
    """The core and its twin. The core keeps, for the differentiated inputs, each distinct
    partial array once, keyed by ``((input, factor), ...)``: the key is static, the array is
    the residual."""

    def jvp(st: Any, xs: tuple, out: jax.Array, ts: tuple) -> jax.Array:
        _, grads = values(st, *xs)
        total = jnp.zeros_like(out)
        for t, p in zip(ts, map(_scaled, grads)):
            if p is None or isinstance(t, SymbolicZero):
                continue
            total = total + jnp.sum(t.astype(p[0].dtype) * (p[1] * p[0]), reduced(st)).astype(out.dtype)
        return total

    def save(st: Any, xs: tuple, out: jax.Array) -> dict:
        _, grads = values(st, *(getattr(x, "value", x) for x in xs))
        kept: dict[int, tuple[jax.Array, list]] = {}
        for i, (x, p) in enumerate(zip(xs, map(_scaled, grads))):
            if p is not None and getattr(x, "perturbed", False):
                kept.setdefault(id(p[0]), (p[0], []))[1].append((i, p[1]))
        return {tuple(uses): array for array, uses in kept.values()}

    n = len(inspect.signature(values).parameters) - 1  # the xs after static

    def vjp(st: Any, res: dict, g: Any) -> tuple:
        outs: list[Any] = [None] * n
        if isinstance(g, SymbolicZero):
            return tuple(outs)
        g = jnp.expand_dims(g.astype(compute_dtype(g.dtype)), reduced(st))
        for uses, array in res.items():
            for i, factor in uses:
                outs[i] = ((factor * g) * array).astype(array.dtype)
        return tuple(outs)

    return custom_pair(lambda st, *xs: values(st, *xs)[0], jvp=jvp, save=save, vjp=vjp, symbolic_zeros=True)
