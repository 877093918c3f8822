"""``jax-act``: the command line. Each subcommand lives in its own module, imported on use.

A subcommand module defines ``add_arguments(parser)`` and ``run(args) -> int`` (exit status).
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import sys

# name -> (module, one-line help). Keep this table the only list of subcommands.
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "check": ("jax_act._check", "check every activation x dtype against the oracles; exit 1 on any failure"),
    "list": ("jax_act._listing", "list activations: formula, derivative, kink convention, what is saved"),
    "accuracy": ("jax_act._accuracy", "error in ulps against a float64 oracle, side by side with jax.nn"),
    "bench": ("jax_act._bench", "benchmark forward and forward+backward against jax.nn"),
    "demo": ("jax_act._demo", "train a small MLP with jax_act and with jax.nn, side by side"),
    "plot": ("jax_act._plot", "plot f, f' and f'' of activations to PNG files"),
}

DESCRIPTION = (
    "jax_act: activation functions for JAX with closed-form derivatives. "
    "'jax-act check' verifies every activation in bfloat16, float16, float32 and float64 "
    "on the local backend (values and gradients against a float64 oracle, finite "
    "differences and jax.nn; bytes kept for the backward pass) and exits 1 if any row fails. "
    "'jax-act list' shows what each activation computes and keeps. "
    "'jax-act COMMAND --help' explains a command."
)


def _available() -> dict[str, tuple[str, str]]:
    return {n: v for n, v in SUBCOMMANDS.items() if importlib.util.find_spec(v[0]) is not None}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    commands = _available()
    top = argparse.ArgumentParser(prog="jax-act", description=DESCRIPTION)
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
    return int(module.run(parser.parse_args(rest)) or 0)


if __name__ == "__main__":
    sys.exit(main())
