"""The fused output layer + loss, ``losses.linear_softmax_cross_entropy_with_integer_labels``.

Oracles: optax's ``softmax_cross_entropy_with_integer_labels`` on the materialized logits, and
the plain formula (capped logits, log-sum-exp, smoothed targets, z-loss) under ``jax.grad``,
both in float64 on the same inputs. A result in dtype d passes when, array by array,
``max |got − want| ≤ TOL · eps(d) · max S``, S the size of the terms the result sums: each
gradient is a matmul of ∂ℓ/∂z = c·(p − t)… with the inputs, and S is the same matmul of
c·(p + t)… with their absolute values (the standard bound for a sum, which cancels where p ≈ t;
the soft cap's factor 1 − tanh² counts as its terms, 1 + tanh², since both sides compute it by
that subtraction and it cancels where the cap saturates), and for the loss the sum of |lse|, Σ t |z'| and ζ lse².
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from _helpers import swept

from jax_act import losses, testing
from jax_act._linear_ce import plan
from jax_act.testing import TOLERANCE

# Full float32 matmuls: the oracles are float64 (on GPUs the default may be TF32).
F = functools.partial(losses.linear_softmax_cross_entropy_with_integer_labels, precision="highest")
TOL = 2 * TOLERANCE  # eps units: a loss sums a row of logits, a gradient sums over tokens


def assert_close(got, want, dtype, scale, what=""):
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    assert got.shape == want.shape, (what, got.shape, want.shape)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want), err_msg=f"{what}: NaN pattern")
    eps = float(jnp.finfo(dtype).eps)
    ok = ~np.isnan(want)
    if ok.any():
        err = np.max(np.abs(got[ok] - want[ok])) / max(float(np.max(scale)), np.finfo(np.float64).tiny)
        assert err <= TOL * eps, f"{what}: error {err / eps:.1f} eps of the terms' size > {TOL}"


def near(got, want, dtype, what=""):
    """For results that are not cancelling sums (or are ours against ours): S = |want| + 1."""
    assert_close(got, want, dtype, np.abs(np.asarray(want, np.float64)) + 1, what)


def plain(x, w, b, y, where=None, label_smoothing=0.0, z_loss=0.0, logit_soft_cap=None, reduction="mean"):
    """The formula on materialized logits, for jax.grad."""
    z = x @ w + (0 if b is None else b)
    if logit_soft_cap is not None:
        z = logit_soft_cap * jnp.tanh(z / logit_soft_cap)
    v = z.shape[-1]
    lse = jax.nn.logsumexp(z, -1)
    t = (1 - label_smoothing) * jax.nn.one_hot(y, v, dtype=z.dtype) + label_smoothing / v
    loss = lse - jnp.sum(t * z, -1) + z_loss * lse**2
    mask = jnp.ones(y.shape, bool) if where is None else where
    loss = jnp.where(mask, loss, 0)
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    return loss.sum() / jnp.maximum(mask.sum(), 1)


def term_scales(x, w, b, y, c, where=None, label_smoothing=0.0, z_loss=0.0, logit_soft_cap=None, reduction="mean"):
    """S for (loss, ∂hidden, ∂weight, ∂bias), in float64; ``c`` the per-token cotangent."""
    x, w = jnp.asarray(x, jnp.float64), jnp.asarray(w, jnp.float64)
    z = x @ w + (0 if b is None else jnp.asarray(b, jnp.float64))
    factor = 1.0
    if logit_soft_cap is not None:
        z = logit_soft_cap * jnp.tanh(z / logit_soft_cap)
        factor = 1 + (z / logit_soft_cap) ** 2
    v = z.shape[-1]
    lse = jax.nn.logsumexp(z, -1)
    t = (1 - label_smoothing) * jax.nn.one_hot(y, v, dtype=z.dtype) + label_smoothing / v
    mask = jnp.ones(y.shape, bool) if where is None else where
    c = jnp.where(mask, jnp.abs(c), 0)
    loss = jnp.where(mask, jnp.abs(lse) + jnp.sum(t * jnp.abs(z), -1) + z_loss * lse**2, 0)
    loss = loss if reduction == "none" else jnp.sum(c * loss)
    dz = (c * (1 + 2 * z_loss * jnp.abs(lse)))[..., None] * (jnp.exp(z - lse[..., None]) + t) * factor
    dz = dz.reshape(-1, v)
    return loss, dz @ jnp.abs(w).T, jnp.abs(x).reshape(-1, x.shape[-1]).T @ dz, jnp.sum(dz, 0)


SCALARS = ("label_smoothing", "z_loss", "logit_soft_cap", "reduction")


def cotangent(out, reduction, where):
    """The per-token weight of each loss in the scalar that is differentiated."""
    mask = jnp.ones(out.shape if reduction == "none" else where.shape, bool) if where is None else where
    if reduction == "none":
        return jnp.asarray(np.random.default_rng(1).uniform(0.5, 2, out.shape), out.dtype)
    return jnp.ones(mask.shape) / (jnp.maximum(mask.sum(), 1) if reduction == "mean" else 1)


def check(ours, want_fn, x, w, b, y, dtype, reduction="mean", up=None, **opts):
    """Loss and gradients of ``ours`` against ``want_fn`` (float64 inputs ``up``, default
    the same), within TOL·eps of the terms' size."""
    up = up or (x, w, b)
    got = grads_of(ours, x, w, b, reduction)
    want = grads_of(want_fn, *up, reduction)
    c = cotangent(want[0], reduction, opts.get("where"))
    sc = jax.jit(term_scales, static_argnames=SCALARS)(*up, y, c, reduction=reduction, **opts)
    assert_close(got[0], want[0], dtype, sc[0], "loss")
    for name, g1, g2, s1 in zip(("hidden", "weight", "bias"), got[1], want[1], sc[1:]):
        assert_close(g1, g2, dtype, s1, name)
    return got


