"""The worked example of backpropagation: ∂E/∂w_jk = (g(z_k) − t_k) g'(z_k) x_j by hand equals jax.grad(E).

The oracle is jax.grad of E written with jax.nn's activation (independent of jax_act), in
float64. A result in dtype d passes when ``|got − want| ≤ TOL · eps(d) · (|want| + 1)``.
"""

from __future__ import annotations

import zlib

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jax_act
from jax_act import losses
from jax_act.testing import TOLERANCE

TOL = 4 * TOLERANCE  # in units of the dtype's eps (the batched gradient sums 16 products)

# name -> (params, the plain jax.nn function)
CASES = {
    "sigmoid": ({}, jax.nn.sigmoid),
    "tanh": ({}, jnp.tanh),
    "relu": ({}, jax.nn.relu),
    "leaky_relu": ({}, jax.nn.leaky_relu),
    "leaky_relu(0.2)": ({"negative_slope": 0.2}, lambda z: jax.nn.leaky_relu(z, 0.2)),
    "softmax": ({}, jax.nn.softmax),
}


def plain_E(g, x, w, t):
    """E = ½ Σ_k (g(z_k) − t_k)², z = x·w, summed over the batch: autodiff's problem."""
    return 0.5 * jnp.sum((g(x @ w) - t) ** 2)


@pytest.mark.sweep
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("batch", [(), (16,), (2, 3)])
@pytest.mark.parametrize("case", list(CASES))
def test_backprop_equals_jax_grad(case, batch, dtype):
    params, g_nn = CASES[case]
    name = case.split("(")[0]
    rng = np.random.default_rng(zlib.crc32(f"{case}{batch}".encode()))
    M, K = 5, 4
    x = rng.normal(size=(*batch, M))
    w = rng.normal(size=(M, K))
    t = rng.uniform(size=(*batch, K))
    if name == "softmax":
        t /= t.sum(-1, keepdims=True)
    x, w, t = (jnp.asarray(a, dtype) for a in (x, w, t))

    got = losses.backprop(name, x, w, t, **params)
    f64 = [jnp.asarray(np.asarray(a, np.float64)) for a in (x, w, t)]

    @jax.jit  # the oracle as one program (op by op would compile each primitive)
    def oracle(x, w, t):
        return *jax.value_and_grad(lambda w: plain_E(g_nn, x, w, t))(w), g_nn(x @ w)

    want_E, want_grad, want_g = oracle(*f64)

    assert got.grad.shape == w.shape and got.grad.dtype == w.dtype
    eps = float(jnp.finfo(dtype).eps)
    for what, a, b in [("grad", got.grad, want_grad), ("E", got.loss, want_E), ("g", got.outputs, want_g)]:
        a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
        err = np.max(np.abs(a - b) / (np.abs(b) + 1))
        assert err <= TOL * eps, f"{case} {batch} {dtype} {what}: {err / eps:.1f} eps"


def test_backprop_is_the_formula_elementwise():
    """One entry spelled out: (g(z_k) − t_k) g'(z_k) x_j with g' = σ(1 − σ)."""
    x = jnp.array([0.3, -1.2, 2.0])
    w = jnp.array([[0.1, -0.4], [0.7, 0.2], [-0.5, 0.9]])
    t = jnp.array([1.0, 0.0])
    z = x @ w
    s = 1 / (1 + jnp.exp(-z))
    j, k = 2, 1
    want = (s[k] - t[k]) * s[k] * (1 - s[k]) * x[j]
    np.testing.assert_allclose(losses.backprop(jax_act.sigmoid, x, w, t).grad[j, k], want, rtol=1e-14)


def test_backprop_softmax_uses_the_jacobian():
    """δ_j = Σ_k (S_k − t_k) S_k (δ_kj − S_j), written out."""
    x = jnp.array([0.3, -1.2, 2.0])
    w = jnp.array([[0.1, -0.4, 0.3], [0.7, 0.2, -0.1], [-0.5, 0.9, 0.0]])
    t = jnp.array([0.0, 1.0, 0.0])
    S = jax.nn.softmax(x @ w)
    r = S - t
    delta = jnp.array([sum(r[k] * S[k] * ((k == j) - S[j]) for k in range(3)) for j in range(3)])
    np.testing.assert_allclose(losses.backprop("softmax", x, w, t).grad, jnp.outer(x, delta), rtol=1e-13)


def test_backprop_bad_shapes():
    with pytest.raises(ValueError, match="backprop"):
        losses.backprop("tanh", jnp.ones(3), jnp.ones((4, 2)), jnp.ones(2))
