"""The engine's public face (``jax_act.engine``) and what every declaration states about itself."""

from __future__ import annotations

import inspect

import jax
import jax.numpy as jnp
import pytest
from jax.custom_derivatives import SymbolicZero

import jax_act
import jax_act.engine as engine
from jax_act._engine import REGISTRY

GATED = {"glu", "swiglu", "geglu", "reglu"}
AXIS_MAPS = {"softmax", "log_softmax", "softmin", "sparsemax", "entmax15"}
REDUCTIONS = {"logsumexp", "logmeanexp"}


def test_the_engine_module_is_what_the_declarations_use():
    from jax_act import _engine

    assert engine.__all__ and all(getattr(engine, n) is getattr(_engine, n) for n in engine.__all__)
    assert engine.elementwise is jax_act.elementwise and engine.along_axis is jax_act.along_axis


@pytest.mark.parametrize("name", list(REGISTRY))
def test_each_kind_is_what_the_function_does(name):
    spec = REGISTRY[name].spec
    want = ("gated" if name in GATED else "axis_map" if name in AXIS_MAPS
            else "reduction" if name in REDUCTIONS else "elementwise")
    assert spec.kind == want
    assert spec.along_axis == (want in ("axis_map", "reduction"))
    params = inspect.signature(REGISTRY[name].fn).parameters
    assert ("axis" in params) == (want != "elementwise")


@pytest.mark.parametrize("name", ["gelu", "softmax", "softmax_cross_entropy"])
def test_public_functions_and_twins_are_found_by_name(name):
    """Each face says where it lives, so pickle (a config holding an activation) finds it."""
    import pickle

    import jax_act.forward_mode.losses
    from jax_act._engine import LOSSES

    entry = REGISTRY.get(name) or LOSSES[name]
    for face in (entry.fn, entry.forward_mode):
        assert pickle.loads(pickle.dumps(face)) is face
    namespace = ".losses" if name in LOSSES else ""
    assert (entry.fn.__module__, entry.forward_mode.__module__) == (
        f"jax_act{namespace}", f"jax_act.forward_mode{namespace}")


def test_custom_pair_twin_gets_symbolic_zeros_for_what_is_not_differentiated():
    """With ``symbolic_zeros``, the twin's JVP sees a SymbolicZero for an input held fixed (not
    a zero array to multiply: a zero times an infinite partial would be NaN)."""
    seen = []

    def jvp(st, xs, out, ts):
        seen.append(tuple(isinstance(t, SymbolicZero) for t in ts))
        return sum(t * p for t, p in zip(ts, (xs[1], xs[0])) if not isinstance(t, SymbolicZero))

    _, twin = engine.custom_pair(lambda st, x, s: x * s, jvp=jvp, save=lambda st, xs, out: None,
                                 vjp=lambda st, res, g: (None, None), symbolic_zeros=True)
    x, s = jnp.float32(2.0), jnp.float32(jnp.inf)
    _, t = jax.jvp(lambda s: twin((), x, s), (s,), (jnp.float32(1.0),))
    assert seen[-1] == (True, False) and t == x
    _, t = jax.jvp(lambda x: twin((), x, s), (x,), (jnp.float32(1.0),))
    assert seen[-1] == (False, True) and t == jnp.inf