def problem(seed, n=(13,), h=6, v=50, dtype=jnp.float64, bias=True, scale=1.0):
    rng = np.random.default_rng(seed)
    x = jnp.asarray(rng.normal(size=(*n, h)) * scale, dtype)
    w = jnp.asarray(rng.normal(size=(h, v)) / np.sqrt(h), dtype)
    b = jnp.asarray(rng.normal(size=v), dtype) if bias else None
    y = jnp.asarray(rng.integers(0, v, n))
    mask = jnp.asarray(rng.random(n) > 0.3)
    return x, w, b, y, mask


def grads_of(fn, x, w, b, reduction):
    """Value and ∂/∂(hidden, weight, bias), with a random per-token cotangent for "none"."""
    argnums = (0, 1, 2) if b is not None else (0, 1)

    def scalar(*a):
        out = fn(*a)
        if reduction == "none":
            c = jnp.asarray(np.random.default_rng(1).uniform(0.5, 2, out.shape), out.dtype)
            return jnp.sum(c * out), out
        return out, out

    # one compiled program (the oracle op by op would compile each primitive)
    (_, out), g = jax.jit(jax.value_and_grad(scalar, argnums, has_aux=True))(x, w, b)
    return out, g


# --------------------------------------------------------------------------- values and gradients


def f64(*arrays):
    return tuple(None if a is None else jnp.asarray(a, jnp.float64) for a in arrays)


@pytest.mark.parametrize("reduction, dtype", [
    ("mean", "float32"), ("none", "float64"),
    swept("sum", "float32"), swept("none", "float32"), swept("mean", "float64"), swept("sum", "float64")])
def test_matches_optax_on_materialized_logits(dtype, reduction):
    x, w, b, y, mask = problem(0, dtype=dtype)

    def ref(x, w, b):
        loss = jnp.where(mask, optax.softmax_cross_entropy_with_integer_labels(x @ w + b, y), 0)
        return {"none": loss, "sum": loss.sum(), "mean": loss.sum() / mask.sum()}[reduction]

    def ours(x, w, b):
        return F(x, w, y, b, where=mask, reduction=reduction, chunk_size=(4, 16))

    got = check(ours, ref, x, w, b, y, dtype, reduction, up=f64(x, w, b), where=mask)
    assert all(g.dtype == jnp.dtype(dtype) for g in got[1])


OPTIONS = st.fixed_dictionaries(dict(
    n=st.lists(st.integers(1, 9), min_size=1, max_size=2),
    h=st.integers(1, 7),
    v=st.integers(1, 70),
    tokens=st.integers(1, 20),
    cols=st.integers(1, 80),
    bias=st.booleans(),
    smoothing=st.sampled_from([0.0, 0.1, 1.0]),
    zl=st.sampled_from([0.0, 1e-4, 0.5]),
    cap=st.sampled_from([None, 0.7, 30.0]),
    reduction=st.sampled_from(["mean", "sum", "none"]),
    seed=st.integers(0, 2**16),
))


