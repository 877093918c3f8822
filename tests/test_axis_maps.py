"""Maps and reductions along an axis: softmax, log_softmax, softmin, logsumexp, logmeanexp.

Oracles: jax.nn (and the plain formula) in float64 under autodiff, finite differences in
float64 (``jax.test_util.check_grads``). Inputs are rounded to the dtype under test first, so
the oracle sees exactly what the function sees. One tolerance rule for every comparison:
``|actual − expected| ≤ FACTOR · eps(dtype) · max(1, max|expected|)``; non-finite entries
must match exactly.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.test_util import check_grads

import jax_act
from jax_act._compat import saved_residuals
from jax_act._engine import lookup

from _helpers import DTYPES, F64, assert_close, sample, swept, vjp_of

sample = functools.partial(sample, scale=3.0)

MAPS = {  # name -> jax.nn (or plain) oracle with the same signature
    "softmax": jax.nn.softmax,
    "log_softmax": jax.nn.log_softmax,
    "softmin": lambda x, axis=-1, where=None: jax.nn.softmax(-x, axis, where=where),
}
REDUCTIONS = {"logsumexp": jax.nn.logsumexp, "logmeanexp": jax.nn.logmeanexp}
NAMES = [*MAPS, *REDUCTIONS]


# --------------------------------------------------------------------------- values, gradients


@pytest.mark.sweep
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", NAMES)
def test_values_and_vjp_against_jax_nn_in_float64(name, dtype):
    x, x64 = sample((4, 8), dtype)
    f, oracle = jax_act.get(name), {**MAPS, **REDUCTIONS}[name]
    kw = {"axis": -1}
    g, g64 = sample(jax.eval_shape(lambda x: oracle(x, **kw), x64).shape, dtype, seed=1, scale=1.0)
    y, dx = vjp_of(lambda x: f(x, **kw), x, g)
    y64, dx64 = vjp_of(lambda x: oracle(x, **kw), x64, g64)
    assert y.dtype == dtype and dx.dtype == dtype
    assert_close(y, y64, dtype)
    assert_close(dx, dx64, dtype)


@pytest.mark.parametrize("name", NAMES)
def test_registered_reference_is_jax_nn(name):
    x, x64 = sample((3, 6), F64)
    assert_close(lookup(name).reference(x64, axis=-1), {**MAPS, **REDUCTIONS}[name](x64, axis=-1), F64)


@pytest.mark.sweep
@pytest.mark.parametrize("axis", [1, (2, 0), None])  # -1: every other test
@pytest.mark.parametrize("name", NAMES)
def test_axis_int_tuple_none(name, axis):
    x, _ = sample((3, 4, 5), F64)
    f, oracle = jax_act.get(name), {**MAPS, **REDUCTIONS}[name]
    g, _ = sample(jax.eval_shape(lambda x: oracle(x, axis=axis), x).shape, F64, seed=1)
    y, dx = vjp_of(lambda x: f(x, axis=axis), x, g)
    y64, dx64 = vjp_of(lambda x: oracle(x, axis=axis), x, g)
    assert_close(y, y64, F64)
    assert_close(dx, dx64, F64)


@pytest.mark.sweep
@pytest.mark.parametrize("name", NAMES)
def test_finite_differences_float64(name):
    x, _ = sample((2, 5), F64, scale=1.0)
    check_grads(lambda x: jax_act.get(name)(x, axis=-1), (x,), order=2, modes=["rev"])
    check_grads(lambda x: jax_act.forward_mode.get(name)(x, axis=-1), (x,), order=2, modes=["fwd"])


@pytest.mark.sweep
@pytest.mark.parametrize("name", NAMES)
def test_forward_twin_jacfwd_and_jvp(name):
    x, _ = sample((2, 6), F64)
    where = np.arange(12).reshape(2, 6) % 3 != 0
    oracle = {**MAPS, **REDUCTIONS}[name]
    twin = jax_act.forward_mode.get(name)
    assert_close(jax.jacfwd(lambda x: twin(x, axis=-1))(x), jax.jacrev(lambda x: oracle(x, axis=-1))(x), F64)
    assert_close(
        jax.jacfwd(lambda x: twin(x, axis=-1, where=where))(x),
        jax.jacrev(lambda x: oracle(x, axis=-1, where=where))(x),
        F64,
    )
    t, _ = sample(x.shape, F64, seed=2)
    y, ty = jax.jvp(lambda x: twin(x, axis=-1), (x,), (t,))
    y64, ty64 = jax.jvp(lambda x: oracle(x, axis=-1), (x,), (t,))
    assert_close(y, y64, F64)
    assert_close(ty, ty64, F64)


@pytest.mark.parametrize("name", NAMES)
def test_derivative_is_the_jacobian(name, axis=(0, 2)):
    """jax_act.derivative: maps give batch + (n, n), reductions batch + (n,), along the
    flattened axes (the remaining axes first, in order)."""
    x, _ = sample((2, 3, 4), F64)
    jac = jax_act.derivative(name)(x, axis=axis)
    full = jax.jacrev(lambda x: {**MAPS, **REDUCTIONS}[name](x, axis=axis))(x)
    axes = axis
    rest = [a for a in range(3) if a not in axes]
    b, n = int(np.prod([x.shape[a] for a in rest])), int(np.prod([x.shape[a] for a in axes]))
    perm_in = [a for a in rest] + list(axes)
    if name in MAPS:  # full: x.shape + x.shape
        full = jnp.transpose(full, [*perm_in, *(3 + a for a in perm_in)]).reshape(b, n, b, n)
        expected = jnp.stack([full[i, :, i, :] for i in range(b)]).reshape(*jac.shape)
    else:  # full: reduced shape + x.shape
        full = jnp.transpose(full.reshape(b, *x.shape), [0, *(1 + a for a in perm_in)]).reshape(b, b, n)
        expected = jnp.stack([full[i, i] for i in range(b)]).reshape(*jac.shape)
    assert jac.shape == (*[x.shape[a] for a in rest], n, n)[: len(rest) + (2 if name in MAPS else 1)]
    assert_close(jac, expected, F64)


def test_under_vmap_and_hessian():
    x, _ = sample((3, 7), F64)
    for name in NAMES:
        f, oracle = jax_act.get(name), {**MAPS, **REDUCTIONS}[name]
        assert_close(jax.vmap(lambda r: f(r, axis=-1))(x), oracle(x, axis=-1), F64)
    for name in ("log_softmax",):  # grad of grad (check_grads order 2 covers the rest)
        f, oracle = jax_act.get(name), {**MAPS, **REDUCTIONS}[name]
        hess = jax.hessian(lambda r: jnp.sum(jnp.sin(f(r, axis=-1))))(x[0])
        assert_close(hess, jax.hessian(lambda r: jnp.sum(jnp.sin(oracle(r, axis=-1))))(x[0]), F64)


# --------------------------------------------------------------------------- where


@pytest.mark.sweep
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", NAMES)
def test_where_partial_and_empty_rows(name, dtype):
    x, x64 = sample((4, 6), dtype)
    where = np.random.default_rng(3).random((4, 6)) < 0.6
    where[1] = False  # an empty row
    where[2, 0] = True
    f, oracle = jax_act.get(name), {**MAPS, **REDUCTIONS}[name]
    live = where.any(-1)
    kw = {"axis": -1, "where": where}
    g, g64 = sample(jax.eval_shape(lambda x: f(x, **kw), x).shape, dtype, seed=1, scale=1.0)
    y, dx = vjp_of(lambda x: f(x, **kw), x, g)
    assert np.all(np.asarray(dx.astype(F64))[~where] == 0), "masked entries get gradient 0"
    assert np.all(np.asarray(dx.astype(F64))[~live] == 0)
    # rows with something left: as jax.nn in float64
    y64, dx64 = vjp_of(lambda x: oracle(x, axis=-1, where=where[live]), x64[live], g64[live])
    assert_close(y[live], y64, dtype)
    assert_close(dx[live], dx64, dtype)
    # the empty row: the absent value (jax.nn's logsumexp agrees; its logmeanexp gives NaN)
    empty = {"softmax": 0.0, "softmin": 0.0}.get(name, -np.inf)
    assert np.all(np.asarray(y.astype(F64))[1] == empty)


@pytest.mark.parametrize("dtype", [jnp.float16])  # empty rows in every dtype: test_where_...
def test_fully_masked_input(dtype):
    x, _ = sample((2, 5), dtype)
    none = np.zeros((2, 5), bool)
    for name in NAMES:
        f = jax_act.get(name)
        y, dx = vjp_of(lambda x: f(x, axis=-1, where=none), x, jnp.ones(f(x, axis=-1).shape, dtype))
        assert not np.any(np.isnan(np.asarray(y.astype(F64)))), name
        assert np.all(np.asarray(dx.astype(F64)) == 0), name


@pytest.mark.sweep
@pytest.mark.parametrize("dtype", [DTYPES[0], *map(swept, DTYPES[1:])])
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_huge_masked_entry_regression(name, dtype):
    """x = [36, 10000], where = x < 1000: the masked entry gets gradient 0, and nothing is NaN."""
    f = jax_act.get(name)
    for values in ([36.0, 10000.0], [36.0, 30.0, 10000.0]):
        x = jnp.asarray(values, dtype)
        where = x < 1000
        jac = np.asarray(jax.jacrev(lambda x: f(x, where=where))(x).astype(F64))  # [output, input]
        assert not np.any(np.isnan(jac))
        assert np.all(jac[:, -1] == 0)
        expected = jax.jacrev(MAPS[name])(jnp.asarray(values[:-1], F64))
        assert_close(jac[:-1, :-1], expected, dtype)
        y = np.asarray(f(x, where=where).astype(F64))
        assert y[-1] == (0.0 if name == "softmax" else -np.inf)


def test_minus_inf_entries():
    """softmax: output 0, gradient 0. log_softmax: output −inf and jax.nn's gradient (the
    limit, ∂y_i/∂x_i → 1); an all −inf row: −inf (jax.nn: NaN), finite gradient."""
    x = jnp.array([[1.0, -jnp.inf, 2.0], [-jnp.inf, -jnp.inf, -jnp.inf]], F64)
    g = jnp.array([[0.5, 2.0, -1.0], [1.0, 2.0, 3.0]], F64)
    for name, absent in [("softmax", 0.0), ("log_softmax", -np.inf)]:
        f = jax_act.get(name)
        y, dx = vjp_of(f, x, g)
        assert np.all(np.asarray(y)[:, 1] == absent) and np.all(np.asarray(y)[1] == absent)
        y64, dx64 = vjp_of(MAPS[name], x[:1], g[:1])
        assert_close(y[:1], y64, F64)
        assert_close(dx[:1], dx64, F64)
        assert np.all(np.isfinite(np.asarray(dx)[1]))
    assert np.all(np.asarray(vjp_of(jax_act.softmax, x, g)[1])[1] == 0)


def test_softmin_infinities():
    """+inf entries are absent (0, gradient 0); −inf entries dominate: the limit, uniform
    over them (softmax(−x) gives NaN)."""
    x = jnp.array([1.0, jnp.inf, 2.0], F64)
    y, dx = vjp_of(jax_act.softmin, x, jnp.array([1.0, 2.0, -1.0], F64))
    assert y[1] == 0 and dx[1] == 0
    assert_close(y[::2], jax.nn.softmax(-x[::2]), F64)
    x = jnp.array([[1.0, -jnp.inf, 2.0], [-jnp.inf, 0.0, -jnp.inf]], F64)
    y, dx = vjp_of(jax_act.softmin, x, jnp.ones_like(x))
    assert_close(y, [[0.0, 1.0, 0.0], [0.5, 0.0, 0.5]], F64, factor=0)
    assert np.all(np.isfinite(np.asarray(dx)))


def test_plus_inf_and_nan_rows_give_nan_as_jax_nn():
    for bad in (jnp.inf, jnp.nan):
        x = jnp.array([1.0, bad, 2.0], F64)
        for name in ("softmax", "log_softmax"):
            assert np.all(np.isnan(np.asarray(jax_act.get(name)(x)))), (name, bad)
            assert np.all(np.isnan(np.asarray(MAPS[name](x)))), (name, bad)


# --------------------------------------------------------------------------- traps


def test_log_softmax_float16_long_row_gradient_is_finite():
    """70,000 float16 entries: Σg overflows float16 (max 65504); the gradient is computed in
    float32 and must be finite and right."""
    x, x64 = sample((70_000,), jnp.float16, scale=1.0)
    g = jnp.ones((70_000,), jnp.float16)
    y, dx = vjp_of(jax_act.log_softmax, x, g)
    assert np.all(np.isfinite(np.asarray(dx.astype(F64))))
    y64, dx64 = vjp_of(jax.nn.log_softmax, x64, g.astype(F64))
    assert_close(y, y64, jnp.float16)
    assert_close(dx, dx64, jnp.float16)


@pytest.mark.parametrize("dtype", DTYPES)
def test_logsumexp_all_minus_inf_row(dtype):
    x = jnp.array([[-jnp.inf] * 4, [0.0, 1.0, -jnp.inf, 2.0]], dtype)
    y, dx = vjp_of(lambda x: jax_act.logsumexp(x, axis=-1), x, jnp.ones((2,), dtype))
    assert y[0] == -jnp.inf
    dx = np.asarray(dx.astype(F64))
    assert np.all(dx[0] == 0) and dx[1, 2] == 0 and not np.any(np.isnan(dx))
    assert_close(dx[1], jax.nn.softmax(x[1].astype(F64)), dtype)
    for name in ("logsumexp", "logmeanexp"):  # forward mode too
        _, ty = jax.jvp(lambda x: jax_act.forward_mode.get(name)(x, axis=-1), (x,), (jnp.ones_like(x),))
        assert not np.any(np.isnan(np.asarray(ty.astype(F64))))


def test_logsumexp_plus_inf_and_empty():
    assert jax_act.logsumexp(jnp.array([1.0, jnp.inf], F64)) == jnp.inf
    assert jax_act.logsumexp(jnp.zeros((0,), F64)) == -jnp.inf
    assert jax_act.logsumexp(jnp.zeros((2, 0), F64), axis=-1).shape == (2,)


# --------------------------------------------------------------------------- logsumexp options


@pytest.mark.parametrize("dtype", [jnp.float16, jnp.float32, swept(jnp.bfloat16), swept(jnp.float64)])
def test_logsumexp_b_and_return_sign(dtype):
    a, a64 = sample((3, 5), dtype, scale=1.0)
    # positive; mixed signs, positive sum; negative sum: well-conditioned sums (a sum that
    # nearly cancels amplifies any rounding, in every implementation)
    b = jnp.array([[1, 0.5, 2, 0.3, 1], [1, -0.1, 2, -0.2, 1], [-1, -0.5, 0.1, -2, -1]], dtype)
    b64 = b.astype(F64)
    for return_sign in (False, True):
        kw = {"axis": -1, "b": b, "return_sign": return_sign}

        def ours(a, b):
            out = jax_act.logsumexp(a, axis=-1, b=b, return_sign=return_sign)
            return out[0] if return_sign else out

        def theirs(a, b):
            out = jax.nn.logsumexp(a, axis=-1, b=b, return_sign=return_sign)
            return out[0] if return_sign else out

        ref = jax.nn.logsumexp(a64, axis=-1, b=b64, return_sign=return_sign)
        out = jax_act.logsumexp(a, **kw)
        if return_sign:
            assert_close(out[1], ref[1], dtype)
            assert out[0].dtype == out[1].dtype == dtype
        assert_close(out[0] if return_sign else out, ref[0] if return_sign else ref, dtype)
        g = jnp.asarray(np.random.default_rng(5).standard_normal(3), dtype)
        live = np.isfinite(np.asarray(theirs(a64, b64)))  # NaN rows (negative sums): gradient 0
        _, pull = jax.vjp(ours, a, b)
        _, pull64 = jax.vjp(theirs, a64, b64)
        da, db = pull(g)
        da64, db64 = pull64(jnp.where(live, g.astype(F64), 0))
        assert np.all(np.asarray(da.astype(F64))[~live] == 0)
        assert_close(da, da64, dtype)
        assert_close(db, db64, dtype)


def test_logsumexp_b_zero_gradient_is_the_derivative():
    """∂lse/∂b_i = e^(a_i − lse) also where b_i = 0 (jax.nn gives 0 there)."""
    a = jnp.array([0.5, 1.0, -1.0], F64)
    b = jnp.array([1.0, 0.0, 2.0], F64)
    db = jax.grad(lambda b: jax_act.logsumexp(a, b=b), argnums=0)(b)
    plain = jax.grad(lambda b: jnp.log(jnp.sum(b * jnp.exp(a))))(b)
    assert_close(db, plain, F64)
    check_grads(lambda a, b: jax_act.logsumexp(a, b=b), (a, b), order=2, modes=["rev"])
    check_grads(lambda a, b: jax_act.forward_mode.logsumexp(a, b=b), (a, b), order=1, modes=["fwd"])


@pytest.mark.parametrize("name", ["logsumexp", "logmeanexp"])
def test_keepdims_where_and_integer_input(name):
    f, oracle = jax_act.get(name), REDUCTIONS[name]
    x, _ = sample((2, 3, 4), F64)
    where = np.random.default_rng(6).random((3, 4)) < 0.7
    for axis, keepdims in ((1, False), ((0, 2), True), (None, False)):
        assert_close(
            f(x, axis=axis, keepdims=keepdims, where=where),
            oracle(x, axis=axis, keepdims=keepdims, where=where),
            F64,
        )
    ints = jnp.arange(6, dtype=jnp.int32).reshape(2, 3)
    assert f(ints, axis=1).dtype == oracle(ints, axis=1).dtype
    assert_close(f(ints, axis=1), oracle(ints, axis=1), F64)


def test_logmeanexp_empty_row_is_minus_inf():
    x = jnp.array([[1.0, 2.0], [3.0, 4.0]], F64)
    where = np.array([[True, False], [False, False]])
    y, dx = vjp_of(lambda x: jax_act.logmeanexp(x, axis=-1, where=where), x, jnp.ones((2,), F64))
    assert y[0] == 1.0 and y[1] == -jnp.inf
    assert np.all(np.asarray(dx) == np.array([[1.0, 0.0], [0.0, 0.0]]))


# --------------------------------------------------------------------------- residuals


def _saved(f, x):
    return [(aval.shape, aval.dtype, why) for aval, why in saved_residuals(f, x)]


@pytest.mark.parametrize("level", ["default", "highest"])
@pytest.mark.parametrize("dtype", [jnp.float16, jnp.float32])
@pytest.mark.parametrize("name", list(MAPS))
def test_maps_save_only_their_output(name, dtype, level):
    """One array of x's shape and dtype: y (log_softmax: e^(x − max)); for 16-bit input at
    the highest level x itself, masked entries filled (the products take y again in float32)."""
    x, _ = sample((3, 8), dtype)
    where = np.arange(24).reshape(3, 8) % 4 != 0
    for kw in ({}, {"where": jnp.asarray(where)}):
        saved = _saved(lambda x: jax_act.get(name)(x, accuracy=level, **kw), x)
        if name == "log_softmax" and kw:  # its products need the caller's mask too
            assert [s for s in saved if s[1] == jnp.bool_] == [(x.shape, jnp.bool_, "from a constant")], saved
            saved = [s for s in saved if s[1] != jnp.bool_]
        assert len(saved) == 1, saved
        shape, dt, why = saved[0]
        assert shape == x.shape and dt == dtype, saved
        if dtype == jnp.float16 and not kw and level == "highest":
            assert why == "from the argument x", saved
        else:  # y, or (16-bit input with a mask) x with its masked entries filled
            assert f"output of jitted function '{name}'" in why, saved


@pytest.mark.parametrize("name", list(REDUCTIONS))
def test_reductions_save_the_input_and_reduced_outputs(name):
    x, _ = sample((3, 8), jnp.float32)
    where = jnp.asarray(np.arange(24).reshape(3, 8) % 4 != 0)
    for kw in ({}, {"where": where}):
        saved = _saved(lambda x: jax_act.get(name)(x, axis=-1, **kw), x)
        big = [s for s in saved if s[0] == x.shape]
        # x itself (the argument) and the caller's mask; nothing of x's size is computed and kept
        assert [s[2] for s in big if s[1] != jnp.bool_] == ["from the argument x"], saved
        assert all(np.prod(s[0]) <= 3 for s in saved if s[0] != x.shape), saved


# --------------------------------------------------------------------------- errors, registry, docs


@pytest.mark.parametrize("name", NAMES)
def test_clear_errors(name):
    f = jax_act.get(name)
    x = jnp.ones((2, 3), jnp.float32)
    with pytest.raises(ValueError, match=rf"jax_act\.{name}: axis 2 is out of range"):
        f(x, axis=2)
    with pytest.raises(TypeError, match=rf"jax_act\.{name}: argument 'axis'"):
        f(x, axis=1.5)
    with pytest.raises(ValueError, match=rf"jax_act\.{name}: argument 'axis' repeats"):
        f(x, axis=(1, -1))
    with pytest.raises(ValueError, match=rf"jax_act\.{name}: argument 'where' of shape \(4,\)"):
        f(x, axis=-1, where=jnp.ones((4,), bool))
    with pytest.raises(TypeError, match=rf"jax_act\.{name}: argument 'where' must be a boolean"):
        f(x, axis=-1, where=jnp.ones((2, 3), jnp.float32))
    with pytest.raises(TypeError, match=rf"jax_act\.{name}: argument '(x|a)'"):
        f("abc")
    if name == "logsumexp":
        with pytest.raises(ValueError, match=r"jax_act\.logsumexp: argument 'b' of shape \(4,\)"):
            f(x, b=jnp.ones((4,)))


@pytest.mark.parametrize("name", NAMES)
def test_registry_and_signature(name):
    import inspect

    f = jax_act.get(name)
    assert f is getattr(jax_act, name) and name in jax_act.names()
    assert jax_act.spec(name).kind == ("reduction" if name in ("logsumexp", "logmeanexp") else "axis_map")
    if name in ("softmax", "log_softmax", "logsumexp", "logmeanexp"):
        ours, theirs = inspect.signature(f), inspect.signature(getattr(jax.nn, name))
        ps = [p for p in ours.parameters.values() if p.name != "accuracy"]  # jax_act's own keyword
        assert [p.name for p in ps] == list(theirs.parameters)
        assert [p.default for p in ps] == [p.default for p in theirs.parameters.values()]

