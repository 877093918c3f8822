"""What one check runs: the options, the dtype rows, the input cases and the functions."""

from __future__ import annotations

import dataclasses
import functools
from typing import Any, Callable, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from .. import _compat
from .arguments import Arguments, draw, extremes, rounded

TOLERANCE = 8.0  # eps units: an error within TOLERANCE · eps · (|want| + floor) + sensitivity passes
BASELINE = 2.0  # below float64: the rule may err up to BASELINE × the baseline's own error
SCALES = (1e-3, 1.0, 30.0, 300.0)  # draws: standard normal times each scale
CHECKS = ("runs", "structure", "value", "vjp", "jvp", "transpose", "second order", "finite differences", "vmap", "eager",
          "checkpoint", "memory")
_SAME = object()  # baseline: the reference itself

DEFAULTS: dict[str, Any] = dict(
    dtypes=(), static_argnums=(), static_argnames=(), pin=None, domain=None, extremes=(),
    extreme_points=None, kinks=None, fixed=(), examples=(), scales=SCALES, about=1.0, seeds=2, order=1, tolerance=TOLERANCE,
    floor="leaf", baseline=_SAME, forward=None, skip=(), seed=0,
)
FLOAT_DTYPES = ("bfloat16", "float16", "float32", "float64")


def options(caller: str, given: dict[str, Any]) -> dict[str, Any]:
    """The kit's options with defaults; an unknown one is a TypeError, a bad value a ValueError."""
    unknown = sorted(set(given) - set(DEFAULTS))
    if unknown:
        raise TypeError(f"{caller}: unknown option {unknown[0]!r} (the options: {', '.join(DEFAULTS)})")
    opts = {**DEFAULTS, **given}
    opts["dtypes"] = tuple(jnp.dtype(d).name for d in ((opts["dtypes"],) if isinstance(opts["dtypes"], str) else opts["dtypes"]))
    bad = [d for d in opts["dtypes"] if d not in FLOAT_DTYPES]
    if bad:
        raise ValueError(f"{caller}: dtypes {bad} are not among {FLOAT_DTYPES}")
    skip = (opts["skip"],) if isinstance(opts["skip"], str) else tuple(opts["skip"])
    if set(skip) - set(CHECKS):
        raise ValueError(f"{caller}: skip names {sorted(set(skip) - set(CHECKS))}, not checks (the checks: {', '.join(CHECKS)})")
    opts["skip"] = skip
    if opts["order"] not in (1, 2):
        raise ValueError(f"{caller}: order must be 1 or 2, got {opts['order']!r}")
    if not (isinstance(opts["seeds"], int) and opts["seeds"] >= 1):
        raise ValueError(f"{caller}: seeds must be a positive int, got {opts['seeds']!r}")
    if not (opts["floor"] == "leaf" or isinstance(opts["floor"], (int, float))):
        raise ValueError(f"{caller}: floor must be 'leaf' or a number, got {opts['floor']!r}")
    return opts


def tolerance(opts: dict, dtype: str) -> float:
    tol = opts["tolerance"]
    return float(tol.get(dtype, TOLERANCE) if isinstance(tol, dict) else tol)


# ------------------------------------------------------------------------------- references


def default_reference(fn: Callable) -> tuple[Callable | None, str]:
    """The plain function to differentiate by autodiff, and where it came from: the registry's
    formula for a jax_act function; else a ``custom_vjp``'s or ``custom_jvp``'s own function,
    found through ``jax.jit``, ``functools.wraps`` and ``functools.partial``."""
    act = getattr(fn, "activation", None)
    if act is not None:
        return act.reference, f"the registered plain formula of jax_act {act.spec.name}"
    bound: list[tuple[tuple, dict]] = []
    f, depth = fn, 0
    while f is not None and depth < 16:
        if isinstance(f, (jax.custom_vjp, jax.custom_jvp)):
            plain = f.fun
            for args, kw in reversed(bound):
                plain = functools.partial(plain, *args, **kw)
            return plain, f"the undecorated function of {type(f).__name__} {getattr(f.fun, '__name__', '')}"
        if isinstance(f, functools.partial):
            bound.append((f.args, f.keywords))
            f = f.func
        else:
            f = getattr(f, "__wrapped__", None)
        depth += 1
    return None, "no reference: fn has no custom rule to unwrap; pass reference= the plain function"


