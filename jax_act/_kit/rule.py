"""``check_rule``: any function's derivatives, every partial, against autodiff of its plain
reference in float64, finite differences and its own transformations."""

from __future__ import annotations

import dataclasses
import functools
import re
from typing import Any, Callable

import jax
import jax.numpy as jnp
import numpy as np

from .. import _compat
from . import plan, transforms
from .arguments import _TRACED, Arguments
from .compare import accuracy_rows, structure_row, transpose_rows
from .differences import finite_difference_rows
from .measure import eps
from .programs import Flat, differences, flat, measure, oracle
from .report import Report, RuleRow

CALLER = "jax_act.testing.check_rule"


@dataclasses.dataclass
class Context:
    """Everything one check shares across its rows."""

    name: str
    a: Arguments
    opts: dict
    rows: list[plan.Row]
    cases: list[plan.Case]
    out_paths: list[str]  # float output leaves: they get cotangents
    out_index: list[int]  # their positions among all output leaves
    out_shapes: list[tuple]
    not_checked_outputs: list[tuple[str, str]]
    rev: Flat  # fn
    ref: Flat | None  # the reference
    base: Flat | None  # the baseline (below float64)
    base_is_ref: bool
    kinks: dict
    notes: list[str]
    fwd: Flat | None = None  # fn or ``forward``, where forward mode works
    ref_fwd: bool = False
    base_fwd: bool = False
    run: Callable | None = None  # jitted measure of fn
    run_ref: Callable | None = None  # jitted oracle
    run_base: Callable | None = None
    run_fd: Callable | None = None
    bytes_kept: tuple = (None, None)

    def keys(self, jvp: bool) -> tuple[list, list, list]:
        s = range(self.opts["seeds"])
        cts = [(k, i) for k in range(len(self.out_index)) for i in s]
        ts = [(j, i) for j in range(len(self.floats)) for i in s] if jvp else []
        ws = cts if self.opts["order"] == 2 and "second order" not in self.opts["skip"] else []
        return cts, ts, ws

    @property
    def floats(self) -> list[int]:
        return [i for i, leaf in enumerate(self.a.leaves) if leaf.role == "float"]

    def in_paths(self) -> list[str]:
        return [self.a.leaves[i].path for i in self.floats]


def check_rule(fn: Callable, *args: Any, reference: Callable | None = None, kwargs: dict | None = None,
               **options: Any) -> Report:
    opts = plan.options(CALLER, options)
    a = Arguments(fn, args, kwargs or {}, CALLER, opts["static_argnums"], opts["static_argnames"])
    if not any(leaf.role == "float" for leaf in a.leaves):
        raise ValueError(f"{CALLER}: no floating-point leaf among the arguments to differentiate "
                         f"(passed as given: {', '.join(p for p, _ in a.passed) or 'nothing'})")
    more = [_example(fn, a, ex, opts) for ex in opts["examples"]]
    ctx = _context(fn, a, reference, opts, more)
    rows: list[RuleRow] = []
    data: dict[str, RowData] = {}
    for row in ctx.rows:
        more_rows, data[row.label] = _check_row(ctx, row)
        rows += more_rows
    rows += transforms.memory_rows(ctx, ctx.rows[0]) if "memory" not in opts["skip"] else []
    not_checked = [(leaf.path, f"{leaf.role}: not differentiated") for leaf in a.leaves if leaf.role != "float"]
    not_checked += a.passed + ctx.not_checked_outputs
    report = Report(ctx.name, rows, ctx.in_paths(), ctx.out_paths, not_checked, ctx.notes, ctx.bytes_kept)
    report.data = data  # each row's inputs and results, for layers such as check_activation
    return report


def assert_rule(fn: Callable, *args: Any, reference: Callable | None = None, kwargs: dict | None = None,
                **options: Any) -> Report:
    report = check_rule(fn, *args, reference=reference, kwargs=kwargs, **options)
    if not report.passed:
        raise AssertionError("\n" + str(report))
    return report


def _example(fn: Callable, a: Arguments, example: Any, opts: dict) -> Arguments:
    """A further example: positional arguments, or ``(args, kwargs)``; same leaves as the first."""
    if isinstance(example, tuple) and len(example) == 2 and isinstance(example[0], tuple) and isinstance(example[1], dict):
        ex_args, ex_kwargs = example
    else:
        ex_args, ex_kwargs = (tuple(example) if isinstance(example, (tuple, list)) else (example,)), {}
    b = Arguments(fn, ex_args, ex_kwargs, CALLER, opts["static_argnums"], opts["static_argnames"])
    same = [(leaf.path, leaf.role, leaf.shape) for leaf in a.leaves] == [(leaf.path, leaf.role, leaf.shape) for leaf in b.leaves]
    if not same:
        raise ValueError(f"{CALLER}: examples must have the first example's leaves (paths, kinds and shapes): "
                         f"{[(leaf.path, leaf.shape) for leaf in b.leaves]} vs {[(leaf.path, leaf.shape) for leaf in a.leaves]}")
    return b


