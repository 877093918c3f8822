"""Rules written out in full: :func:`custom_pair` (one closed form, a ``custom_vjp`` core and
its ``custom_jvp`` twin) and :func:`declare_explicit`, which registers a function built on it."""

from __future__ import annotations

import functools
import inspect
import warnings
from typing import Any, Callable, Literal, Sequence, Union

import jax
import jax.numpy as jnp
from jax.custom_derivatives import CustomVJPPrimal

from .levels import LEVELS
from .names import current, tag
from .public import publish
from .registry import Kind, Probes

# what a rule keeps as it is: its first input, its output, inputs by position, or none (None)
Kept = Union[Literal["input", "output"], Sequence[Union[Literal["input", "output"], int]], None]


def custom_pair(
    evaluate: Callable[..., Any],
    *,
    jvp: Callable[[Any, tuple, Any, tuple], Any],
    save: Callable[[Any, tuple, Any], Any],
    vjp: Callable[[Any, Any, Any], tuple],
    barrier: bool | Callable[[Any, tuple], bool] = False,
    symbolic_zeros: bool = False,
    kept: Kept | Callable[[Any, tuple], Kept] = None,
) -> tuple[Callable[..., Any], Callable[..., Any]]:
    """One closed form, two faces: a ``custom_vjp`` core and its ``custom_jvp`` twin.

    Both are called as ``core(static, *xs)``, ``static`` hashable (axes, options).

    * ``evaluate(static, *xs)``: the forward value (an array or a tuple of arrays);
    * ``jvp(static, xs, out, txs)``: the output tangent, from the closed form;
    * ``save(static, xs, out)``: the residuals the backward pass keeps (say which, and why);
    * ``vjp(static, residuals, g)``: one cotangent per ``x`` (None for none), from the closed form;
    * ``symbolic_zeros``: ``save`` gets each x as a ``CustomVJPPrimal`` (``.value``,
      ``.perturbed``), to keep what an input's gradient needs only when that input is
      differentiated; ``vjp`` may get a ``SymbolicZero`` cotangent and ``jvp`` a
      ``SymbolicZero`` tangent for each input not differentiated;
    * ``kept``: what the rule keeps as it is: ``"input"`` (the first x), ``"output"``, or a
      collection of those and of inputs' positions (``("input", "output")``, ``(0, 1)``); None:
      none. It may be a function of ``(static, xs)`` (``xs`` as ``save`` gets them), for a
      choice that depends on the dtype or on what is differentiated. See below;
    * ``barrier`` (a bool, or a function of ``(static, xs)``): pass the output and the first
      input, where it is kept, through ``lax.optimization_barrier`` before ``save`` sees them
      (for a rule that does not keep its first input: the output and the residuals, after
      ``save``): otherwise XLA may fuse the forward into the backward pass and keep one of its
      intermediates besides.

    The twin's rule calls the twin itself for the primal value, so higher-order forward
    derivatives use the closed form too; the core's forward rule (its ``custom_vjp`` fwd)
    computes the value through the twin as well. The core itself is reverse mode only.

    The residuals are named for ``jax.checkpoint`` policies (``checkpoint_name``): inside a
    jax_act function ``"jax_act.<its name>"``, inside :func:`jax_act.name_residuals` that
    block's name, elsewhere not at all. An array ``kept`` as it is is named where it is made
    (the input before the output is computed from it; the output as itself, one array for
    both), so a policy that saves it recomputes nothing else: a named copy apart would leave
    the array the layers around use to be recomputed, the matmul before it included. Any other
    input in the residuals stays the caller's array, unnamed (a jitted function that returned
    a named copy of its argument would keep a copy of it). The twin names its primal inputs
    and output.
    """

    if not callable(kept):
        _kept(kept)  # refused now, not at the first gradient

    # the residuals' name (names.current(), read at the call) is a static argument, as JAX may
    # trace the rules later, outside the call (under jax.checkpoint it does)
    @functools.partial(jax.custom_jvp, nondiff_argnums=(0, 1))
    def named_twin(name: str | None, static: Any, *xs: jax.Array) -> Any:
        return evaluate(static, *xs)

    @functools.partial(named_twin.defjvp, symbolic_zeros=symbolic_zeros)
    def _twin_jvp(name: str | None, static: Any, primals: tuple, tangents: tuple) -> tuple:
        out = named_twin(name, static, *primals)
        # linearized, the tangent's factors are computed from these: name them
        return out, jvp(static, tag(name, primals), tag(name, out), tangents)

    @functools.partial(jax.custom_vjp, nondiff_argnums=(0, 1))
    def named_core(name: str | None, static: Any, *xs: jax.Array) -> Any:
        return evaluate(static, *xs)

    def _fwd(name: str | None, static: Any, *xs: Any) -> tuple:
        values = [getattr(x, "value", x) for x in xs] if symbolic_zeros else list(xs)  # None arrives bare
        which = _kept(kept(static, xs) if callable(kept) else kept, len(xs))
        values = [tag(name, v) if i in which else v for i, v in enumerate(values)]
        out = named_twin(name, static, *values)
        if "output" in which:
            out = tag(name, out)
        fence = barrier(static, xs) if callable(barrier) else barrier
        if fence and 0 in which:
            out, values[0] = jax.lax.optimization_barrier((out, values[0]))
        # save sees the inputs as named (and fenced)
        xs = tuple(CustomVJPPrimal(v, x.perturbed) if symbolic_zeros and x is not None else v
                   for v, x in zip(values, xs))
        res = save(static, xs, out)
        # named here: what the rule makes (the kept arrays were named where made)
        made = [v for v in values if v is not None] + (jax.tree.leaves(out) if "output" in which else [])
        to_name = jax.tree.map(lambda r: not any(r is a for a in made), res)
        if fence and 0 not in which:
            out, res = jax.lax.optimization_barrier((out, res))
        return out, jax.tree.map(lambda r, n: tag(name, r) if n else r, res, to_name)

    named_core.defvjp(_fwd, lambda name, static, res, g: vjp(static, res, g), symbolic_zeros=symbolic_zeros)

    def core(static: Any, *xs: jax.Array) -> Any:
        return named_core(current(), static, *xs)

    def twin(static: Any, *xs: jax.Array) -> Any:
        return named_twin(current(), static, *xs)

    return core, twin


