"""The public face of every declaration: jitted, named, documented, with the ``accuracy``
keyword, and registered (:func:`publish`, the one registration path)."""

from __future__ import annotations

import functools
import inspect
from typing import Any, Callable, Sequence

import jax

from .checks import explain_bad_call, static_bool
from .levels import check_level
from .registry import Activation, Spec, register

# --------------------------------------------------------------------------- public face


HALF_NOTE = """Note:
      float16/bfloat16 input at {level} accuracy level: the backward pass keeps the input
      instead of {what} (the same bytes) and computes the derivative from it in float32, so
      the gradient is rounded once; from a 16-bit copy of {what} it would not be (and would
      be 0 where the copy has rounded to its limit). In a model this costs one 16-bit array
      per call, which the next layer does not share.
    """


def with_half_note(doc: str | None, what: str, level: str = "every") -> str | None:
    """``doc`` with :data:`HALF_NOTE` appended (as its last section)."""
    level = "the highest" if level == "highest" else level
    return doc and doc.rstrip() + "\n\n    " + HALF_NOTE.format(what=what, level=level)


def public_function(
    name: str, impl: Callable, signature: inspect.Signature, doc: str | None, static: Sequence[str],
    declared: Callable,
) -> Callable[..., jax.Array]:
    """Jit ``impl`` (validation runs once, at trace time) and give it the public name,
    signature and docstring, plus the keyword-only ``accuracy``: resolved here, when the call
    is traced (None: :func:`get_accuracy`), and passed to ``impl`` as a static argument.
    Arguments jit cannot even trace get a clear TypeError. ``__wrapped__`` is ``declared``,
    the decorated declaration, so that ``inspect.getsource`` and IDEs land on it."""
    signature = with_accuracy(signature)
    impl.__signature__ = signature  # type: ignore[attr-defined]
    impl.__name__ = impl.__qualname__ = name
    static = (*static, "accuracy")
    jitted = jax.jit(impl, static_argnames=static)

    flags = [k for k in static if k != "accuracy" and signature.parameters[k].annotation in (bool, "bool")]

    @functools.wraps(impl)
    def fn(*args: Any, accuracy: str | None = None, **kwargs: Any) -> jax.Array:
        if flags:  # a boolean that selects a formula: a concrete bool, checked here
            try:
                bound = signature.bind(*args, **kwargs)
            except TypeError as e:
                raise TypeError(f"jax_act.{name}: {e}") from None
            for k in flags:
                if k in bound.arguments:
                    bound.arguments[k] = static_bool(name, k, bound.arguments[k])
            args, kwargs = bound.args, dict(bound.kwargs)
        kwargs["accuracy"] = check_level(name, accuracy)
        if any(isinstance(v, list) for v in kwargs.values()):
            kwargs = {k: tuple(v) if isinstance(v, list) else v for k, v in kwargs.items()}
        try:
            return jitted(*args, **kwargs)
        except TypeError as e:
            if "forward-mode" in str(e):  # JAX's bare message names neither us nor the way out
                raise TypeError(
                    f"jax_act.{name} is the reverse-mode function (a custom_vjp rule: grad, vjp); under "
                    f"jax.jvp or jax.jacfwd use jax_act.forward_mode.{name}, its "
                    f"custom_jvp twin with the same closed form (`import jax_act.forward_mode as nn`)"
                ) from e
            explain_bad_call(name, signature, args, kwargs, e)
            raise

    fn.__doc__ = doc
    fn.__module__ = "jax_act"
    fn.__wrapped__ = declared  # type: ignore[attr-defined]
    return fn


def publish(
    spec: Spec, declared: Callable, sig: inspect.Signature, doc: str | None,
    face: Callable[[str], Callable], derivative: Callable, derivative_doc: str | None, *,
    reference: Callable, derivative_name: str | None = None, derivative_declared: Callable | None = None,
    **extra: Any,
) -> Callable[..., jax.Array]:
    """The one registration path of every kind: the public function (``face("vjp")``), its
    forward-mode twin (``face("twin")``) and the bare derivative, each an
    ``impl(*args, accuracy, **kwargs)`` made public by :func:`public_function`, registered
    under ``spec``. Returns the public function."""
    static = spec.static
    act = register(
        Activation(
            spec=spec,
            fn=public_function(spec.name, face("vjp"), sig, doc, static, declared),
            forward_mode=public_function(spec.name, face("twin"), sig, doc, static, declared),
            derivative=public_function(derivative_name or f"{spec.name}_derivative", derivative, sig, derivative_doc,
                                       static, derivative_declared or declared),
            reference=reference,
            **extra,
        )
    )
    return act.fn


def with_accuracy(sig: inspect.Signature) -> inspect.Signature:
    """``sig`` with a keyword-only ``accuracy=None`` last (jax.nn's positional signature kept)."""
    if "accuracy" in sig.parameters:
        return sig
    params = [p for p in sig.parameters.values() if p.kind is not p.VAR_KEYWORD]
    extra = [p for p in sig.parameters.values() if p.kind is p.VAR_KEYWORD]
    level = inspect.Parameter("accuracy", inspect.Parameter.KEYWORD_ONLY, default=None, annotation="str | None")
    return sig.replace(parameters=[*params, level, *extra])
