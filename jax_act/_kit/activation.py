"""``check_activation``: :func:`~jax_act.testing.check_rule` on an activation's grid, with what
the registry knows (the plain formula, the forward twin, kinks, domain, parameter sets) and
jax.nn's conventions on top: its values and gradients at every kink, NaN in giving NaN out, empty
arrays, and never more bytes kept for the backward pass."""

from __future__ import annotations

import dataclasses
import functools
import inspect
from typing import Any, Callable, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from .. import _compat
from .._engine import Activation, check_level, lookup
from .arguments import rounded
from .measure import eps
from .plan import TOLERANCE
from .rule import check_rule

DTYPES: tuple[str, ...] = ("bfloat16", "float16", "float32", "float64")
ROW = 8  # maps along an axis are checked on rows of this length
# what check_activation leaves out: eager evaluation is jit's own for a jitted face, memory is
# judged here against jax.nn, and vmap and checkpoint of every registered face are the test
# suite's (tests/test_transformations.py)
ACTIVATION_SKIPS = ("eager", "memory", "vmap", "checkpoint")


@dataclasses.dataclass
class Row:
    """One activation × dtype × parameter set: errors in units of eps (see check_rule)."""

    name: str
    dtype: str
    params: dict
    value_err: float
    grad_err: float
    vs_jax_nn: float | None  # max of value and gradient difference, or None without jax.nn
    bytes_saved: float  # per element, for the backward pass
    jax_nn_bytes: float | None
    problems: list[str]

    @property
    def passed(self) -> bool:
        return not self.problems


def sample_inputs(domain: tuple[float, float] = (-np.inf, np.inf), n: int = 241) -> np.ndarray:
    """A grid over [−12, 12] (within ``domain``) plus magnitudes 1e-6 … 1e3, in float64."""
    lo, hi = max(domain[0], -12.0), min(domain[1], 12.0)
    mags = np.logspace(-6, 3, 19)
    pts = np.concatenate([np.linspace(lo, hi, n), mags, -mags])
    return np.unique(pts[(pts > domain[0]) & (pts < domain[1])])


