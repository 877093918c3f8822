"""Without the optional extras (flax, optax, equinox, matplotlib) the core package works.

A subprocess hides those packages (an import of them fails as if they were not installed)
and uses jax_act: the core, the losses, ``jax-act list``, and the optional modules' clear
errors. The optional modules themselves import fine: they reach for flax only when used.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

HIDE = textwrap.dedent(
    """
    import importlib.abc, sys
    HIDDEN = {"flax", "optax", "equinox", "matplotlib"}
    class Hide(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in HIDDEN:
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
    sys.meta_path.insert(0, Hide())
    """
)


def run_hidden(code: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.run(
        [sys.executable, "-c", HIDE + textwrap.dedent(code)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


def test_core_works_without_flax_optax_equinox_matplotlib():
    proc = run_hidden(
        """
        import jax, jax.numpy as jnp
        import jax_act, jax_act.flax, jax_act.losses, jax_act.tools.demo, jax_act.tools.plot
        from jax_act.tools.cli import main
        x = jnp.linspace(-2.0, 2.0, 5)
        assert float(jax.grad(lambda x: jax_act.sigmoid(x).sum())(x)[2]) == 0.25
        assert jax_act.losses.softmax_cross_entropy(x, jax_act.softmax(x)).shape == ()
        assert main(["list"]) == 0
        try:
            jax_act.flax.linen
        except ImportError as e:
            assert "pip install" in str(e) and "flax" in str(e), e
        else:
            raise AssertionError("jax_act.flax.linen without flax must raise ImportError")
        for name in ("flax", "optax", "equinox", "matplotlib"):
            assert name not in sys.modules, name
        print("OK")
        """
    )
    assert proc.returncode == 0 and proc.stdout.strip().endswith("OK"), proc.stdout[-2000:] + proc.stderr[-4000:]


def test_hiding_works():
    """The harness itself: a hidden package really cannot be imported (else the test above proves nothing)."""
    proc = run_hidden("import flax")
    assert proc.returncode != 0 and "No module named 'flax'" in proc.stderr


def test_import_jax_act_leaves_the_kit_and_the_tools_unimported():
    proc = run_hidden(
        """
        import jax_act
        tools = ["jax.test_util", "jax_act.testing", "jax_act.tools", "jax_act.tools.cli", "jax_act.tools.bench",
                 "jax_act.tools.timing", "jax_act.tools.loss_bench", "jax_act.tools.report", "jax_act.tools.accuracy",
                 "jax_act.tools.plot", "jax_act.tools.demo", "mpmath"]
        assert not [m for m in tools if m in sys.modules], [m for m in tools if m in sys.modules]
        assert jax_act.testing.check_activation and "jax_act.testing" in sys.modules
        print("OK")
        """
    )
    assert proc.returncode == 0 and proc.stdout.strip().endswith("OK"), proc.stdout[-2000:] + proc.stderr[-4000:]
