"""The differential-testing kit: check a closed-form derivative (ours or yours) against autodiff.

For an activation ``fn`` and its plain formula ``reference`` the kit compares, dtype by dtype:

* values and VJPs of ``fn`` in the dtype against ``reference`` evaluated in float64 on the same
  (rounded) inputs and differentiated by ``jax.grad`` — :func:`check_against_reference`;
* reverse-mode gradients against finite differences in float64 (``jax.test_util.check_grads``,
  order 2), and a forward-mode twin in both modes — :func:`check_finite_differences`;
* values and gradients against ``jax.nn`` where it has the function, kinks included;
* edge inputs (every kink, ±1e-8, ±1e4, the exp-overflow threshold of the dtype, ±inf, NaN,
  subnormals, empty arrays): no NaN from non-NaN input, NaN in gives NaN out —
  :func:`check_edges`;
* bytes kept for the backward pass per element, against jax.nn's — :func:`bytes_saved`.

Tolerances are stated once, in :data:`TOLERANCE`: an error passes when
``|got − want| ≤ TOLERANCE · eps(dtype) · (|want| + 1)`` (for values, ``+ |x|`` too: no more
than rounding the input would cause). Errors are reported in those units ("eps"): 1.0 means
one machine epsilon of the dtype, relative for values above 1 and absolute below. Everything runs with float64 enabled inside the kit.

Use it on your own activation::

    from jax_act import testing
    rows = testing.check_activation(my_fn, reference=lambda x: plain formula)
    assert all(r.passed for r in rows), testing.format_rows(rows)
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
from typing import Any, Callable, Iterable, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from . import _compat
from ._engine import REGISTRY, Activation, check_level, lookup

__all__ = [
    "DTYPES", "FD_MARGIN", "FD_POINTS", "TOLERANCE", "Case", "Row", "bytes_saved", "cases", "check_activation",
    "check_against", "check_against_reference", "check_edges", "check_finite_differences",
    "cotangent", "edge_inputs", "eps", "exp_overflow", "float_params", "format_rows",
    "normalized_error", "reference_errors", "rounded", "sample_inputs", "tolerance", "uncallable", "vjp_values",
]

DTYPES: tuple[str, ...] = ("bfloat16", "float16", "float32", "float64")

#: An error passes when ``|got − want| ≤ TOLERANCE · eps · (|want| + 1)``. Stated once.
TOLERANCE = 8.0

#: Away from kinks by this much before finite differences are taken.
FD_MARGIN = 1e-3

#: Inputs per finite-difference check (rows of ROW for maps along an axis).
FD_POINTS = 16


def eps(dtype: Any) -> float:
    return float(jnp.finfo(dtype).eps)


def tolerance(dtype: Any) -> float:
    """The absolute-plus-relative tolerance unit for ``dtype``: ``TOLERANCE · eps``."""
    return TOLERANCE * eps(dtype)


def normalized_error(got: Any, want: Any, dtype: Any, scale: Any = 0.0) -> np.ndarray:
    """``|got − want| / (eps · (|want| + 1 + scale))`` elementwise, in float64. Infinities
    must match exactly (error 0 or inf); NaN matches NaN. ``scale`` = ``|x|`` makes it a mixed
    error: no more than rounding the input itself would cause (for x − logsumexp(x) ≈ 0,
    say, whose exact answer moves by ``eps·|x|`` when x is rounded)."""
    got = np.asarray(got, np.float64)
    want = np.asarray(want, np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        err = np.abs(got - want) / (eps(dtype) * (np.abs(want) + 1 + np.abs(scale)))
    same = (got == want) | (np.isnan(got) & np.isnan(want))
    return np.where(same, 0.0, np.where(np.isnan(err), np.inf, err))


# --------------------------------------------------------------------------- inputs


def rounded(x: Any, dtype: Any) -> np.ndarray:
    """``x`` rounded to ``dtype`` and back to float64, in numpy (ml_dtypes keeps subnormals
    that a device conversion may flush to zero)."""
    with np.errstate(over="ignore"):
        return np.asarray(x, np.float64).astype(jnp.dtype(dtype)).astype(np.float64)


def exp_overflow(dtype: Any) -> float:
    """The largest x with exp(x) finite in ``dtype``."""
    return float(np.log(float(jnp.finfo(dtype).max)))


def sample_inputs(dtype: Any, domain: tuple[float, float] = (-np.inf, np.inf), n: int = 241) -> np.ndarray:
    """A deterministic grid over the interesting range, plus magnitudes 1e-6 … 1e3, in ``dtype``."""
    lo, hi = max(domain[0], -12.0), min(domain[1], 12.0)
    mags = np.logspace(-6, 3, 19)
    pts = np.concatenate([np.linspace(lo, hi, n), mags, -mags])
    pts = pts[(pts > domain[0]) & (pts < domain[1])]
    return np.unique(rounded(pts, dtype))


def edge_inputs(dtype: Any, kink_points: Iterable[float] = (), domain: tuple[float, float] = (-np.inf, np.inf)) -> np.ndarray:
    """Kinks, ±0, ±1e-8, ±1e4, ±(exp-overflow threshold), the largest finite, the smallest
    normal and subnormal, ±inf and NaN, in ``dtype`` (values outside ``domain`` dropped, NaN
    kept)."""
    fi = jnp.finfo(dtype)
    big = float(fi.max)
    tiny, sub = float(fi.tiny), float(fi.smallest_subnormal)
    mags = [0.0, 1e-8, 1e4, exp_overflow(dtype), big, tiny, sub, np.inf]
    pts = np.array([*kink_points, *mags, *(-m for m in mags)], np.float64)
    pts = pts[(pts >= domain[0]) & (pts <= domain[1])]
    pts = np.append(pts, np.nan)
    return rounded(pts, dtype)


def _away_from_kinks(x: np.ndarray, kinks: Sequence[float], margin: float) -> np.ndarray:
    keep = np.ones(x.shape, bool)
    for k in kinks:
        keep &= np.abs(x - k) > margin
    return x[keep]


# --------------------------------------------------------------------------- the checks


def _as(dtype: Any, value: Any) -> Any:
    """Float parameters in ``dtype``; ints, bools, tuples and None (static options) as given."""
    if isinstance(value, float) or (isinstance(value, (np.ndarray, jax.Array)) and jnp.issubdtype(value.dtype, jnp.floating)):
        return jnp.asarray(value, dtype)
    return value


ROW = 8  # maps along an axis are checked on rows of this length


def _shaped(act: Activation | None, x: np.ndarray) -> np.ndarray:
    """Elementwise functions take the grid as a vector. Maps along an axis take rows of ROW
    drawn at random (a grid would tie entries, and put sparsemax exactly on its thresholds),
    at scales from 1e-3 to 30, as many values as the grid has."""
    if act is None or act.spec.kind == "elementwise":
        return x
    rows = -(-x.size // ROW)
    rng = np.random.default_rng(x.size)
    scale = np.logspace(-3, np.log10(30), rows)[:, None]
    return rng.standard_normal((rows, ROW)) * scale


def _edge_rows(act: Activation | None, edges: np.ndarray, dtype: Any) -> np.ndarray:
    """Elementwise: the edges as a vector. Along an axis: one edge per row, amid ordinary values."""
    if act is None or act.spec.kind == "elementwise":
        return edges
    rows = np.tile(np.linspace(-2.0, 2.0, ROW), (edges.size, 1))
    rows[:, 0] = edges
    return rounded(rows, dtype)


@functools.partial(jax.jit, static_argnums=(0,))
def _vjp(fn: Callable, x: jax.Array, g: jax.Array, params: dict) -> tuple[jax.Array, jax.Array]:
    y, pull = jax.vjp(lambda x: fn(x, **params), x)
    return y, pull(g.astype(y.dtype).reshape(y.shape))[0]


@functools.partial(jax.jit, static_argnums=(0,))
def _vjp_many(fn: Callable, xs: tuple, gs: tuple, ps: tuple) -> list[tuple[jax.Array, jax.Array]]:
    """``_vjp`` over several inputs (one per dtype) in one compile."""
    return [_vjp.__wrapped__(fn, x, g, p) for x, g, p in zip(xs, gs, ps)]


def cotangent(shape: tuple[int, ...], dtype: Any, seed: int = 0) -> np.ndarray:
    """A fixed pseudo-random cotangent in ``dtype`` (ones would hide errors that cancel in a
    sum, e.g. any error proportional to ⟨g, S⟩ in softmax)."""
    g = np.random.default_rng(seed).standard_normal(shape)
    return np.asarray(jnp.asarray(g, dtype).astype(jnp.float64))


def vjp_values(fn: Callable, x: Any, g: Any, **params: Any) -> tuple[np.ndarray, np.ndarray]:
    """``fn(x, **params)`` and its VJP with cotangent ``g``, as float64 numpy arrays."""
    y, dx = _vjp(fn, jnp.asarray(x), jnp.asarray(g), params)
    return np.asarray(y.astype(jnp.float64)), np.asarray(dx.astype(jnp.float64))


def _out_size(fn: Callable, x: Any, params: dict) -> tuple[int, ...]:
    return jax.eval_shape(lambda x: fn(x, **params), x).shape


def check_against_reference(
    fn: Callable, reference: Callable, x: np.ndarray, dtype: Any, **params: Any
) -> tuple[float, float]:
    """Max normalized value error and VJP error of ``fn`` in ``dtype`` against ``reference`` in
    float64 on the same rounded inputs and cotangent: the measure :func:`check_activation`
    applies (:func:`reference_errors`)."""
    xd = jnp.asarray(x, dtype)
    p = {k: _as(dtype, v) for k, v in params.items()}
    g = cotangent(_out_size(fn, xd, p), dtype)
    y, dx = vjp_values(fn, xd, jnp.asarray(g, dtype), **p)
    y_ref, dx_ref = vjp_values(reference, xd.astype(jnp.float64), g, **{k: _as(jnp.float64, v) for k, v in params.items()})
    return reference_errors(rounded(x, dtype), y, dx, y_ref, dx_ref, dtype)


def reference_errors(x: np.ndarray, y: np.ndarray, dx: np.ndarray, y_ref: np.ndarray, dx_ref: np.ndarray,
                     dtype: Any) -> tuple[float, float]:
    """Max normalized errors of a value ``y`` and a VJP ``dx`` at inputs ``x`` against the
    float64 oracle's ``y_ref``, ``dx_ref``, as :func:`check_activation` measures them. Points
    where the oracle overflows ``dtype`` are left out (there ±inf is the right answer, not an
    error); the value error is mixed, relative to the input's magnitude too (for a function
    along the last axis, the row's largest entry)."""
    okv, okg = np.isfinite(rounded(y_ref, dtype)), np.isfinite(rounded(dx_ref, dtype))
    xs = x if x.ndim == 1 else np.abs(x).max(-1, keepdims=True)
    xs = np.broadcast_to(xs, y.shape) if np.ndim(xs) and y.ndim == np.ndim(xs) else 0.0
    scale = np.asarray(xs)[okv] if np.ndim(xs) else 0.0
    return (float(normalized_error(y[okv], y_ref[okv], dtype, scale).max(initial=0.0)),
            float(normalized_error(dx[okg], dx_ref[okg], dtype).max(initial=0.0)))


