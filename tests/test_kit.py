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
    assert any("gradient error" in p for p in problems(rows))
    assert any("finite differences" in p for p in problems(rows))


def test_a_nan_at_the_edges_fails():
    # y(1−y) computed as e^−x / (1 + e^−x)²: inf/inf = NaN for x ≪ 0
    f = custom(jax.nn.sigmoid, lambda x: jnp.exp(-x) / (1 + jnp.exp(-x)) ** 2, keep=lambda x, y: x)
    rows = testing.check_activation(f, reference=plain_sigmoid, dtypes=("float32",))
    assert any("NaN from input" in p for p in problems(rows))


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


def test_edge_inputs_cover_the_dtype():
    for dtype in testing.DTYPES:
        e = testing.edge_inputs(dtype, kink_points=(6.0,))
        fi = jnp.finfo(dtype)
        for v in [6.0, 0.0, np.inf, -np.inf, float(fi.max), float(fi.smallest_subnormal), testing.exp_overflow(dtype)]:
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


def test_check_against_reference_measures_as_check_activation_does():
    # the same numbers as check_activation's row, on the same samples
    f = custom(jax.nn.sigmoid, lambda y: y * (1 - y))
    for dtype in ("bfloat16", "float32"):
        [row] = testing.check_activation(f, reference=plain_sigmoid, dtypes=(dtype,), finite_differences=False)
        got = testing.check_against_reference(f, plain_sigmoid, testing.sample_inputs(dtype), dtype)
        assert got == (row.value_err, row.grad_err)
    # where the float64 formula overflows the dtype (e^30 in float16), ±inf is the right answer
    ev, eg = testing.check_against_reference(jnp.exp, jnp.exp, np.array([1.0, 30.0]), "float16")
    assert ev <= testing.TOLERANCE and eg <= testing.TOLERANCE
