"""Tests run with float64 enabled (the oracles are float64): be explicit about dtypes."""

from __future__ import annotations

import jax

jax.config.update("jax_enable_x64", True)


import os  # noqa: E402

import pytest  # noqa: E402
from hypothesis import settings  # noqa: E402

import jax_act  # noqa: E402

# Property tests draw the same examples on every run, so a result is reproducible on any
# machine; HYPOTHESIS_PROFILE=explore draws fresh ones (and keeps failures in the database).
settings.register_profile("repeatable", derandomize=True, database=None)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))


@pytest.fixture
def highest():
    """Run a test at ``accuracy="highest"`` (the level is read when functions are traced)."""
    with jax_act.accuracy("highest"):
        yield


# Per-activation sweeps (marked ``sweep``) run every activation in the slow set, and in the
# default run only these, one for each way a declaration can differ: the output saved, the
# input saved with a static flag, a 1-byte mask, a float parameter, a gated split, and the
# axis maps (dense with a mask, reduced, sparse). Every activation still runs in the default
# run through the registry-wide tests (values in every dtype and gradients for every parameter
# set in tests/test_transformations.py, the registered faces, the drop-in names, bad input).
# CI runs the slow sweeps too.
REPRESENTATIVE = frozenset({"tanh", "relu", "gelu", "prelu", "swiglu", "softmax", "logsumexp", "sparsemax"})


def _activation(item: pytest.Item) -> str | None:
    params = getattr(getattr(item, "callspec", None), "params", {})
    if "name" in params:
        return params["name"]
    case = params.get("case")
    return case.split("(")[0] if isinstance(case, str) else getattr(case, "name", None)


@pytest.hookimpl(tryfirst=True)  # before -m deselects the slow items
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("sweep") and _activation(item) not in REPRESENTATIVE:
            item.add_marker(pytest.mark.slow)
