"""Every jax.nn activation: parity with jax.nn and the known traps, function by function.

Oracles, never numbers copied from the implementation: ``jax.nn`` itself (values, gradients,
kink gradients, dtypes), the plain formulas below evaluated in float64 and differentiated by
``jax.grad``, and finite differences (``jax.test_util.check_grads``). The registry-wide kit and
transformation matrix live in ``test_registry.py`` and ``test_transformations.py``.

Every tolerance is ``K · eps(dtype)``, relative to ``|want| + 1`` unless a test says it is
purely relative (the tails where jax_act claims full relative precision) or one ulp (half
precision computed in float32 and rounded once).
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.scipy.special import ndtr
from jax.test_util import check_grads

import jax_act
from jax_act._compat import enable_x64, saved_residuals
from jax_act._engine import lookup
from jax_act.testing import TOLERANCE

from _helpers import DTYPES, float32_saves, swept

jax.config.update("jax_enable_x64", True)  # the oracles are float64 (tests/conftest.py too)

K = TOLERANCE  # the one tolerance factor: errors up to K · eps of the dtype
F64 = jnp.float64
DTYPE_IDS = ["bf16", "f16", "f32", "f64"]

# --------------------------------------------------------------------------- the plain formulas


def _hard_sigmoid(x):
    return jnp.clip((x + 3) / 6, 0.0, 1.0)


def _gelu(x, approximate=True):
    if approximate:  # ½(1 + tanh u) = 1/(1 + e^−2u): the tanh form cancels for x < 0, even in float64
        return x / (1 + jnp.exp(-2 * np.sqrt(2 / np.pi) * (x + 0.044715 * x**3)))
    return x * ndtr(x)  # x·Φ(x), through a different special function than jax_act's erfc


def _mish(x):
    # tanh(log(1 + eˣ)) = ((1 + eˣ)² − 1)/((1 + eˣ)² + 1), written in r = e^−|x| for x ≥ 0 so
    # that autodiff does not meet tanh's 1 − tanh² cancellation
    r = jnp.exp(-jnp.abs(x))
    return x * jnp.where(x >= 0, ((1 + r) ** 2 - r * r) / ((1 + r) ** 2 + r * r), jnp.tanh(jnp.log1p(r)))


def _softplus(x, beta=1.0, threshold=None):
    soft = jnp.log1p(jnp.exp(beta * x)) / beta
    return soft if threshold is None else jnp.where(beta * x > threshold, x, soft)


_L, _A = 1.0507009873554804934193349852946, 1.6732632423543772848170429916717

PLAIN = {
    "identity": lambda x: x,
    "elu": lambda x, alpha=1.0: jnp.where(x > 0, x, alpha * (jnp.exp(jnp.minimum(x, 0)) - 1)),
    "celu": lambda x, alpha=1.0: jnp.where(x > 0, x, alpha * (jnp.exp(jnp.minimum(x, 0) / alpha) - 1)),
    "selu": lambda x: _L * jnp.where(x > 0, x, _A * jnp.exp(jnp.minimum(x, 0)) - _A),
    "gelu": _gelu,
    "hard_sigmoid": _hard_sigmoid,
    "hard_silu": lambda x: x * _hard_sigmoid(x),
    "hard_tanh": lambda x: jnp.clip(x, -1.0, 1.0),
    "log_sigmoid": lambda x: -jnp.log1p(jnp.exp(-x)),
    # XLA's float64 log1p is ~100 ulps off on (−0.5, −0.25): log(−expm1(−x)) there
    "log1mexp": lambda x: jnp.where(x > 2, jnp.log1p(-jnp.exp(-x)), jnp.log(-jnp.expm1(-x))),
    "mish": _mish,
    "relu6": lambda x: jnp.clip(x, 0.0, 6.0),
    "silu": lambda x: x / (1 + jnp.exp(-x)),
    "soft_sign": lambda x: x / (1 + jnp.abs(x)),
    "softplus": _softplus,
    "sparse_plus": lambda x: jnp.where(x <= -1, 0.0, jnp.where(x >= 1, x, (x + 1) ** 2 / 4)),
    "sparse_sigmoid": lambda x: jnp.clip((x + 1) / 2, 0.0, 1.0),
    "squareplus": lambda x, b=4.0: jnp.where(x > 0, (x + jnp.sqrt(x * x + b)) / 2, b / (2 * (jnp.sqrt(x * x + b) - x))),
}

# (name, keyword arguments): every function, every static form, a non-default parameter
CASES = [
    ("identity", {}),
    ("elu", {}),
    ("elu", {"alpha": 0.5}),
    ("celu", {}),
    ("celu", {"alpha": 2.0}),
    ("selu", {}),
    ("gelu", {}),
    ("gelu", {"approximate": False}),
    ("hard_sigmoid", {}),
    ("hard_silu", {}),
    ("hard_tanh", {}),
    ("log_sigmoid", {}),
    ("log1mexp", {}),
    ("mish", {}),
    ("relu6", {}),
    ("silu", {}),
    ("soft_sign", {}),
    ("softplus", {}),
    ("sparse_plus", {}),
    ("sparse_sigmoid", {}),
    ("squareplus", {}),
    ("squareplus", {"b": 1.0}),
]
CASE_IDS = [name + "".join(f"-{k}={v}" for k, v in kw.items()) for name, kw in CASES]
NAMES = sorted({name for name, _ in CASES})
# Declared as accurate as jax.nn only at the default level (docs/accuracy-levels.md): held to
# jax.nn's own float32 error against the oracle, rather than to K·eps. The tanh-form gelu's
# gradient cancels in 1 + tanh for x ≲ −4, for jax.nn and for this formula alike.
AS_ACCURATE_AS_JAX_NN: set[tuple[str, tuple]] = {("gelu", ())}


def grid(name: str) -> np.ndarray:
    """Steps of 1/2 (exact in every dtype), through every kink; log1mexp is defined on x > 0."""
    if name == "log1mexp":
        return np.linspace(0.25, 8.0, 32)
    return np.linspace(-7.5, 7.5, 31)


def _kw(kw: dict) -> tuple:
    return tuple(sorted(kw.items()))


@functools.cache
def _jitted_value_and_grad(source: str, name: str, kw: tuple):
    f = {"ours": jax_act.get, "nn": lambda n: getattr(jax.nn, n), "plain": PLAIN.get}[source](name)
    return jax.jit(lambda x: value_and_grad(lambda t: f(t, **dict(kw)), x))


def ours(name, kw):
    f = jax_act.get(name)
    return lambda x: f(x, **kw)


def nn(name, kw):
    f = getattr(jax.nn, name)
    return lambda x: f(x, **kw)


def value_and_grad(f, x):
    """f(x) and its elementwise derivative, by the reverse pass."""
    y, pull = jax.vjp(f, x)
    return y, pull(jnp.ones_like(y))[0]


def ours_vg(name, kw, x):
    return _jitted_value_and_grad("ours", name, _kw(kw))(x)


def nn_vg(name, kw, x):
    return _jitted_value_and_grad("nn", name, _kw(kw))(x)


def oracle(name, kw, x: np.ndarray):
    """The plain formula and its jax.grad, in float64."""
    return _jitted_value_and_grad("plain", name, _kw(kw))(jnp.asarray(x, F64))


def eps(dtype) -> float:
    return float(jnp.finfo(dtype).eps)


def assert_close(got, want, dtype, what: str, relative_only: bool = False, slack=0.0) -> None:
    """|got − want| ≤ K·eps·(|want| + 1) (+ slack), or K·eps·|want| when relative_only; NaN
    matches NaN. ``slack``: want's own known error, when want is jax.nn rather than an oracle."""
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    assert got.shape == want.shape, what
    scale = np.abs(want) if relative_only else np.abs(want) + 1
    tol = K * eps(dtype) * scale + slack
    bad = ~((np.abs(got - want) <= tol) | (got == want) | (np.isnan(got) & np.isnan(want)))
    assert not bad.any(), f"{what}: at {np.flatnonzero(bad)[:5]} got {got[bad][:5]}, want {want[bad][:5]}"


