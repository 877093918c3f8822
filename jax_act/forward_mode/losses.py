"""``jax_act.forward_mode.losses``: the losses' forward-mode twins.

Each has the name, signature and values of its ``jax_act.losses`` counterpart, with the same
closed-form gradient written as a ``custom_jvp`` rule: it works under ``jax.jvp``,
``jax.jacfwd`` and ``jax.hessian`` as well as reverse mode (``jax.test_util.check_grads`` in
both modes, as optax's tests run). The reverse-mode losses keep less for the backward pass.
"""

from __future__ import annotations

from typing import Any

from .. import losses as _losses  # noqa: F401 - registers the losses
from .._engine import LOSSES

__all__ = list(LOSSES)


def __getattr__(name: str) -> Any:
    if name in LOSSES:
        return LOSSES[name].forward_mode
    raise AttributeError(f"module 'jax_act.forward_mode.losses' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(LOSSES)
