"""The fused output layer as Pallas kernels: each token × vocabulary tile of logits is formed on
chip and never written to memory (``implementation="pallas"``).

* forward, one program per block of ``bt`` tokens: the vocabulary in tiles of ``bv`` columns,
  an online maximum and sum of exponentials, the label's logit and the sum of logits
  (smoothing): per token, ``lse`` and the loss;
* backward, ``dx``: one program per token block, each vocabulary tile recomputed, its
  ``dz = ∂ℓ/∂z`` formed (softmax, smoothing, z-loss and soft-cap terms) and ``dz Wᵀ`` added;
* backward, ``dW`` and ``db``: one program per vocabulary tile, each token block recomputed and
  ``xᵀ dz`` added, so every tile of ``dW`` is written once.

No array the size of the logits exists; the backward pass keeps the inputs and each token's
``lse``. The matmuls take the inputs' dtype and accumulate in float32 (float64 for float64),
as the XLA walk. Tiles are padded to whole blocks: padded tokens have coefficient 0, padded
columns take no part. The kernels run on GPU (Triton) and, with ``interpret=True``, anywhere:
the tests run them on CPU. Inside ``shard_map`` with ``vocab_axis_name`` the call goes through
the XLA walk.
"""

from __future__ import annotations

import functools
from typing import Any

import jax
import jax.numpy as jnp
from jax import Array
from jax.experimental import pallas as pl

TOKEN_TILE, VOCAB_TILE = 64, 256  # the most tokens and columns of one tile


def _tile(size: int, most: int) -> int:
    """A power of two, at least 16, at most ``most``, no larger than ``size`` needs."""
    return max(16, min(most, pl.next_power_of_2(max(size, 1))))


def _padded(a: Array, axis: int, to: int, value: Any = 0) -> Array:
    pad = [(0, 0)] * a.ndim
    pad[axis] = (0, to - a.shape[axis])
    return jnp.pad(a, pad, constant_values=value) if to > a.shape[axis] else a


def _logit_tile(x: Array, w: Array, b: Array, acc: Any, o: Any) -> Array:
    z = jnp.dot(x, w, precision=o.precision, preferred_element_type=acc) + b.astype(acc)
    return z if o.cap is None else o.cap * jnp.tanh(z / o.cap)


def _dz_tile(z: Array, cols: Array, live: Array, y: Array, lse: Array, coef: Array, o: Any) -> Array:
    """∂(Σ coef·ℓ)/∂z on a tile: the XLA walk's formula (``_linear_ce._dz``)."""
    from ._linear_ce import _dz

    return _dz(z, cols, live, y, lse, coef, o)


def _forward_kernel(o: Any, v: int, bv: int, nv: int, x_ref, w_ref, b_ref, y_ref, lse_ref, label_ref, zsum_ref, found_ref):
    x, y = x_ref[...], y_ref[...]
    acc = lse_ref.dtype
    low = jnp.full(y.shape, jnp.finfo(acc).min, acc)
    zero = jnp.zeros(y.shape, acc)

    def step(j, carry):
        top, total, label, zsum, found = carry
        start = pl.multiple_of(j * bv, bv)
        cols = start + jnp.arange(bv)
        live = cols < v
        z = _logit_tile(x, w_ref[:, pl.ds(start, bv)], b_ref[pl.ds(start, bv)], acc, o)
        zm = jnp.where(live[None, :], z, -jnp.inf)
        new = jnp.maximum(top, jnp.max(zm, -1))
        total = total * jnp.exp(top - new) + jnp.sum(jnp.exp(zm - new[:, None]), -1)
        hit = (cols[None, :] == y[:, None]) & live[None, :]
        label = label + jnp.sum(jnp.where(hit, z, 0), -1)
        zsum = zsum + jnp.sum(jnp.where(live[None, :], z, 0), -1)
        return new, total, label, zsum, found + jnp.sum(hit, -1, dtype=jnp.int32)

    top, total, label, zsum, found = jax.lax.fori_loop(0, nv, step, (low, zero, zero, zero, jnp.zeros(y.shape, jnp.int32)))
    lse_ref[...] = top + jnp.log(total)
    label_ref[...] = label
    zsum_ref[...] = zsum
    found_ref[...] = found


def _dx_kernel(o: Any, v: int, bv: int, nv: int, mm: Any, x_ref, w_ref, b_ref, y_ref, lse_ref, coef_ref, dx_ref):
    x, y, lse, coef = x_ref[...], y_ref[...], lse_ref[...], coef_ref[...]
    acc = lse.dtype

    def step(j, dx):
        start = pl.multiple_of(j * bv, bv)
        cols = start + jnp.arange(bv)
        w = w_ref[:, pl.ds(start, bv)]
        dz = _dz_tile(_logit_tile(x, w, b_ref[pl.ds(start, bv)], acc, o), cols, cols < v, y, lse, coef, o)
        return dx + jnp.dot(dz.astype(mm), w.T, precision=o.precision, preferred_element_type=acc)

    dx_ref[...] = jax.lax.fori_loop(0, nv, step, jnp.zeros(dx_ref.shape, acc)).astype(dx_ref.dtype)


