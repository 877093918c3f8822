"""Maps along an axis (softmax, softmin, sparsemax): the backward pass keeps one array, the
output or what ``keep`` computes, and both products with the Jacobian are closed forms of it."""

from __future__ import annotations

import dataclasses
import functools
import inspect
import warnings
from typing import Any, Callable, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from .checks import HALF, check_axis, check_where, compute_dtype, flatten_axes, float_input
from .pair import custom_pair
from .docs import half_note
from .public import publish
from .registry import Probes

Product = Callable[[jax.Array, jax.Array, tuple[int, ...]], jax.Array]
Terms = Callable[[jax.Array, jax.Array, tuple[int, ...]], tuple[jax.Array, jax.Array]]


def along_axis(
    *,
    vjp: Product | None = None,
    terms: Terms | None = None,
    jvp: Product | None = None,
    formula: str,
    derivative_text: str,
    reference: Callable[..., jax.Array],
    kinks: str = "none (smooth)",
    fill: float = -np.inf,
    zero_masked: bool = False,
    saves: str | Callable[[jax.Array, tuple[int, ...]], jax.Array] = "output",
    highest: dict[str, bool] | None = None,
    jax_nn: str | None = None,
    aliases: Sequence[str] = (),
    probes: Probes = Probes(),
    **deprecated: Any,
) -> Callable[[Callable[..., jax.Array]], Callable[..., jax.Array]]:
    """Declare a normalizing map along ``axis``. Decorates ``forward(x, axis=-1, where=None)``
    (``where`` optional), whose body computes y from ``x`` (float32 or wider; masked entries
    already ``fill``) and the normalized ``axis`` tuple.

    Args:
      vjp: ``(y, v, axes)``: the closed-form product vᵀJ, in terms of y alone (or of what
        ``keep`` computes).
      terms: ``(y, v, axes) → (a, b)`` with vᵀJ = a − b: where the VJP cancels, its error is
        judged in ulps of the larger term (``jax-act accuracy``). Without ``vjp``, the VJP is
        computed as a − b.
      jvp: ``(y, v, axes)``: the closed-form product J v; None where J is symmetric (J v is
        then the VJP's product).
      reference: ``reference(x, axis, where)``, the plain formula (the testing kit's oracle).
      fill: what a masked entry becomes: −inf for maps that send −inf to 0 (softmax), +inf for
        those that send +inf to 0 (softmin).
      zero_masked: the products do not vanish on masked entries by themselves (log_softmax:
        ``g − e^y Σg`` is g where y = −inf); the backward pass then also keeps the caller's
        mask and zeroes masked entries in and out of both products.
      saves: what the backward pass keeps, as for :func:`elementwise`: ``"output"``, or a
        function ``(x, axes)`` whose docstring names it, the array of y's shape the products
        take instead of y, from the same (filled, widened) x as the forward body, so XLA
        shares what they have in common.
      highest: ``dict(half_from_input=...)``: at the highest level, for 16-bit input keep x
        instead (masked entries filled; the same bytes) and compute y (or the saved array)
        again in float32 in the backward pass: products read from a 16-bit y are not
        correctly rounded. True unless stated; False where they are exact from y anyway
        (sparsemax reads only its support from y). (``keep=``, ``keeps=`` and
        ``half_from_input=``, the earlier spellings, still work, with a DeprecationWarning.)
      formula, derivative_text, kinks, jax_nn, aliases, probes: as for :func:`elementwise`.
    """

    if vjp is None and terms is None:
        raise TypeError("jax_act.along_axis: give the VJP as vjp=, as its two terms=, or both")
    saves, half_from_input = _settle(saves, highest, deprecated)
    keep = None if saves == "output" else saves
    keeps = "output" if keep is None else (keep.__doc__ or keep.__name__).strip()

    def declare(forward: Callable[..., jax.Array]) -> Callable[..., jax.Array]:
        amap = _AxisMap(forward, inspect.signature(forward), vjp, terms, jvp, fill, zero_masked, keep)
        cores = {"default": _AxisCore(amap, half=False)}
        cores["highest"] = _AxisCore(amap, half=True) if half_from_input else cores["default"]
        what = "the output" if keep is None else keeps.split(",")[0]
        jacobian = _jacobian(amap, cores)
        return publish(forward, amap.signature, lambda face: _face(amap, cores, face), jacobian, jacobian.__doc__,
                       kind="axis_map", formula=formula, derivative_text=derivative_text, kinks=kinks, saves=keeps,
                       saves_highest="the input (16-bit input), else " + keeps if half_from_input else None,
                       static=("axis",), aliases=aliases, jax_nn=jax_nn, probes=probes,
                       reference=reference, derivative_name=f"{amap.name}_jacobian",
                       gradient_terms=None if terms is None else functools.partial(_larger_term, amap, cores["default"]),
                       note=half_note(what, "highest") if half_from_input else None)

    return declare