def kinks(name: str) -> tuple[float, ...]:
    return lookup(name).spec.probes.kink_points


def away_from_kinks(name: str, x: np.ndarray) -> np.ndarray:
    keep = np.ones(x.shape, bool)
    for k in kinks(name):
        keep &= np.abs(x - k) > 1e-3
    return x[keep]


# --------------------------------------------------------------------------- jax.nn parity


# The registry-wide kit (tests/test_registry.py) makes both comparisons below in the default
# run, in all four dtypes, kinks included; these per-function versions run with -m slow.
@pytest.mark.slow
@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("name,kw", CASES, ids=CASE_IDS)
def test_values_and_gradients_against_jax_nn_and_the_float64_oracle(name, kw, dtype):
    """On a grid through every kink (steps of 1/2, exact in every dtype):

    * the output dtype is jax.nn's, and values and gradients are within K·eps of jax.nn's, or
      of the float64 oracle where jax.nn itself is further off than that (in half precision
      jax.nn computes in the half dtype; mish, soft_sign, squareplus are computed differently).
      At the kinks jax.nn's gradient is the convention, so there it gets no slack;
    * away from the kinks, within K·eps of the float64 oracle;
    * in half precision, computed in float32 and rounded once: values within one ulp of the
      oracle (ulp ≤ eps·|v|, or a subnormal step).
    """
    x64 = grid(name)
    x = jnp.asarray(x64, dtype)
    y, g = ours_vg(name, kw, x)
    y_nn, g_nn = nn_vg(name, kw, x)
    assert y.dtype == y_nn.dtype == dtype and g.dtype == g_nn.dtype
    y64, g64 = (np.asarray(a) for a in oracle(name, kw, x64))
    at_kink = np.isin(x64, kinks(name))
    nn_err = lambda got, want: np.nan_to_num(np.abs(np.asarray(got, np.float64) - want))  # noqa: E731
    assert_close(y, y_nn, dtype, f"{name} value vs jax.nn", slack=nn_err(y_nn, y64))
    assert_close(g, g_nn, dtype, f"{name} gradient vs jax.nn", slack=np.where(at_kink, 0.0, nn_err(g_nn, g64)))
    if (name, _kw(kw)) in AS_ACCURATE_AS_JAX_NN:  # documented: jax.nn's expression, jax.nn's error
        y_ref, g_ref = nn_vg(name, kw, jnp.asarray(x64, jnp.promote_types(dtype, jnp.float32)))
        slack_y, slack_g = nn_err(y_ref, y64), nn_err(g_ref, g64)
    else:
        slack_y = slack_g = 0.0
    assert_close(y, y64, dtype, f"{name} value", slack=slack_y)
    assert_close(np.asarray(g)[~at_kink], g64[~at_kink], dtype, f"{name} gradient", slack=(slack_g + g64 * 0)[~at_kink])
    if dtype in (jnp.bfloat16, jnp.float16):
        err = np.abs(np.asarray(y, np.float64) - y64)
        ulp = eps(dtype) * np.abs(y64) + float(jnp.finfo(dtype).smallest_subnormal) + slack_y
        assert (err <= ulp).all(), f"{name}: {np.max(err / ulp)} ulps"


