"""A checked function's arguments as named leaves: which are differentiated, which are passed
through, how each row casts them and how new inputs are drawn."""

from __future__ import annotations

import dataclasses
import inspect
from typing import Any, Callable, Mapping, Sequence

import jax
import jax.numpy as jnp
import numpy as np

# what a leaf is to the kit: differentiated ("float"), traced but not differentiated (an
# integer or bool array, a PRNG key), or passed exactly as given ("python": a Python int, bool,
# string, None or object, and every leaf of a static argument)
Role = str


@dataclasses.dataclass(frozen=True)
class Leaf:
    path: str  # "x", "inputs['logits']", "args[2]", "kwargs['beta']"
    role: Role  # "float", "int", "bool", "key"
    dtype: np.dtype
    shape: tuple[int, ...]
    weak: bool = False  # a Python float: weakly typed, as JAX treats it

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))


def _is_key(x: Any) -> bool:
    return isinstance(x, jax.Array) and jax.dtypes.issubdtype(x.dtype, jax.dtypes.prng_key)


def _role(path: str, value: Any, caller: str) -> tuple[Role, np.dtype | None, tuple[int, ...], bool] | None:
    """The leaf's role, dtype, shape and weakness; None for a leaf passed as given."""
    if isinstance(value, bool) or value is None or isinstance(value, (str, bytes)):
        return None
    if isinstance(value, float):
        return "float", np.dtype(np.float64), (), True
    if isinstance(value, (int, complex)) and not isinstance(value, np.generic):
        if isinstance(value, complex):
            raise TypeError(f"{caller}: complex argument {path} is not supported (check the real and imaginary "
                            "parts as two float arguments)")
        return None
    if _is_key(value):
        return "key", value.dtype, tuple(value.shape), False
    if not isinstance(value, (np.ndarray, np.generic, jax.Array)):
        return None
    dtype = np.dtype(value.dtype)
    if jnp.issubdtype(dtype, jnp.complexfloating):
        raise TypeError(f"{caller}: complex argument {path} ({dtype}) is not supported (check the real and "
                        "imaginary parts as two float arguments)")
    if jnp.issubdtype(dtype, jnp.floating):
        return "float", dtype, tuple(np.shape(value)), False
    if jnp.issubdtype(dtype, jnp.bool_):
        return "bool", dtype, tuple(np.shape(value)), False
    if jnp.issubdtype(dtype, jnp.integer):
        return "int", dtype, tuple(np.shape(value)), False
    return None


def nondiff_argnums(fn: Callable) -> tuple[int, ...]:
    """The positions a ``custom_vjp``/``custom_jvp`` (possibly under ``jax.jit`` or
    ``functools.wraps``) declares non-differentiable."""
    seen = 0
    while fn is not None and seen < 16:
        if isinstance(fn, (jax.custom_vjp, jax.custom_jvp)):
            return tuple(fn.nondiff_argnums)
        fn = getattr(fn, "__wrapped__", None)
        seen += 1
    return ()


def _parameter_names(fn: Callable, n: int) -> list[str]:
    """Names of the first ``n`` positional arguments (``args[i]`` where unknown)."""
    names = [f"args[{i}]" for i in range(n)]
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return names
    for i, p in enumerate(params[:n]):
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            names[i] = p.name
        else:
            break
    return names