# ------------------------------------------------------------------------------- rows


@dataclasses.dataclass(frozen=True)
class Row:
    """One dtype row: the dtype of every float leaf (None: a Python float, weakly typed)."""

    label: str
    dtypes: tuple  # per traced leaf (non-float leaves: None)
    x64: bool

    def context(self):
        return _compat.enable_x64(self.x64)

    @property
    def narrowest(self) -> str:
        """The float dtype of its leaves with the largest eps (a Python float: the default)."""
        names = {d or ("float64" if self.x64 else "float32") for d in self.dtypes if d is not None} or {"float32"}
        return max(names, key=lambda d: float(jnp.finfo(d).eps))


def rows(a: Arguments, opts: dict) -> list[Row]:
    """The arguments as given, float64, then each of ``dtypes`` (float leaves cast unless pinned)."""
    pin = {i: jnp.dtype(d).name for i, d in a.mapping("pin", opts["pin"]).items()}
    floats = [i for i, leaf in enumerate(a.leaves) if leaf.role == "float"]
    given = tuple(None if leaf.role != "float" or leaf.weak else np.dtype(leaf.dtype).name for leaf in a.leaves)
    x64 = any(d == "float64" for d in given)
    named = sorted({given[i] for i in floats if given[i]})
    label = named[0] if len(named) == 1 else ("mixed" if named else ("float64" if x64 else "float32"))
    out = [Row(label, given, x64)]
    effective = lambda r: tuple(d or ("float64" if r.x64 else "float32") if i in floats else None  # noqa: E731
                                for i, d in enumerate(r.dtypes))
    for d in ("float64", *opts["dtypes"]):
        dts = tuple(pin.get(i, d) if i in floats else None for i in range(len(a.leaves)))
        row = Row(d + ("*" if pin else ""), dts, any(t == "float64" for t in dts))
        if all(effective(row) != effective(r) for r in out):
            out.append(row)
    return out


# ------------------------------------------------------------------------------- cases


@dataclasses.dataclass
class Case:
    """Input values for every traced leaf (float leaves in float64, rounded per row)."""

    label: str
    kind: str  # "example", "draw", "extremes"
    values: Callable[[Row], list[Any]]
    scale: float = 1.0  # of a draw


def _as_float64(v: Any) -> np.ndarray:
    return np.asarray(np.asarray(v).astype(np.float64))


def cases(a: Arguments, opts: dict, more: Sequence[Arguments]) -> list[Case]:
    """The example, the further ``examples``, draws at each scale, and the dtype's extremes in
    the leaves named by ``extremes``."""
    floats = {i for i, leaf in enumerate(a.leaves) if leaf.role == "float"}

    def given(args: Arguments) -> list[Any]:
        return [_as_float64(v) if i in floats else v for i, v in enumerate(args.given)]

    out = [Case("example", "example", lambda row, g=given(a): g)]
    out += [Case(f"example {n + 2}", "example", lambda row, g=given(m): g) for n, m in enumerate(more)]
    fixed = set(a.select("fixed", opts["fixed"]))
    domain = a.mapping("domain", opts["domain"])
    base = given(a)
    for n, scale in enumerate(opts["scales"]):
        rng = np.random.default_rng((opts["seed"], n))
        unit = [draw(a.leaves[i], 1.0, rng, domain.get(i)) if i in floats and i not in fixed and i not in domain else None
                for i in range(len(base))]
        bounded = {i: draw(a.leaves[i], scale, rng, domain[i]) for i in domain if i not in fixed}
        out.append(Case(f"draw at scale {scale:g}", "draw",
                        functools.partial(_scaled, base=base, unit=unit, bounded=bounded, scale=scale, a=a), scale))
    if opts["about"] is not None:  # off zero, nearly constant: x − mean cancels (a layer norm's rows)
        rng = np.random.default_rng((opts["seed"], 1000))
        about = opts["about"]
        unit = [about + 0.01 * abs(about) * draw(a.leaves[i], 1.0, rng, None) if i in floats and i not in fixed and i not in domain
                else None for i in range(len(base))]
        out.append(Case(f"draw about {about:g}", "draw",
                        functools.partial(_scaled, base=base, unit=unit, bounded={}, scale=1.0, a=a), abs(about)))
    marked = a.select("extremes", opts["extremes"])
    if marked:
        extra = a.mapping("extreme_points", opts["extreme_points"])
        out += _extreme_cases(a, base, marked, extra, domain)
    return out


