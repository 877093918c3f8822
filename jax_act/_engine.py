"""The engine: one declaration in; a jitted ``custom_vjp`` function, its forward-mode twin and
its bare derivative out, at each accuracy level.

An elementwise activation is declared once, with :func:`elementwise`, as its forward formula
(a plain function whose signature and docstring become the public ones) plus

* ``derivative``: f' written in terms of what the forward pass saved (``saves``);
* ``saves``: ``"output"`` (f' is a function of y = f(x), so the backward pass costs no memory
  the next layer does not already keep) or ``"input"`` (f is not invertible: gelu, silu, ...);
* ``partials``: for each differentiable parameter, ∂f/∂param as a function of ``(x, y, *params)``.
  The input is saved for these only when that parameter is actually differentiated
  (``symbolic_zeros`` tells the forward rule which inputs are perturbed);
* ``highest``: what ``accuracy="highest"`` computes differently (own kernels from
  ``jax_act._kernels``; for 16-bit input of an output-saving function, the input kept and y
  computed again in float32, so the gradient is rounded once).

Every public function takes a keyword-only ``accuracy`` ("default", "highest", or None for the
scoped default of :func:`accuracy` / :func:`set_accuracy`), read when the call is traced.

Non-elementwise functions (softmax, ...) declare their own ``custom_vjp`` beside their formula
and call :func:`register` and :func:`public_function` to get the same public face.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import functools
import inspect
import types
from typing import Any, Callable, Iterator, Literal, Sequence

import jax
import jax.numpy as jnp
import numpy as np
from jax.custom_derivatives import SymbolicZero

Saves = Literal["output", "input"]
# elementwise: f(x) entry by entry; gated: a ⊙ gate(b) of the halves along an axis;
# axis_map: along an axis, shape kept (softmax, sparsemax); reduction: along an axis, the
# axis reduced (logsumexp)
Kind = Literal["elementwise", "gated", "axis_map", "reduction"]

_HALF = (jnp.dtype(jnp.float16), jnp.dtype(jnp.bfloat16))


# --------------------------------------------------------------------------- accuracy levels

LEVELS = ("default", "highest")
_SCOPED: contextvars.ContextVar[str | None] = contextvars.ContextVar("jax_act_accuracy", default=None)
_GLOBAL = {"level": "default"}


def check_level(fname: str, level: Any) -> str:
    """``level`` as one of :data:`LEVELS`, or an error naming the function and ``accuracy``."""
    if level is None:
        return get_accuracy()
    if not isinstance(level, str):
        raise TypeError(f"jax_act.{fname}: argument 'accuracy' must be one of {LEVELS} or None, got {level!r:.40}")
    if level not in LEVELS:
        raise ValueError(f"jax_act.{fname}: argument 'accuracy' must be one of {LEVELS} or None, got {level!r}")
    return level


def get_accuracy() -> str:
    """The accuracy level a call with ``accuracy=None`` uses now: the innermost
    :func:`accuracy` scope's, else the global one (:func:`set_accuracy`; initially "default")."""
    return _SCOPED.get() or _GLOBAL["level"]


def set_accuracy(level: str) -> None:
    """Set the global default accuracy level ("default" or "highest")."""
    _GLOBAL["level"] = check_level("set_accuracy", level if level is not None else "default")


@contextlib.contextmanager
def accuracy(level: str) -> Iterator[str]:
    """A scope in which calls with ``accuracy=None`` use ``level``.

    The level is read when a function is *traced*: a function jitted by the caller keeps the
    level that was in effect when it was traced, for as long as JAX reuses that trace."""
    token = _SCOPED.set(check_level("accuracy", level))
    try:
        yield level
    finally:
        _SCOPED.reset(token)


@dataclasses.dataclass(frozen=True)
class Spec:
    """What the registry, ``jax-act list``, the README table and the testing kit know."""

    name: str
    kind: Kind
    formula: str  # plain-text f
    derivative: str  # plain-text f'
    kinks: str  # the convention at non-differentiable points
    saves: str  # what the backward pass keeps, in words
    params: tuple[str, ...] = ()
    static: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    jax_nn: str | None = None  # the jax.nn counterpart's name, if any
    kink_points: tuple[float, ...] = ()  # exact kinks, probed by the kit
    smooth: bool = True  # C^2 everywhere (higher-order checks apply)
    test_params: tuple[dict[str, Any], ...] = ({},)  # parameter sets the kit checks
    domain: tuple[float, float] = (-np.inf, np.inf)  # where f is defined (log1mexp: x < 0)
    saves_highest: str | None = None  # what accuracy="highest" keeps, where it differs

    @property
    def along_axis(self) -> bool:
        """An axis map or a reduction: takes ``axis`` (and ``where``), sees whole rows."""
        return self.kind in ("axis_map", "reduction")

    def saved(self, level: str = "default") -> str:
        """What the backward pass keeps at ``level``."""
        return self.saves_highest if level == "highest" and self.saves_highest else self.saves


