"""The elementwise activations jax.nn does not have: prelu, rrelu, threshold, hard_shrink,
soft_shrink, tanh_shrink, relu2 (squared_relu), quick_gelu.

Oracles: each declaration's plain ``reference`` formula evaluated in float64 on the same
(rounded) inputs and differentiated by ``jax.grad``; finite differences in float64
(``jax.test_util.check_grads``); exact values where a convention is stated (kinks, limits);
mpmath for tanh_shrink's small-|x| accuracy. PyTorch parity is in test_torch_parity.py.

Tolerance: the shared rule (tests/_helpers.py) entry by entry, ``|got − want| ≤ FACTOR · eps(dtype) · (|want| + 1)``.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.test_util import check_grads

import jax_act
from jax_act import forward_mode
from jax_act._compat import saved_residuals
from jax_act.testing import TOLERANCE

from _helpers import DTYPES, assert_close, swept, vjp_of

F64 = jnp.float64
FACTOR = TOLERANCE / 2  # eps units: one formula, its oracle on the same rounded input

# (name, parameters): each of them with its non-default parameter sets.
CASES = [
    ("prelu", {"negative_slope": 0.25}),
    ("prelu", {"negative_slope": -0.5}),
    ("rrelu", {}),
    ("rrelu", {"lower": 0.1, "upper": 0.3}),
    ("threshold", {"threshold": 0.5, "value": -1.0}),
    ("threshold", {"threshold": -1.5, "value": 2.0}),
    ("hard_shrink", {}),
    ("hard_shrink", {"lambd": 1.5}),
    ("soft_shrink", {}),
    ("soft_shrink", {"lambd": 1.5}),
    ("tanh_shrink", {}),
    ("relu2", {}),
    ("quick_gelu", {}),
]
IDS = [f"{n}-{','.join(f'{k}={v}' for k, v in p.items())}" if p else n for n, p in CASES]

# What each declaration promises to keep for the backward pass (x differentiated only).
SAVES = {
    "prelu": "input",
    "rrelu": "mask",
    "threshold": "input",
    "hard_shrink": "output",
    "soft_shrink": "output",
    "tanh_shrink": "input",
    "relu2": "input",
    "quick_gelu": "input",
}
FLOAT_PARAMS = {"prelu": ("negative_slope",), "threshold": ("threshold", "value"), "hard_shrink": ("lambd",), "soft_shrink": ("lambd",)}


def kinks(name: str, params: dict) -> list[float]:
    if name in ("prelu", "rrelu", "relu2"):
        return [0.0]
    if name == "threshold":
        return [params["threshold"]]
    if name in ("hard_shrink", "soft_shrink"):
        lam = params.get("lambd", 0.5)
        return [-lam, lam]
    return []


def grid(name: str, params: dict, n: int = 97, gap: float = 1e-2) -> np.ndarray:
    """float64 points over [-6, 6] plus larger magnitudes, at least ``gap`` from every kink."""
    x = np.concatenate([np.linspace(-6, 6, n) + 0.0123, [-300.0, -40.0, -1e-3, 1e-3, 40.0, 300.0]])
    for k in kinks(name, params):
        x = x[np.abs(x - k) > gap]
    return x


def close(got, want, dtype, what: str) -> None:
    assert_close(got, want, dtype, FACTOR, what, per_entry=True)


def fn(name):
    return jax_act.get(name)


def reference(name):
    return jax_act._engine.lookup(name).reference


def vjp(f, x, g, **p):
    return vjp_of(lambda x: f(x, **p), x, g)


# --------------------------------------------------------------------------- values, gradients


@pytest.mark.sweep
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: jnp.dtype(d).name)
@pytest.mark.parametrize("name,params", CASES, ids=IDS)
def test_values_and_gradients_against_reference(name, params, dtype):
    """Value and VJP in each dtype against the plain formula in float64 on the rounded inputs."""
    x = grid(name, params)
    if name == "relu2" and dtype == jnp.float16:
        x = x[np.abs(x) < 250]  # x² overflows float16 above 256 (the gradient does not: see below)
    xd = jnp.asarray(x, dtype)
    x64 = xd.astype(F64)
    g = jnp.asarray(np.random.default_rng(0).standard_normal(x.shape), dtype)
    p = {k: jnp.asarray(v, dtype) if not isinstance(v, bool) else v for k, v in params.items()}
    if name == "rrelu":  # lower/upper are static Python numbers
        p = dict(params)
    y, dx = jax.jit(lambda x, g: vjp(fn(name), x, g, **p))(xd, g)
    assert y.dtype == dtype and dx.dtype == dtype
    p64 = {k: jnp.asarray(v, F64) for k, v in params.items()} if name != "rrelu" else dict(params)
    y_ref, dx_ref = vjp(reference(name), x64, g.astype(F64), **p64)
    close(y, y_ref, dtype, f"{name} value")
    close(dx, dx_ref, dtype, f"{name} gradient")


@pytest.mark.sweep
@pytest.mark.parametrize("name,params", CASES, ids=IDS)
def test_finite_differences(name, params):
    """Reverse mode of the public function and both modes of the twin, order 2, float64."""
    x = jnp.asarray(grid(name, params, n=13, gap=0.05)[:-6], F64)  # |x| ≤ 6, away from kinks
    p = {k: jnp.asarray(v, F64) for k, v in params.items()} if name != "rrelu" else dict(params)
    check_grads(lambda x: fn(name)(x, **p), (x,), order=2, modes=("rev",), eps=1e-4)
    twin = forward_mode.get(name)
    check_grads(lambda x: twin(x, **p), (x,), order=2, modes=("fwd", "rev"), eps=1e-4)
    for pname in FLOAT_PARAMS.get(name, ()):  # and with respect to each float parameter
        rest = {k: v for k, v in p.items() if k != pname}
        check_grads(lambda q: fn(name)(x, **rest, **{pname: q}), (p.get(pname, jnp.asarray(0.5, F64)),), order=1, modes=("rev",), eps=1e-4)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: jnp.dtype(d).name)
def test_integer_and_dtype_promotion(dtype):
    """Output dtype = input dtype; integers promote to a float, as jax.nn promotes them."""
    for name, params in CASES[::2]:
        p = dict(params) if name == "rrelu" else {k: jnp.asarray(v, dtype) for k, v in params.items()}
        assert fn(name)(jnp.ones(3, dtype), **p).dtype == dtype, name
    ints = jnp.arange(-3, 4)
    np.testing.assert_array_equal(jax_act.relu2(ints), jax_act.relu2(ints.astype(jnp.result_type(float))))


# --------------------------------------------------------------------------- parameter gradients


def test_prelu_slope_array_gradient():
    """A per-channel slope broadcasting against x: its gradient is summed over the broadcast axes."""
    rng = np.random.default_rng(1)
    x = jnp.asarray(rng.standard_normal((5, 3)), F64)
    w = jnp.asarray(rng.uniform(0.5, 1.5, (5, 3)), F64)
    for a in (jnp.asarray([0.1, -0.3, 0.7], F64), jnp.asarray([[0.2], [0.1], [-0.2], [0.5], [0.3]], F64), jnp.asarray(0.25, F64)):
        f = lambda x, a: jnp.sum(w * jax_act.prelu(x, a))  # noqa: E731
        r = lambda x, a: jnp.sum(w * reference("prelu")(x, a))  # noqa: E731
        gx, ga = jax.grad(f, argnums=(0, 1))(x, a)
        rx, ra = jax.grad(r, argnums=(0, 1))(x, a)
        assert ga.shape == a.shape
        np.testing.assert_allclose(gx, rx, rtol=1e-14, atol=1e-14)
        np.testing.assert_allclose(ga, ra, rtol=1e-14, atol=1e-14)
        per_element = jnp.where(x < 0, w * x, 0)  # ∂/∂a = x for x < 0, summed where a was broadcast
        axes = {0: None, 1: 0, 2: 1}[a.ndim]
        np.testing.assert_allclose(ga, jnp.sum(per_element, axis=axes, keepdims=a.ndim == 2), rtol=1e-14)
    # a slope larger than x: x is broadcast, and dx summed back
    xs = jnp.asarray([-1.0, 2.0, -3.0], F64)
    a2 = jnp.asarray([[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]], F64)
    gx = jax.grad(lambda x: jnp.sum(jax_act.prelu(x, a2)))(xs)
    np.testing.assert_allclose(gx, [0.5, 2.0, 0.9], rtol=1e-14)


def test_threshold_and_shrink_parameter_gradients():
    x = jnp.asarray([-2.0, -0.7, -0.2, 0.3, 0.6, 1.9], F64)
    dv = jax.grad(lambda v: jnp.sum(jax_act.threshold(x, 0.5, v)))(jnp.asarray(-1.0, F64))
    assert dv == 4.0  # four entries at or below the threshold take the value
    dt = jax.grad(lambda t: jnp.sum(jax_act.threshold(x, t, -1.0)))(jnp.asarray(0.5, F64))
    assert dt == 0.0
    lam = jnp.asarray([0.5, 0.5, 0.5, 0.5, 0.5, 0.5], F64)
    dl = jax.grad(lambda l: jnp.sum(jax_act.soft_shrink(x, l)))(lam)
    np.testing.assert_array_equal(dl, [1.0, 1.0, 0.0, 0.0, -1.0, -1.0])
    dh = jax.grad(lambda l: jnp.sum(jax_act.hard_shrink(x, l)))(lam)
    np.testing.assert_array_equal(dh, np.zeros(6))


# --------------------------------------------------------------------------- kinks and edges


def grad_at(f, x, **p):
    x = jnp.asarray(x, F64)
    return np.asarray(jax.vmap(jax.grad(lambda x: f(x, **p)))(x))


def test_kink_conventions():
    # the leaky family: 1 at 0 (as jax_act.leaky_relu / jax.nn), for +0 and −0
    np.testing.assert_array_equal(grad_at(jax_act.prelu, [0.0, -0.0], negative_slope=0.25), [1.0, 1.0])
    np.testing.assert_array_equal(grad_at(jax_act.rrelu, [0.0, -0.0]), [1.0, 1.0])
    np.testing.assert_array_equal(grad_at(jax_act.rrelu, [0.0, -1.0], key=jax.random.key(3), training=True)[0], 1.0)
    # threshold at x = t: value v, derivative 0, ∂/∂v = 1 (PyTorch)
    assert jax_act.threshold(jnp.asarray(0.5, F64), 0.5, -1.0) == -1.0
    assert grad_at(jax_act.threshold, [0.5], threshold=0.5, value=-1.0)[0] == 0.0
    assert jax.grad(lambda v: jax_act.threshold(jnp.asarray(0.5, F64), 0.5, v))(jnp.asarray(-1.0, F64)) == 1.0
    # the shrinks at ±λ: value 0, derivative 0; just outside: derivative 1 (PyTorch)
    for f in (jax_act.hard_shrink, jax_act.soft_shrink):
        np.testing.assert_array_equal(f(jnp.asarray([-0.5, 0.5], F64)), [0.0, 0.0])
        np.testing.assert_array_equal(grad_at(f, [-0.5, 0.5, -0.5 - 1e-12, 0.5 + 1e-12]), [0.0, 0.0, 1.0, 1.0])
    np.testing.assert_array_equal(jax.grad(lambda l: jnp.sum(jax_act.soft_shrink(jnp.asarray([-0.5, 0.5], F64), l)))(0.5), 0.0)
    # relu2 is C¹: f'(0) = 0; f'' is 0 at and below 0, 2 above
    assert grad_at(jax_act.relu2, [0.0])[0] == 0.0
    h = jax.vmap(jax.grad(jax.grad(jax_act.relu2)))(jnp.asarray([-1.0, 0.0, 1.0], F64))
    np.testing.assert_array_equal(h, [0.0, 0.0, 2.0])
    h_twin = jax.vmap(jax.jacfwd(jax.jacfwd(forward_mode.relu2)))(jnp.asarray([-1.0, 0.0, 1.0], F64))
    np.testing.assert_array_equal(h_twin, [0.0, 0.0, 2.0])


@pytest.mark.parametrize("dtype", [jnp.float16, jnp.float32, swept(jnp.bfloat16), swept(jnp.float64)],
                         ids=lambda d: jnp.dtype(d).name)
def test_edges(dtype):
    """±inf, NaN, huge and subnormal inputs: the stated limits, NaN only from NaN."""
    fi = jnp.finfo(dtype)
    x = jnp.asarray([-np.inf, np.inf, -1e4, 1e4, float(fi.smallest_subnormal), -float(fi.smallest_subnormal), 0.0, np.nan], dtype)
    for name, params in CASES[::2]:
        p = dict(params) if name == "rrelu" else {k: jnp.asarray(v, dtype) for k, v in params.items()}
        y, dx = vjp(fn(name), x, jnp.ones_like(x), **p)
        y, dx = np.asarray(y.astype(F64)), np.asarray(dx.astype(F64))
        assert not np.isnan(y[:-1]).any() and not np.isnan(dx[:-1]).any(), (name, y, dx)
        if name != "threshold":  # threshold(NaN) is NaN too (PyTorch), checked below
            assert np.isnan(y[-1]), name
    nan = jnp.asarray([np.nan], dtype)
    for f, p in ((jax_act.threshold, {"threshold": 0.5, "value": -1.0}), (jax_act.hard_shrink, {}), (jax_act.soft_shrink, {})):
        assert np.isnan(np.asarray(f(nan, **p).astype(F64))).all()
    inf = jnp.asarray([-np.inf, np.inf], dtype)
    y, dx = vjp(jax_act.quick_gelu, inf, jnp.ones_like(inf))
    np.testing.assert_array_equal(np.asarray(y.astype(F64)), [0.0, np.inf])
    np.testing.assert_array_equal(np.asarray(dx.astype(F64)), [0.0, 1.0])
    y, dx = vjp(jax_act.tanh_shrink, inf, jnp.ones_like(inf))
    np.testing.assert_array_equal(np.asarray(y.astype(F64)), [-np.inf, np.inf])
    np.testing.assert_array_equal(np.asarray(dx.astype(F64)), [1.0, 1.0])


def test_relu2_gradient_finite_where_the_output_overflows():
    """relu2 keeps its input: where y = x² overflows float16 (x > 256), 2x is still finite."""
    x = jnp.asarray([255.0, 300.0], jnp.float16)
    y, dx = vjp(jax_act.relu2, x, jnp.ones_like(x))
    assert np.isfinite(np.asarray(y[0], np.float64)) and np.isinf(np.asarray(y[1], np.float64))
    assert float(dx[0]) == 510.0 and float(dx[1]) == 600.0


def test_empty_input():
    for name, params in CASES[::2]:
        e = jnp.zeros((0, 3), jnp.float32)
        y, dx = vjp(fn(name), e, jnp.zeros((0, 3), jnp.float32), **params)
        assert y.shape == dx.shape == (0, 3), name


@pytest.mark.usefixtures("highest")
def test_tanh_shrink_small_inputs_keep_relative_precision():
    """x − tanh x ≈ x³/3 cancels: the series keeps a few ulps of relative error (mpmath oracle)."""
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 40
    for dtype in (jnp.float32, jnp.float64):
        x = jnp.asarray(np.concatenate([np.geomspace(1e-6, 3.0, 60), -np.geomspace(1e-6, 3.0, 7)]), dtype)
        got = np.asarray(jax_act.tanh_shrink(x), np.float64)
        want = np.array([float(mpmath.mpf(float(v)) - mpmath.tanh(mpmath.mpf(float(v)))) for v in np.asarray(x, np.float64)])
        rel = np.abs(got - want) / (np.abs(want) * float(jnp.finfo(dtype).eps))
        assert rel.max() <= FACTOR, f"{jnp.dtype(dtype).name}: {rel.max():.3g} eps relative"


# --------------------------------------------------------------------------- forward mode, derivative


@pytest.mark.sweep
@pytest.mark.parametrize("name,params", CASES, ids=IDS)
def test_forward_twin_and_bare_derivative(name, params):
    x = jnp.asarray(grid(name, params, n=25, gap=0.05), F64)
    p = {k: jnp.asarray(v, F64) for k, v in params.items()} if name != "rrelu" else dict(params)
    t = jnp.asarray(np.random.default_rng(2).standard_normal(x.shape), F64)
    twin, ref = forward_mode.get(name), reference(name)
    y, ty = jax.jvp(lambda x: twin(x, **p), (x,), (t,))
    y_r, ty_r = jax.jvp(lambda x: ref(x, **p), (x,), (t,))
    np.testing.assert_allclose(y, y_r, rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(ty, ty_r, rtol=1e-13, atol=1e-13)
    xs = x[::5]
    np.testing.assert_allclose(jax.jacfwd(lambda x: twin(x, **p))(xs), jax.jacfwd(lambda x: ref(x, **p))(xs), rtol=1e-13, atol=1e-13)
    for pname in FLOAT_PARAMS.get(name, ()):
        rest = {k: v for k, v in p.items() if k != pname}
        q = p.get(pname, jnp.asarray(0.5, F64))
        _, tq = jax.jvp(lambda q: twin(x, **rest, **{pname: q}), (q,), (jnp.ones_like(q),))
        _, tq_r = jax.jvp(lambda q: ref(x, **rest, **{pname: q}), (q,), (jnp.ones_like(q),))
        np.testing.assert_allclose(tq, tq_r, rtol=1e-13, atol=1e-13, err_msg=pname)
    # jax_act.derivative(f): f' elementwise, from the same closed form
    d = jax_act.derivative(name)(x, **p)
    d_ref = jax.vmap(jax.grad(lambda v: ref(v, **p)))(x)
    np.testing.assert_allclose(d, d_ref, rtol=1e-13, atol=1e-13)


# --------------------------------------------------------------------------- residuals


def _pullback_arrays(f, *args):
    y, pull = jax.vjp(f, *args)
    return y, [a for a in jax.tree_util.tree_leaves(pull) if hasattr(a, "shape")]


@pytest.mark.parametrize("name,params", CASES[::2], ids=IDS[::2])
def test_saved_residuals(name, params):
    """Exactly what each declaration promises, for x differentiated: one array of x's size."""
    x = jnp.linspace(-3.0, 3.0, 64, dtype=jnp.float32)
    f = lambda x: fn(name)(x, **params)  # noqa: E731
    big = [(a, prov) for a, prov in saved_residuals(f, x) if a.size >= x.size]
    assert len(big) == 1, big
    aval, prov = big[0]
    y, kept = _pullback_arrays(f, x)
    kept = [a for a in kept if a.size >= x.size]
    if SAVES[name] == "mask":
        assert aval.dtype == jnp.bool_
        np.testing.assert_array_equal(kept[0], x >= 0)
    elif SAVES[name] == "input":
        # x itself, passed through an optimization barrier (so its provenance reads "output")
        assert aval.dtype == x.dtype, prov
        np.testing.assert_array_equal(kept[0], x)
    else:
        assert aval.dtype == x.dtype and "argument" not in prov, prov
        np.testing.assert_array_equal(kept[0], y)
    assert jax_act.spec(name).saves.startswith({"mask": "sign mask", "input": "input", "output": "output"}[SAVES[name]])


