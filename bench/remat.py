"""Compiled training-step temp bytes under jax.checkpoint policies: jax_act against jax.nn.

Two models: the scan-over-layers pre-LN transformer of jax_act.tools.models (each layer under
jax.checkpoint), and a Flax NNX stack of MLP blocks under nnx.remat. Policies: none (no
remat), save_only_these_names("jax_act.<name>") (for jax.nn the same array named by hand:
the input of an input-saving function, the output of an output-saving one),
nothing_saveable, dots_saveable. Structure from memory_analysis(), not time.

Usage: python bench/remat.py [--out bench/results/cpu-remat]  (writes .json and .txt)
"""

from __future__ import annotations

import argparse
import json

import jax
import jax.numpy as jnp
from jax.ad_checkpoint import checkpoint_name

import jax_act
from jax_act._engine import REGISTRY
from jax_act.tools import models

P = jax.checkpoint_policies
ACTIVATIONS = ["gelu", "silu", "relu", "tanh", "sigmoid", "softmax"]
SHAPES = [models.SHAPES[2], models.SHAPES[3]]


def policies(name: str) -> dict:
    return {"none": None, "named": P.save_only_these_names(name), "nothing_saveable": P.nothing_saveable,
            "dots_saveable": P.dots_saveable}


def keeps_input(name: str, dtype: str) -> bool:
    rules = REGISTRY[name].rules
    return bool(rules and rules["default"].keeps_input(jnp.dtype(dtype)))


def named_by_hand(f, name: str, at_input: bool):
    """jax.nn's ``f`` with its input or its output named ``name``."""
    if at_input:
        return lambda h, **kw: f(checkpoint_name(h, name), **kw)
    return lambda h, **kw: checkpoint_name(f(h, **kw), name)


def transformer_row(shape, dtype: str, act: str, policy: str) -> dict:
    name = f"jax_act.{act}"
    pol = policies(name)[policy]
    theirs = jax.nn.softmax if act == "softmax" else getattr(jax.nn, act)
    if policy == "named":
        theirs = named_by_hand(theirs, name, keeps_input(act, dtype))
    if act == "softmax":  # in the attention; the MLP's activation relu on both sides
        ours_step = models.build(shape, jax_act.relu, dtype, softmax=jax_act.softmax, remat=pol)
        base_step = models.build(shape, jax.nn.relu, dtype, softmax=theirs, remat=pol)
    else:
        ours_step = models.build(shape, getattr(jax_act, act), dtype, remat=pol)
        base_step = models.build(shape, theirs, dtype, remat=pol)
    return dict(model=shape.label + " (scan)", dtype=dtype, activation=act, policy=policy,
                ours=models.temp_bytes(*ours_step), jax_nn=models.temp_bytes(*base_step))


def nnx_row(dtype: str, act: str, policy: str, d: int = 256, depth: int = 3, batch: int = 2048) -> dict:
    from flax import nnx

    name = f"jax_act.{act}"
    pol = policies(name)[policy]

    class Block(nnx.Module):
        def __init__(self, f, rngs):
            self.norm = nnx.LayerNorm(d, rngs=rngs, param_dtype=dtype, dtype=dtype)
            self.up = nnx.Linear(d, 4 * d, rngs=rngs, param_dtype=dtype, dtype=dtype)
            self.down = nnx.Linear(4 * d, d, rngs=rngs, param_dtype=dtype, dtype=dtype)
            self.f = f

        def __call__(self, h):
            return h + self.down(self.f(self.up(self.norm(h))))

    def temp(f) -> int:
        blocks = nnx.List([Block(f, nnx.Rngs(i)) for i in range(depth)])
        x, t = jnp.ones((batch, d), dtype), jnp.zeros((batch, d), dtype)
        graphdef, state = nnx.split(blocks)

        def loss(state):
            h = x
            for b in nnx.merge(graphdef, state):
                h = nnx.remat(lambda b, h: b(h), policy=pol)(b, h) if pol is not None else b(h)
            return jnp.mean(jnp.square((h - t).astype(jnp.float32)))

        def step(state):
            return jax.tree.map(lambda p, g: p - (0.01 * g).astype(p.dtype), state, jax.grad(loss)(state))

        return jax.jit(step).lower(state).compile().memory_analysis().temp_size_in_bytes

    theirs = getattr(jax.nn, act)
    if policy == "named":
        theirs = named_by_hand(theirs, name, keeps_input(act, dtype))
    return dict(model=f"nnx mlp blocks b{batch} d{d} L{depth} (nnx.remat)", dtype=dtype, activation=act,
                policy=policy, ours=temp(getattr(jax_act, act)), jax_nn=temp(theirs))


def rows() -> list[dict]:
    out = []
    for dtype in ("float32", "bfloat16"):
        for act in ACTIVATIONS:
            for policy in policies("").keys():
                out += [transformer_row(shape, dtype, act, policy) for shape in SHAPES]
                if act != "softmax":
                    out.append(nnx_row(dtype, act, policy))
                print(f"{dtype} {act} {policy}", flush=True)
    return out


def table(rs: list[dict]) -> str:
    lines = [f"jax {jax.__version__}, {jax.devices()[0].platform}: compiled step temp MiB under jax.checkpoint policies "
             "(named: jax_act's own names; jax.nn's same array named by hand)",
             f"{'model':<44}{'dtype':<10}{'activation':<11}{'policy':<18}{'jax_act':>9}{'jax.nn':>9}{'ratio':>7}"]
    for r in rs:
        lines.append(f"{r['model']:<44}{r['dtype']:<10}{r['activation']:<11}{r['policy']:<18}"
                     f"{r['ours'] / 2**20:>9.2f}{r['jax_nn'] / 2**20:>9.2f}{r['ours'] / r['jax_nn']:>7.3f}")
    worse = [r for r in rs if r["ours"] > r["jax_nn"]]
    lines.append(f"rows above jax.nn: {len(worse)} of {len(rs)}"
                 + "".join(f"\n  {r['model']} {r['dtype']} {r['activation']} {r['policy']}: "
                           f"+{(r['ours'] - r['jax_nn']) / 2**20:.2f} MiB" for r in worse))
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="jax_act_bench/remat")
    args = parser.parse_args()
    result = rows()
    with open(args.out + ".json", "w") as f:
        json.dump(dict(jax=jax.__version__, backend=jax.default_backend(), rows=result), f, indent=1)
    text = table(result)
    with open(args.out + ".txt", "w") as f:
        f.write(text + "\n")
    print(text)