@pytest.mark.slow
@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("name", [n for n in NAMES if kinks(n)])
def test_kink_gradients_equal_jax_nn(name, dtype):
    """At each kink: reverse gradient, forward twin (jvp, jacfwd) and the bare derivative all
    equal jax.nn's gradient; bit for bit in float32/float64, within K·eps in half precision
    (jax.nn rounds its constants to the half dtype, jax_act to float32)."""
    x = jnp.asarray(kinks(name), dtype)
    _, want = value_and_grad(nn(name, {}), x)
    _, rev = value_and_grad(ours(name, {}), x)
    _, fwd = jax.jvp(jax_act.forward_mode.get(name), (x,), (jnp.ones_like(x),))
    bare = jax_act.derivative(name)(x)
    for got, how in [(rev, "reverse"), (fwd, "jvp"), (bare, "derivative")]:
        if dtype in (jnp.float32, jnp.float64):
            np.testing.assert_array_equal(np.asarray(got, np.float64), np.asarray(want, np.float64), err_msg=how)
        else:
            assert_close(got, want, dtype, f"{name} kink gradient ({how})")


@pytest.mark.sweep
@pytest.mark.parametrize("name,kw", CASES, ids=CASE_IDS)
def test_forward_twin_and_derivative_equal_reverse_gradient(name, kw):
    """float32, on the grid through the kinks: jvp and jacfwd of the twin and jax_act.derivative
    give jax.grad's numbers."""
    x = jnp.asarray(grid(name), jnp.float32)
    y, rev = value_and_grad(ours(name, kw), x)
    twin = lambda t: jax_act.forward_mode.get(name)(t, **kw)  # noqa: E731
    y_twin, fwd = jax.jvp(twin, (x,), (jnp.ones_like(x),))
    jac = jax.vmap(jax.jacfwd(twin))(x)
    bare = jax_act.derivative(name)(x, **kw)
    assert_close(y_twin, y, jnp.float32, f"{name} twin value")
    for got, how in [(fwd, "jvp"), (jac, "jacfwd"), (bare, "derivative")]:
        assert got.dtype == rev.dtype, how
        assert_close(got, rev, jnp.float32, f"{name} {how}")


# --------------------------------------------------------------------------- accuracy

TAILS = [  # (name, kw, inputs) where jax_act keeps full relative precision
    ("softplus", {}, -np.linspace(10.0, 80.0, 8)),
    ("log_sigmoid", {}, np.linspace(10.0, 80.0, 8)),
    ("silu", {}, -np.linspace(5.0, 60.0, 8)),
    ("gelu", {}, -np.linspace(2.5, 5.5, 8)),
    ("mish", {}, -np.linspace(5.0, 60.0, 8)),
    ("log1mexp", {}, np.geomspace(1e-6, 1e-2, 8)),
    ("log1mexp", {}, np.linspace(10.0, 60.0, 8)),
    ("squareplus", {}, -np.geomspace(10.0, 1e4, 8)),
]


@pytest.mark.usefixtures("highest")
@pytest.mark.parametrize("name,kw,x", TAILS, ids=[f"{n}{kw or ''}[{x[0]:g}..{x[-1]:g}]" for n, kw, x in TAILS])
def test_tails_keep_relative_precision(name, kw, x):
    """float32 on the tails: values and gradients within K·eps *relative* to the float64
    oracle, and never further off than jax.nn."""
    xs = jnp.asarray(x, jnp.float32)
    y64, g64 = (np.asarray(a) for a in oracle(name, kw, np.asarray(xs, np.float64)))
    y, g = ours_vg(name, kw, xs)
    y_nn, g_nn = nn_vg(name, kw, xs)
    for got, ref, want, what in [(y, y_nn, y64, "value"), (g, g_nn, g64, "gradient")]:
        assert_close(got, want, jnp.float32, f"{name} {what}", relative_only=True)
        err = np.abs(np.asarray(got, np.float64) - want)
        err_nn = np.abs(np.asarray(ref, np.float64) - want)
        assert (err <= np.maximum(err_nn, 2 * eps(jnp.float32) * np.abs(want))).all(), f"{name} {what} worse than jax.nn"