class Arguments:
    """``fn(*args, **kwargs)`` split into traced leaves (differentiated or not) and what is
    passed exactly as given (static arguments, ``nondiff_argnums``, Python ints and objects)."""

    def __init__(self, fn: Callable, args: Sequence[Any], kwargs: Mapping[str, Any], caller: str,
                 static_argnums: Sequence[int] = (), static_argnames: Sequence[str] = ()):
        self.caller = caller
        self.nargs = len(args)
        nondiff = set(nondiff_argnums(fn))
        names = _parameter_names(fn, len(args))
        static_pos = {i % max(len(args), 1) for i in static_argnums} | nondiff
        # a nondiff argument passed by keyword is static too
        static_kw = set(static_argnames) | {names[i] for i in nondiff if i < len(names)}
        try:
            all_names = list(inspect.signature(fn).parameters)
            static_kw |= {all_names[i] for i in nondiff if i < len(all_names)}
        except (TypeError, ValueError):
            pass
        unknown = set(static_argnames) - set(kwargs) - set(names)
        if unknown:
            raise ValueError(f"{caller}: static_argnames {sorted(unknown)} name no argument given "
                             f"(the arguments: {', '.join([*names, *kwargs])})")
        self.top: list[tuple[str, Any, bool]] = []  # (name, value, static)
        for i, a in enumerate(args):
            self.top.append((names[i], a, i in static_pos or names[i] in static_kw))
        for k, v in kwargs.items():
            self.top.append((k, v, k in static_kw))
        self.static = [name for name, _, s in self.top if s]
        self._defs = []
        self.leaves: list[Leaf] = []
        self.given: list[Any] = []  # the traced leaves' values, as given
        self.passed: list[tuple[str, str]] = []  # (path, why) of leaves not traced
        self._slots: list[list[Any]] = []  # per top-level argument: its flat leaves (None = traced slot)
        for name, value, static in self.top:
            if static:
                self._defs.append(None)
                self._slots.append([value])
                self.passed.append((name, "static"))
                continue
            flat, treedef = jax.tree_util.tree_flatten_with_path(value, is_leaf=lambda x: x is None)
            self._defs.append(treedef)
            slots = []
            for path, leaf in flat:
                p = name + jax.tree_util.keystr(path)
                info = _role(p, leaf, caller)
                if info is None:
                    slots.append(leaf)
                    if leaf is not None:
                        self.passed.append((p, f"passed as given ({type(leaf).__name__})"))
                    continue
                role, dtype, shape, weak = info
                self.leaves.append(Leaf(p, role, dtype, shape, weak))
                self.given.append(leaf)
                slots.append(_TRACED)
            self._slots.append(slots)

    # -- selection by path -------------------------------------------------------------

    def select(self, option: str, selectors: Any, roles: Sequence[Role] = ("float",)) -> list[int]:
        """Indices of the leaves that ``selectors`` (a path, a prefix such as an argument's name,
        a sequence of them, or True for all) name; an unknown name is a ValueError."""
        if selectors is True:
            return [i for i, leaf in enumerate(self.leaves) if leaf.role in roles]
        if not selectors:
            return []
        if isinstance(selectors, str):
            selectors = [selectors]
        out: list[int] = []
        for sel in selectors:
            hit = [i for i, leaf in enumerate(self.leaves) if leaf.role in roles and _under(leaf.path, sel)]
            if not hit:
                known = ", ".join(leaf.path for leaf in self.leaves if leaf.role in roles) or "none"
                raise ValueError(f"{self.caller}: {option} names {sel!r}, which is not a leaf of the arguments "
                                 f"(the {'/'.join(roles)} leaves: {known})")
            out += [i for i in hit if i not in out]
        return out

    def mapping(self, option: str, mapping: Mapping[str, Any] | None) -> dict[int, Any]:
        """``{leaf index: value}`` from ``{selector: value}``."""
        out: dict[int, Any] = {}
        for sel, value in (mapping or {}).items():
            for i in self.select(option, sel):
                out[i] = value
        return out

    # -- rebuilding the call -----------------------------------------------------------

    def call(self, fn: Callable, values: Sequence[Any]) -> Any:
        """``fn`` on the arguments with the traced leaves replaced by ``values``."""
        it = iter(values)
        args, kwargs = [], {}
        for (name, _, static), treedef, slots in zip(self.top, self._defs, self._slots):
            if static:
                value = slots[0]
            else:
                value = jax.tree_util.tree_unflatten(treedef, [next(it) if s is _TRACED else s for s in slots])
            if len(args) < self.nargs:
                args.append(value)
            else:
                kwargs[name] = value
        return fn(*args, **kwargs)


_TRACED = object()


def _under(path: str, selector: str) -> bool:
    return path == selector or (path.startswith(selector) and path[len(selector)] in "[.")


# ------------------------------------------------------------------------------- draws


def draw(leaf: Leaf, scale: float, rng: np.random.Generator, domain: tuple[float, float] | None) -> np.ndarray:
    """A standard normal draw times ``scale`` of the leaf's shape, in float64, mapped into
    ``domain``: a bounded domain is drawn uniformly inside (1e-3 of its width from each end),
    a half-line from its end outwards."""
    z = rng.standard_normal(leaf.shape)
    lo, hi = domain or (-np.inf, np.inf)
    if np.isfinite(lo) and np.isfinite(hi):
        return lo + (hi - lo) * (1e-3 + 0.998 * rng.uniform(size=leaf.shape))
    if np.isfinite(lo):
        return lo + np.abs(z) * scale + (np.abs(lo) + scale) * 1e-6
    if np.isfinite(hi):
        return hi - np.abs(z) * scale - (np.abs(hi) + scale) * 1e-6
    return z * scale


def extremes(dtype: Any, extra: Sequence[float] = ()) -> np.ndarray:
    """``extra`` points, ±0, ±1e-8, ±1e4, ±(exp-overflow threshold), ±largest finite, ±smallest
    normal and subnormal, ±inf and NaN, in ``dtype`` (as float64)."""
    fi = jnp.finfo(dtype)
    mags = [0.0, 1e-8, 1e4, float(np.log(float(fi.max))), float(fi.max), float(fi.tiny),
            float(fi.smallest_subnormal), np.inf]
    pts = np.array([*extra, *mags, *(-m for m in mags), np.nan], np.float64)
    return rounded(pts, dtype)


def rounded(x: Any, dtype: Any) -> np.ndarray:
    """``x`` rounded to ``dtype`` and back to float64, in numpy (ml_dtypes keeps subnormals
    that a device conversion may flush to zero)."""
    with np.errstate(over="ignore", invalid="ignore"):
        return np.asarray(x, np.float64).astype(jnp.dtype(dtype)).astype(np.float64)