def check_against(fn: Callable, other: Callable, x: np.ndarray, dtype: Any, **params: Any) -> tuple[float, float]:
    """Max normalized value and VJP differences of ``fn`` against ``other`` (e.g. jax.nn),
    both in ``dtype`` on the same inputs. Points where ``other`` gives NaN are skipped."""
    xd = jnp.asarray(x, dtype)
    p = {k: _as(dtype, v) for k, v in params.items()}
    g = jnp.asarray(cotangent(_out_size(fn, xd, p), dtype), dtype)
    y, dx = vjp_values(fn, xd, g, **p)
    yo, dxo = vjp_values(other, xd, g, **p)
    ev = normalized_error(y[~np.isnan(yo)], yo[~np.isnan(yo)], dtype)
    eg = normalized_error(dx[~np.isnan(dxo)], dxo[~np.isnan(dxo)], dtype)
    return float(ev.max(initial=0.0)), float(eg.max(initial=0.0))


def check_finite_differences(
    fn: Callable,
    x: np.ndarray,
    twin: Callable | None = None,
    order: int = 2,
    wrt: Sequence[str] = (),
    **params: Any,
) -> None:
    """``jax.test_util.check_grads`` in float64: ``fn`` in reverse mode, ``twin`` (a
    forward-mode version, optional) in forward and reverse mode, with respect to ``x`` and
    to the parameters named in ``wrt`` (their closed-form partials). Raises on failure."""
    from jax.test_util import check_grads  # imported here: jax.test_util is large

    with _compat.enable_x64():
        x64 = jnp.asarray(x, jnp.float64)
        fixed = {k: _as(jnp.float64, v) for k, v in params.items() if k not in wrt}
        free = tuple(jnp.asarray(params[k], jnp.float64) for k in wrt)

        def call(f: Callable) -> Callable:
            return lambda x, *p: f(x, **fixed, **dict(zip(wrt, p)))

        # Op by op: finite differences test the rule's mathematics, and the primitives' small
        # executables are shared by every activation (compiling each rule's derivatives is
        # most of the cost otherwise).
        with jax.disable_jit():
            check_grads(call(fn), (x64, *free), order=order, modes=("rev",))
            if twin is not None:
                check_grads(call(twin), (x64, *free), order=order, modes=("fwd", "rev"))