def _matches_the_formula(n, h, v, tokens, cols, bias, smoothing, zl, cap, reduction, seed):
    x, w, b, y, mask = problem(seed, tuple(n), h, v, bias=bias, scale=3.0)
    opts = dict(where=mask, label_smoothing=smoothing, z_loss=zl, logit_soft_cap=cap)
    ours = lambda x, w, b: F(x, w, y, b, chunk_size=(tokens, cols), reduction=reduction, **opts)  # noqa: E731
    ref = lambda x, w, b: plain(x, w, b, y, reduction=reduction, **opts)  # noqa: E731
    check(ours, ref, x, w, b, y, "float64", reduction, **opts)


@settings(max_examples=3, deadline=None)
@given(OPTIONS)
def test_every_option_matches_the_formula_under_autodiff(case):
    _matches_the_formula(**case)


@pytest.mark.slow
@settings(max_examples=150, deadline=None)
@given(OPTIONS)
def test_every_option_matches_the_formula_under_autodiff_exhaustively(case):
    _matches_the_formula(**case)


def _plain_face(hidden, weight, labels, bias=None, *, where=None, label_smoothing=0.0, z_loss=0.0,
                logit_soft_cap=None, reduction="mean", chunk_size=None):
    """The plain formula with the fused loss's signature: the kit's reference."""
    return plain(hidden, weight, bias, labels, where, label_smoothing, z_loss, logit_soft_cap, reduction)


# extended: values and all three gradients against the formula under autodiff run by default
@pytest.mark.slow
@pytest.mark.extended
@pytest.mark.parametrize("opts", [
    dict(), swept(dict(reduction="none", label_smoothing=0.1, logit_soft_cap=4.0)),
    swept(dict(reduction="sum", z_loss=1e-3)), swept(dict(label_smoothing=0.2, z_loss=0.5, logit_soft_cap=0.7)),
], ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()) or "plain")
def test_fused_layer_passes_the_kit(opts):
    """testing.check_rule on the fused loss (float32, masked, chunked): values and the three
    gradients against the plain formula under autodiff in float64, finite differences, vmap
    and checkpoint (eager: tests/test_linear_ce.py's jit/vmap/checkpoint test). The options
    are constants (static), the labels and the mask are traced and not differentiated."""
    x, w, b, y, mask = problem(6, n=(6,), h=4, v=20, dtype=jnp.float32)
    report = testing.check_rule(
        F, x, w, y.astype(jnp.int32), b, reference=_plain_face, kwargs=dict(where=mask, chunk_size=(4, 8), **opts),
        static_argnames=("chunk_size", *(k for k in opts if k != "reduction")), skip="eager")
    assert report.passed, "\n" + str(report)
    assert report.checked == ["hidden", "weight", "bias"]


@pytest.mark.parametrize("chunk_size", [None, 5, (3, 7), swept(1), swept((8, 1)), swept((64, 64))])
def test_chunkings_agree(chunk_size):
    x, w, b, y, mask = problem(2, n=(5, 7), v=37)
    ours = lambda x, w, b: F(x, w, y, b, where=mask, chunk_size=chunk_size)  # noqa: E731
    check(ours, lambda x, w, b: plain(x, w, b, y, where=mask), x, w, b, y, "float64", where=mask)


@pytest.mark.parametrize("dtype", ["bfloat16", swept("float16")])
def test_half_precision_accumulates_in_float32(dtype):
    """Within the rounding of the result to the inputs' dtype (the loss is float32)."""
    x, w, b, y, mask = problem(3, n=(32,), h=16, v=300, dtype=dtype)
    assert F(x, w, y, b, where=mask).dtype == jnp.float32
    got = check(lambda x, w, b: F(x, w, y, b, where=mask), lambda x, w, b: plain(x, w, b, y, where=mask),
                x, w, b, y, dtype, up=f64(x, w, b), where=mask)
    assert all(g.dtype == jnp.dtype(dtype) for g in got[1])
    loss = F(x, w, y, b, where=mask)
    want = plain(*f64(x, w, b), y, where=mask)
    assert_close(loss, want, "float32", term_scales(*f64(x, w, b), y, cotangent(want, "mean", mask), mask)[0])


