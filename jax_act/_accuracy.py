"""``jax-act accuracy``: error in ulps against a higher-precision oracle, beside jax.nn's.

For every registered activation and every dtype (bfloat16, float16, float32, float64) it
evaluates, on a dense grid spanning the dtype's whole finite range plus the edge set,

* the value ``f(x)`` and
* the gradient (elementwise: ``f'(x)``, the VJP with a cotangent of ones; along an axis: the
  VJP with a fixed cotangent row),

of jax_act's public function and of jax.nn's counterpart, and reports the max and the 99.9th
percentile of the error in ulps of the output dtype, and the share of correctly rounded
points (error ≤ ½ ulp), side by side.

**The oracle.** The declaration's ``reference`` (the plain formula) and ``jax.grad`` of it,
traced to a jaxpr once and then

* evaluated in float64 (vectorized) for the bfloat16/float16/float32 grids, with every point
  where the float64 evaluation is not trustworthy (non-finite, or disagreeing with jax_act's
  own float64 result by more than 2^-40 relative: cancellation or overflow in the naive
  formula) re-evaluated by interpreting the same jaxpr in mpmath at 40 significant digits;
* interpreted in mpmath at 40 digits at every point for the float64 grid.

The interpreter knows the primitives plain formulas are written with (arithmetic, exp, log,
log1p, expm1, tanh, logistic, erf, comparisons, select, reductions, ...). Without mpmath
installed, or for a formula using a primitive it does not know, the float64 evaluation alone
is the oracle; the row says so (column ``oracle``: ``mp`` or ``f64``).

The grid: bfloat16 and float16 exhaustively (every finite value); float32 and float64 every
sign and binade from the smallest subnormal to the largest finite value, sampled densely
(``--points`` per dtype), plus a dense linear grid over [-20, 20]; plus the edge set (0, ±kinks,
±1e-8, ±1e4, exp-overflow thresholds, ±max, ±smallest subnormal). Inputs outside the
declared ``domain`` are dropped. Along-axis functions take rows ``[v, 0, 1, -2, v/2, 3]``
with v running over the grid.

Errors in ulps: ``|got - true| / ulp(true)`` in the output dtype, where ulp(t) is the spacing
of the dtype at |t| (the subnormal spacing below the smallest normal). Points where the true
value is not finite are scored exact when ``got`` is the same infinity (or NaN for NaN), else
infinite.
"""

from __future__ import annotations

import argparse
import dataclasses
import inspect
import json
import math
import sys
import time
from typing import Any, Callable

import jax
import jax.numpy as jnp
import numpy as np

from ._engine import REGISTRY, Activation

DTYPES = ("bfloat16", "float16", "float32", "float64")


# --------------------------------------------------------------------------- calling an activation
#
# One generic way to call any registered activation, shared by the accuracy run and the tests
# (tests/test_transformations.py, test_sharding.py, test_properties.py): elementwise functions
# take ``x`` and their parameters as keywords; along-axis functions take ``axis=-1``. A
# required argument beyond ``x`` gets a value from ``_REQUIRED`` (a PRNG key) or the activation
# is reported as not callable generically.


def _make_key() -> jax.Array:
    return jax.random.key(0)


_REQUIRED: dict[str, Callable[[], Any]] = {"key": _make_key, "rng": _make_key}


