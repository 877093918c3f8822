"""``jax_act.forward_mode.losses``: the losses' forward-mode twins.

Each has the name, signature and values of its ``jax_act.losses`` counterpart, with the same
closed-form gradient written as a ``custom_jvp`` rule: it works under ``jax.jvp``,
``jax.jacfwd`` and ``jax.hessian`` as well as reverse mode (``jax.test_util.check_grads`` in
both modes, as optax's tests run). The reverse-mode losses keep less for the backward pass.
"""

from __future__ import annotations

import functools
import inspect
from typing import Any, Callable

from . import losses as _losses

__all__ = [
    "sigmoid_binary_cross_entropy",
    "softmax_cross_entropy",
    "softmax_cross_entropy_with_integer_labels",
    "squared_error",
    "sum_of_squares_error",
]


def _forward_twin(fn: Callable, validator: Callable, prefix: tuple = (), suffix: tuple = ()) -> Callable:
    """The twin of the public loss ``fn``: its signature bound, then ``validator(*prefix,
    *arguments, *suffix, twin=True)``, the same checks and closed form as ``fn``'s."""
    sig = inspect.signature(fn)
    name = fn.__name__

    @functools.wraps(fn)
    def twin(*args: Any, **kwargs: Any) -> Any:
        try:
            bound = sig.bind(*args, **kwargs)
        except TypeError as e:
            raise TypeError(f"jax_act.forward_mode.losses.{name}: {e}") from None
        bound.apply_defaults()
        arguments = dict(bound.arguments)
        _losses._not_text(name, **{k: v for k, v in arguments.items() if k != "axis"})
        if "axis" in arguments:
            arguments["axis"] = _losses._hashable_axis(arguments["axis"])
        return validator(*prefix, *arguments.values(), *suffix, twin=True)

    twin.__doc__ = (f"Forward-mode twin of :func:`jax_act.losses.{name}` (a ``custom_jvp`` rule of the "
                    f"same closed form; same signature and values).\n\n" + inspect.cleandoc(fn.__doc__ or ""))
    twin.__module__ = "jax_act.forward_mode.losses"
    return twin


softmax_cross_entropy = _forward_twin(_losses.softmax_cross_entropy, _losses._softmax_cross_entropy)
softmax_cross_entropy_with_integer_labels = _forward_twin(
    _losses.softmax_cross_entropy_with_integer_labels, _losses._softmax_cross_entropy_int)
sigmoid_binary_cross_entropy = _forward_twin(_losses.sigmoid_binary_cross_entropy, _losses._sigmoid_binary_cross_entropy)
squared_error = _forward_twin(_losses.squared_error, _losses._squared, ("squared_error",), ((), False))
sum_of_squares_error = _forward_twin(_losses.sum_of_squares_error, _losses._squared, ("sum_of_squares_error",), (True,))