def _cap(row: Row, i: int, a: Arguments) -> float:
    """The largest scale a draw of leaf ``i`` takes in ``row``: √max / 10 of its dtype (25 in
    float16), so that a product of two inputs stays finite."""
    dtype = row.dtypes[i] or ("float64" if row.x64 else "float32")
    return float(np.sqrt(float(jnp.finfo(dtype).max))) / 10


def _scaled(row: Row, *, base: list, unit: list, bounded: dict, scale: float, a: Arguments) -> list:
    return [bounded[i] if i in bounded else (v if u is None else u * min(scale, _cap(row, i, a)))
            for i, (v, u) in enumerate(zip(base, unit))]


def _extreme_cases(a: Arguments, base: list, marked: list[int], extra: dict, domain: dict) -> list[Case]:
    """Enough cases that every marked leaf takes each of its dtype's extremes: a vector at every
    entry, a higher-rank leaf in the first entry of each row along its last axis (a function
    along that axis sees one extreme amid the example's values)."""
    def points(row: Row, i: int) -> np.ndarray:
        pts = extremes(row.dtypes[i] or ("float64" if row.x64 else "float32"), extra.get(i, ()))
        lo, hi = domain.get(i, (-np.inf, np.inf))
        return pts[np.isnan(pts) | ((pts >= lo) & (pts <= hi))]

    def slots(i: int) -> int:
        shape = a.leaves[i].shape
        return int(np.prod(shape[:-1], dtype=np.int64)) if len(shape) > 1 else max(a.leaves[i].size, 1)

    most = len(extremes("float32")) + max((len(v) for v in extra.values()), default=0)
    n = max(-(-most // slots(i)) for i in marked)

    def values(row: Row, offset: int) -> list:
        vals = list(base)
        for i in marked:
            if not a.leaves[i].size:
                continue
            pts = np.resize(np.roll(points(row, i), -offset * slots(i)), slots(i))
            if len(a.leaves[i].shape) > 1:
                v = np.array(vals[i], np.float64)
                v[..., 0] = pts.reshape(v.shape[:-1])
                vals[i] = v
            else:
                vals[i] = pts.reshape(a.leaves[i].shape)
        return vals

    return [Case("extremes" + (f" {k + 1}" if n > 1 else ""), "extremes", functools.partial(values, offset=k))
            for k in range(n)]


def materialize(a: Arguments, case: Case, row: Row) -> tuple[tuple, tuple]:
    """The case's traced leaves as JAX arrays in the row's dtypes (call inside ``row.context()``):
    ``(float leaves, other leaves)``."""
    xs, others = [], []
    for i, (leaf, v) in enumerate(zip(a.leaves, case.values(row))):
        if leaf.role == "float":
            d = row.dtypes[i]
            xs.append(jnp.asarray(float(np.asarray(v))) if d is None else jnp.asarray(rounded(v, d), d))
        elif leaf.role in ("int", "bool") and not row.x64 and np.dtype(leaf.dtype).itemsize == 8:
            others.append(jnp.asarray(np.asarray(v).astype(np.int32 if leaf.dtype.kind == "i" else np.uint32)))
        else:
            others.append(v)
    return tuple(xs), tuple(others)