def float_params(fn: Callable, pset: dict, names: Sequence[str]) -> dict[str, float]:
    """The declared parameters with float values (from ``pset`` or the signature's defaults):
    those whose closed-form partials the kit checks."""
    sig = inspect.signature(fn)
    values = {n: pset.get(n, sig.parameters[n].default) for n in names if n in sig.parameters}
    return {k: v for k, v in values.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}


def check_edges(fn: Callable, x: np.ndarray, dtype: Any, jax_nn: Callable | None = None, **params: Any) -> list[str]:
    """Problems on edge inputs: NaN from input without NaN or +inf (value or gradient; for maps
    along an axis, per row), NaN input not giving NaN, disagreement with ``jax_nn`` on values
    (NaN-aware) and on gradients where jax.nn's is not NaN, failure on an empty array.
    Returns human-readable problems (empty: passed)."""
    xd = jnp.asarray(x, dtype)
    p = {k: _as(dtype, v) for k, v in params.items()}
    g = jnp.ones(_out_size(fn, xd, p), dtype)
    y, dx = vjp_values(fn, xd, g, **p)
    yo, dxo = vjp_values(jax_nn, xd, g, **p) if jax_nn is not None else (None, None)
    return _edge_problems(x, y, dx, yo, dxo, dtype) + _empty_problems(fn, x, dtype, p)


