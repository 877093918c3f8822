"""Declaring through ``jax_act.engine`` as a user does: the loss front-end, the float64 entry
of the dispatch table, a derivative given as factors, and the deprecated spellings of
``along_axis`` and of a loss through ``declare_explicit``. Run in a fresh interpreter: a
declaration registers for good."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SCRIPT = r'''
import warnings
import jax
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp
import numpy as np
import jax_act
from jax_act import engine
from jax_act._compat import saved_residuals

# a loss from its values and partials: L = ½ Σ (g − t)² over the last axis
def values(axes, g, t):
    d = g - t
    return 0.5 * jnp.sum(d * d, axes), ((d, 1), (d, -1))

@engine.loss(values=values, reduced=lambda axes: axes, reference=lambda g, t: 0.5 * jnp.sum((g - t) ** 2, -1),
             formula="½ Σ (g − t)²", derivative_text="g − t; ∂/∂t: t − g", saves="g − t")
def half_sse(g, t):
    """Half the summed squared error over the last axis."""
    return (-1,), (jnp.asarray(g), jnp.asarray(t))

g, t = jnp.linspace(-2.0, 3.0, 12).reshape(3, 4), jnp.cos(jnp.arange(12.0)).reshape(3, 4)
ours = jax.grad(lambda g, t: half_sse(g, t).sum(), (0, 1))(g, t)
plain = jax.grad(lambda g, t: (0.5 * jnp.sum((g - t) ** 2, -1)).sum(), (0, 1))(g, t)
np.testing.assert_allclose(ours, plain, rtol=1e-15)
kept = [a for a, _ in saved_residuals(lambda g, t: half_sse(g, t), g, t) if a.size > 1]
assert len(kept) == 1, kept  # one array for both partials
tangent = jax.jvp(lambda g: jax_act.forward_mode.losses.half_sse(g, t), (g,), (jnp.ones_like(g),))[1]
np.testing.assert_allclose(tangent, jnp.sum(g - t, -1), rtol=1e-15)
assert "keeps  g − t" in half_sse.__doc__

# the dispatch table: a float64 entry of its own, used for float64 input only
@engine.elementwise(derivative=lambda y: 1 - y * y, saves="output", float64=dict(derivative=lambda y: 2 - 2 * y * y),
                    formula="t64(x) = tanh x", derivative_text="1 − y²", kinks="none (smooth)",
                    reference=lambda x: jnp.tanh(x))
def t64(x):
    """tanh, with a float64 rule that doubles its derivative (to see which rule runs)."""
    return jnp.tanh(x)

x = jnp.linspace(-1.0, 1.0, 5)
g64 = jax.grad(lambda x: t64(x).sum())(x)
g32 = jax.grad(lambda x: t64(x).sum())(x.astype(jnp.float32))
np.testing.assert_allclose(g64, 2 * (1 - jnp.tanh(x) ** 2), rtol=1e-12)
np.testing.assert_allclose(g32, 1 - jnp.tanh(x.astype(jnp.float32)) ** 2, rtol=1e-6)
assert "rules  float64 at the default level: its own derivative" in t64.__doc__

# f' given as factors: the cotangent (and the tangent) is multiplied by each in turn
@engine.elementwise(derivative=lambda y: (y, 1 - y), saves="output", formula="s(x) = 1 / (1 + e^−x)",
                    derivative_text="y (1 − y)", kinks="none (smooth)", reference=lambda x: 1 / (1 + jnp.exp(-x)))
def logistic2(x):
    """The logistic function, its derivative given as two factors."""
    return jax.nn.sigmoid(x)

x = jnp.linspace(-4.0, 4.0, 9)
plain = jax.vmap(jax.grad(lambda x: 1 / (1 + jnp.exp(-x))))(x)
np.testing.assert_allclose(jax.grad(lambda x: (3 * logistic2(x)).sum())(x), 3 * plain, rtol=1e-14)
np.testing.assert_allclose(jax.jvp(jax_act.forward_mode.logistic2, (x,), (2 * jnp.ones_like(x),))[1], 2 * plain, rtol=1e-14)
np.testing.assert_allclose(jax_act.derivative(logistic2)(x), plain, rtol=1e-14)

# along_axis: the earlier keywords warn and mean what saves= and highest= mean
def body(x, axes):
    return jax.nn.softmax(x, axes)

def exps(x, axes):
    """e^(x − max)"""
    return jnp.exp(x - jnp.max(x, axes, keepdims=True))

def vjp(e, v, axes):
    s = e / jnp.sum(e, axes, keepdims=True)
    return s * (v - jnp.sum(v * s, axes, keepdims=True))

common = dict(vjp=vjp, formula="S = softmax(x)", derivative_text="S ⊙ (v − ⟨v, S⟩)",
              reference=lambda x, axis=-1, where=None: jax.nn.softmax(x, axis))

@engine.along_axis(saves=exps, highest=dict(half_from_input=False), **common)
def sm_new(x, axis=-1):
    """Softmax, keeping e^(x − max)."""
    return body(x, axis)

with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    @engine.along_axis(keep=exps, keeps="e^(x − max)", half_from_input=False, **common)
    def sm_old(x, axis=-1):
        """Softmax, keeping e^(x − max)."""
        return body(x, axis)
assert any(issubclass(w.category, DeprecationWarning) and "saves=" in str(w.message) for w in caught)
z = jnp.arange(8.0).reshape(2, 4) / 3
for level in ("default", "highest"):
    a = jax.grad(lambda z: (sm_new(z, accuracy=level) * z).sum())(z)
    b = jax.grad(lambda z: (sm_old(z, accuracy=level) * z).sum())(z)
    np.testing.assert_array_equal(a, b)
assert jax_act.spec("sm_new").saves == jax_act.spec("sm_old").saves == "e^(x − max)"

# a loss through declare_explicit still works, with a DeprecationWarning
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    core, twin = engine.custom_pair(lambda st, g: jnp.sum(g * g, -1), jvp=lambda st, xs, out, ts: jnp.sum(2 * xs[0] * ts[0], -1),
                                    save=lambda st, xs, out: xs[0], vjp=lambda st, g, ct: (2 * g * ct[..., None],))
    @engine.declare_explicit(core=core, twin=twin, derivative=None, reference=lambda g: jnp.sum(g * g, -1),
                             static=(), kind="loss", formula="Σ g²", derivative_text="2g", saves="g")
    def sq_old(core, g):
        """Σ g² over the last axis."""
        return core((), jnp.asarray(g))
assert any(issubclass(w.category, DeprecationWarning) and "engine.loss" in str(w.message) for w in caught)
np.testing.assert_allclose(jax.grad(lambda g: sq_old(g).sum())(g), 2 * g)
print("OK")
'''


def test_declarations_through_the_engine():
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0 and "OK" in proc.stdout, proc.stdout[-2000:] + proc.stderr[-3000:]
