"""Elementwise activations: f(x, *params) entry by entry, with f' written in terms of what the
forward pass keeps (:class:`Rule`), one rule per accuracy level."""

from __future__ import annotations

import dataclasses
import inspect
from typing import Any, Callable, Literal, Sequence

import jax
import jax.numpy as jnp
import numpy as np
from jax.custom_derivatives import SymbolicZero

from .checks import check_array, check_param, compute_dtype, inexact_dtype, is_weak, unbroadcast, widen
from .docs import half_note
from .pair import custom_pair
from .public import publish
from .registry import Probes
from .rule import Rule, Saves


def elementwise(
    *,
    derivative: Callable[..., jax.Array | tuple[jax.Array, ...]],
    saves: Saves | Callable[[jax.Array, jax.Array], jax.Array],
    formula: str,
    derivative_text: str,
    kinks: str,
    reference: Callable[..., jax.Array],
    partials: dict[str, Callable[..., jax.Array]] | None = None,
    partials_need: str = "xy",
    static: Sequence[str] = (),
    keep_int: bool = False,
    half_from_input: bool = False,
    derivative_from_input: Callable[..., jax.Array] | None = None,
    barrier: bool | Literal["half"] = True,
    highest: dict[str, Any] | None = None,
    float64: dict[str, Any] | None = None,
    jax_nn: str | None = None,
    aliases: Sequence[str] = (),
    probes: Probes = Probes(),
) -> Callable[[Callable[..., jax.Array]], Callable[..., jax.Array]]:
    """Declare an elementwise activation. Decorates its forward formula ``f(x, *params)``,
    whose signature and docstring become the public ones.

    The rule: ``derivative``, ``saves``, ``half_from_input``, ``derivative_from_input`` and
    ``barrier`` are the default level's :class:`Rule` (the cheapest closed form at least as
    accurate as jax.nn); ``highest`` overrides some of its fields for ``accuracy="highest"``,
    ``float64`` for float64 input at the default level (no speed or memory target applies to
    float64: where the careful form is as cheap as any, it takes it). ``derivative`` may
    return f' as a tuple of factors: the cotangent is multiplied by them one at a time.
    ``partials`` maps every array parameter of the formula to ∂f/∂param as a function of
    ``(x, y, *params, **static)``; ``partials_need`` says which of x and y they read ("xy",
    "x" or "y"; the other arrives as None): only those are kept, and only when a parameter is
    differentiated. ``static``: keyword arguments that select a formula (``approximate``), not
    differentiable. ``keep_int``: integer input gives integer output, as ``jax.nn.relu``.

    The description: ``formula``, ``derivative_text`` and ``kinks`` (plain text for ``jax-act
    list`` and the README), ``jax_nn`` (the jax.nn counterpart's name) and ``aliases``.

    The testing kit: ``reference``, the plain, naive formula with the public signature (the
    oracle, evaluated in float64 under ``jax.grad``; write it independently of the forward
    formula where possible), and ``probes`` (:class:`Probes`).
    """
    _check_options(partials_need, highest, float64)

    def declare(forward: Callable[..., jax.Array]) -> Callable[..., jax.Array]:
        default = Rule(forward, derivative, saves, half_from_input, derivative_from_input, barrier)
        rules = {"default": default, "highest": dataclasses.replace(default, **(highest or {}))}
        call = _Call.of(forward, static, dict(partials or {}), partials_need, keep_int)
        # the dispatch table: (level, dtype) → core; None: every dtype without its own entry
        cores = {("default", None): _Core(default, call)}
        cores["highest", None] = _Core(rules["highest"], call) if highest else cores["default", None]
        if float64:
            cores["default", "float64"] = _Core(dataclasses.replace(default, **float64), call)
        return publish(forward, call.signature, lambda face: _face(call, cores, face), _derivative(call, cores),
                       f"The closed-form derivative of :func:`jax_act.{call.name}`: {derivative_text}.",
                       kind="elementwise", formula=formula, derivative_text=derivative_text, kinks=kinks,
                       saves=_saves_text(default, call), saves_highest=_saves_text(rules["highest"], call),
                       dispatch=_dispatch_text(float64, rules["highest"]), params=call.params, static=call.static,
                       aliases=aliases, jax_nn=jax_nn, probes=probes, reference=reference, rules=rules,
                       note=_level_note(rules))

    return declare