def _behind(ours: np.ndarray, theirs: np.ndarray, oracle: np.ndarray | None, dtype: Any) -> np.ndarray:
    """Where ours differs from jax.nn's beyond tolerance and is not the closer of the two to
    the float64 oracle (jax.nn may be the one that loses digits; where the oracle is NaN,
    nothing can be judged). Without an oracle: wherever they differ."""
    differ = ~np.isnan(theirs) & (normalized_error(ours, theirs, dtype) > TOLERANCE)
    if oracle is None:
        return differ
    return differ & ~(normalized_error(ours, oracle, dtype) <= normalized_error(theirs, oracle, dtype))


def _edge_problems(x, y, dx, yo, dxo, dtype, yr=None, dxr=None) -> list[str]:
    problems = []
    if yr is not None:  # a naive oracle that overflows at a finite edge cannot judge there
        yr = np.where(np.isfinite(yr) | ~np.isfinite(np.broadcast_to(x, yr.shape) if yr.shape == x.shape else 0), yr, np.nan)
        dxr = np.where(np.isfinite(dxr) | ~np.isfinite(x), dxr, np.nan)
    if y.shape == x.shape:  # shape-preserving: judge entry by entry
        nan_ok = np.isnan(x)
        if x.ndim > 1:  # a row holding NaN or +inf may be NaN throughout (documented)
            nan_ok = np.broadcast_to((nan_ok | np.isposinf(x)).any(-1, keepdims=True), x.shape)
        bad = ~nan_ok & (np.isnan(y) | np.isnan(dx))
        if bad.any():
            problems.append(f"NaN from input {x[bad].tolist()[:6]}")
        if not np.isnan(y[np.isnan(x)]).all():
            problems.append("NaN input did not give NaN")
    if yo is not None:
        same = ~_behind(y, yo, yr, dtype)
        if not same.all():
            at = np.broadcast_to(x, same.shape)[~same].tolist()[:6] if y.shape == x.shape else "some rows"
            problems.append(f"value differs from jax.nn at {at}")
        off = _behind(dx, dxo, dxr, dtype)
        if off.any():
            problems.append(f"gradient differs from jax.nn's at {x[off].tolist()[:6]}")
    return problems


