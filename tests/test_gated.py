"""Gated units (glu, swiglu, geglu, reglu): a ⊙ act(b) over halves split along an axis.

Oracles: jax.nn.glu, and ``a * jax.nn.<act>(b)`` in float64 under autodiff; finite
differences in float64. Inputs are rounded to the dtype under test first. One tolerance
rule: ``|actual − expected| ≤ FACTOR · eps(dtype) · max(1, max|expected|)``.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.test_util import check_grads

import jax_act
from jax_act._compat import saved_residuals

from _helpers import DTYPES, F64, assert_close, sample, vjp_of

sample = functools.partial(sample, scale=2.0)


def _unit(act):
    def oracle(x, axis=-1, **opts):
        a, b = jnp.split(x, 2, axis)
        return a * act(b, **opts)

    return oracle


ORACLES = {
    "glu": jax.nn.glu,
    "swiglu": _unit(jax.nn.silu),
    "geglu": _unit(jax.nn.gelu),
    "reglu": _unit(jax.nn.relu),
}
CASES = [("glu", {}), ("swiglu", {}), ("geglu", {}), ("geglu", {"approximate": False}), ("reglu", {})]
IDS = ["glu", "swiglu", "geglu-tanh", "geglu-erf", "reglu"]


@pytest.mark.sweep
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,opts", CASES, ids=IDS)
def test_values_and_vjp_in_float64(name, opts, dtype):
    x, x64 = sample((3, 8), dtype)
    g, g64 = sample((3, 4), dtype, seed=1, scale=1.0)
    y, dx = vjp_of(lambda x: jax_act.get(name)(x, **opts), x, g)
    y64, dx64 = vjp_of(lambda x: ORACLES[name](x, **opts), x64, g64)
    assert y.dtype == dx.dtype == dtype
    assert_close(y, y64, dtype)
    assert_close(dx, dx64, dtype)


@pytest.mark.sweep
@pytest.mark.parametrize("axis", [0, 1, -1])
@pytest.mark.parametrize("name,opts", CASES, ids=IDS)
def test_split_axis(name, opts, axis):
    x, _ = sample((4, 2, 6), F64)
    g, _ = sample(ORACLES[name](x, axis=axis, **opts).shape, F64, seed=1)
    y, dx = vjp_of(lambda x: jax_act.get(name)(x, axis=axis, **opts), x, g)
    y64, dx64 = vjp_of(lambda x: ORACLES[name](x, axis=axis, **opts), x, g)
    assert_close(y, y64, F64)
    assert_close(dx, dx64, F64)


def test_glu_is_jax_nn_glu_in_float32():
    x, _ = sample((4, 6), jnp.float32)
    assert_close(jax_act.glu(x), jax.nn.glu(x), jnp.float32, factor=2)
    assert_close(jax_act.glu(x, axis=0), jax.nn.glu(x, axis=0), jnp.float32, factor=2)
    ints = jnp.arange(8, dtype=jnp.int32).reshape(2, 4)
    # jax.nn.glu refuses integers (lax.logistic); here they promote as jax.nn.sigmoid's do
    assert jax_act.glu(ints).dtype == jax.nn.softmax(ints).dtype  # jax.nn: int32 → float32
    assert_close(jax_act.glu(ints), jax.nn.glu(ints.astype(F64)), jnp.float32)


@pytest.mark.sweep
@pytest.mark.parametrize("name,opts", CASES, ids=IDS)
def test_finite_differences_float64(name, opts):
    x, _ = sample((2, 6), F64)
    order = 1 if name == "reglu" else 2  # reglu is piecewise linear in b
    check_grads(lambda x: jax_act.get(name)(x, **opts), (x,), order=order, modes=["rev"])
    check_grads(lambda x: jax_act.forward_mode.get(name)(x, **opts), (x,), order=order, modes=["fwd"])


@pytest.mark.parametrize("name,opts", CASES, ids=IDS)
def test_forward_twin_and_derivative(name, opts):
    x, _ = sample((2, 6), F64)
    full = jax.jacrev(lambda x: ORACLES[name](x, **opts))(x)  # (2, 3, 2, 6)
    assert_close(jax.jacfwd(lambda x: jax_act.forward_mode.get(name)(x, **opts))(x), full, F64)
    # jax_act.derivative: x's shape, [∂out_i/∂a_i | ∂out_i/∂b_i] (the Jacobian's only nonzeros)
    d = jax_act.derivative(name)(x, **opts)
    rows, cols = np.arange(2)[:, None], np.arange(3)[None, :]
    expected = np.concatenate([full[rows, cols, rows, cols], full[rows, cols, rows, cols + 3]], -1)
    assert d.shape == x.shape
    assert_close(d, expected, F64)


@pytest.mark.parametrize("name,opts", CASES, ids=IDS)
def test_saves_only_the_input(name, opts):
    for dtype in (jnp.float16, jnp.float32):
        x, _ = sample((3, 8), dtype)
        saved = saved_residuals(lambda x: jax_act.get(name)(x, **opts), x)
        # one array of x's shape and dtype (x itself, through the engine's optimization
        # barrier, so the listing may name the barrier's output rather than the argument)
        assert [(a.shape, a.dtype) for a, _ in saved] == [(x.shape, dtype)], saved


def test_reglu_kink_and_geglu_extremes():
    x = jnp.array([3.0, -2.0, 0.0, 1.0], F64)  # b = 0 and b = 1: ∂/∂b at b = 0 is 0
    assert_close(jax.grad(lambda x: jax_act.reglu(x).sum())(x), [0.0, 1.0, 0.0, -2.0], F64)
    for dtype in (jnp.float16, jnp.float32, jnp.float64):
        big = float(jnp.finfo(dtype).max)
        x = jnp.array([1.0, 1.0, 1.0, 1.0, big, -big, 1e4, -1e4], dtype)
        for opts in ({}, {"approximate": False}):
            y, dx = vjp_of(lambda x: jax_act.geglu(x, **opts), x, jnp.ones((4,), dtype))
            assert_close(y[::2], [big, 1e4], dtype)  # gelu(b) → b
            assert_close(y[1::2], [0.0, 0.0], dtype)  # gelu(b) → 0
            assert_close(dx[:4:2], [big, 1e4], dtype)  # ∂/∂a = gelu(b)
            assert_close(dx[1:4:2], [0.0, 0.0], dtype)
            assert_close(dx[4:], [1.0, 0.0, 1.0, 0.0], dtype)  # ∂/∂b = a gelu'(b), no inf·0


@pytest.mark.parametrize("name", ["glu", "swiglu", "geglu", "reglu"])
def test_clear_errors(name):
    f = jax_act.get(name)
    with pytest.raises(ValueError, match=rf"jax_act\.{name}: argument 'x' has size 5 along axis 1.*even"):
        f(jnp.ones((2, 5)))
    with pytest.raises(ValueError, match=rf"jax_act\.{name}: axis 2 is out of range"):
        f(jnp.ones((2, 4)), axis=2)
    for bad in (None, (0, 1), 1.0):
        with pytest.raises(TypeError, match=rf"jax_act\.{name}: argument 'axis'"):
            f(jnp.ones((2, 4)), axis=bad)
    with pytest.raises(TypeError, match=rf"jax_act\.{name}: argument 'x'"):
        f("abc")


@pytest.mark.parametrize("name", ["glu", "swiglu", "geglu", "reglu"])
def test_registry_and_docstring(name):
    f = jax_act.get(name)
    assert f is getattr(jax_act, name) and name in jax_act.names()
    assert jax_act.spec(name).saves == "input"
    assert "gate" in f.__doc__
