"""The five core activations (sigmoid, tanh, relu, leaky_relu, softmax): what the kit does
not cover generically — transformations, masks, parameters, bad input."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jax_act
from jax_act._compat import saved_residuals
from jax_act.testing import DTYPES, tolerance

CORE = ["sigmoid", "tanh", "relu", "leaky_relu", "softmax"]
F64 = dict(rtol=1e-12, atol=1e-12)


def plain(name):
    """The textbook formulas, differentiated by jax.grad."""
    return {
        "sigmoid": lambda x: 1 / (1 + jnp.exp(-x)),
        "tanh": lambda x: (jnp.exp(2 * x) - 1) / (jnp.exp(2 * x) + 1),
        "relu": lambda x: jnp.where(x > 0, x, 0.0),
        "leaky_relu": lambda x: jnp.where(x >= 0, x, 0.01 * x),
        "softmax": lambda x: jnp.exp(x) / jnp.sum(jnp.exp(x), -1, keepdims=True),
    }[name]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", CORE)
def test_values_and_dtype_match_jax_nn(name, dtype):
    x = jnp.asarray(np.random.default_rng(0).normal(size=(4, 9)) * 4, dtype)
    ours, theirs = jax_act.get(name)(x), getattr(jax.nn, name)(x)
    assert ours.dtype == theirs.dtype == x.dtype
    np.testing.assert_allclose(
        np.asarray(ours, np.float64), np.asarray(theirs, np.float64), rtol=tolerance(dtype), atol=tolerance(dtype)
    )


def _compare(pairs: dict) -> None:
    for label, (got, want) in pairs.items():
        np.testing.assert_allclose(got, want, err_msg=label, **F64)


# Each test traces every transformation, and its oracle, into one jax.jit: one compilation
# instead of one per primitive.


@pytest.mark.parametrize("name", CORE)
def test_transformations(name):
    """jit, nested vmap with in_axes/out_axes, grad∘grad, hessian, jacrev — against the plain
    formula under autodiff in float64 (away from relu's kink)."""
    f, ref = jax_act.get(name), plain(name)
    x = jnp.asarray(np.random.default_rng(1).normal(size=(3, 5)) + 0.05, jnp.float64)
    s = lambda g: (lambda x: jnp.sum(g(x) * jnp.arange(1.0, 6.0)))  # noqa: E731 - weights break symmetry
    gg = lambda g: jax.grad(lambda x: jnp.sum(jax.grad(s(g))(x) ** 2))  # noqa: E731
    # softmax normalizes along its last axis: under the nested vmap it sees one-element rows
    nested = (lambda g: lambda x: jax.vmap(jax.vmap(g))(x[..., None])[..., 0]) if name == "softmax" else (
        lambda g: jax.vmap(jax.vmap(g)))

    @jax.jit
    def cell(x):
        return {
            "jit": (f(x), ref(x)),
            "nested vmap": (nested(f)(x), nested(ref)(x)),
            "vmap in_axes=1 out_axes=1": (jax.vmap(f, in_axes=1, out_axes=1)(x), jax.vmap(ref, in_axes=1, out_axes=1)(x)),
            "grad": (jax.grad(s(f))(x), jax.grad(s(ref))(x)),
            "jacrev": (jax.jacrev(f)(x[0]), jax.jacrev(ref)(x[0])),
            "hessian": (jax.hessian(s(f))(x[0]), jax.hessian(s(ref))(x[0])),
            "grad∘grad": (gg(f)(x), gg(ref)(x)),
        }

    _compare(cell(x))


@pytest.mark.parametrize("name", CORE)
def test_forward_twin(name):
    twin, ref = getattr(jax_act.forward_mode, name), plain(name)
    x = jnp.asarray(np.random.default_rng(2).normal(size=(6,)) + 0.05, jnp.float64)
    t = jnp.asarray(np.random.default_rng(3).normal(size=(6,)), jnp.float64)

    @jax.jit
    def cell(x, t):
        return {
            "jvp": (jax.jvp(twin, (x,), (t,))[1], jax.jvp(ref, (x,), (t,))[1]),
            "jacfwd": (jax.jacfwd(twin)(x), jax.jacfwd(ref)(x)),
            "linearize": (jax.linearize(twin, x)[1](t), jax.jvp(ref, (x,), (t,))[1]),
            "jacfwd∘jacfwd": (jax.jacfwd(jax.jacfwd(twin))(x), jax.jacfwd(jax.jacfwd(ref))(x)),
        }

    _compare(cell(x, t))
    with pytest.raises(TypeError):  # why the twin exists: custom_vjp refuses forward mode
        jax.jvp(jax_act.get(name), (x,), (t,))


def test_kink_gradients_match_jax_nn():
    for name in ["relu", "leaky_relu"]:
        for z in [0.0, -0.0]:
            got = jax.grad(jax_act.get(name))(jnp.float32(z))
            assert got == jax.grad(getattr(jax.nn, name))(jnp.float32(z)), (name, z)
    assert jax.grad(jax_act.relu)(0.0) == 0.0


def test_leaky_relu_parameter_gradient_and_arrays():
    x = jnp.array([-2.0, -0.5, 0.0, 1.5], jnp.float64)
    slope = jnp.array([0.1, 0.2, 0.3, 0.4], jnp.float64)
    ref = lambda x, a: jnp.where(x >= 0, x, a * x)  # noqa: E731
    for argnums in [0, 1, (0, 1)]:
        ours = jax.grad(lambda x, a: jnp.sum(jax_act.leaky_relu(x, a) ** 2), argnums)(x, slope)
        theirs = jax.grad(lambda x, a: jnp.sum(ref(x, a) ** 2), argnums)(x, slope)
        np.testing.assert_allclose(ours, theirs, **F64)
    # a scalar slope receives the sum over elements; a negative slope is exact too
    g = jax.grad(lambda a: jnp.sum(jax_act.leaky_relu(x, a)))(-0.3)
    assert g == pytest.approx(-2.5)
    np.testing.assert_allclose(jax.grad(lambda x: jnp.sum(jax_act.leaky_relu(x, -0.3)))(x), [-0.3, -0.3, 1, 1])
    # a per-example slope under vmap
    out = jax.vmap(jax_act.leaky_relu)(jnp.full((4, 3), -1.0), slope)
    np.testing.assert_allclose(out, -slope[:, None] * jnp.ones((4, 3)))


def test_softmax_masks_and_infinities():
    x = jnp.array([[1.0, 2.0, 3.0], [1.0, 2.0, 3.0], [-jnp.inf, 0.0, 1.0], [-jnp.inf] * 3], jnp.float32)
    where = jnp.array([[True, True, False], [False, False, False], [True, True, True], [True, True, True]])
    y = jax_act.softmax(x, where=where)
    g = jax.grad(lambda x: jnp.sum(jax_act.softmax(x, where=where) * jnp.arange(3.0)))(x)
    np.testing.assert_allclose(y[0], jax.nn.softmax(x[0, :2])[None].tolist()[0] + [0.0], rtol=1e-6)
    assert (y[1] == 0).all() and (g[1] == 0).all(), "fully masked row: output 0, gradient 0"
    assert (y[3] == 0).all() and (g[3] == 0).all(), "all −inf row: output 0, gradient 0"
    assert y[2, 0] == 0 and g[2, 0] == 0 and np.isfinite(g).all()
    np.testing.assert_allclose(jnp.sum(y[jnp.array([0, 2])], -1), 1.0, rtol=1e-6)
    # a masked entry holding a huge value or NaN changes nothing
    xs = jnp.array([36.0, 10000.0, jnp.nan])
    m = jnp.array([True, False, False])
    gs = jax.grad(lambda x: jax_act.softmax(x, where=m)[0])(xs)
    assert jax_act.softmax(xs, where=m).tolist() == [1.0, 0.0, 0.0] and gs.tolist() == [0.0, 0.0, 0.0]


def test_softmax_axes():
    x = jnp.asarray(np.random.default_rng(4).normal(size=(2, 3, 4)), jnp.float64)
    w = jnp.arange(24.0).reshape(2, 3, 4)

    @jax.jit
    def cell(x):
        out = {}
        for axis in [0, 1, -1, (0, 2), (1, 2), None]:
            out[f"axis={axis}"] = (jax_act.softmax(x, axis=axis), jax.nn.softmax(x, axis=axis))
            out[f"grad axis={axis}"] = (
                jax.grad(lambda x: jnp.sum(w * jax_act.softmax(x, axis=axis)))(x),
                jax.grad(lambda x: jnp.sum(w * jax.nn.softmax(x, axis=axis)))(x),
            )
        return out

    _compare(cell(x))
    jac = jax_act.derivative(jax_act.softmax)(x[0, 0])
    s = jax.nn.softmax(x[0, 0])
    np.testing.assert_allclose(jac, jnp.diag(s) - jnp.outer(s, s), **F64)  # S_i(δ_ij − S_j)


@pytest.mark.parametrize("name", CORE)
def test_saves_only_the_output(name):
    x = jnp.linspace(-3.0, 3.0, 32, dtype=jnp.float32).reshape(4, 8)
    res = [(a, why) for a, why in saved_residuals(jax_act.get(name), x) if a.size > 1]
    assert [a.shape for a, _ in res] == [x.shape]
    expected = "bool" if name == "leaky_relu" else "float32"  # leaky_relu: the 1-byte mask
    assert str(res[0][0].dtype) == expected


def test_integer_and_boolean_inputs_promote_as_jax_nn():
    for x in [jnp.array([-2, 0, 3], jnp.int32), jnp.array([True, False]), jnp.array([1, -1], jnp.int8)]:
        assert jax_act.relu(x).dtype == jax.nn.relu(x).dtype
        for name in ["tanh", "leaky_relu", "softmax"]:
            try:
                theirs = getattr(jax.nn, name)(x)
            except TypeError:  # jax.nn.softmax refuses bool; we promote it like tanh
                theirs = jax.nn.softmax(x.astype(jax_act.tanh(x).dtype))
            assert jax_act.get(name)(x).dtype == theirs.dtype, name
            np.testing.assert_allclose(jax_act.get(name)(x), theirs, rtol=1e-6)
        # jax.nn.sigmoid refuses integers; we promote like tanh
        assert jax_act.sigmoid(x).dtype == jax_act.tanh(x).dtype


@pytest.mark.parametrize(
    "call, exc, words",
    [
        (lambda: jax_act.sigmoid("1.0"), TypeError, ["sigmoid", "'x'"]),
        (lambda: jax_act.relu(None), TypeError, ["relu", "'x'"]),
        (lambda: jax_act.tanh(jnp.array([1 + 2j])), TypeError, ["tanh", "'x'"]),
        (lambda: jax_act.softmax(jnp.ones((2, 3)), axis=2), ValueError, ["softmax", "axis"]),
        (lambda: jax_act.softmax(jnp.ones((2, 3)), axis=(1, -1)), ValueError, ["softmax", "axis"]),
        (lambda: jax_act.softmax(jnp.ones((2, 3)), axis=1.5), TypeError, ["softmax", "axis"]),
        (lambda: jax_act.softmax(jnp.ones((2, 3)), where=jnp.ones((4,), bool)), ValueError, ["softmax", "'where'"]),
        (lambda: jax_act.leaky_relu(jnp.ones(3), jnp.array([1, 2, 3])), TypeError, ["leaky_relu", "'negative_slope'"]),
        (lambda: jax_act.leaky_relu(jnp.ones(3), jnp.ones(4)), ValueError, ["leaky_relu", "'negative_slope'"]),
        (lambda: jax_act.leaky_relu(jnp.ones(3), "a"), TypeError, ["leaky_relu", "'negative_slope'"]),
        (lambda: jax_act.sigmoid(jnp.ones(3), 2.0), TypeError, ["sigmoid"]),
    ],
)
def test_bad_input_names_function_and_argument(call, exc, words):
    with pytest.raises(exc) as info:
        call()
    for w in words:
        assert w in str(info.value), (w, str(info.value))


def test_empty_and_scalar_inputs():
    for name in ["sigmoid", "tanh", "relu", "leaky_relu"]:
        f = jax_act.get(name)
        assert f(jnp.zeros((0, 3))).shape == (0, 3)
        assert jax.grad(lambda x: jnp.sum(f(x)))(jnp.zeros((0,))).shape == (0,)
        assert f(1.5).shape == ()
    assert jax_act.softmax(jnp.zeros((0, 4))).shape == (0, 4)
    assert jax.grad(lambda x: jnp.sum(jax_act.softmax(x)))(jnp.zeros((2, 0))).shape == (2, 0)
