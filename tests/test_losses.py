"""Fused losses against optax (an independent oracle), on ordinary and extreme logits.

The oracle is optax evaluated in float64 on the same (rounded) inputs; a result in dtype d
passes when ``|got − want| ≤ TOL · eps(d) · (|want| + 1)``, TOL stated once below.
"""

from __future__ import annotations

import inspect

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jax_act
import jax_act.forward_mode.losses
from jax_act import _compat, losses, testing
from jax_act.testing import DTYPES, TOLERANCE

from _helpers import assert_close, swept

try:
    import optax
except ImportError:  # the oracle; the tests that need no oracle still run
    optax = None
needs_optax = pytest.mark.skipif(optax is None, reason="optax (the oracle) not installed")

TOL = 2 * TOLERANCE  # eps units, relative above 1, absolute below: a loss sums a row


def close(got, want, dtype, what=""):
    assert_close(got, want, dtype, TOL, what, per_entry=True)


def f64(a):
    return jnp.asarray(np.asarray(a, np.float64))


def value_and_grads(fn, *args, argnums=(0, 1)):
    """Values and ∂(Σ c·loss)/∂args with a random cotangent c (so rows are weighted differently)."""
    out = jax.eval_shape(fn, *args)
    c = jnp.asarray(np.random.default_rng(0).uniform(0.5, 2.0, out.shape), out.dtype)

    @jax.jit  # one program (an oracle op by op would compile each primitive)
    def both(*a):
        return fn(*a), jax.grad(lambda *a: jnp.sum(c * fn(*a)), argnums=argnums)(*a)

    return both(*args)


