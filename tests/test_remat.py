"""What every jax_act rule keeps is named for jax.checkpoint policies: "jax_act.<name>" (losses
"jax_act.losses.<name>"), or a call site's own name; the policies save exactly that.

Residuals are counted in bytes of arrays the function keeps besides its arguments and constants
(without remat, JAX may list a named copy and the raw array: bytes of distinct arrays count)."""

from __future__ import annotations

import importlib.util
import pathlib

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jax_act
from _helpers import EXTENDED
from jax_act import losses
from jax_act._compat import saved_residuals
from jax_act._kit.cases import cases

P = jax.checkpoint_policies
NAMES = jax_act.residual_names()


def kept_bytes(f, *args) -> int:
    """Bytes of the distinct arrays ``jax.vjp(f, *args)`` keeps, arguments and constants apart."""
    kept = {(str(aval), where): aval for aval, where in saved_residuals(f, *args)
            if not where.startswith(("from the argument", "from a constant"))}
    return sum(int(np.prod(a.shape)) * a.dtype.itemsize for a in kept.values())


def policies(name: str) -> dict:
    return {"named": P.save_only_these_names(name), "other name": P.save_only_these_names("someone.else"),
            "nothing_saveable": P.nothing_saveable, "dots_saveable": P.dots_saveable}


def activation_loss(case):
    """``f(x) = Σ c ⊙ act(x)``: the activation's residuals are all f keeps besides x and c."""
    x = jnp.asarray(np.sin(np.arange(48.0)).reshape(6, 8) * 3 + 0.05, jnp.float32)
    shape = jax.eval_shape(case.call, x).shape
    c = jnp.asarray(np.cos(np.arange(np.prod(shape))).reshape(shape), jnp.float32)
    return (lambda x: jnp.sum(case.call(x) * c)), x


CASES = cases(all_params=False)


@pytest.mark.sweep
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_activation_residuals_follow_the_named_policy(case):
    f, x = activation_loss(case)
    name = NAMES[case.name]
    kept = kept_bytes(f, x)
    assert kept_bytes(jax.checkpoint(f, policy=P.save_only_these_names(name)), x) == kept
    for label in ("other name", "nothing_saveable", "dots_saveable"):
        assert kept_bytes(jax.checkpoint(f, policy=policies(name)[label]), x) == 0, label


def test_aliases_use_the_canonical_name():
    assert NAMES["swish"] == "jax_act.silu" and NAMES["gelu"] == "jax_act.gelu"
    assert NAMES["losses.squared_error"] == "jax_act.losses.squared_error"
    x = jnp.linspace(-2.0, 2.0, 16, dtype=jnp.float32)
    f = lambda x: jnp.sum(jax_act.swish(x) * x)  # noqa: E731
    assert kept_bytes(jax.checkpoint(f, policy=P.save_only_these_names("jax_act.silu")), x) == 64


def test_a_site_named_by_the_caller():
    x = jnp.linspace(-2.0, 2.0, 16, dtype=jnp.float32)

    def f(x):
        with jax_act.name_residuals("block.act"):
            y = jax_act.gelu(x)
        return jnp.sum(jax_act.tanh(y) * x)

    both = kept_bytes(f, x)
    assert kept_bytes(jax.checkpoint(f, policy=P.save_only_these_names("block.act")), x) == 64  # gelu's x
    assert kept_bytes(jax.checkpoint(f, policy=P.save_only_these_names("jax_act.tanh")), x) == 64  # tanh's y
    assert kept_bytes(jax.checkpoint(f, policy=P.save_only_these_names("jax_act.gelu")), x) == 0
    assert kept_bytes(jax.checkpoint(f, policy=P.save_only_these_names("block.act", "jax_act.tanh")), x) == both
    # the name is read at the call: the same function called under another name is another trace
    with jax_act.name_residuals("other"):
        g = lambda x: jnp.sum(jax_act.gelu(x) * x)  # noqa: E731
        assert kept_bytes(jax.checkpoint(g, policy=P.save_only_these_names("other")), x) == 64


def test_name_residuals_rejects_a_bad_name():
    with pytest.raises(TypeError, match="name_residuals"):
        with jax_act.name_residuals(""):
            pass


