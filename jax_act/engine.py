"""The engine, for declaring your own activation (the walkthrough is in docs/ecosystem.md).

One declaration gives a jitted ``custom_vjp`` function, its ``custom_jvp`` twin
(``jax_act.forward_mode``), the bare derivative (``jax_act.derivative``), a registry entry
(``jax_act.get``, ``jax-act list``) and what the testing kit checks. jax_act's own
declarations use exactly these:

* :func:`elementwise`: f(x, parameters) entry by entry, f' written in terms of what the
  forward pass keeps (the output, the input, or a 1-byte mask): one :class:`Rule` per
  accuracy level;
* :func:`along_axis`: a map along an axis, softmax-like, from its closed-form JVP;
* :func:`custom_pair` with :func:`declare_explicit`: a rule written out in full, for what the
  two above do not cover (a PRNG key argument, a reduction, a gated split).

Each declaration states three things apart: the rule (how f and f' are computed, what is
kept), the description (formula text, kinks, aliases, the jax.nn name: :class:`Spec`) and
what the testing kit probes (kink points, parameter sets, domain: :class:`Probes`).
"""

from ._engine import (
    Activation as Activation,
    Probes as Probes,
    Rule as Rule,
    Spec as Spec,
    along_axis as along_axis,
    custom_pair as custom_pair,
    declare_explicit as declare_explicit,
    elementwise as elementwise,
    lookup as lookup,
)

__all__ = ["Activation", "Probes", "Rule", "Spec", "along_axis", "custom_pair", "declare_explicit", "elementwise", "lookup"]
