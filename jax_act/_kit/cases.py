"""The registry as cases: one generic way to call any registered activation, for registry-wide
checks (the accuracy run, the transformation matrix, jax-act check): elementwise functions take
``x`` and their parameters as keywords; along-axis functions take ``axis=-1``. A required
argument beyond ``x`` gets a value from ``_REQUIRED`` (a PRNG key) or the activation is reported
by :func:`uncallable`."""

from __future__ import annotations

import dataclasses
import inspect
from typing import Any, Callable

import jax
import numpy as np

from .._engine import REGISTRY, Activation

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
        pts = [float(k) for k in self.spec.probes.kink_points]
        for _, v in (*self.params, *self.options):
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                pts += [float(v), -float(v)]
        return tuple(pts)


    def points(self, n: int, *, lo: float = -2.7, hi: float = 2.3, gap: float = 0.05) -> np.ndarray:
        """``n`` float64 points inside the domain (at least 0.3 from a finite end, where a function
        such as log1mexp is singular), at least ``gap`` away from every kink."""
        dlo, dhi = self.spec.probes.domain
        a = max(lo, dlo + 0.3) if np.isfinite(dlo) else lo
        b = min(hi, dhi - 0.3) if np.isfinite(dhi) else hi
        if a >= b:  # a narrow domain: use its interior
            a, b = dlo + (dhi - dlo) / 8, dhi - (dhi - dlo) / 8
        kinks = np.asarray(self.kinks(), np.float64)
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


def cases(names: list[str] | None = None, *, all_params: bool = True) -> list[Case]:
    """One :class:`Case` per activation and test parameter set (when ``all_params`` is False,
    the first set and those that only choose a formula, such as gelu's ``approximate``).
    Activations whose signature cannot be filled generically are skipped (see
    :func:`uncallable`)."""
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
    first, *more = spec.probes.test_params
    for tp in [first, *(tp for tp in more if all_params or set(tp) <= set(spec.static))]:
        options: dict[str, Any] = {}
        params: dict[str, Any] = {}
        if spec.along_axis and "axis" in rest:
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
