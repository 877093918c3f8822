"""Every registered activation through the differential-testing kit, in all four dtypes.

This is the test-suite form of ``jax-act check``: values and VJPs against the plain formula
in float64, finite differences (float64, the forward twin in both modes), jax.nn where it has
the function (kinks included), edge inputs, and bytes kept for the backward pass.
"""

from __future__ import annotations

import inspect
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jax_act
from jax_act import testing
from jax_act._compat import saved_residuals
from jax_act._engine import REGISTRY, public_function

from _helpers import float32_saves, swept, vjp_of

NAMES = list(REGISTRY)
# The kit's paths in the default run: an output kept (with kinks against jax.nn), a 1-byte
# mask, an array parameter, a gated split; the input with a static flag (gelu) and a map along
# an axis (softmax) through `jax-act check` in tests/test_cli.py. Every other activation, and
# the highest level, in the slow sweeps.
KIT_DEFAULT = ("relu", "hard_tanh", "prelu", "swiglu")


@pytest.mark.parametrize("level", ["default", swept("highest")])
@pytest.mark.parametrize("name", [n if n in KIT_DEFAULT else swept(n) for n in NAMES])
def test_kit_passes(name, level):
    """Everything but finite differences (tests/test_transformations.py runs check_grads on
    every forward twin in the default run; the kit's own pass is in the slow set), at each
    accuracy level."""
    rows = testing.check_activation(name, finite_differences=False, accuracy=level)
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
    # inspect (and IDEs, and the API docs) land on the declaration, not on the engine
    for face in (act.fn, act.forward_mode):
        assert f"def {name}(" in inspect.getsource(face), name
        assert inspect.getsourcefile(inspect.unwrap(face)) != inspect.getsourcefile(public_function)


ELEMENTWISE_PARAMS = [(n, p) for n in NAMES if REGISTRY[n].spec.kind == "elementwise"
                      for p in REGISTRY[n].spec.probes.test_params]


@pytest.mark.parametrize("name,params", ELEMENTWISE_PARAMS, ids=["-".join([n, *(f"{k}={v}" for k, v in p.items())]) for n, p in ELEMENTWISE_PARAMS])
def test_elementwise_saves_what_it_declares(name, params):
    """One array of x's shape (scalar parameters aside), and it is what the declaration says:
    the output, the input, or a 1-byte mask; nothing for identity."""
    act = REGISTRY[name]
    x = jnp.linspace(-3.0, 3.0, 64, dtype=jnp.float32)
    res = [(a, why) for a, why in saved_residuals(lambda x: act.fn(x, **params), x) if a.size > 1]
    saves = float32_saves(act)
    if name == "identity":  # nothing to keep: the derivative is 1
        assert res == [] and saves.startswith("nothing")
        return
    assert len(res) == 1, res
    (aval, why), = res
    assert aval.shape == x.shape
    if saves == "output":
        assert why.startswith("output of") and aval.dtype == x.dtype, why
    elif saves == "input":  # x, through an optimization barrier (see the engine)
        assert aval.dtype == x.dtype, why
    else:  # a declared mask or code: one byte
        assert aval.dtype.itemsize == 1 and ("mask" in saves or "code" in saves), (aval, saves)


@pytest.mark.slow  # tests/test_transformations.py covers the twins in the default run
@pytest.mark.parametrize("name", [n for n in NAMES if REGISTRY[n].spec.kind == "elementwise"])
def test_elementwise_forward_twin_and_derivative(name):
    """jvp, jacfwd and linearize of the twin, and the bare derivative, equal jax.grad of the
    public function (away from kinks)."""
    act = REGISTRY[name]
    lo, hi = max(act.spec.probes.domain[0], -4.0), min(act.spec.probes.domain[1], 4.0)
    x = jnp.linspace(lo, hi, 17, dtype=jnp.float64)[1:-1] + 0.0123
    params = act.spec.probes.test_params[0]
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


# --------------------------------------------------------------------------- half precision

HALF = (jnp.bfloat16, jnp.float16)
# The functions that keep an output (log_softmax: e^(x − max)) in float32 and float64. Not
# sparsemax and entmax15 (not smooth): their gradient reads only the support from y, and ties
# among coarse 16-bit inputs put points on its edge, where the convention decides.
OUTPUT_SAVERS = [n for n in NAMES if REGISTRY[n].spec.saves == "output" and REGISTRY[n].spec.kind == "elementwise"
                 or REGISTRY[n].spec.kind == "axis_map" and REGISTRY[n].spec.probes.smooth
                 and not REGISTRY[n].spec.saves.startswith("input")]


