"""Argument checks (errors name the function and the argument), dtype promotion, and the
layout helpers the rules share."""

from __future__ import annotations

import inspect
from typing import Any, Callable

import jax
import jax.numpy as jnp
import numpy as np

HALF = (jnp.dtype(jnp.float16), jnp.dtype(jnp.bfloat16))
Axis = int | tuple[int, ...] | None  # what ``axis=`` takes along an axis: None is every axis


def compute_dtype(dtype: Any) -> np.dtype:
    """Half precision is computed in float32 and rounded once at the end."""
    dtype = jnp.dtype(dtype)
    return jnp.dtype(jnp.float32) if dtype in HALF else dtype


def widen(x: jax.Array, fence: bool = True) -> jax.Array:
    """``x`` in its compute dtype. A 16-bit input goes through an optimization barrier first
    (``fence``): XLA may otherwise drop the rounding of a float32 producer (a matmul) to 16
    bits, feed the unrounded float32 array in, and keep it for the backward pass (measured: 2
    bytes per element more than jax.nn in a bfloat16 MLP step for leaky_relu, hard_tanh,
    threshold). Where the backward pass keeps only the output, the fence has nothing to guard
    and costs an array under remat (tanh, sigmoid: +4 MiB in a scanned bfloat16 transformer
    under ``nothing_saveable``), so the caller passes ``fence=False``."""
    if fence and x.dtype in HALF:
        x = jax.lax.optimization_barrier(x)
    return x.astype(compute_dtype(x.dtype))


def inexact_dtype(dtype: Any) -> np.dtype:
    """The floating dtype jnp's unary functions give an integer or bool input (int64 → float64
    when x64 is on, narrower integers and bool → float32): jax.nn's promotion."""
    dtype = jnp.dtype(dtype)
    if jnp.issubdtype(dtype, jnp.inexact):
        return dtype
    return jnp.dtype(jax.dtypes.canonicalize_dtype(jnp.float64 if dtype.itemsize == 8 else jnp.float32))


def check_array(fname: str, argname: str, value: Any) -> jax.Array:
    """``value`` as an array of real numbers, or a TypeError naming function and argument."""
    if isinstance(value, (str, bytes)) or value is None:
        raise TypeError(
            f"jax_act.{fname}: argument {argname!r} must be an array or a real number, "
            f"got {type(value).__name__} {value!r:.40}"
        )
    try:
        arr = jnp.asarray(value)
    except TypeError as e:
        raise TypeError(
            f"jax_act.{fname}: argument {argname!r} must be an array or a real number, "
            f"got {type(value).__name__}"
        ) from e
    if jnp.issubdtype(arr.dtype, jnp.complexfloating):
        raise TypeError(f"jax_act.{fname}: argument {argname!r} must be real, got dtype {arr.dtype}")
    if not (jnp.issubdtype(arr.dtype, jnp.number) or arr.dtype == jnp.bool_):
        raise TypeError(f"jax_act.{fname}: argument {argname!r} has unsupported dtype {arr.dtype}")
    return arr


def is_weak(value: Any) -> bool:
    """A Python number, or an array JAX made from one (weakly typed): no dtype of its own."""
    python_number = isinstance(value, (int, float)) and not isinstance(value, bool)
    return python_number or bool(getattr(value, "weak_type", False))


def check_param(fname: str, argname: str, value: Any, shape: tuple[int, ...]) -> jax.Array:
    """A float parameter (Python numbers are fine) that broadcasts against ``shape``."""
    arr = check_array(fname, argname, value)
    # Python numbers arrive weakly typed (a jit traces b=4 as a weak int): they are fine.
    python_number = is_weak(value) or isinstance(value, bool)
    if not python_number and not jnp.issubdtype(arr.dtype, jnp.floating):
        raise TypeError(
            f"jax_act.{fname}: parameter {argname!r} must be a float array or a Python number, "
            f"got dtype {arr.dtype}"
        )
    try:
        np.broadcast_shapes(arr.shape, shape)
    except ValueError:
        raise ValueError(
            f"jax_act.{fname}: parameter {argname!r} of shape {arr.shape} does not broadcast "
            f"against the input's shape {shape}"
        ) from None
    return arr


def unbroadcast(ct: jax.Array, shape: tuple[int, ...]) -> jax.Array:
    """Sum a cotangent down to the shape of the input it belongs to."""
    if ct.shape == shape:
        return ct
    lead = ct.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and ct.shape[lead + i] != 1
    )
    return jnp.sum(ct, axis=axes).reshape(shape)


def check_axis(fname: str, axis: Any, ndim: int, ordered: bool = False) -> tuple[int, ...]:
    """``axis`` (int, tuple of ints or None) as a sorted tuple of non-negative axes; with
    ``ordered``, in the order given (where axes are flattened into one index, as optax's
    integer labels are, the order is the index's)."""
    if axis is None:
        return tuple(range(ndim))
    axes = axis if isinstance(axis, tuple) else (axis,)
    for a in axes:
        if isinstance(a, bool) or not isinstance(a, (int, np.integer)):
            raise TypeError(f"jax_act.{fname}: argument 'axis' must be an int, a tuple of ints or None, got {axis!r}")
        if not -ndim <= a < ndim:
            raise ValueError(f"jax_act.{fname}: axis {a} is out of range for an input of rank {ndim}")
    norm = tuple(int(a) % ndim for a in axes)
    norm = norm if ordered else tuple(sorted(norm))
    if len(set(norm)) != len(norm):
        raise ValueError(f"jax_act.{fname}: argument 'axis' repeats an axis: {axis!r}")
    return norm


