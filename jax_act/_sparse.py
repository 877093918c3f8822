"""Sparse probability maps along an axis: sparsemax and entmax-1.5, by their exact sort-based
algorithms. Both keep only their output for the backward pass: their Jacobians are written
in terms of it (and are symmetric, so the JVP and the VJP are the same product).
"""

from __future__ import annotations

from typing import Any, Callable

import jax
import jax.numpy as jnp
from jax import Array
from jax.typing import ArrayLike

from ._engine import Axis, Probes, along_axis, check_axis, flatten_axes

__all__ = ["sparsemax", "entmax15"]


def _row_solver(threshold: Callable[[Array, Array], tuple[Array, Array]]) -> Callable[..., Array]:
    """The shared frame of both maps along ``axes``: shift by the row maximum, sort each row
    descending, let ``threshold(zs, k)`` give each prefix's candidate τ and whether the
    prefix lies in the support, then pick τ of the whole support.

    ``zs``: sorted rows with −inf entries (absent) replaced by 0 (and never in the support),
    ``k = 1..n``. A row with nothing finite gives 0; a row holding +inf or NaN
    gives NaN.
    """

    def forward(x: Array, axes: tuple[int, ...]) -> tuple[Array, Array]:
        z, restore = flatten_axes(x, axes)
        top = jnp.max(z, -1, keepdims=True, initial=-jnp.inf)
        z = z - jnp.where(top == -jnp.inf, 0, top)  # shift-invariant; the maximum becomes 0
        zs = -jnp.sort(-z, axis=-1)  # descending; −inf last
        live = zs > -jnp.inf
        zs = jnp.where(live, zs, 0)
        k = jnp.arange(1, z.shape[-1] + 1, dtype=z.dtype)
        tau, inside = threshold(zs, k)
        size = jnp.sum(inside & live, -1, keepdims=True)  # the support is a prefix
        tau_star = jnp.take_along_axis(tau, jnp.maximum(size - 1, 0), -1)
        bad = jnp.isnan(top) | (top == jnp.inf)
        return z, tau_star, size, bad, restore

    return forward


def _sparsemax_threshold(zs: Array, k: Array) -> tuple[Array, Array]:
    cs = jnp.cumsum(zs, -1)
    return (cs - 1) / k, 1 + k * zs > cs


def _entmax15_threshold(zs: Array, k: Array) -> tuple[Array, Array]:
    # τ_k solves Σ_{j≤k} (z_j − τ)² = 1: τ = mean − √((1 − k·var)/k) (Peters et al. 2019, alg. 2)
    mean = jnp.cumsum(zs, -1) / k
    var = jnp.maximum(jnp.cumsum(zs * zs, -1) / k - mean * mean, 0)
    tau = mean - jnp.sqrt(jnp.maximum((1 - k * var) / k, 0))
    return tau, tau <= zs


_sparsemax_rows = _row_solver(_sparsemax_threshold)
_entmax15_rows = _row_solver(_entmax15_threshold)


def _finish(y: Array, size: Array, bad: Array, restore: Callable[[Array], Array]) -> Array:
    y = jnp.where(size > 0, y, 0)
    return restore(jnp.where(bad, jnp.nan, y))


def _sum(v: Array, axes: tuple[int, ...]) -> Array:
    return jnp.sum(v, axes, keepdims=True)


def _sparsemax_terms(y: Array, v: Array, axes: tuple[int, ...]) -> tuple[Array, Array]:
    s = (y > 0).astype(y.dtype)  # the support (0 or 1: s·v − s·m is s·(v − m) exactly)
    return s * v, s * (_sum(s * v, axes) / jnp.maximum(_sum(s, axes), 1))


def _entmax15_terms(y: Array, v: Array, axes: tuple[int, ...]) -> tuple[Array, Array]:
    # √y with a zero derivative off the support (where dy = 0 too): second derivatives
    # through this product stay finite instead of ∞ · 0 = NaN
    live = y > 0
    s = jnp.where(live, jnp.sqrt(jnp.where(live, y, 1)), 0)
    total = _sum(s, axes)
    return s * v, s * _sum(s * v, axes) / jnp.where(total == 0, 1, total)


