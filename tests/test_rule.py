"""``testing.check_rule`` on hand-written rules (tests/_rules.py): every right one passes, every
wrong one fails the check that names its bug; and the mechanics a user relies on (pytrees,
integer and static arguments, what is listed, the x64 scoping, the error messages)."""

from __future__ import annotations

import functools
import subprocess
import sys
import textwrap

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jax_act import testing

import _rules
from _helpers import swept

# in the default run: a pytree with integer labels, a learnable scalar, a custom_jvp and a key right;
# a dropped ε, a rounding through float16, an overflow and a wrong shape wrong (a wrong sign in
# a dict leaf and a scaled partial have tests of their own below); the rest in the slow sweeps
RIGHT_DEFAULT = ("cross_entropy", "swish_beta", "softplus_jvp")
WRONG_DEFAULT = (("layer_norm", "dropped eps"), ("tanh_rule", "rounded through float16"), ("sigmoid_rule", "overflows"),
                 ("mse", "wrong shape"))


@pytest.mark.parametrize("name", [n if n in RIGHT_DEFAULT else swept(n) for n in _rules.RIGHT])
def test_a_right_rule_passes(name):
    fn, args = _rules.make(name)
    report = testing.check_rule(fn, *args)
    assert report.passed, "\n" + str(report)
    assert {r.dtype for r in report.rows} == {"float32", "float64"}


@pytest.mark.parametrize("name", [swept(n) for n in _rules.RIGHT])
def test_a_right_rule_passes_in_every_dtype(name):
    fn, args = _rules.make(name)
    report = testing.check_rule(fn, *args, dtypes=testing.DTYPES)
    assert report.passed, "\n" + str(report)


@pytest.mark.parametrize("case", [c if c in WRONG_DEFAULT else swept(c) for c in _rules.WRONG],
                         ids=lambda c: "-".join(filter(None, c)))
def test_a_wrong_rule_fails_the_check_that_names_it(case):
    fn, args = _rules.make(*case)
    report = testing.check_rule(fn, *args, skip="eager")  # eager: tested on the right rules
    assert not report.passed
    assert _rules.WRONG[case] in {r.check for r in report.failures}, "\n" + str(report)
    for row in report.failures:  # every failure says where, with actual against expected
        assert row.where and row.dtype, row


def test_a_wrong_sign_names_the_dict_leaf_and_the_entry():
    fn, args = _rules.make("cross_entropy", "wrong sign")
    report = testing.check_rule(fn, *args, skip=("finite differences", "vmap", "eager", "checkpoint"))
    bad = [r for r in report.failures if r.check == "vjp"]
    assert bad and all(r.input == "inputs['weights']" for r in bad)
    assert "got" in bad[0].where and "want" in bad[0].where and "inputs['weights'][" in bad[0].where
    assert "inputs['weights']" in str(report)
    with pytest.raises(AssertionError, match=r"inputs\['weights'\]"):
        testing.assert_rule(fn, *args, dtypes=(), skip=("finite differences", "vmap", "eager", "checkpoint"))


def test_the_report_lists_every_leaf_and_what_was_not_differentiated():
    fn, args = _rules.make("cross_entropy")
    report = testing.check_rule(fn, *args, skip=("finite differences", "vmap", "eager", "checkpoint"))
    assert report.checked == ["inputs['logits']", "inputs['weights']"]
    assert report.outputs == ["out"]
    assert ("labels", "int: not differentiated") in report.not_checked
    assert {(r.check, r.input) for r in report.rows if r.dtype == "float64"} >= {
        ("vjp", "inputs['logits']"), ("vjp", "inputs['weights']"), ("value", "-")}


