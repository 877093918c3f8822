"""How an error is measured: in eps of the result's dtype, against a float64 oracle, scaled by
what rounding forces (the size of the result and its sensitivity to rounding the inputs)."""

from __future__ import annotations

import dataclasses
from typing import Any

import jax.numpy as jnp
import numpy as np

from .arguments import rounded


def eps(dtype: Any) -> float:
    return float(jnp.finfo(dtype).eps)


@dataclasses.dataclass
class Worst:
    """The largest error of one row over its cases and seeds, and where it was."""

    error: float = 0.0
    where: str = ""
    unfinite: int = 0  # entries non-finite where the oracle, rounded to the dtype, is finite
    unfinite_at: str = ""
    not_judged: int = 0  # entries where the oracle itself is not finite
    judged: int = 0  # entries compared
    given: float = 0.0  # the largest error on the inputs given (not drawn)
    baseline: float = 0.0  # the baseline's own error, measured the same way

    def add(self, error: np.ndarray, where: Any, unfinite: np.ndarray, not_judged: int) -> None:
        """Fold in one comparison: ``where(index)`` describes an entry."""
        self.not_judged += not_judged
        self.judged += int(np.isfinite(error).sum())
        if unfinite.any():
            if not self.unfinite:
                self.unfinite_at = where(tuple(int(i) for i in np.argwhere(unfinite)[0]))
            self.unfinite += int(unfinite.sum())
        if error.size and np.nanmax(error, initial=0.0) > self.error:
            self.error = float(np.nanmax(error))
            self.where = where(np.unravel_index(int(np.nanargmax(error)), error.shape))


def largest(want: np.ndarray, dtype: Any) -> float:
    """The largest |want| where it is finite in ``dtype``."""
    want = np.asarray(want, np.float64)
    return float(np.abs(want[np.isfinite(rounded(want, dtype))]).max(initial=0.0))


def normalized(got: np.ndarray, want: np.ndarray, sens: np.ndarray, dtype: Any, floor: float,
               size: np.ndarray | float = 0.0) -> tuple[np.ndarray, np.ndarray, int]:
    """``(error, unfinite, not_judged)`` of ``got`` (in ``dtype``) against the float64 oracle
    ``want``: the error in eps of ``dtype``, |got − want| / (eps·(max(|want|, size) + floor) +
    sens), ``size`` the magnitude of the terms ``want`` was summed from; NaN where not judged;
    ``unfinite`` marks entries that are NaN or ±inf where ``want``, rounded to ``dtype``, is
    finite."""
    got = np.asarray(got, np.float64)
    want = np.broadcast_to(np.asarray(want, np.float64), got.shape)
    sens = np.broadcast_to(np.asarray(sens, np.float64), got.shape)
    size = np.broadcast_to(np.nan_to_num(np.asarray(size, np.float64), nan=np.inf), got.shape)
    judged = np.isfinite(rounded(want, dtype))
    unit = eps(dtype) * (np.maximum(np.abs(want), size) + floor) + np.where(np.isfinite(sens), np.abs(sens), np.inf)
    unit = np.maximum(unit, float(jnp.finfo(dtype).tiny))
    with np.errstate(invalid="ignore", over="ignore"):
        err = np.abs(got - want) / unit
    err = np.where(got == want, 0.0, err)
    unfinite = judged & ~np.isfinite(got)
    judged &= np.isfinite(unit)  # an infinite unit: no bound on the oracle's own error there
    err = np.where(judged & np.isfinite(got), err, np.nan)
    return err, unfinite, int((~judged).sum())