def _empty_problems(fn: Callable, x: np.ndarray, dtype: Any, p: dict) -> list[str]:
    empty = jnp.zeros((0,) + tuple(x.shape[1:]), dtype)
    try:
        _, dx0 = vjp_values(fn, empty, jnp.ones(_out_size(fn, empty, p), dtype), **p)
    except Exception as e:  # noqa: BLE001 - reported, not hidden
        return [f"empty input raised {type(e).__name__}: {e}"]
    return [] if dx0.shape == empty.shape else ["empty input: wrong gradient shape"]


def bytes_saved(fn: Callable, x: Any, **params: Any) -> float:
    """Bytes per input element that ``jax.vjp(fn, x)`` keeps for the backward pass: every
    residual array but scalars (halves of a split count; a scalar parameter does not)."""
    res = _compat.saved_residuals(lambda x: fn(x, **params), x)
    size = max(int(np.size(x)), 1)
    total = sum(a.size * a.dtype.itemsize for a, _ in res if hasattr(a, "size") and a.size > 1)
    return total / size


# --------------------------------------------------------------------------- the registry as cases
#
# One generic way to call any registered activation, for registry-wide checks (the accuracy
# run, the transformation matrix): elementwise functions take ``x`` and their parameters as
# keywords; along-axis functions take ``axis=-1``. A required argument beyond ``x`` gets a
# value from ``_REQUIRED`` (a PRNG key) or the activation is reported by :func:`uncallable`.


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


# --------------------------------------------------------------------------- one call


