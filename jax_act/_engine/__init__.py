"""The engine: one declaration in; a jitted ``custom_vjp`` function, its forward-mode twin
and its bare derivative out, at each accuracy level, registered under one :class:`Spec`.

* ``elementwise``: f(x, *params) entry by entry (:func:`~.elementwise.elementwise`, one
  :class:`~.rule.Rule` per level, a float64 entry where that dtype has its own);
* ``gated``: ``a ⊙ gate(b)`` of an input's two halves (:func:`~.gated.gated_unit`);
* ``axis``: maps along an axis that keep one array (:func:`~.axis.along_axis`);
* ``pair``: the one builder, :func:`~.pair.custom_pair`: a closed form (its value, JVP,
  residuals and VJP) becomes a ``custom_vjp`` and its ``custom_jvp`` twin, for every kind
  above and for rules written out in full (registered by :func:`~.pair.declare_explicit`:
  reductions, a PRNG key argument);
* ``public``: the public face every kind gets (:func:`~.public.publish`, the one
  registration path); ``docs``: the docstring sections written from the declaration;
* ``registry``: :class:`Spec` (the description), :class:`Probes` (what the testing kit
  probes), :class:`Activation`, the activations' and the losses' tables, and lookup by name;
* ``names``: what the residuals are named for ``jax.checkpoint`` policies;
* ``levels``: the accuracy levels; ``checks``: argument checks and dtype promotion.
"""

from .axis import along_axis as along_axis
from .checks import (
    HALF as HALF,
    Axis as Axis,
    check_array as check_array,
    check_axis as check_axis,
    check_where as check_where,
    compute_dtype as compute_dtype,
    flatten_axes as flatten_axes,
    float_input as float_input,
    widen as widen,
)
from .elementwise import elementwise as elementwise
from .gated import gated_unit as gated_unit, plain_gated as plain_gated
from .loss import loss as loss
from .levels import (
    LEVELS as LEVELS,
    accuracy as accuracy,
    check_level as check_level,
    get_accuracy as get_accuracy,
    set_accuracy as set_accuracy,
)
from .names import name_residuals as name_residuals, site as site, tag as tag
from .pair import custom_pair as custom_pair, declare_explicit as declare_explicit
from .public import public_function as public_function, publish as publish
from .registry import (
    LOSSES as LOSSES,
    REGISTRY as REGISTRY,
    Activation as Activation,
    Kind as Kind,
    Probes as Probes,
    Spec as Spec,
    lookup as lookup,
)
from .rule import Rule as Rule