@dataclasses.dataclass(frozen=True)
class _AxisMap:
    """One declared map: its forward body, its two products, and how masked entries are
    filled and zeroed."""

    forward: Callable[..., jax.Array]
    signature: inspect.Signature
    closed_vjp: Product | None  # vᵀJ, or
    terms: Terms | None  # its two terms
    tangent: Product | None  # J v, where J is not symmetric
    fill: float
    zero_masked: bool
    keep: Callable[[jax.Array, tuple[int, ...]], jax.Array] | None

    @property
    def name(self) -> str:
        return self.forward.__name__

    def vjp(self, y: jax.Array, v: jax.Array, axes: tuple[int, ...]) -> jax.Array:
        if self.closed_vjp is not None:
            return self.closed_vjp(y, v, axes)
        a, b = self.terms(y, v, axes)
        return a - b

    def jvp(self, y: jax.Array, t: jax.Array, axes: tuple[int, ...]) -> jax.Array:
        return self.vjp(y, t, axes) if self.tangent is None else self.tangent(y, t, axes)

    def prepare(self, fname: str, args: tuple, kwargs: dict) -> tuple[tuple[int, ...], jax.Array, Any]:
        """``(axes, x, mask)``: the call's arguments checked, x promoted to a floating dtype."""
        bound = self.signature.bind(*args, **kwargs)
        bound.apply_defaults()
        x = float_input(fname, bound.arguments["x"])
        axes = check_axis(fname, bound.arguments["axis"], x.ndim)
        return axes, x, check_where(fname, bound.arguments.get("where"), x.shape)

    def masked_out(self, x: jax.Array, mask: jax.Array | None) -> jax.Array:
        """Masked entries take no part: ``fill``, whatever they held."""
        return x if mask is None else jax.lax.select(mask, x, jnp.full_like(x, self.fill))

    def filled(self, x: jax.Array, mask: jax.Array | None) -> jax.Array:
        return self.masked_out(x, mask).astype(compute_dtype(x.dtype))

    def evaluate(self, axes: tuple[int, ...], x: jax.Array, mask: jax.Array | None = None) -> jax.Array:
        return self.forward(self.filled(x, mask), axes).astype(x.dtype)

    # The mask goes into the core, not around it: every product is 0 on entries whose output
    # is the "absent" value (0, or −inf for log_softmax), so masked entries get no gradient
    # without the backward pass keeping the mask, unless ``zero_masked``.
    def product(self, which: Product, y: jax.Array, v: jax.Array, axes: tuple[int, ...], mask: Any) -> jax.Array:
        y, v = (a.astype(compute_dtype(a.dtype)) for a in (y, v))
        if mask is None or not self.zero_masked:
            return which(y, v, axes).astype(y.dtype)
        zero = jnp.zeros_like(v)
        return jax.lax.select(mask, which(y, jax.lax.select(mask, v, zero), axes), zero)


