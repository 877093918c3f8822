"""Forward-mode twins: the same closed forms as ``custom_jvp`` rules.

A ``custom_vjp`` function (the default face, ``jax_act.sigmoid``) refuses ``jax.jvp``,
``jax.jacfwd`` and ``jax.linearize``; ``jax_act.forward_mode.sigmoid`` accepts them (and
reverse mode too, by JAX transposing the linear JVP). Same names, signatures and values, and
jax.nn's other public names (``one_hot``, ``initializers``, ...) re-exported unchanged, so that
``import jax_act.forward_mode as nn`` is a drop-in for ``jax.nn`` under ``jax.jvp``. The losses'
twins are ``jax_act.forward_mode.losses``.
"""

from __future__ import annotations

import importlib
from typing import Any, Callable

from .._engine import REGISTRY, lookup
from .._engine.registry import _ALIASES
from .._reexports import jax_nn_names


def get(name: str) -> Callable:
    """The forward-mode twin for an activation name or alias."""
    return lookup(name, "forward_mode.get").forward_mode


def __getattr__(name: str) -> Any:
    if name == "losses":  # the losses' twins: a submodule, imported on first use
        return importlib.import_module(".losses", __name__)
    try:
        return lookup(name).forward_mode
    except (ValueError, TypeError):
        pass
    passthrough = jax_nn_names(set(REGISTRY))
    if name in passthrough:
        return passthrough[name]
    raise AttributeError(f"module 'jax_act.forward_mode' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*REGISTRY, *_ALIASES, "get", "losses", *jax_nn_names(set(REGISTRY))})


# ``from jax_act.forward_mode import *`` as ``from jax.nn import *``: the names, not the submodule
__all__ = [n for n in __dir__() if n != "losses"]
