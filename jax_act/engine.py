"""The engine, for declaring your own activation (the walkthrough is in docs/ecosystem.md).

One declaration gives a jitted ``custom_vjp`` function, its ``custom_jvp`` twin
(``jax_act.forward_mode``), the bare derivative (``jax_act.derivative``), a registry entry
(``jax_act.get``, ``jax-act list``) and what the testing kit checks. jax_act's own
declarations use exactly these:

* :func:`elementwise`: f(x, parameters) entry by entry, f' written in terms of what the
  forward pass keeps (the output, the input, or a 1-byte mask): one :class:`Rule` per
  accuracy level;
* :func:`along_axis`: a map along an axis, softmax-like, from its closed-form JVP;
* :func:`gated_unit`: ``a ⊙ gate(b)`` of the two halves of its input (glu, swiglu), from the
  gate and its derivative; :func:`plain_gated` writes its reference formula;
* :func:`loss`: a loss from ``values(static, *xs) -> (loss, partials)``; the rule keeps the
  partials of the differentiated inputs;
* :func:`custom_pair` with :func:`declare_explicit`: a rule written out in full, for what the
  others do not cover (a PRNG key argument, a reduction). Every kind above is built on
  :func:`custom_pair`: it is the one place a closed form becomes a ``custom_vjp`` and its twin.

Each declaration states three things apart: the rule (how f and f' are computed, what is
kept), the description (formula text, kinks, aliases, the jax.nn name: :class:`Spec`) and
what the testing kit probes (kink points, parameter sets, domain: :class:`Probes`). The public
docstring's formula, kink and "keeps" sections are written from the description: the
declaration's own docstring says the rest.
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
    gated_unit as gated_unit,
    lookup as lookup,
    loss as loss,
    plain_gated as plain_gated,
)

__all__ = ["Activation", "Probes", "Rule", "Spec", "along_axis", "custom_pair", "declare_explicit", "elementwise",
           "gated_unit", "lookup", "loss", "plain_gated"]
