"""jax_act modules with learnable parameters for ``flax.linen``: ``Learnable`` and ``PReLU``
(see :mod:`jax_act.flax`)."""

from __future__ import annotations

from typing import Any, Callable

import jax.numpy as jnp

from .._engine import lookup
from ._common import missing_flax, prelu_parameter, resolve

try:
    import flax.linen as nn
except ImportError as e:
    raise missing_flax("linen", e) from e

__all__ = ["Learnable", "PReLU"]


class Learnable(nn.Module):
    """A jax_act activation whose parameters are learned (``flax.linen``)."""

    activation: str | Callable
    param_shape: tuple[int, ...] = ()
    initial: dict[str, float] | None = None
    learn: tuple[str, ...] | None = None
    options: dict[str, Any] | None = None
    param_dtype: Any = jnp.float32

    @nn.compact
    def __call__(self, x: Any) -> Any:
        _, fn, learn, init = resolve(self.activation, self.learn, self.initial)
        shape = tuple(self.param_shape)
        params = {
            p: self.param(p, lambda _key, v=v: jnp.full(shape, v, self.param_dtype)) for p, v in init.items()
        }
        return fn(x, **params, **dict(self.options or {}))

class PReLU(nn.Module):
    """``jax_act.prelu`` with a learnable ``negative_slope`` (``flax.linen``): fields,
    parameter name and defaults as ``flax.linen.PReLU``, the slope cast to the input's
    dtype (a half-precision model stays half precision); ``param_shape`` (default
    ``()``, a scalar as flax's) gives it a shape, for example one slope per feature."""

    param_dtype: Any = jnp.float32
    negative_slope_init: float = 0.01
    param_shape: tuple[int, ...] = ()

    @nn.compact
    def __call__(self, x: Any) -> Any:
        name, pname = prelu_parameter()
        shape, v = tuple(self.param_shape), self.negative_slope_init
        slope = self.param("negative_slope", lambda _key: jnp.full(shape, v, self.param_dtype))
        x = jnp.asarray(x)
        return lookup(name).fn(x, **{pname: jnp.asarray(slope, x.dtype)})