@dataclasses.dataclass
class Activation:
    """A registered activation: the public function and everything derived from it."""

    spec: Spec
    fn: Callable[..., jax.Array]  # jitted custom_vjp (the default face)
    forward_mode: Callable[..., jax.Array]  # custom_jvp twin
    derivative: Callable[..., jax.Array]  # bare f'(x) (elementwise) or Jacobian
    reference: Callable[..., jax.Array]  # the plain formula: the kit's oracle under jax.grad
    rules: dict[str, "Rule"] | None = None  # elementwise: how each accuracy level computes it
    baseline: Callable[..., jax.Array] | None = None  # jax.nn's way where jax.nn has no such name

    def compared_with(self) -> tuple[Callable[..., jax.Array], str]:
        """What the default level is measured against: jax.nn's function, else the same
        formula written with jax.nn, else the plain reference formula (under autodiff)."""
        nn = getattr(jax.nn, self.spec.jax_nn, None) if self.spec.jax_nn else None
        if nn is not None:
            return nn, f"jax.nn.{self.spec.jax_nn}"
        if self.baseline is not None:
            return self.baseline, self.baseline.__doc__ or "the formula with jax.nn"
        return self.reference, "reference formula"


REGISTRY: dict[str, Activation] = {}
_ALIASES: dict[str, str] = {}


def register(activation: Activation) -> Activation:
    for key in (activation.spec.name, *activation.spec.aliases):
        if key in REGISTRY or key in _ALIASES:
            raise ValueError(f"jax_act: activation name {key!r} is declared twice")
    REGISTRY[activation.spec.name] = activation
    _ALIASES.update({alias: activation.spec.name for alias in activation.spec.aliases})
    for f in (activation.fn, activation.forward_mode, activation.derivative):
        f.activation = activation  # type: ignore[attr-defined]
    return activation


def lookup(name_or_fn: str | Callable, caller: str = "get") -> Activation:
    """The registered :class:`Activation` for a name, alias or public function; errors name
    ``jax_act.<caller>``, the function the user called."""
    if callable(name_or_fn) and hasattr(name_or_fn, "activation"):
        return name_or_fn.activation  # type: ignore[attr-defined]
    if not isinstance(name_or_fn, str):
        own = getattr(name_or_fn, "__name__", None)
        hint = (f"; pass jax_act.{own} or the name {own!r}"
                if isinstance(own, str) and _ALIASES.get(own, own) in REGISTRY else "")
        raise TypeError(f"jax_act.{caller}: expected an activation name (a str) or a jax_act function, "
                        f"got {name_or_fn!r:.60}{hint}")
    name = _ALIASES.get(name_or_fn, name_or_fn)
    if name not in REGISTRY:
        import difflib

        known = [*REGISTRY, *_ALIASES]
        folded = name_or_fn.lower().replace("-", "_")
        close = [folded] if folded in known else difflib.get_close_matches(folded, known, n=3)
        hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
        raise ValueError(f"jax_act.{caller}: unknown activation {name_or_fn!r}{hint} (jax_act.names() lists them)")
    return REGISTRY[name]


# --------------------------------------------------------------------------- dtypes, checks


def compute_dtype(dtype: Any) -> np.dtype:
    """Half precision is computed in float32 and rounded once at the end."""
    dtype = jnp.dtype(dtype)
    return jnp.dtype(jnp.float32) if dtype in _HALF else dtype


def widen(x: jax.Array) -> jax.Array:
    """``x`` in its compute dtype. A 16-bit input goes through an optimization barrier first:
    XLA may otherwise drop the rounding of a float32 producer (a matmul) to 16 bits, feed the
    unrounded float32 array in, and keep it for the backward pass (measured: 2 bytes per
    element more than jax.nn in a bfloat16 MLP step for leaky_relu, hard_tanh, threshold)."""
    if x.dtype in _HALF:
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


def _weak(value: Any) -> bool:
    """A Python number, or an array JAX made from one (weakly typed): no dtype of its own."""
    python_number = isinstance(value, (int, float)) and not isinstance(value, bool)
    return python_number or bool(getattr(value, "weak_type", False))


def check_param(fname: str, argname: str, value: Any, shape: tuple[int, ...]) -> jax.Array:
    """A float parameter (Python numbers are fine) that broadcasts against ``shape``."""
    arr = check_array(fname, argname, value)
    # Python numbers arrive weakly typed (a jit traces b=4 as a weak int): they are fine.
    python_number = _weak(value) or isinstance(value, bool)
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