@pytest.mark.parametrize("argnums", [1, (0, 2), swept(0), swept(2)])
def test_each_gradient_alone(argnums):
    x, w, b, y, mask = problem(4)
    for reduction in ("mean", "none"):
        def ours(x, w, b):
            return jnp.sum(F(x, w, y, b, where=mask, reduction=reduction))

        def ref(x, w, b):
            return jnp.sum(plain(x, w, b, y, where=mask, reduction=reduction))

        got, want = jax.jit(jax.grad(ours, argnums))(x, w, b), jax.jit(jax.grad(ref, argnums))(x, w, b)
        for g1, g2 in zip(jax.tree.leaves(got), jax.tree.leaves(want)):
            near(g1, g2, "float64")


def test_lse_is_returned_without_gradient():
    x, w, b, y, _ = problem(5)
    loss, lse = F(x, w, y, b, reduction="none", return_lse=True, logit_soft_cap=2.0)
    z = 2.0 * jnp.tanh((x @ w + b) / 2.0)
    near(lse, jax.nn.logsumexp(z, -1), "float64", "lse")
    g = jax.grad(lambda x: F(x, w, y, b, return_lse=True)[1].sum())(x)
    assert not np.any(np.asarray(g))


# --------------------------------------------------------------------------- edge cases


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_fully_masked_batch_is_zero_not_nan(reduction):
    x, w, b, y, _ = problem(6)
    mask = jnp.zeros(y.shape, bool)
    out, g = grads_of(lambda x, w, b: F(x, w, y, b, where=mask, reduction=reduction), x, w, b, reduction)
    assert not np.any(np.asarray(out))
    for a in g:
        assert not np.any(np.asarray(a))


def test_masked_tokens_contribute_exactly_nothing():
    """Masked tokens may hold NaN hidden states and ignore-index labels (−100)."""
    x, w, b, y, mask = problem(7)
    x_bad = jnp.where(mask[:, None], x, jnp.nan)
    y_bad = jnp.where(mask, y, -100)
    got = grads_of(lambda x, w, b: F(x, w, y_bad, b, where=y_bad >= 0, reduction="sum"), x_bad, w, b, "sum")
    keep = np.asarray(mask)
    want = grads_of(lambda x, w, b: F(x, w, y[keep], b, reduction="sum"), x[keep], w, b, "sum")
    near(got[0], want[0], "float64")
    assert not np.any(np.asarray(got[1][0])[~keep])
    near(got[1][0][keep], want[1][0], "float64")
    for g1, g2 in zip(got[1][1:], want[1][1:]):
        near(g1, g2, "float64")


@pytest.mark.parametrize("cap, dtype", [
    (None, "float32"), (1e-3, "bfloat16"), (1e30, "float32"),
    swept(None, "bfloat16"), swept(1e-3, "float32"), swept(1e30, "bfloat16")])
def test_huge_logits_and_soft_cap_limits_stay_finite(dtype, cap):
    x, w, b, y, _ = problem(8, dtype=dtype)
    x = x * 1e4 / jnp.max(jnp.abs(x @ w)).astype(dtype)  # logits up to ±1e4
    out, g = grads_of(lambda x, w, b: F(x, w, y, b, logit_soft_cap=cap, z_loss=1e-4), x, w, b, "mean")
    for a in (out, *g):
        assert np.all(np.isfinite(np.asarray(a, np.float64)))
    up = [a.astype(jnp.float64) for a in (x, w, b)]
    want = plain(*up, y, logit_soft_cap=cap, z_loss=1e-4)
    near(out, want, "float32", "loss")


def test_huge_cap_is_no_cap():
    x, w, b, y, _ = problem(9)
    near(F(x, w, y, b, logit_soft_cap=1e30), F(x, w, y, b), "float64")


