"""jax_act in Flax (linen and nnx): MLPs train, gradients equal jax.nn's, learnable parameters learn.

Oracles: the same model with jax.nn's activation under plain autodiff, flax.linen.PReLU, and
jax.grad of each declaration's plain reference formula. Everything in float64; a result passes
when ``|got − want| ≤ TOL · eps · (|want| + 1)``.
"""

from __future__ import annotations

from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jax_act
from jax_act._engine import lookup
from jax_act.testing import TOLERANCE

flax = pytest.importorskip("flax")
optax = pytest.importorskip("optax")
from flax import linen, nnx  # noqa: E402

from jax_act.flax import linen as jl  # noqa: E402
from jax_act.flax import nnx as jn  # noqa: E402

from _helpers import assert_close  # noqa: E402

TOL = 8 * TOLERANCE  # eps units; the gradients sum over a batch of 32 through three layers
F64 = jnp.float64
PAIRS = ["relu", "gelu", "tanh", "elu"]  # jax_act.NAME against jax.nn.NAME


def close(got, want, what=""):
    for (path, g), w in zip(jax.tree_util.tree_leaves_with_path(got), jax.tree_util.tree_leaves(want)):
        assert_close(g, w, F64, TOL, f"{what} {jax.tree_util.keystr(path)}", per_entry=True)


def data(n=32, d_in=3, d_out=2, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d_in))
    y = np.stack([np.sin(x[:, 0] + x[:, 1]), x[:, 2] * x[:, 0]], -1)[:, :d_out]
    return jnp.asarray(x, F64), jnp.asarray(y, F64)


def mse(pred, y):
    return jnp.mean((pred - y) ** 2)


# --------------------------------------------------------------------------- linen


class LinenMLP(linen.Module):
    activation: Callable = jax_act.gelu  # a callable field, as Flax users write it

    @linen.compact
    def __call__(self, x):
        for width in (16, 16):
            x = self.activation(linen.Dense(width, param_dtype=F64)(x))
        return linen.Dense(2, param_dtype=F64)(x)


@pytest.mark.sweep
@pytest.mark.parametrize("name", PAIRS)
def test_linen_mlp_gradients_match_jax_nn_and_train(name):
    x, y = data()
    ours, theirs = LinenMLP(jax_act.get(name)), LinenMLP(getattr(jax.nn, name))
    params = ours.init(jax.random.key(0), x)

    def loss(p, model):
        return mse(model.apply(p, x), y)

    close(jax.grad(loss)(params, ours), jax.grad(loss)(params, theirs), name)

    tx = optax.adam(1e-2)
    step = jax.jit(lambda p, s: _step(lambda p: loss(p, ours), tx, p, s))
    state, first = tx.init(params), loss(params, ours)
    for _ in range(30):
        params, state = step(params, state)
    assert loss(params, ours) < 0.7 * first


def _step(loss, tx, p, s):
    g = jax.grad(loss)(p)
    u, s = tx.update(g, s, p)
    return optax.apply_updates(p, u), s


def test_linen_sequential_and_module_body():
    x, _ = data()
    seq = linen.Sequential([linen.Dense(8, param_dtype=F64), jax_act.silu, linen.Dense(4, param_dtype=F64), jax_act.softmax])
    ref = linen.Sequential([linen.Dense(8, param_dtype=F64), jax.nn.silu, linen.Dense(4, param_dtype=F64), jax.nn.softmax])
    p = seq.init(jax.random.key(1), x)
    close(seq.apply(p, x), ref.apply(p, x), "values")
    g = lambda m: jax.grad(lambda p: jnp.sum(m.apply(p, x)[:, 0] ** 2))(p)  # noqa: E731
    close(g(seq), g(ref), "grads")


# --------------------------------------------------------------------------- nnx