def _kept(which: Kept, inputs: int | None = None) -> set[int | str]:
    """``kept`` as a set of input positions and ``"output"``; ``inputs``: how many there are."""
    items = which if isinstance(which, (list, tuple, set, frozenset)) else (which,)
    out = set() if which is None else {0 if k == "input" else k for k in items}
    positions = [k for k in out if k != "output"]
    if not all(isinstance(k, int) and not isinstance(k, bool) and k >= 0 for k in positions) or (
            inputs is not None and any(k >= inputs for k in positions)):
        of = f"the {inputs} inputs" if inputs else "the inputs"
        raise ValueError(f"jax_act.custom_pair: kept must name 'input', 'output' or positions of {of} "
                         f"(0 the first), got {which!r}")
    return out


def declare_explicit(
    *,
    core: Callable[..., Any],
    twin: Callable[..., Any],
    derivative: Callable[..., jax.Array] | None,
    reference: Callable[..., Any],
    static: Sequence[str],
    kind: Kind,
    formula: str,
    derivative_text: str,
    saves: str,
    kinks: str = "none (smooth)",
    jax_nn: str | None = None,
    aliases: Sequence[str] = (),
    probes: Probes = Probes(),
    baseline: Callable[..., Any] | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a function that declares its own closed form with :func:`custom_pair`.

    Decorates ``face(core, x, ...)``: the argument checks and layout around a core, written
    once; called with ``core`` it is the public function, with ``twin`` its forward-mode twin.
    Its signature after ``core`` and its docstring become the public ones. ``core`` and
    ``twin`` are one function, or a dict from accuracy level to function. ``derivative`` has
    the public signature (and, if it depends on the level, an ``accuracy`` keyword) and
    returns the closed-form derivative (see ``jax_act.derivative``). The other arguments are
    :func:`elementwise`'s; ``baseline``: the formula written with jax.nn where jax.nn has no
    such function, for the kit's default-level comparison.

    A loss declared here (``kind="loss"``, ``derivative=None``: the gradient of the summed
    loss with respect to its first argument) still works, with a DeprecationWarning:
    :func:`~jax_act.engine.loss` declares one from its values and partials alone.
    """
    per_level = lambda c: c if isinstance(c, dict) else dict.fromkeys(LEVELS, c)  # noqa: E731
    if kind == "loss":
        warnings.warn("jax_act.engine.declare_explicit(kind='loss') is deprecated: declare a loss with "
                      "jax_act.engine.loss(values=...), which makes its rule from the loss and its partials",
                      DeprecationWarning, stacklevel=2)

    def declare(face: Callable[..., Any]) -> Callable[..., Any]:
        name = face.__name__
        sig = inspect.signature(face)
        sig = sig.replace(parameters=list(sig.parameters.values())[1:])
        closed_form = derivative or first_argument_gradient(functools.partial(face, core), sig, name)
        level_aware = "accuracy" in inspect.signature(closed_form).parameters

        def make(which: str) -> Callable[..., Any]:
            levels = per_level(core if which == "vjp" else twin)

            def impl(*args: Any, accuracy: str, **kwargs: Any) -> Any:
                return face(levels[accuracy], *args, **kwargs)

            return impl

        def bare_derivative(*args: Any, accuracy: str, **kwargs: Any) -> Any:
            return closed_form(*args, **kwargs, **({"accuracy": accuracy} if level_aware else {}))

        return publish(face, sig, make, bare_derivative, closed_form.__doc__, kind=kind, formula=formula,
                       derivative_text=derivative_text, kinks=kinks, saves=saves, static=static, aliases=aliases,
                       jax_nn=jax_nn, probes=probes, reference=reference, derivative_declared=derivative or face,
                       baseline=baseline)

    return declare


def first_argument_gradient(loss: Callable, sig: inspect.Signature, name: str) -> Callable[..., jax.Array]:
    """A loss's derivative: ∂(Σ L)/∂(first argument) through the backward rule of ``loss`` (a
    function of the public arguments), which is the closed form itself (a cotangent of ones
    multiplies it exactly)."""
    first = next(iter(sig.parameters))

    def gradient(*args: Any, **kwargs: Any) -> jax.Array:
        bound = sig.bind(*args, **kwargs)
        rest = dict(bound.arguments)
        x = rest.pop(first)
        return jax.grad(lambda x: jnp.sum(loss(**{first: x}, **rest)))(x)

    gradient.__doc__ = (f"The closed-form gradient of :func:`{name}` summed over the examples, "
                        f"with respect to ``{first}``: one row of ∂L/∂{first} per example.")
    return gradient