def test_saved_residuals_with_parameters():
    """Differentiated parameters add only what their partials read (no y for prelu/threshold,
    no x for soft_shrink), and the key for rrelu in training (the slopes are drawn again)."""
    x = jnp.linspace(-3.0, 3.0, 64, dtype=jnp.float32)
    a = jnp.full((64,), 0.25, jnp.float32)

    def sizes(f, *args):
        return sorted((int(r.size), str(r.dtype)) for r, _ in saved_residuals(f, *args) if r.size >= 64)

    assert sizes(jax_act.prelu, x, a) == [(64, "float32"), (64, "float32")]  # x and the slope
    assert sizes(lambda x, v: jax_act.threshold(x, 0.5, v), x, jnp.float32(1.0)) == [(64, "float32")]
    assert sizes(lambda x, l: jax_act.soft_shrink(x, l), x, jnp.float32(0.5)) == [(64, "float32")]
    assert sizes(lambda x, l: jax_act.hard_shrink(x, l), x, jnp.float32(0.5)) == [(64, "float32")]
    res = saved_residuals(lambda x: jax_act.rrelu(x, jax.random.key(0), training=True), x)
    assert sorted(str(r.dtype) for r, _ in res) == ["bool", "key<fry>"], res


# --------------------------------------------------------------------------- rrelu