def logits_labels(dtype, shape=(6, 5), seed=0, soft=True):
    rng = np.random.default_rng(seed)
    x = jnp.asarray(rng.normal(0, 3, shape), dtype)
    if soft:  # probabilities, and (second half of rows) weights that do not sum to 1
        t = rng.uniform(0, 1, shape)
        t = t / t.sum(-1, keepdims=True)
        t[shape[0] // 2 :] *= 1.7
    else:
        t = np.eye(shape[-1])[rng.integers(0, shape[-1], shape[:-1])]
    return x, jnp.asarray(t, dtype)


# --------------------------------------------------------------------------- softmax CE


@needs_optax
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("soft", [True, False])
def test_softmax_cross_entropy_matches_optax(dtype, soft):
    x, t = logits_labels(dtype, soft=soft)
    got, (gx, gt) = value_and_grads(losses.softmax_cross_entropy, x, t)
    want, (wx, wt) = value_and_grads(optax.losses.softmax_cross_entropy, f64(x), f64(t))
    assert got.dtype == x.dtype and gx.dtype == x.dtype and gt.dtype == t.dtype
    close(got, want, dtype, "value")
    close(gx, wx, dtype, "d/dlogits")
    close(gt, wt, dtype, "d/dlabels")


def test_softmax_cross_entropy_gradient_is_softmax_minus_labels():
    x, t = logits_labels("float64", soft=False)
    g = jax.grad(lambda x: losses.softmax_cross_entropy(x, t).sum())(x)
    np.testing.assert_allclose(g, jax.nn.softmax(x) - t, rtol=0, atol=4 * np.finfo(np.float64).eps)


@needs_optax
@pytest.mark.parametrize("axis", [0, 1, (0, 2), None])
def test_softmax_cross_entropy_axes_match_optax(axis):
    x, t = logits_labels("float64", shape=(3, 4, 5), seed=1)
    got, (gx,) = value_and_grads(lambda x, t: losses.softmax_cross_entropy(x, t, axis=axis), x, t, argnums=(0,))
    want, (wx,) = value_and_grads(lambda x, t: optax.losses.softmax_cross_entropy(x, t, axis=axis), x, t, argnums=(0,))
    close(got, want, "float64", "value")
    close(gx, wx, "float64", "grad")


@needs_optax
@pytest.mark.parametrize("batch_mask", [False, True])
def test_softmax_cross_entropy_where_matches_optax(batch_mask):
    x, t = logits_labels("float64", seed=2)
    rng = np.random.default_rng(3)
    where = jnp.asarray(rng.uniform(size=x.shape[:-1] if batch_mask else x.shape) > 0.3)
    got, (gx,) = value_and_grads(lambda x, t: losses.softmax_cross_entropy(x, t, where=where), x, t, argnums=(0,))
    want, (wx,) = value_and_grads(lambda x, t: optax.losses.softmax_cross_entropy(x, t, where=where), x, t, argnums=(0,))
    close(got, want, "float64", "value")
    # optax's gradient at masked entries is 0 except in rows masked entirely (NaN there); ours is 0.
    close(jnp.where(jnp.isnan(wx), 0, gx), jnp.where(jnp.isnan(wx), 0, wx), "float64", "grad")


@needs_optax
@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_cross_entropy_masked_logits_are_finite_where_optax_is_nan(dtype):
    x, t = logits_labels(dtype, seed=4)
    keep = jnp.asarray(np.random.default_rng(5).uniform(size=x.shape) > 0.4).at[:, 0].set(True)
    t = jnp.where(keep, t, 0)  # zero labels under the masked logits
    xm = jnp.where(keep, x, -jnp.inf)
    got, (gx, gt) = value_and_grads(losses.softmax_cross_entropy, xm, t)
    assert np.isnan(np.asarray(optax.losses.softmax_cross_entropy(f64(xm), f64(t)))).any()  # the point
    # the oracle: optax with the mask given as `where` (its finite path)
    want, (wx, _) = value_and_grads(lambda x, t: optax.losses.softmax_cross_entropy(x, t, where=keep), f64(x), f64(t))
    close(got, want, dtype, "value")
    close(gx, wx, dtype, "d/dlogits")
    assert np.isfinite(np.asarray(gx, np.float64)).all()
    # ∂L/∂t = −log S is +∞ at a −∞ logit: the true value
    np.testing.assert_array_equal(np.asarray(gt) == np.inf, ~np.asarray(keep))


def test_softmax_cross_entropy_fully_masked_row_is_zero():
    x = jnp.array([[-jnp.inf, -jnp.inf, -jnp.inf], [1.0, 2.0, 3.0]])
    t = jnp.array([[0.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    out, (gx, _) = value_and_grads(losses.softmax_cross_entropy, x, t)
    assert out[0] == 0 and np.all(gx[0] == 0)
    where = jnp.array([[False] * 3, [True] * 3])
    out, (gx,) = value_and_grads(lambda x: losses.softmax_cross_entropy(x, t, where=where), jnp.ones((2, 3)), argnums=(0,))
    assert out[0] == 0 and np.all(gx[0] == 0) and np.isfinite(np.asarray(gx)).all()


@needs_optax
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_softmax_cross_entropy_huge_logits(dtype):
    x = jnp.asarray([[1e9, -1e9, 0.0], [-1e9, -1e9, 1e9], [1e9, 1e9, -1e9]], dtype)
    t = jnp.asarray([[0.0, 1.0, 0.0], [0.2, 0.3, 0.5], [0.5, 0.5, 0.0]], dtype)
    got, (gx, gt) = value_and_grads(losses.softmax_cross_entropy, x, t)
    want, (wx, wt) = value_and_grads(optax.losses.softmax_cross_entropy, f64(x), f64(t))
    for a in (got, gx, gt):
        assert np.isfinite(np.asarray(a, np.float64)).all()
    close(got, want, dtype, "value")
    close(gx, wx, dtype, "d/dlogits")
    close(gt, wt, dtype, "d/dlabels")


# --------------------------------------------------------------------------- integer labels


@needs_optax
@pytest.mark.parametrize("dtype", DTYPES)
def test_integer_labels_match_optax(dtype):
    x, _ = logits_labels(dtype, seed=6)
    labels = jnp.asarray(np.random.default_rng(7).integers(0, x.shape[-1], x.shape[:-1]))
    f = losses.softmax_cross_entropy_with_integer_labels
    got, (gx,) = value_and_grads(f, x, labels, argnums=(0,))
    want, (wx,) = value_and_grads(optax.losses.softmax_cross_entropy_with_integer_labels, f64(x), labels, argnums=(0,))
    assert got.dtype == x.dtype and gx.dtype == x.dtype
    close(got, want, dtype, "value")
    close(gx, wx, dtype, "grad")
    c = jnp.ones(x.shape[0], x.dtype)
    g1 = jax.grad(lambda x: jnp.sum(c * f(x, labels)))(f64(x))
    np.testing.assert_allclose(g1, jax.nn.softmax(f64(x)) - jax.nn.one_hot(labels, x.shape[-1]), atol=1e-15)


@needs_optax
@pytest.mark.parametrize("axis", [0, (0, 2)])
def test_integer_labels_axes_and_where_match_optax(axis):
    rng = np.random.default_rng(8)
    x = jnp.asarray(rng.normal(size=(3, 4, 2)))
    n = int(np.prod([x.shape[a] for a in ((axis,) if isinstance(axis, int) else axis)]))
    bshape = tuple(s for a, s in enumerate(x.shape) if a not in ((axis,) if isinstance(axis, int) else axis))
    labels = jnp.asarray(rng.integers(0, n, bshape))
    where = jnp.asarray(rng.uniform(size=x.shape) > 0.3)
    for kw in ({}, {"where": where}):
        got, (gx,) = value_and_grads(
            lambda x: losses.softmax_cross_entropy_with_integer_labels(x, labels, axis=axis, **kw), x, argnums=(0,)
        )
        want, (wx,) = value_and_grads(
            lambda x: optax.losses.softmax_cross_entropy_with_integer_labels(x, labels, axis=axis, **kw), x, argnums=(0,)
        )
        close(got, want, "float64", f"value {kw.keys()}")
        close(gx, wx, "float64", f"grad {kw.keys()}")


def test_integer_labels_extreme_logits():
    f = losses.softmax_cross_entropy_with_integer_labels
    x = jnp.array([[1e9, -1e9, 0.0], [-jnp.inf, 2.0, -jnp.inf], [-jnp.inf] * 3])
    labels = jnp.array([1, 1, 0])
    out = f(x[:2], labels[:2])
    gx = jax.grad(lambda x: f(x, labels[:2]).sum())(x[:2])
    assert np.isfinite(np.asarray(out)).all() and np.isfinite(np.asarray(gx)).all()
    np.testing.assert_allclose(out, [2e9, 0.0])
    np.testing.assert_allclose(gx, [[1, -1, 0], [0, 0, 0]], atol=1e-15)
    where = jnp.array([[True] * 3, [True] * 3, [False] * 3])
    out, (gx,) = value_and_grads(lambda x: f(x, labels, where=where), x, argnums=(0,))
    assert out[2] == 0 and np.all(gx[2] == 0)


# --------------------------------------------------------------------------- sigmoid BCE


@needs_optax
@pytest.mark.parametrize("dtype", DTYPES)
def test_sigmoid_binary_cross_entropy_matches_optax(dtype):
    rng = np.random.default_rng(9)
    x = jnp.asarray(rng.normal(0, 4, (5, 7)), dtype)
    t = jnp.asarray(np.where(rng.uniform(size=(5, 7)) < 0.5, rng.integers(0, 2, (5, 7)), rng.uniform(size=(5, 7))), dtype)
    got, (gx, gt) = value_and_grads(losses.sigmoid_binary_cross_entropy, x, t)
    want, (wx, wt) = value_and_grads(optax.losses.sigmoid_binary_cross_entropy, f64(x), f64(t))
    assert got.dtype == x.dtype and gx.dtype == x.dtype
    close(got, want, dtype, "value")
    close(gx, wx, dtype, "d/dlogits")
    close(gt, wt, dtype, "d/dlabels")
    g = jax.grad(lambda x: losses.sigmoid_binary_cross_entropy(x, t).sum())(x)
    close(g, jax.nn.sigmoid(f64(x)) - f64(t), dtype, "σ − t")


@needs_optax
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_sigmoid_binary_cross_entropy_extreme_logits(dtype):
    x = jnp.asarray([1e9, -1e9, 1e9, -1e9, jnp.inf, -jnp.inf, 30.0, -30.0], dtype)
    t = jnp.asarray([1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0, 0.0], dtype)
    out, (gx, _) = value_and_grads(losses.sigmoid_binary_cross_entropy, x, t)
    want_out = np.array([0, 0, 1e9, 1e9, 0, 0, np.log1p(np.exp(-30.0)), np.log1p(np.exp(-30.0))])
    want_g = np.array([0, 0, 1, -1, 0, 0, -np.exp(-30.0) / (1 + np.exp(-30.0)), np.exp(-30.0) / (1 + np.exp(-30.0))])
    c = np.random.default_rng(0).uniform(0.5, 2.0, out.shape)  # value_and_grads' cotangent
    close(out, want_out, dtype, "value")
    close(gx, c * want_g, dtype, "grad")
    assert np.isnan(np.asarray(optax.losses.sigmoid_binary_cross_entropy(x, t))[4:6]).all()  # optax: NaN at ±inf


# --------------------------------------------------------------------------- squared errors


@needs_optax
@pytest.mark.parametrize("dtype", DTYPES)
def test_sum_of_squares_error_is_halved_sum_of_optax_squared_error(dtype):
    rng = np.random.default_rng(10)
    g, t = (jnp.asarray(rng.normal(size=(4, 3)), dtype) for _ in range(2))
    got, (gg, gt) = value_and_grads(losses.sum_of_squares_error, g, t)
    want, (wg, wt) = value_and_grads(lambda g, t: optax.losses.l2_loss(g, t).sum(-1), f64(g), f64(t))
    assert got.shape == (4,) and got.dtype == g.dtype
    close(got, want, dtype, "value")
    close(gg, wg, dtype, "d/doutputs")
    close(gt, wt, dtype, "d/dtargets")
    close(losses.sum_of_squares_error(g, t, axis=None), want.sum(), dtype, "axis=None")


@needs_optax
@pytest.mark.parametrize("dtype", DTYPES)
def test_squared_error_is_optax_squared_error(dtype):
    """Same name, same meaning: a silent swap of optax for jax_act changes no loss."""
    rng = np.random.default_rng(11)
    p, t = (jnp.asarray(rng.normal(size=(4, 3)), dtype) for _ in range(2))
    got, (gp, gt) = value_and_grads(losses.squared_error, p, t)
    want, (wp, wt) = value_and_grads(optax.losses.squared_error, f64(p), f64(t))
    assert got.shape == (4, 3) and got.dtype == p.dtype
    close(got, want, dtype, "value")
    close(gp, wp, dtype, "d/dpredictions")
    close(gt, wt, dtype, "d/dtargets")
    close(losses.squared_error(p), optax.losses.squared_error(f64(p)), dtype, "targets=None")


# --------------------------------------------------------------------------- what is saved, errors


def _saved(fn, *args):
    return [aval for aval, _ in _compat.saved_residuals(fn, *args)]


@pytest.mark.parametrize(
    "name",
    ["softmax_cross_entropy", "softmax_cross_entropy_with_integer_labels", "sigmoid_binary_cross_entropy", "squared_error", "sum_of_squares_error"],
)
def test_saves_one_logits_sized_array(name):
    x, t = logits_labels("float32", shape=(8, 16))
    if name == "softmax_cross_entropy_with_integer_labels":
        t = jnp.argmax(t, -1)
    fn = getattr(losses, name)
    saved = _saved(lambda x: fn(x, t).sum(), x)
    assert len(saved) == 1 and saved[0].shape == x.shape and saved[0].dtype == x.dtype, saved
    if name in ("softmax_cross_entropy", "sigmoid_binary_cross_entropy"):  # labels differentiated too: 2
        assert len(_saved(lambda x, t: fn(x, t).sum(), x, t)) == 2


def test_vmap_and_jit_agree_with_batched_call():
    x, t = logits_labels("float32", shape=(4, 6))
    for fn in (losses.softmax_cross_entropy, losses.sigmoid_binary_cross_entropy, losses.squared_error):
        np.testing.assert_array_equal(jax.vmap(fn)(x, t), jax.jit(fn)(x, t))
        gv = jax.vmap(jax.grad(lambda x, t: fn(x, t).sum()))(x, t)
        np.testing.assert_array_equal(gv, jax.grad(lambda x: fn(x, t).sum())(x))


def test_bad_input_names_function_and_argument():
    x = jnp.ones((2, 3))
    with pytest.raises(TypeError, match="softmax_cross_entropy.*'logits'"):
        losses.softmax_cross_entropy(jnp.ones((2, 3), int), x)
    with pytest.raises(ValueError, match="softmax_cross_entropy.*'labels'"):
        losses.softmax_cross_entropy(x, jnp.ones((2, 4)))
    with pytest.raises(TypeError, match="with_integer_labels.*'labels'"):
        losses.softmax_cross_entropy_with_integer_labels(x, jnp.ones(2))
    with pytest.raises(ValueError, match="with_integer_labels.*'labels'"):
        losses.softmax_cross_entropy_with_integer_labels(x, jnp.ones(3, int))
    with pytest.raises(ValueError, match="axis"):
        losses.softmax_cross_entropy(x, x, axis=2)
    with pytest.raises(TypeError, match="sigmoid_binary_cross_entropy.*'labels'"):
        losses.sigmoid_binary_cross_entropy(x, "ones")


@needs_optax
def test_where_keeps_one_array_and_label_gradients_match_optax():
    x, t = logits_labels("float64", seed=11)
    where = jnp.asarray(np.random.default_rng(12).uniform(size=x.shape) > 0.3).at[:, 0].set(True)
    saved = _saved(lambda x: losses.softmax_cross_entropy(x, t, where=where).sum(), x)
    assert len(saved) == 1 and saved[0].shape == x.shape, saved
    _, (_, gt) = value_and_grads(lambda x, t: losses.softmax_cross_entropy(x, t, where=where), x, t)
    _, (_, wt) = value_and_grads(lambda x, t: optax.losses.softmax_cross_entropy(x, t, where=where), x, t)
    # optax's label gradient is NaN at excluded entries; ours is 0 there and equal elsewhere
    assert np.all(np.asarray(gt)[~np.asarray(where)] == 0)
    close(jnp.where(where, gt, 0), jnp.where(where, wt, 0), "float64", "d/dlabels with where")


def test_backprop_rejects_activations_without_one_output_per_unit():
    with pytest.raises(ValueError, match="backprop.*logsumexp"):
        losses.backprop("logsumexp", jnp.ones(3), jnp.ones((3, 2)), jnp.ones(2))


def test_rules_do_not_look_up_jax_nn_globals(monkeypatch):
    """A shim or a user's monkeypatch of jax.nn must not reach inside the library's rules."""
    def broken(*args, **kwargs):
        raise AssertionError("jax.nn.sigmoid was called")

    monkeypatch.setattr(jax.nn, "sigmoid", broken)
    logits = jnp.linspace(-3.0, 3.0, 7, dtype=jnp.float32)  # a shape no other test traces
    labels = jnp.linspace(0.0, 1.0, 7, dtype=jnp.float32)
    g = jax.grad(lambda x: losses.sigmoid_binary_cross_entropy(x, labels).sum())(logits)
    np.testing.assert_allclose(g, 1 / (1 + np.exp(-np.asarray(logits))) - np.asarray(labels), rtol=1e-6, atol=1e-7)


@needs_optax
@pytest.mark.parametrize("axis", [(2, 1), (1, 2), (0, 2), (2, 0)])
def test_integer_labels_flatten_a_tuple_axis_in_the_order_given(axis):
    """optax flattens the class axes in the order given: the label indexes that order."""
    rng = np.random.default_rng(3)
    logits = jnp.asarray(rng.normal(size=(2, 3, 4)))
    batch = [d for d in range(3) if d not in axis]
    n = int(np.prod([logits.shape[a] for a in axis]))
    labels = jnp.asarray(rng.integers(0, n, [logits.shape[d] for d in batch]))
    got = losses.softmax_cross_entropy_with_integer_labels(logits, labels, axis=axis)
    want = optax.losses.softmax_cross_entropy_with_integer_labels(f64(logits), labels, axis=axis)
    close(got, want, "float64", f"axis={axis}")


# --------------------------------------------------------------------------- forward-mode twins

# Every twin comes from the same _loss_pair rule: the default run takes the integer-label and
# squared ones, the slow sweeps (which CI runs) the other two.
TWINS = [swept("softmax_cross_entropy"), "softmax_cross_entropy_with_integer_labels",
         swept("sigmoid_binary_cross_entropy"), "squared_error", "sum_of_squares_error"]


def _twin_args(name):
    rng = np.random.default_rng(12)
    x = jnp.asarray(rng.normal(size=(3, 5)))
    if name == "softmax_cross_entropy_with_integer_labels":
        return x, jnp.asarray([0, 3, 4])
    if name == "sigmoid_binary_cross_entropy":
        return x, jnp.asarray(rng.uniform(size=(3, 5)))
    # labels whose rows do not sum to 1: the gradient is (Σ t)·S − t
    return x, jax.nn.softmax(jnp.asarray(rng.normal(size=(3, 5)))) * rng.uniform(0.5, 1.5, (3, 1))


# the fused output layer's kit run takes integer labels in the default run (tests/test_linear_ce.py)
@pytest.mark.parametrize("name", [swept("softmax_cross_entropy"), swept("softmax_cross_entropy_with_integer_labels"),
                                  swept("sigmoid_binary_cross_entropy"), "squared_error", swept("sum_of_squares_error")])
def test_every_loss_passes_the_kit(name):
    """testing.check_rule on each loss (float32 arguments, labels included where they are
    floats): values, VJPs and, through its forward-mode twin, JVPs against the registered plain
    formula under autodiff in float64, second order, finite differences, the transpose identity
    between the twin's JVP and the loss's VJP, vmap and checkpoint."""
    import jax_act.forward_mode as fm

    twin, loss = getattr(fm.losses, name), getattr(losses, name)
    args = [a.astype(jnp.float32) if jnp.issubdtype(a.dtype, jnp.floating) else a.astype(jnp.int32)
            for a in _twin_args(name)]
    assert inspect.signature(twin) == inspect.signature(loss)
    report = testing.check_rule(loss, *args, forward=twin, order=2)
    assert report.passed, "\n" + str(report)
    assert {"value", "vjp", "jvp", "transpose", "second order", "finite differences"} <= {r.check for r in report.rows}
    assert jax.hessian(lambda x: twin(x, *args[1:]).sum())(args[0]).shape == (3, 5, 3, 5)


def test_forward_mode_twin_with_where():
    import jax_act.forward_mode as fm

    x, t = _twin_args("softmax_cross_entropy")
    where = jnp.asarray([[True, True, False, True, True]] * 3)
    np.testing.assert_array_equal(fm.losses.softmax_cross_entropy(x, t, where=where),
                                  losses.softmax_cross_entropy(x, t, where=where))
    jvp = jax.jvp(lambda x: fm.losses.softmax_cross_entropy(x, t, where=where), (x,), (jnp.ones_like(x),))[1]
    g = jax.grad(lambda x: losses.softmax_cross_entropy(x, t, where=where).sum())(x)
    close(jvp, jnp.sum(g * jnp.where(where, 1.0, 0.0), -1), "float64", "jvp")


# --------------------------------------------------------------------------- the registry

REGISTERED = ["softmax_cross_entropy", "softmax_cross_entropy_with_integer_labels", "sigmoid_binary_cross_entropy",
              "squared_error", "sum_of_squares_error"]


def test_every_loss_with_a_twin_is_registered_as_a_loss():
    from jax_act._engine import LOSSES, REGISTRY

    assert list(LOSSES) == REGISTERED and not set(LOSSES) & set(REGISTRY)
    for name, entry in LOSSES.items():
        assert entry.spec.kind == "loss" and entry.fn is getattr(losses, name)
        assert entry.forward_mode is getattr(jax_act.forward_mode.losses, name)
        assert "accuracy" not in inspect.signature(entry.fn).parameters
    with pytest.raises(TypeError, match=r"jax_act\.losses\.squared_error: .*'accuracy'"):
        losses.squared_error(jnp.ones(3), accuracy="highest")
    with pytest.raises(TypeError, match=r"jax_act\.get: .*squared_error is a loss"):
        jax_act.get(losses.squared_error)


@pytest.mark.parametrize("name", TWINS)  # the same split as the kit's test
def test_registered_loss_derivative_and_mask_are_the_reference_formula(name):
    """The bare derivative face, and the loss under a mask, against the declared plain formula
    under autodiff in float64 (the unmasked loss goes through the kit above)."""
    from jax_act._engine import LOSSES

    entry = LOSSES[name]
    x, *rest = _twin_args(name)
    plain = lambda x, **kw: entry.reference(x, *rest, **kw)  # noqa: E731
    close(entry.derivative(x, *rest), jax.grad(lambda x: plain(x).sum())(x), "float64", "∂L/∂x")
    if "where" in inspect.signature(entry.fn).parameters:  # keep column 0 and each row's label
        keep = np.random.default_rng(5).uniform(size=x.shape) > 0.4
        keep[:, 0] = True
        if name.endswith("integer_labels"):
            keep[np.arange(x.shape[0]), np.asarray(rest[0])] = True
        kw = {"where": jnp.asarray(keep)}
        tangent = jnp.asarray(np.random.default_rng(6).normal(size=x.shape))
        close(entry.fn(x, *rest, **kw), plain(x, **kw), "float64", "masked value")
        close(entry.derivative(x, *rest, **kw), jax.grad(lambda x: plain(x, **kw).sum())(x), "float64", "masked ∂L/∂x")
        got = jax.jvp(lambda x: entry.forward_mode(x, *rest, **kw), (x,), (tangent,))[1]
        close(got, jax.jvp(lambda x: plain(x, **kw), (x,), (tangent,))[1], "float64", "masked jvp")


def test_squared_error_asks_for_equal_shapes_as_optax():
    with pytest.raises(ValueError, match=r"jax_act\.losses\.squared_error: 'predictions'.*'targets'"):
        losses.squared_error(jnp.ones(4), jnp.ones((4, 1)))


def test_twin_jvp_past_a_masked_logit():
    """A -inf logit whose label is 0: the loss and its JVP in the logits are finite; the
    labels' partial there is +inf, and the labels, held fixed, contribute no term (not 0 · inf)."""
    logits = jnp.array([[0.0, -jnp.inf, 1.0]])
    labels = jnp.array([[0.5, 0.0, 0.5]])
    t = jnp.array([[1.0, 0.0, 2.0]])
    twin = jax_act.forward_mode.losses.softmax_cross_entropy
    value, tangent = jax.jvp(lambda z: twin(z, labels), (logits,), (t,))
    grad = jax.grad(lambda z: losses.softmax_cross_entropy(z, labels).sum())(logits)
    assert np.isfinite(value).all() and np.isfinite(grad).all()
    assert_close(tangent, jnp.sum(grad * t, -1), jnp.float32, TOL, "twin JVP")