# --------------------------------------------------------------------------- what is saved


@pytest.mark.parametrize("name,param", [("elu", "alpha"), ("celu", "alpha"), ("squareplus", "b"), ("softplus", "beta")])
def test_input_is_kept_only_when_the_parameter_is_differentiated(name, param):
    """An output-keeping function keeps x as well only for a differentiated parameter; an
    input-keeping one keeps nothing more."""
    x = jnp.asarray(grid(name)[:24].reshape(4, 6), jnp.float32)
    p = jnp.float32(1.5)
    f = jax_act.get(name)
    fixed = [a for a, _ in saved_residuals(lambda x: f(x, **{param: p}), x) if a.size > 1]
    both = [a for a, _ in saved_residuals(lambda x, p: f(x, **{param: p}), x, p) if a.size > 1]
    more = {"output": 1, "input": 0}[float32_saves(lookup(name))]
    assert len(fixed) == 1 and len(both) == 1 + more, (fixed, both)
    assert (f"x too when {param} is differentiated" in lookup(name).spec.saves) == bool(more)  # as documented


# --------------------------------------------------------------------------- parameters


@pytest.mark.parametrize("dtype", [jnp.float32, jnp.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("name,param", [("elu", "alpha"), ("celu", "alpha"), ("squareplus", "b")])
def test_parameter_gradients_match_jax_nn(name, param, dtype):
    """A per-row parameter array (3, 1) against x (3, 8): value and gradients with respect to
    both x and the parameter, against jax.grad of jax.nn."""
    x = jnp.asarray(np.linspace(-4.0, 4.0, 24).reshape(3, 8), dtype)
    p = jnp.asarray([[0.5], [1.0], [2.5]], dtype)
    w = jnp.asarray(np.linspace(0.5, 1.5, 24).reshape(3, 8), dtype)
    loss = lambda f: lambda x, p: jnp.sum(w * f(x, **{param: p}))  # noqa: E731
    gx, gp = jax.grad(loss(jax_act.get(name)), argnums=(0, 1))(x, p)
    gx_nn, gp_nn = jax.grad(loss(getattr(jax.nn, name)), argnums=(0, 1))(x, p)
    assert gp.shape == p.shape and gp.dtype == dtype
    assert_close(gx, gx_nn, dtype, f"{name} d/dx")
    assert_close(gp, gp_nn, dtype, f"{name} d/d{param}")


@pytest.mark.parametrize(
    "name,kw",
    [pytest.param("celu", {"alpha": 1.7}, id="celu"),
     pytest.param("softplus", {"beta": 0.5, "threshold": 3.0}, id="softplus-threshold"),
     swept("elu", {"alpha": 0.7}, id="elu"), swept("squareplus", {"b": 2.0}, id="squareplus"),
     swept("softplus", {"beta": 2.0}, id="softplus")],
)
def test_parameters_against_finite_differences(name, kw):
    """float64 finite differences in x and the parameter jointly (away from kinks): order 2
    in reverse mode, order 1 for the forward twin. (Every function without parameters gets
    check_grads in test_transformations.py's matrix.)"""
    (param, value), *static = kw.items()
    x = jnp.asarray([-2.3, -0.7, 0.4, 1.9, 2.6], F64)
    f = jax_act.get(name)
    check_grads(lambda x, p: f(x, **{param: p}, **dict(static)), (x, F64(value)), order=2, modes=["rev"])
    twin = jax_act.forward_mode.get(name)
    check_grads(lambda x, p: twin(x, **{param: p}, **dict(static)), (x, F64(value)), order=1, modes=["fwd"])


# --------------------------------------------------------------------------- the known traps


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
def test_softplus_89_and_gradient_at_special_inputs(dtype):
    assert jax_act.softplus(jnp.asarray(89.0, jnp.float32)) == 89.0
    x = jnp.asarray([np.inf, -np.inf, 0.0, np.nan], dtype)
    y, g = value_and_grad(jax_act.softplus, x)
    y = np.asarray(y, np.float64)
    assert y[0] == np.inf and y[1] == 0 and np.isnan(y[3])
    assert abs(y[2] - np.log(2.0)) <= eps(dtype) * np.log(2.0)  # log 2, to an ulp
    np.testing.assert_array_equal(np.asarray(g, np.float64), [1.0, 0.0, 0.5, np.nan])
    _, g_nn = value_and_grad(jax.nn.softplus, x)
    np.testing.assert_array_equal(np.asarray(g, np.float64), np.asarray(g_nn, np.float64))


def test_softplus_is_jax_nn_by_default_and_takes_beta_threshold_by_keyword():
    for dtype in (jnp.float32, jnp.float64):
        x = jnp.asarray(np.linspace(-30.0, 30.0, 61), dtype)
        np.testing.assert_array_equal(jax_act.softplus(x), jax.nn.softplus(x))
    with pytest.raises(TypeError):
        jax_act.softplus(jnp.ones(3), 2.0)  # beta is keyword-only, as jax.nn's call has no second argument
    x = np.linspace(-6.0, 6.0, 25) + 0.01
    for kw in [{"beta": 0.5}, {"beta": 2.0, "threshold": 4.0}]:
        y64, g64 = oracle("softplus", kw, x)
        y, g = value_and_grad(ours("softplus", kw), jnp.asarray(x, jnp.float32))
        assert_close(y, y64, jnp.float32, f"softplus{kw} value")
        assert_close(g, g64, jnp.float32, f"softplus{kw} gradient")
        dbeta = jax.grad(lambda b: jnp.sum(jax_act.softplus(jnp.asarray(x, F64), beta=b, threshold=kw.get("threshold"))))
        want = jax.grad(lambda b: jnp.sum(_softplus(jnp.asarray(x, F64), b, kw.get("threshold"))))
        assert_close(dbeta(F64(kw["beta"])), want(F64(kw["beta"])), F64, f"softplus{kw} d/dbeta")
    # past the threshold the result is x itself, slope exactly 1
    y, g = value_and_grad(lambda t: jax_act.softplus(t, beta=2.0, threshold=4.0), jnp.asarray([2.5, 3.0], F64))
    np.testing.assert_array_equal(y, [2.5, 3.0])
    np.testing.assert_array_equal(g, [1.0, 1.0])


@pytest.mark.parametrize("dtype", [jnp.float32, jnp.float64], ids=["f32", "f64"])
def test_mish_of_large_input(dtype):
    x = jnp.asarray([1e3, 88.0, 100.0, 1e30, -1e3, np.inf, -np.inf], dtype)
    y, g = value_and_grad(jax_act.mish, x)
    np.testing.assert_array_equal(np.asarray(y[:4]), np.asarray(x[:4]))  # x·tanh(softplus(x)) = x there
    np.testing.assert_array_equal(np.asarray(g[:4]), 1.0)
    assert y[4] == 0 and g[4] == 0  # −1000·e^−1000 is below every dtype
    np.testing.assert_array_equal(np.asarray(y[5:]), [np.inf, 0.0])
    np.testing.assert_array_equal(np.asarray(g[5:]), [1.0, 0.0])
    np.testing.assert_array_equal(np.asarray(y[:5]), np.asarray(jax.nn.mish(x[:5])))


# (function, its plain formula, the root x₀ of f', the left tail where f' is a normal float32)
_ROOTED = {
    "mish": (jax_act.mish, _mish, -1.1924312145154952, (-80.0, -1.5)),
    "silu": (jax_act.silu, PLAIN["silu"], -1.2784645427610737, (-80.0, -1.5)),
    "quick_gelu": (jax_act.quick_gelu, lambda x: x / (1 + jnp.exp(-1.702 * x)), -0.751154255441289, (-48.0, -1.0)),
    "gelu": (jax_act.gelu, _gelu, -0.7524614220710163, (-10.3, -1.4)),
    "gelu_exact": (functools.partial(jax_act.gelu, approximate=False), functools.partial(_gelu, approximate=False),
                   -0.7517915246935645, (-13.4, -1.4)),
}


def _float32_gradient_errors(name, x):
    """|jax_act's float32 f' − float64 autodiff of the plain formula| / |the latter|, at the
    float32 points x where that is a normal float32."""
    f, plain, _, _ = _ROOTED[name]
    x = np.asarray(x, np.float32)  # not float64: with x64 on, numpy would promote the test away
    g = np.asarray(jax.jit(jax.vmap(jax.grad(f)))(jnp.asarray(x)), np.float64)
    t = np.asarray(jax.jit(jax.vmap(jax.grad(plain)))(jnp.asarray(x, F64)))
    normal = np.abs(t) >= np.finfo(np.float32).tiny
    return x[normal], g[normal], t[normal]


@pytest.mark.usefixtures("highest")
@pytest.mark.parametrize("name", list(_ROOTED))
def test_float32_gradient_keeps_its_digits_at_the_root_of_f_prime(name):
    # f' is a difference of equal terms at x₀: every float32 within ±1000 ulps of x₀ and a
    # sweep of ±0.8 around it. Points within 2e-7 of x₀ are left out: there the float64
    # oracle's own cancellation reaches float32 precision.
    x0 = _ROOTED[name][2]
    near = np.float32(x0) + np.arange(-1000, 1001) * np.spacing(np.float32(x0))
    x = np.concatenate([near, np.linspace(x0 - 0.8, x0 + 0.8, 20001)]).astype(np.float32)
    x, g, t = _float32_gradient_errors(name, x[np.abs(x.astype(np.float64) - x0) > 2e-7])
    bad = np.abs(g - t) > K * np.finfo(np.float32).eps * np.abs(t)
    assert not bad.any(), (x[bad][:5], g[bad][:5], t[bad][:5])


@pytest.mark.usefixtures("highest")
@pytest.mark.parametrize("name", list(_ROOTED))
def test_float32_gradient_keeps_its_digits_in_the_left_tail(name):
    # e^z in f' amplifies the rounding of its argument z (1.702x, 2u, x²/2) by |z|, up to 87:
    # a dense sweep down to where f' leaves the normal float32 range, relative error
    lo, hi = _ROOTED[name][3]
    x, g, t = _float32_gradient_errors(name, np.linspace(lo, hi, 40001))
    bad = np.abs(g - t) > K * np.finfo(np.float32).eps * np.abs(t)
    assert not bad.any(), (x[bad][:5], g[bad][:5], t[bad][:5])


def _mp_derivatives():
    """f' of the rooted functions in mpmath, from their definitions (constants exact)."""
    mp = pytest.importorskip("mpmath")
    sig = lambda z: 1 / (1 + mp.exp(-z))  # noqa: E731
    swish = lambda z: sig(z) * (1 + z * (1 - sig(z)))  # noqa: E731
    c, k = mp.sqrt(2 / mp.pi), mp.mpf("0.044715")

    def gelu_tanh(x):
        s = sig(2 * c * (x + k * x**3))
        return s + x * s * (1 - s) * 2 * c * (1 + 3 * k * x * x)

    def mish(x):
        t = mp.tanh(mp.log1p(mp.exp(x)))
        return t + x * (1 - t * t) * sig(x)

    return mp, {
        "silu": swish, "quick_gelu": lambda x: swish(mp.mpf("1.702") * x), "mish": mish, "gelu": gelu_tanh,
        "gelu_exact": lambda x: mp.ncdf(x) + x * mp.npdf(x),
    }


@pytest.mark.usefixtures("highest")
@pytest.mark.parametrize("name", list(_ROOTED))
def test_float64_gradient_keeps_its_digits_at_the_root_of_f_prime(name):
    # float64's direct formula keeps float64's absolute error at x₀ too (exact gelu': 3,800
    # float64 ulps at −0.7519): every float64 within ±1000 ulps of x₀ and a sweep of ±0.1
    mp, fprime = _mp_derivatives()
    mp.mp.dps = 60
    f, _, x0, _ = _ROOTED[name]
    x = np.concatenate([x0 + np.arange(-1000, 1001) * np.spacing(x0), np.linspace(x0 - 0.1, x0 + 0.1, 2001)])
    with enable_x64():
        g = np.asarray(jax.jit(jax.vmap(jax.grad(f)))(jnp.asarray(x, F64)))
    t = np.array([float(fprime[name](mp.mpf(v))) for v in x])
    bad = np.abs(g - t) > K * np.finfo(np.float64).eps * np.abs(t)
    assert not bad.any(), (x[bad][:5], g[bad][:5], t[bad][:5])


# --------------------------------------------------------------------------- float32 in ulps

GOAL_ULPS = 4  # the accuracy goal for float32 gradients (jax-act accuracy's grad*)


def _sig(x):
    return 1 / (1 + np.exp(-x))


# name: (function, oracle f' in float64, f'' where f' is read from the saved output (else
# None), x range).
# The oracles are numpy's float64 functions, not XLA's; mish's and exact gelu's are float64
# autodiff of the plain formulas.
_F32_GRADIENTS = {
    "tanh": (jax_act.tanh, lambda x: 1 / np.cosh(x) ** 2, lambda x: -2 * np.tanh(x) / np.cosh(x) ** 2, (-10.0, 10.0)),
    "tanh_shrink": (jax_act.tanh_shrink, lambda x: np.tanh(x) ** 2, None, (-10.0, 10.0)),
    "softplus": (jax_act.softplus, _sig, lambda x: _sig(x) * _sig(-x), (-30.0, 30.0)),
    "log_sigmoid": (jax_act.log_sigmoid, lambda x: _sig(-x), lambda x: -_sig(x) * _sig(-x), (-30.0, 30.0)),
    "log1mexp": (jax_act.log1mexp, lambda x: 1 / np.expm1(x), None, (1e-3, 30.0)),
    "mish": (jax_act.mish, lambda x: _f64_grad(_mish, x), None, (-30.0, 10.0)),
    "squareplus": (jax_act.squareplus, lambda x: (1 + x / np.sqrt(x * x + 4)) / 2, None, (-30.0, 30.0)),  # float64 cancels: < 1e-12 here
    "gelu_exact": (functools.partial(jax_act.gelu, approximate=False), lambda x: _f64_grad(functools.partial(_gelu, approximate=False), x),
                   None, (-8.0, 2.0)),  # erfc's x² and Φ + xφ cancelling at −1.6 (5.5 ulps before)
}


def _f64_grad(f, x):
    return np.asarray(jax.jit(jax.vmap(jax.grad(f)))(jnp.asarray(x, F64)))


def _ulps(got, true):
    return np.abs(got.astype(np.float64) - true) / np.spacing(np.abs(true).astype(np.float32)).astype(np.float64)


@pytest.mark.usefixtures("highest")
@pytest.mark.parametrize("name", list(_F32_GRADIENTS))
def test_float32_gradient_within_the_goal(name):
    # A dense sweep (the accuracy table samples 4,000 points on [−20, 20]). Where f' is read
    # from the saved output, points where rounding y by half an ulp alone moves f' by more
    # than an ulp are left out, as in the table (documented: the residual has lost the bits).
    f, fp, fpp, (lo, hi) = _F32_GRADIENTS[name]
    x = np.linspace(lo, hi, 200001).astype(np.float32)
    x64 = x.astype(np.float64)
    g = np.asarray(jax.jit(jax.vmap(jax.grad(f)))(jnp.asarray(x)), np.float64)
    t = fp(x64)
    keep = np.abs(t) >= np.finfo(np.float32).tiny
    if fpp is not None:
        y = np.asarray(f(jnp.asarray(x)), np.float64)
        keep &= np.abs(fpp(x64)) * np.spacing(np.abs(y).astype(np.float32)) / 2 / t**2 <= np.finfo(np.float32).eps
    err = _ulps(g[keep], t[keep])
    assert err.max() <= GOAL_ULPS, (x[keep][np.argmax(err)], err.max())


@pytest.mark.usefixtures("highest")
@pytest.mark.parametrize(
    "name, oracle, lo, hi",
    [
        ("tanh", np.tanh, -10.0, 10.0),  # XLA's float32 tanh is up to 4.6 ulps off
        ("elu", lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0))), -20.0, 1.0),  # expm1: 5.4
        ("log1mexp", lambda x: np.log(-np.expm1(-x)), 1e-3, 20.0),
    ],
)
def test_float32_values_within_about_an_ulp(name, oracle, lo, hi):
    x = np.linspace(lo, hi, 200001).astype(np.float32)
    y = np.asarray(lookup(name).fn(jnp.asarray(x)))
    t = oracle(x.astype(np.float64))
    ok = np.abs(t) >= np.finfo(np.float32).tiny
    assert _ulps(y[ok], t[ok]).max() <= 2