@dataclasses.dataclass(frozen=True)
class Case:
    """An activation with one parameter set, callable on one array."""

    name: str
    activation: Activation
    params: tuple[tuple[str, Any], ...]  # differentiable parameters (spec.params)
    options: tuple[tuple[str, Any], ...]  # static options and required extras (axis, key, ...)

    @property
    def spec(self):
        return self.activation.spec

    @property
    def kind(self) -> str:
        return self.activation.spec.kind

    @property
    def id(self) -> str:
        extra = ",".join(f"{k}={v}" for k, v in (*self.params, *self.options) if k not in ("axis", *_REQUIRED))
        return f"{self.name}[{extra}]" if extra else self.name

    def kwargs(self, **override: Any) -> dict[str, Any]:
        kw = dict(self.options)
        kw.update(self.params)
        kw.update(override)
        return kw

    def call(self, x: Any, which: str = "fn", **override: Any) -> jax.Array:
        """``which``: ``fn`` (public custom_vjp), ``twin`` (forward mode) or ``reference``."""
        f = {"fn": self.activation.fn, "twin": self.activation.forward_mode, "reference": self.activation.reference}[
            which
        ]
        return f(x, **self.kwargs(**override))

    def kinks(self) -> tuple[float, ...]:
        """Declared kinks plus ± each numeric parameter value (threshold-like parameters)."""
        pts = [float(k) for k in self.spec.kink_points]
        for _, v in (*self.params, *self.options):
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                pts += [float(v), -float(v)]
        return tuple(pts)


def cases(names: list[str] | None = None, *, all_params: bool = True) -> list[Case]:
    """One :class:`Case` per activation and test parameter set (only the first set when
    ``all_params`` is False). Activations whose signature cannot be filled generically are
    skipped (see :func:`uncallable`)."""
    out = []
    for name in names if names is not None else list(REGISTRY):
        act = REGISTRY[name]
        built = _build(act, all_params)
        if built is not None:
            out.extend(built)
    return out


def uncallable(names: list[str] | None = None) -> list[str]:
    """Activations :func:`cases` cannot call generically (a required argument it cannot fill)."""
    return [n for n in (names if names is not None else list(REGISTRY)) if _build(REGISTRY[n], False) is None]


def _build(act: Activation, all_params: bool) -> list[Case] | None:
    spec = act.spec
    sig = inspect.signature(act.fn)
    names = list(sig.parameters)
    rest = sig.parameters
    out = []
    for tp in spec.test_params if all_params else spec.test_params[:1]:
        options: dict[str, Any] = {}
        params: dict[str, Any] = {}
        if spec.kind == "reduction" and "axis" in rest:
            options["axis"] = -1
        for pname in names[1:]:
            p = rest[pname]
            if pname in tp:
                (params if pname in spec.params else options)[pname] = tp[pname]
            elif p.default is inspect.Parameter.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
                if pname in _REQUIRED:
                    options[pname] = _REQUIRED[pname]()
                else:
                    return None
            elif pname in spec.params:
                default = p.default
                if isinstance(default, (int, float, np.ndarray, jax.Array)) and default is not None:
                    params[pname] = default
        out.append(Case(spec.name, act, tuple(params.items()), tuple(options.items())))
    return out


def sample_inputs(case: Case, n: int, *, lo: float = -2.7, hi: float = 2.3, gap: float = 0.05) -> np.ndarray:
    """``n`` float64 points inside the domain (at least 0.3 from a finite end, where a function
    such as log1mexp is singular), at least ``gap`` away from every kink."""
    dlo, dhi = case.spec.domain
    a = max(lo, dlo + 0.3) if np.isfinite(dlo) else lo
    b = min(hi, dhi - 0.3) if np.isfinite(dhi) else hi
    if a >= b:  # a narrow domain: use its interior
        a, b = dlo + (dhi - dlo) / 8, dhi - (dhi - dlo) / 8
    kinks = np.asarray(case.kinks(), np.float64)
    pts: list[float] = []
    m = 4 * n + 8
    while len(pts) < n:
        cand = np.linspace(a, b, m) + 0.0123
        cand = cand[(cand > dlo) & (cand < dhi)]
        if kinks.size:
            cand = cand[np.min(np.abs(cand[:, None] - kinks[None, :]), axis=1) > gap]
        pts = list(cand)
        m *= 2
    idx = np.linspace(0, len(pts) - 1, n).round().astype(int)
    # a fixed shuffle, so that rows of along-axis functions are not sorted
    out = np.asarray(pts, np.float64)[idx]
    return out[np.random.default_rng(len(out)).permutation(len(out))]
