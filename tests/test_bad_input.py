"""Bad input, for every registered activation: a clear error naming the function and the argument.

The table in docs/accuracy.md (section "Bad input") lists what each kind gets:

  non-array (object(), None)         TypeError   "jax_act.<f>: argument 'x' must be an array ..."
  string                             TypeError
  complex array                      TypeError   "... must be real, got dtype complex64"
  axis out of range                  ValueError  "jax_act.<f>: axis 5 is out of range ..."
  duplicate axis                     ValueError  "jax_act.<f>: argument 'axis' repeats an axis"
  where that does not broadcast      ValueError  "jax_act.<f>: argument 'where' of shape ..."
  parameter of the wrong shape       ValueError  "jax_act.<f>: parameter 'α' of shape ... does not broadcast"
  parameter of the wrong dtype       TypeError   (complex, string)
  unknown name in jax_act.get        ValueError  "jax_act.get: unknown activation 'x'; did you mean ...?"

Integer and boolean input promote exactly as jax.nn does, wherever jax.nn accepts them.
"""

from __future__ import annotations

import inspect

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jax_act
from jax_act.testing import Case, cases
from jax_act._compat import enable_x64

jax.config.update("jax_enable_x64", True)

FIRST = cases(all_params=False)
X = jnp.linspace(-1.7, 2.3, 12, dtype=jnp.float32).reshape(2, 6)


def first_arg(case: Case) -> str:
    return next(iter(inspect.signature(case.activation.fn).parameters))


def raises(exc, case: Case, argname: str, *args, **kwargs) -> str:
    with pytest.raises(exc) as info:
        jax.block_until_ready(case.activation.fn(*args, **case.kwargs(**kwargs)))
    msg = str(info.value)
    assert f"jax_act.{case.name}" in msg, f"message does not name the function: {msg!r}"
    assert argname in msg, f"message does not name the argument {argname!r}: {msg!r}"
    return msg


# Known failures in others' code, reported upstream: {case id: reason}; xfail(strict=True).
KNOWN: dict[str, str] = {}


def _with(names, which=FIRST, known: bool = False):
    return [
        pytest.param(c, id=c.id, marks=pytest.mark.xfail(strict=True, reason=KNOWN[c.id]))
        if known and c.id in KNOWN
        else pytest.param(c, id=c.id)
        for c in which
        if names(c)
    ]


@pytest.mark.parametrize("case", _with(lambda c: True))
def test_non_array(case: Case):
    raises(TypeError, case, first_arg(case), object())
    raises(TypeError, case, first_arg(case), {"x": 1.0})


@pytest.mark.parametrize("case", _with(lambda c: True))
def test_string_none_complex(case: Case):
    xname = first_arg(case)
    raises(TypeError, case, xname, "abc")
    raises(TypeError, case, xname, None)
    raises(TypeError, case, xname, jnp.ones((2, 6), jnp.complex64))


def _has(case: Case, arg: str) -> bool:
    return arg in inspect.signature(case.activation.fn).parameters


@pytest.mark.parametrize("case", _with(lambda c: _has(c, "axis")))
def test_axis_out_of_range_and_duplicate(case: Case):
    raises(ValueError, case, "axis", X, axis=5)
    raises(ValueError, case, "axis", X, axis=-3)
    with pytest.raises((ValueError, TypeError)) as info:  # (0, -2) is axis 0 twice
        case.activation.fn(X, **case.kwargs(axis=(0, -2)))
    msg = str(info.value)
    assert f"jax_act.{case.name}" in msg and "axis" in msg, msg


@pytest.mark.parametrize("case", _with(lambda c: _has(c, "where")))
def test_where_that_does_not_broadcast(case: Case):
    raises(ValueError, case, "where", X, where=jnp.ones((5,), bool))
    raises(ValueError, case, "where", X, where=jnp.ones((3, 6), bool))


@pytest.mark.parametrize("case", _with(lambda c: bool(c.params), cases()))
def test_parameter_of_wrong_shape_or_dtype(case: Case):
    for pname, _ in case.params:
        raises(ValueError, case, pname, X, **{pname: jnp.ones((5,), jnp.float32)})
        raises(TypeError, case, pname, X, **{pname: jnp.ones((), jnp.complex64)})
        raises(TypeError, case, pname, X, **{pname: "0.1"})


