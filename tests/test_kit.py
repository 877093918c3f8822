"""The kit itself can fail: a wrong closed form, a NaN at an edge, a wrong kink or an extra
residual must each be caught (these are hand-written custom_vjp functions, not registered)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from jax_act import testing


def custom(fwd, deriv, keep=lambda x, y: y):
    """A custom_vjp activation whose VJP is g · deriv(residual)."""

    @jax.custom_vjp
    def f(x):
        return fwd(x)

    def f_fwd(x):
        y = fwd(x)
        return y, keep(x, y)

    f.defvjp(f_fwd, lambda r, g: (g * deriv(r),))
    return f


def plain_sigmoid(x):
    return 1 / (1 + jnp.exp(-x))


def problems(rows):
    return [p for r in rows for p in r.problems]


def test_a_correct_user_activation_passes():
    f = custom(jax.nn.sigmoid, lambda y: y * (1 - y))
    rows = testing.check_activation(f, reference=plain_sigmoid, jax_nn=jax.nn.sigmoid)
    assert [r.dtype for r in rows] == list(testing.DTYPES)
    assert all(r.passed for r in rows), testing.format_rows(rows)


def test_a_wrong_derivative_fails():
    f = custom(jax.nn.sigmoid, lambda y: y * (1 - y) * 1.001)
    rows = testing.check_activation(f, reference=plain_sigmoid, dtypes=("float32", "float64"))
    assert not any(r.passed for r in rows)
    assert any(p.startswith("vjp:") for p in problems(rows))
    assert any(p.startswith("finite differences:") and "the rule" in p for p in problems(rows))


def test_a_nan_at_the_edges_fails():
    # y(1−y) computed as e^−x / (1 + e^−x)²: inf/inf = NaN for x ≪ 0
    f = custom(jax.nn.sigmoid, lambda x: jnp.exp(-x) / (1 + jnp.exp(-x)) ** 2, keep=lambda x, y: x)
    rows = testing.check_activation(f, reference=plain_sigmoid, dtypes=("float32",))
    assert any("NaN or inf" in p for p in problems(rows)) and any("NaN from input" in p for p in problems(rows))


def test_a_wrong_kink_convention_fails_against_jax_nn():
    f = custom(jax.nn.relu, lambda y: (y >= 0).astype(y.dtype))  # relu'(0) = 1: not jax.nn's
    rows = testing.check_activation(
        f, reference=lambda x: jnp.maximum(x, 0), jax_nn=jax.nn.relu, kink_points=(0.0,), dtypes=("float32",)
    )
    assert any("jax.nn" in p for p in problems(rows))


def test_keeping_more_than_jax_nn_fails():
    f = custom(jax.nn.sigmoid, lambda r: r[1] * (1 - r[1]), keep=lambda x, y: (x, y))
    rows = testing.check_activation(f, reference=plain_sigmoid, jax_nn=jax.nn.sigmoid, dtypes=("float32",))
    assert rows[0].bytes_saved == 8 and rows[0].jax_nn_bytes == 4
    assert any("bytes/element" in p for p in problems(rows))


def test_extremes_cover_the_dtype():
    from jax_act._kit.arguments import extremes

    for dtype in testing.DTYPES:
        e = extremes(dtype, (6.0,))
        fi = jnp.finfo(dtype)
        for v in [6.0, 0.0, np.inf, -np.inf, float(fi.max), float(fi.smallest_subnormal), float(np.log(float(fi.max)))]:
            assert np.any(e == testing.rounded(v, dtype)), (dtype, v)
        assert np.isnan(e).any()


def test_tolerance_is_stated_once_from_eps():
    assert testing.tolerance("float32") == testing.TOLERANCE * float(jnp.finfo(jnp.float32).eps)
    assert testing.tolerance("bfloat16") > testing.tolerance("float16") > testing.tolerance("float32")


def test_the_kit_exports_what_it_defines():
    import inspect

    from jax_act import testing

    public = {n for n, v in vars(testing).items() if not n.startswith("_") and getattr(v, "__module__", testing.__name__) == testing.__name__
              and (inspect.isfunction(v) or inspect.isclass(v))}
    assert public <= set(testing.__all__) and all(hasattr(testing, n) for n in testing.__all__)


def test_parameters_go_through_the_same_path_as_any_rule():
    """A wrong ∂/∂alpha of a user's activation is caught (an unregistered function's partials
    were once not checked at all)."""

    @jax.custom_vjp
    def elu(x, alpha):
        return jnp.where(x > 0, x, alpha * jnp.expm1(jnp.minimum(x, 0)))

    def bwd(res, g):
        x, alpha = res
        neg = x <= 0
        dx = jnp.where(neg, alpha * jnp.exp(jnp.minimum(x, 0)), 1.0)
        dalpha = jnp.sum(jnp.where(neg, jnp.expm1(jnp.minimum(x, 0)), 0.0) * g) * 1.5  # wrong by 1.5
        return g * dx, dalpha

    elu.defvjp(lambda x, alpha: (elu(x, alpha), (x, alpha)), bwd)
    rows = testing.check_activation(elu, reference=lambda x, alpha: jnp.where(x > 0, x, alpha * (jnp.exp(x) - 1)),
                                    params=[{"alpha": 1.3}], kink_points=(0.0,), dtypes=("float64",))
    assert any("∂/∂alpha" in p for p in problems(rows)), testing.format_rows(rows)


def test_a_wrong_partial_fails_with_no_parameter_sets_given():
    """A parameter with a default is differentiated at that default too: without parameter
    sets, the check once passed a partial that was wrong by 2×."""

    @jax.custom_vjp
    def scaled_softplus(x, a=1.0):
        return a * jax.nn.softplus(x)

    def bwd(res, g):
        x, a = res
        return g * a * jax.nn.sigmoid(x), jnp.sum(g * 2 * jax.nn.softplus(x))  # ∂/∂a wrong by 2

    scaled_softplus.defvjp(lambda x, a=1.0: (scaled_softplus(x, a), (x, a)), bwd)
    rows = testing.check_activation(scaled_softplus, reference=lambda x, a=1.0: a * jnp.log1p(jnp.exp(x)),
                                    dtypes=("float64",))
    assert any("∂/∂a" in p for p in problems(rows)), testing.format_rows(rows)
