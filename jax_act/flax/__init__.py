"""Flax modules for activations with learnable parameters, for ``flax.linen`` and ``flax.nnx``.

Plain activations need no module: every jax_act activation is a function, so it goes wherever
Flax takes one — in a ``linen`` module body, as a callable field (``activation=jax_act.gelu``),
inside ``linen.Sequential`` / ``nnx.Sequential``, or between ``nnx.Linear`` layers.

The modules here learn an activation's parameters through jax_act's closed-form parameter
partials (∂elu/∂α, ∂leaky_relu/∂slope, ...)::

    from jax_act.flax import linen as jl      # or: from jax_act.flax import nnx as jn

    jl.PReLU(param_shape=(features,))                   # learnable slope per feature
    jl.Learnable("elu", param_shape=(features,))        # learnable α per feature
    jl.Learnable("softplus", initial={"beta": 2.0})        # learnable β, scalar

    jn.PReLU(param_shape=(features,), rngs=...)         # the same in nnx (rngs optional)

* ``Learnable(activation, param_shape=(), initial=None, learn=None, options=None, param_dtype)``:
  every parameter of the activation's declaration (``jax_act.spec(name).params``) named in
  ``learn`` (default: all) is a Flax parameter of shape ``param_shape`` (broadcasting against
  the input, e.g. ``(features,)``), initialised from ``initial`` or the function's default;
  ``options`` are fixed keyword arguments (``approximate=False``, other parameters).
* ``PReLU(param_shape=(), negative_slope_init=0.01, param_dtype)``: ``jax_act.prelu`` with a
  learnable ``negative_slope``, as ``flax.linen.PReLU`` (same parameter name and default)
  but of any shape.

Flax is imported only when ``linen`` or ``nnx`` is first used (``pip install 'jax_act[flax]'``);
``import jax_act`` never imports it.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["linen", "nnx"]


def __getattr__(name: str) -> Any:
    # The submodules import flax; only on first use, so that ``import jax_act`` never does.
    if name in __all__:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'jax_act.flax' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