def _dw_kernel(o: Any, v: int, bv: int, bt: int, nt: int, mm: Any, x_ref, w_ref, b_ref, y_ref, lse_ref, coef_ref,
               dw_ref, db_ref):
    start = pl.program_id(0) * bv
    cols = start + jnp.arange(bv)
    w, b = w_ref[...], b_ref[...]
    acc = dw_ref.dtype

    def step(i, carry):
        dw, db = carry
        rows = pl.ds(pl.multiple_of(i * bt, bt), bt)
        x = x_ref[rows, :]
        dz = _dz_tile(_logit_tile(x, w, b, acc, o), cols, cols < v, y_ref[rows], lse_ref[rows], coef_ref[rows], o)
        dw = dw + jnp.dot(x.T, dz.astype(mm), precision=o.precision, preferred_element_type=acc)
        return dw, db + jnp.sum(dz, 0)

    dw, db = jax.lax.fori_loop(0, nt, step, (jnp.zeros(dw_ref.shape, acc), jnp.zeros(db_ref.shape, acc)))
    dw_ref[...] = dw
    db_ref[...] = db


def _layout(x: Array, w: Array, b: Array | None, y: Array) -> tuple:
    """The inputs padded to whole tiles: ``(x, w, b, y, bt, bv)``; padded columns are masked
    inside the kernels, padded tokens get coefficient 0."""
    n, v = x.shape[0], w.shape[1]
    bt, bv = _tile(n, TOKEN_TILE), _tile(v, VOCAB_TILE)
    np_, vp = -(-n // bt) * bt, -(-v // bv) * bv
    b = jnp.zeros((v,), w.dtype) if b is None else b
    return _padded(x, 0, np_), _padded(w, 1, vp), _padded(b, 0, vp), _padded(y, 0, np_), bt, bv


def _interpret() -> bool:
    return jax.default_backend() not in ("gpu", "cuda", "rocm")


def forward(o: Any, x: Array, w: Array, b: Array | None, y: Array) -> tuple[Array, Array, Array, Array]:
    """Per token: ``(lse, label logit, Σ logits, label found)``."""
    n, v = x.shape[0], w.shape[1]
    xp, wp, bp, yp, bt, bv = _layout(x, w, b, y)
    acc = jnp.promote_types(x.dtype, jnp.float32)
    tokens = pl.BlockSpec((bt,), lambda i: (i,))
    outs = pl.pallas_call(
        functools.partial(_forward_kernel, o, v, bv, wp.shape[1] // bv),
        grid=(xp.shape[0] // bt,),
        in_specs=[pl.BlockSpec((bt, xp.shape[1]), lambda i: (i, 0)), pl.BlockSpec(wp.shape, lambda i: (0, 0)),
                  pl.BlockSpec(bp.shape, lambda i: (0,)), tokens],
        out_specs=[tokens] * 4,
        out_shape=[jax.ShapeDtypeStruct((xp.shape[0],), acc)] * 3 + [jax.ShapeDtypeStruct((xp.shape[0],), jnp.int32)],
        interpret=_interpret(),
    )(xp, wp, bp, yp)
    return tuple(a[:n] for a in outs)


def gradients(o: Any, x: Array, w: Array, b: Array | None, y: Array, lse: Array, coef: Array,
              want_dx: bool, want_dw: bool) -> tuple[Array | None, Array | None, Array | None]:
    """``(dx, dW, db)`` of Σ coef·ℓ: dx in ``x``'s dtype, dW and db in float32 (float64)."""
    n, v = x.shape[0], w.shape[1]
    xp, wp, bp, yp, bt, bv = _layout(x, w, b, y)
    lp, cp = _padded(lse, 0, xp.shape[0]), _padded(coef, 0, xp.shape[0])
    acc = lse.dtype
    mm = jnp.result_type(x, w)
    dx = dw = db = None
    if want_dx:
        tokens = pl.BlockSpec((bt,), lambda i: (i,))
        dx = pl.pallas_call(
            functools.partial(_dx_kernel, o, v, bv, wp.shape[1] // bv, mm),
            grid=(xp.shape[0] // bt,),
            in_specs=[pl.BlockSpec((bt, xp.shape[1]), lambda i: (i, 0)), pl.BlockSpec(wp.shape, lambda i: (0, 0)),
                      pl.BlockSpec(bp.shape, lambda i: (0,)), tokens, tokens, tokens],
            out_specs=pl.BlockSpec((bt, xp.shape[1]), lambda i: (i, 0)),
            out_shape=jax.ShapeDtypeStruct(xp.shape, x.dtype),
            interpret=_interpret(),
        )(xp, wp, bp, yp, lp, cp)[:n]
    if want_dw:
        every = pl.BlockSpec((xp.shape[0],), lambda j: (0,))
        dw, db = pl.pallas_call(
            functools.partial(_dw_kernel, o, v, bv, bt, xp.shape[0] // bt, mm),
            grid=(wp.shape[1] // bv,),
            in_specs=[pl.BlockSpec(xp.shape, lambda j: (0, 0)), pl.BlockSpec((wp.shape[0], bv), lambda j: (0, j)),
                      pl.BlockSpec((bv,), lambda j: (j,)), every, every, every],
            out_specs=[pl.BlockSpec((wp.shape[0], bv), lambda j: (0, j)), pl.BlockSpec((bv,), lambda j: (j,))],
            out_shape=[jax.ShapeDtypeStruct(wp.shape, acc), jax.ShapeDtypeStruct((wp.shape[1],), acc)],
            interpret=_interpret(),
        )(xp, wp, bp, yp, lp, cp)
        dw, db = dw[:, :v], db[:v]
    return dx, dw, db
