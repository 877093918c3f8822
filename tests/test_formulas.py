"""The plain-text formula of each declaration (``jax-act list``, the README table, the
generated docstrings) is documentation a user reads as math: read as math here, it equals the
reference formula the kit differentiates at sample points (every form it states as equal, with
every parameter set the kit checks; a loss's derivative text too).

The reading is a small translation of the notation the declarations use (σ, Φ, eˣ, √, |x|,
⊙, Σ, "A if c else B", "A if c1, B if c2, else C", "where" clauses after a comma); a formula
it cannot read fails here rather than going unchecked.
"""

from __future__ import annotations

import inspect
import math
import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jax_act
from jax_act import _compat
from jax_act._engine import LOSSES, REGISTRY

# What the plain text does not state, by name: the formula's symbols for the signature's
# parameters (where they differ), and what cannot be evaluated pointwise.
SYMBOLS = {
    "leaky_relu": {"alpha": "negative_slope"},
    "prelu": {"a": "negative_slope"},
    "rrelu": {"a": "(lower + upper)/2"},  # the evaluation mode (training=False, the default)
    "threshold": {"t": "threshold", "v": "value"},
}
NOT_POINTWISE = {  # defined through a threshold τ the formula does not give in closed form
    "sparsemax": "τ solves Σ[x − τ]₊ = 1: tests/test_sparse.py checks it against a bisection",
    "entmax15": "τ solves Σ[x/2 − τ]₊² = 1: tests/test_sparse.py checks it against a bisection",
}

_SUBS = [("·", "*"), ("−", "-"), ("²", "**2"), ("³", "**3"), ("½", "0.5*"), ("≥", ">="), ("≤", "<="),
         ("eˣ", "exp(x)"), ("√", "sqrt"), ("σ", "sigmoid"), ("Φ", "Phi"), ("π", "pi"), ("α", "alpha"),
         ("λ", "lambd"), ("β", "beta"), ("⊙", "*"), ("≈", "=")]
_NOTES = re.compile(r"\s*\((exact|approximate|training|eval)\)|\s*\(x where [^)]*\)")


def translate(text: str) -> str:
    """One formula in the declarations' notation as a Python expression."""
    text = re.sub(r"e\^\{([^}]*)\}", r"exp(\1)", text)  # e^{x_i}
    for a, b in _SUBS:
        text = text.replace(a, b)
    text = re.sub(r"\|([^|]+)\|", r"abs(\1)", text)
    text = re.sub(r"e\^(-?\w+|\()", lambda m: "exp(" + m.group(1) + ("" if m.group(1) == "(" else ")"), text)
    text = text.replace("exp((", "exp(")
    text = re.sub(r"_[ijk]\b", "", text)  # x_i, a_i: the row, entry by entry
    text = re.sub(r"Σ (\w+ )?(\w+\([^()]*\))",  # Σ a exp(…) → sum(a*exp(…))
                  lambda m: f"sum({m.group(1).strip() + '*' if m.group(1) else ''}{m.group(2)})", text)
    text = re.sub(r"log \(1/n\) (sum\((?:[^()]|\([^()]*\))*\))", r"log((1/n)*\1)", text)
    text = re.sub(r"\b(tanh|log) (\w+(?:\((?:[^()]|\([^()]*\))*\))?)", r"\1(\2)", text)  # tanh x, log sum(…)
    # implicit products: 2u, 1.702 x, λx, α(…), (…)(…); not inside names (relu6(…))
    text = re.sub(r"(?<![\w.])(\d+(?:\.\d+)?)\s*(?!if\b|else\b)([a-z(])", r"\1*\2", text)
    for _ in range(2):
        text = re.sub(r"\b(alpha|lambd|beta|a|b|x|u|n|t)\s*(\(|alpha\b|lambd\b|beta\b|x\b|u\b|exp\b|log\b)",
                      r"\1*\2", text)
    text = re.sub(r"\)\s*(\(|[a-z])(?!f\b|lse\b)",  # (…)(…), (…)x; not ") if", ") else"
                  lambda m: ")*" + m.group(1) if m.group(1) not in "ie" else m.group(0), text)
    return _sums(text)