def _loss_calls():
    r = np.random.default_rng(0)
    logits = jnp.asarray(r.normal(size=(4, 6)), jnp.float32)
    probs = jax.nn.softmax(jnp.asarray(r.normal(size=(4, 6)), jnp.float32))
    ints = jnp.asarray([0, 3, 5, 1])
    return {
        "softmax_cross_entropy": lambda x: losses.softmax_cross_entropy(x, probs),
        "softmax_cross_entropy_with_integer_labels": lambda x: losses.softmax_cross_entropy_with_integer_labels(x, ints),
        "sigmoid_binary_cross_entropy": lambda x: losses.sigmoid_binary_cross_entropy(x, probs),
        "squared_error": lambda x: losses.squared_error(x, probs),
        "sum_of_squares_error": lambda x: losses.sum_of_squares_error(x, probs),
    }, logits


@pytest.mark.parametrize("name", sorted(_loss_calls()[0]))
def test_loss_residuals_follow_the_named_policy(name):
    calls, x = _loss_calls()
    shape = jax.eval_shape(calls[name], x).shape
    c = jnp.asarray(np.cos(np.arange(np.prod(shape))).reshape(shape), jnp.float32)
    f = lambda x: jnp.sum(calls[name](x) * c)  # noqa: E731
    kept = kept_bytes(f, x)
    assert kept > 0
    assert kept_bytes(jax.checkpoint(f, policy=P.save_only_these_names(f"jax_act.losses.{name}")), x) == kept
    assert kept_bytes(jax.checkpoint(f, policy=P.save_only_these_names(f"jax_act.{name}")), x) == 0
    assert kept_bytes(jax.checkpoint(f, policy=P.nothing_saveable), x) == 0


FUSED = "jax_act.losses.linear_softmax_cross_entropy_with_integer_labels"


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_fused_output_layer_names_its_gradients_or_lse(reduction):
    r = np.random.default_rng(1)
    x = jnp.asarray(r.normal(size=(16, 8)), jnp.float32)
    w = jnp.asarray(r.normal(size=(8, 32)) / 3, jnp.float32)
    b = jnp.asarray(r.normal(size=(32,)), jnp.float32)
    y = jnp.asarray(r.integers(0, 32, 16))

    def f(x, w, b):
        out = losses.linear_softmax_cross_entropy_with_integer_labels(x, w, y, b, reduction=reduction)
        return jnp.sum(out * jnp.arange(16.0)) if reduction == "none" else out

    # scalar reductions: dx, dW and db; "none": each token's lse (the inputs are arguments)
    expected = 4 * (16 * 8 + 8 * 32 + 32) if reduction != "none" else 4 * 16
    assert kept_bytes(jax.checkpoint(f, policy=P.save_only_these_names(FUSED)), x, w, b) == expected
    assert kept_bytes(jax.checkpoint(f, policy=P.nothing_saveable), x, w, b) == 0
    with jax_act.name_residuals("head"):
        g = lambda x, w, b: losses.linear_softmax_cross_entropy_with_integer_labels(x, w, y, b)  # noqa: E731
        assert kept_bytes(jax.checkpoint(g, policy=P.save_only_these_names("head")), x, w, b) == 4 * (16 * 8 + 8 * 32 + 32)


def test_offloading_policy_moves_the_named_residuals():
    x = jnp.linspace(-2.0, 2.0, 64, dtype=jnp.float32).reshape(8, 8)
    f = lambda x: jnp.sum(jax_act.gelu(x) * jnp.cos(x))  # noqa: E731
    policy = P.save_and_offload_only_these_names(
        names_which_can_be_saved=[], names_which_can_be_offloaded=["jax_act.gelu"],
        offload_src="device", offload_dst="pinned_host")
    kept = [str(aval) for aval, where in saved_residuals(jax.checkpoint(f, policy=policy), x)
            if not where.startswith("from the argument")]
    assert kept == ["float32<host>[8,8]"]  # gelu's x, on the host


def test_forward_mode_twin_names_its_inputs_and_output():
    x = jnp.linspace(-2.0, 2.0, 16, dtype=jnp.float32)
    f = lambda x: jnp.sum(jax_act.forward_mode.softmax(x) * jnp.arange(16.0, dtype=jnp.float32))  # noqa: E731
    named = jax.checkpoint(f, policy=P.save_only_these_names("jax_act.softmax"))
    assert kept_bytes(named, x) > 0
    assert kept_bytes(jax.checkpoint(f, policy=P.nothing_saveable), x) == 0
    np.testing.assert_allclose(jax.grad(named)(x), jax.grad(f)(x), rtol=1e-6)


# ---------------------------------------------------------------- compiled steps under each policy

