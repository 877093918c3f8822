"""Training steps of real architectures, for memory tests and the bench's model rows.

Each builder returns ``(step, params)``: a jitted SGD step ``params -> (params, loss)`` whose
compiled ``memory_analysis()`` says what XLA keeps for the backward pass, and whose time is
what a model builder pays. The activation is a parameter, so jax_act, jax.nn and the identity
run the same model:

* ``mlp``: ``depth`` dense layers of ``width`` with the activation after each;
* ``transformer``: a pre-LN transformer stack; attention through ``softmax(..., where=causal)``
  (the ``softmax`` argument), and an MLP of width ``4 d_model`` with the activation; with a
  remat policy, a scan over layers, each under ``jax.checkpoint``;
* ``gated_mlp``: a pre-LN stack of gated MLPs, ``W_out · unit(x W_in)`` with ``W_in`` of
  width ``2 d_ff``, for the GLU family (the unit halves its input's last axis).
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable

import jax
import jax.numpy as jnp
import numpy as np

Fn = Callable[..., jax.Array]


@dataclasses.dataclass(frozen=True)
class Shape:
    """One model at one size: ``kind`` is "mlp", "transformer" or "gated_mlp"."""

    kind: str
    batch: int
    width: int  # MLP width; d_model otherwise
    depth: int  # layers
    seq: int = 1  # tokens per sequence (transformer, gated MLP)
    heads: int = 1

    @property
    def label(self) -> str:
        if self.kind == "mlp":
            return f"mlp b{self.batch} w{self.width} d{self.depth}"
        return f"{self.kind} b{self.batch} s{self.seq} d{self.width} L{self.depth}" + (
            f" h{self.heads}" if self.kind == "transformer" else "")

    def activation_elements(self) -> int:
        """Elements the activation produces per step (the denominator of marginal bytes)."""
        if self.kind == "mlp":
            return self.batch * self.width * self.depth
        return self.batch * self.seq * 4 * self.width * self.depth


# Shapes the tests and the bench use (each model at two sizes; small enough for 2 CPU cores).
SHAPES = (
    Shape("mlp", batch=512, width=128, depth=8),
    Shape("mlp", batch=128, width=512, depth=4),
    Shape("transformer", batch=8, width=256, depth=2, seq=128, heads=4),
    Shape("transformer", batch=4, width=128, depth=2, seq=256, heads=2),
    Shape("gated_mlp", batch=8, width=256, depth=2, seq=128),
    Shape("gated_mlp", batch=16, width=128, depth=3, seq=64),
)


def _layer_norm(h: jax.Array) -> jax.Array:
    h32 = h.astype(jnp.float32)
    mean = jnp.mean(h32, -1, keepdims=True)
    var = jnp.mean(jnp.square(h32 - mean), -1, keepdims=True)
    return ((h32 - mean) * jax.lax.rsqrt(var + 1e-6)).astype(h.dtype)


def _sgd(loss: Callable[[Any], jax.Array]) -> Fn:
    def step(ps: Any) -> tuple[Any, jax.Array]:
        value, grads = jax.value_and_grad(loss)(ps)
        return jax.tree.map(lambda p, g: p - (0.01 * g).astype(p.dtype), ps, grads), value

    return jax.jit(step)


class _Init:
    """Weights and data: float32 normals in the model's dtype, drawn in order from one seed."""

    def __init__(self, dtype: Any, seed: int):
        self.dt, self.rng = jnp.dtype(dtype), np.random.default_rng(seed)

    def normal(self, *s: int, scale: float = 1.0) -> jax.Array:
        return jnp.asarray((scale * self.rng.standard_normal(s, np.float32)).astype(self.dt))

    def dense(self, d_in: int, d_out: int) -> jax.Array:
        return self.normal(d_in, d_out, scale=d_in**-0.5)


def _mse(out: jax.Array, target: jax.Array) -> jax.Array:
    return jnp.mean(jnp.square((out - target).astype(jnp.float32)))


def _mlp(shape: Shape, act: Fn, init: _Init) -> tuple[Fn, Any]:
    x, target = init.normal(shape.batch, shape.width), init.normal(shape.batch, shape.width)
    params = [init.dense(shape.width, shape.width) for _ in range(shape.depth + 1)]

    def loss(ps: list[jax.Array]) -> jax.Array:
        h = x
        for wm in ps[:-1]:
            h = act(h @ wm)
        return _mse(h @ ps[-1], target)

    return loss, params


