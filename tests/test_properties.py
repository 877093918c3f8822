"""Property-based tests (hypothesis): random shapes (0-d and 0-size included), dtypes and values.

Generic properties hold for every registered activation (drawn from the registry); invariants
are checked for the functions they belong to. Shapes come from a small set so that compiled
functions are reused and each test runs in seconds (``max_examples`` is modest on purpose).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import jax_act
from jax_act.testing import cases

from _helpers import DTYPES

jax.config.update("jax_enable_x64", True)

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
FIRST = {c.name: c for c in cases(all_params=False)}
ELEMENTWISE = sorted(n for n, c in FIRST.items() if c.kind == "elementwise")
ALONG_AXIS = sorted(n for n, c in FIRST.items() if c.spec.along_axis)
SHAPES = ((), (0,), (3,), (2, 3), (0, 4), (1, 2, 4))
# Per-activation tests draw from a few (shape, dtype) pairs, so that each activation compiles
# a handful of times and hypothesis varies the values; the invariant tests draw freely.
PAIRS = (((), jnp.float32), ((0,), jnp.float16), ((2, 3), jnp.bfloat16), ((2, 3), jnp.float16), ((1, 2, 4), jnp.float64))
PER_ACTIVATION = settings(SETTINGS, max_examples=6)

# Known failures in others' code, reported upstream: {(activation, property): reason}.
KNOWN: dict[tuple[str, str], str] = {}


def _values(shape, dtype, lo=-30.0, hi=30.0):
    n = int(np.prod(shape))
    return st.lists(
        st.floats(lo, hi, allow_nan=False, allow_infinity=False, width=32), min_size=n, max_size=n
    ).map(lambda v: jnp.asarray(np.asarray(v, np.float64).reshape(shape), dtype))


@st.composite
def arrays(draw, shapes=SHAPES, dtypes=DTYPES, lo=-30.0, hi=30.0, pairs=None):
    if pairs is not None:
        shape, dtype = draw(st.sampled_from(pairs))
    else:
        shape, dtype = draw(st.sampled_from(shapes)), draw(st.sampled_from(dtypes))
    return draw(_values(shape, dtype, lo, hi))


def _in_domain(name: str, x: jax.Array) -> jax.Array:
    lo, hi = FIRST[name].spec.probes.domain
    x64 = x.astype(jnp.float64)
    if np.isfinite(hi):
        x64 = jnp.minimum(x64, hi - 0.5) if np.isfinite(lo) is False else jnp.clip(x64, lo, hi - 0.5)
    if np.isfinite(lo):
        x64 = jnp.maximum(x64, lo + 0.5)
    return x64.astype(x.dtype)


def _check(name: str, prop: str):
    if (name, prop) in KNOWN:
        pytest.xfail(KNOWN[(name, prop)])


@pytest.mark.sweep
@pytest.mark.parametrize("name", ELEMENTWISE)
@PER_ACTIVATION
@given(x=arrays(pairs=PAIRS))
def test_elementwise_shape_dtype_finite(name, x):
    """Shape and dtype kept; finite input in the domain: finite-or-inf output (no NaN) and a
    finite gradient; NaN in: NaN out."""
    _check(name, "finite")
    case = FIRST[name]
    x = _in_domain(name, x)
    y = case.call(x)
    assert y.shape == x.shape and y.dtype == x.dtype
    assert not np.any(np.isnan(np.asarray(y, np.float32))), f"{name}: NaN from finite input {x}"
    g = jax.grad(lambda x: jnp.sum(case.call(x).astype(jnp.float32)))(x)
    assert g.dtype == x.dtype
    assert np.all(np.isfinite(np.asarray(g, np.float32))), f"{name}: non-finite gradient {g} at {x}"
    if x.size:
        xn = x.at[(0,) * x.ndim].set(jnp.nan)
        yn = case.call(xn)
        assert np.isnan(np.asarray(yn, np.float32)[(0,) * x.ndim]), f"{name}: NaN in gave {yn}"


@pytest.mark.sweep
@pytest.mark.parametrize("name", ALONG_AXIS)
@PER_ACTIVATION
@given(x=arrays(pairs=(((2, 4), jnp.bfloat16), ((0, 4), jnp.float32), ((1, 2, 4), jnp.float64))))
def test_along_axis_shape_dtype_finite(name, x):
    case = FIRST[name]
    y = case.call(x)
    assert y.dtype == x.dtype
    assert not np.any(np.isnan(np.asarray(y, np.float32))), f"{name}: NaN from finite input"
    g = jax.grad(lambda x: jnp.sum(case.call(x).astype(jnp.float32) * jnp.arange(1, y.size + 1).reshape(y.shape)))(x)
    assert np.all(np.isfinite(np.asarray(g, np.float32))), f"{name}: non-finite gradient"


# ------------------------------------------------------------------ invariants


def _tol(dtype) -> float:
    return 8 * float(jnp.finfo(dtype).eps)


@SETTINGS
@given(x=arrays(shapes=((3,), (2, 3), (1, 2, 4))), shift=st.floats(-50, 50))
def test_softmax_sums_to_one_and_is_shift_invariant(x, shift):
    y = jax_act.softmax(x)
    s = np.asarray(jnp.sum(y.astype(jnp.float64), -1))
    np.testing.assert_allclose(s, 1.0, atol=x.shape[-1] * _tol(x.dtype))
    x64 = x.astype(jnp.float64)
    np.testing.assert_allclose(jax_act.softmax(x64 + shift), jax_act.softmax(x64), atol=1e-12)


@SETTINGS
@given(x=arrays(shapes=((3,), (2, 3), (1, 2, 4))))
def test_softmax_gradient_of_sum_is_zero(x):
    g = jax.grad(lambda x: jnp.sum(jax_act.softmax(x).astype(jnp.float32)))(x)
    np.testing.assert_allclose(np.asarray(g, np.float32), 0.0, atol=4 * _tol(x.dtype))


@SETTINGS
@given(x=arrays(shapes=((3,), (2, 3), (1, 2, 4))))
def test_log_softmax_is_log_of_softmax(x):
    x64 = x.astype(jnp.float64)
    ls, s = jax_act.log_softmax(x64), jax_act.softmax(x64)
    finite = np.isfinite(np.log(np.asarray(s)))
    np.testing.assert_allclose(np.asarray(ls)[finite], np.log(np.asarray(s))[finite], rtol=1e-12, atol=1e-12)
    ls_d = jax_act.log_softmax(x)
    assert ls_d.dtype == x.dtype
    np.testing.assert_allclose(np.asarray(ls_d, np.float64), np.asarray(ls), rtol=4 * _tol(x.dtype), atol=4 * _tol(x.dtype) * 30)


@SETTINGS
@given(x=arrays(shapes=((), (0,), (3,), (2, 3)), lo=-100, hi=100))
def test_sigmoid_symmetry(x):
    """σ(−x) = 1 − σ(x): exactly representable, so within one rounding of each side."""
    a = np.asarray(jax_act.sigmoid(-x), np.float64)
    b = 1.0 - np.asarray(jax_act.sigmoid(x), np.float64)
    np.testing.assert_allclose(a, b, atol=2 * float(jnp.finfo(x.dtype).eps))


@SETTINGS
@given(x=arrays(shapes=((3,), (2, 3))), mask=st.lists(st.booleans(), min_size=3, max_size=3))
def test_masked_softmax_rows(x, mask):
    """Masked entries get 0 and gradient 0; a fully masked row gives 0 and gradient 0; no NaN."""
    where = jnp.broadcast_to(jnp.asarray(mask), x.shape)
    y = jax_act.softmax(x, where=where)
    assert not np.any(np.isnan(np.asarray(y, np.float32)))
    assert not np.any(np.asarray(y, np.float32)[~np.asarray(where)])
    g = jax.grad(lambda x: jnp.sum(jax_act.softmax(x, where=where).astype(jnp.float32) * jnp.arange(x.size).reshape(x.shape)))(x)
    assert np.all(np.isfinite(np.asarray(g, np.float32)))
    assert not np.any(np.asarray(g, np.float32)[~np.asarray(where)])