@pytest.mark.sweep
@pytest.mark.parametrize("dtype", [jnp.float16, jnp.float32], ids=["f16", "f32"])
@pytest.mark.parametrize("name", ["elu", "celu", "selu"])
def test_exponential_linear_units_of_large_input(name, dtype):
    """elu(1e4): the unused exp branch must not overflow into the value or any derivative
    (first and second order, input and alpha)."""
    x = jnp.asarray([1e4, 300.0, -1e4, -300.0], dtype)
    y, g = ours_vg(name, {}, x)
    y_nn, g_nn = nn_vg(name, {}, x)
    np.testing.assert_array_equal(np.asarray(y), np.asarray(y_nn))
    if name == "selu" and dtype == jnp.float16:  # y = −1.7578125, the float16 nearest −λα, so
        assert_close(g, g_nn, dtype, "selu'")  # y + λα leaves 2.9e-4 (documented), not 0
    else:
        np.testing.assert_array_equal(np.asarray(g), np.asarray(g_nn))
    second = jax.vmap(jax.grad(jax.grad(jax_act.get(name))))(x)
    assert np.isfinite(np.asarray(second, np.float64)).all(), second
    if name != "selu":
        d_alpha = jax.vmap(jax.grad(lambda t, a: jax_act.get(name)(t, a), argnums=1), (0, None))(x, dtype(1.0))
        d_alpha_nn = jax.vmap(jax.grad(lambda t, a: getattr(jax.nn, name)(t, a), argnums=1), (0, None))(x, dtype(1.0))
        np.testing.assert_array_equal(np.asarray(d_alpha), np.asarray(d_alpha_nn))
    _, fwd = jax.jvp(jax_act.forward_mode.get(name), (x,), (jnp.ones_like(x),))
    np.testing.assert_array_equal(np.asarray(fwd), np.asarray(g))