def test_out_of_range_labels_give_nan_in_both_losses_and_checkify_names_them():
    """One convention: an unmasked label outside [0, V) — negative included, never wrapped to
    a class — is a ValueError where the fused loss sees concrete labels, NaN under jit in both
    the fused and the unfused loss, and an error under checkify with losses.check_labels."""
    from jax.experimental import checkify

    x, w, b, y, _ = problem(10, v=50)
    with pytest.raises(ValueError, match=r"linear_softmax_cross_entropy_with_integer_labels.*'labels'"):
        F(x, w, y.at[3].set(50), b)
    with pytest.raises(ValueError, match="'labels'"):
        F(x, w, y.at[0].set(-1), b)
    F(x, w, y.at[3].set(-100), b, where=jnp.arange(y.size) != 3)  # masked: allowed
    for bad in (50, -1, -100):
        yb = y.at[3].set(bad)
        fused = jax.jit(lambda y: F(x, w, y, b, reduction="none"))(yb)
        unfused = losses.softmax_cross_entropy_with_integer_labels(x @ w + b, yb)
        for out in (fused, unfused):
            assert np.isnan(out[3]) and np.all(np.isfinite(np.delete(np.asarray(out), 3))), bad
    g = jax.jit(jax.grad(lambda w, y: F(x, w, y, b), argnums=0))(w, y.at[3].set(50))
    assert np.all(np.isfinite(np.asarray(g)))

    def step(w, y):
        losses.check_labels(y, w.shape[1])
        return F(x, w, y, b)

    err, _ = checkify.checkify(jax.jit(step))(w, y.at[3].set(-1))
    with pytest.raises(checkify.JaxRuntimeError, match=r"label -1 \(at index 3\) is outside \[0, 50\)"):
        err.throw()
    err, _ = checkify.checkify(jax.jit(step))(w, y)
    assert err.get() is None


@pytest.mark.parametrize(
    "kwargs, exc, argname",
    [
        (dict(hidden=np.ones((3, 4), np.int32)), TypeError, "hidden"),
        (dict(labels=np.zeros(3, np.float32)), TypeError, "labels"),
        (dict(weight=np.ones((5, 6))), ValueError, "weight"),
        (dict(labels=np.zeros(4, np.int32)), ValueError, "labels"),
        (dict(bias=np.ones(5)), ValueError, "bias"),
        (dict(where=np.ones(4, bool)), ValueError, "where"),
        (dict(where=np.ones((2, 3), bool)), ValueError, "where"),
        (dict(reduction="avg"), ValueError, "reduction"),
        (dict(label_smoothing=1.5), ValueError, "label_smoothing"),
        (dict(z_loss=-1.0), ValueError, "z_loss"),
        (dict(logit_soft_cap=0.0), ValueError, "logit_soft_cap"),
        (dict(chunk_size=0), ValueError, "chunk_size"),
        (dict(chunk_budget=-5), ValueError, "chunk_budget"),
        (dict(chunking="slow"), ValueError, "chunking"),
        (dict(implementation="cuda"), ValueError, "implementation"),
        (dict(hidden="x"), TypeError, "hidden"),
    ],
)
def test_bad_input_names_function_and_argument(kwargs, exc, argname):
    args = dict(hidden=np.ones((3, 4)), weight=np.ones((4, 6)), labels=np.zeros(3, np.int32))
    args.update(kwargs)
    with pytest.raises(exc, match=rf"linear_softmax_cross_entropy_with_integer_labels.*{argname}"):
        F(**args)


def test_forward_mode_is_refused_with_the_way_out():
    x, w, y = jnp.ones((3, 4)), jnp.ones((4, 6)), jnp.zeros(3, jnp.int32)
    with pytest.raises(TypeError, match=r"linear_softmax_cross_entropy_with_integer_labels is reverse-mode only"
                                        r".*forward_mode\.losses"):
        jax.jvp(lambda x: F(x, w, y), (x,), (x,))


def test_plan_covers_every_token_and_honours_each_knob():
    for n, v, h in [(4096, 32768, 256), (65536, 131072, 1024), (4096, 2**22, 512), (7, 50, 3), (1009, 1000, 64)]:
        for backend in ("cpu", "gpu"):
            unfused = n * v * 8
            for chunking, cap in (("fast", 1 / 2), ("lean", 1 / 32)):
                p = plan(n, v, h, chunking=chunking, backend=backend)
                assert p.padded >= n and p.tokens * p.chunks == p.padded and p.padded - n < p.chunks
                assert 1 <= p.vocab <= v and 1 <= p.block <= v and p.why
                # the chunk work arrays within the cap, unless no plan is that small
                smallest = min(8 * min(n, 8) * min(v, 128), 8 * n * v)
                assert p.bytes <= max(cap * unfused, smallest), (chunking, backend, n, v, p)
            for dtype in ("float32", "bfloat16"):  # lean never keeps more than fast
                lean, fast = (plan(n, v, h, chunking=c, dtype=dtype, backend=backend) for c in ("lean", "fast"))
                assert lean.bytes <= fast.bytes, (n, v, h, backend, dtype, lean, fast)
            p = plan(n, v, h, budget=2**20, backend=backend)
            assert p.bytes <= 2**20 or p.bytes == 8 * min(n, 8) * min(v, 128), p
    assert plan(4096, 32768, chunk_size=1000).padded == 4096  # a dividing chunk count: no padding
    assert plan(13, 50, chunk_size=(4, 7))[:4] == (4, 4, 16, 7)
    # on one H200, two chunks ran at 1.02x the unfused step (bench/results/gpu-losses-chunking.txt)
    assert plan(4096, 32768, 512, backend="gpu").chunks <= 4


