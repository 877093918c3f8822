"""Accuracy levels: "default" and "highest", chosen per call, per scope or globally."""

from __future__ import annotations

import contextlib
import contextvars
from typing import Any, Iterator

LEVELS = ("default", "highest")
_SCOPED: contextvars.ContextVar[str | None] = contextvars.ContextVar("jax_act_accuracy", default=None)
_GLOBAL = {"level": "default"}


def check_level(fname: str, level: Any) -> str:
    """``level`` as one of :data:`LEVELS`, or an error naming the function and ``accuracy``."""
    if level is None:
        return get_accuracy()
    if not isinstance(level, str):
        raise TypeError(f"jax_act.{fname}: argument 'accuracy' must be one of {LEVELS} or None, got {level!r:.40}")
    if level not in LEVELS:
        raise ValueError(f"jax_act.{fname}: argument 'accuracy' must be one of {LEVELS} or None, got {level!r}")
    return level


def get_accuracy() -> str:
    """The accuracy level a call with ``accuracy=None`` uses now: the innermost
    :func:`accuracy` scope's, else the global one (:func:`set_accuracy`; initially "default")."""
    return _SCOPED.get() or _GLOBAL["level"]


def set_accuracy(level: str) -> None:
    """Set the global default accuracy level ("default" or "highest")."""
    _GLOBAL["level"] = check_level("set_accuracy", level if level is not None else "default")


@contextlib.contextmanager
def accuracy(level: str) -> Iterator[str]:
    """A scope in which calls with ``accuracy=None`` use ``level``.

    The level is read when a function is *traced*: a function jitted by the caller keeps the
    level that was in effect when it was traced, for as long as JAX reuses that trace."""
    token = _SCOPED.set(check_level("accuracy", level))
    try:
        yield level
    finally:
        _SCOPED.reset(token)