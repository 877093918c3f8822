"""The differential-testing kit: check a closed-form derivative (ours or yours) against autodiff.

:func:`check_rule` checks any function — a ``jax.custom_vjp``, a ``jax.custom_jvp`` or plain
JAX — of any pytrees of arrays, every partial of every floating leaf, dtype by dtype:

* values, VJPs (random cotangents, each output alone), JVPs and, on request, second
  derivatives, against the reference evaluated in float64 on the same rounded inputs and
  differentiated by autodiff; below float64, beside the reference's own autodiff run in the
  same dtype;
* finite differences in float64 with a convergence test, and the transpose identity between
  the function's own JVP and VJP;
* the backward rule's cotangents: structure, shapes and dtypes;
* ``vmap`` against a per-example loop, ``jit`` against eager, ``jax.checkpoint``;
* on the example, draws at scales 1e-3 … 300, and the dtype's extremes where asked: no NaN or
  inf where the float64 reference, rounded to the dtype, is finite;
* bytes kept for the backward pass against autodiff of the reference (reported).

Errors are in eps of the dtype, ``|got − want| / (eps·(size + floor) + sensitivity)``: the size
of the terms the oracle summed to get ``want``, the largest ``|want|`` of the derivative (a
partial tiny beside the others is judged at the scale of the whole derivative), and how far the
reference moves when its inputs move by their rounding (what no implementation can avoid). A row passes within
:data:`TOLERANCE` eps, overridable per call. :func:`assert_rule` raises with the table.

:func:`check_activation` is the registry-aware layer over it that ``jax-act check`` runs: an
activation's grid, kinks, parameter sets and jax.nn's conventions.

Use it on your own rule::

    from jax_act import testing
    testing.assert_rule(layer_norm, x, gamma, beta)         # a custom_vjp: its fun is the reference
"""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp
import numpy as np

from ._kit.activation import ACTIVATION_SKIPS, DTYPES, Row, bytes_saved, check_activation, format_rows
from ._kit.arguments import rounded
from ._kit.cases import Case, cases, uncallable
from ._kit.plan import BASELINE, CHECKS, SCALES, TOLERANCE
from ._kit.report import Report, RuleRow
from ._kit.rule import assert_rule, check_rule

__all__ = [
    "ACTIVATION_SKIPS", "BASELINE", "CHECKS", "DTYPES", "SCALES", "TOLERANCE", "Case", "Report", "Row", "RuleRow", "assert_rule",
    "bytes_saved", "cases", "check_activation", "check_rule", "eps", "format_rows", "rounded", "tolerance",
    "uncallable",
]


def eps(dtype: Any) -> float:
    """Machine epsilon of ``dtype``: the kit's unit of error."""
    return float(jnp.finfo(dtype).eps)


def tolerance(dtype: Any) -> float:
    """The tolerance unit for ``dtype``: ``TOLERANCE · eps``."""
    return TOLERANCE * eps(dtype)


check_rule.__doc__ = """Check ``fn``'s derivatives against autodiff of ``reference``; returns a :class:`Report`.

    ``fn(*args, **kwargs)`` may be a ``custom_vjp``, a ``custom_jvp`` or any JAX function of
    pytrees, returning any pytree. Every floating leaf (arrays and Python floats) is
    differentiated; integer, bool and PRNG-key leaves are traced but not differentiated (float0
    cotangents); Python ints, strings and objects, ``nondiff_argnums`` and static arguments are
    passed as given. The report lists what was differentiated and what was not.

    ``reference`` is the plain function (same signature). By default: the registry's formula
    for a jax_act function, else ``fn``'s own undecorated function (a ``custom_vjp``'s or
    ``custom_jvp``'s ``fun``, through ``jax.jit``, ``functools.wraps`` and ``partial``). Without
    one, the checks that need none still run (finite differences, structure, transformations).

    Options (an unknown one is a TypeError):

    * ``dtypes``: rows besides the arguments as given and float64 (always run), from bfloat16,
      float16 and float32: each casts every floating leaf to the dtype, unless
      ``pin={leaf: dtype}`` keeps a leaf's.
    * ``static_argnums``, ``static_argnames``: arguments passed as given, never traced.
    * ``scales``: draws of every floating leaf, standard normal times each scale (default
      :data:`SCALES`; in float16 at most 25); ``about``: a draw about this value, 1 + 1% noise
      by default (None: none); ``fixed``: leaves kept as given in the draws (a constrained
      input: probabilities, a positive variance); ``domain={leaf: (lo, hi)}``: draws inside it.
    * ``extremes``: leaves that also get the dtype's extremes (±0, ±1e-8, ±1e4, the
      exp-overflow threshold, ±max, ±smallest normal and subnormal, ±inf, NaN; a higher-rank
      leaf in the first entry of each row), with ``extreme_points={leaf: points}`` besides;
      ``kinks={leaf: points}``: derivative entries at those input values are not judged
      against autodiff's convention (NaN still is).
    * ``examples``: further inputs like the first (each a tuple of positional arguments, or
      ``(args, kwargs)``), checked in every row.
    * ``seeds``: random cotangents (and tangents) per output (default 2); ``seed``: the base.
    * ``order``: 2 adds second derivatives (the gradient of ⟨VJP, w⟩) against the reference's.
    * ``tolerance``: eps units, a number or ``{dtype: number}`` (default :data:`TOLERANCE`);
      ``floor``: the absolute part of the error unit, "leaf" (the largest ``|want|`` of the
      derivative) or a number.
    * ``baseline``: below float64 a rule passes up to :data:`BASELINE` × this function's own
      error in the row's dtype (default: the reference; None: the tolerance alone).
    * ``forward``: a forward-mode version of ``fn`` (a ``custom_jvp`` twin) whose JVPs are
      checked, and tied to ``fn``'s VJPs by the transpose identity.
    * ``skip``: checks not to run, from :data:`CHECKS`.
    """

assert_rule.__doc__ = """:func:`check_rule`, raising ``AssertionError`` with the report's table if any row
    fails (for pytest); returns the report otherwise."""

del np
