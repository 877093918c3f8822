"""What the per-family test files (axis maps, gated units, sparse maps) share: the dtypes,
one tolerance rule, seeded samples and a VJP helper.

Tolerance: ``|actual − expected| ≤ FACTOR · eps(dtype) · max(1, max|expected|)`` over the
finite expected entries; non-finite expected entries must be matched exactly, and no
finite one may come out NaN or ±inf.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

DTYPES = [jnp.float16, jnp.bfloat16, jnp.float32, jnp.float64]
FACTOR = 16
F64 = jnp.float64


def assert_close(actual, expected, dtype, factor=FACTOR):
    a = np.asarray(jnp.asarray(actual).astype(F64))
    e = np.asarray(jnp.asarray(expected).astype(F64))
    assert a.shape == e.shape, (a.shape, e.shape)
    fin = np.isfinite(e)
    np.testing.assert_array_equal(a[~fin], e[~fin])
    assert np.all(np.isfinite(a[fin])), a
    tol = factor * float(jnp.finfo(dtype).eps) * max(1.0, float(np.abs(e[fin]).max(initial=0)))
    err = float(np.abs(a[fin] - e[fin]).max(initial=0))
    assert err <= tol, f"max error {err:.3g} > tolerance {tol:.3g} ({jnp.dtype(dtype).name})"


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