def _sums(text: str) -> str:
    """A Σ the patterns above left (the losses': Σ t log(…), Σ (g − t)**2) sums the rest of
    its term: up to the next + or − outside parentheses, or the closing parenthesis."""
    while "Σ " in text:
        start = text.index("Σ ")
        depth, end = 0, start + 2
        while end < len(text) and depth >= 0 and not (depth == 0 and text[end:end + 3] in (" + ", " - ")):
            depth += (text[end] == "(") - (text[end] == ")")
            end += 1
        end -= depth < 0  # stopped after the closing parenthesis
        text = f"{text[:start]}sum({text[start + 2:end]}){text[end:]}"
    return text


def _piecewise(clauses: list[str]) -> str:
    """``A if c1, B if c2, else C`` (or ``C if c3``) as one Python conditional."""
    out = ""
    for c in clauses:
        if c.startswith("else"):
            return out + c[4:].strip()
        value, cond = c.split(" if ", 1)
        out += f"{value} if {cond} else "
    return out + "nan"


def _top_level(text: str, sep: str) -> list[str]:
    parts, depth = [""], 0
    for i, ch in enumerate(text):
        if depth == 0 and text.startswith(sep, i) and (i == 0 or text[i - 1] != sep[0]):
            parts.append("")
            continue
        depth += (ch == "(") - (ch == ")")
        parts[-1] += ch
    return [p.strip(" ,") for p in parts if p.strip(" ,")]


def forms(formula: str) -> list[tuple[dict, list[str], dict]]:
    """``[(static options, [expressions stated equal to f], {symbol: definition})]``, one per
    variant ("… (exact) or … (approximate)")."""
    rhs = formula.split(";")[0].split(" = ", 1)[1]
    out = []
    for variant in rhs.split(" or "):
        opts = {"approximate": "(approximate)" in variant} if "(exact)" in variant or "(approximate)" in variant else {}
        defs, main = {}, []
        for clause in _top_level(_NOTES.sub("", variant), ", "):
            definition = re.fullmatch(r"(u|n|λ|α|\(a, b\)) (=|≈) (.+)", clause)
            if definition:
                defs[definition.group(1)] = translate(definition.group(3))
            elif not re.fullmatch(r"x [<>] [\d.]+|Σ = 1", clause):  # a domain note
                main.append(clause)
        expr = _piecewise(main) if len(main) > 1 else main[0]
        out.append((opts, [translate(e) for e in expr.split(" = ")], {translate(k): v for k, v in defs.items()}))
    return out


def _gelu_tanh(b: float) -> float:
    return 0.5 * b * (1 + math.tanh(math.sqrt(2 / math.pi) * (b + 0.044715 * b**3)))


ENV = dict(
    exp=np.exp, sqrt=np.sqrt, log=np.log, tanh=np.tanh, max=max, min=min, abs=abs,
    sigmoid=lambda v: 1 / (1 + np.exp(-v)), Phi=lambda v: 0.5 * math.erfc(-v / math.sqrt(2)),
    pi=math.pi, nan=math.nan, sum=np.sum, clip=lambda v, lo, hi: min(max(v, lo), hi),
    relu6=lambda v: min(max(v, 0.0), 6.0), softplus=lambda v: math.log1p(math.exp(v)),
    relu=lambda v: max(v, 0.0), silu=lambda v: v / (1 + math.exp(-v)), gelu=_gelu_tanh,
    lse=lambda v: v.max() + np.log(np.sum(np.exp(v - v.max()))),
)
X = np.linspace(-4.7, 4.9, 23)  # no kink and no piecewise boundary of any activation falls on these


def _evaluate(expr: str, defs: dict, symbols: dict, env: dict) -> np.ndarray:
    scope = dict(ENV, **env)
    for name, value in {**symbols, **defs}.items():
        if name == "(a, b)":
            continue
        scope[name] = eval(value, {}, scope)  # noqa: S307 - the library's own formula text
    return np.asarray(eval(expr, {}, scope), np.float64)  # noqa: S307


def _params(act, pset: dict) -> dict:
    sig = inspect.signature(act.fn)
    defaults = {k: p.default for k, p in sig.parameters.items() if p.default is not inspect.Parameter.empty}
    return {k: v for k, v in {**defaults, **pset}.items() if k not in ("accuracy", "axis", "where", "key", "training")}


POINTWISE = [n for n, a in REGISTRY.items() if a.spec.kind in ("elementwise", "gated") and n not in NOT_POINTWISE]
ALONG_AXIS = [n for n, a in REGISTRY.items() if a.spec.along_axis and n not in NOT_POINTWISE]


