"""The compiled programs of a check, one compile per row and kind: the rule's values, VJPs,
JVPs and second derivatives in one program; the oracle with its sensitivity to rounding; the
finite differences."""

from __future__ import annotations

from typing import Any, Callable

import jax
import jax.numpy as jnp

from .arguments import Arguments
from .bounds import bounded

Flat = Callable[[tuple, tuple], tuple]  # (float leaves, other traced leaves) -> float outputs


def flat(a: Arguments, f: Callable, outputs: list[int] | None) -> Flat:
    """``f`` as a function of the float leaves and the other traced leaves, returning the
    output leaves numbered ``outputs`` (None: every leaf)."""
    fpos = [i for i, leaf in enumerate(a.leaves) if leaf.role == "float"]
    opos = [i for i, leaf in enumerate(a.leaves) if leaf.role != "float"]

    def g(xs: tuple, others: tuple) -> tuple:
        values: list[Any] = [None] * len(a.leaves)
        for p, x in zip(fpos, xs):
            values[p] = x
        for p, o in zip(opos, others):
            values[p] = o
        leaves = jax.tree_util.tree_leaves(a.call(f, values))
        return tuple(leaves) if outputs is None else tuple(leaves[k] for k in outputs)

    return g


def _only(like: tuple, at: int, value: jax.Array) -> tuple:
    """``value`` at position ``at``, zeros elsewhere (one output's cotangent, one input's tangent)."""
    return tuple(value if i == at else jnp.zeros_like(x) for i, x in enumerate(like))


def measure(rev: Flat, fwd: Flat | None) -> Callable[..., dict]:
    """``run(xs, others, cts, ts, ws)``: the values; the VJP of each cotangent ``cts[(k, s)]``
    (output k alone); the JVP of each tangent ``ts[(j, s)]`` (input j alone), through ``fwd``;
    and, for each ``ws[(k, s)]``, the gradient of ⟨VJP(cts[(k, s)]), w⟩ (second order)."""

    def run(xs: tuple, others: tuple, cts: dict, ts: dict, ws: dict) -> dict:
        ys, pull = jax.vjp(lambda *xs: rev(xs, others), *xs)
        res: dict = {("value",): ys}
        for key, ct in cts.items():
            res[("vjp", *key)] = pull(_only(ys, key[0], ct))
        for key, t in ts.items():
            res[("jvp", *key)] = jax.jvp(lambda *xs: fwd(xs, others), xs, _only(xs, key[0], t))[1]
        for key, w in ws.items():
            def inner(*xs: jax.Array, key: tuple = key, w: tuple = w) -> jax.Array:
                y, p = jax.vjp(lambda *xs: rev(xs, others), *xs)
                return sum(jnp.vdot(a, b.astype(a.dtype)) for a, b in zip(p(_only(y, key[0], cts[key])), w))

            res[("second order", *key)] = jax.grad(inner, argnums=tuple(range(len(xs))))(*xs)
        return res

    return run


def oracle(run: Callable[..., dict]) -> Callable[..., tuple[dict, dict, dict, dict]]:
    """``(want, marks, magnitudes, sensitivity)``: ``run`` at the inputs; where an overflow or
    underflow inside it reached a result (no oracle there) and the size of the terms each
    result was summed from (:mod:`.bounds`); and the largest change of each result entry when
    every input (leaves, cotangents, tangents) moves by ± one of the ``directions``, each a
    perturbation the size of rounding the input to its dtype: the error rounding the inputs
    forces on any evaluation, and the oracle's own rounding noise besides."""

    def go(inputs: tuple, others: tuple, directions: tuple) -> tuple[dict, dict, dict, dict]:
        want, marks, mags = bounded(lambda inp: run(inp[0], others, *inp[1:]), inputs)
        moved = [jax.tree_util.tree_map(lambda x, d, s=s: x + s * d, inputs, d) for d in directions for s in (1.0, -1.0)]
        stacked = jax.tree_util.tree_map(lambda *a: jnp.stack(a), *moved)
        outs = jax.lax.map(lambda inp: run(inp[0], others, *inp[1:]), stacked)
        sens = jax.tree_util.tree_map(lambda o, w: jnp.max(jnp.abs(o - w), 0), outs, want)
        return want, marks, mags, sens

    return go


def differences(rev: Flat) -> Callable[..., tuple[jax.Array, jax.Array]]:
    """``(phi, size)`` at each step: φ_k = ⟨ct_k, f_k(x + c·v)⟩ with leaf ``j`` alone moved
    along its direction ``vs[j]`` by ``c``, and Σ|ct_k·f_k|, for every (j, c) pair."""

    def go(xs: tuple, others: tuple, cts: tuple, vs: tuple, js: jax.Array, cs: jax.Array):
        def one(jc: tuple) -> tuple[jax.Array, jax.Array]:
            j, c = jc
            moved = tuple(x + jnp.where(j == i, c, 0.0).astype(x.dtype) * v for i, (x, v) in enumerate(zip(xs, vs)))
            ys = rev(moved, others)
            return (jnp.stack([jnp.vdot(ct, y) for ct, y in zip(cts, ys)]),
                    jnp.stack([jnp.sum(jnp.abs(ct * y)) for ct, y in zip(cts, ys)]))

        return jax.lax.map(one, (js, cs))

    return go