def _every_finite(dtype) -> np.ndarray:
    """Every finite value of a 16-bit dtype, as float64 (±0 once)."""
    with np.errstate(invalid="ignore"):  # NaN bit patterns
        every = np.arange(1 << 16, dtype=np.uint16).view(jnp.dtype(dtype)).astype(np.float64)
    return np.unique(every[np.isfinite(every)])


def _correctly_rounded(got: jax.Array, true: np.ndarray, dtype) -> np.ndarray:
    """Per point: ``got`` is the float64 truth rounded to ``dtype`` (where that is normal)."""
    rounded = np.asarray(true.astype(dtype), np.float64)
    normal = np.isfinite(true) & (np.abs(true) >= float(jnp.finfo(dtype).tiny))
    return (np.asarray(got, np.float64) == rounded)[normal]


@pytest.mark.sweep
@pytest.mark.usefixtures("highest")
@pytest.mark.parametrize("dtype", HALF, ids=["bf16", "f16"])
@pytest.mark.parametrize("name", OUTPUT_SAVERS)
def test_half_precision_gradients_are_correctly_rounded(name, dtype):
    """Functions that save their output keep the 16-bit *input* instead and take y again in
    float32: the gradient is rounded once. Every finite 16-bit value in [−4, 4] (elementwise;
    where float32's y still has the bits f' needs), or random rows (softmax family), against
    float64 autodiff of the plain formula: ≥ 99% correctly rounded, the accuracy goal (from a
    16-bit y, 52–97% would be; jax.nn's are 52–98% here)."""
    act = REGISTRY[name]
    params = act.spec.probes.test_params[0] if act.spec.kind == "elementwise" else {}
    if act.spec.kind == "elementwise":
        every = _every_finite(dtype)
        lo, hi = max(act.spec.probes.domain[0], -4.0), min(act.spec.probes.domain[1], 4.0)
        x64 = every[(every >= lo) & (every <= hi) & ~np.isin(every, act.spec.probes.kink_points)]
        g64 = np.ones_like(x64)
    else:
        rng = np.random.default_rng(0)
        x64 = np.asarray(jnp.asarray(rng.standard_normal((512, 8)) * 3, dtype), np.float64)
        g64 = np.asarray(jnp.asarray(rng.standard_normal((512, 8)), dtype), np.float64)
    x, g = jnp.asarray(x64, dtype), jnp.asarray(g64, dtype)
    got = vjp_of(lambda v: act.fn(v, **params), x, g)[1]
    assert got.dtype == dtype
    true = np.asarray(vjp_of(lambda v: act.reference(v, **params), jnp.asarray(x64), jnp.asarray(g64))[1])
    ok = _correctly_rounded(got, true, dtype)
    assert ok.size > 500 and ok.mean() >= 0.99, f"{name} {jnp.dtype(dtype).name}: {100 * ok.mean():.2f}% correctly rounded"


# f' from x where float32's y saturates long before the 16-bit dtype's f' underflows: the
# textbook derivatives in float64 numpy are the oracle
EXACT_PRIME = {
    "sigmoid": lambda x: np.exp(-np.abs(x)) / (1 + np.exp(-np.abs(x))) ** 2,
    "tanh": lambda x: 4 * np.exp(-2 * np.abs(x)) / (1 + np.exp(-2 * np.abs(x))) ** 2,
    "soft_sign": lambda x: 1 / (1 + np.abs(x)) ** 2,
}


@pytest.mark.sweep
@pytest.mark.usefixtures("highest")
@pytest.mark.parametrize("dtype", HALF, ids=["bf16", "f16"])
@pytest.mark.parametrize("name", list(EXACT_PRIME))
def test_half_precision_gradients_hold_past_float32_saturation(name, dtype):
    """Every finite 16-bit value, the tails included (bfloat16 σ' is normal up to x ≈ 87,
    float32's σ is 1 from 16.6 on): ≥ 99.9% correctly rounded. From float32's y it was
    97.8–99.7%, and 75.6% for bfloat16 soft_sign."""
    x64 = _every_finite(dtype)
    got = jax.vmap(jax.grad(jax_act.get(name)))(jnp.asarray(x64, dtype))
    with np.errstate(over="ignore"):
        ok = _correctly_rounded(got, EXACT_PRIME[name](x64), dtype)
    assert ok.mean() >= 0.999, f"{name} {jnp.dtype(dtype).name}: {100 * ok.mean():.3f}% correctly rounded"
