"""Names for what the backward pass keeps, so ``jax.checkpoint`` policies can choose it.

Every array a jax_act rule keeps is tagged with ``jax.ad_checkpoint.checkpoint_name``: by
default ``"jax_act.<name>"`` (``"jax_act.losses.<name>"`` for a loss), the function's
canonical name; inside :func:`name_residuals` the name given there. The name is read when the
function is called and travels as a static argument, so a policy sees it even where JAX traces
the forward rule later (under ``jax.checkpoint`` it does).
"""

from __future__ import annotations

import contextlib
import contextvars
from typing import Any, Iterator

import jax
from jax.ad_checkpoint import checkpoint_name

_SCOPE: contextvars.ContextVar[str | None] = contextvars.ContextVar("jax_act_scope", default=None)
_SITE: contextvars.ContextVar[str | None] = contextvars.ContextVar("jax_act_site", default=None)


@contextlib.contextmanager
def name_residuals(name: str) -> Iterator[None]:
    """Within the block, what every jax_act call keeps for its backward pass is named ``name``
    (for ``save_only_these_names`` and the offloading policies), instead of
    ``"jax_act.<function name>"``. Nested blocks: the innermost name holds.

    Example::

        with jax_act.name_residuals("mlp.act"):
            h = jax_act.gelu(h)
        policy = jax.checkpoint_policies.save_only_these_names("mlp.act")
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"jax_act.name_residuals: 'name' must be a non-empty str, got {name!r}")
    token = _SCOPE.set(name)
    try:
        yield
    finally:
        _SCOPE.reset(token)


def site(default: str) -> str:
    """The name for a call of the function whose own name is ``default``: the enclosing
    :func:`name_residuals` block's, else ``default``."""
    return _SCOPE.get() or default


@contextlib.contextmanager
def calling(name: str | None) -> Iterator[None]:
    """While a public function traces its body: the name its rules tag their residuals with."""
    token = _SITE.set(name)
    try:
        yield
    finally:
        _SITE.reset(token)


def current() -> str | None:
    """The name a rule called now tags its residuals with (None: outside any jax_act
    function and any :func:`name_residuals` block: untagged)."""
    return _SITE.get() or _SCOPE.get()


def tag(name: str | None, tree: Any) -> Any:
    """``tree`` with each array named ``name`` (unchanged for None)."""
    if name is None:
        return tree
    return jax.tree.map(lambda a: checkpoint_name(a, name) if isinstance(a, jax.Array) else a, tree)