def test_the_three_knobs_are_one_at_a_time():
    x, w, b, y, _ = problem(10, v=50)
    with pytest.raises(ValueError, match="chunk_size and chunk_budget size the walk two ways"):
        F(x, w, y, b, chunk_size=4, chunk_budget=2**20)
    with pytest.raises(ValueError, match="chunking='lean'"):
        F(x, w, y, b, chunk_size=4, chunking="lean")
    with pytest.raises(ValueError, match="'chunking' must be one of"):
        F(x, w, y, b, chunking="quick")
    p = losses.linear_softmax_cross_entropy_plan(4096, 256, 32768, "bfloat16", chunking="lean", backend="gpu")
    assert p.accumulator == 4 * 256 * 32768 and "accumulator" in p.why
    ref = F(x, w, y, b)
    for kw in (dict(chunking="lean"), dict(chunk_size=3), dict(chunk_budget=4096)):
        near(F(x, w, y, b, **kw), ref, "float64", str(kw))


# --------------------------------------------------------------------------- transformations


@pytest.mark.slow
@pytest.mark.extended
def test_jit_vmap_checkpoint_agree():
    x, w, b, y, mask = problem(11, n=(3, 6))
    fn = lambda x, w, b, y, m: F(x, w, y, b, where=m, chunk_size=4)  # noqa: E731
    one = [fn(x[i], w, b, y[i], mask[i]) for i in range(3)]
    near(jax.vmap(fn, (0, None, None, 0, 0))(x, w, b, y, mask), jnp.stack(one), "float64")
    g = jax.grad(lambda w: jax.vmap(fn, (0, None, None, 0, 0))(x, w, b, y, mask).sum())(w)
    g_ref = jax.jit(jax.grad(lambda w: sum(plain(x[i], w, b, y[i], where=mask[i]) for i in range(3))))(w)
    near(g, g_ref, "float64")
    g_ck = jax.jit(jax.grad(jax.checkpoint(lambda w: fn(x, w, b, y, mask))))(w)
    near(g_ck, jax.jit(jax.grad(lambda w: plain(x, w, b, y, where=mask)))(w), "float64")


def test_inside_scan_over_layers():
    """A loss per layer (deep supervision) from inside a scan over stacked weights."""
    rng = np.random.default_rng(12)
    layers = jnp.asarray(rng.normal(size=(3, 6, 6)) / 3)
    head = jnp.asarray(rng.normal(size=(6, 20)))
    x0 = jnp.asarray(rng.normal(size=(8, 6)))
    y = jnp.asarray(rng.integers(0, 20, 8))

    def model(layers, head, loss):
        def body(h, lw):
            h = jnp.tanh(h @ lw)
            return h, loss(h, head)

        return jnp.sum(jax.lax.scan(body, x0, layers)[1])

    ours = lambda h, head: F(h, head, y, chunk_size=3)  # noqa: E731
    ref = lambda h, head: plain(h, head, None, y)  # noqa: E731
    grads = jax.jit(jax.grad(model, (0, 1)), static_argnums=2)
    got, want = grads(layers, head, ours), grads(layers, head, ref)
    for g1, g2 in zip(got, want):
        near(g1, g2, "float64")


# --------------------------------------------------------------------------- the Pallas kernel (interpret mode here)


KERNEL_CASES = [dict(), dict(reduction="none", label_smoothing=0.1, logit_soft_cap=4.0, z_loss=1e-3),
                swept(dict(reduction="sum", label_smoothing=1.0)), swept(dict(logit_soft_cap=0.7, z_loss=0.5))]