@pytest.mark.parametrize("approximate", [True, False])
def test_gelu_of_integer_input_equals_gelu_of_the_same_floats(approximate):
    with enable_x64(False):  # as users run it: integers promote to float32
        xi = jnp.arange(-4, 5, dtype=jnp.int32)
        got = jax_act.gelu(xi, approximate=approximate)
        assert got.dtype == jax.nn.gelu(xi, approximate=approximate).dtype == jnp.float32
        np.testing.assert_array_equal(got, jax_act.gelu(xi.astype(jnp.float32), approximate=approximate))
        assert_close(got, jax.nn.gelu(xi, approximate=approximate), jnp.float32, "gelu(int)")
        assert np.asarray(got)[-1] > 3.99  # not the integer-arithmetic collapse to 0 or 4·0


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
def test_relu6_gradient_is_zero_at_0_and_6(dtype):
    _, g = value_and_grad(jax_act.relu6, jnp.asarray([0.0, 6.0, 3.0], dtype))
    np.testing.assert_array_equal(np.asarray(g, np.float64), [0.0, 0.0, 1.0])


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
def test_hard_tanh_gradient_at_plus_minus_one_is_jax_nns(dtype):
    x = jnp.asarray([-1.0, 1.0, -1.5, 1.5, np.nan], dtype)
    _, g = value_and_grad(jax_act.hard_tanh, x)
    _, g_nn = value_and_grad(jax.nn.hard_tanh, x)
    np.testing.assert_array_equal(np.asarray(g, np.float64), np.asarray(g_nn, np.float64))
    np.testing.assert_array_equal(np.asarray(g, np.float64)[:4], [1.0, 1.0, 0.0, 0.0])


