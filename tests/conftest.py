"""Tests run with float64 enabled (the oracles are float64): be explicit about dtypes."""

from __future__ import annotations

import jax

jax.config.update("jax_enable_x64", True)


import pytest  # noqa: E402

import jax_act  # noqa: E402


@pytest.fixture
def highest():
    """Run a test at ``accuracy="highest"`` (the level is read when functions are traced)."""
    with jax_act.accuracy("highest"):
        yield
