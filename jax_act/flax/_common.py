"""What the linen and nnx modules share: resolving an activation's learnable parameters."""

from __future__ import annotations

import inspect
from typing import Any, Callable

from .._engine import lookup


def missing_flax(what: str, err: ImportError) -> ImportError:
    return ImportError(
        f"jax_act.flax.{what} needs flax, which is not installed: pip install 'jax_act[flax]' "
        f"(or pip install flax). ({err})"
    )


def _defaults(name: str) -> dict[str, Any]:
    sig = inspect.signature(lookup(name).fn)
    return {k: p.default for k, p in sig.parameters.items() if p.default is not inspect.Parameter.empty}


def resolve(activation: str | Callable, learn: Any, initial: Any) -> tuple[str, Callable, tuple[str, ...], dict]:
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


def prelu_parameter() -> tuple[str, str]:
    """The prelu activation and its slope parameter's name."""
    act = lookup("prelu")
    return act.spec.name, act.spec.params[0]
