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
    parser.add_argument("--tolerance", type=float, default=testing.TOLERANCE,
                        help="eps units an error may reach (default: %(default)g)")
    parser.add_argument(
        "--jobs", type=int, default=0,
        help="worker processes on CPU, where compiling dominates (default: one per core; "
        "on an accelerator the check runs in this process)",
    )


WIDTH = 36  # the longest label, a name with its parameters: threshold(threshold=0.5,value=-1.0)


def _check(name: str, dtypes: list[str], fd: bool, level: str, tolerance: float) -> list[testing.Row]:
    return testing.check_activation(name, dtypes=dtypes, finite_differences=fd, accuracy=level, tolerance=tolerance)


def _sets(name: str) -> int:
    return len(REGISTRY[name].spec.probes.test_params)


def run(args: argparse.Namespace) -> int:
    names = activation_names(args.names, "check") or list(REGISTRY)
    dtypes = dtype_names(args.dtypes, testing.DTYPES)
    jobs = args.jobs or (os.cpu_count() or 1)
    if jax.default_backend() != "cpu" or len(names) < 2:
        jobs = 1  # one process owns an accelerator
    start = time.perf_counter()
    sets = sum(_sets(n) for n in names)
    checks = [c for c in testing.CHECKS if c not in (*testing.ACTIVATION_SKIPS, "second order")
              and not (args.no_fd and c == "finite differences")]
    print(f"accuracy level: {args.accuracy}; {len(names)} activations, {sets} parameter sets x {len(dtypes)} dtypes "
          f"= {sets * len(dtypes)} rows, on {jobs} process{'es' if jobs > 1 else ''}")
    print(f"each row: {', '.join(checks)} (testing.check_rule), on a grid, draws at scales "
          f"{', '.join(f'{s:g}' for s in testing.SCALES)} and the dtype's extremes; then jax.nn's values and "
          "gradients at every kink, NaN in and out, empty arrays, bytes kept")
    print("errors in units of eps(dtype): value/grad err against a float64 oracle; Δ jax.nn = the largest "
          "difference from jax.nn's values and gradients; B/el = bytes kept for the backward pass per element")
    print(testing.format_rows([], WIDTH))  # the header
    rows: list[testing.Row] = []
    with concurrent.futures.ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn")) if jobs > 1 else _Inline() as pool:
        n = len(names)
        results = pool.map(_check, names, [dtypes] * n, [not args.no_fd] * n, [args.accuracy] * n, [args.tolerance] * n)
        for i, (name, new) in enumerate(zip(names, results)):
            if sys.stderr.isatty():  # a counter while it runs; rows go to stdout
                print(f"[{i + 1}/{len(names)}] {name:<24}", file=sys.stderr, end="\r", flush=True)
            print(testing.format_rows(new, WIDTH).split("\n", 2)[2], flush=True)
            rows += new
    failed = [r for r in rows if not r.passed]
    print(
        f"\n{len(rows) - len(failed)}/{len(rows)} rows passed ({len(names)} activations, {sets} parameter sets x "
        f"{len(dtypes)} dtypes) at accuracy level {args.accuracy!r}; "
        f"backend {jax.default_backend()} ({jax.devices()[0].device_kind}), jax {jax.__version__}, "
        f"{time.perf_counter() - start:.0f} s. Errors are in units of eps(dtype); a row passes within "
        f"{args.tolerance:g} eps (at the default level, or within jax.nn's own error)."
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