@dataclasses.dataclass
class Row:
    """One activation × dtype × parameter set: errors in units of eps (see module doc)."""

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
) -> list[Row]:
    """Run every check on one activation, one row per dtype × parameter set.

    ``fn`` is a registered name or function (then ``reference``, ``twin``, ``jax_nn``, kinks,
    domain and parameter sets come from its declaration, and ``accuracy`` picks the level
    checked: None for the current default) or any function of ``x`` with a ``reference``
    plain formula (yours). Gradients at kinks are compared with jax.nn's only. At the default
    level an error beyond :data:`TOLERANCE` passes where the baseline's (jax.nn's, or the plain
    formula's under autodiff in the same dtype) is as large: that level promises never to be
    less accurate than jax.nn; the highest level promises the tolerance.
    """
    act, level = None, None
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
    if reference is None:
        raise TypeError("jax_act.testing.check_activation: argument 'reference' is required for an unregistered function")
    kink_points = tuple(kink_points or ())
    domain = domain or (-np.inf, np.inf)
    params = tuple(params or ({},))
    name = act.spec.name if act else getattr(fn, "__name__", "fn")
    static = act.spec.static if act else ()
    with _compat.enable_x64():
        rows = []
        for pset in params:
            # a static option (gelu's approximate) selects a formula: bound, not traced
            bind = functools.partial(_bind, {k: v for k, v in pset.items() if k in static})
            traced = {k: v for k, v in pset.items() if k not in static}
            rows += _check_pset(act, name, bind(fn), bind(reference), bind(twin), bind(_accepts(jax_nn, pset)), tuple(dtypes), traced, kink_points, domain, finite_differences, pset,
                                baseline=bind(_accepts(act.compared_with()[0], pset)) if act is not None and level == "default" else None)
        return rows


def _bind(options: dict, f: Callable | None) -> Callable | None:
    return functools.partial(f, **options) if f is not None and options else f


def _accepts(other: Callable | None, pset: dict) -> Callable | None:
    """``other`` if it takes every parameter in ``pset`` (jax.nn.softplus has no ``beta``)."""
    if other is None or not pset:
        return other
    try:
        names = inspect.signature(other).parameters
    except (TypeError, ValueError):
        return other
    return other if all(k in names for k in pset) else None


def _f64(a: jax.Array) -> np.ndarray:
    return np.asarray(a.astype(jnp.float64))


def _check_pset(act, name, fn, reference, twin, jax_nn, dtypes, pset, kink_points, domain, finite_differences, label,
                baseline=None) -> list[Row]:
    """Rows for one parameter set (``label``: it with the static options bound into the
    functions). ``baseline``: errors pass up to its own (the default accuracy level). Every dtype's samples (with the kinks), edges and an empty array go through
    each function in one compile (fn, the float64 reference, jax.nn)."""
    n = len(dtypes)
    samples, xk, edges = [], [], []
    for dtype in dtypes:
        x = _shaped(act, _away_from_kinks(sample_inputs(dtype, domain), kink_points, 0.0))
        x = rounded(x, dtype)
        kinks = rounded(np.asarray(kink_points, np.float64), dtype)
        samples.append(x)
        xk.append(np.concatenate([x, kinks]) if x.ndim == 1 else x)  # axis maps: no kinks
        edges.append(_edge_rows(act, edge_inputs(dtype, kink_points, domain), dtype))
    empty = [np.zeros((0,) + x.shape[1:]) for x in samples]
    ps = tuple({k: _as(d, v) for k, v in pset.items()} for d in dtypes)
    p64 = tuple({k: _as(jnp.float64, v) for k, v in pset.items()} for _ in dtypes)
    ins = tuple(jnp.asarray(x, d) for group in (xk, edges, empty) for x, d in zip(group, dtypes))
    pss = ps * 3
    gs = [cotangent(_out_size(fn, x, p), x.dtype) for x, p in zip(ins, pss)]
    gd = tuple(jnp.asarray(g, x.dtype) for g, x in zip(gs, ins))
    try:
        ours = [tuple(map(_f64, o)) for o in _vjp_many(fn, ins, gd, pss)]
    except Exception as e:  # noqa: BLE001 - a row that cannot run fails, with the reason
        return [Row(name, d, dict(label), np.inf, np.inf, None, np.nan, None, [f"raised {type(e).__name__}: {e}"]) for d in dtypes]
    with np.errstate(all="ignore"):  # the naive oracle may overflow at the edges: judged there
        refs = [tuple(map(_f64, o)) for o in _vjp_many(reference, tuple(x.astype(jnp.float64) for x in ins[: 2 * n]), tuple(jnp.asarray(g) for g in gs[: 2 * n]), p64 + p64)]
    nns = [tuple(map(_f64, o)) for o in _vjp_many(jax_nn, ins[: 2 * n], gd[: 2 * n], pss[: 2 * n])] if jax_nn is not None else None
    # at the default level the bound is the baseline's own error where that is larger (jax.nn,
    # or the formula with jax.nn, or the plain formula under autodiff, in the dtype)
    bases = [tuple(map(_f64, o)) for o in _vjp_many(baseline, ins[:n], gd[:n], pss[:n])] if baseline is not None else None
    rows = []
    for i, dtype in enumerate(dtypes):
        (y, dx), (yr, dxr) = ours[i], refs[i]
        m = len(samples[i])
        shaped = y.shape == xk[i].shape  # shape-preserving: the samples are the first m entries
        base = None if bases is None else tuple(a[:m] if shaped else a for a in bases[i])
        ev, eg, problems = _error_problems(samples[i], y[:m] if shaped else y, dx[:m] if shaped else dx,
                                           yr[:m] if shaped else yr, dxr[:m] if shaped else dxr, base, dtype)
        vs = yo = dxo = None
        if nns is not None:
            vs, more = _jax_nn_problems((y, dx), nns[i], (yr, dxr), m if shaped else None, dtype)
            problems += more
            yo, dxo = nns[n + i]
        ye, dxe = ours[n + i]
        problems += _edge_problems(edges[i], ye, dxe, yo, dxo, dtype, *refs[n + i])
        if ours[2 * n + i][1].shape != empty[i].shape:
            problems.append("empty input: wrong gradient shape")
        if finite_differences and dtype == "float64":
            problems += _finite_difference_problems(act, fn, twin, reference, pset, kink_points, domain)
        saved, nn_saved, more = _memory_problems(fn, jax_nn, jnp.asarray(samples[i], dtype), ps[i])
        rows.append(Row(name, dtype, dict(label), ev, eg, vs, saved, nn_saved, problems + more))
    return rows


