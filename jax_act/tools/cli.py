"""``jax-act``: the command line. Each subcommand lives in its own module, imported on use.

A subcommand module defines ``add_arguments(parser)`` and ``run(args) -> int`` (exit status).
"""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import importlib.util
import sys
from typing import Iterable

# name -> (module, one-line help). Keep this table the only list of subcommands.
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "check": ("jax_act.tools.check", "check every activation x dtype against the oracles; exit 1 on any failure"),
    "rule": ("jax_act.tools.rule", "check your own custom_vjp/custom_jvp rule (MODULE:FUNCTION) against autodiff"),
    "list": ("jax_act.tools.listing", "list activations and losses: formula, derivative, kink convention, what is saved"),
    "accuracy": ("jax_act.tools.accuracy", "error in ulps against a float64 oracle, side by side with jax.nn"),
    "bench": ("jax_act.tools.bench", "benchmark forward and forward+backward against jax.nn"),
    "demo": ("jax_act.tools.demo", "train a small MLP with jax_act and with jax.nn, side by side"),
    "plot": ("jax_act.tools.plot", "plot f, f' and f'' of activations to PNG files"),
}

DESCRIPTION = (
    "jax_act: activation functions for JAX with closed-form derivatives. "
    "'jax-act check' verifies every activation in bfloat16, float16, float32 and float64 "
    "on the local backend (values and gradients against a float64 oracle, finite "
    "differences and jax.nn; bytes kept for the backward pass) and exits 1 if any row fails. "
    "'jax-act rule MODULE:FUNCTION --inputs MODULE:FACTORY' checks your own rule the same way. "
    "'jax-act list' shows what each activation and loss computes and keeps. "
    "'jax-act COMMAND --help' explains a command."
)


class UsageError(Exception):
    """A bad command line (unknown name or dtype, missing file): one line on stderr, exit 2.
    A failed check exits 1; a traceback means a bug."""


def split_list(values: Iterable[str] | str | None) -> list[str]:
    """Every list option takes both forms: ``a b``, ``a,b`` (and a mix)."""
    if values is None:
        return []
    if isinstance(values, str):
        values = [values]
    return [v.strip() for value in values for v in value.split(",") if v.strip()]


def activation_names(values: Iterable[str] | str | None, command: str) -> list[str]:
    """Registered names for ``values`` (aliases resolved); an unknown one is a UsageError
    with jax_act's did-you-mean."""
    from .._engine import lookup

    out = []
    for v in split_list(values):
        try:
            out.append(lookup(v, "get").spec.name)
        except (ValueError, TypeError) as e:
            raise UsageError(str(e).replace("jax_act.get: ", "").replace("jax_act.names() lists", "'jax-act list' lists")) from None
    return out


def dtype_names(values: Iterable[str] | str | None, allowed: Iterable[str]) -> list[str]:
    allowed = list(allowed)
    out = split_list(values)
    bad = [d for d in out if d not in allowed]
    if bad:
        import difflib

        close = {b: difflib.get_close_matches(b, allowed, n=1) for b in bad}
        hint = "".join(f"; {b!r}: did you mean {c[0]!r}?" for b, c in close.items() if c)
        raise UsageError(f"unknown dtype(s) {', '.join(map(repr, bad))} (choose from {', '.join(allowed)}){hint}")
    return out


def version() -> str:
    try:
        return importlib.metadata.version("jax_act")
    except importlib.metadata.PackageNotFoundError:  # run from a source tree
        from .. import __version__

        return __version__


def _available() -> dict[str, tuple[str, str]]:
    return {n: v for n, v in SUBCOMMANDS.items() if importlib.util.find_spec(v[0]) is not None}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    commands = _available()
    top = argparse.ArgumentParser(prog="jax-act", description=DESCRIPTION)
    top.add_argument("--version", action="version", version=f"jax-act {version()}")
    sub = top.add_subparsers(dest="command", metavar="COMMAND")
    for name, (_module, help_text) in commands.items():
        sub.add_parser(name, help=help_text, add_help=False)
    if not argv or argv[0] not in commands:
        if argv and not argv[0].startswith("-"):
            top.error(f"unknown command {argv[0]!r} (choose from {', '.join(commands)})")
        top.parse_args(argv)  # --help, or an error for anything else
        top.print_help()
        return 2
    name, rest = argv[0], argv[1:]
    module = importlib.import_module(commands[name][0])
    parser = argparse.ArgumentParser(prog=f"jax-act {name}", description=commands[name][1])
    module.add_arguments(parser)
    args = parser.parse_args(rest)
    try:
        return int(module.run(args) or 0)
    except UsageError as e:
        print(f"jax-act {name}: {e}", file=sys.stderr)
        return 2

