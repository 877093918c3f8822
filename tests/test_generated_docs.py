"""The docstring sections the engine writes from each declaration (the formula, derivative,
kink convention, what is kept per level, the dispatch) are in every public docstring, and
they say what the functions do: the kink conventions are probed at their points, and what
the backward pass keeps is measured, at both levels, in float32 and bfloat16."""

from __future__ import annotations

import inspect
import re

import jax.numpy as jnp
import numpy as np
import pytest

from jax_act._compat import saved_residuals
from jax_act._engine import LOSSES, REGISTRY
from jax_act._engine.docs import facts

from _helpers import assert_close

ELEMENTWISE = [n for n, a in REGISTRY.items() if a.spec.kind == "elementwise"]
# symbols the kink sentences use that are not the function's parameters
CONSTANTS = {"selu": {"λ": 1.0507009873554804934193349852946, "α": 1.6732632423543772848170429916717}}
PARAMETER_SYMBOLS = {"α": ("alpha", 1.0), "λ": ("lambd", 0.5)}


@pytest.mark.parametrize("name", [*REGISTRY, *LOSSES])
def test_docstring_states_the_declared_facts_and_every_argument(name):
    act = REGISTRY.get(name) or LOSSES[name]
    doc = inspect.getdoc(act.fn)
    for label, text in facts(act.spec):
        assert re.search(rf"^\s+{re.escape(label)}\s+{re.escape(text)}$", doc, re.M), (name, label)
    args = doc.partition("\nArgs:\n")[2].partition("\n\n")[0]
    listed = re.findall(r"^  (\w+):", args, re.M)
    assert listed == list(inspect.signature(act.fn).parameters), (name, listed)
    assert doc.count("Closed form") == 1 and "Returns:" in doc


def kink_clauses(name: str) -> list[tuple[str, str]]:
    """``(point, value)`` for each "name'(point) = value" of the kink text (points with ±
    and chains "f'(0) = f'(6) = 0" spelt out)."""
    out = []
    for clause in re.split(r"[,;:]| and ", REGISTRY[name].spec.kinks):
        parts = [p.strip() for p in clause.split(" = ")]
        if len(parts) < 2:
            continue
        value = parts[-1].split()[0].rstrip(")")
        for part in parts[:-1]:
            for point in re.findall(rf"\b{name}'\(([^)]+)\)", part):
                out += [(p, value) for p in (["+" + point[1:], "−" + point[1:]] if point.startswith("±") else [point])]
    return out


def _number(text: str, name: str, params: dict) -> float:
    env = {**{s: params.get(p, d) for s, (p, d) in PARAMETER_SYMBOLS.items()}, **CONSTANTS.get(name, {})}
    expr = text.replace("−", "-")
    for symbol, v in env.items():
        expr = expr.replace(symbol, f"*{v!r}")
    return float(eval(expr.lstrip("*").replace("-*", "-").replace("+*", "+").replace("**", "*")))  # noqa: S307


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_kink_convention_is_what_the_derivative_does(name):
    act = REGISTRY[name]
    clauses = kink_clauses(name)
    stated = {_number(p, name, dict(PARAMETER_SYMBOLS.values())) for p, _ in clauses}
    assert set(act.spec.probes.kink_points) <= stated, f"{name}: a kink the kit probes has no stated convention"
    for params in act.spec.probes.test_params:
        for point, value in clauses:
            x = jnp.float32(_number(point, name, params))
            for level in ("default", "highest"):
                got = act.derivative(x, **params, accuracy=level)
                assert_close(got, np.float64(_number(value, name, params)), jnp.float32, what=f"{name}'({point}) {level}")


def _kept_bytes(fn, x) -> int:
    return sum(a.size * a.dtype.itemsize for a, _ in saved_residuals(fn, x) if a.size > 1)


def _expected_bytes(keeps: str, x) -> int | None:
    """What a "keeps" text means in bytes for ``x``: None where it names no one array."""
    words = keeps.split(";")[0]
    if words.startswith("nothing"):
        return 0
    if "mask" in words or "code" in words:
        return x.size
    if words.split(" (")[0] in ("output", "input", "the input"):
        return x.size * x.dtype.itemsize
    return None


@pytest.mark.parametrize("level", ["default", "highest"])
@pytest.mark.parametrize("dtype", [jnp.float32, jnp.bfloat16])
@pytest.mark.parametrize("name", [n for n in REGISTRY if n not in ("rrelu", "logsumexp", "logmeanexp", "log_softmax")])
def test_what_is_kept_is_what_the_docstring_says(name, dtype, level):
    """Measured: the bytes the backward pass keeps are one array of x's dtype for "output" and
    "input" (16-bit input kept instead of the output: the same bytes), a byte per entry for a
    mask or code, none for "nothing"."""
    act = REGISTRY[name]
    x = jnp.linspace(-2.5, 2.5, 96, dtype=jnp.float32).astype(dtype).reshape(8, 12)
    if act.spec.probes.domain[0] >= 0:
        x = jnp.abs(x) + 0.25
    keeps = act.spec.saved(level)
    want = _expected_bytes(keeps, x)
    assert want is not None, f"{name}: {keeps!r} names no array this test can measure"
    params = act.spec.probes.test_params[0]
    assert _kept_bytes(lambda x: act.fn(x, **params, accuracy=level), x) == want, (name, keeps)