def _is_zero(t: Any) -> bool:
    return isinstance(t, SymbolicZero)


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
            _explain_bad_call(name, signature, args, kwargs, e)
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


def with_accuracy(sig: inspect.Signature) -> inspect.Signature:
    """``sig`` with a keyword-only ``accuracy=None`` last (jax.nn's positional signature kept)."""
    if "accuracy" in sig.parameters:
        return sig
    params = [p for p in sig.parameters.values() if p.kind is not p.VAR_KEYWORD]
    extra = [p for p in sig.parameters.values() if p.kind is p.VAR_KEYWORD]
    level = inspect.Parameter("accuracy", inspect.Parameter.KEYWORD_ONLY, default=None, annotation="str | None")
    return sig.replace(parameters=[*params, level, *extra])


def _explain_bad_call(name: str, sig: inspect.Signature, args: tuple, kwargs: dict, err: Exception) -> None:
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


# --------------------------------------------------------------------------- elementwise engine


def elementwise(
    *,
    derivative: Callable[..., jax.Array],
    saves: Saves | Callable[[jax.Array, jax.Array], jax.Array],
    formula: str,
    derivative_text: str,
    kinks: str,
    partials: dict[str, Callable[..., jax.Array]] | None = None,
    static: Sequence[str] = (),
    keep_int: bool = False,
    jax_nn: str | None = None,
    aliases: Sequence[str] = (),
    kink_points: Sequence[float] = (),
    smooth: bool = True,
    test_params: Sequence[dict[str, Any]] = ({},),
    domain: tuple[float, float] = (-np.inf, np.inf),
    reference: Callable[..., jax.Array],
    partials_need: str = "xy",
    half_from_input: bool = False,
    derivative_from_input: Callable[..., jax.Array] | None = None,
    barrier: bool | Literal["half"] = True,
    highest: dict[str, Any] | None = None,
) -> Callable[[Callable[..., jax.Array]], Callable[..., jax.Array]]:
    """Declare an elementwise activation. Decorates its forward formula ``f(x, *params)``.

    Args:
      derivative: ``f'`` as a function of ``(s, *params, **static)``, ``s`` the saved array.
      saves: what the backward pass keeps: ``"output"``, ``"input"``, or a function of
        ``(x, y)`` returning a smaller residual (a boolean mask); its docstring names it.
      formula, derivative_text, kinks: plain text for ``jax-act list`` and the README.
      partials: ``{param: ∂f/∂param(x, y, *params, **static)}``; every array parameter of the
        forward formula must have one.
      static: keyword arguments that select a formula (``approximate``), not differentiable.
      keep_int: integer input gives integer output, as ``jax.nn.relu`` does.
      jax_nn: name of the jax.nn counterpart (for the kit and benchmarks).
      kink_points: exact non-differentiable points, probed by the testing kit.
      smooth: whether f is twice differentiable everywhere.
      test_params: parameter sets the kit checks besides the defaults.
      domain: the interval where f is defined, for the kit's samples.
      reference: the plain, naive formula with the public signature: the testing kit's
        oracle (evaluated in float64 and differentiated by ``jax.grad``). Write it
        independently of the forward formula where possible.
      partials_need: which of ``x`` and ``y`` the ``partials`` read: ``"xy"`` (default),
        ``"x"`` or ``"y"``. Only those are kept when a parameter is differentiated; the other
        reaches the partials as ``None``.
      half_from_input: with ``saves="output"``, keep x instead for float16/bfloat16 input and
        compute y again in float32 (see the module docstring): the gradient is then rounded
        once, but in a model x is an array the next layer does not share. The default level
        keeps the 16-bit output, as jax.nn does; ``highest`` sets this where it pays.
      derivative_from_input: f' as a function of ``(x, *params, **static)``, used where an
        output-saving function keeps x (16-bit input): float32's y saturates long before a
        16-bit dtype's f' underflows (bfloat16 σ' is normal up to x ≈ 87, float32 σ is 1
        from 16.6), and f' from x keeps every bit there.
      barrier: for a rule that keeps x, pass x and y through an optimization barrier (see
        ``_elementwise_cores``); False where the barrier itself made XLA keep more, "half" to
        keep it for 16-bit input only (log1mexp: it costs an array in a float32 transformer
        step and saves one in a bfloat16 MLP step).
      highest: what ``accuracy="highest"`` does differently, as overrides of the fields of
        :class:`Rule` (``forward``, ``derivative``, ``saves``, ``half_from_input``,
        ``derivative_from_input``, ``barrier``). The arguments above (and the decorated formula) are the
        default level: the cheapest closed form at least as accurate as jax.nn.
    """
    partials = dict(partials or {})
    if partials_need not in ("xy", "x", "y"):
        raise ValueError(f"jax_act.elementwise: partials_need must be 'xy', 'x' or 'y', got {partials_need!r}")
    unknown = set(highest or {}) - {f.name for f in dataclasses.fields(Rule)}
    if unknown:
        raise TypeError(f"jax_act.elementwise: highest= takes {[f.name for f in dataclasses.fields(Rule)]}, got {sorted(unknown)}")

    def declare(forward: Callable[..., jax.Array]) -> Callable[..., jax.Array]:
        name = forward.__name__
        sig = inspect.signature(forward)
        xname, *rest = sig.parameters
        pnames = tuple(p for p in rest if p not in static)
        if set(pnames) != set(partials):
            raise TypeError(f"jax_act.{name}: partials {sorted(partials)} != parameters {sorted(pnames)}")
        default = Rule(forward, derivative, saves, half_from_input, derivative_from_input, barrier)
        rules = {"default": default, "highest": dataclasses.replace(default, **(highest or {}))}
        cores = {"default": _elementwise_cores(default, pnames, partials, partials_need)}
        cores["highest"] = cores["default"] if not highest else _elementwise_cores(rules["highest"], pnames, partials, partials_need)

        # ---- public faces: argument checks and dtype promotion, then the level's core
        def prepare(args: tuple, kwargs: dict, fname: str):
            bound = sig.bind(*args, **kwargs)
            bound.apply_defaults()
            values = bound.arguments
            x = check_array(fname, xname, values[xname])
            params = [check_param(fname, p, values[p], x.shape) for p in pnames]
            opts = tuple((k, values[k]) for k in static)
            if keep_int and not jnp.issubdtype(x.dtype, jnp.inexact) and not pnames:
                return None, forward(x, **dict(opts)), opts
            dtype = jnp.result_type(x, *(values[p] for p in pnames))
            if not jnp.issubdtype(dtype, jnp.inexact):
                dtype = inexact_dtype(dtype)
            x = x.astype(dtype)
            # a parameter given as a Python number (weakly typed) goes in at the compute
            # precision: leaky_relu(bf16, 0.01) multiplies by 0.01, not by its bfloat16 rounding
            # (0.0100098), so the result is rounded once, from the exact product
            params = [p.astype(compute_dtype(dtype) if _weak(values[n]) else dtype) for n, p in zip(pnames, params)]
            # a parameter larger than x: broadcast x first, so the core sees one shape
            # and jax's transpose of broadcast_to reduces dx.
            shape = np.broadcast_shapes(x.shape, *(p.shape for p in params))
            return (jnp.broadcast_to(x, shape), params), None, opts

        def make(face: str) -> Callable[..., jax.Array]:
            def impl(*args: Any, accuracy: str, **kwargs: Any) -> jax.Array:
                prepared, direct, opts = prepare(args, kwargs, name)
                if prepared is None:
                    return direct
                x, params = prepared
                return getattr(cores[accuracy], face)(opts, x, *params)

            return impl

        def bare_derivative(*args: Any, accuracy: str, **kwargs: Any) -> jax.Array:
            prepared, direct, opts = prepare(args, kwargs, f"derivative({name})")
            if prepared is None:  # integer input: f' as a float array
                x = check_array(name, xname, args[0] if args else kwargs[xname])
                prepared = (x.astype(inexact_dtype(x.dtype)), [])
            x, params = prepared
            c = cores[accuracy]
            s = c.keep(x, c.twin(opts, x, *params))  # differentiable by the closed form too
            return jnp.broadcast_to(c.fprime(opts, s, params, x.dtype), x.shape).astype(x.dtype)

        spec = Spec(
            name=name,
            kind="elementwise",
            formula=formula,
            derivative=derivative_text,
            kinks=kinks,
            saves=_saves_text(default),
            params=pnames,
            static=tuple(static),
            aliases=tuple(aliases),
            jax_nn=jax_nn,
            kink_points=tuple(kink_points),
            smooth=smooth,
            test_params=tuple(test_params),
            domain=domain,
            saves_highest=_saves_text(rules["highest"]),
        )
        return publish(spec, forward, sig, _level_doc(forward.__doc__, rules), make, bare_derivative,
                       f"The closed-form derivative of :func:`jax_act.{name}`: {derivative_text}.",
                       reference=reference, rules=rules)

    return declare


