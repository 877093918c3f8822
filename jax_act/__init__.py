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

# Each declaration module registers its activations on import and exports them in its
# __all__; the order of these lines is the registry's (jax_act.names(), jax-act list and check).
from ._sigmoidal import *  # noqa: F403  S-shaped, and their logarithms
from ._rectifiers import *  # noqa: F403  relu, the leaky family, the thresholds
from ._exponential_linear import *  # noqa: F403
from ._smooth_rectifiers import *  # noqa: F403  gelu, silu, mish, softplus, squareplus
from ._piecewise import *  # noqa: F403  piecewise linear
from ._gated import *  # noqa: F403  gated linear units
from ._softmax import *  # noqa: F403  maps and reductions along an axis
from ._sparse import *  # noqa: F403  sparse probability maps
from . import _sigmoidal, _rectifiers, _exponential_linear, _smooth_rectifiers, _piecewise  # noqa: I001
from . import _gated, _softmax, _sparse  # noqa: I001
from ._engine import REGISTRY as _REGISTRY
from ._engine import (
    LEVELS as LEVELS, Activation as Activation, Spec as Spec, accuracy as accuracy,
    along_axis as along_axis, elementwise as elementwise, get_accuracy as get_accuracy,
    name_residuals as name_residuals, set_accuracy as set_accuracy,
)
from ._engine import LOSSES as _LOSSES
from ._engine import lookup
from ._linear_ce import FNAME as _FUSED

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


def residual_names() -> dict[str, str]:
    """The ``checkpoint_name`` each function gives what its backward pass keeps, by function
    name (aliases included): ``"jax_act.<canonical name>"``, ``"jax_act.losses.<name>"`` for a
    loss. For ``jax.checkpoint_policies.save_only_these_names`` and the offloading policies;
    :func:`name_residuals` names one call site instead."""
    out = {}
    for table, namespace in ((_REGISTRY, ""), (_LOSSES, "losses.")):
        for name, act in table.items():
            for alias in (name, *act.spec.aliases):
                out[namespace + alias] = f"jax_act.{namespace}{name}"
    out[_FUSED] = f"jax_act.{_FUSED}"  # the fused output layer: a loss outside the registry
    return out


from . import forward_mode as forward_mode, losses as losses  # noqa: E402
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
    "name_residuals",
    "names",
    "residual_names",
    "spec",
    "testing",
    *_sigmoidal.__all__,
    *_rectifiers.__all__,
    *_exponential_linear.__all__,
    *_smooth_rectifiers.__all__,
    *_piecewise.__all__,
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
