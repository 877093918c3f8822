"""Tests run with float64 enabled (the oracles are float64): be explicit about dtypes."""

from __future__ import annotations

import jax

jax.config.update("jax_enable_x64", True)