def test_a_wrong_python_float_partial_is_caught_and_static_arguments_are_not_differentiated():
    @functools.partial(jax.custom_vjp, nondiff_argnums=(2,))
    def scaled(x, a, power):
        return a * x**power

    scaled.defvjp(lambda x, a, power: (scaled(x, a, power), (x, a)),
                  lambda power, r, g: (g * r[1] * power * r[0] ** (power - 1), jnp.sum(g * r[0] ** power) * 2))
    x = jnp.linspace(0.5, 2.0, 5, dtype=jnp.float32)
    report = testing.check_rule(scaled, x, 1.5, 3, skip=("vmap", "eager", "checkpoint"))
    assert report.checked == ["x", "a"] and ("power", "static") in report.not_checked
    assert {r.input for r in report.failures} == {"a"}, "\n" + str(report)


def test_the_dtype_of_a_cotangent_is_checked():
    @jax.custom_vjp
    def f(x):
        return jnp.sin(x)

    f.defvjp(lambda x: (jnp.sin(x), x), lambda x, g: ((g * jnp.cos(x)).astype(jnp.float16),))
    report = testing.check_rule(f, jnp.linspace(-1, 1, 5, dtype=jnp.float32), skip=("vmap", "eager", "checkpoint"))
    [row] = [r for r in report.failures if r.check == "structure" and r.dtype == "float32"]
    assert "float16" in row.where and "float32" in row.where


def test_unknown_options_and_bad_selectors_are_errors():
    fn, args = _rules.make("tanh_rule")
    with pytest.raises(TypeError, match="check_rule: unknown option 'dtype'"):
        testing.check_rule(fn, *args, dtype="float32")
    with pytest.raises(ValueError, match="fixed names 'y'"):
        testing.check_rule(fn, *args, fixed="y")
    with pytest.raises(ValueError, match="skip names"):
        testing.check_rule(fn, *args, skip="speed")
    with pytest.raises(TypeError, match="complex"):
        testing.check_rule(jnp.sin, jnp.ones(3, jnp.complex64))
    with pytest.raises(ValueError, match="no floating-point leaf"):
        testing.check_rule(lambda n: n * 2, jnp.arange(3))


def test_without_a_reference_the_checks_that_need_none_still_run():
    def plain(x):  # no custom rule, so no default reference
        return jnp.tanh(x) * x

    report = testing.check_rule(plain, jnp.linspace(-1, 1, 5, dtype=jnp.float32))
    checks = {r.check for r in report.rows}
    assert {"finite differences", "transpose", "vmap"} <= checks and "value" not in checks
    assert report.passed and any("no reference" in n for n in report.notes)