def test_unknown_name():
    with pytest.raises(ValueError) as info:
        jax_act.get("sigmiod")
    msg = str(info.value)
    assert "jax_act.get" in msg and "'sigmiod'" in msg and "sigmoid" in msg  # a close match
    with pytest.raises(TypeError, match="jax_act.get"):
        jax_act.get(3)  # type: ignore[arg-type]
    with pytest.raises(AttributeError):
        jax_act.forward_mode.sigmiod  # noqa: B018


def test_python_int_parameter_as_jax_nn():
    """jax.nn takes a Python int for a float parameter (squareplus(x, b=4)); so must we."""
    x = jnp.linspace(-2.0, 2.0, 5, dtype=jnp.float32)
    for case in cases():
        for pname, value in case.params:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                continue
            ref = case.activation.fn(x, **case.kwargs(**{pname: float(value)}))
            got = case.activation.fn(x, **case.kwargs(**{pname: int(round(value)) or 1}))
            assert got.dtype == ref.dtype


# ---------------------------------------------------------------- integer and boolean promotion


def _nn(case: Case):
    return getattr(jax.nn, case.spec.jax_nn, None) if case.spec.jax_nn else None


@pytest.mark.sweep
@pytest.mark.parametrize("case", _with(lambda c: _nn(c) is not None, known=True))
@pytest.mark.parametrize("dtype", [jnp.int8, jnp.int32, jnp.uint8, jnp.bool_])
def test_integer_and_bool_promote_as_jax_nn(case: Case, dtype):
    """Output dtype as jax.nn's under JAX's defaults (x64 off, as users run it; with x64 on,
    jax.nn itself is inconsistent: relu6(int8) is float64, soft_sign(uint8) float32). Values:
    those of the same input converted to that float dtype (jax.nn computes some unsigned
    inputs wrongly: log_sigmoid(uint8) negates in uint8 and wraps)."""
    x = jnp.asarray(np.arange(-3, 9).reshape(2, 6) % (2 if dtype == jnp.bool_ else 256)).astype(dtype)
    kw = case.kwargs()
    with enable_x64(False):
        try:
            want = _nn(case)(x, **kw)
        except Exception:  # jax.nn refuses this dtype: nothing to match
            pytest.skip(f"jax.nn.{case.spec.jax_nn} refuses {jnp.dtype(dtype).name}")
        got = case.activation.fn(x, **kw)
        assert got.dtype == want.dtype, f"{case.id}({jnp.dtype(dtype).name}): {got.dtype} != jax.nn's {want.dtype}"
        ref = _nn(case)(x.astype(want.dtype), **kw)
    np.testing.assert_allclose(np.asarray(got, np.float64), np.asarray(ref, np.float64), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("value, want", [(True, True), (False, False), (1, True), (0, False),
                                         (np.bool_(False), False), ("array", True), ("array0", False)])
def test_gelu_approximate_accepts_concrete_booleans(value, want):
    if value == "array":
        value = jnp.array(True)
    elif value == "array0":
        value = jnp.array(0)
    x = jnp.linspace(-3.0, 3.0, 7, dtype=jnp.float32)
    np.testing.assert_array_equal(jax_act.gelu(x, approximate=value), jax_act.gelu(x, approximate=want))
    np.testing.assert_array_equal(jax_act.forward_mode.gelu(x, value), jax_act.gelu(x, want))
    assert not np.array_equal(jax_act.gelu(x, approximate=True), jax_act.gelu(x, approximate=False))


@pytest.mark.parametrize("value", ["none", "tanh", 2, None, 0.5, jnp.array([True])])
def test_gelu_approximate_rejects_the_rest_naming_gelu_and_approximate(value):
    with pytest.raises(TypeError, match=r"jax_act\.gelu: argument 'approximate'") as e:
        jax_act.gelu(jnp.ones(3), approximate=value)
    if isinstance(value, str):
        assert "PyTorch" in str(e.value) and "approximate=False" in str(e.value)


def test_gelu_approximate_traced_is_a_clear_error():
    with pytest.raises(TypeError, match=r"jax_act\.gelu: argument 'approximate'.*concrete"):
        jax.jit(lambda x, a: jax_act.gelu(x, approximate=a))(jnp.ones(3), True)
