r"""The output layer and its loss in one: ``hidden @ weight + bias`` → softmax cross-entropy,
walked in chunks so that the logits never exist whole.

Per token, with logits :math:`z = x W + b`, optionally soft-capped :math:`z' = c\tanh(z/c)`,
:math:`\mathrm{lse} = \log\sum_v e^{z'_v}`, smoothed targets
:math:`t = (1-\alpha)\,\mathrm{onehot}(y) + \alpha/V` and a z-loss coefficient :math:`\zeta`:

.. math::
    \ell = \mathrm{lse} - \sum_v t_v z'_v + \zeta\,\mathrm{lse}^2, \qquad
    \frac{\partial \ell}{\partial z'_v} = p_v (1 + 2\zeta\,\mathrm{lse}) - t_v, \qquad
    \frac{\partial z'_v}{\partial z_v} = 1 - (z'_v / c)^2,

with :math:`p = \mathrm{softmax}(z')`. Then :math:`dx = dz\,W^\top`, :math:`dW = x^\top dz`,
:math:`db = \sum dz`.

How it walks. The tokens are split into chunks of ``T`` (strided: chunk ``i`` holds tokens
``i, i + n, i + 2n, …``, so a token-sharded batch stays sharded inside every chunk), and each
token chunk walks the vocabulary in chunks of ``Vc`` columns with an online maximum and sum of
exponentials. When the whole vocabulary fits one chunk (``Vc = V``), a scalar loss under
``grad`` is one pass: each chunk's logits give its loss and, from them, its share of
``dx``, ``dW`` and ``db`` — three matmuls in all, as the unfused path, and what is kept for
the backward pass is the three gradients. Otherwise the token chunk takes a second pass with
its log-sum-exp known (one matmul more). ``reduction="none"`` keeps the inputs and each token's
log-sum-exp and walks again in the backward pass, when the per-token cotangents are known.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax import Array, lax
from jax.typing import ArrayLike

from ._ce_plan import CHUNKINGS, Plan, plan
from ._engine import check_array, site, tag
from ._engine.checks import explain_forward_mode

FNAME = "losses.linear_softmax_cross_entropy_with_integer_labels"
REDUCTIONS = ("mean", "sum", "none")


class Options(NamedTuple):
    precision: Any  # of the three matmuls, as jnp.dot's (None: the backend's default)
    smoothing: float
    z_loss: float
    cap: float | None
    reduction: str
    plan: Plan
    vocab: int  # the whole vocabulary (all shards)
    axis_name: Any  # the mesh axis the vocabulary is sharded over, or None
    name: str  # what the residuals are named, for jax.checkpoint policies


# --------------------------------------------------------------------------- one chunk


def _capped(z: Array, cap: float | None) -> Array:
    return z if cap is None else cap * jnp.tanh(z / cap)


def _logits(x: Array, w: Array, b: Array | None, acc: Any, precision: Any = None) -> Array:
    z = lax.dot_general(x, w, (((1,), (0,)), ((), ())), precision=precision, preferred_element_type=acc)
    return z if b is None else z + b.astype(acc)


class Stats(NamedTuple):
    """Per token, over the columns seen so far: running max, Σ e^(z' − max), the label's
    logit, whether the label was seen, and Σ z' (for smoothing)."""

    top: Array
    total: Array
    label: Array
    found: Array
    zsum: Array


def _empty_stats(t: int, acc: Any) -> Stats:
    low = jnp.full((t,), jnp.finfo(acc).min, acc)  # not −inf: e^(−inf − (−inf)) is NaN
    zero = jnp.zeros((t,), acc)
    return Stats(low, zero, zero, jnp.zeros((t,), bool), zero)


def _update(st: Stats, z: Array, cols: Array, fresh: Array, y: Array) -> Stats:
    """Fold one chunk of capped logits ``z`` (columns ``cols``; ``fresh`` marks those not
    seen before) into the running statistics."""
    zm = jnp.where(fresh, z, -jnp.inf)
    top = jnp.maximum(st.top, jnp.max(zm, -1))
    total = st.total * jnp.exp(st.top - top) + jnp.sum(jnp.exp(zm - top[:, None]), -1)
    hit = (cols == y[:, None]) & fresh
    label = st.label + jnp.sum(jnp.where(hit, z, 0), -1)
    return Stats(top, total, label, st.found | jnp.any(hit, -1), st.zsum + jnp.sum(jnp.where(fresh, z, 0), -1))


def _varying(a: Array | None, axis_name: Any) -> Array | None:
    """A fresh accumulator for values that differ across the vocabulary shards (inside
    ``shard_map``, a loop carry must say so)."""
    if a is None or axis_name is None:
        return a
    pcast = getattr(lax, "pcast", None)
    if pcast is not None:
        return pcast(a, axis_name, to="varying")
    return lax.pvary(a, axis_name) if hasattr(lax, "pvary") else a


def _combine(st: Stats, axis_name: Any) -> Stats:
    """Across the vocabulary shards: only these per-token numbers travel."""
    if axis_name is None:
        return st
    top = lax.pmax(st.top, axis_name)
    total = lax.psum(st.total * jnp.exp(st.top - top), axis_name)
    found = lax.psum(st.found.astype(jnp.int32), axis_name) > 0
    return Stats(top, total, lax.psum(st.label, axis_name), found, lax.psum(st.zsum, axis_name))


def _token_loss(st: Stats, o: Options) -> tuple[Array, Array]:
    lse = st.top + jnp.log(st.total)
    return _loss(lse, st.label, st.zsum, st.found, o), lse


def _loss(lse: Array, label: Array, zsum: Array, found: Array, o: Options) -> Array:
    """Per token, from its log-sum-exp, label logit and sum of logits."""
    a = o.smoothing
    loss = lse - (1 - a) * label + o.z_loss * lse * lse
    if a:
        loss = loss - (a / o.vocab) * zsum
    # A label outside [0, V) matches no column: its loss is NaN, so it cannot pass unseen.
    return jnp.where(found, loss, jnp.nan)


def _dz(z: Array, cols: Array, fresh: Array, y: Array, lse: Array, coef: Array, o: Options) -> Array:
    """∂(Σ coef · ℓ)/∂z for one chunk of capped logits ``z``; zero on columns seen before
    and on tokens whose ``coef`` is 0 (masked), whatever their logits hold."""
    a = o.smoothing
    d = jnp.exp(z - lse[:, None])
    if o.z_loss:
        d = d * (1 + 2 * o.z_loss * lse)[:, None]
    d = d - jnp.where(cols == y[:, None], 1 - a, 0)
    if a:
        d = d - a / o.vocab
    if o.cap is not None:
        d = d * (1 - jnp.square(z / o.cap))
    return jnp.where(fresh & (coef != 0)[:, None], d * coef[:, None], 0)


# --------------------------------------------------------------------------- the walk


class Grads(NamedTuple):
    dx: Array | None
    dw: Array | None
    db: Array | None


@jax.tree_util.register_static
@dataclasses.dataclass(frozen=True)
class Want:
    """Which gradients are asked for (kept with the residuals, so it is static)."""

    dx: bool
    dw: bool
    db: bool


def _vocab_chunk(w: Array, b: Array | None, j: Array, vc: int, offset: Array) -> tuple:
    """Columns ``[s, s + vc)`` of the weight, ``s = min(j·vc, V − vc)``: the last chunk is
    shifted back rather than padded (no copy of the weight), and its columns below ``j·vc``,
    seen by the previous chunk, are not fresh."""
    v = w.shape[1]
    s = jnp.minimum(j * vc, v - vc)
    wc = lax.dynamic_slice_in_dim(w, s, vc, axis=1)
    bc = None if b is None else lax.dynamic_slice_in_dim(b, s, vc)
    local = s + jnp.arange(vc)
    return wc, bc, s, local + offset, local >= j * vc


def _tokens_last(xw: Array) -> Array:
    """``xwᵀ`` (hidden, tokens), the left operand of ``dW = xwᵀ dz``. XLA:CPU runs a dot on its
    fast (YNNPACK) path only when the left operand contracts its last dimension: ``xwᵀ dz``
    as two token-contracting operands ran 2–2.5× slower at 256–1024 tokens × 32k. The
    barrier keeps the small transpose from being folded back into the dot; other backends
    fold it."""
    return lax.platform_dependent(xw, cpu=lambda a: lax.optimization_barrier(a.T), default=lambda a: a.T)


def _dw_part(xwt: Array, dz: Array, acc: Any, precision: Any) -> Array:
    return lax.dot_general(xwt, dz, (((1,), (0,)), ((), ())), precision=precision, preferred_element_type=acc)


def _dw_update(dw: Array, xwt: Array, dz: Array, block: int, precision: Any = None) -> Array:
    """``dw += xwᵀ dz``, a column block at a time, in place: the product is never a whole
    weight-sized temporary."""
    v = dz.shape[1]
    if block >= v:
        return dw + _dw_part(xwt, dz, dw.dtype, precision)

    def step(j, dw):
        s = jnp.minimum(j * block, v - block)
        part = _dw_part(xwt, lax.dynamic_slice_in_dim(dz, s, block, 1), dw.dtype, precision)
        part = jnp.where(s + jnp.arange(block) >= j * block, part, 0)  # the last block's overlap
        return lax.dynamic_update_slice_in_dim(dw, lax.dynamic_slice_in_dim(dw, s, block, 1) + part, s, 1)

    return lax.fori_loop(0, -(-v // block), step, dw)


def _walk(x: Array, w: Array, b: Array | None, y: Array, coef: Array | None, lse: Array | None,
          acc: Grads, want_dx: bool, o: Options) -> tuple[Array | None, Array | None, Array | None, Grads]:
    """One token chunk ``x`` (T, H) against the whole local vocabulary.

    Without ``lse``: the statistics (and the loss and lse) are computed; with ``coef`` as
    well, the gradients too — in the same pass when the vocabulary is one chunk. With
    ``lse``: only the gradients. ``acc`` holds the running ``dW`` and ``db`` (None where not
    wanted, or no gradient is taken); returns ``(loss, lse, dx, acc)``, ``dx`` if
    ``want_dx``."""
    ad = jnp.promote_types(x.dtype, jnp.float32)
    mm = jnp.result_type(x, w)  # dz enters the gradient matmuls in the inputs' precision
    t, v = x.shape[0], w.shape[1]
    vc = o.plan.vocab
    nv = -(-v // vc)
    offset = 0 if o.axis_name is None else lax.axis_index(o.axis_name) * v
    grads = coef is not None
    # A masked token adds exactly nothing to dW, even from a NaN hidden state.
    xwt = _tokens_last(jnp.where((coef != 0)[:, None], x, 0)) if grads and acc.dw is not None else None

    def grad_terms(z, cols, fresh, wc, s, acc_: Grads, block):
        dz = _dz(z, cols, fresh, y, lse, coef, o)
        dzm = dz.astype(mm)
        dx = (lax.dot_general(dzm, wc, (((1,), (1,)), ((), ())), precision=o.precision, preferred_element_type=ad)
              if want_dx else None)
        dw, db = acc_.dw, acc_.db
        if dw is not None:
            if block:
                dw = _dw_update(dw, xwt, dzm, block, o.precision)
            else:
                part = _dw_part(xwt, dzm, ad, o.precision)
                dw = lax.dynamic_update_slice_in_dim(dw, lax.dynamic_slice_in_dim(dw, s, vc, 1) + part, s, 1)
        if db is not None:
            db = lax.dynamic_update_slice_in_dim(db, lax.dynamic_slice_in_dim(db, s, dz.shape[1]) + jnp.sum(dz, 0), s, 0)
        return dx, Grads(None, dw, db)

    loss = None
    if nv == 1 and lse is None:  # one pass: statistics, then gradients from the same logits
        cols = jnp.arange(v) + offset
        fresh = jnp.ones((v,), bool)
        z = _capped(_logits(x, w, b, ad, o.precision), o.cap)
        st = _combine(_update(_empty_stats(t, ad), z, cols, fresh, y), o.axis_name)
        loss, lse = _token_loss(st, o)
        if not grads:
            return loss, lse, None, acc
        return (loss, lse, *grad_terms(z, cols, fresh, w, 0, acc, o.plan.block))

    if lse is None:
        def stats_step(st, j):
            wc, bc, _, cols, fresh = _vocab_chunk(w, b, j, vc, offset)
            return _update(st, _capped(_logits(x, wc, bc, ad, o.precision), o.cap), cols, fresh, y), None

        st0 = jax.tree.map(lambda a: _varying(a, o.axis_name), _empty_stats(t, ad))
        st, _ = lax.scan(stats_step, st0, jnp.arange(nv))
        loss, lse = _token_loss(_combine(st, o.axis_name), o)
        if not grads:
            return loss, lse, None, acc

    def grad_step(carry, j):
        dx, acc_ = carry
        wc, bc, s, cols, fresh = _vocab_chunk(w, b, j, vc, offset)
        z = _capped(_logits(x, wc, bc, ad, o.precision), o.cap)
        dxc, acc_ = grad_terms(z, cols, fresh, wc, s, acc_, 0)
        return (None if dx is None else dx + dxc, acc_), None

    dx0 = _varying(jnp.zeros((t, x.shape[1]), ad), o.axis_name) if want_dx else None
    (dx, acc), _ = lax.scan(grad_step, (dx0, acc), jnp.arange(nv))
    return loss, lse, dx, acc


def _by_token_chunks(x: Array, w: Array, b: Array | None, y: Array, coef: Array | None, lse: Array | None,
                     want: Want, o: Options) -> tuple[Array | None, Array | None, Grads]:
    """Every token chunk through :func:`_walk`: per-token losses and lse, and the gradients
    (``dx`` per token in ``x``'s dtype, ``dW`` and ``db`` summed over the chunks in float32).

    The tokens are viewed as ``[T, chunks]`` (a reshape, no copy) and chunk ``i`` is column
    ``i``: tokens ``i, i + chunks, …``. Results are written into their rows in place."""
    p = o.plan
    n = x.shape[0]
    ad = jnp.promote_types(x.dtype, jnp.float32)
    grads = coef is not None

    def grid(a: Array | None, fill: Any = 0) -> Array | None:
        if a is None:
            return None
        if p.padded > n:  # padded tokens (label 0, coef 0) are computed and dropped
            a = jnp.pad(a, [(0, p.padded - n)] + [(0, 0)] * (a.ndim - 1), constant_values=fill)
        return a.reshape((p.tokens, p.chunks) + a.shape[1:])

    def column(a: Array | None, i: Array) -> Array | None:
        return None if a is None else lax.dynamic_index_in_dim(a, i, 1, keepdims=False)

    def put(a: Array | None, i: Array, v: Array | None) -> Array | None:
        return None if a is None else lax.dynamic_update_index_in_dim(a, v.astype(a.dtype), i, 1)

    xs, ys, cs, ls = grid(x), grid(y), grid(coef), grid(lse)
    first = lse is None  # the forward walk: losses and lse come out
    shards = o.axis_name
    out = (
        jnp.zeros((p.tokens, p.chunks), ad) if first else None,
        jnp.zeros((p.tokens, p.chunks), ad) if first else None,
        # dx sums over the vocabulary: in float32 while it is a partial sum across shards
        _varying(jnp.zeros((p.tokens, p.chunks, x.shape[1]), x.dtype if shards is None else ad), shards)
        if want.dx and grads else None,
        Grads(None, _varying(jnp.zeros(w.shape, ad), shards) if want.dw and grads else None,
              _varying(jnp.zeros(w.shape[1:], ad), shards) if want.db and grads and b is not None else None),
    )

    def step(i, carry):
        loss_o, lse_o, dx_o, acc = carry
        loss, lse_, dx, acc = _walk(column(xs, i), w, b, column(ys, i), column(cs, i),
                                    column(ls, i), acc, want.dx and grads, o)
        return put(loss_o, i, loss), put(lse_o, i, lse_), put(dx_o, i, dx), acc

    loss, lse_out, dx, acc = lax.fori_loop(0, p.chunks, step, out)
    if dx is not None and shards is not None:  # the one exchange of the size of hidden
        dx = lax.psum(dx, shards).astype(x.dtype)

    def rows(a: Array | None) -> Array | None:
        return None if a is None else a.reshape((p.padded,) + a.shape[2:])[:n]

    return rows(loss), rows(lse_out), Grads(rows(dx), acc.dw, acc.db)


# --------------------------------------------------------------------------- custom_vjp


def _value(v: Any) -> Any:
    return getattr(v, "value", v)


def _perturbed(v: Any) -> bool:
    return bool(getattr(v, "perturbed", v is not None))


def _reduce(loss: Array, valid: Array, o: Options) -> tuple[Array, Array | None]:
    """The reduced loss, and the per-token weight of its gradient (scalar reductions)."""
    loss = jnp.where(valid, loss, 0)
    if o.reduction == "none":
        return loss, None
    total = jnp.sum(loss)
    if o.reduction == "sum":
        return total, valid.astype(loss.dtype)
    count = jnp.maximum(jnp.sum(valid), 1).astype(loss.dtype)  # all masked: 0 / 1 = 0
    return total / count, valid.astype(loss.dtype) / count


@functools.partial(jax.custom_vjp, nondiff_argnums=(0,))
def _fused(o: Options, x: Array, w: Array, b: Array | None, y: Array, valid: Array) -> tuple[Array, Array]:
    loss, lse, _ = _by_token_chunks(x, w, b, y, None, None, Want(False, False, False), o)
    return _reduce(loss, valid, o)[0], lse


def _in_dtypes(g: Grads, x: Array, w: Array, b: Array | None) -> Grads:
    """The gradients in their inputs' dtypes (accumulated in float32 or float64)."""
    return Grads(*(None if d is None else d.astype(a.dtype) for d, a in zip(g, (x, w, b))))


def _fused_fwd(o: Options, x: Any, w: Any, b: Any, y: Any, valid: Any) -> tuple:
    want = Want(_perturbed(x), _perturbed(w), _perturbed(b) and _value(b) is not None)
    x, w, b, y, valid = map(_value, (x, w, b, y, valid))
    if o.reduction == "none":  # per-token cotangents come later: keep the inputs and lse
        loss, lse, _ = _by_token_chunks(x, w, b, y, None, None, want, o)
        return (jnp.where(valid, loss, 0), lse), (x, w, b, y, valid, tag(o.name, lse), want)
    # A scalar loss: its gradient up to the scalar cotangent is known now, so compute it in
    # this pass and keep only it.
    count_weight = _reduce(jnp.zeros(valid.shape, jnp.promote_types(x.dtype, jnp.float32)), valid, o)[1]
    loss, lse, g = _by_token_chunks(x, w, b, y, count_weight, None, want, o)
    return (_reduce(loss, valid, o)[0], lse), tag(o.name, _in_dtypes(g, x, w, b))


def _fused_bwd(o: Options, res: tuple, cts: tuple) -> tuple:
    ct = cts[0]
    if o.reduction == "none":
        x, w, b, y, valid, lse, want = res
        if isinstance(ct, jax.custom_derivatives.SymbolicZero):
            return (None,) * 5
        coef = jnp.where(valid, ct.astype(lse.dtype), 0)
        _, _, g = _by_token_chunks(x, w, b, y, coef, lse, want, o)
        return (*_in_dtypes(g, x, w, b), None, None)
    if isinstance(ct, jax.custom_derivatives.SymbolicZero):
        return (None,) * 5
    return tuple(None if g is None else (g.astype(ct.dtype) * ct).astype(g.dtype) for g in res) + (None, None)


_fused.defvjp(_fused_fwd, _fused_bwd, symbolic_zeros=True)


@functools.partial(jax.custom_vjp, nondiff_argnums=(0,))
def _fused_kernel(o: Options, x: Array, w: Array, b: Array | None, y: Array, valid: Array) -> tuple[Array, Array]:
    return _kernel_fwd(o, x, w, b, y, valid)[0]


def _kernel_fwd(o: Options, x: Any, w: Any, b: Any, y: Any, valid: Any) -> tuple:
    """The Pallas kernels (:mod:`._linear_ce_kernel`): per-token statistics now, the gradients
    in the backward pass from the inputs and each token's lse (the tiles are recomputed)."""
    from . import _linear_ce_kernel as kernel

    want = Want(_perturbed(x), _perturbed(w), _perturbed(b) and _value(b) is not None)
    x, w, b, y, valid = map(_value, (x, w, b, y, valid))
    lse, label, zsum, found = kernel.forward(o, x, w, b, y)
    loss, _ = _reduce(_loss(lse, label, zsum, found > 0, o), valid, o)
    return (loss, lse), (x, w, b, y, valid, tag(o.name, lse), want)


def _kernel_bwd(o: Options, res: tuple, cts: tuple) -> tuple:
    from . import _linear_ce_kernel as kernel

    x, w, b, y, valid, lse, want = res
    ct = cts[0]
    if isinstance(ct, jax.custom_derivatives.SymbolicZero):
        return (None,) * 5
    weight = _reduce(jnp.zeros(valid.shape, lse.dtype), valid, o)[1] if o.reduction != "none" else valid.astype(lse.dtype)
    coef = jnp.where(valid, weight * ct.astype(lse.dtype), 0)
    dx, dw, db = kernel.gradients(o, x, w, b, y, lse, coef, want.dx, want.dw or want.db)
    g = Grads(dx, dw if want.dw else None, db if want.db else None)
    return (*_in_dtypes(g, x, w, b), None, None)


_fused_kernel.defvjp(_kernel_fwd, _kernel_bwd, symbolic_zeros=True)
IMPLEMENTATIONS = ("xla", "pallas")


def _reverse_mode(implementation: str, *args: Any) -> tuple[Array, Array]:
    """:func:`_fused` or :func:`_fused_kernel`, with JAX's bare refusal of forward mode explained."""
    try:
        return (_fused_kernel if implementation == "pallas" else _fused)(*args)
    except TypeError as e:
        explain_forward_mode(FNAME, e, "jax_act.forward_mode.losses.softmax_cross_entropy_with_integer_labels "
                                       "on the logits")
        raise


# --------------------------------------------------------------------------- the public function


def _number(name: str, value: Any, low: float, high: float | None = None, open_low: bool = False) -> float:
    try:
        f = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"jax_act.{FNAME}: {name!r} must be a number, got {value!r}") from None
    if not math.isfinite(f) or f < low or (open_low and f == low) or (high is not None and f > high):
        span = f"in [{low}, {high}]" if high is not None else (f"> {low}" if open_low else f">= {low}")
        raise ValueError(f"jax_act.{FNAME}: {name!r} must be {span}, got {value!r}")
    return f


def _concrete(a: Any) -> bool:
    return not isinstance(a, jax.core.Tracer)


def linear_softmax_cross_entropy_with_integer_labels(
    hidden: ArrayLike,
    weight: ArrayLike,
    labels: ArrayLike,
    bias: ArrayLike | None = None,
    *,
    where: ArrayLike | None = None,
    label_smoothing: float = 0.0,
    z_loss: float = 0.0,
    logit_soft_cap: float | None = None,
    reduction: str = "mean",
    return_lse: bool = False,
    chunking: str = "fast",
    chunk_size: int | tuple[int, int] | None = None,
    chunk_budget: int | None = None,
    vocab_axis_name: Any = None,
    precision: Any = None,
    implementation: str | None = None,
) -> Array | tuple[Array, Array]:
    r"""Softmax cross-entropy of the logits ``hidden @ weight + bias`` against integer
    labels, without materializing the logits: the output layer and the loss of a language
    model in one, with a closed-form gradient.

    Per token, with :math:`z = xW + b`, :math:`z' = c\tanh(z/c)` when ``logit_soft_cap`` is
    :math:`c`, :math:`\mathrm{lse} = \log\sum_v e^{z'_v}`, and targets smoothed as optax's
    ``smooth_labels``, :math:`t = (1-\alpha)\,\mathrm{onehot}(y) + \alpha / V`:

    .. math::
        \ell = \mathrm{lse} - \sum_v t_v z'_v + \zeta\,\mathrm{lse}^2, \qquad
        \frac{\partial \ell}{\partial z'} = \mathrm{softmax}(z')(1 + 2\zeta\,\mathrm{lse}) - t .

    Without smoothing, z-loss and cap this is ``optax.softmax_cross_entropy_with_integer_labels
    (hidden @ weight + bias, labels)``, to rounding, in value and in all three gradients.

    The logits are computed a piece at a time — chunks of tokens against the vocabulary, or
    blocks of the vocabulary against every token, as the plan says (``chunking``) — with an
    online max and sum of exponentials, in float32 (float64 for float64 inputs) whatever the
    inputs' dtype; the loss is in that dtype. 16-bit ``hidden`` and ``weight`` enter all three
    matmuls as they are, accumulating in float32, and the logits of the backward pass are the
    forward pass's, computed the same way. Under ``grad`` of a scalar reduction, the gradients
    are formed in the same pass as the loss and the backward pass keeps only them (the size of
    ``hidden``, ``weight`` and ``bias``); with ``reduction="none"`` it keeps the inputs and each
    token's lse and recomputes the logits.

    Args:
      hidden: the final hidden states, ``[..., H]``, float.
      weight: the output projection, ``[H, V]``, float.
      labels: integer class indices, ``hidden``'s shape without its last axis.
      bias: optional ``[V]``.
      where: optional boolean mask broadcasting to ``labels``' shape, as optax's ``where``: False tokens
        contribute exactly 0 to the loss and the gradient and are not counted by the mean,
        whatever their labels hold (an ignore index such as −100 is ``where=labels >= 0``).
      label_smoothing: :math:`\alpha \in [0, 1]`.
      z_loss: :math:`\zeta \ge 0`, the PaLM z-loss :math:`\zeta\,\mathrm{lse}^2` per token.
      logit_soft_cap: :math:`c > 0` or None, Gemma 2's :math:`c\tanh(z/c)` on the logits.
      reduction: ``"mean"`` over unmasked tokens (a fully masked batch gives 0 and gradient
        0), ``"sum"``, or ``"none"`` (per-token losses, masked tokens 0).
      return_lse: also return each token's log-sum-exp (of the capped logits, ``labels``'
        shape) for z-loss logging or distillation; it carries no gradient.
      chunking: ``"fast"`` (the default: the least memory within 5% of the fastest predicted
        plan, among those keeping at most half of the unfused step's bytes) or ``"lean"``
        (the fastest plan keeping at most 1/32 of them). The plan comes from a cost model per
        backend and dtype: :func:`linear_softmax_cross_entropy_plan` returns it, and says why.
      chunk_size: tokens per chunk, or ``(tokens, vocabulary columns)``: taken as given,
        over ``chunking``.
      chunk_budget: bytes for one chunk's float32 work arrays: the fastest plan within it,
        over ``chunking``. Giving both ``chunk_size`` and ``chunk_budget``, or either with
        ``chunking="lean"``, is a ValueError.
      vocab_axis_name: inside ``shard_map`` with ``weight`` (and ``bias``) split along the
        vocabulary over this mesh axis: each device walks its columns and only per-token
        (max, sum of exponentials, label logit) are exchanged; ``dW`` stays sharded like
        ``weight``. ``hidden`` and ``labels`` are the same on every device of the axis.
      precision: of the matmuls, as ``jnp.dot``'s (None: the backend's default, as
        ``hidden @ weight`` gets; on GPUs float32 may then use TF32; "highest" for full float32).
      implementation: ``None`` (automatic: the XLA walk on every backend, until a kernel is
        measured faster there), ``"xla"``, or ``"pallas"`` (a Pallas kernel that keeps each
        token × vocabulary tile on chip; options it does not take fall back to XLA: see
        docs/losses.md).

    Returns:
      The loss (a scalar, or ``labels``' shape for ``"none"``), and with ``return_lse`` the
      pair ``(loss, lse)``.

    An unmasked label outside ``[0, V)`` — negative ones included: an ignore index such as
    −100 is never read as a class — is a ``ValueError`` when ``labels`` is a concrete array;
    under ``jit`` (where it cannot be checked) that token's loss is NaN, so the mean is NaN,
    and its gradient treats the label as matching no class. The unfused
    :func:`softmax_cross_entropy_with_integer_labels` gives the same NaN; inside a
    ``checkify``-ed step :func:`check_labels` raises instead. Logits that overflow to ±inf
    give NaN; finite logits of any size (±1e4 and beyond) give finite results.

    Examples:
      >>> import jax, jax.numpy as jnp
      >>> from jax_act import losses
      >>> k1, k2 = jax.random.split(jax.random.key(0))
      >>> hidden = jax.random.normal(k1, (4, 8))
      >>> weight = jax.random.normal(k2, (8, 10)) / 3
      >>> labels = jnp.array([1, 2, 3, 4])
      >>> loss = losses.linear_softmax_cross_entropy_with_integer_labels(hidden, weight, labels)
      >>> ref = losses.softmax_cross_entropy_with_integer_labels(hidden @ weight, labels).mean()
      >>> bool(jnp.allclose(loss, ref))
      True
    """
    x, w, y, b, valid = _checked_arrays(hidden, weight, labels, bias, where)
    smoothing, zl, cap = _checked_options(label_smoothing, z_loss, logit_soft_cap, reduction)
    _checked_plan_options(chunking, chunk_size, chunk_budget)
    v_local = w.shape[1]
    vocab = v_local if vocab_axis_name is None else v_local * lax.axis_size(vocab_axis_name)
    if vocab_axis_name is None:
        _check_label_range(y, valid, vocab)

    n = math.prod(y.shape)
    walk = plan(n, v_local, x.shape[-1], chunk_size, chunk_budget, dtype=jnp.result_type(x, w).name, chunking=chunking)
    o = Options(lax.Precision(precision) if isinstance(precision, str) else precision, smoothing, zl, cap, reduction,
                walk, vocab, vocab_axis_name, site(f"jax_act.{FNAME}"))
    chosen = _implementation(implementation, vocab_axis_name)
    loss, lse = _reverse_mode(chosen, o, x.reshape(n, x.shape[-1]), w, b, y.reshape(n).astype(jnp.int32), valid.reshape(n))
    if reduction == "none":
        loss = loss.reshape(y.shape)
    if return_lse:
        return loss, lax.stop_gradient(lse.reshape(y.shape))
    return loss


def _checked_arrays(hidden: Any, weight: Any, labels: Any, bias: Any, where: Any) -> tuple:
    """``(hidden, weight, labels, bias, valid)`` checked against each other; ``valid`` the
    ``where`` mask broadcast to the labels' shape (all True without one)."""
    x = check_array(FNAME, "hidden", hidden)
    w = check_array(FNAME, "weight", weight)
    y = check_array(FNAME, "labels", labels)
    b = None if bias is None else check_array(FNAME, "bias", bias)
    for name, a in (("hidden", x), ("weight", w)) + ((("bias", b),) if b is not None else ()):
        if not jnp.issubdtype(a.dtype, jnp.floating):
            raise TypeError(f"jax_act.{FNAME}: {name!r} must be a float array, got dtype {a.dtype}")
    if not jnp.issubdtype(y.dtype, jnp.integer):
        raise TypeError(f"jax_act.{FNAME}: 'labels' must be an integer array, got dtype {y.dtype}")
    if x.ndim < 1 or w.ndim != 2 or x.shape[-1] != w.shape[0]:
        raise ValueError(f"jax_act.{FNAME}: 'hidden' [..., H] and 'weight' [H, V] do not match: "
                         f"shapes {x.shape} and {w.shape}")
    if y.shape != x.shape[:-1]:
        raise ValueError(f"jax_act.{FNAME}: 'labels' must have the shape of 'hidden' without its last "
                         f"axis, {x.shape[:-1]}, got {y.shape}")
    if b is not None and b.shape != (w.shape[1],):
        raise ValueError(f"jax_act.{FNAME}: 'bias' must have shape ({w.shape[1]},), got {b.shape}")
    if where is None:
        return x, w, y, b, jnp.ones(y.shape, bool)
    valid = check_array(FNAME, "where", where)
    try:
        return x, w, y, b, jnp.broadcast_to(valid.astype(bool), y.shape)
    except ValueError:
        raise ValueError(f"jax_act.{FNAME}: 'where' must broadcast to the shape of 'labels', {y.shape}, "
                         f"got {valid.shape}") from None


def _checked_options(label_smoothing: Any, z_loss: Any, logit_soft_cap: Any,
                     reduction: Any) -> tuple[float, float, float | None]:
    """``(label_smoothing, z_loss, logit_soft_cap)`` as floats, ``reduction`` checked."""
    if reduction not in REDUCTIONS:
        raise ValueError(f"jax_act.{FNAME}: 'reduction' must be one of {REDUCTIONS}, got {reduction!r}")
    smoothing = _number("label_smoothing", label_smoothing, 0.0, 1.0)
    zl = _number("z_loss", z_loss, 0.0)
    cap = None if logit_soft_cap is None else _number("logit_soft_cap", logit_soft_cap, 0.0, open_low=True)
    return smoothing, zl, cap


def _implementation(implementation: Any, vocab_axis_name: Any) -> str:
    """None: the XLA walk (no backend has measured the kernel faster yet); "pallas" inside a
    vocabulary-sharded ``shard_map``: the XLA walk too (it exchanges per-token statistics)."""
    if implementation is not None and implementation not in IMPLEMENTATIONS:
        raise ValueError(f"jax_act.{FNAME}: 'implementation' must be None or one of {IMPLEMENTATIONS}, "
                         f"got {implementation!r}")
    if implementation == "pallas" and vocab_axis_name is None:
        return "pallas"
    return "xla"


def _checked_plan_options(chunking: Any, chunk_size: Any, chunk_budget: Any, caller: str = FNAME) -> None:
    """The three ways of sizing the walk: one at a time (``chunk_size`` over ``chunk_budget``
    over ``chunking``, whose default "fast" gives way to either)."""
    if chunking not in CHUNKINGS:
        raise ValueError(f"jax_act.{caller}: 'chunking' must be one of {CHUNKINGS}, got {chunking!r}")
    if chunk_size is not None:
        sizes = chunk_size if isinstance(chunk_size, tuple) else (chunk_size,)
        if len(sizes) not in (1, 2) or not all(isinstance(s, (int, np.integer)) and not isinstance(s, bool) and s > 0 for s in sizes):
            raise ValueError(f"jax_act.{caller}: 'chunk_size' must be a positive int or a pair of them, got {chunk_size!r}")
    if chunk_budget is not None and (not isinstance(chunk_budget, (int, np.integer)) or chunk_budget <= 0):
        raise ValueError(f"jax_act.{caller}: 'chunk_budget' must be a positive number of bytes, got {chunk_budget!r}")
    given = [k for k, val in (("chunk_size", chunk_size), ("chunk_budget", chunk_budget)) if val is not None]
    if len(given) == 2 or (given and chunking == "lean"):
        both = given + (["chunking='lean'"] if chunking == "lean" else [])
        raise ValueError(f"jax_act.{caller}: {' and '.join(both)} size the walk two ways; give one "
                         "(chunk_size, else chunk_budget, else chunking)")


def linear_softmax_cross_entropy_plan(tokens: int, hidden: int, vocab: int, dtype: Any = "float32", *,
                                      chunking: str = "fast", chunk_size: int | tuple[int, int] | None = None,
                                      chunk_budget: int | None = None, backend: str | None = None) -> Plan:
    """The plan :func:`linear_softmax_cross_entropy_with_integer_labels` takes for ``tokens`` ×
    ``hidden`` inputs and a vocabulary of ``vocab`` in ``dtype`` on ``backend`` (default:
    JAX's): its order (token-major or vocabulary-major), chunk sizes, the cost model's predicted
    time and bytes, and ``why`` it was chosen (docs/losses.md has the model)."""
    _checked_plan_options(chunking, chunk_size, chunk_budget, "losses.linear_softmax_cross_entropy_plan")
    return plan(tokens, vocab, hidden, chunk_size, chunk_budget, dtype=jnp.dtype(dtype).name, chunking=chunking,
                backend=backend)


def _check_label_range(y: Array, valid: Array, vocab: int) -> None:
    """An unmasked label outside [0, V) is an error where the labels are concrete."""
    if _concrete(y) and _concrete(valid):
        yn, vn = np.asarray(y), np.asarray(valid)
        bad = vn & ((yn < 0) | (yn >= vocab))
        if bad.any():
            raise ValueError(f"jax_act.{FNAME}: 'labels' must lie in [0, {vocab}) where 'where' is True; "
                             f"got {yn[bad].ravel()[:5].tolist()}")