def check_where(fname: str, where: Any, shape: tuple[int, ...]) -> jax.Array | None:
    """A boolean mask broadcast to ``shape``, or None."""
    if where is None:
        return None
    mask = check_array(fname, "where", where)
    if not (mask.dtype == jnp.bool_ or jnp.issubdtype(mask.dtype, jnp.integer)):
        raise TypeError(f"jax_act.{fname}: argument 'where' must be a boolean mask, got dtype {mask.dtype}")
    try:
        return jnp.broadcast_to(mask.astype(bool), shape)
    except ValueError:
        raise ValueError(
            f"jax_act.{fname}: argument 'where' of shape {mask.shape} does not broadcast against "
            f"the input's shape {shape}"
        ) from None


def float_input(fname: str, x: Any, argname: str = "x") -> jax.Array:
    """Checked input promoted to a floating dtype (integers as jax.nn promotes them)."""
    arr = check_array(fname, argname, x)
    if not jnp.issubdtype(arr.dtype, jnp.inexact):
        arr = arr.astype(inexact_dtype(arr.dtype))
    return arr


def flatten_axes(x: jax.Array, axes: tuple[int, ...]) -> tuple[jax.Array, Callable[[jax.Array], jax.Array]]:
    """``x`` with ``axes`` moved last and merged into one: shape ``batch + (n,)``; and the
    function that puts an array of that shape back in ``x``'s layout."""
    rest = [a for a in range(x.ndim) if a not in axes]
    perm = (*rest, *axes)
    xt = jnp.transpose(x, perm)
    batch, moved = xt.shape[: len(rest)], xt.shape[len(rest) :]
    inverse = tuple(int(i) for i in np.argsort(perm))

    def restore(y: jax.Array) -> jax.Array:
        return jnp.transpose(y.reshape(*batch, *moved), inverse)

    return xt.reshape(*batch, int(np.prod(moved, dtype=int))), restore


# Strings other libraries use for a boolean flag of ours: a hint for each.
FLAG_HINTS = {
    "approximate": "PyTorch's approximate='none' is approximate=False here (the exact form), "
                   "and approximate='tanh' is approximate=True",
}


def static_bool(name: str, argname: str, value: Any) -> bool:
    """A concrete boolean, as jax.nn accepts it (bool, 0/1, a 0-d bool or integer array);
    anything else is a TypeError naming the function and the argument."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)) and value in (0, 1):
        return bool(value)
    if isinstance(value, (jax.Array, np.ndarray)) and value.ndim == 0 and (
            value.dtype == bool or np.issubdtype(value.dtype, np.integer)):
        if isinstance(value, jax.core.Tracer):
            raise TypeError(f"jax_act.{name}: argument {argname!r} selects a formula when the function is "
                            f"traced, so it must be a concrete bool, not a traced array")
        return bool(value)
    hint = f"; {FLAG_HINTS[argname]}" if isinstance(value, str) and argname in FLAG_HINTS else ""
    raise TypeError(f"jax_act.{name}: argument {argname!r} must be a bool, got {type(value).__name__} "
                    f"{value!r:.40}{hint}")


def explain_forward_mode(qualname: str, err: TypeError, instead: str) -> None:
    """Raise JAX's refusal of a ``custom_vjp`` under forward mode again, naming the function
    and the way out (``instead``): JAX's bare message names neither. Other errors: nothing."""
    if "forward-mode" in str(err):
        raise TypeError(f"jax_act.{qualname} is reverse-mode only (a custom_vjp rule: grad, vjp, jacrev); "
                        f"under jax.jvp or jax.jacfwd use {instead}") from err


def explain_bad_call(name: str, sig: inspect.Signature, args: tuple, kwargs: dict, err: Exception) -> None:
    """Raise a TypeError naming the argument a failed call could not trace, if one is to blame."""
    try:
        bound = sig.bind(*args, **kwargs)
    except TypeError as e:
        raise TypeError(f"jax_act.{name}: {e}") from err
    for argname, value in bound.arguments.items():
        if argname == "accuracy":  # checked before the call
            continue
        if argname == "axis":
            if isinstance(value, (list, dict, set)):
                raise TypeError(f"jax_act.{name}: argument 'axis' must be an int or a tuple of ints") from err
            continue
        if not _array_like(value) and not (value is None and sig.parameters[argname].default is None):
            raise TypeError(
                f"jax_act.{name}: argument {argname!r} must be an array or a real number, "
                f"got {type(value).__name__} {value!r:.40}"
            ) from err


def _array_like(value: Any) -> bool:
    if isinstance(value, (str, bytes)) or value is None:
        return False
    if isinstance(value, (jax.Array, np.ndarray, np.generic, int, float, bool)) or hasattr(value, "__jax_array__"):
        return True
    try:
        return np.asarray(value).dtype != object
    except Exception:  # noqa: BLE001 - anything numpy cannot read is not array-like
        return False
