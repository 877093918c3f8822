"""What the test files share: the dtypes, one tolerance rule, seeded samples, a VJP helper,
and :func:`swept` for the cases of an option sweep that run in the slow sweeps only.

The tolerance rule, for every comparison with an oracle:
``|actual − expected| ≤ factor · eps(dtype) · scale``. ``factor`` is in units of eps and is
stated by each test file as a multiple of the kit's ``testing.TOLERANCE``, with its reason.
``scale`` is ``|expected| + 1`` entry by entry (``per_entry=True``), or ``max(1,
max|expected|)`` over the array, for results whose small entries carry the rounding of the
large ones (a softmax row, a gradient that sums products). Non-finite expected entries must
be matched exactly (NaN by NaN), and no finite one may come out NaN or ±inf.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jax_act.testing import DTYPES as KIT_DTYPES, TOLERANCE

DTYPES = [getattr(jnp, d) for d in KIT_DTYPES]  # the kit's, in its order

FACTOR = 2 * TOLERANCE  # the per-family files: a map along an axis sums a row first
F64 = jnp.float64


# Out of the default run for its time; CI runs it with the slow sweeps (see .ci/run).
EXTENDED = (pytest.mark.slow, pytest.mark.extended)


def swept(*values, id=None):  # noqa: A002 - pytest.param's name
    """A parametrize case for the slow sweeps (``-m "slow and sweep"``, which CI runs) and not
    the default run: the default run keeps the cases that differ in kind from it."""
    return pytest.param(*values, marks=(pytest.mark.slow, pytest.mark.sweep), id=id)


def assert_close(actual, expected, dtype, factor=FACTOR, what="", *, per_entry=False):
    a = np.asarray(jnp.asarray(actual).astype(F64))
    e = np.asarray(jnp.asarray(expected).astype(F64))
    assert a.shape == e.shape, (what, a.shape, e.shape)
    fin = np.isfinite(e)
    np.testing.assert_array_equal(a[~fin], e[~fin], err_msg=f"{what}: non-finite entries")
    assert np.all(np.isfinite(a[fin])), f"{what}: non-finite where the oracle is finite: {a}"
    eps = float(jnp.finfo(dtype).eps)
    scale = np.abs(e[fin]) + 1 if per_entry else max(1.0, float(np.abs(e[fin]).max(initial=0)))
    err = np.abs(a[fin] - e[fin]) / (eps * scale)
    worst = float(err.max(initial=0))
    assert worst <= factor, f"{what}: max error {worst:.3g} eps > {factor:g} ({jnp.dtype(dtype).name})"


def sample(shape, dtype, seed=0, scale=1.0):
    """A standard normal array times ``scale``, rounded to ``dtype``, and the same values in float64."""
    x = jnp.asarray(np.random.default_rng(seed).standard_normal(shape) * scale, dtype)
    return x, x.astype(F64)


def vjp_of(f, x, g):
    """``f(x)`` and its VJP with cotangent ``g``, as one compiled program (an oracle op by op
    would compile each primitive)."""

    @jax.jit
    def run(x, g):
        y, pull = jax.vjp(f, x)
        return y, pull(g.astype(y.dtype))[0]

    return run(x, g)


def float32_saves(activation) -> str:
    """What the backward pass keeps for float32 input, in the declaration's words: an
    elementwise rule's ``saves`` ("output", "input", or the words of a mask), without the
    16-bit exception the listing adds."""
    rule = (activation.rules or {}).get("default")
    if rule is not None and isinstance(rule.saves, str):
        return rule.saves
    return activation.spec.saves
