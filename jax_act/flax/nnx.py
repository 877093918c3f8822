"""jax_act modules with learnable parameters for ``flax.nnx``: ``Learnable`` and ``PReLU``
(see :mod:`jax_act.flax`)."""

from __future__ import annotations

from typing import Any, Callable

import jax.numpy as jnp

from .._engine import lookup
from ._common import missing_flax, prelu_parameter, resolve

try:
    from flax import nnx
except ImportError as e:
    raise missing_flax("nnx", e) from e

__all__ = ["Learnable", "PReLU"]


class Learnable(nnx.Module):
    """A jax_act activation whose parameters are learned (``flax.nnx``); each learned
    parameter is an ``nnx.Param`` attribute of its own name."""

    def __init__(
        self,
        activation: str | Callable,
        *,
        param_shape: tuple[int, ...] = (),
        initial: dict[str, float] | None = None,
        learn: tuple[str, ...] | None = None,
        options: dict[str, Any] | None = None,
        param_dtype: Any = jnp.float32,
        rngs: Any = None,  # accepted for a uniform constructor; initialisation is constant
    ):
        name, _, learn, values = resolve(activation, learn, initial)
        self.activation = name
        self.learned = tuple(learn)
        self.options = dict(options or {})
        for p, v in values.items():
            setattr(self, p, nnx.Param(jnp.full(tuple(param_shape), v, param_dtype)))

    def __call__(self, x: Any) -> Any:
        params = {p: getattr(self, p)[...] for p in self.learned}
        return lookup(self.activation).fn(x, **params, **self.options)

class PReLU(nnx.Module):
    """``jax_act.prelu`` with a learnable ``negative_slope`` (an ``nnx.Param``): the
    signature, parameter name and dtype rules of ``flax.nnx.PReLU`` (with ``dtype``, input
    and slope are promoted to it; without, the slope is cast to the input's dtype), plus a
    keyword ``param_shape`` (default ``()``) for a slope of any shape."""

    def __init__(
        self,
        negative_slope_init: float = 0.01,
        *,
        dtype: Any = None,
        param_dtype: Any = jnp.float32,
        param_shape: tuple[int, ...] = (),
        rngs: Any = None,  # accepted for a uniform constructor; initialisation is constant
    ):
        prelu_parameter()
        self.dtype = dtype
        self.negative_slope = nnx.Param(jnp.full(tuple(param_shape), negative_slope_init, param_dtype))

    def __call__(self, x: Any) -> Any:
        name, pname = prelu_parameter()
        x, slope = jnp.asarray(x), self.negative_slope[...]
        if self.dtype is not None:
            x, slope = x.astype(self.dtype), slope.astype(self.dtype)
        return lookup(name).fn(x, **{pname: slope.astype(x.dtype)})
