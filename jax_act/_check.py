"""``jax-act check``: the testing kit over every activation and dtype on the local backend."""

from __future__ import annotations

import argparse
import sys
import time

import jax

from . import testing
from ._engine import REGISTRY, lookup


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("names", nargs="*", help="activations to check (default: all)")
    parser.add_argument("--dtypes", default=",".join(testing.DTYPES), help="comma-separated (default: %(default)s)")
    parser.add_argument("--no-fd", action="store_true", help="skip the finite-difference checks")


def run(args: argparse.Namespace) -> int:
    names = [lookup(n).spec.name for n in args.names] or list(REGISTRY)
    dtypes = [d.strip() for d in args.dtypes.split(",") if d.strip()]
    start = time.perf_counter()
    rows: list[testing.Row] = []
    print(testing.format_rows([]))  # the header
    for i, name in enumerate(names):
        if sys.stderr.isatty():  # a counter while it runs; rows go to stdout
            print(f"[{i + 1}/{len(names)}] {name:<24}", file=sys.stderr, end="\r", flush=True)
        new = testing.check_activation(name, dtypes=dtypes, finite_differences=not args.no_fd)
        print(testing.format_rows(new).split("\n", 2)[2], flush=True)
        rows += new
    failed = [r for r in rows if not r.passed]
    print(
        f"\n{len(rows) - len(failed)}/{len(rows)} rows passed, {len(names)} activations x {len(dtypes)} dtypes; "
        f"backend {jax.default_backend()} ({jax.devices()[0].device_kind}), jax {jax.__version__}, "
        f"{time.perf_counter() - start:.0f} s. Errors are in units of eps(dtype) (|Δ| ≤ {testing.TOLERANCE:g}·eps·(|want|+1) passes)."
    )
    return 1 if failed else 0