def _supports_forward(f: Flat, xs: tuple, others: tuple) -> str:
    """'' if ``jax.jvp`` goes through ``f``, else why not."""
    try:
        # lowered, not just traced: JAX refuses a custom_vjp's forward mode when lowering
        jax.jit(lambda xs, o: jax.jvp(lambda *x: f(x, o), xs, xs)[1]).lower(xs, others)
        return ""
    except Exception as e:  # noqa: BLE001 - the reason is reported
        return f"{type(e).__name__}: {str(e).splitlines()[0][:160]}"


def _context(fn: Callable, a: Arguments, reference: Callable | None, opts: dict, more: list) -> Context:
    """The functions, outputs, rows and cases of one check."""
    name = getattr(fn, "__name__", None) or getattr(getattr(fn, "fun", None), "__name__", None) or type(fn).__name__
    ref_fn, where = (reference, "given") if reference is not None else plan.default_reference(fn)
    base_fn = ref_fn if opts["baseline"] is plan._SAME else opts["baseline"]
    rows, cases = plan.rows(a, opts), plan.cases(a, opts, more)
    with rows[0].context():
        xs, others = plan.materialize(a, cases[0], rows[0])
        tree = jax.eval_shape(lambda xs, o: _call_tree(a, fn, xs, o), xs, others)
    outs = jax.tree_util.tree_flatten_with_path(tree)[0]
    paths = ["out" + jax.tree_util.keystr(p) for p, _ in outs]
    index = [k for k, (_, o) in enumerate(outs) if jnp.issubdtype(o.dtype, jnp.floating)]
    ctx = Context(
        name, a, opts, rows, cases, [paths[k] for k in index], index, [outs[k][1].shape for k in index],
        [(paths[k], f"{o.dtype} output: no cotangent") for k, (_, o) in enumerate(outs) if k not in index],
        flat(a, fn, index), flat(a, ref_fn, index) if ref_fn else None, flat(a, base_fn, index) if base_fn else None,
        base_fn is ref_fn, a.mapping("kinks", opts["kinks"]), [f"reference: {where}"])
    key = _key(a, fn, ref_fn, base_fn, opts, index)
    cached = _PROGRAMS.get(key) if key is not None else None
    if cached is None:
        with rows[0].context():
            cached = _programs(ctx, a, opts, index, xs, others)
        if key is not None:
            _PROGRAMS[key] = cached
            while len(_PROGRAMS) > 64:
                _PROGRAMS.pop(next(iter(_PROGRAMS)))
    why, ctx.rev, ctx.ref, ctx.base, ctx.fwd, ctx.ref_fwd, ctx.base_fwd, ctx.run, ctx.run_ref, ctx.run_base, ctx.run_fd = cached
    if why and why != "skipped":
        ctx.notes.append(f"jvp and transpose: not applicable, {name} has no forward mode ({why}); "
                         "pass forward= a custom_jvp twin to check one")
    return ctx


# the compiled programs of recent checks, reused by a check of the same functions on arguments
# of the same structure (another parameter set, another example): compiling is most of a check
_PROGRAMS: dict = {}


def _canonical(f: Any) -> Any:
    if isinstance(f, functools.partial):
        return ("partial", _canonical(f.func), tuple(map(_canonical, f.args)),
                tuple(sorted((k, _canonical(v)) for k, v in f.keywords.items())))
    return f


def _key(a: Arguments, fn: Callable, ref: Any, base: Any, opts: dict, index: list) -> tuple | None:
    """What the programs depend on: the functions, the arguments' structure and everything
    passed as given, the outputs differentiated, and the options that shape the programs.
    None (no reuse) where something in it cannot be hashed."""
    structure = tuple((name, static, value if static else None) for name, value, static in a.top)
    slots = tuple(tuple(x if x is not _TRACED else _TRACED for x in s) for s in a._slots)
    key = (tuple(map(_canonical, (fn, ref, base, opts["forward"]))), structure, slots, tuple(a._defs),
           tuple((leaf.path, leaf.role) for leaf in a.leaves), tuple(index), opts["order"], "jvp" in opts["skip"])
    try:
        hash(key)
    except TypeError:
        return None
    return key


