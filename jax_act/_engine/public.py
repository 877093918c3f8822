"""The public face of every declaration: jitted, named, documented, with the ``accuracy``
keyword, and registered (:func:`publish`, the one registration path)."""

from __future__ import annotations

import functools
import inspect
from typing import Any, Callable, Sequence

import jax

from .checks import explain_bad_call, explain_forward_mode, static_bool
from .levels import check_level
from .names import calling, site
from .docs import document
from .registry import Activation, Kind, Probes, Spec, register

# --------------------------------------------------------------------------- public face


def public_function(
    name: str, impl: Callable, signature: inspect.Signature, doc: str | None, static: Sequence[str],
    declared: Callable, namespace: str = "", module: str = "jax_act",
) -> Callable[..., jax.Array]:
    """Jit ``impl`` (validation runs once, at trace time) and give it the public name,
    signature and docstring. An activation (``namespace`` empty) gets the keyword-only
    ``accuracy``: resolved here, when the call is traced (None: :func:`get_accuracy`), and
    passed to ``impl`` as a static argument; a loss (``namespace`` "losses") has one level.
    Arguments jit cannot even trace get a clear TypeError naming ``jax_act.<namespace>.<name>``.
    ``module`` is where the function is found by name (so that pickle finds it there).
    ``__wrapped__`` is ``declared``, the decorated declaration, so that ``inspect.getsource``
    and IDEs land on it."""
    qualname = f"{namespace}.{name}" if namespace else name
    how_to_import = f"from jax_act.forward_mode import {namespace}" if namespace else "import jax_act.forward_mode as nn"
    leveled = not namespace
    impl.__signature__ = with_accuracy(signature)  # type: ignore[attr-defined]
    signature = impl.__signature__ if leveled else signature
    impl.__name__ = impl.__qualname__ = name
    jitted = jax.jit(_naming(impl), static_argnames=(*static, "accuracy", "residual_name"))

    flags = [k for k in static if signature.parameters[k].annotation in (bool, "bool")]
    static_at = [i for i, p in enumerate(signature.parameters.values()) if p.name in static]

    @functools.wraps(impl)
    def fn(*args: Any, **kwargs: Any) -> jax.Array:
        args, kwargs = _static_arguments(qualname, signature, flags, static_at, args, kwargs)
        if leveled:
            kwargs["accuracy"] = check_level(qualname, kwargs.pop("accuracy", None))
        elif "accuracy" in kwargs:
            raise TypeError(f"jax_act.{qualname}: unexpected keyword argument 'accuracy' (a loss has one level)")
        named = dict(kwargs, residual_name=site(f"jax_act.{qualname}"))
        try:
            return jitted(*args, **named) if leveled else jitted(*args, accuracy="default", **named)
        except TypeError as e:
            explain_forward_mode(qualname, e, f"jax_act.forward_mode.{qualname}, its custom_jvp twin with the "
                                              f"same closed form (`{how_to_import}`)")
            explain_bad_call(qualname, signature, args, kwargs, e)
            raise

    fn.__doc__ = doc
    fn.__signature__ = signature  # type: ignore[attr-defined]
    fn.__module__ = module
    fn.__wrapped__ = declared  # type: ignore[attr-defined]
    return fn


def _naming(impl: Callable) -> Callable:
    """``impl`` with a static ``residual_name``: the name its rules give what they keep, read
    when the public function is called (:mod:`.names`)."""

    def named(*args: Any, residual_name: str, **kwargs: Any) -> Any:
        with calling(residual_name):
            return impl(*args, **kwargs)

    sig = inspect.signature(impl)
    params = list(sig.parameters.values())
    at = len(params) - (params[-1].kind is inspect.Parameter.VAR_KEYWORD if params else 0)
    param = inspect.Parameter("residual_name", inspect.Parameter.KEYWORD_ONLY)
    named.__signature__ = sig.replace(parameters=[*params[:at], param, *params[at:]])  # type: ignore[attr-defined]
    named.__name__ = named.__qualname__ = impl.__name__
    return named


def _static_arguments(qualname: str, signature: inspect.Signature, flags: list[str], static_at: list[int],
                      args: tuple, kwargs: dict) -> tuple[tuple, dict]:
    """The call's arguments as jit's static arguments need them: a boolean that selects a
    formula (``flags``) checked to be a concrete bool, and a list (``axis=[0, 1]``) read as a
    tuple, by keyword or at a static argument's position (``static_at``)."""
    if flags:
        try:
            bound = signature.bind(*args, **kwargs)
        except TypeError as e:
            raise TypeError(f"jax_act.{qualname}: {e}") from None
        for k in flags:
            if k in bound.arguments:
                bound.arguments[k] = static_bool(qualname, k, bound.arguments[k])
        args, kwargs = bound.args, dict(bound.kwargs)
    if any(isinstance(args[i], list) for i in static_at if i < len(args)):
        args = tuple(tuple(a) if i in static_at and isinstance(a, list) else a for i, a in enumerate(args))
    if any(isinstance(v, list) for v in kwargs.values()):
        kwargs = {k: tuple(v) if isinstance(v, list) else v for k, v in kwargs.items()}
    return args, kwargs


def publish(
    declared: Callable, sig: inspect.Signature, face: Callable[[str], Callable], derivative: Callable,
    derivative_doc: str | None, *, kind: Kind, formula: str, derivative_text: str, kinks: str, saves: str,
    reference: Callable, params: Sequence[str] = (), static: Sequence[str] = (), aliases: Sequence[str] = (),
    jax_nn: str | None = None, probes: Probes = Probes(), saves_highest: str | None = None, dispatch: str = "",
    derivative_name: str | None = None, derivative_declared: Callable | None = None, note: str | None = None,
    **extra: Any,
) -> Callable[..., jax.Array]:
    """The one registration path of every kind: the public function (``face("vjp")``), its
    forward-mode twin (``face("twin")``) and the bare derivative, each an
    ``impl(*args, accuracy, **kwargs)`` made public by :func:`public_function`, registered
    under the :class:`Spec` made here from the declaration's words (a loss: in
    ``jax_act.losses``). The public docstring is generated from the spec around the
    declaration's own docstring (:func:`.docs.document`), ``note`` last. Returns the public
    function."""
    spec = Spec(name=declared.__name__, kind=kind, formula=formula, derivative=derivative_text, kinks=kinks,
                saves=saves, params=tuple(params), static=tuple(static), aliases=tuple(aliases), jax_nn=jax_nn,
                saves_highest=saves_highest, dispatch=dispatch, probes=probes)
    namespace = "losses" if spec.kind == "loss" else ""
    doc = document(spec, declared.__doc__, () if namespace else tuple(sig.parameters), leveled=not namespace, note=note)
    module = ".".join(filter(None, ["jax_act", namespace]))
    twin_module = ".".join(filter(None, ["jax_act.forward_mode", namespace]))
    public = functools.partial(public_function, static=spec.static, namespace=namespace)
    act = register(
        Activation(
            spec=spec,
            fn=public(spec.name, face("vjp"), sig, doc, declared=declared, module=module),
            forward_mode=public(spec.name, face("twin"), sig, doc, declared=declared, module=twin_module),
            derivative=public(derivative_name or f"{spec.name}_derivative", derivative, sig, derivative_doc,
                              declared=derivative_declared or declared, module=module),
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
