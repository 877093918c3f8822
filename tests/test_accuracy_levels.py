"""The accuracy policy: ``accuracy=`` on every face, the scoped and global defaults, and what
each level computes (the default level: jax.nn's values; the highest: its own kernels)."""

from __future__ import annotations

import inspect

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jax_act
from jax_act._engine import REGISTRY
from jax_act.testing import TOLERANCE

NAMES = list(REGISTRY)
X = jnp.linspace(-3.0, 3.0, 16, dtype=jnp.float32)
# functions whose highest level computes differently from the default in float32
TOL = TOLERANCE / 2 * float(jnp.finfo(jnp.float32).eps)  # where XLA may round a fused expression differently
DIFFERENT = ["tanh", "gelu", "silu", "mish", "quick_gelu", "tanh_shrink", "elu"]


def _call(face, name, x, **kw):
    """``face`` (fn, forward_mode or derivative) of ``name`` on ``x`` with the arguments it needs."""
    act = REGISTRY[name]
    extra = {"prelu": {"negative_slope": 0.25}, "threshold": {"threshold": 0.5, "value": -1.0}}.get(name, {})
    if act.spec.kind == "gated":
        x = jnp.concatenate([x, x])
    lo, hi = act.spec.probes.domain
    x = jnp.clip(x, lo + 0.5, hi - 0.5) if np.isfinite(lo) or np.isfinite(hi) else x
    return getattr(act, face)(x, **extra, **kw)


@pytest.mark.sweep
@pytest.mark.parametrize("face", ["fn", "forward_mode", "derivative"])
@pytest.mark.parametrize("name", NAMES)
def test_every_face_takes_a_keyword_only_accuracy(name, face):
    f = getattr(REGISTRY[name], face)
    p = inspect.signature(f).parameters["accuracy"]
    assert p.kind is inspect.Parameter.KEYWORD_ONLY and p.default is None
    for level in (None, "default", "highest"):
        assert np.all(np.isfinite(np.asarray(_call(face, name, X, accuracy=level), np.float64)))


def test_positional_signatures_stay_jax_nns():
    for name, act in REGISTRY.items():
        nn = getattr(jax.nn, act.spec.jax_nn or "", None)
        if nn is None:
            continue
        ours = [p for p in inspect.signature(act.fn).parameters.values() if p.name != "accuracy"]
        theirs = [p for p in inspect.signature(nn).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        assert [p.name for p in ours[: len(theirs)]] == [p.name for p in theirs], name


@pytest.mark.parametrize("bad,error", [("fast", ValueError), ("HIGHEST", ValueError), (1, TypeError), (True, TypeError)])
def test_a_bad_level_names_the_function_and_the_argument(bad, error):
    with pytest.raises(error, match=r"jax_act\.gelu.*'accuracy'"):
        jax_act.gelu(X, accuracy=bad)
    with pytest.raises(error, match="accuracy"):
        with jax_act.accuracy(bad):
            pass
    with pytest.raises(error, match="set_accuracy.*accuracy"):
        jax_act.set_accuracy(bad)


@pytest.mark.parametrize("name", DIFFERENT)
def test_the_levels_differ_and_the_scope_selects_one(name):
    f = jax_act.get(name)
    x = jnp.linspace(-12.0, 12.0, 4001, dtype=jnp.float32)
    grad = lambda **kw: jax.grad(lambda t: jnp.sum(f(t, **kw)))(x)  # noqa: E731
    lo, hi = grad(accuracy="default"), grad(accuracy="highest")
    assert not np.array_equal(lo, hi)  # otherwise this test could not tell them apart
    np.testing.assert_array_equal(grad(), lo)  # None: the global default, "default"
    with jax_act.accuracy("highest"):
        assert jax_act.get_accuracy() == "highest"
        np.testing.assert_array_equal(grad(), hi)
        with jax_act.accuracy("default"):  # scopes nest
            np.testing.assert_array_equal(grad(), lo)
        np.testing.assert_array_equal(grad(), hi)
    assert jax_act.get_accuracy() == "default"


def test_the_global_setter_and_the_scope_over_it():
    x = jnp.linspace(-5.0, 5.0, 1001, dtype=jnp.float32)
    lo, hi = jax_act.tanh(x, accuracy="default"), jax_act.tanh(x, accuracy="highest")
    try:
        jax_act.set_accuracy("highest")
        np.testing.assert_array_equal(jax_act.tanh(x), hi)
        with jax_act.accuracy("default"):
            np.testing.assert_array_equal(jax_act.tanh(x), lo)
        np.testing.assert_array_equal(jax_act.tanh(x), hi)
    finally:
        jax_act.set_accuracy("default")
    np.testing.assert_array_equal(jax_act.tanh(x), lo)


def test_the_level_is_read_when_a_users_jit_traces():
    """A jitted caller keeps the level of its trace: a later scope does not retrace it."""
    x = jnp.linspace(-5.0, 5.0, 1001, dtype=jnp.float32)
    lo, hi = jax_act.tanh(x, accuracy="default"), jax_act.tanh(x, accuracy="highest")
    traced_default = jax.jit(lambda t: jax_act.tanh(t))
    np.testing.assert_array_equal(traced_default(x), lo)
    with jax_act.accuracy("highest"):
        np.testing.assert_array_equal(traced_default(x), lo)  # the trace is reused
        traced_highest = jax.jit(lambda t: jax_act.tanh(t))
        np.testing.assert_array_equal(traced_highest(x), hi)  # traced here: highest
    np.testing.assert_array_equal(traced_highest(x), hi)


@pytest.mark.parametrize("level", ["default", "highest"])
def test_levels_under_transformations(level):
    """vmap, grad, jacfwd on the twin, checkpoint, scan and the bare derivative agree at a level."""
    x = jnp.linspace(-4.0, 4.0, 24, dtype=jnp.float32).reshape(3, 8)
    f = lambda t: jax_act.gelu(t, accuracy=level)  # noqa: E731
    g = jax.vmap(jax.grad(lambda t: jnp.sum(f(t))))(x)
    np.testing.assert_array_equal(g, jax_act.derivative("gelu")(x, accuracy=level))
    np.testing.assert_array_equal(jax.grad(lambda t: jnp.sum(jax.checkpoint(f)(t)))(x), g)
    twin = lambda t: jax_act.forward_mode.gelu(t, accuracy=level)  # noqa: E731
    _, tangent = jax.jvp(twin, (x,), (jnp.ones_like(x),))
    np.testing.assert_allclose(tangent, g, rtol=0, atol=0)
    _, carried = jax.lax.scan(lambda c, row: (c, jax.grad(lambda t: jnp.sum(f(t)))(row)), 0.0, x)
    np.testing.assert_allclose(carried, g, rtol=TOL, atol=TOL)  # another fusion: an ulp or so
    with jax_act.accuracy(level):
        np.testing.assert_array_equal(jax.vmap(jax.grad(lambda t: jnp.sum(jax_act.gelu(t))))(x), g)


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu", "elu", "silu", "softplus", "glu"])
def test_the_default_level_gives_jax_nns_values(name):
    """The default level evaluates jax.nn's formula: these values are jax.nn's, bit for bit,
    in float32. (gelu and softmax compile to the same formula in another fusion, where XLA
    may contract a multiply-add differently: the kit checks them against the oracle.)"""
    x = jnp.asarray(np.random.default_rng(0).normal(0, 4, 4096), jnp.float32)
    if REGISTRY[name].spec.kind == "gated":
        x = x.reshape(-1, 2)
    np.testing.assert_array_equal(jax_act.get(name)(x), getattr(jax.nn, name)(x))