def _programs(ctx: Context, a: Arguments, opts: dict, index: list, xs: tuple, others: tuple) -> tuple:
    """The functions as flat programs, which take forward mode, and the jitted programs."""
    fwd = flat(a, opts["forward"], index) if opts["forward"] is not None else ctx.rev
    why = _supports_forward(fwd, xs, others) if "jvp" not in opts["skip"] else "skipped"
    fwd = None if why else fwd
    # the oracle's and the baseline's JVPs are wanted only beside the rule's
    ref_fwd = bool(fwd and ctx.ref) and not _supports_forward(ctx.ref, xs, others)
    base_fwd = bool(fwd and ctx.base) and not _supports_forward(ctx.base, xs, others)
    run = jax.jit(measure(ctx.rev, fwd))
    run_ref = jax.jit(oracle(measure(ctx.ref, ctx.ref if ref_fwd else None))) if ctx.ref else None
    run_base = jax.jit(measure(ctx.base, ctx.base if base_fwd else None)) if ctx.base else None
    run_fd = jax.jit(differences(ctx.rev))
    return why, ctx.rev, ctx.ref, ctx.base, fwd, ref_fwd, base_fwd, run, run_ref, run_base, run_fd


def _call_tree(a: Arguments, fn: Callable, xs: tuple, others: tuple) -> Any:
    fpos = [i for i, leaf in enumerate(a.leaves) if leaf.role == "float"]
    it_x, it_o = iter(xs), iter(others)
    return a.call(fn, [next(it_x) if i in fpos else next(it_o) for i in range(len(a.leaves))])


# ------------------------------------------------------------------------------- one row


@dataclasses.dataclass
class RowData:
    """One row's inputs and results, per case."""

    row: plan.Row
    cases: list[plan.Case]
    inputs: list[tuple[tuple, tuple]]  # (xs, others) in the row's dtypes
    probes: list[tuple[dict, dict, dict]]  # (cts, ts, ws) in the row's dtypes
    ours: list[dict] = dataclasses.field(default_factory=list)
    want: list[dict] = dataclasses.field(default_factory=list)
    sens: list[dict] = dataclasses.field(default_factory=list)
    marks: list[dict] = dataclasses.field(default_factory=list)  # where the oracle over/underflowed
    mags: list[dict] = dataclasses.field(default_factory=list)  # the size of the oracle's terms
    base: list[dict] = dataclasses.field(default_factory=list)
    out_dtypes: list = dataclasses.field(default_factory=list)


def _check_row(ctx: Context, row: plan.Row) -> tuple[list[RuleRow], "RowData | None"]:
    data = RowData(row, ctx.cases, [], [])
    with row.context():
        for case in ctx.cases:
            data.inputs.append(plan.materialize(ctx.a, case, row))
        out_dtypes = _out_dtypes(ctx, data.inputs[0])
        if isinstance(out_dtypes, RuleRow):
            return [dataclasses.replace(out_dtypes, dtype=row.label)], None
        data.out_dtypes = out_dtypes
        for n, (xs, _) in enumerate(data.inputs):
            data.probes.append(_probes(ctx, n, xs, out_dtypes))
        try:
            shape = jax.eval_shape(ctx.run, *data.inputs[0], *data.probes[0])
        except Exception as e:  # noqa: BLE001 - a wrongly shaped cotangent, or a rule that cannot run
            return [_raised(ctx, row, e)], None
        out = [] if "structure" in ctx.opts["skip"] else [structure_row(ctx, row, data.inputs[0][0], shape)]
        data.ours = [_numpy(ctx.run(xs, o, *p)) for (xs, o), p in zip(data.inputs, data.probes)]
        # in float64 the reference's own run is the oracle; another baseline (jax.nn) is not
        if ctx.run_base is not None and not (row.label == "float64" and ctx.base_is_ref):
            data.base = [_numpy(ctx.run_base(xs, o, *_without_jvp(p, ctx.base_fwd)))
                         for (xs, o), p in zip(data.inputs, data.probes)]
    if ctx.run_ref is not None:
        _oracle(ctx, data)
        out += accuracy_rows(ctx, data)
    if ctx.fwd is not None and "transpose" not in ctx.opts["skip"]:
        out += transpose_rows(ctx, data)
    if row.label == "float64" and "finite differences" not in ctx.opts["skip"]:
        with row.context():
            out += finite_difference_rows(ctx, data)
    out += transforms.transform_rows(ctx, data)
    return out, data


