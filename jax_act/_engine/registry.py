"""The registry: what is known about each activation and loss (:class:`Spec`), what the
testing kit probes it at (:class:`Probes`), and the functions made from its declaration
(:class:`Activation`). Activations are in :data:`REGISTRY`, losses in :data:`LOSSES`."""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, Literal

import jax
import numpy as np

from .rule import Rule

# elementwise: f(x) entry by entry; gated: a ⊙ gate(b) of the halves along an axis;
# axis_map: along an axis, shape kept (softmax, sparsemax); reduction: along an axis, the
# axis reduced (logsumexp); loss: a jax_act.losses function of several arrays (logits, labels)
Kind = Literal["elementwise", "gated", "axis_map", "reduction", "loss"]


@dataclasses.dataclass(frozen=True)
class Probes:
    """Where the testing kit looks at an activation, besides everywhere: test data, kept apart
    from the rule and from the description."""

    kink_points: tuple[float, ...] = ()  # exact non-differentiable points
    smooth: bool = True  # C^2 everywhere (higher-order checks apply)
    test_params: tuple[dict[str, Any], ...] = ({},)  # parameter sets besides the defaults
    domain: tuple[float, float] = (-np.inf, np.inf)  # where f is defined (log1mexp: x < 0)

    def __post_init__(self) -> None:
        object.__setattr__(self, "kink_points", tuple(self.kink_points))
        object.__setattr__(self, "test_params", tuple(self.test_params))


@dataclasses.dataclass(frozen=True)
class Spec:
    """What an activation is, in words (the registry's entry, ``jax-act list``, the README
    table), and its :class:`Probes`."""

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
    saves_highest: str | None = None  # what accuracy="highest" keeps, where it differs
    dispatch: str = ""  # the rule a dtype takes where it has its own (float64), in words
    probes: Probes = dataclasses.field(default_factory=Probes)

    @property
    def along_axis(self) -> bool:
        """An axis map or a reduction: takes ``axis`` (and ``where``), sees whole rows."""
        return self.kind in ("axis_map", "reduction")

    def saved(self, level: str = "default") -> str:
        """What the backward pass keeps at ``level``."""
        return self.saves_highest if level == "highest" and self.saves_highest else self.saves


@dataclasses.dataclass
class Activation:
    """A registered activation (or loss): the public function and everything derived from it."""

    spec: Spec
    fn: Callable[..., jax.Array]  # jitted custom_vjp (the default face)
    forward_mode: Callable[..., jax.Array]  # custom_jvp twin
    derivative: Callable[..., jax.Array]  # bare f'(x) (elementwise), Jacobian, or a loss's ∂L/∂logits
    reference: Callable[..., jax.Array]  # the plain formula: the kit's oracle under jax.grad
    rules: dict[str, Rule] | None = None  # elementwise: how each accuracy level computes it
    baseline: Callable[..., jax.Array] | None = None  # jax.nn's way where jax.nn has no such name
    # along an axis: (x, v) → max(|a|, |b|) of the VJP's two terms a − b (its error's scale)
    gradient_terms: Callable[[jax.Array, jax.Array], jax.Array] | None = None

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
LOSSES: dict[str, Activation] = {}  # kind "loss": jax_act.losses
_ALIASES: dict[str, str] = {}


def register(activation: Activation) -> Activation:
    table, what = (LOSSES, "loss") if activation.spec.kind == "loss" else (REGISTRY, "activation")
    for key in (activation.spec.name, *activation.spec.aliases):
        if key in table or key in _ALIASES:
            raise ValueError(f"jax_act: {what} name {key!r} is declared twice")
    table[activation.spec.name] = activation
    _ALIASES.update({alias: activation.spec.name for alias in activation.spec.aliases})
    for f in (activation.fn, activation.forward_mode, activation.derivative):
        f.activation = activation  # type: ignore[attr-defined]
    return activation


def lookup(name_or_fn: str | Callable, caller: str = "get") -> Activation:
    """The registered :class:`Activation` for a name, alias or public function; errors name
    ``jax_act.<caller>``, the function the user called."""
    if callable(name_or_fn) and hasattr(name_or_fn, "activation"):
        found: Activation = name_or_fn.activation  # type: ignore[attr-defined]
        if found.spec.kind == "loss":
            raise TypeError(f"jax_act.{caller}: jax_act.losses.{found.spec.name} is a loss, not an activation")
        return found
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