def test_sparse_sigmoid_and_sparse_plus_at_their_kinks():
    x = jnp.asarray([-1.0, 1.0, -1.5, 1.5, 0.0], jnp.float32)
    _, g = value_and_grad(jax_act.sparse_sigmoid, x)
    np.testing.assert_array_equal(g, value_and_grad(jax.nn.sparse_sigmoid, x)[1])
    np.testing.assert_array_equal(g, [0.25, 0.25, 0.0, 0.0, 0.5])  # mean of the one-sided slopes
    _, g = value_and_grad(jax_act.sparse_plus, x)
    np.testing.assert_array_equal(g, jax_act.sparse_sigmoid(jnp.asarray([-1.0, 1.0, -1.5, 1.5, 0.0])))


@pytest.mark.usefixtures("highest")
def test_soft_sign_and_squareplus_where_jax_nn_loses_the_answer():
    x = jnp.asarray([np.inf, -np.inf], jnp.float32)
    y, g = value_and_grad(jax_act.soft_sign, x)
    np.testing.assert_array_equal(y, [1.0, -1.0])  # jax.nn: inf/inf = NaN
    np.testing.assert_array_equal(g, [0.0, 0.0])
    x = jnp.asarray([-1e4, -1e6, -1e20, -1e37, np.inf, -np.inf], jnp.float32)  # x² overflows from 1.8e19
    y, g = value_and_grad(jax_act.squareplus, x)
    want = -1 / np.asarray(x[:4], np.float64)  # b/(4|x|) to first order, exact to ~1e-8 relative here
    assert_close(y[:4], want, jnp.float32, "squareplus tail", relative_only=True)
    assert_close(g[:2], want[:2] ** 2, jnp.float32, "squareplus' tail", relative_only=True)  # y²/(y² + 1)
    np.testing.assert_array_equal(g[2:4], [0.0, 0.0])  # b/(4x²) underflows
    np.testing.assert_array_equal(y[4:], [np.inf, 0.0])
    np.testing.assert_array_equal(g[4:], [1.0, 0.0])


