"""The public names of ``jax.nn`` that jax_act does not implement (``one_hot``,
``initializers``, ``standardize``, ``dot_product_attention``, the scaled matmuls, ...):
re-exported unchanged, so that ``import jax_act as nn`` (or ``jax_act.forward_mode as nn``)
breaks no code written for ``jax.nn``."""

from __future__ import annotations

from typing import Any

import jax.nn


def jax_nn_names(ours: set[str]) -> dict[str, Any]:
    """``{name: jax.nn's object}`` for each public jax.nn name not in ``ours``."""
    return {n: getattr(jax.nn, n) for n in dir(jax.nn) if not n.startswith("_") and n not in ours}
