"""Equinox: ``eqx.nn.MLP(..., activation=jax_act.gelu)`` trains, with gradients equal to jax.nn.gelu's."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jax_act
from jax_act.testing import TOLERANCE

eqx = pytest.importorskip("equinox")

TOL = 8 * TOLERANCE  # eps units (float64), relative above 1, absolute below
EPS = float(np.finfo(np.float64).eps)


def test_eqx_mlp_with_jax_act_gelu_trains_like_jax_nn_gelu():
    rng = np.random.default_rng(0)
    x = jnp.asarray(rng.normal(size=(32, 3)))
    y = jnp.asarray(np.sin(x[:, :1] + x[:, 1:2]) * x[:, 2:])

    def make(activation):
        return eqx.nn.MLP(3, 1, 16, 2, activation=activation, key=jax.random.key(0), dtype=jnp.float64)

    ours, theirs = make(jax_act.gelu), make(jax.nn.gelu)

    def loss(model):
        return jnp.mean((jax.vmap(model)(x) - y) ** 2)

    g_ours, g_theirs = eqx.filter_grad(loss)(ours), eqx.filter_grad(loss)(theirs)
    for a, b in zip(jax.tree.leaves(eqx.filter(g_ours, eqx.is_array)), jax.tree.leaves(eqx.filter(g_theirs, eqx.is_array))):
        err = np.max(np.abs(np.asarray(a) - np.asarray(b)) / (np.abs(np.asarray(b)) + 1))
        assert err <= TOL * EPS, f"{err / EPS:.1f} eps"

    @eqx.filter_jit
    def step(model):
        g = eqx.filter_grad(loss)(model)
        return eqx.apply_updates(model, jax.tree.map(lambda d: -0.1 * d, g))

    first = loss(ours)
    model = ours
    for _ in range(50):
        model = step(model)
    assert loss(model) < 0.7 * first