@dataclasses.dataclass(frozen=True)
class Rule:
    """How one accuracy level computes an elementwise activation (see :func:`elementwise`)."""

    forward: Callable[..., jax.Array]
    derivative: Callable[..., jax.Array]
    saves: Saves | Callable[[jax.Array, jax.Array], jax.Array]
    half_from_input: bool = False
    derivative_from_input: Callable[..., jax.Array] | None = None
    barrier: bool | Literal["half"] = True  # keep x through a barrier ("half": 16-bit input only)

    def keeps_input(self, dtype: Any) -> bool:
        """Whether the backward pass keeps x: always for ``saves="input"``; for an
        output-saving rule with ``half_from_input``, for 16-bit input (y again in float32)."""
        half = self.saves == "output" and self.half_from_input and jnp.dtype(dtype) in _HALF
        return self.saves == "input" or half


def _saves_text(rule: Rule) -> str:
    if not isinstance(rule.saves, str):
        return (rule.saves.__doc__ or rule.saves.__name__).strip()
    return rule.saves + (" (16-bit input: the input)" if rule.saves == "output" and rule.half_from_input else "")


def _level_doc(doc: str | None, rules: dict[str, Rule]) -> str | None:
    """The docstring, with the half-precision note where an output-saving level keeps x."""
    if any(r.saves == "output" and r.half_from_input for r in rules.values()):
        level = "highest" if not rules["default"].half_from_input else "every"
        return with_half_note(doc, "the output", level)
    return doc


