"""The fused output layer's rows of ``jax-act bench``: one SGD step of the output layer and
its loss, fused (each plan, the Pallas kernel on a GPU, fixed chunk sizes) against the unfused
step, with the helpers ``bench/loss_plans.py`` times its chunking table with."""

from __future__ import annotations

import argparse

import jax
import jax.numpy as jnp
import numpy as np

from .timing import Fn, paired


LOSS_SHAPES = {  # (tokens, hidden, vocabulary) per backend: what the machine holds and times
    "cpu": [(4096, 256, 32768), (4096, 512, 32768), (2048, 256, 131072)],
    "gpu": [(n, h, v) for n in (4096, 16384) for h in (512, 1024) for v in (32768, 131072)],
}


def loss_shapes(opt: argparse.Namespace) -> list[tuple[int, int, int]]:
    if opt.losses:
        return [tuple(int(k) for k in s.replace("x", ",").split(",")) for s in opt.losses]
    return LOSS_SHAPES["cpu" if jax.default_backend() == "cpu" else "gpu"]


LOSS_VARIANTS = {  # name -> keyword arguments of the fused loss
    "fast": {}, "lean": dict(chunking="lean"), "pallas": dict(implementation="pallas"),
}


def loss_variants(opt: argparse.Namespace) -> dict[str, dict]:
    """The fused loss's variants timed here, name -> keyword arguments: both plans; the Pallas
    kernel on a GPU (elsewhere it runs interpreted, which times the interpreter); each
    ``--loss-chunks`` size as a fixed ``chunk_size`` (the chunking table)."""
    names = ["fast", "lean"] + (["pallas"] if jax.default_backend() == "gpu" else [])
    return {name: variant_keywords(name) for name in [*names, *(getattr(opt, "loss_chunks", None) or [])]}


def variant_keywords(name: str) -> dict:
    """A fused-loss variant's keyword arguments: a named one (:data:`LOSS_VARIANTS`), or a
    fixed ``chunk_size``, ``"T"`` tokens or ``"T,VC"`` tokens and vocabulary columns."""
    if name in LOSS_VARIANTS:
        return LOSS_VARIANTS[name]
    return dict(chunk_size=tuple(int(k) for k in name.split(",")) if "," in name else int(name))


def loss_row(shape: tuple[int, int, int], dtype: str, opt: argparse.Namespace) -> dict:
    """One SGD step of the output layer and its loss, fused
    (``losses.linear_softmax_cross_entropy_with_integer_labels``, each of
    :func:`loss_variants`) against the unfused step: ``hidden @ weight`` with float32
    accumulation → ``optax.softmax_cross_entropy_with_integer_labels`` → mean (jax_act's own
    unfused loss when optax is absent). Paired step time, temp and peak bytes, and the plan."""
    from .. import losses

    n, h, v = shape
    x, w, y = loss_inputs(shape, dtype)
    base = unfused_step(y)
    out = dict(name="linear_softmax_cross_entropy_with_integer_labels", dtype=dtype, tokens=n, hidden=h, vocab=v,
               base_memory=step_memory(base, x, w), variants={})
    for name, kw in loss_variants(opt).items():
        step = loss_step(lambda x, w, kw=kw: losses.linear_softmax_cross_entropy_with_integer_labels(x, w, y, **kw))
        p = losses.linear_softmax_cross_entropy_plan(n, h, v, dtype, **{k: a for k, a in kw.items() if k != "implementation"})
        out["variants"][name] = dict(
            plan=dict(tokens=p.tokens, vocab=p.vocab, chunks=p.chunks, why=p.why, predicted_s=p.seconds),
            step=paired(step, base, [(x, w)], opt.budget, opt.max_samples), memory=step_memory(step, x, w))
    return out


def loss_inputs(shape: tuple[int, int, int], dtype: str) -> tuple[jax.Array, jax.Array, jax.Array]:
    """``(hidden, weight, labels)`` for ``shape`` = (tokens, hidden, vocabulary), seeded."""
    n, h, v = shape
    rng = np.random.default_rng(0)
    x = jnp.asarray(rng.normal(size=(n, h)), dtype)
    w = jnp.asarray(rng.normal(size=(h, v)) / np.sqrt(h), dtype)
    return x, w, jnp.asarray(rng.integers(0, v, n), jnp.int32)


def unfused_step(y: jax.Array) -> Fn:
    """The baseline step: ``hidden @ weight`` with float32 accumulation →
    ``optax.softmax_cross_entropy_with_integer_labels`` (jax_act's own when optax is absent)
    → mean."""
    try:
        import optax

        integer_ce = optax.softmax_cross_entropy_with_integer_labels
    except ImportError:
        from ..losses import softmax_cross_entropy_with_integer_labels as integer_ce

    return loss_step(lambda x, w: jnp.mean(integer_ce(jnp.dot(x, w, preferred_element_type=jnp.float32), y)))


def loss_step(loss: Fn) -> Fn:
    """One jitted SGD step of ``loss(hidden, weight)``: its value and both updated arrays."""
    @jax.jit
    def f(x, w):
        val, (gx, gw) = jax.value_and_grad(loss, (0, 1))(x, w)
        return val, x - 0.1 * gx, w - 0.1 * gw
    return f


def step_memory(f: Fn, x: jax.Array, w: jax.Array) -> dict:
    m = f.lower(x, w).compile().memory_analysis()
    if m is None:
        return {}
    # peak: everything the step holds at once, arguments and outputs included
    peak = m.argument_size_in_bytes + m.output_size_in_bytes + m.temp_size_in_bytes - m.alias_size_in_bytes
    return dict(temp_bytes=m.temp_size_in_bytes, peak_bytes=peak)


def loss_table(rows: list[dict]) -> list[str]:
    lines = ["", "Output layer + loss, one SGD step: fused linear_softmax_cross_entropy_with_integer_labels (fast: the "
             "default plan; lean; pallas: the kernel) vs hidden @ weight (float32 accumulation) → optax → mean; "
             "ratio = median paired fused/unfused step time",
             f"{'dtype':<10}{'tokens':>7}{'hidden':>7}{'vocab':>8}{'variant':>11}{'plan':>14}{'fused ms':>10}"
             f"{'unfused ms':>11}{'ratio':>7}{'temp MiB fused':>16}{'unfused':>9}{'share':>7}"]
    for r in rows:
        mb = r.get("base_memory", {})
        for name, var in r.get("variants", {}).items():
            mo, st, p = var["memory"], var["step"], var["plan"]
            plan = f"{p['chunks']}x{p['tokens']}x{p['vocab']}" if name != "pallas" else "tiles"
            share = mo.get("temp_bytes", 0) / max(mb.get("temp_bytes", 1), 1)
            lines.append(
                f"{r['dtype']:<10}{r['tokens']:>7}{r['hidden']:>7}{r['vocab']:>8}{name:>11}{plan:>14}"
                f"{st['ours']['median'] * 1e3:>10.1f}{st['base']['median'] * 1e3:>11.1f}{st['ratio']['median']:>7.2f}"
                f"{mo.get('temp_bytes', 0) / 2**20:>16.1f}{mb.get('temp_bytes', 0) / 2**20:>9.1f}{share:>7.3f}")
    return lines