def _error_problems(sample: np.ndarray, y: np.ndarray, dx: np.ndarray, yr: np.ndarray, dxr: np.ndarray,
                    base: tuple | None, dtype: Any) -> tuple[float, float, list[str]]:
    """Value and gradient errors against the float64 reference on the samples; the bound is
    :data:`TOLERANCE`, or the baseline's (``base``: its value and gradient) own error where
    that is larger (the default level)."""
    ev, eg = reference_errors(sample, y, dx, yr, dxr, dtype)
    bound_v = bound_g = TOLERANCE
    if base is not None:  # the baseline's errors on the same samples, measured the same way
        with np.errstate(all="ignore"):
            bound_v, bound_g = (max(TOLERANCE, e) for e in reference_errors(sample, *base, yr, dxr, dtype))
    problems = []
    for what, e, bound in (("value", ev, bound_v), ("gradient", eg, bound_g)):
        if e > bound:
            problems.append(f"{what} error {e:.3g} eps" + (f" (baseline {bound:.3g})" if bound > TOLERANCE else ""))
    return ev, eg, problems


def _jax_nn_problems(ours: tuple, theirs: tuple, oracle: tuple, kinks_from: int | None, dtype: Any) -> tuple[float, list[str]]:
    """How far (value and gradient) from jax.nn, and a problem where we differ without being
    closer to the oracle; at the kinks (entries from ``kinks_from`` on) jax.nn's convention is
    the law, elsewhere jax.nn may be the one off."""
    (y, dx), (yo, dxo), (yr, dxr) = ours, theirs, oracle
    ok, okg = ~np.isnan(yo), ~np.isnan(dxo)
    vs = float(max(normalized_error(y[ok], yo[ok], dtype).max(initial=0.0),
                   normalized_error(dx[okg], dxo[okg], dtype).max(initial=0.0)))

    def behind(a: np.ndarray, b: np.ndarray, want: np.ndarray) -> np.ndarray:
        at = np.zeros(a.shape, bool)
        if kinks_from is not None:
            at[kinks_from:] = True
        return _behind(a, b, np.where(at, np.nan, want), dtype) | (at & _behind(a, b, None, dtype))

    if behind(y, yo, yr).any() or behind(dx, dxo, dxr).any():
        return vs, [f"differs from jax.nn by {vs:.3g} eps, and is not closer to the oracle"]
    return vs, []