def _elementwise_cores(rule: Rule, pnames: tuple[str, ...], partials: dict, partials_need: str) -> Any:
    """The ``custom_vjp`` core, its ``custom_jvp`` twin, and what they keep and differentiate
    with, for one :class:`Rule`. Both cores are called as ``core(opts, x, *params)``."""
    forward, derivative, saves = rule.forward, rule.derivative, rule.saves

    def evaluate(opts: tuple, x: jax.Array, *params: jax.Array) -> jax.Array:
        cdt = compute_dtype(x.dtype)
        up = [p.astype(cdt) for p in params]
        kw = dict(zip(pnames, up))  # by name: parameters may be keyword-only (softplus's beta)
        return forward(widen(x), **kw, **dict(opts)).astype(x.dtype)

    def keep(x: jax.Array, y: jax.Array) -> jax.Array:
        """What the backward pass keeps: y, x, or what a callable ``saves`` makes of them."""
        if rule.keeps_input(x.dtype):
            return x
        if saves == "output":
            return y
        return saves(x, y)

    def fprime(opts: tuple, s: jax.Array, params: Sequence[jax.Array], dtype: Any) -> jax.Array:
        cdt = compute_dtype(dtype)
        if s is not None and jnp.issubdtype(s.dtype, jnp.inexact):  # masks stay bool;
            s = s.astype(cdt)  # None: a callable `saves` kept nothing (f' is constant)
        up = [p.astype(cdt) for p in params]
        if saves == "output" and rule.keeps_input(dtype):  # s is x
            if rule.derivative_from_input is not None:
                return rule.derivative_from_input(s, *up, **dict(opts))
            s = forward(s, **dict(zip(pnames, up)), **dict(opts))  # y again, unrounded
        return derivative(s, *up, **dict(opts))

    def partial_of(pname: str, opts: tuple, x: Any, y: Any, params: Sequence[jax.Array]):
        cdt = compute_dtype((y if x is None else x).dtype)  # x and y share a dtype
        up = [p.astype(cdt) for p in params]
        x, y = (None if a is None else a.astype(cdt) for a in (x, y))
        return partials[pname](x, y, *up, **dict(opts))

    # ---- forward-mode twin: custom_jvp from the same closed form
    @functools.partial(jax.custom_jvp, nondiff_argnums=(0,))
    def twin(opts: tuple, x: jax.Array, *params: jax.Array) -> jax.Array:
        return evaluate(opts, x, *params)

    def twin_jvp(opts: tuple, primals: tuple, tangents: tuple) -> tuple[jax.Array, jax.Array]:
        x, *params = primals
        tx, *tps = tangents
        y = twin(opts, x, *params)  # recursive: higher orders use the closed form too
        cdt = compute_dtype(y.dtype)
        ty = jnp.zeros(y.shape, cdt)
        if not _is_zero(tx):
            ty = ty + fprime(opts, keep(x, y), params, y.dtype) * tx.astype(cdt)
        for pname, tp in zip(pnames, tps):
            if not _is_zero(tp):
                ty = ty + partial_of(pname, opts, x, y, params) * tp.astype(cdt)
        return y, ty.astype(y.dtype)

    twin.defjvp(twin_jvp, symbolic_zeros=True)

    # ---- reverse mode: custom_vjp, saving `saves` (and x only for differentiated params)
    @functools.partial(jax.custom_vjp, nondiff_argnums=(0,))
    def vjp(opts: tuple, x: jax.Array, *params: jax.Array) -> jax.Array:
        return evaluate(opts, x, *params)

    def vjp_fwd(opts: tuple, x: Any, *params: Any) -> tuple[jax.Array, tuple]:
        xv, pv = x.value, [p.value for p in params]
        y = twin(opts, xv, *pv)
        flags = tuple(p.perturbed for p in params)
        if not any(flags):  # the common case: keep only what f' needs
            if rule.keeps_input(xv.dtype) and (rule.barrier is True or (rule.barrier == "half" and xv.dtype in _HALF)):
                # Without the barrier XLA may fuse the forward into the backward and keep
                # an intermediate besides x (gelu in an MLP step: 12 bytes/element, not 4).
                y, xv = jax.lax.optimization_barrier((y, xv))
            return y, (keep(xv, y), None, None, pv, flags)
        # partials need x and/or y too (``partials_need``)
        return y, (keep(xv, y), xv if "x" in partials_need else None, y if "y" in partials_need else None, pv, flags)

    def vjp_bwd(opts: tuple, res: tuple, g: Any) -> tuple:
        s, x, y, params, flags = res
        if _is_zero(g):
            return (None,) * (1 + len(params))
        dtype = g.dtype  # = x's dtype: the core sees x already promoted
        g = g.astype(compute_dtype(dtype))
        dx = (g * fprime(opts, s, params, dtype)).astype(dtype)  # x has y's shape (see prepare)
        outs: list[Any] = [dx]
        for pname, p, perturbed in zip(pnames, params, flags):
            if not perturbed:
                outs.append(None)
                continue
            dp = g * partial_of(pname, opts, x, y, params)
            outs.append(unbroadcast(dp, p.shape).astype(p.dtype))
        return tuple(outs)

    vjp.defvjp(vjp_fwd, vjp_bwd, symbolic_zeros=True)
    return types.SimpleNamespace(vjp=vjp, twin=twin, keep=keep, fprime=fprime)


