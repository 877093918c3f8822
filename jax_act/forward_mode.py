"""Forward-mode twins: the same closed forms as ``custom_jvp`` rules.

A ``custom_vjp`` function (the default face, ``jax_act.sigmoid``) refuses ``jax.jvp``,
``jax.jacfwd`` and ``jax.linearize``; ``jax_act.forward_mode.sigmoid`` accepts them (and
reverse mode too, by JAX transposing the linear JVP). Same names, signatures and values.
"""

from __future__ import annotations

from typing import Any, Callable

from ._engine import REGISTRY, lookup


def get(name: str) -> Callable:
    """The forward-mode twin for an activation name or alias."""
    return lookup(name).forward_mode


def __getattr__(name: str) -> Any:
    try:
        return lookup(name).forward_mode
    except (ValueError, TypeError):
        raise AttributeError(f"module 'jax_act.forward_mode' has no attribute {name!r}") from None


def __dir__() -> list[str]:
    return sorted([*REGISTRY, "get"])
