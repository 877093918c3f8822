"""``jax-act rule``: check your own closed-form rule by import path.

    jax-act rule mypkg.norms:layer_norm --inputs mypkg.norms:example_inputs

``--inputs`` names a function of no arguments returning the example: a tuple of positional
arguments, or a dict with ``args`` (a tuple), ``kwargs`` (a dict) and ``options`` (the kit's,
e.g. ``{"static_argnames": ("eps",), "fixed": "labels"}``). A path may name a file,
``path/to/file.py:name``. Exit status 1 if any row fails.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import sys
from typing import Any

from .cli import UsageError, dtype_names

DTYPES = ("bfloat16", "float16", "float32", "float64")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("function", metavar="MODULE:FUNCTION", help="the function to check (module or file.py, then its name)")
    parser.add_argument("--inputs", required=True, metavar="MODULE:FACTORY",
                        help="a function of no arguments returning the example arguments (see the module doc)")
    parser.add_argument("--reference", metavar="MODULE:FUNCTION",
                        help="the plain function (default: the rule's own undecorated function)")
    parser.add_argument("--dtypes", nargs="+", default=[], metavar="DTYPE",
                        help="dtype rows besides the arguments as given and float64 (bfloat16, float16, float32)")
    parser.add_argument("--order", type=int, choices=(1, 2), default=1, help="2 adds second derivatives")
    parser.add_argument("--skip", nargs="+", default=[], metavar="CHECK", help="checks not to run")
    parser.add_argument("--tolerance", type=float, help="the tolerance in eps (default: the kit's)")


def load(path: str, what: str) -> Any:
    """``module:name`` or ``file.py:name``, from the current directory too."""
    module_name, sep, attr = path.rpartition(":")
    if not sep or not module_name or not attr:
        raise UsageError(f"{what} must be MODULE:NAME or FILE.py:NAME, got {path!r}")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        if module_name.endswith(".py"):
            if not os.path.exists(module_name):
                raise UsageError(f"{what}: no file {module_name!r}")
            spec = importlib.util.spec_from_file_location(os.path.basename(module_name)[:-3], module_name)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
        else:
            module = importlib.import_module(module_name)
    except ImportError as e:
        raise UsageError(f"{what}: cannot import {module_name!r} ({e})") from None
    if not hasattr(module, attr):
        raise UsageError(f"{what}: {module_name!r} has no {attr!r}")
    return getattr(module, attr)


def _example(factory: Any) -> tuple[tuple, dict, dict]:
    made = factory()
    if isinstance(made, dict):
        unknown = set(made) - {"args", "kwargs", "options"}
        if unknown:
            raise UsageError(f"--inputs returned a dict with unknown keys {sorted(unknown)} (args, kwargs, options)")
        return tuple(made.get("args", ())), dict(made.get("kwargs", {})), dict(made.get("options", {}))
    return (tuple(made) if isinstance(made, (tuple, list)) else (made,)), {}, {}


def run(args: argparse.Namespace) -> int:
    from .. import testing

    fn = load(args.function, "MODULE:FUNCTION")
    positional, kwargs, options = _example(load(args.inputs, "--inputs"))
    options.setdefault("dtypes", tuple(dtype_names(args.dtypes, DTYPES)))
    options.setdefault("order", args.order)
    if args.skip:
        options.setdefault("skip", tuple(args.skip))
    if args.tolerance is not None:
        options.setdefault("tolerance", args.tolerance)
    reference = load(args.reference, "--reference") if args.reference else None
    try:
        report = testing.check_rule(fn, *positional, reference=reference, kwargs=kwargs, **options)
    except (TypeError, ValueError) as e:
        raise UsageError(str(e)) from None
    print(report)
    return 0 if report.passed else 1