def test_rrelu_training_is_random_reproducible_and_differentiated_by_its_slope():
    x = -jnp.linspace(0.5, 3.0, 200, dtype=F64)
    k1, k2 = jax.random.key(1), jax.random.key(2)
    y1 = jax_act.rrelu(x, k1, training=True)
    np.testing.assert_array_equal(y1, jax_act.rrelu(x, k1, training=True))  # reproducible
    assert not np.array_equal(y1, jax_act.rrelu(x, k2, training=True))  # another key, other slopes
    slope = np.asarray(y1 / x)
    assert (slope >= 1 / 8).all() and (slope <= 1 / 3).all() and np.std(slope) > 0.03
    # the slopes are jax.random.uniform(key, shape, float32, lower, upper), as documented
    want = np.asarray(jax.random.uniform(k1, x.shape, jnp.float32, 1 / 8, 1 / 3), np.float64)
    np.testing.assert_allclose(slope, want, rtol=1e-14)
    # the gradient is the sampled slope (drawn again from the key in the backward pass), 1 for x > 0
    xx = jnp.concatenate([x, -x])
    g = jax.grad(lambda x: jnp.sum(jax_act.rrelu(x, k1, training=True)))(xx)
    np.testing.assert_array_equal(g[:200], want)
    np.testing.assert_array_equal(g[200:], 1.0)
    np.testing.assert_array_equal(jax_act.derivative("rrelu")(xx, k1, training=True), g)
    _, tg = jax.jvp(lambda x: forward_mode.rrelu(x, k1, training=True), (xx,), (jnp.ones_like(xx),))
    np.testing.assert_array_equal(tg, g)
    # the same draws in every dtype (float32 draws, rounded to the dtype)
    for dt in (jnp.bfloat16, jnp.float16, jnp.float32):
        ys = jax_act.rrelu(x.astype(dt), k1, training=True)
        assert ys.dtype == dt
        close(ys, x.astype(dt).astype(F64) * want, dt, f"rrelu training {jnp.dtype(dt).name}")