# --------------------------------------------------------------------------- reductions


def custom_pair(
    evaluate: Callable[..., Any],
    *,
    jvp: Callable[[Any, tuple, Any, tuple], Any],
    save: Callable[[Any, tuple, Any], Any],
    vjp: Callable[[Any, Any, Any], tuple],
    barrier: bool = False,
) -> tuple[Callable[..., Any], Callable[..., Any]]:
    """One closed form, two faces: a ``custom_vjp`` core and its ``custom_jvp`` twin.

    Both are called as ``core(static, *xs)``, ``static`` hashable (axes, options).

    * ``evaluate(static, *xs)``: the forward value (an array or a tuple of arrays);
    * ``jvp(static, xs, out, txs)``: the output tangent, from the closed form;
    * ``save(static, xs, out)``: the residuals the backward pass keeps (say which, and why);
    * ``vjp(static, residuals, g)``: one cotangent per ``x`` (None for none), from the closed form;
    * ``barrier``: pass the output and the residuals through ``lax.optimization_barrier``, for
      rules that keep their input (as ``elementwise`` does): otherwise XLA may fuse the forward
      into the backward pass and keep one of its intermediates besides.

    The twin's rule calls the twin itself for the primal value, so higher-order forward
    derivatives use the closed form too; the forward rule of the core does the same.
    """

    @functools.partial(jax.custom_jvp, nondiff_argnums=(0,))
    def twin(static: Any, *xs: jax.Array) -> Any:
        return evaluate(static, *xs)

    @twin.defjvp
    def _twin_jvp(static: Any, primals: tuple, tangents: tuple) -> tuple:
        out = twin(static, *primals)
        return out, jvp(static, primals, out, tangents)

    @functools.partial(jax.custom_vjp, nondiff_argnums=(0,))
    def core(static: Any, *xs: jax.Array) -> Any:
        return evaluate(static, *xs)

    def _fwd(static: Any, *xs: jax.Array) -> tuple:
        out = twin(static, *xs)
        res = save(static, xs, out)
        return jax.lax.optimization_barrier((out, res)) if barrier else (out, res)

    core.defvjp(_fwd, vjp)
    return core, twin


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