@pytest.mark.slow
@pytest.mark.extended
def test_the_oracle_is_float64_and_the_user_rows_are_not():
    """Run with x64 off, as a user's script is: the float32 row must not see x64 (jnp.zeros
    inside the rule stays float32), and the oracle must still be float64."""
    code = textwrap.dedent("""
        import warnings
        warnings.simplefilter("error")
        import jax, jax.numpy as jnp
        from jax_act import testing

        @jax.custom_vjp
        def f(x):
            return x * x + jnp.zeros(x.shape)

        f.defvjp(lambda x: (f(x), x), lambda x, g: (2 * g * x + jnp.zeros(x.shape),))
        report = testing.check_rule(f, jnp.linspace(-1, 1, 5, dtype=jnp.float32))
        assert report.passed, str(report)
        assert not jax.config.jax_enable_x64
        assert [r.dtype for r in report.rows if r.check == "structure"] == ["float32", "float64"]
        print("OK")
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0 and "OK" in proc.stdout, proc.stdout[-2000:] + proc.stderr[-3000:]


def test_finite_differences_fail_with_a_message_naming_both_numbers():
    fn, args = _rules.make("swish_beta", "scaled partial")
    report = testing.check_rule(fn, *args, skip=("vmap", "eager", "checkpoint"))
    [row] = [r for r in report.failures if r.check == "finite differences"]
    assert row.input == "beta" and "finite differences give" in row.where and "the rule" in row.where


def test_a_naive_reference_that_overflows_is_not_an_oracle_there():
    """exp(x)/Σexp(x) overflows at scale 300; a stable rule must not be failed for it, and
    the report says where nothing was judged."""

    def naive(x):
        e = jnp.exp(x)
        return e / jnp.sum(e, -1, keepdims=True)

    stable = jax.custom_vjp(lambda x: jax.nn.softmax(x))
    stable.defvjp(lambda x: (jax.nn.softmax(x), jax.nn.softmax(x)),
                  lambda s, g: (s * (g - jnp.sum(g * s, -1, keepdims=True)),))
    x = jnp.asarray(np.random.default_rng(0).standard_normal((4, 6)), jnp.float32)
    report = testing.check_rule(stable, x, reference=naive, skip=("vmap", "eager", "checkpoint"))
    assert report.passed, "\n" + str(report)
    assert any("not judged" in n for n in report.notes)


def test_nothing_judged_is_a_failure_not_a_pass():
    @jax.custom_vjp
    def f(x):
        return x

    f.defvjp(lambda x: (x, None), lambda _, g: (g,))
    report = testing.check_rule(f, jnp.ones(3, jnp.float32), reference=lambda x: x * jnp.nan,
                                skip=("finite differences", "vmap", "eager", "checkpoint", "transpose"))
    assert not report.passed
    assert any("nothing could be judged" in r.where for r in report.failures)


def test_the_tolerance_is_stated_once_and_overridable():
    fn, args = _rules.make("mse")
    only = dict(skip=("finite differences", "vmap", "eager", "checkpoint"), baseline=None)
    bounds = {r.bound for r in testing.check_rule(fn, *args, **only).rows if r.check == "vjp"}
    assert bounds == {testing.TOLERANCE}
    strict = testing.check_rule(fn, *args, tolerance={"float32": 0.0}, **only)
    assert {(r.dtype, r.bound) for r in strict.rows if r.check == "vjp"} == {("float32", 0.0), ("float64", testing.TOLERANCE)}
    assert not strict.passed  # no float32 mean of squares is exact
    assert testing.tolerance("float32") == testing.TOLERANCE * testing.eps("float32")


def test_second_order_when_asked():
    @jax.custom_vjp
    def cube(x):
        return x**3

    cube.defvjp(lambda x: (x**3, x), lambda x, g: (g * 3 * x * x * WRONG,))
    x = jnp.linspace(-1, 1, 5, dtype=jnp.float32)
    WRONG = 1.0
    assert testing.check_rule(cube, x, order=2, skip=("vmap", "eager", "checkpoint")).passed
    checks = {r.check for r in testing.check_rule(cube, x, order=2, skip=("vmap", "eager", "checkpoint")).rows}
    assert "second order" in checks


def test_a_forward_twin_is_tied_to_the_rule_by_the_transpose_identity():
    fn, args = _rules.make("tanh_rule")
    twin = jax.custom_jvp(lambda x: jnp.tanh(x))
    twin.defjvp(lambda p, t: (jnp.tanh(p[0]), (1 - jnp.tanh(p[0]) ** 2) * t[0] * 1.01))
    report = testing.check_rule(fn, *args, forward=twin, skip=("vmap", "eager", "checkpoint"))
    assert {"jvp", "transpose"} <= {r.check for r in report.failures}


@pytest.mark.slow
@pytest.mark.extended
def test_the_docs_walkthrough_fails_when_a_rule_is_broken():
    """docs/custom-rules.md's example runs as written (tests/test_readme.py); with the layer
    norm's mean term dropped, or ∂/∂β scaled by 1.5, its own section must fail."""
    import pathlib
    import re

    text = (pathlib.Path(__file__).resolve().parents[1] / "docs" / "custom-rules.md").read_text()
    code = re.search(r"<!-- example:custom-rules -->\s*```python\n(.*?)```", text, re.S).group(1)
    head, *sections = re.split(r"\n(?=# \d\. )", code)
    for section, right, wrong in [(sections[0], "gx - gx.mean(-1, keepdims=True) - ", "gx - "),
                                  (sections[2], "jnp.sum(g * x * x * s * (1 - s))", "jnp.sum(g * x * x * s * (1 - s)) * 1.5")]:
        assert right in section
        with pytest.raises(AssertionError):
            exec(compile(head + "\n" + section.replace(right, wrong), "custom-rules.md", "exec"), {})