@pytest.mark.parametrize("name", POINTWISE)
def test_plain_text_formula_is_the_reference(name):
    act = REGISTRY[name]
    with _compat.enable_x64():
        for pset in act.spec.probes.test_params:
            params = _params(act, pset)
            lo, hi = act.spec.probes.domain
            x = X[(X > lo) & (X < hi)]
            if act.spec.kind == "gated":
                want = np.asarray(act.reference(jnp.asarray(np.concatenate([x, x[::-1]])), **params), np.float64)
            else:
                want = np.asarray(act.reference(jnp.asarray(x), **params), np.float64)
            for opts, exprs, defs in forms(act.spec.formula):
                if opts and any(params.get(k, v) != v for k, v in opts.items()):
                    continue  # the other variant's parameter set
                for expr in exprs:
                    env = {k: v for k, v in params.items() if not isinstance(v, bool)}
                    if params.get("approximate") is False:  # geglu's exact gate
                        env["gelu"] = lambda v: v * ENV["Phi"](v)
                    if act.spec.kind == "gated":
                        got = np.array([_evaluate(expr, defs, {}, dict(env, a=a, b=b)) for a, b in zip(x, x[::-1])])
                    else:
                        got = np.array([_evaluate(expr, defs, SYMBOLS.get(name, {}), dict(env, x=v)) for v in x])
                    # "≈" constants (selu's λ, α to 5 digits) are as close as they are stated
                    rtol = 1e-4 if "≈" in act.spec.formula else 1e-9
                    np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol, err_msg=f"{name} {pset}: {expr}")


@pytest.mark.parametrize("name", ALONG_AXIS)
def test_plain_text_formula_along_an_axis_is_the_reference(name):
    act = REGISTRY[name]
    x = np.array([-1.5, 0.25, 2.0, -3.0, 0.75])
    with _compat.enable_x64():
        want = np.asarray(act.reference(jnp.asarray(x), axis=-1), np.float64)
        for _, exprs, defs in forms(act.spec.formula):
            for expr in exprs:
                got = _evaluate(expr, defs, {}, dict(x=x, a=x, b=np.ones_like(x), n=len(x)))
                np.testing.assert_allclose(got, want, rtol=1e-12, err_msg=f"{name}: {expr}")


@pytest.mark.parametrize("name", list(LOSSES))
def test_plain_text_loss_formula_is_the_reference(name):
    """A loss's plain text, row by row: L against its reference formula, and ∂L/∂(first
    argument) against the reference under autodiff. Its symbols: x logits, p predictions,
    g outputs, t targets or labels, label an integer label."""
    entry = LOSSES[name]
    rng = np.random.default_rng(1)
    x = rng.normal(size=(3, 5))
    t = rng.integers(0, 5, 3) if name.endswith("integer_labels") else rng.uniform(size=(3, 5))
    with _compat.enable_x64():
        want = np.asarray(entry.reference(jnp.asarray(x), jnp.asarray(t)), np.float64)
        dwant = np.asarray(jax.grad(lambda x: entry.reference(x, jnp.asarray(t)).sum())(jnp.asarray(x)))
    def row(r: int) -> dict:
        env = dict(x=x[r], p=x[r], g=x[r], t=t[r], softmax=lambda v: np.exp(v - ENV["lse"](v)))
        if name.endswith("integer_labels"):
            env.update(label=t[r], x_label=x[r, t[r]], one_hot=lambda k: np.eye(x.shape[1])[k])
        return env

    for text, expected in [(entry.spec.formula, want), (entry.spec.derivative.split(";")[0], dwant)]:
        got = [_evaluate(translate(text), {}, {}, row(r)) for r in range(len(x))]
        np.testing.assert_allclose(np.array(got), expected, rtol=1e-12, atol=1e-12, err_msg=f"{name}: {text}")


def test_the_reader_reads_what_it_claims():
    """The translation itself, on forms whose meaning is not in doubt."""
    assert translate("x·σ(1.702 x)") == "x*sigmoid(1.702*x)"
    assert translate("λα(eˣ − 1)") == "lambd*alpha*(exp(x) - 1)"
    assert translate("relu6(x + 3) / 6") == "relu6(x + 3) / 6"
    assert (_piecewise(["x − λ if x > λ", "x + λ if x < −λ", "else 0"])
            == "x − λ if x > λ else x + λ if x < −λ else 0")
    assert float(_evaluate(translate("(x + √(x² + b)) / 2"), {}, {}, dict(x=3.0, b=16.0))) == 4.0
    assert jax_act.spec("relu").formula.startswith("relu(x) = ")
