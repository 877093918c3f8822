"""Docstring examples in ``jax_act/`` run with JAX's defaults (float32), as a user sees them,
even though ``tests/conftest.py`` turns float64 on for the test suite."""

from __future__ import annotations

import pytest

from jax_act._compat import enable_x64


@pytest.fixture(autouse=True)
def _doctests_in_float32(request: pytest.FixtureRequest):
    if isinstance(request.node, pytest.DoctestItem):
        with enable_x64(False):
            yield
    else:
        yield