class NnxMLP(nnx.Module):
    def __init__(self, activation: Callable, rngs: nnx.Rngs):
        self.activation = activation
        self.layers = nnx.List(
            [nnx.Linear(a, b, param_dtype=F64, rngs=rngs) for a, b in ((3, 16), (16, 16), (16, 2))]
        ) if hasattr(nnx, "List") else [nnx.Linear(a, b, param_dtype=F64, rngs=rngs) for a, b in ((3, 16), (16, 16), (16, 2))]

    def __call__(self, x):
        for layer in self.layers[:-1]:
            x = self.activation(layer(x))
        return self.layers[-1](x)


@pytest.mark.sweep
@pytest.mark.parametrize("name", PAIRS)
def test_nnx_mlp_gradients_match_jax_nn_and_train(name):
    x, y = data()
    model = NnxMLP(jax_act.get(name), nnx.Rngs(0))
    twin = NnxMLP(getattr(jax.nn, name), nnx.Rngs(0))  # same seed: same weights
    grads = nnx.grad(lambda m: mse(m(x), y))(model)
    close(nnx.state(grads, nnx.Param), nnx.state(nnx.grad(lambda m: mse(m(x), y))(twin), nnx.Param), name)

    optimizer = nnx.Optimizer(model, optax.adam(1e-2), wrt=nnx.Param)

    @nnx.jit
    def train_step(model, optimizer):
        loss, grads = nnx.value_and_grad(lambda m: mse(m(x), y))(model)
        optimizer.update(model, grads)
        return loss

    first = mse(model(x), y)
    for _ in range(30):
        train_step(model, optimizer)
    assert mse(model(x), y) < 0.7 * first


def test_nnx_sequential():
    x, _ = data()
    rngs = nnx.Rngs(2)
    seq = nnx.Sequential(nnx.Linear(3, 8, param_dtype=F64, rngs=rngs), jax_act.gelu, nnx.Linear(8, 2, param_dtype=F64, rngs=rngs))
    want = jax.nn.gelu(x @ seq.layers[0].kernel[...] + seq.layers[0].bias[...]) @ seq.layers[2].kernel[...] + seq.layers[2].bias[...]
    close(seq(x), want, "values")


# --------------------------------------------------------------------------- learnable parameters

LEARNABLE = [n for n in jax_act.names() if jax_act.spec(n).kind == "elementwise" and jax_act.spec(n).params]


def _inputs(name, shape=(5, 4)):
    lo, hi = jax_act.spec(name).probes.domain
    x = np.random.default_rng(3).normal(0, 2, shape)
    if np.isfinite(lo) or np.isfinite(hi):
        x = np.clip(np.abs(x) + 0.1, lo + 0.1, hi - 0.1) if lo >= 0 else -np.abs(x) - 0.1
    return jnp.asarray(x, F64)


def _initial(name):
    """Parameters without a default take the first value the declaration's test sets give."""
    spec = jax_act.spec(name)
    return {p: v for ps in reversed(spec.probes.test_params) for p, v in ps.items() if p in spec.params}


def _reference_grads(name, x, values, c):
    ref = lookup(name).reference
    return jax.grad(lambda v: jnp.sum(c * ref(x, **v)))(values)


@pytest.mark.sweep
@pytest.mark.parametrize("name", LEARNABLE)
def test_linen_learnable_parameter_gradients(name):
    x = _inputs(name)
    c = jnp.asarray(np.random.default_rng(4).uniform(0.5, 2, x.shape), F64)
    mod = jl.Learnable(name, param_shape=(4,), initial=_initial(name), param_dtype=F64)
    variables = mod.init(jax.random.key(0), x)
    values = dict(variables["params"])
    assert set(values) == set(jax_act.spec(name).params) and all(v.shape == (4,) for v in values.values())
    got = jax.grad(lambda v: jnp.sum(c * mod.apply({"params": v}, x)))(values)
    close(got, _reference_grads(name, x, values, c), name)