def _out_dtypes(ctx: Context, inputs: tuple) -> list | RuleRow:
    try:
        return [o.dtype for o in jax.eval_shape(ctx.rev, *inputs)]
    except Exception as e:  # noqa: BLE001
        return RuleRow("runs", "", "-", "-", np.inf, 0.0, False, f"{ctx.name} raised {type(e).__name__}: {e}")


def _probes(ctx: Context, n: int, xs: tuple, out_dtypes: list) -> tuple[dict, dict, dict]:
    """Cotangents, tangents and second-order directions for case ``n``: random signs and
    magnitudes in [1, 2), rounded to the dtype of what they pair with, the same in every row.
    At least 1: where a derivative itself overflows the dtype, so does the oracle's product."""
    cts_k, ts_k, ws_k = ctx.keys(ctx.fwd is not None and "jvp" not in ctx.opts["skip"])
    out_shapes = ctx.out_shapes
    rng = np.random.default_rng((ctx.opts["seed"], 7, n))
    draw = lambda shape: rng.uniform(1.0, 2.0, shape) * rng.choice([-1.0, 1.0], shape)  # noqa: E731
    cts = {key: jnp.asarray(draw(out_shapes[key[0]]), out_dtypes[key[0]]) for key in cts_k}
    ts = {key: jnp.asarray(draw(np.shape(xs[key[0]])), xs[key[0]].dtype) for key in ts_k}
    ws = {key: tuple(jnp.asarray(draw(np.shape(x)), x.dtype) for x in xs) for key in ws_k}
    return cts, ts, ws


def _without_jvp(probes: tuple, keep: bool) -> tuple:
    return probes if keep else (probes[0], {}, probes[2])


def _numpy(res: dict) -> dict:
    """Results as float64 numpy arrays (exactly: every float dtype converts without rounding)."""
    return {k: tuple(np.asarray(v).astype(np.float64) if _is_float(v) else np.asarray(v) for v in vals)
            for k, vals in res.items()}


def _is_float(v: Any) -> bool:
    return jnp.issubdtype(v.dtype, jnp.floating)


def _raised(ctx: Context, row: plan.Row, e: Exception) -> RuleRow:
    """A rule that cannot run in this row: a wrongly structured cotangent names its argument."""
    msg = str(e).splitlines()[0] if str(e) else type(e).__name__
    if "bwd rule must produce" in msg or "custom_vjp" in msg and "bwd" in msg:
        names = [n for n, _, s in ctx.a.top if not s]
        msg = re.sub(r"output\[(\d+)\]", lambda m: f"the cotangent for {names[int(m.group(1))]!r}"
                     if int(m.group(1)) < len(names) else m.group(0), msg)
        return RuleRow("structure", row.label, "-", "-", np.inf, 0.0, False, msg)
    return RuleRow("runs", row.label, "-", "-", np.inf, 0.0, False, f"raised {type(e).__name__}: {msg}")


def _oracle(ctx: Context, data: RowData) -> None:
    """The reference in float64 on the row's rounded inputs, with its sensitivity to rounding."""
    with _compat.enable_x64(True):
        for (xs, others), (cts, ts, ws), case_n in zip(data.inputs, data.probes, range(len(data.inputs))):
            f64 = lambda t: jax.tree_util.tree_map(lambda v: jnp.asarray(v, jnp.float64), t)  # noqa: E731
            inputs = (f64(xs), f64(cts), f64(ts if ctx.ref_fwd else {}), f64(ws))
            weights = _weights(xs, cts, ts if ctx.ref_fwd else {}, ws)
            rng = np.random.default_rng((ctx.opts["seed"], 11, case_n))
            directions = tuple(jax.tree_util.tree_map(
                lambda v, w: v * jnp.asarray(rng.choice([-1.0, 1.0], np.shape(v)) * w), inputs, weights)
                for _ in range(2))
            want, marks, mags, sens = ctx.run_ref(inputs, others, directions)
            data.want.append(_numpy(want))
            data.marks.append({k: tuple(np.asarray(m) for m in v) for k, v in marks.items()})
            data.mags.append(_numpy(mags))
            data.sens.append(_numpy(sens))


def _weights(xs: tuple, cts: dict, ts: dict, ws: dict) -> tuple:
    """eps of each input's dtype, shaped as the oracle's inputs."""
    e = lambda v: eps(v.dtype)  # noqa: E731
    return (tuple(e(x) for x in xs), {k: e(v) for k, v in cts.items()}, {k: e(v) for k, v in ts.items()},
            {k: tuple(e(v) for v in w) for k, w in ws.items()})