@pytest.mark.parametrize("opts", KERNEL_CASES, ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()) or "plain")
def test_kernel_matches_the_xla_walk_and_the_formula(opts):
    """The kernel (Pallas, interpreted on this backend) against the XLA walk, to rounding, and
    against the plain formula under autodiff: values and all three gradients, masked."""
    x, w, b, y, mask = problem(11, n=(3, 13), h=6, v=300)
    kern = lambda x, w, b: F(x, w, y, b, where=mask, implementation="pallas", **opts)  # noqa: E731
    walk = lambda x, w, b: F(x, w, y, b, where=mask, implementation="xla", **opts)  # noqa: E731
    reduction = opts.get("reduction", "mean")
    got = check(kern, lambda x, w, b: plain(x, w, b, y, where=mask, **opts), x, w, b, y, "float64", reduction,
                where=mask, **{k: v for k, v in opts.items() if k != "reduction"})
    for a, c in zip(jax.tree.leaves(got), jax.tree.leaves(grads_of(walk, x, w, b, reduction))):
        near(a, c, "float64", "kernel against the walk")


@pytest.mark.slow
@pytest.mark.extended
def test_kernel_passes_the_kit():
    x, w, b, y, mask = problem(6, n=(6,), h=4, v=20, dtype=jnp.float32)
    report = testing.check_rule(
        functools.partial(F, implementation="pallas"), x, w, y.astype(jnp.int32), b, reference=_plain_face,
        kwargs=dict(where=mask, reduction="none", label_smoothing=0.1), static_argnames=("label_smoothing",),
        skip=("eager", "vmap"))
    assert report.passed, "\n" + str(report)


@pytest.mark.parametrize("dtype", ["bfloat16", swept("float32")])
def test_kernel_in_half_precision_and_with_lse(dtype):
    x, w, b, y, mask = problem(12, n=(40,), h=16, v=200, dtype=dtype)
    (loss_k, lse_k), (loss_x, lse_x) = (F(x, w, y, b, return_lse=True, implementation=i) for i in ("pallas", "xla"))
    assert loss_k.dtype == loss_x.dtype == jnp.float32
    near(loss_k, loss_x, "float32", "loss")
    near(lse_k, lse_x, "float32", "lse")
    gk = jax.grad(lambda w: F(x, w, y, b, implementation="pallas"))(w)
    gx = jax.grad(lambda w: F(x, w, y, b, implementation="xla"))(w)
    assert gk.dtype == jnp.dtype(dtype)
    near(gk, gx, dtype, "dW")


# --------------------------------------------------------------------------- memory


def _step_temp_bytes(loss_fn, n, h, v, x_dtype, w_dtype):
    x = jax.ShapeDtypeStruct((n, h), x_dtype)
    w = jax.ShapeDtypeStruct((h, v), w_dtype)
    y = jax.ShapeDtypeStruct((n,), jnp.int32)

    def step(x, w, y):
        return jax.value_and_grad(loss_fn, (0, 1))(x, w, y)

    return jax.jit(step).lower(x, w, y).compile().memory_analysis().temp_size_in_bytes


def unfused(x, w, y):
    logits = jnp.dot(x, w, preferred_element_type=jnp.float32)
    return optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()


SHAPES = [(4096, 256, 32768), (8192, 128, 65536), (8192, 512, 32768), (8192, 256, 32768)]


@pytest.mark.parametrize("n, h, v, x_dtype", [
    swept(*SHAPES[0], "float32"), swept(*SHAPES[1], "float32"), (*SHAPES[3], "float32"), (*SHAPES[0], "bfloat16"),
    swept(*SHAPES[2], "float32"), swept(*SHAPES[1], "bfloat16"), swept(*SHAPES[2], "bfloat16")])
def test_lean_keeps_a_twentieth_of_the_unfused_memory(n, h, v, x_dtype):
    """float32 weights (with float32 or bfloat16 hidden states, as in mixed precision)."""
    fused = _step_temp_bytes(functools.partial(F, chunking="lean"), n, h, v, x_dtype, "float32")
    base = _step_temp_bytes(unfused, n, h, v, x_dtype, "float32")
    assert fused * 20 <= base, (fused / 2**20, base / 2**20)


@pytest.mark.parametrize("n, h, v, x_dtype", [(*SHAPES[0], "float32"), (*SHAPES[0], "bfloat16"), swept(*SHAPES[3], "float32")])
def test_fast_keeps_at_most_half_of_the_unfused_memory(n, h, v, x_dtype):
    for backend in ("cpu", "gpu"):  # the plan each backend's model picks, compiled here
        size = plan(n, v, h, backend=backend).tokens
        fused = _step_temp_bytes(functools.partial(F, chunk_size=size), n, h, v, x_dtype, "float32")
        base = _step_temp_bytes(unfused, n, h, v, x_dtype, "float32")
        assert fused * 2 <= base * 1.01, (backend, size, fused / 2**20, base / 2**20)


