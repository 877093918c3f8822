"""The mpmath oracle of ``jax-act accuracy``: a plain formula's float64 jaxpr interpreted in
mpmath, checked against mpmath's own functions where float64 cannot say."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import mpmath
import numpy as np
import pytest
from jax.scipy.special import ndtr

from jax_act.testing import cases
from jax_act.tools.oracle import Unsupported, mp_oracle

jax.config.update("jax_enable_x64", True)


def test_mp_oracle_is_exact_where_float64_is_not():
    case = cases(["tanh"])[0]
    x = np.array([1e-30, 0.5, 20.0, -1e-300])
    got = mp_oracle(lambda x: case.call(x, "reference"), x)  # (e^x − e^−x)/(e^x + e^−x)
    mpmath.mp.dps = 50
    for v, g in zip(x, got):
        assert abs(g - mpmath.tanh(v)) <= abs(mpmath.tanh(v)) * mpmath.mpf(10) ** -30, (v, g)
    # the naive formula in float64 gets tanh(1e-30) = 0
    assert float(case.call(jnp.asarray(1e-30, jnp.float64), "reference")) == 0.0
    # and the gradient oracle (jax.vjp of the formula, interpreted): sigmoid' at 700
    sig = cases(["sigmoid"])[0]
    g = mp_oracle(lambda x, w: jax.vjp(lambda x: sig.call(x, "reference"), x)[1](w)[0], np.array([700.0]), np.ones(1))
    assert abs(float(g[0]) / float(mpmath.exp(-700)) - 1) < 1e-12


def test_mp_oracle_reads_a_rounded_constant_as_the_number_it_rounds_but_not_an_input():
    # exact gelu's reference is x·ndtr(x): jax's ndtr multiplies by a float64 √½, whose
    # last bit, times x², moved Φ(−18) by 10⁻¹⁴ of itself; erfc' multiplies by −2/√π
    x = np.array([-18.0, np.sqrt(0.5)])  # an input equal to float64 √½ stays that float
    got = mp_oracle(lambda x: x * ndtr(x), x)
    mpmath.mp.dps = 50
    want = [v * mpmath.ncdf(v) for v in map(mpmath.mpf, x)]
    for g, w in zip(got, want):
        assert abs(g - w) <= abs(w) * mpmath.mpf(10) ** -30, (g, w)
    g = mp_oracle(lambda x, w: jax.vjp(lambda x: x * ndtr(x), x)[1](w)[0], x[:1], np.ones(1))
    v = mpmath.mpf(x[0])
    assert abs(g[0] / (mpmath.ncdf(v) + v * mpmath.npdf(v)) - 1) < mpmath.mpf(10) ** -30


def test_mp_oracle_log1p_keeps_a_tiny_argument():
    # softplus(−300) = log1p(e^−300): 1 + e^−300 would round to 1 even at 80 digits
    x = np.array([-300.0, -0.5, 3.0])
    got = mp_oracle(lambda x: jnp.log1p(jnp.exp(x)), x)
    mpmath.mp.dps = 50
    for v, g in zip(x, got):
        w = mpmath.log1p(mpmath.exp(mpmath.mpf(v)))
        assert abs(g - w) <= abs(w) * mpmath.mpf(10) ** -30, (v, g, w)


def test_mp_oracle_past_its_budget_scores_nothing_rather_than_a_wrong_value():
    case = cases(["tanh"])[0]
    x = np.geomspace(1e-70, 1e-62, 450)  # every one cancels at 80 digits: 50 past the budget
    got = mp_oracle(lambda x: case.call(x, "reference"), x)
    mpmath.mp.dps = 50
    scored = [(v, g) for v, g in zip(x, got) if not mpmath.isnan(g)]
    assert 400 <= len(scored) < len(x)
    for v, g in scored:
        assert abs(g - mpmath.tanh(v)) <= abs(mpmath.tanh(v)) * mpmath.mpf(10) ** -30, (v, g)


def test_mp_oracle_unsupported_primitive_falls_back():
    with pytest.raises(Unsupported):
        mp_oracle(lambda x: jnp.sort(x), np.array([2.0, 1.0]))


def test_structural_primitives_follow_numpy():
    """Slices, pads, concatenation, reductions, selects, transposes and integer powers: the
    interpreted jaxpr gives what jax gives on the same float64 rows."""
    def f(x):
        y = jnp.concatenate([x[:, 1:], jnp.pad(x, ((0, 0), (1, 0)))[:, :1]], axis=1)
        z = jnp.where(y > 0, y**3, -y)
        rows = z.sum(axis=1, keepdims=True) + z.max(axis=1, keepdims=True) - jnp.min(x)
        return z.T.reshape(z.shape) + rows + jnp.expand_dims(z[:, 0], 0).squeeze(0)[:, None]

    x = np.array([[1.5, -2.0, 0.25], [3.0, 0.5, -1.0]])
    got = mp_oracle(f, x)
    np.testing.assert_allclose(np.array(got, np.float64), np.asarray(f(jnp.asarray(x))), rtol=1e-15)
