"""The one place that touches JAX APIs which moved or are private in some versions.

Supported: jax 0.10 (the registry here) and 0.11 (the lent GPU machines).
"""

from __future__ import annotations

import contextlib
from typing import Any, Callable

import jax


def saved_residuals(f: Callable, *args: Any, **kwargs: Any) -> list[tuple[Any, str]]:
    """``(aval, provenance)`` of every array ``jax.vjp(f, *args)`` keeps for the backward pass."""
    try:  # public from some version on
        from jax.ad_checkpoint import saved_residuals as impl  # type: ignore[attr-defined]
    except ImportError:
        from jax._src.ad_checkpoint import saved_residuals as impl
    return list(impl(f, *args, **kwargs))


def enable_x64(flag: bool = True) -> contextlib.AbstractContextManager:
    """A context in which float64 arrays are really float64 (or, with False, are not)."""
    if hasattr(jax, "enable_x64"):
        return jax.enable_x64(flag)
    from jax.experimental import disable_x64, enable_x64 as on  # type: ignore[attr-defined]

    return on() if flag else disable_x64()