def along_axis(
    *,
    vjp: Callable[[jax.Array, jax.Array, tuple[int, ...]], jax.Array],
    jvp: Callable[[jax.Array, jax.Array, tuple[int, ...]], jax.Array],
    formula: str,
    derivative_text: str,
    kinks: str = "none (smooth)",
    jax_nn: str | None = None,
    aliases: Sequence[str] = (),
    reference: Callable[..., jax.Array],
    fill: float = -np.inf,
    smooth: bool = True,
    zero_masked: bool = False,
    keep: Callable[[jax.Array, tuple[int, ...]], jax.Array] | None = None,
    keeps: str = "output",
    half_from_input: bool = True,
) -> Callable[[Callable[..., jax.Array]], Callable[..., jax.Array]]:
    """Declare a normalizing map along ``axis`` whose backward pass keeps one array: its
    output y, or what ``keep`` computes.

    Decorates ``forward(x, axis=-1, where=None)`` (``where`` optional), whose body computes
    y from ``x`` (float32 or wider; masked entries already replaced by ``fill``) and the
    normalized ``axis`` tuple. ``vjp(y, g, axes)`` and ``jvp(y, t, axes)`` are the
    closed-form products with the Jacobian, in terms of y alone. ``reference(x, axis, where)``
    is the plain formula (the testing kit's oracle). ``fill`` is what a masked entry becomes:
    −inf for maps that send −inf to 0 (softmax), +inf for those that send +inf to 0 (softmin).
    ``smooth``: whether the map is twice differentiable (sparsemax is not).
    ``zero_masked``: the products do not vanish on masked entries by themselves (log_softmax:
    ``g − e^y Σg`` is ``g`` where y = −inf); then the backward pass also keeps the caller's
    mask (when there is one) and zeroes masked entries in and out of both products.
    ``keep(x, axes)``: the array to keep instead of y, of y's shape, computed from the same
    (filled, widened) ``x`` as the forward body, so XLA shares what they have in common; the
    products then take it in place of y. ``keeps`` names it for the listing.
    ``half_from_input``: for float16/bfloat16 input keep x instead (masked entries filled; the
    same bytes) and compute that array again in float32 in the backward pass, as the
    elementwise engine does: products read from a 16-bit y are not correctly rounded. False
    where they are exact from it anyway (sparsemax reads only its support from y).
    """

    def declare(forward: Callable[..., jax.Array]) -> Callable[..., jax.Array]:
        name = forward.__name__
        sig = inspect.signature(forward)

        def masked_out(x: jax.Array, mask: jax.Array | None) -> jax.Array:
            # masked entries take no part: `fill`, whatever they held
            return x if mask is None else jax.lax.select(mask, x, jnp.full_like(x, fill))

        def filled(x: jax.Array, mask: jax.Array | None) -> jax.Array:
            return masked_out(x, mask).astype(compute_dtype(x.dtype))

        def evaluate(axes: tuple[int, ...], x: jax.Array, mask: jax.Array | None = None) -> jax.Array:
            return forward(filled(x, mask), axes).astype(x.dtype)

        def up(*arrays: jax.Array) -> list[jax.Array]:
            return [a.astype(compute_dtype(a.dtype)) for a in arrays]

        # The mask goes into the core, not around it: every product below is 0 on entries
        # whose output is the "absent" value (0, or −inf for log_softmax), so masked entries
        # get no gradient without the backward pass keeping the mask or anything else.
        def masked(product: Callable, y: jax.Array, v: jax.Array, axes: tuple[int, ...], mask: Any) -> jax.Array:
            y, v = up(y, v)
            if mask is None or not zero_masked:
                return product(y, v, axes).astype(y.dtype)
            zero = jnp.zeros_like(v)
            return jax.lax.select(mask, product(y, jax.lax.select(mask, v, zero), axes), zero)

        def build(half: bool) -> Any:
            """The cores for one level: ``half`` is ``half_from_input`` there."""

            def from_input(dtype: Any) -> bool:
                return half and dtype in _HALF

            def kept(axes: tuple[int, ...], xs: tuple, y: jax.Array) -> jax.Array:
                """What the products take: y, or what ``keep`` computes; in float32 from x, for a
                16-bit input (``half_from_input``)."""
                if from_input(y.dtype):
                    return (forward if keep is None else keep)(filled(*xs), axes)
                return y if keep is None else keep(filled(*xs), axes).astype(y.dtype)

            def save(axes: tuple[int, ...], xs: tuple, y: jax.Array) -> tuple:
                # (+ the mask, for products that do not vanish on masked entries by themselves);
                # a 16-bit input keeps x, masked entries filled (the same bytes as y): see `kept`
                first = masked_out(*xs) if from_input(y.dtype) else kept(axes, xs, y)
                return first, xs[1] if zero_masked else None

            def pullback(axes: tuple[int, ...], res: tuple, g: jax.Array) -> tuple:
                s = res[0]
                if from_input(s.dtype):  # s is x: y (or keep's array) again, in float32
                    s = kept(axes, (s, None), s)
                return masked(vjp, s, g, axes, res[1]).astype(g.dtype), None

            vjp_core, twin_core = custom_pair(
                evaluate,
                jvp=lambda axes, xs, y, ts: masked(jvp, kept(axes, xs, y), ts[0], axes, xs[1]).astype(y.dtype),
                save=save,
                vjp=pullback,
            )
            return types.SimpleNamespace(vjp=vjp_core, twin=twin_core, kept=kept)


        cores = {"default": build(False)}
        cores["highest"] = build(True) if half_from_input else cores["default"]

        def prepare(fname: str, args: tuple, kwargs: dict) -> tuple[tuple[int, ...], jax.Array, Any]:
            bound = sig.bind(*args, **kwargs)
            bound.apply_defaults()
            x = float_input(fname, bound.arguments["x"])
            axes = check_axis(fname, bound.arguments["axis"], x.ndim)
            return axes, x, check_where(fname, bound.arguments.get("where"), x.shape)

        def make(face: str) -> Callable[..., jax.Array]:
            def impl(*args: Any, accuracy: str, **kwargs: Any) -> jax.Array:
                return getattr(cores[accuracy], face)(*prepare(name, args, kwargs))

            return impl

        def jacobian(*args: Any, accuracy: str, **kwargs: Any) -> jax.Array:
            """Jacobian along the (flattened) axes: shape ``batch + (n, n)``, from the closed form."""
            axes, x, mask = prepare(f"derivative({name})", args, kwargs)
            xt, _ = flatten_axes(x, axes)
            last = (xt.ndim - 1,)
            mt = None if mask is None else flatten_axes(mask, axes)[0]
            y = cores[accuracy].kept(last, (xt, mt), evaluate(last, xt, mt))
            eye = jnp.eye(xt.shape[-1], dtype=y.dtype)
            cols = jax.vmap(lambda e: masked(jvp, y, jnp.broadcast_to(e, y.shape), last, mt), out_axes=-1)(eye)
            return cols.astype(xt.dtype)

        spec = Spec(
            name=name,
            kind="axis_map",
            formula=formula,
            derivative=derivative_text,
            kinks=kinks,
            saves=keeps,
            static=("axis",),
            aliases=tuple(aliases),
            jax_nn=jax_nn,
            smooth=smooth,
            saves_highest="the input (16-bit input), else " + keeps if half_from_input else None,
        )
        what = "the output" if keep is None else keeps.split(",")[0]
        doc = with_half_note(forward.__doc__, what, "highest") if half_from_input else forward.__doc__
        return publish(spec, forward, sig, doc, make, jacobian, jacobian.__doc__, reference=reference,
                       derivative_name=f"{name}_jacobian")

    return declare


