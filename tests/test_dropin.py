"""``import jax_act as nn`` (and ``import jax_act.forward_mode as nn``) breaks no code written
for ``jax.nn``: every public jax.nn name resolves, to jax_act's own function or to jax.nn's
object unchanged."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jax_act
import jax_act.forward_mode as fm

JAX_NN = sorted(n for n in dir(jax.nn) if not n.startswith("_"))


@pytest.mark.parametrize("module", [jax_act, fm], ids=["jax_act", "forward_mode"])
@pytest.mark.parametrize("name", JAX_NN)
def test_every_jax_nn_name_resolves(module, name):
    ours, theirs = getattr(module, name), getattr(jax.nn, name)
    if ours is theirs:
        assert name in jax_act.JAX_NN_REEXPORTS
        return
    # jax_act's own: a registered activation with jax.nn's name
    assert name not in jax_act.JAX_NN_REEXPORTS
    act = jax_act.lookup(name)
    assert ours is (act.fn if module is jax_act else act.forward_mode)


def test_reexports_are_listed_and_work():
    assert {"one_hot", "initializers", "standardize", "dot_product_attention"} <= set(jax_act.JAX_NN_REEXPORTS)
    assert set(jax_act.JAX_NN_REEXPORTS) <= set(jax_act.__all__)
    labels = jnp.array([0, 2])
    np.testing.assert_array_equal(jax_act.one_hot(labels, 3), jax.nn.one_hot(labels, 3))
    np.testing.assert_array_equal(fm.one_hot(labels, 3), jax.nn.one_hot(labels, 3))
    init = jax_act.initializers.glorot_uniform()
    assert init(jax.random.key(0), (3, 4)).shape == (3, 4)
    assert set(JAX_NN) <= set(dir(fm))


@pytest.mark.parametrize("module", [jax_act, fm], ids=["jax_act", "forward_mode"])
def test_star_import_brings_every_jax_nn_name(module):
    """``from jax.nn import *`` code keeps working with either module in its place."""
    public = set(getattr(jax.nn, "__all__", JAX_NN))
    scope: dict = {}
    exec(f"from {module.__name__} import *", scope)  # noqa: S102 - the statement under test
    assert public <= set(scope), sorted(public - set(scope))
    assert scope["tanh"] is (jax_act.tanh if module is jax_act else fm.tanh)
