"""``jax-act demo``: both runs agree (exit 0), and a run that differs is caught (exit 1)."""

from __future__ import annotations

import argparse

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jax_act
from jax_act.tools import demo


def run_demo(*argv: str) -> int:
    parser = argparse.ArgumentParser()
    demo.add_arguments(parser)
    return demo.run(parser.parse_args(list(argv)))


@pytest.mark.slow
@pytest.mark.extended
def test_demo_default_run_matches_jax_nn(capsys):
    assert run_demo() == 0
    out = capsys.readouterr().out
    assert "OK: same function, same gradients" in out
    rows = [line.split() for line in out.splitlines() if line.strip()[:1].isdigit()]
    assert len(rows) >= 10
    first, last = float(rows[0][1]), float(rows[-1][1])
    assert last < 0.5 * first  # it trains
    for _, a, b, _ in rows:  # the curves agree
        assert abs(float(a) - float(b)) <= 1e-4 * (abs(float(b)) + 1)


@pytest.mark.slow
@pytest.mark.extended
def test_demo_catches_a_different_gradient(capsys, monkeypatch):
    real_get = jax_act.get

    @jax.custom_vjp
    def skewed(x):  # tanh's value with 1.01 × its gradient: the demo must notice
        return jnp.tanh(x)

    skewed.defvjp(lambda x: (jnp.tanh(x), x), lambda x, g: (1.01 * g * (1 - jnp.tanh(x) ** 2),))
    monkeypatch.setattr(jax_act, "get", lambda name: skewed if name == "tanh" else real_get(name))
    assert run_demo("--activation", "tanh", "--steps", "30") == 1
    assert "MISMATCH" in capsys.readouterr().out


def test_demo_rejects_unknown_activation(capsys):
    from jax_act.tools.cli import main

    assert main(["demo", "--activation", "no_such_thing"]) == 2
    assert "no_such_thing" in capsys.readouterr().err


def test_spirals_are_deterministic():
    a, b = demo.spirals(), demo.spirals()
    np.testing.assert_array_equal(a[0], b[0])
    assert a[0].shape == (192, 2) and set(a[1].tolist()) == {0, 1, 2}