def declare_explicit(
    *,
    core: Callable[..., Any],
    twin: Callable[..., Any],
    derivative: Callable[..., jax.Array],
    reference: Callable[..., Any],
    static: Sequence[str],
    kind: Kind,
    formula: str,
    derivative_text: str,
    saves: str,
    kinks: str = "none (smooth)",
    jax_nn: str | None = None,
    aliases: Sequence[str] = (),
    kink_points: Sequence[float] = (),
    smooth: bool = True,
    baseline: Callable[..., Any] | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a function that declares its own closed form with :func:`custom_pair`.

    Decorates ``face(core, x, ...)``: the argument checks and layout around a core, written
    once; called with ``core`` it is the public function, with ``twin`` its forward-mode twin.
    Its signature after ``core`` and its docstring become the public ones. ``core`` and
    ``twin`` are one function, or a dict from accuracy level to function. ``derivative`` has
    the public signature (and, if it depends on the level, an ``accuracy`` keyword) and
    returns the closed-form derivative (see ``jax_act.derivative``).
    """
    per_level = lambda c: c if isinstance(c, dict) else dict.fromkeys(LEVELS, c)  # noqa: E731
    level_aware = "accuracy" in inspect.signature(derivative).parameters

    def declare(face: Callable[..., Any]) -> Callable[..., Any]:
        name = face.__name__
        sig = inspect.signature(face)
        sig = sig.replace(parameters=list(sig.parameters.values())[1:])

        def make(which: str) -> Callable[..., Any]:
            levels = per_level(core if which == "vjp" else twin)

            def impl(*args: Any, accuracy: str, **kwargs: Any) -> Any:
                return face(levels[accuracy], *args, **kwargs)

            return impl

        def bare_derivative(*args: Any, accuracy: str, **kwargs: Any) -> Any:
            return derivative(*args, **kwargs, **({"accuracy": accuracy} if level_aware else {}))

        spec = Spec(
            name=name,
            kind=kind,
            formula=formula,
            derivative=derivative_text,
            kinks=kinks,
            saves=saves,
            static=tuple(static),
            aliases=tuple(aliases),
            jax_nn=jax_nn,
            kink_points=tuple(kink_points),
            smooth=smooth,
        )
        return publish(spec, face, sig, face.__doc__, make, bare_derivative, derivative.__doc__,
                       reference=reference, derivative_declared=derivative, baseline=baseline)

    return declare
