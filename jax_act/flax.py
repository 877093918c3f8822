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

import functools
import inspect
import types
from typing import Any, Callable

import jax.numpy as jnp

from ._engine import lookup

__all__ = ["linen", "nnx"]


def _missing(what: str, err: ImportError) -> ImportError:
    return ImportError(
        f"jax_act.flax.{what} needs flax, which is not installed: pip install 'jax_act[flax]' "
        f"(or pip install flax). ({err})"
    )


def _defaults(name: str) -> dict[str, Any]:
    sig = inspect.signature(lookup(name).fn)
    return {k: p.default for k, p in sig.parameters.items() if p.default is not inspect.Parameter.empty}


def _resolve(activation: str | Callable, learn: Any, initial: Any) -> tuple[str, Callable, tuple[str, ...], dict]:
    """The registered name, the public function, the learned parameters and their initial values."""
    act = lookup(activation)
    name = act.spec.name
    params = act.spec.params
    learn = params if learn is None else tuple([learn] if isinstance(learn, str) else learn)
    unknown = [p for p in learn if p not in params]
    if unknown or not learn:
        raise ValueError(
            f"jax_act.flax.Learnable: {name!r} has learnable parameters {list(params)}, "
            f"cannot learn {unknown or 'nothing'}"
        )
    values = {**_defaults(name), **dict(initial or {})}
    missing = [p for p in learn if values.get(p) is None]
    if missing:
        raise ValueError(f"jax_act.flax.Learnable: give an initial value for {missing} in initial=")
    return name, act.fn, tuple(learn), {p: values[p] for p in learn}


def _prelu() -> tuple[str, str]:
    """The prelu activation and its slope parameter's name."""
    try:
        act = lookup("prelu")
    except ValueError as e:
        raise NotImplementedError("jax_act.flax.PReLU needs jax_act.prelu, which this version lacks") from e
    return act.spec.name, act.spec.params[0]


@functools.cache
def _build_linen() -> types.ModuleType:
    try:
        import flax.linen as nn
    except ImportError as e:
        raise _missing("linen", e) from e

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
            _, fn, learn, init = _resolve(self.activation, self.learn, self.initial)
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
            name, pname = _prelu()
            shape, v = tuple(self.param_shape), self.negative_slope_init
            slope = self.param("negative_slope", lambda _key: jnp.full(shape, v, self.param_dtype))
            x = jnp.asarray(x)
            return lookup(name).fn(x, **{pname: jnp.asarray(slope, x.dtype)})

    mod = types.ModuleType("jax_act.flax.linen", "jax_act modules with learnable parameters for flax.linen.")
    for cls in (Learnable, PReLU):
        cls.__module__ = mod.__name__
        setattr(mod, cls.__name__, cls)
    mod.__all__ = ["Learnable", "PReLU"]
    return mod


@functools.cache
def _build_nnx() -> types.ModuleType:
    try:
        from flax import nnx
    except ImportError as e:
        raise _missing("nnx", e) from e

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
            name, _, learn, values = _resolve(activation, learn, initial)
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
            _prelu()
            self.dtype = dtype
            self.negative_slope = nnx.Param(jnp.full(tuple(param_shape), negative_slope_init, param_dtype))

        def __call__(self, x: Any) -> Any:
            name, pname = _prelu()
            x, slope = jnp.asarray(x), self.negative_slope[...]
            if self.dtype is not None:
                x, slope = x.astype(self.dtype), slope.astype(self.dtype)
            return lookup(name).fn(x, **{pname: slope.astype(x.dtype)})

    mod = types.ModuleType("jax_act.flax.nnx", "jax_act modules with learnable parameters for flax.nnx.")
    for cls in (Learnable, PReLU):
        cls.__module__ = mod.__name__
        setattr(mod, cls.__name__, cls)
    mod.__all__ = ["Learnable", "PReLU"]
    return mod


def __getattr__(name: str) -> Any:
    if name == "linen":
        return _build_linen()
    if name == "nnx":
        return _build_nnx()
    raise AttributeError(f"module 'jax_act.flax' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), "linen", "nnx"])
