"""jax_act: activation functions for JAX whose gradients are the closed-form derivatives.

Every activation is a jitted ``jax.custom_vjp`` function with jax.nn's name, signature,
defaults and values. From the same declaration come its forward-mode twin
(``jax_act.forward_mode.<name>``, a ``custom_jvp`` that works under ``jax.jvp``,
``jax.jacfwd`` and ``jax.linearize``) and its bare derivative (``jax_act.derivative(f)``).

Each takes a keyword-only ``accuracy``: "default" (the cheapest closed form at least as
accurate as jax.nn: never more memory, never slower) or "highest" (the best numerics we can
write, at a stated cost); None means the scoped default of ``with jax_act.accuracy(...)`` or
``jax_act.set_accuracy(...)``, read when the function is traced.
"""

from __future__ import annotations

import importlib
from typing import Any, Callable

# Each declaration module registers its activations on import and lists them in __all__.
from . import _activations, _extras, _gated, _softmax, _sparse
from ._activations import *  # noqa: F403
from ._engine import REGISTRY as _REGISTRY
from ._engine import LEVELS, Activation, Spec, accuracy, along_axis, elementwise, get_accuracy, lookup, set_accuracy
from ._extras import *  # noqa: F403
from ._gated import *  # noqa: F403
from ._softmax import *  # noqa: F403
from ._sparse import *  # noqa: F403

__version__ = "0.1.0"


def get(name: str) -> Callable:
    """The public function for an activation name or alias (``jax_act.get("swish")``)."""
    return lookup(name, "get").fn


def names() -> list[str]:
    """Names of every registered activation, in declaration order."""
    return list(_REGISTRY)


def spec(name_or_fn: str | Callable) -> Spec:
    """What the declaration says: formula, derivative, kink convention, what is saved."""
    return lookup(name_or_fn, "spec").spec


def derivative(name_or_fn: str | Callable) -> Callable:
    """The closed-form derivative as a callable with the activation's signature.

    Elementwise: ``derivative(jax_act.sigmoid)(x)`` is σ'(x), elementwise. Along an axis
    (softmax, ...): the Jacobian along the flattened axes, shape ``batch + (n, n)``.
    """
    return lookup(name_or_fn, "derivative").derivative


from . import forward_mode, losses  # noqa: E402
from ._reexports import jax_nn_names as _jax_nn_names  # noqa: E402

# jax.nn's other public names (one_hot, initializers, standardize, dot_product_attention, ...),
# unchanged: ``import jax_act as nn`` works wherever ``jax.nn`` did.
JAX_NN_REEXPORTS = _jax_nn_names(set(globals()))
globals().update(JAX_NN_REEXPORTS)

__all__ = [
    "LEVELS",
    "accuracy",
    "get_accuracy",
    "set_accuracy",
    "Activation",
    "Spec",
    "along_axis",
    "elementwise",
    "derivative",
    "forward_mode",
    "get",
    "losses",
    "names",
    "spec",
    "testing",
    *_activations.__all__,
    *_extras.__all__,
    *_gated.__all__,
    *_softmax.__all__,
    *_sparse.__all__,
    *JAX_NN_REEXPORTS,
]


def __getattr__(name: str) -> Any:
    # The differential-testing kit is imported on first use: ``import jax_act`` stays lean.
    if name == "testing":
        return importlib.import_module("jax_act.testing")
    raise AttributeError(f"module 'jax_act' has no attribute {name!r}")