def _check_options(partials_need: str, highest: dict[str, Any] | None, float64: dict[str, Any] | None) -> None:
    if partials_need not in ("xy", "x", "y"):
        raise ValueError(f"jax_act.elementwise: partials_need must be 'xy', 'x' or 'y', got {partials_need!r}")
    fields = [f.name for f in dataclasses.fields(Rule)]
    for name, given in (("highest", highest), ("float64", float64)):
        if set(given or {}) - set(fields):
            raise TypeError(f"jax_act.elementwise: {name}= takes {fields}, got {sorted(set(given or {}) - set(fields))}")


def _dispatch_text(float64: dict[str, Any] | None, highest: Rule) -> str:
    """The float64 entry of the dispatch table, in words (``jax-act list``)."""
    if not float64:
        return ""
    said = [f"the highest level's {k}" if v is getattr(highest, k) else f"its own {k}" for k, v in float64.items()]
    return "float64 at the default level: " + ", ".join(said)


def _saves_text(rule: Rule, call: _Call) -> str:
    """What ``rule`` keeps, in words, and what besides when a parameter is differentiated."""
    kept = {"input": "x", "output": "y"}.get(rule.saves) if isinstance(rule.saves, str) else None
    more = [a for a in call.need if a != kept] if call.params else []
    return rule.saves_text() + (f"; {' and '.join(more)} too when {', '.join(call.params)} is differentiated"
                                if more else "")


def _core(cores: dict[tuple[str, str | None], _Core], level: str, dtype: Any) -> _Core:
    """The dispatch table's entry for ``level`` and ``dtype``."""
    return cores.get((level, jnp.dtype(dtype).name), cores[level, None])


def _level_note(rules: dict[str, Rule]) -> str | None:
    """The half-precision note, where an output-saving level keeps x for 16-bit input."""
    if any(r.saves == "output" and r.half_from_input for r in rules.values()):
        return half_note("the output", "highest" if not rules["default"].half_from_input else "every")
    return None


@dataclasses.dataclass(frozen=True)
class _Call:
    """The declared formula's arguments (x, the differentiable parameters with their
    partials, the static options) and how a call's values are checked and promoted."""

    forward: Callable[..., jax.Array]
    signature: inspect.Signature
    xname: str
    params: tuple[str, ...]
    static: tuple[str, ...]
    partials: dict[str, Callable[..., jax.Array]]
    need: str
    keep_int: bool

    @property
    def name(self) -> str:
        return self.forward.__name__

    @classmethod
    def of(cls, forward: Callable, static: Sequence[str], partials: dict, need: str, keep_int: bool) -> _Call:
        sig = inspect.signature(forward)
        xname, *rest = sig.parameters
        params = tuple(p for p in rest if p not in static)
        if set(params) != set(partials):
            raise TypeError(f"jax_act.{forward.__name__}: partials {sorted(partials)} != parameters {sorted(params)}")
        return cls(forward, sig, xname, params, tuple(static), partials, need, keep_int)

    def prepare(self, fname: str, args: tuple, kwargs: dict) -> tuple[Any, Any, tuple]:
        """``((x, params), None, opts)``: x and the parameters checked, promoted to one
        floating dtype and broadcast to one shape; or ``(None, f(x), opts)`` for integer input
        of a ``keep_int`` function."""
        bound = self.signature.bind(*args, **kwargs)
        bound.apply_defaults()
        values = bound.arguments
        x = check_array(fname, self.xname, values[self.xname])
        params = [check_param(fname, p, values[p], x.shape) for p in self.params]
        opts = tuple((k, values[k]) for k in self.static)
        if self.keep_int and not jnp.issubdtype(x.dtype, jnp.inexact) and not self.params:
            return None, self.forward(x, **dict(opts)), opts
        dtype = jnp.result_type(x, *(values[p] for p in self.params))
        if not jnp.issubdtype(dtype, jnp.inexact):
            dtype = inexact_dtype(dtype)
        x = x.astype(dtype)
        # a parameter given as a Python number (weakly typed) goes in at the compute
        # precision: leaky_relu(bf16, 0.01) multiplies by 0.01, not by its bfloat16 rounding
        # (0.0100098), so the result is rounded once, from the exact product
        params = [p.astype(compute_dtype(dtype) if is_weak(values[n]) else dtype) for n, p in zip(self.params, params)]
        # a parameter larger than x: broadcast x first, so the core sees one shape
        # and jax's transpose of broadcast_to reduces dx.
        shape = np.broadcast_shapes(x.shape, *(p.shape for p in params))
        return (jnp.broadcast_to(x, shape), params), None, opts