def _gated_mlp(shape: Shape, act: Fn, init: _Init) -> tuple[Fn, Any]:
    d = shape.width
    x, target = init.normal(shape.batch, shape.seq, d), init.normal(shape.batch, shape.seq, d)
    params = [dict(w_in=init.dense(d, 8 * d), w_out=init.dense(4 * d, d)) for _ in range(shape.depth)]

    def loss(ps: list[dict]) -> jax.Array:
        h = x
        for p in ps:
            h = h + act(_layer_norm(h) @ p["w_in"]) @ p["w_out"]
        return _mse(h, target)

    return loss, params


def _transformer(shape: Shape, act: Fn, init: _Init, softmax: Fn, remat: Any = None) -> tuple[Fn, Any]:
    b, s, d, nh = shape.batch, shape.seq, shape.width, shape.heads
    hd = d // nh
    x, target = init.normal(b, s, d), init.normal(b, s, d)
    causal = jnp.tril(jnp.ones((s, s), bool))
    params = [dict(qkv=init.dense(d, 3 * d), o=init.dense(d, d), up=init.dense(d, 4 * d), down=init.dense(4 * d, d))
              for _ in range(shape.depth)]

    def attention(h: jax.Array, p: dict) -> jax.Array:
        q, k, v = jnp.split(h @ p["qkv"], 3, -1)
        q, k, v = (t.reshape(b, s, nh, hd) for t in (q, k, v))
        logits = jnp.einsum("bqhd,bkhd->bhqk", q, k) / np.sqrt(hd).astype(init.dt)
        weights = softmax(logits, axis=-1, where=causal)
        return jnp.einsum("bhqk,bkhd->bqhd", weights, v).reshape(b, s, d) @ p["o"]

    def layer(h: jax.Array, p: dict) -> jax.Array:
        h = h + attention(_layer_norm(h), p)
        return h + act(_layer_norm(h) @ p["up"]) @ p["down"]

    if remat is not None:  # scan over layers, each under jax.checkpoint with the policy
        body = jax.checkpoint(lambda h, p: (layer(h, p), None), policy=remat)
        stacked = jax.tree.map(lambda *a: jnp.stack(a), *params)
        return (lambda ps: _mse(jax.lax.scan(body, x, ps)[0], target)), stacked

    def loss(ps: list[dict]) -> jax.Array:
        h = x
        for p in ps:
            h = layer(h, p)
        return _mse(h, target)

    return loss, params


def build(shape: Shape, act: Fn, dtype: Any, softmax: Fn | None = None, seed: int = 0,
          remat: Any = None) -> tuple[Fn, Any]:
    """``(step, params)`` for ``shape`` with ``act`` (and, for the transformer, ``softmax``
    in its attention; default ``jax.nn.softmax``). ``remat``: a ``jax.checkpoint`` policy;
    the transformer then scans over its layers, each checkpointed with it."""
    init = _Init(dtype, seed)
    if shape.kind == "mlp":
        loss, params = _mlp(shape, act, init)
    elif shape.kind == "gated_mlp":
        loss, params = _gated_mlp(shape, act, init)
    elif shape.kind == "transformer":
        loss, params = _transformer(shape, act, init, softmax or jax.nn.softmax, remat)
    else:
        raise ValueError(f"jax_act models: unknown model kind {shape.kind!r}")
    return _sgd(loss), params


def temp_bytes(step: Fn, params: Any) -> int:
    """Temporary bytes of the compiled step (what XLA keeps between forward and backward)."""
    return step.lower(params).compile().memory_analysis().temp_size_in_bytes


def fits(spec: Any, kind: str) -> bool:
    """Whether an activation (its ``Spec``) has a place in a model ``kind``: gated units in the
    gated MLP, softmax in the transformer's attention, shape-preserving activations in the MLP
    slots of the MLP and the transformer."""
    if spec.kind == "gated":
        return kind == "gated_mlp"
    if spec.along_axis:
        return kind == "transformer" and spec.name == "softmax"
    return kind != "gated_mlp"


def identity_for(kind: str) -> Fn:
    """The identity model's activation: for gated MLPs, ``a ⊙ b`` (halving, as the units do)."""
    if kind == "gated_mlp":
        return lambda h: (lambda a, g: a * g)(*jnp.split(h, 2, -1))
    return lambda h: h