def _finite_difference_problems(act: Activation | None, fn: Callable, twin: Callable, reference: Callable, pset: dict,
                                kink_points: Sequence[float], domain: tuple[float, float]) -> list[str]:
    """Both modes against finite differences in float64, and the parameter partials."""
    xf = _shaped(act, _away_from_kinks(sample_inputs("float64", domain, 25), kink_points, FD_MARGIN))
    flat = xf.reshape(len(xf), -1)
    # finite differences step by ~1e-4: stay clear of the domain's edges (log1mexp at 0)
    clear = (np.abs(flat) < 20) & (flat - domain[0] > 0.05) & (domain[1] - flat > 0.05)
    xf = xf[np.all(clear, axis=1)]
    # one shape for every activation: check_grads' own eager arithmetic then compiles once per
    # run, not once per activation
    xf = xf[np.linspace(0, len(xf) - 1, FD_POINTS // xf[0].size).round().astype(int)] if len(xf) else xf
    fp = float_params(fn, pset, act.spec.params) if act is not None else {}
    problems = []
    try:
        check_finite_differences(fn, xf, twin, wrt=tuple(fp), **{**pset, **{k: float(v) for k, v in fp.items()}})
    except AssertionError as err:
        problems.append(f"finite differences: {str(err).splitlines()[0]}")
    if fp:
        problems += _partials_problems(fn, reference, xf, {**pset, **fp}, tuple(fp))
    return problems


def _memory_problems(fn: Callable, jax_nn: Callable | None, x: jax.Array, params: dict) -> tuple[float, float | None, list[str]]:
    """Bytes per element the backward pass keeps, ours and jax.nn's: never more than jax.nn."""
    saved = bytes_saved(fn, x, **params)
    nn_saved = bytes_saved(jax_nn, x, **params) if jax_nn is not None else None
    if nn_saved is not None and saved > nn_saved:
        return saved, nn_saved, [f"keeps {saved:g} bytes/element, jax.nn {nn_saved:g}"]
    return saved, nn_saved, []


def _partials_problems(fn: Callable, reference: Callable, x: np.ndarray, pset: dict, wrt: tuple) -> list[str]:
    """Closed-form parameter partials against the reference under autodiff, float64."""
    x64 = jnp.asarray(x, jnp.float64)
    g = jnp.asarray(cotangent(_out_size(fn, x64, {k: jnp.float64(v) for k, v in pset.items() if k in wrt}), jnp.float64))

    def grads(f: Callable) -> tuple:
        def loss(*p: jax.Array) -> jax.Array:
            return jnp.sum(g * f(x64, **{**pset, **dict(zip(wrt, p))}))

        return jax.grad(loss, argnums=tuple(range(len(wrt))))(*(jnp.float64(pset[k]) for k in wrt))

    problems = []
    for k, got, want in zip(wrt, grads(fn), grads(reference)):
        err = float(normalized_error(got, want, jnp.float64).max(initial=0.0)) / max(1.0, float(np.sum(np.abs(g))))
        if not np.isfinite(err) or err > TOLERANCE * 100:  # a sum over the samples: its rounding grows with them
            problems.append(f"∂/∂{k}: {float(got):.6g} vs the reference's {float(want):.6g}")
    return problems


def format_rows(rows: Sequence[Row], width: int = 22) -> str:
    """A fixed-width table of rows, as ``jax-act check`` prints it; the first column is at
    least ``width`` wide (wider for a longer name). Errors are in units of eps(dtype):
    ``value err`` and ``grad err`` against the float64 oracle, ``Δ jax.nn`` the largest
    difference from jax.nn's values and gradients on the same inputs."""
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