def _face(call: _Call, cores: dict[tuple[str, str | None], _Core], which: str) -> Callable[..., jax.Array]:
    """The public function (``which="vjp"``) or its forward-mode twin (``"twin"``)."""

    def impl(*args: Any, accuracy: str, **kwargs: Any) -> jax.Array:
        prepared, direct, opts = call.prepare(call.name, args, kwargs)
        if prepared is None:
            return direct
        x, params = prepared
        return getattr(_core(cores, accuracy, x.dtype), which)(opts, x, *params)

    return impl


def _derivative(call: _Call, cores: dict[tuple[str, str | None], _Core]) -> Callable[..., jax.Array]:
    """The bare f'(x), from what the backward pass would keep (and differentiable by the
    closed form too)."""

    def bare_derivative(*args: Any, accuracy: str, **kwargs: Any) -> jax.Array:
        prepared, _, opts = call.prepare(f"derivative({call.name})", args, kwargs)
        if prepared is None:  # integer input: f' as a float array
            x = check_array(call.name, call.xname, args[0] if args else kwargs[call.xname])
            prepared = (x.astype(inexact_dtype(x.dtype)), [])
        x, params = prepared
        core = _core(cores, accuracy, x.dtype)
        s = core.keep(x, core.twin(opts, x, *params))
        return jnp.broadcast_to(_times(1, core.fprime(opts, s, params, x.dtype)), x.shape).astype(x.dtype)

    return bare_derivative


def _times(g: Any, fprime: jax.Array | tuple[jax.Array, ...]) -> jax.Array:
    """``g · f'``, factor by factor where the rule gives f' as factors (see ``Rule.derivative``)."""
    for factor in fprime if isinstance(fprime, tuple) else (fprime,):
        g = g * factor
    return g