def _plain_entmax(z_of: Callable[[Array], Array], power: int) -> Callable[..., Array]:
    """The plain sort-based formula, for the testing kit's oracle (under jax.grad, float64):
    masked entries are moved 10 below the row's smallest entry, outside any support; each
    row is shifted by its maximum (the maps are shift-invariant), so large inputs keep
    their digits."""

    def reference(x: Array, axis: Axis = -1, where: Any = None) -> Array:
        axes = check_axis("reference", axis, x.ndim)
        xm = x if where is None else jnp.where(where, x, jnp.min(x) - 10)
        z, restore = flatten_axes(z_of(xm), axes)
        z = z - jax.lax.stop_gradient(jnp.max(z, -1, keepdims=True))
        zs = -jnp.sort(-z, axis=-1)
        k = jnp.arange(1, z.shape[-1] + 1, dtype=z.dtype)
        if power == 1:
            tau_k, inside = (jnp.cumsum(zs, -1) - 1) / k, 1 + k * zs > jnp.cumsum(zs, -1)
        else:
            m = jnp.cumsum(zs, -1) / k
            u = (1 - (jnp.cumsum(zs**2, -1) - k * m**2)) / k  # < 0 past the support
            tau_k = m - jnp.where(u > 0, jnp.sqrt(jnp.where(u > 0, u, 1)), 0)  # no 0·NaN in grad
            inside = tau_k <= zs
        size = jnp.sum(inside, -1, keepdims=True)
        tau = jnp.take_along_axis(tau_k, size - 1, -1)
        y = restore(jnp.maximum(z - tau, 0) ** power)
        return y if where is None else jnp.where(where, y, 0)

    return reference


@along_axis(
    terms=_sparsemax_terms,
    formula="sparsemax(x) = argmin_{p ∈ Δ} ‖p − x‖² = [x − τ]₊",
    derivative_text="J = diag(s) − s sᵀ/|S|, s = [y > 0]; JVP s ⊙ (v − ⟨s, v⟩/|S|)",
    kinks="where an entry leaves the support (x_i = τ) the smaller support's Jacobian: gradient 0 there",
    reference=_plain_entmax(lambda x: x, 1),
    probes=Probes(smooth=False),
    highest=dict(half_from_input=False),  # the products read only the support from y: exact from 16 bits
)
def sparsemax(x: ArrayLike, axis: Axis = -1, where: ArrayLike | None = None) -> Array:
    """Sparsemax along ``axis`` (Martins & Astudillo, 2016): the Euclidean projection onto the
    probability simplex, by the exact sort-based algorithm.

    Excluded and −inf entries give 0 with gradient 0; a row with no entry left gives 0; +inf
    or NaN gives NaN. 16-bit input is computed in float32.
    """
    z, tau, size, bad, restore = _sparsemax_rows(x, axis)
    return _finish(jnp.maximum(z - tau, 0), size, bad, restore)


@along_axis(
    terms=_entmax15_terms,
    formula="entmax15(x) = [x/2 − τ]₊², Σ = 1",
    derivative_text="J = diag(s) − s sᵀ/Σs, s = √y; JVP s ⊙ v − s ⟨s, v⟩/Σs",
    kinks="none: C¹ (the second derivative jumps where an entry leaves the support)",
    reference=_plain_entmax(lambda x: x / 2, 2),
    probes=Probes(smooth=False),
    highest=dict(half_from_input=False),  # √y from a 16-bit y: 99.9% correctly rounded, and no sort again
)
def entmax15(x: ArrayLike, axis: Axis = -1, where: ArrayLike | None = None) -> Array:
    """1.5-entmax along ``axis`` (Peters, Niculae & Martins, 2019), by the exact sort-based
    algorithm: sparse like sparsemax, smooth like softmax in between.

    Excluded and −inf entries give 0 with gradient 0; a row with no entry left gives 0; +inf
    or NaN gives NaN. 16-bit input is computed in float32.
    """
    z, tau, size, bad, restore = _entmax15_rows(x / 2, axis)
    return _finish(jnp.maximum(z - tau, 0) ** 2, size, bad, restore)
