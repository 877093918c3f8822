"""``jax-act plot``: the curves it draws are right, it writes PNGs, and says so without matplotlib.

The plotted f' and f'' are checked against an independent oracle: jax.grad (and grad∘grad) of
jax.nn's function where jax.nn has it, else of the declaration's plain reference formula, in
float64 away from kinks. Tolerance ``TOL · eps · (|want| + 1)``.
"""

from __future__ import annotations

import argparse
import inspect
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jax_act
from jax_act._engine import lookup
from jax_act.tools import plot
from jax_act.testing import TOLERANCE

TOL = 8 * TOLERANCE  # eps units for f and f'
TOL_D2 = 128 * TOLERANCE  # for f'': two closed forms composed, against autodiff's own rounding
EPS = float(np.finfo(np.float64).eps)


def _oracle(name):
    spec = jax_act.spec(name)
    params = plot._param_values(name)
    if spec.jax_nn and hasattr(jax.nn, spec.jax_nn) and set(params) <= set(inspect.signature(getattr(jax.nn, spec.jax_nn)).parameters):
        fn = getattr(jax.nn, spec.jax_nn)
    else:
        fn = lookup(name).reference
    return lambda s: fn(s, **params)


@pytest.mark.sweep
@pytest.mark.parametrize("name", [n for n in jax_act.names() if jax_act.spec(n).kind == "elementwise"])
def test_plotted_curves_match_autodiff_of_the_plain_formula(name):
    c = plot.curves(name, n=101)
    g = _oracle(name)
    keep = np.all([np.abs(c.x - k) > 1e-6 for k in c.kinks], axis=0) if c.kinks else np.ones(c.x.shape, bool)
    x = jnp.asarray(c.x[keep])
    for what, got, want in [
        ("f", c.f[keep], jax.vmap(g)(x)),
        ("f'", c.df[keep], jax.vmap(jax.grad(g))(x)),
        *([("f''", c.d2f[keep], jax.vmap(jax.grad(jax.grad(g)))(x))] if c.d2f is not None else []),
    ]:
        want = np.asarray(want, np.float64)
        err = np.max(np.abs(got - want) / (np.abs(want) + 1))
        tol = TOL_D2 if what == "f''" else TOL
        assert err <= tol * EPS, f"{name} {what}: {err / EPS:.1f} eps > {tol}"


@pytest.mark.slow  # every activation's curves are also checked against autodiff below
def test_every_activation_has_finite_curves_and_kinks_show_the_convention():
    for name in jax_act.names():
        c = plot.curves(name, n=41)
        assert np.isfinite(c.f).all() and np.isfinite(c.df).all(), name
        assert c.d2f is None or np.isfinite(c.d2f).all(), name
        assert set(jax_act.spec(name).probes.kink_points) <= set(c.kinks), name
    relu = plot.curves("relu")
    assert relu.kinks == (0.0,) and relu.kink_df == (0.0,)  # relu'(0) = 0, as jax.nn
    sm = plot.curves("softmax", n=21)  # softmax([x, 0])[0] = σ(x), its derivative σ(1 − σ)
    s = 1 / (1 + np.exp(-sm.x))
    np.testing.assert_allclose(sm.f, s, rtol=1e-14)
    np.testing.assert_allclose(sm.df, s * (1 - s), rtol=1e-12, atol=1e-16)


@pytest.mark.slow
@pytest.mark.extended
def test_plot_writes_pngs(tmp_path):
    pytest.importorskip("matplotlib")
    parser = argparse.ArgumentParser()
    plot.add_arguments(parser)
    assert plot.run(parser.parse_args(["relu", "sigmoid", "softmax", "glu", "--out", str(tmp_path), "--dpi", "40"])) == 0
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == ["glu.png", "overview.png", "relu.png", "sigmoid.png", "softmax.png"]
    for p in tmp_path.iterdir():
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and p.stat().st_size > 1000
    from jax_act.tools.cli import main

    assert main(["plot", "no_such", "--out", str(tmp_path)]) == 2


def test_clear_message_without_matplotlib(tmp_path):
    code = (
        "import importlib.abc, sys\n"
        "class Hide(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] == 'matplotlib':\n"
        "            raise ModuleNotFoundError(f'No module named {name!r}', name=name)\n"
        "sys.meta_path.insert(0, Hide())\n"
        "from jax_act.tools.cli import main\n"
        f"sys.exit(main(['plot', 'relu', '--out', {str(tmp_path)!r}]))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                          env={"PYTHONPATH": str(__import__("pathlib").Path(__file__).resolve().parents[1]), "PATH": ""})
    assert proc.returncode == 1, proc.stderr[-3000:]
    assert "needs matplotlib" in proc.stdout and "pip install 'jax_act[plot]'" in proc.stdout
    assert not any(tmp_path.iterdir())