_spec = importlib.util.spec_from_file_location("bench_remat", pathlib.Path(__file__).parents[1] / "bench" / "remat.py")
bench_remat = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_remat)

# Rows where jax_act's step keeps more than jax.nn's (bench/README.md, item 7, and
# bench/results/cpu-remat.txt): the input-saving barrier that keeps the non-remat steps lean also
# stops XLA from sharing the recomputed forward with the derivative; a 16-bit sigmoid's float32
# derivative is scheduled with a buffer more. Strict: a row that starts passing fails here.
ABOVE = {
    "float32": {("gelu", "named"), ("silu", "named"), ("gelu", "dots_saveable"), ("silu", "dots_saveable"),
                ("softmax", "dots_saveable")},
    "bfloat16": {("gelu", "nothing_saveable"), ("silu", "dots_saveable")},
}


def _remat_cases():
    from jax_act.tools import models

    for dtype in ("float32", "bfloat16"):
        for act in bench_remat.ACTIVATIONS:
            for policy in ("named", "nothing_saveable", "dots_saveable"):
                default_run = dtype == "float32" and (act, policy) == ("relu", "named")
                marks = [] if default_run else list(EXTENDED)
                if (act, policy) in ABOVE[dtype]:
                    marks.append(pytest.mark.xfail(strict=True, reason="bench/README.md, Remat"))
                yield pytest.param(models.SHAPES[2], dtype, act, policy, marks=marks,
                                   id=f"{act}-{policy}-{dtype}")


@pytest.mark.parametrize("shape,dtype,act,policy", list(_remat_cases()))
def test_scanned_transformer_keeps_no_more_than_jax_nn(shape, dtype, act, policy):
    row = bench_remat.transformer_row(shape, dtype, act, policy)
    assert row["ours"] <= row["jax_nn"], row


@pytest.mark.parametrize("act", ["gelu", pytest.param("relu", marks=EXTENDED), pytest.param("tanh", marks=EXTENDED)])
@pytest.mark.parametrize("policy", ["named", pytest.param("nothing_saveable", marks=EXTENDED),
                                    pytest.param("dots_saveable", marks=EXTENDED)])
def test_nnx_remat_keeps_no_more_than_jax_nn(act, policy):
    row = bench_remat.nnx_row("float32", act, policy, d=128, depth=2, batch=512)
    assert row["ours"] <= row["jax_nn"], row


# ---------------------------------------------------------------- the builder, as a user calls it

def _product(kept):
    """x · s by ``engine.custom_pair``; its backward pass keeps both inputs."""
    from jax_act import engine

    return engine.custom_pair(lambda st, x, s: x * s, jvp=lambda st, xs, out, ts: ts[0] * xs[1] + ts[1] * xs[0],
                              save=lambda st, xs, out: xs, vjp=lambda st, res, g: (g * res[1], g * res[0]), kept=kept)[0]


@pytest.mark.parametrize("kept,saved", [((0, 1), 2), ("input", 1), (None, 0)])
def test_custom_pair_names_the_inputs_it_keeps_where_they_are_made(kept, saved):
    """The inputs ``kept`` names are named before the output is computed from them, so the named
    policy saves them; other inputs stay unnamed (the policy recomputes them)."""
    core, x = _product(kept), jnp.linspace(-1.0, 1.0, 64, dtype=jnp.float32)

    def f(x):
        with jax_act.name_residuals("mine"):
            return jnp.sum(core((), jnp.sin(x), jnp.cos(x)))

    named = [aval for aval, where in saved_residuals(jax.checkpoint(f, policy=P.save_only_these_names("mine")), x)
             if where.startswith("named 'mine'")]  # entries, not kept_bytes: sin x and cos x share an aval
    assert len(named) == saved, named
    np.testing.assert_array_equal(jax.grad(f)(x), jax.grad(lambda x: jnp.sum(jnp.sin(x) * jnp.cos(x)))(x))


@pytest.mark.parametrize("kept", ["inputs", True, (-1,), ("output", "x")])
def test_custom_pair_refuses_what_it_cannot_keep(kept):
    with pytest.raises(ValueError, match="custom_pair.*kept"):
        _product(kept)


def test_custom_pair_refuses_a_position_past_its_inputs_when_traced():
    core = _product((2,))
    with pytest.raises(ValueError, match="custom_pair.*kept.*2 inputs"):
        jax.grad(lambda x: core((), x, x))(1.0)