class _Core:
    """One :class:`Rule` as a :func:`custom_pair`: the ``custom_vjp`` function (:attr:`vjp`)
    and its ``custom_jvp`` twin (:attr:`twin`), both called as ``core(opts, x, *params)``:
    ``opts`` the static options as pairs, x and the parameters as :meth:`_Call.prepare`
    leaves them."""

    def __init__(self, rule: Rule, call: _Call) -> None:
        self.rule, self.call = rule, call
        self.vjp, self.twin = custom_pair(self.evaluate, jvp=self._jvp, save=self._save, vjp=self._vjp,
                                          kept=self._kept, barrier=self._barrier, symbolic_zeros=True)

    def _widened(self, params: Sequence[jax.Array], dtype: Any) -> list[jax.Array]:
        cdt = compute_dtype(dtype)
        return [p.astype(cdt) for p in params]

    def evaluate(self, opts: tuple, x: jax.Array, *params: jax.Array) -> jax.Array:
        # parameters by name: they may be keyword-only (softplus's beta)
        kw = dict(zip(self.call.params, self._widened(params, x.dtype)))
        return self.rule.forward(widen(x, fence=not self.rule.keeps_only_output(x.dtype)), **kw,
                                 **dict(opts)).astype(x.dtype)

    def _need(self, params: tuple) -> str:
        """Which of x and y the partials read: none unless a parameter is differentiated."""
        return self.call.need if any(p.perturbed for p in params) else ""

    def _kept(self, opts: tuple, xs: tuple) -> list[int | str]:
        """x and y as they are where f' or a differentiated parameter's partial reads them;
        the parameters, which f' reads."""
        x, *params = xs
        need, as_input = self._need(params), self.rule.keeps_input(x.value.dtype)
        return [0] * (as_input or "x" in need) + list(range(1, 1 + len(params))) + ["output"] * (
            self.rule.keeps_only_output(x.value.dtype) or "y" in need)

    def _barrier(self, opts: tuple, xs: tuple) -> bool:  # see Rule.barrier
        return not self._need(xs[1:]) and self.rule.needs_barrier(xs[0].value.dtype)

    def keep(self, x: jax.Array, y: jax.Array) -> jax.Array:
        """What the backward pass keeps: y, x, or what a callable ``saves`` makes of them."""
        if self.rule.keeps_input(x.dtype):
            return x
        return y if self.rule.saves == "output" else self.rule.saves(x, y)

    def fprime(self, opts: tuple, s: jax.Array, params: Sequence[jax.Array], dtype: Any) -> jax.Array:
        """f' from the saved array ``s`` (None: a callable ``saves`` kept nothing; f' is constant)."""
        rule, up = self.rule, self._widened(params, dtype)
        if s is not None and jnp.issubdtype(s.dtype, jnp.inexact):  # masks stay bool
            s = s.astype(compute_dtype(dtype))
        if rule.saves == "output" and rule.keeps_input(dtype):  # s is x
            if rule.derivative_from_input is not None:
                return rule.derivative_from_input(s, *up, **dict(opts))
            s = rule.forward(s, **dict(zip(self.call.params, up)), **dict(opts))  # y again, unrounded
        return rule.derivative(s, *up, **dict(opts))

    def partial(self, pname: str, opts: tuple, x: Any, y: Any, params: Sequence[jax.Array]) -> jax.Array:
        cdt = compute_dtype((y if x is None else x).dtype)  # x and y share a dtype
        x, y = (None if a is None else a.astype(cdt) for a in (x, y))
        return self.call.partials[pname](x, y, *self._widened(params, cdt), **dict(opts))

    def _jvp(self, opts: tuple, xs: tuple, y: jax.Array, tangents: tuple) -> jax.Array:
        (x, *params), (tx, *tps) = xs, tangents
        cdt = compute_dtype(y.dtype)
        ty = jnp.zeros(y.shape, cdt)
        if not isinstance(tx, SymbolicZero):
            ty = ty + _times(tx.astype(cdt), self.fprime(opts, self.keep(x, y), params, y.dtype))
        for pname, tp in zip(self.call.params, tps):
            if not isinstance(tp, SymbolicZero):
                ty = ty + self.partial(pname, opts, x, y, params) * tp.astype(cdt)
        return ty.astype(y.dtype)

    def _save(self, opts: tuple, xs: tuple, y: jax.Array) -> tuple:
        """What f' needs; x and/or y besides (``partials_need``) only for a differentiated
        parameter."""
        (x, *params), flags = xs, tuple(p.perturbed for p in xs[1:])
        need = self._need(params)
        return (self.keep(x.value, y), x.value if "x" in need else None, y if "y" in need else None,
                [p.value for p in params], flags)

    def _vjp(self, opts: tuple, res: tuple, g: Any) -> tuple:
        s, x, y, params, flags = res
        if isinstance(g, SymbolicZero):
            return (None,) * (1 + len(params))
        dtype = g.dtype  # = x's dtype: the core sees x already promoted
        g = g.astype(compute_dtype(dtype))
        outs: list[Any] = [_times(g, self.fprime(opts, s, params, dtype)).astype(dtype)]  # x has y's shape
        for pname, p, perturbed in zip(self.call.params, params, flags):
            dp = g * self.partial(pname, opts, x, y, params) if perturbed else None
            outs.append(None if dp is None else unbroadcast(dp, p.shape).astype(p.dtype))
        return tuple(outs)
