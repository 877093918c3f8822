"""``jax-act check``: the testing kit over every activation and dtype on the local backend."""

from __future__ import annotations

import argparse
import concurrent.futures
import multiprocessing
import os
import sys
import time

import jax

from .. import testing
from .cli import activation_names, dtype_names
from .._engine import LEVELS, REGISTRY


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("names", nargs="*", metavar="NAME", help="activations to check, spaces or commas (default: all)")
    parser.add_argument("--dtypes", nargs="+", default=list(testing.DTYPES), metavar="DTYPE",
                        help=f"spaces or commas (default: {' '.join(testing.DTYPES)})")
    parser.add_argument("--no-fd", action="store_true", help="skip the finite-difference checks")
    parser.add_argument("--accuracy", choices=LEVELS, default="default",
                        help="the accuracy level to check (default: %(default)s)")
    parser.add_argument(
        "--jobs", type=int, default=0,
        help="worker processes on CPU, where compiling dominates (default: one per core; "
        "on an accelerator the check runs in this process)",
    )


WIDTH = 36  # the longest label, a name with its parameters: threshold(threshold=0.5,value=-1.0)


def _check(name: str, dtypes: list[str], fd: bool, level: str) -> list[testing.Row]:
    return testing.check_activation(name, dtypes=dtypes, finite_differences=fd, accuracy=level)


def run(args: argparse.Namespace) -> int:
    names = activation_names(args.names, "check") or list(REGISTRY)
    dtypes = dtype_names(args.dtypes, testing.DTYPES)
    jobs = args.jobs or (os.cpu_count() or 1)
    if jax.default_backend() != "cpu" or len(names) < 2:
        jobs = 1  # one process owns an accelerator
    start = time.perf_counter()
    # about 65 s for everything on 2 CPU cores, mostly compiling; scaled by the share asked for
    expect = 65 * len(names) * len(dtypes) / (len(REGISTRY) * len(testing.DTYPES)) * 2 / max(jobs, 1)
    print(f"accuracy level: {args.accuracy}; {len(names)} activations x {len(dtypes)} dtypes, "
          f"about {max(expect, 5):.0f} s on {jobs} process{'es' if jobs > 1 else ''}")
    print("errors in units of eps(dtype): value/grad err against a float64 oracle; Δ jax.nn = the largest "
          "difference from jax.nn's values and gradients; B/el = bytes kept for the backward pass per element")
    print(testing.format_rows([], WIDTH))  # the header
    rows: list[testing.Row] = []
    with concurrent.futures.ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn")) if jobs > 1 else _Inline() as pool:
        results = pool.map(_check, names, [dtypes] * len(names), [not args.no_fd] * len(names), [args.accuracy] * len(names))
        for i, (name, new) in enumerate(zip(names, results)):
            if sys.stderr.isatty():  # a counter while it runs; rows go to stdout
                print(f"[{i + 1}/{len(names)}] {name:<24}", file=sys.stderr, end="\r", flush=True)
            print(testing.format_rows(new, WIDTH).split("\n", 2)[2], flush=True)
            rows += new
    failed = [r for r in rows if not r.passed]
    print(
        f"\n{len(rows) - len(failed)}/{len(rows)} rows passed, {len(names)} activations x {len(dtypes)} dtypes "
        f"at accuracy level {args.accuracy!r}; "
        f"backend {jax.default_backend()} ({jax.devices()[0].device_kind}), jax {jax.__version__}, "
        f"{time.perf_counter() - start:.0f} s. Errors are in units of eps(dtype) (|Δ| ≤ {testing.TOLERANCE:g}·eps·(|want|+1) passes)."
    )
    return 1 if failed else 0


class _Inline:
    """The executor interface, in this process."""

    def __enter__(self) -> "_Inline":
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def map(self, fn, *iterables):  # noqa: ANN001, ANN201
        return map(fn, *iterables)
