"""Sparse probability maps: sparsemax and entmax-1.5.

Oracles, independent of the implementation: numpy float64 references, row by row, that sort
and then pick the support by its consistency condition (the top k entries exceed τ and the
(k+1)-th does not), themselves checked against bisection on τ; central differences of those
references; ``jax.test_util.check_grads`` in float64. Inputs are rounded to the dtype under
test first. One tolerance rule: ``|actual − expected| ≤ FACTOR · eps(dtype) · max(1, max|expected|)``.
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
from jax_act._engine import lookup

from _helpers import DTYPES, F64, assert_close, sample, vjp_of

sample = functools.partial(sample, scale=1.5)
NAMES = ["sparsemax", "entmax15"]


# --------------------------------------------------------------------------- numpy references


def np_sparsemax_row(z: np.ndarray) -> np.ndarray:
    z = np.asarray(z, np.float64)
    u = np.sort(z[np.isfinite(z)])[::-1]
    if u.size == 0:
        return np.zeros_like(z)
    for k in range(1, u.size + 1):
        tau = (u[:k].sum() - 1) / k
        if u[k - 1] > tau and (k == u.size or u[k] <= tau):
            break
    return np.where(np.isfinite(z), np.maximum(z - tau, 0), 0.0)


def np_entmax15_row(z: np.ndarray) -> np.ndarray:
    z = np.asarray(z, np.float64) / 2
    u = np.sort(z[np.isfinite(z)])[::-1]
    if u.size == 0:
        return np.zeros_like(z)
    for k in range(1, u.size + 1):  # Σ_{j≤k} (u_j − τ)² = 1: the smaller root
        s1, s2 = u[:k].sum(), (u[:k] ** 2).sum()
        disc = s1 * s1 - k * (s2 - 1)
        if disc < 0:
            continue
        tau = (s1 - np.sqrt(disc)) / k
        if u[k - 1] > tau and (k == u.size or u[k] <= tau):
            break
    return np.where(np.isfinite(z), np.maximum(z - tau, 0) ** 2, 0.0)


NP_ROWS = {"sparsemax": np_sparsemax_row, "entmax15": np_entmax15_row}


def np_ref(name: str, x, axis=-1) -> np.ndarray:
    """The numpy reference along ``axis`` (int, tuple or None), row by row."""
    x = np.asarray(jnp.asarray(x).astype(F64))
    axes = tuple(range(x.ndim)) if axis is None else tuple(a % x.ndim for a in np.atleast_1d(axis))
    rest = [a for a in range(x.ndim) if a not in axes]
    xt = np.transpose(x, (*rest, *axes))
    flat = xt.reshape(-1, int(np.prod([x.shape[a] for a in axes])))
    out = np.stack([NP_ROWS[name](r) for r in flat]).reshape(xt.shape)
    return np.transpose(out, np.argsort((*rest, *axes)))


def np_vjp_fd(name: str, x, g, h=1e-6) -> np.ndarray:
    """gᵀJ along the last axis by central differences of the numpy reference."""
    x, g = np.asarray(x, np.float64), np.asarray(g, np.float64)
    out = np.zeros_like(x)
    for j in range(x.shape[-1]):
        e = np.zeros(x.shape[-1])
        e[j] = h
        d = (np_ref(name, x + e) - np_ref(name, x - e)) / (2 * h)
        out[..., j] = np.sum(g * d, -1)
    return out


def test_numpy_references_agree_with_bisection():
    rng = np.random.default_rng(7)
    for _ in range(20):
        z = rng.standard_normal(9) * rng.choice([0.1, 1.0, 5.0])
        for name, power, scale in (("sparsemax", 1, 1.0), ("entmax15", 2, 0.5)):
            lo, hi = z.max() * scale - 1, z.max() * scale
            for _ in range(200):
                mid = (lo + hi) / 2
                lo, hi = (mid, hi) if np.sum(np.maximum(z * scale - mid, 0) ** power) > 1 else (lo, mid)
            np.testing.assert_allclose(NP_ROWS[name](z), np.maximum(z * scale - lo, 0) ** power, atol=1e-14)


# --------------------------------------------------------------------------- helpers


# --------------------------------------------------------------------------- values, gradients


@pytest.mark.sweep
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", NAMES)
def test_values_and_vjp(name, dtype):
    x, x64 = sample((5, 8), dtype)
    g, g64 = sample((5, 8), dtype, seed=1, scale=1.0)
    y, dx = vjp_of(jax_act.get(name), x, g)
    assert y.dtype == dx.dtype == dtype
    expected = np_ref(name, x64)
    assert 0 < np.sum(expected == 0) < expected.size, "the sample exercises sparsity"
    assert_close(y, expected, dtype)
    assert np.all(np.asarray(y.astype(F64))[expected == 0] == 0), "exact zeros off the support"
    assert_close(jnp.sum(y.astype(F64), -1), np.ones(5), dtype)
    if dtype == F64:  # autodiff of the plain sort-based formula
        _, dx64 = vjp_of(lookup(name).reference, x64, g64)
    else:  # central differences of the numpy reference
        dx64 = np_vjp_fd(name, x64, g64)
    assert_close(dx, dx64, dtype)


@pytest.mark.sweep
@pytest.mark.parametrize("name", NAMES)
def test_finite_differences_float64(name):
    x, _ = sample((3, 6), F64)
    order = 1 if name == "sparsemax" else 2  # sparsemax is piecewise linear; entmax-1.5 C¹
    check_grads(jax_act.get(name), (x,), order=order, modes=["rev"])
    check_grads(jax_act.forward_mode.get(name), (x,), order=order, modes=["fwd"])


@pytest.mark.sweep
@pytest.mark.parametrize("axis", [0, (2, 0), None])
@pytest.mark.parametrize("name", NAMES)
def test_axis_int_tuple_none(name, axis):
    x, _ = sample((3, 2, 4), F64)
    assert_close(jax_act.get(name)(x, axis=axis), np_ref(name, x, axis), F64)
    g, _ = sample(x.shape, F64, seed=1)
    _, dx = vjp_of(lambda x: jax_act.get(name)(x, axis=axis), x, g)
    _, dx64 = vjp_of(lambda x: lookup(name).reference(x, axis=axis), x, g)
    assert_close(dx, dx64, F64)


@pytest.mark.sweep
@pytest.mark.parametrize("name", NAMES)
def test_forward_twin_and_jacobian(name):
    x, _ = sample((2, 3, 4), F64)
    full = jax.jacrev(lambda x: lookup(name).reference(x, axis=-1))(x)
    assert_close(jax.jacfwd(jax_act.forward_mode.get(name))(x), full, F64)
    jac = jax_act.derivative(name)(x)  # batch + (n, n)
    expected = np.stack([[full[i, j, :, i, j, :] for j in range(3)] for i in range(2)])
    assert jac.shape == (2, 3, 4, 4)
    assert_close(jac, expected, F64)
    t, _ = sample(x.shape, F64, seed=3)
    _, ty = jax.jvp(jax_act.forward_mode.get(name), (x,), (t,))
    assert_close(ty, np.einsum("abcdef,def->abc", full, t), F64)


# --------------------------------------------------------------------------- edges


@pytest.mark.sweep
@pytest.mark.parametrize("dtype", [jnp.float16, jnp.float32, jnp.float64])
@pytest.mark.parametrize("name", NAMES)
def test_where_minus_inf_and_empty_rows(name, dtype):
    x, x64 = sample((3, 6), dtype)
    where = np.array([[1, 1, 0, 1, 0, 1], [0] * 6, [1] * 6], bool)
    g, _ = sample((3, 6), dtype, seed=2, scale=1.0)
    y, dx = vjp_of(lambda x: jax_act.get(name)(x, where=where), x, g)
    assert np.all(np.asarray(y.astype(F64))[~where] == 0)
    assert np.all(np.asarray(dx.astype(F64))[~where] == 0)
    assert_close(y[0][where[0]], NP_ROWS[name](x64[0][where[0]]), dtype)
    assert_close(y[2], NP_ROWS[name](x64[2]), dtype)
    # −inf entries behave as masked ones; an all −inf row gives 0 and gradient 0
    xi = jnp.where(where, x, -jnp.inf)
    yi, dxi = vjp_of(jax_act.get(name), xi, g)
    assert_close(yi, y, dtype, factor=0)
    assert not np.any(np.isnan(np.asarray(dxi.astype(F64))))
    assert np.all(np.asarray(dxi.astype(F64))[~where] == 0)


@pytest.mark.sweep
@pytest.mark.parametrize("name", NAMES)
def test_ties_large_inputs_and_non_finite(name):
    f = jax_act.get(name)
    assert_close(f(jnp.ones(3, F64)), np.full(3, 1 / 3), F64)
    for dtype in (jnp.float32, jnp.float16):  # shift invariance: large offsets lose nothing
        x = jnp.asarray([0.0, 0.5, 0.25, -3.0], dtype) + jnp.asarray(1000.0, dtype)
        assert_close(f(x), NP_ROWS[name](np.asarray(x.astype(F64))), dtype)
        spread = jnp.asarray([0.0, -1e4, 1e4, 9999.5], dtype)
        assert_close(f(spread), NP_ROWS[name](np.asarray(spread.astype(F64))), dtype)
    for bad in (jnp.inf, jnp.nan):
        assert np.all(np.isnan(np.asarray(f(jnp.array([1.0, bad, 0.0], F64)))))


@pytest.mark.parametrize("name", NAMES)
def test_saves_only_its_output(name):
    for dtype in (jnp.float16, jnp.float32):
        x, _ = sample((3, 8), dtype)
        for kw in ({}, {"where": jnp.asarray(np.arange(24).reshape(3, 8) % 3 != 0)}):
            saved = saved_residuals(lambda x: jax_act.get(name)(x, **kw), x)
            assert len(saved) == 1, saved
            aval, why = saved[0]
            assert aval.shape == x.shape and aval.dtype == dtype
            assert f"output of jitted function '{name}'" in why


@pytest.mark.parametrize("name", NAMES)
def test_clear_errors(name):
    f = jax_act.get(name)
    x = jnp.ones((2, 3), jnp.float32)
    with pytest.raises(ValueError, match=rf"jax_act\.{name}: axis -3 is out of range"):
        f(x, axis=-3)
    with pytest.raises(TypeError, match=rf"jax_act\.{name}: argument 'axis'"):
        f(x, axis="last")
    with pytest.raises(ValueError, match=rf"jax_act\.{name}: argument 'where' of shape \(2,\)"):
        f(x, where=jnp.ones((2,), bool))
    with pytest.raises(TypeError, match=rf"jax_act\.{name}: argument 'x'"):
        f(None)


@pytest.mark.parametrize("name", NAMES)
def test_registry_and_docstring(name):
    f = jax_act.get(name)
    assert f is getattr(jax_act, name) and name in jax_act.names()
    assert jax_act.spec(name).saves == "output" and not jax_act.spec(name).probes.smooth