def test_rrelu_eval_uses_the_mean_slope():
    x = jnp.linspace(-3, 3, 61, dtype=F64) + 0.01
    for lo, hi in ((1 / 8, 1 / 3), (0.1, 0.3), (0.2, 0.2)):
        want = jax_act.leaky_relu(x, (lo + hi) / 2)
        np.testing.assert_array_equal(jax_act.rrelu(x, lower=lo, upper=hi), want)
        np.testing.assert_array_equal(jax_act.rrelu(x, jax.random.key(0), lo, hi, training=False), want)
        g = jax.grad(lambda x: jnp.sum(jax_act.rrelu(x, lower=lo, upper=hi)))(x)
        np.testing.assert_array_equal(g, jax.grad(lambda x: jnp.sum(jax_act.leaky_relu(x, (lo + hi) / 2)))(x))


def test_rrelu_under_vmap_and_jit():
    x = -jnp.ones((4, 8), F64)
    keys = jax.random.split(jax.random.key(0), 4)
    y = jax.jit(jax.vmap(lambda x, k: jax_act.rrelu(x, k, training=True)))(x, keys)
    np.testing.assert_array_equal(y[1], jax_act.rrelu(x[1], keys[1], training=True))
    assert not np.array_equal(y[0], y[1])


# --------------------------------------------------------------------------- errors, registry


def test_errors_name_function_and_argument():
    with pytest.raises(ValueError, match=r"rrelu.*'key'"):
        jax_act.rrelu(jnp.ones(3), training=True)
    with pytest.raises(ValueError, match=r"rrelu.*'lower'"):
        jax_act.rrelu(jnp.ones(3), lower=0.5, upper=0.1)
    with pytest.raises(TypeError, match=r"rrelu.*'key'"):
        jax_act.rrelu(jnp.ones(3), jnp.ones(2), training=True)
    with pytest.raises(TypeError, match=r"prelu"):
        jax_act.prelu(jnp.ones(3))
    with pytest.raises(ValueError, match=r"prelu.*'negative_slope'"):
        jax_act.prelu(jnp.ones(3), jnp.ones(4))
    with pytest.raises(TypeError, match=r"threshold.*'value'"):
        jax_act.threshold(jnp.ones(3), 0.5, "a")


def test_registry_and_aliases():
    assert jax_act.squared_relu is jax_act.relu2
    assert jax_act.get("squared_relu") is jax_act.relu2
    for name in SAVES:
        assert name in jax_act.names() and name in jax_act.__all__
        assert jax_act.spec(name).kinks and jax_act.spec(name).saves
