"""Model-level memory: a small MLP's compiled training step needs no more temporary memory
with the jax_act activation than with jax.nn's (structure from memory_analysis, not time)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import pytest

import jax_act
from jax_act._engine import REGISTRY

# Shape-preserving activations with a jax.nn counterpart (gated units halve the width).
PAIRS = [
    n for n, a in REGISTRY.items()
    if a.spec.jax_nn and n not in ("glu", "logsumexp", "logmeanexp")
]


def temp_bytes(act, width=256, depth=6, batch=128):
    key = jax.random.PRNGKey(0)
    ws = [jax.random.normal(jax.random.fold_in(key, i), (width, width), jnp.float32) / width**0.5 for i in range(depth)]
    x = jax.random.normal(key, (batch, width), jnp.float32)

    def loss(ws, x):
        for w in ws:
            x = act(x @ w)
        return jnp.sum(x * x)

    compiled = jax.jit(jax.grad(loss)).lower(ws, x).compile()
    return compiled.memory_analysis().temp_size_in_bytes


@pytest.mark.parametrize("name", PAIRS)
def test_mlp_step_temp_memory_not_above_jax_nn(name):
    ours = temp_bytes(jax_act.get(name))
    theirs = temp_bytes(getattr(jax.nn, REGISTRY[name].spec.jax_nn))
    assert ours <= theirs, f"{name}: {ours / 2**20:.2f} MiB vs jax.nn {theirs / 2**20:.2f} MiB"