def test_half_precision_goes_into_every_matmul_as_it_is():
    """bfloat16 hidden states and weights enter all three matmuls of the lowered step (the
    program XLA is given) in bfloat16, accumulating in float32: nothing upcasts them before a
    dot, which would turn the backward matmuls into float32 (or TF32) ones."""
    x = jax.ShapeDtypeStruct((512, 64), jnp.bfloat16)
    w = jax.ShapeDtypeStruct((64, 4096), jnp.bfloat16)
    y = jax.ShapeDtypeStruct((512,), jnp.int32)
    for kw in (dict(), dict(reduction="none"), dict(chunk_size=(128, 1024))):
        def step(x, w, y):
            return jax.grad(lambda x, w: jnp.sum(losses.linear_softmax_cross_entropy_with_integer_labels(x, w, y, **kw)),
                            (0, 1))(x, w)

        hlo = jax.jit(step).lower(x, w, y).as_text()
        dots = [line for line in hlo.splitlines() if "stablehlo.dot_general" in line]
        assert len(dots) >= 3, kw
        for line in dots:
            operands = line.split(":")[-1].split("->")[0]
            assert operands.count("bf16") == 2 and "f32" not in operands, (kw, line)


@pytest.mark.parametrize("n, h, v", SHAPES[:3])
def test_half_precision_weights_keep_a_chunk_and_the_float32_accumulator(n, h, v):
    """bfloat16 weights: dW accumulates in float32 over the token chunks; beyond that
    accumulator the step keeps about a chunk, nothing the size of the logits."""
    fused = _step_temp_bytes(functools.partial(F, chunking="lean"), n, h, v, "bfloat16", "bfloat16")
    p = plan(n, v, h, dtype="bfloat16", chunking="lean")
    chunk = 3 * 4 * p.tokens * p.vocab
    accumulator = 4 * h * v
    hidden = 4 * n * h
    assert fused <= accumulator + 2 * chunk + hidden, (fused / 2**20, accumulator / 2**20, chunk / 2**20)
    assert fused * 4 <= _step_temp_bytes(unfused, n, h, v, "bfloat16", "bfloat16")


# --------------------------------------------------------------------------- in a model


@pytest.mark.slow
@pytest.mark.extended
def test_flax_nnx_language_model_trains_as_the_unfused_head():
    """The head and loss of a small nnx language model: the fused loss takes the final hidden
    states and the head's kernel and bias; the loss curve is the unfused one's."""
    from flax import nnx

    class LM(nnx.Module):
        def __init__(self, vocab, dim, rngs):
            self.embed = nnx.Embed(vocab, dim, rngs=rngs)
            self.mlp = nnx.Linear(dim, dim, rngs=rngs)
            self.norm = nnx.LayerNorm(dim, rngs=rngs)
            self.head = nnx.Linear(dim, vocab, rngs=rngs)

        def hidden(self, tokens):
            h = self.embed(tokens)
            return self.norm(h + jax.nn.gelu(self.mlp(h)))

    def fused_loss(model, tokens, targets, mask):
        return F(model.hidden(tokens), model.head.kernel[...], targets, model.head.bias[...], where=mask)

    def unfused_loss(model, tokens, targets, mask):
        per_token = optax.softmax_cross_entropy_with_integer_labels(model.head(model.hidden(tokens)), targets)
        return jnp.sum(jnp.where(mask, per_token, 0)) / jnp.sum(jnp.broadcast_to(mask, per_token.shape))

    def train(loss_fn, steps=6):
        model = LM(vocab=1000, dim=32, rngs=nnx.Rngs(0))
        opt = nnx.Optimizer(model, optax.adam(1e-2), wrt=nnx.Param)
        tokens = jax.random.randint(jax.random.key(1), (4, 16), 0, 1000)
        targets, mask = jnp.roll(tokens, -1, axis=1), jnp.arange(16) < 15

        @nnx.jit
        def step(model, opt):
            loss, grads = nnx.value_and_grad(loss_fn)(model, tokens, targets, mask)
            opt.update(model, grads)
            return loss

        return np.array([step(model, opt) for _ in range(steps)])

    with jax.default_matmul_precision("highest"):  # both sides in full float32, on any backend
        fused, base = train(fused_loss), train(unfused_loss)
    assert fused[-1] < fused[0] - 1, fused  # it learns
    near(fused, base, "float32", "loss curve")