@pytest.mark.sweep
@pytest.mark.parametrize("name", LEARNABLE)
def test_nnx_learnable_parameter_gradients(name):
    x = _inputs(name)
    c = jnp.asarray(np.random.default_rng(4).uniform(0.5, 2, x.shape), F64)
    mod = jn.Learnable(name, param_shape=(4,), initial=_initial(name), param_dtype=F64)
    grads = nnx.grad(lambda m: jnp.sum(c * m(x)))(mod)
    values = {p: getattr(mod, p)[...] for p in jax_act.spec(name).params}
    got = {p: getattr(grads, p)[...] for p in values}
    close(got, _reference_grads(name, x, values, c), name)


def test_learnable_elu_recovers_alpha():
    """Fit per-feature α of elu to data made with α = (0.5, 2.0): the closed-form ∂/∂α learns it."""
    if "elu" not in LEARNABLE:
        pytest.skip("elu not registered")
    x = jnp.asarray(np.random.default_rng(5).normal(0, 2, (64, 2)), F64)
    y = jax.nn.elu(x[:, :1], 0.5), jax.nn.elu(x[:, 1:], 2.0)
    y = jnp.concatenate(y, -1)
    mod = jn.Learnable("elu", param_shape=(2,), param_dtype=F64)
    opt = nnx.Optimizer(mod, optax.adam(5e-2), wrt=nnx.Param)
    step = nnx.jit(lambda m, o: o.update(m, nnx.grad(lambda m: mse(m(x), y))(m)))
    for _ in range(300):
        step(mod, opt)
    np.testing.assert_allclose(mod.alpha[...], [0.5, 2.0], rtol=1e-3)


def test_learnable_rejects_unknown_parameter():
    with pytest.raises(ValueError, match="Learnable.*'tanh'"):
        jn.Learnable("tanh")
    with pytest.raises(ValueError, match="cannot learn"):
        jn.Learnable("leaky_relu", learn=("alpha",))


# --------------------------------------------------------------------------- PReLU

needs_prelu = pytest.mark.skipif("prelu" not in jax_act.names(), reason="jax_act.prelu not registered yet")


@needs_prelu
@pytest.mark.parametrize("slope", [0.01, 0.25, -0.5])
def test_linen_prelu_matches_flax_prelu(slope):
    x = _inputs("relu", (6, 3))
    ours, theirs = jl.PReLU(negative_slope_init=slope, param_dtype=F64), linen.PReLU(negative_slope_init=slope, param_dtype=F64)
    p = ours.init(jax.random.key(0), x)
    assert jax.tree.structure(p) == jax.tree.structure(theirs.init(jax.random.key(0), x))
    c = jnp.asarray(np.random.default_rng(6).uniform(0.5, 2, x.shape), F64)
    f = lambda m: jax.value_and_grad(lambda p, x: jnp.sum(c * m.apply(p, x)), argnums=(0, 1))(p, x)  # noqa: E731
    close(f(ours), f(theirs), f"slope {slope}")


@needs_prelu
def test_prelu_per_feature_slope_linen_and_nnx():
    x = _inputs("relu", (6, 3))
    c = jnp.asarray(np.random.default_rng(7).uniform(0.5, 2, x.shape), F64)
    lin = jl.PReLU(param_shape=(3,), negative_slope_init=0.2, param_dtype=F64)
    p = lin.init(jax.random.key(0), x)
    p = jax.tree.map(lambda a: a * jnp.array([1.0, -1.0, 3.0]), p)  # slopes 0.2, −0.2, 0.6
    slope = p["params"]["negative_slope"]
    want = jax.grad(lambda s: jnp.sum(c * jnp.where(x >= 0, x, s * x)))(slope)
    close(jax.grad(lambda p: jnp.sum(c * lin.apply(p, x)))(p)["params"]["negative_slope"], want, "linen")
    mod = jn.PReLU(param_shape=(3,), param_dtype=F64)
    mod.negative_slope[...] = slope
    close(nnx.grad(lambda m: jnp.sum(c * m(x)))(mod).negative_slope[...], want, "nnx")


# --------------------------------------------------------------------------- every activation