class _AxisCore:
    """A map's ``custom_vjp`` core (:attr:`vjp`) and ``custom_jvp`` twin (:attr:`twin`) at one
    level, both called as ``core(axes, x, mask)``; ``half`` is ``half_from_input`` there."""

    def __init__(self, amap: _AxisMap, half: bool) -> None:
        self.map, self.half = amap, half
        self.vjp, self.twin = custom_pair(amap.evaluate, jvp=self._tangent, save=self._save, vjp=self._pullback,
                                          kept="output" if amap.keep is None else None)

    def from_input(self, dtype: Any) -> bool:
        return self.half and dtype in HALF

    def kept(self, axes: tuple[int, ...], xs: tuple, y: jax.Array) -> jax.Array:
        """What the products take: y, or what ``keep`` computes; in float32 from x, for a
        16-bit input at a ``half`` level."""
        amap = self.map
        if self.from_input(y.dtype):
            return (amap.forward if amap.keep is None else amap.keep)(amap.filled(*xs), axes)
        return y if amap.keep is None else amap.keep(amap.filled(*xs), axes).astype(y.dtype)

    def _tangent(self, axes: tuple[int, ...], xs: tuple, y: jax.Array, ts: tuple) -> jax.Array:
        return self.map.product(self.map.jvp, self.kept(axes, xs, y), ts[0], axes, xs[1]).astype(y.dtype)

    def _save(self, axes: tuple[int, ...], xs: tuple, y: jax.Array) -> tuple:
        # (+ the mask, for products that do not vanish on masked entries by themselves); a
        # 16-bit input at a half level keeps x, masked entries filled (the same bytes as y)
        first = self.map.masked_out(*xs) if self.from_input(y.dtype) else self.kept(axes, xs, y)
        return first, xs[1] if self.map.zero_masked else None

    def _pullback(self, axes: tuple[int, ...], res: tuple, g: jax.Array) -> tuple:
        s = res[0]
        if self.from_input(s.dtype):  # s is x: y (or keep's array) again, in float32
            s = self.kept(axes, (s, None), s)
        return self.map.product(self.map.vjp, s, g, axes, res[1]).astype(g.dtype), None


def _settle(saves: Any, highest: dict[str, bool] | None, deprecated: dict[str, Any]) -> tuple[Any, bool]:
    """``saves`` and the highest level's ``half_from_input``, from the earlier keywords too."""
    if set(deprecated) - {"keep", "keeps", "half_from_input"}:
        raise TypeError(f"jax_act.along_axis: unexpected keyword arguments {sorted(deprecated)}")
    if set(highest or {}) - {"half_from_input"}:
        raise TypeError(f"jax_act.along_axis: highest= takes half_from_input, got {sorted(highest or {})}")
    if deprecated:
        warnings.warn("jax_act.along_axis: keep=/keeps= and half_from_input= are deprecated; use saves= (a function "
                      "whose docstring names what it keeps) and highest=dict(half_from_input=...)",
                      DeprecationWarning, stacklevel=3)
    keep = deprecated.get("keep")
    if keep is not None and "keeps" in deprecated:
        keep = _named(keep, deprecated["keeps"])
    half = (highest or {}).get("half_from_input", deprecated.get("half_from_input", True))
    return (keep if keep is not None else saves), half


def _named(keep: Callable, words: str) -> Callable:
    def kept(x: jax.Array, axes: tuple[int, ...]) -> jax.Array:
        return keep(x, axes)

    kept.__doc__ = words
    return kept


def _face(amap: _AxisMap, cores: dict[str, _AxisCore], which: str) -> Callable[..., jax.Array]:
    def impl(*args: Any, accuracy: str, **kwargs: Any) -> jax.Array:
        return getattr(cores[accuracy], which)(*amap.prepare(amap.name, args, kwargs))

    return impl


def _larger_term(amap: _AxisMap, core: _AxisCore, x: jax.Array, v: jax.Array) -> jax.Array:
    """max(|a|, |b|) of the VJP's two terms at rows along the last axis of ``x`` and cotangents
    ``v`` (no mask): the scale its error is judged in, computed in ``x``'s dtype."""
    last = (x.ndim - 1,)
    a, b = amap.terms(core.kept(last, (x, None), amap.evaluate(last, x)), v.astype(x.dtype), last)
    return jnp.maximum(jnp.abs(a), jnp.abs(b))


def _jacobian(amap: _AxisMap, cores: dict[str, _AxisCore]) -> Callable[..., jax.Array]:
    def jacobian(*args: Any, accuracy: str, **kwargs: Any) -> jax.Array:
        """Jacobian along the (flattened) axes: shape ``batch + (n, n)``, from the closed form."""
        axes, x, mask = amap.prepare(f"derivative({amap.name})", args, kwargs)
        xt, _ = flatten_axes(x, axes)
        last = (xt.ndim - 1,)
        mt = None if mask is None else flatten_axes(mask, axes)[0]
        y = cores[accuracy].kept(last, (xt, mt), amap.evaluate(last, xt, mt))
        eye = jnp.eye(xt.shape[-1], dtype=y.dtype)
        column = lambda e: amap.product(amap.jvp, y, jnp.broadcast_to(e, y.shape), last, mt)  # noqa: E731
        return jax.vmap(column, out_axes=-1)(eye).astype(xt.dtype)

    return jacobian
