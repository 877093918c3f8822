"""Every registered activation through the differential-testing kit, in all four dtypes.

This is the test-suite form of ``jax-act check``: values and VJPs against the plain formula
in float64, finite differences (float64, the forward twin in both modes), jax.nn where it has
the function (kinks included), edge inputs, and bytes kept for the backward pass.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jax_act
from jax_act import testing
from jax_act._compat import saved_residuals
from jax_act._engine import REGISTRY

NAMES = list(REGISTRY)


@pytest.mark.parametrize("name", NAMES)
def test_kit_passes(name):
    """Everything but finite differences (tests/test_transformations.py runs check_grads on
    every forward twin in the default run; the kit's own pass is in the slow set)."""
    rows = testing.check_activation(name, finite_differences=False)
    assert all(r.passed for r in rows), "\n" + testing.format_rows(rows)


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_kit_passes_with_finite_differences(name):
    rows = testing.check_activation(name, dtypes=("float64",))
    assert all(r.passed for r in rows), "\n" + testing.format_rows(rows)


@pytest.mark.parametrize("name", NAMES)
def test_registered_faces(name):
    act = REGISTRY[name]
    assert jax_act.get(name) is act.fn
    assert getattr(jax_act.forward_mode, name) is act.forward_mode
    assert jax_act.derivative(name) is act.derivative
    assert name in jax_act.__all__ and getattr(jax_act, name) is act.fn
    for alias in act.spec.aliases:
        assert jax_act.get(alias) is act.fn and getattr(jax_act, alias) is act.fn
    assert act.fn.__doc__ and ".. math::" in act.fn.__doc__, "docstring with the math"


@pytest.mark.parametrize("name", [n for n in NAMES if REGISTRY[n].spec.kind == "elementwise"])
def test_elementwise_saves_what_it_declares(name):
    """One array of x's shape (scalar parameters aside): the output where declared so."""
    act = REGISTRY[name]
    x = jnp.linspace(-3.0, 3.0, 64, dtype=jnp.float32)
    params = act.spec.test_params[0]
    res = [(a, why) for a, why in saved_residuals(lambda x: act.fn(x, **params), x) if a.size > 1]
    if name == "identity":  # nothing to keep: the derivative is 1
        assert res == []
        return
    assert len(res) == 1, res
    (aval, why), = res
    assert aval.shape == x.shape
    if act.spec.saves == "output":
        assert why.startswith("output of"), why
    elif act.spec.saves == "input":  # x, through an optimization barrier (see the engine)
        assert aval.dtype == x.dtype, why
    else:  # a declared mask or code: one byte
        assert aval.dtype.itemsize == 1, aval


@pytest.mark.slow  # tests/test_transformations.py covers the twins in the default run
@pytest.mark.parametrize("name", [n for n in NAMES if REGISTRY[n].spec.kind == "elementwise"])
def test_elementwise_forward_twin_and_derivative(name):
    """jvp, jacfwd and linearize of the twin, and the bare derivative, equal jax.grad of the
    public function (away from kinks)."""
    act = REGISTRY[name]
    lo, hi = max(act.spec.domain[0], -4.0), min(act.spec.domain[1], 4.0)
    x = jnp.linspace(lo, hi, 17, dtype=jnp.float64)[1:-1] + 0.0123
    params = act.spec.test_params[0]
    fn, twin = (lambda x: act.fn(x, **params)), (lambda x: act.forward_mode(x, **params))
    rev = jax.vmap(jax.grad(fn))(x)
    _, fwd = jax.jvp(twin, (x,), (jnp.ones_like(x),))
    _, lin = jax.linearize(twin, x)
    jac = jax.vmap(jax.jacfwd(twin))(x)
    tol = dict(rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(fwd, rev, **tol)
    np.testing.assert_allclose(lin(jnp.ones_like(x)), rev, **tol)
    np.testing.assert_allclose(jac, rev, **tol)
    np.testing.assert_allclose(act.derivative(x, **params), rev, **tol)
    oracle = jax.vmap(jax.grad(lambda x: act.reference(x, **params)))(x)
    np.testing.assert_allclose(oracle, rev, rtol=1e-9, atol=1e-12)


def test_unknown_name_suggests_close_matches():
    with pytest.raises(ValueError, match="sigmoid"):
        jax_act.get("sigmod")