def _with_params(name):
    """The public function with the parameters it needs bound (first tested values)."""
    import functools

    fn = jax_act.get(name)
    needed = {p: v for p, v in _initial(name).items() if p in jax_act.spec(name).params}
    return functools.partial(fn, **needed) if needed else fn


@pytest.mark.sweep
@pytest.mark.parametrize("name", jax_act.names())
def test_every_activation_in_a_linen_sequential(name):
    """Every registered activation drops into linen.Sequential; the model's value and gradient
    are the plain composition's (the activation applied to the Dense output outside Flax)."""
    x = jnp.asarray(np.random.default_rng(8).normal(size=(3, 5)), F64)
    fn = _with_params(name)
    lo, hi = jax_act.spec(name).probes.domain
    if np.isfinite(lo) or np.isfinite(hi):  # e.g. log1mexp on x > 0: map the Dense output into the domain
        inner = fn
        fn = (lambda z: inner(lo + 0.1 + jnp.abs(z))) if np.isfinite(lo) else (lambda z: inner(hi - 0.1 - jnp.abs(z)))
    model = linen.Sequential([linen.Dense(4, param_dtype=F64), fn])
    p = model.init(jax.random.key(0), x)
    k, b = p["params"]["layers_0"]["kernel"], p["params"]["layers_0"]["bias"]

    def plain(k, b):
        return jnp.sum(jnp.sin(fn(x @ k + b)))

    got = jax.jit(jax.value_and_grad(lambda p: jnp.sum(jnp.sin(model.apply(p, x)))))(p)
    want = jax.value_and_grad(plain, argnums=(0, 1))(k, b)
    close(got[0], want[0], f"{name} value")
    close((got[1]["params"]["layers_0"]["kernel"], got[1]["params"]["layers_0"]["bias"]), want[1], f"{name} grad")
    assert np.isfinite(np.asarray(got[0]))


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_prelu_keeps_a_half_precision_model_in_half_precision(dtype):
    """As flax: the float32 slope is cast to the input's dtype."""
    from flax import nnx

    x = jnp.linspace(-2, 2, 9).astype(dtype)
    lin = jl.PReLU(negative_slope_init=0.25)
    params = lin.init(jax.random.key(0), x)
    assert lin.apply(params, x).dtype == jnp.dtype(dtype)
    theirs = nnx.PReLU(0.25)
    ours = jn.PReLU(0.25)
    np.testing.assert_array_equal(ours(x), theirs(x))
    assert ours(x).dtype == theirs(x).dtype == jnp.dtype(dtype)
    np.testing.assert_array_equal(jn.PReLU(0.25, dtype=jnp.float32)(x), nnx.PReLU(0.25, dtype=jnp.float32)(x))


def test_prelu_signatures_match_flax():
    import dataclasses
    import inspect

    import flax.linen as linen
    from flax import nnx

    theirs = [f.name for f in dataclasses.fields(linen.PReLU) if f.name not in ("parent", "name")]
    ours = [f.name for f in dataclasses.fields(jl.PReLU) if f.name not in ("parent", "name")]
    assert ours[: len(theirs)] == theirs
    mine, flax_params = inspect.signature(jn.PReLU.__init__).parameters, inspect.signature(nnx.PReLU.__init__).parameters
    assert list(mine)[:2] == list(flax_params)[:2]  # self, negative_slope_init: PReLU(0.1) works
    assert jn.PReLU(0.1).negative_slope[...] == np.float32(0.1)
    for name in ("dtype", "param_dtype"):
        assert mine[name].kind is inspect.Parameter.KEYWORD_ONLY


def test_the_flax_modules_import_as_submodules():
    import importlib

    import jax_act.flax
    import jax_act.flax.linen
    import jax_act.flax.nnx

    for name in ("linen", "nnx"):
        mod = importlib.import_module(f"jax_act.flax.{name}")
        assert getattr(jax_act.flax, name) is mod and mod.__all__ == ["Learnable", "PReLU"]
        assert mod.PReLU.__module__ == f"jax_act.flax.{name}"