def _example(act: Activation | None, kinks: Sequence[float], domain: tuple[float, float]) -> np.ndarray:
    """Elementwise: the grid and the kinks. Along an axis: rows of ROW drawn at random (a grid
    would tie entries, and put sparsemax exactly on its thresholds), at scales 1e-3 … 30."""
    x = sample_inputs(domain)
    if act is None or act.spec.kind == "elementwise":
        return np.unique(np.concatenate([x, np.asarray(kinks, np.float64)]))
    rows = -(-x.size // ROW)
    rng = np.random.default_rng(x.size)
    return rng.standard_normal((rows, ROW)) * np.logspace(-3, np.log10(30), rows)[:, None]


def check_activation(
    fn: Callable | str,
    *,
    reference: Callable | None = None,
    twin: Callable | None = None,
    jax_nn: Callable | None = None,
    dtypes: Sequence[str] = DTYPES,
    params: Sequence[dict[str, Any]] | None = None,
    kink_points: Sequence[float] | None = None,
    domain: tuple[float, float] | None = None,
    finite_differences: bool = True,
    accuracy: str | None = None,
    tolerance: float = TOLERANCE,
) -> list[Row]:
    """:func:`check_rule` on an activation, one :class:`Row` per dtype × parameter set.

    ``fn`` is a registered name or function (then ``reference``, ``twin``, ``jax_nn``, kinks,
    domain and parameter sets come from its declaration, and ``accuracy`` picks the level
    checked: None for the current default) or any function of ``x`` with a ``reference``
    plain formula (yours). Every parameter is differentiated through the same path as any
    rule's. Gradients at kinks are compared with jax.nn's only. At the default level an error
    beyond :data:`TOLERANCE` passes where the baseline's (jax.nn's, or the plain formula's
    under autodiff in the same dtype) is as large: that level promises never to be less
    accurate than jax.nn; the highest level promises the tolerance (``tolerance`` eps).
    """
    act, level, baseline, static = None, None, None, ()
    if isinstance(fn, str) or hasattr(fn, "activation"):
        act = lookup(fn)
        level = check_level("testing.check_activation", accuracy)
        fn = functools.partial(act.fn, accuracy=level)
        reference = reference or act.reference
        twin = twin or functools.partial(act.forward_mode, accuracy=level)
        if jax_nn is None and act.spec.jax_nn:
            jax_nn = getattr(jax.nn, act.spec.jax_nn)
        kink_points = act.spec.probes.kink_points if kink_points is None else kink_points
        domain = act.spec.probes.domain if domain is None else domain
        params = act.spec.probes.test_params if params is None else params
        static = act.spec.static
        baseline = act.compared_with()[0] if level == "default" else None
    elif reference is None:
        raise TypeError("jax_act.testing.check_activation: argument 'reference' is required for an unregistered function")
    else:
        baseline = jax_nn or reference
    name = act.spec.name if act else getattr(fn, "__name__", "fn")
    defaults = _parameter_defaults(fn, act)
    rows = []
    for pset in tuple(params or ({},)):
        bind = functools.partial(_bind, {k: v for k, v in pset.items() if k in static})
        # every differentiable parameter is differentiated, at its default where the set omits it
        traced = {**{k: v for k, v in defaults.items() if k not in pset},
                  **{k: v for k, v in pset.items() if k not in static}}
        nn, base = _accepts(jax_nn, pset), _accepts(baseline, pset)
        rows += _check_pset(act, name, bind(fn), bind(reference), bind(twin), bind(nn), (bind(base), baseline is jax_nn),
                            tuple(dtypes), traced, tuple(kink_points or ()), domain or (-np.inf, np.inf),
                            finite_differences, tolerance, pset)
    return rows


def _parameter_defaults(fn: Callable, act: Any) -> dict[str, float]:
    """The differentiable parameters' defaults: a registered function's declared parameters;
    else every parameter after x whose default is a float."""
    try:
        sig = list(inspect.signature(fn).parameters.values())[1:]
    except (TypeError, ValueError):
        return {}
    if act is not None:  # declared differentiable: an integer default (squareplus's b = 4) is a number too
        return {p.name: float(p.default) for p in sig if p.name in act.spec.params
                and isinstance(p.default, (int, float)) and not isinstance(p.default, bool)}
    return {p.name: p.default for p in sig if isinstance(p.default, float)}  # an int may count something


def _bind(options: dict, f: Callable | None) -> Callable | None:
    return functools.partial(f, **options) if f is not None and options else f


def _accepts(other: Callable | None, pset: dict) -> Callable | None:
    """``other`` if it takes every parameter in ``pset`` (jax.nn.softplus has no ``beta``),
    called without the defaulted parameters it does not take; else None."""
    if other is None:
        return other
    try:
        names = inspect.signature(other).parameters
    except (TypeError, ValueError):
        return other
    if not all(k in names for k in pset):
        return None
    if any(p.kind is p.VAR_KEYWORD for p in names.values()):
        return other
    return functools.wraps(other)(lambda *a, **kw: other(*a, **{k: v for k, v in kw.items() if k in names}))


def _first_name(fn: Callable) -> str:
    """The name check_rule gives the first argument (``x``; ``a`` for logsumexp)."""
    try:
        return next(iter(inspect.signature(fn).parameters))
    except (TypeError, ValueError, StopIteration):
        return "args[0]"


def _kinks(kink_points: Sequence[float], traced: dict) -> tuple[float, ...]:
    """Declared kinks, and ± each numeric parameter (thresholds)."""
    pts = [float(k) for k in kink_points]
    for v in traced.values():
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            pts += [float(v), -float(v)]
    return tuple(pts)


def _check_pset(act, name, fn, reference, twin, jax_nn, based, dtypes, traced, kink_points, domain,
                finite_differences, tolerance, label) -> list[Row]:
    """check_rule's rows for one parameter set, then jax.nn's conventions, per dtype. ``based``:
    the baseline, and whether it is jax.nn (whose results check_rule then has)."""
    baseline, nn_is_base = based
    elementwise = act is None or act.spec.kind == "elementwise"
    kinks = _kinks(kink_points, {k: v for k, v in traced.items() if k in label}) if elementwise else ()
    x = _example(act, kinks, domain)
    skip = ACTIVATION_SKIPS + (() if finite_differences else ("finite differences",))
    first = _first_name(fn)
    report = check_rule(
        fn, x, reference=reference, kwargs=dict(traced), dtypes=dtypes, extremes=first,
        extreme_points={first: kinks} if kinks else None, kinks={first: kinks} if kinks else None,
        domain={first: domain} if np.isfinite(domain).any() else None, fixed=list(traced) or (),
        floor=1.0, baseline=baseline, forward=twin, skip=skip, seeds=1, tolerance=tolerance)
    out = []
    for dtype in dtypes:
        rule_rows = [r for r in report.rows if r.dtype == dtype]
        value_err = max((r.error for r in rule_rows if r.check == "value"), default=np.nan)
        grad_err = max((r.error for r in rule_rows if r.check == "vjp"), default=np.nan)
        problems = [f"{r.check}" + (f" ∂/∂{r.input}" if r.input not in ("-", first) else "") + f": {r.where}"
                    for r in rule_rows if not r.passed]
        data = report.data.get(dtype)
        vs = None
        if data is not None:
            vs, more = _jax_nn_problems(jax_nn, nn_is_base, data, kinks, dtype, traced, tolerance)
            problems += more + _nan_problems(data) + _empty_problems(fn, x, dtype, traced)
        xd = _in_dtype(x, dtype)
        with _compat.enable_x64(dtype == "float64"):
            p = {k: jnp.asarray(v, dtype) if isinstance(v, float) else v for k, v in traced.items()}
            saved = bytes_saved(fn, xd, **p)
            nn_saved = bytes_saved(jax_nn, xd, **p) if jax_nn is not None else None
        if nn_saved is not None and saved > nn_saved:
            problems.append(f"keeps {saved:g} bytes/element, jax.nn {nn_saved:g}")
        out.append(Row(name, dtype, dict(label), value_err, grad_err, vs, saved, nn_saved, problems))
    return out


def _in_dtype(x: np.ndarray, dtype: str) -> Any:
    with _compat.enable_x64(dtype == "float64"):
        return jnp.asarray(rounded(x, dtype), dtype)


def _behind(ours: np.ndarray, theirs: np.ndarray, oracle: np.ndarray | None, dtype: Any, tol: float) -> np.ndarray:
    """Where ours differs from jax.nn's beyond tolerance and is not the closer of the two to
    the float64 oracle (jax.nn may be the one that loses digits; where the oracle is NaN,
    nothing can be judged). Without an oracle: wherever they differ."""
    e = eps(dtype)
    with np.errstate(invalid="ignore", over="ignore"):
        differ = ~np.isnan(theirs) & ~(ours == theirs) & ~(np.abs(ours - theirs) <= tol * e * (np.abs(theirs) + 1))
        if oracle is None:
            return differ
        closer = np.abs(ours - oracle) <= np.abs(theirs - oracle)
    return differ & ~closer


def _value_and_vjp(f: Callable, x: jax.Array, g: jax.Array, p: dict) -> tuple[jax.Array, jax.Array]:
    y, pull = jax.vjp(lambda x: f(x, **p), x)
    return y, pull(g)[0]


def _jax_nn_problems(jax_nn, same, data, kinks, dtype, traced, tol) -> tuple[float | None, list[str]]:
    """jax.nn's values and gradients on the example and the extremes, same cotangent: differ
    only where closer to the oracle, and at kinks not at all (jax.nn's convention is the law)."""
    if jax_nn is None:
        return None, []
    worst, problems = 0.0, []
    with _compat.enable_x64(data.row.x64):
        run = jax.jit(lambda x, g, p: _value_and_vjp(jax_nn, x, g, p))
        for c, case in enumerate(data.cases):
            if case.kind == "draw":
                continue
            x = data.inputs[c][0][0]
            if data.base and same:  # jax.nn is the baseline: its results are there
                yo, dxo = data.base[c][("value",)][0], data.base[c][("vjp", 0, 0)][0]
            else:
                p = {k: jnp.asarray(v, x.dtype) if isinstance(v, float) else v for k, v in traced.items()}
                yo, dxo = (np.asarray(r, np.float64) for r in run(x, data.probes[c][0][(0, 0)], p))
            y, dx = data.ours[c][("value",)][0], data.ours[c][("vjp", 0, 0)][0]
            yr = data.want[c][("value",)][0] if data.want else None
            dxr = data.want[c][("vjp", 0, 0)][0] if data.want else None
            at = np.broadcast_to(np.isin(np.asarray(x, np.float64), rounded(kinks, dtype)), dx.shape)
            ok, okg = ~np.isnan(yo), ~np.isnan(dxo)
            with np.errstate(all="ignore"):
                worst = max(worst, float(np.nanmax(np.abs(y - yo)[ok] / (eps(dtype) * (np.abs(yo[ok]) + 1)), initial=0.0)),
                            float(np.nanmax(np.abs(dx - dxo)[okg] / (eps(dtype) * (np.abs(dxo[okg]) + 1)), initial=0.0)))
            bad_y = _behind(y, yo, yr, dtype, tol) if y.shape == yo.shape else np.zeros(0, bool)
            bad_g = ((_behind(dx, dxo, np.where(at, np.nan, dxr) if dxr is not None else None, dtype, tol) & ~at)
                     | (at & _behind(dx, dxo, None, dtype, tol)))
            if bad_y.any() or bad_g.any():
                xv = np.asarray(x, np.float64)
                where = xv[bad_y].tolist()[:4] if bad_y.any() else xv[bad_g].tolist()[:4]
                problems.append(f"differs from jax.nn ({'value' if bad_y.any() else 'gradient'}) at {where} ({case.label}), "
                                "and is not closer to the oracle")
    return worst, problems


def _nan_problems(data) -> list[str]:
    """NaN in gives NaN out, and NaN comes from nothing else: entry by entry, or along an axis
    from a row holding NaN or +inf (documented, as jax.nn)."""
    for c, case in enumerate(data.cases):
        x = np.asarray(data.inputs[c][0][0], np.float64)
        y, dx = data.ours[c][("value",)][0], data.ours[c][("vjp", 0, 0)][0]
        if y.shape != x.shape:
            continue
        if not np.isnan(y[np.isnan(x)]).all():
            return [f"NaN input did not give NaN ({case.label})"]
        ok = np.isnan(x)
        if x.ndim > 1:
            ok = np.broadcast_to((ok | np.isposinf(x)).any(-1, keepdims=True), x.shape)
        bad = ~ok & (np.isnan(y) | np.isnan(dx))
        if bad.any():
            return [f"NaN from input {x[bad].tolist()[:6]} ({case.label})"]
    return []


def _empty_problems(fn: Callable, x: np.ndarray, dtype: str, traced: dict) -> list[str]:
    with _compat.enable_x64(dtype == "float64"):
        empty = jnp.zeros((0,) + tuple(x.shape[1:]), dtype)
        p = {k: jnp.asarray(v, dtype) if isinstance(v, float) else v for k, v in traced.items()}
        try:
            y, pull = jax.vjp(lambda x: fn(x, **p), empty)
            dx = pull(jnp.ones_like(y))[0]
        except Exception as e:  # noqa: BLE001 - reported, not hidden
            return [f"empty input raised {type(e).__name__}: {e}"]
    return [] if dx.shape == empty.shape else ["empty input: wrong gradient shape"]


def bytes_saved(fn: Callable, x: Any, **params: Any) -> float:
    """Bytes per input element that ``jax.vjp(fn, x)`` keeps for the backward pass: every
    residual array but scalars (halves of a split count; a scalar parameter does not)."""
    res = _compat.saved_residuals(lambda x: fn(x, **params), x)
    size = max(int(np.size(x)), 1)
    total = sum(a.size * a.dtype.itemsize for a, _ in res if hasattr(a, "size") and a.size > 1)
    return total / size


def format_rows(rows: Sequence[Row], width: int = 22) -> str:
    """A fixed-width table of rows, as ``jax-act check`` prints it; the first column is at
    least ``width`` wide (wider for a longer name). Errors are in units of eps(dtype):
    ``value err`` and ``grad err`` against the float64 oracle (check_rule's measure, with an
    absolute floor of 1), ``Δ jax.nn`` the largest difference from jax.nn's values and
    gradients on the same inputs."""
    labels = [r.name + ("" if not r.params else "(" + ",".join(f"{k}={v}" for k, v in r.params.items()) + ")") for r in rows]
    w = max([width, *map(len, labels)])
    head = f"{'activation':<{w}} {'dtype':<9} {'value err':>9} {'grad err':>9} {'Δ jax.nn':>9} {'saved B/el':>10} {'jax.nn B/el':>11}  result"
    lines = [head, "-" * len(head)]
    for r, label in zip(rows, labels):
        nn = "-" if r.vs_jax_nn is None else f"{r.vs_jax_nn:9.2f}"
        nnb = "-" if r.jax_nn_bytes is None else f"{r.jax_nn_bytes:g}"
        verdict = "pass" if r.passed else "FAIL: " + "; ".join(r.problems)
        lines.append(
            f"{label:<{w}} {r.dtype:<9} {r.value_err:9.2f} {r.grad_err:9.2f} {nn:>9} {r.bytes_saved:>10g} {nnb:>11}  {verdict}"
        )
    return "\n".join(lines)