@pytest.mark.parametrize("dtype", [jnp.bfloat16, jnp.float16], ids=["bf16", "f16"])
def test_python_number_parameters_are_not_rounded_to_half_precision(dtype):
    """leaky_relu(x, 0.01) in half precision: the product with 0.01 itself (not with 0.01's
    half-precision rounding), rounded once: the float64 product rounded to the dtype."""
    x = jnp.asarray(-np.geomspace(1e-3, 1e3, 4001), dtype)
    exact = np.asarray(x, np.float64) * 0.01
    got = jax_act.leaky_relu(x, 0.01)
    assert got.dtype == dtype
    ulp = np.maximum(eps(dtype) * 2.0 ** np.floor(np.log2(np.abs(exact))), float(jnp.finfo(dtype).smallest_subnormal))
    half_ulp = 0.5 * ulp  # of the dtype, at the result (subnormal results: the fixed spacing there)
    # rounded once from the exact product (the 2⁻¹⁰ allows float32's own rounding before it);
    # with 0.01 rounded to the dtype first, the error reaches 0.7 (bfloat16) / 0.7 (float16) ulp
    assert np.all(np.abs(np.asarray(got, np.float64) - exact) <= half_ulp * (1 + 2.0**-10))


@pytest.mark.parametrize("name,kw", [("silu", {}), ("gelu", {}), ("gelu", {"approximate": False}), ("mish", {})],
                         ids=["silu", "gelu", "gelu-exact", "mish"])
def test_infinite_and_nan_input(name, kw):
    """±inf: defined values and gradients (jax.nn gives NaN gradients there); NaN stays NaN."""
    x = jnp.asarray([np.inf, -np.inf, np.nan, 1e30, -1e30], jnp.float32)
    y, g = value_and_grad(ours(name, kw), x)
    np.testing.assert_array_equal(np.asarray(y)[:3], [np.inf, 0.0, np.nan])
    np.testing.assert_array_equal(np.asarray(g), [1.0, 0.0, np.nan, 1.0, 0.0])


def test_identity_keeps_dtype_and_saves_nothing():
    for x in [jnp.arange(3, dtype=jnp.int32), jnp.array([True, False]), jnp.ones(2, jnp.bfloat16)]:
        got = jax_act.identity(x)
        assert got.dtype == jax.nn.identity(x).dtype
        np.testing.assert_array_equal(got, x)
    np.testing.assert_array_equal(jax_act.derivative("identity")(jnp.arange(3.0)), [1.0, 1.0, 1.0])


def test_hard_tanh_keeps_integers_and_others_promote_as_jax_nn():
    with enable_x64(False):
        xi = jnp.asarray([-3, -1, 0, 2, 7], jnp.int32)
        for name in ["hard_tanh", "relu6", "elu", "soft_sign", "sparse_plus", "softplus", "squareplus"]:
            got, want = jax_act.get(name)(xi), getattr(jax.nn, name)(xi)
            assert got.dtype == want.dtype, name
            assert_close(got, want, jnp.float32, f"{name}(int)")


def test_aliases_are_the_same_functions():
    assert jax_act.swish is jax_act.silu and jax_act.get("swish") is jax_act.silu
    assert jax_act.hard_swish is jax_act.hard_silu and jax_act.get("hard_swish") is jax_act.hard_silu
    x = jnp.linspace(-4.0, 4.0, 9)
    np.testing.assert_array_equal(jax_act.swish(x), jax_act.silu(x))
