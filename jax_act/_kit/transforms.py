"""The rule under JAX's transformations: ``vmap`` of the function and of its VJP against a
per-example loop, ``jit`` against eager evaluation, ``jax.checkpoint``; and the bytes it keeps
for the backward pass against autodiff of the reference."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

import jax
import jax.numpy as jnp
import numpy as np

from .. import _compat
from . import plan
from .compare import _probe_size
from .measure import Worst, largest, normalized
from .programs import measure
from .report import RuleRow

if TYPE_CHECKING:
    from .rule import Context, RowData


def _seed0(probes: tuple) -> dict:
    return {k: v for k, v in probes[0].items() if k[1] == 0}


def _compare(ctx: "Context", data: "RowData", check: str, got: dict, case: int) -> Worst:
    """``got`` (values and seed-0 VJPs) against the same results from the jitted call."""
    w = Worst()
    for key, leaves in got.items():
        for leaf, g in enumerate(leaves):
            want = data.ours[case][key][leaf]
            sens = data.sens[case][key][leaf] if data.sens else 0.0
            dtype = data.out_dtypes[leaf] if key[0] == "value" else data.inputs[0][0][leaf].dtype
            f = largest(want, dtype) if ctx.opts["floor"] == "leaf" else float(ctx.opts["floor"]) * _probe_size(data, case, key)
            size = data.mags[case][key][leaf] if data.mags else 0.0
            err, unfinite, _ = normalized(np.asarray(g).astype(np.float64), want, sens, dtype, f, size)
            # NaN where the jitted call gives NaN is the same answer
            unfinite &= np.isfinite(want)
            err = np.where(np.isnan(want) & np.isnan(np.asarray(g, np.float64)), 0.0, err)
            name = ctx.out_paths[leaf] if key[0] == "value" else f"VJP of {ctx.out_paths[key[1]]}: {ctx.in_paths()[leaf]}"
            w.add(err, lambda i, n=name, g=g, v=want: f"{ctx.cases[case].label}, {n}{[int(k) for k in i]}: {check} gives "
                  f"{float(np.asarray(g, np.float64)[i]):.10g}, the jitted call {float(v[i]):.10g}", unfinite, 0)
    return w


def _row(check: str, data: "RowData", w: Worst, tol: float) -> RuleRow:
    if w.unfinite:
        return RuleRow(check, data.row.label, "-", "-", np.inf, tol, False, f"NaN or inf where the jitted call is finite: {w.unfinite_at}")
    return RuleRow(check, data.row.label, "-", "-", w.error, tol, w.error <= tol, w.where)


def _guarded(check: str, data: "RowData", tol: float, run: Callable[[], list[tuple[int, dict]]], ctx: "Context") -> RuleRow:
    try:
        results = run()
    except Exception as e:  # noqa: BLE001 - a transformation the rule does not survive fails its row
        return RuleRow(check, data.row.label, "-", "-", np.inf, tol, False,
                       f"raised {type(e).__name__}: {str(e).splitlines()[0][:200] if str(e) else ''}")
    w = Worst()
    for case, got in results:
        part = _compare(ctx, data, check, got, case)
        if part.error > w.error:
            w.error, w.where = part.error, part.where
        if part.unfinite and not w.unfinite:
            w.unfinite, w.unfinite_at = part.unfinite, part.unfinite_at
    return _row(check, data, w, tol)


def transform_rows(ctx: "Context", data: "RowData") -> list[RuleRow]:
    """vmap (the example and the first draw as one batch) and checkpoint (the example); eager
    (the example, in the row of the arguments as given: compiling op by op is slow)."""
    tol = plan.tolerance(ctx.opts, data.row.label.rstrip("*"))
    lite = measure(ctx.rev, None)
    draws = [c for c, case in enumerate(ctx.cases) if case.kind == "draw"]
    batch = [0, draws[min(1, len(draws) - 1)]] if draws else [0]
    rows = []
    with data.row.context():
        if "vmap" not in ctx.opts["skip"]:
            rows.append(_guarded("vmap", data, tol, lambda: _vmapped(lite, data, batch), ctx))
        if "eager" not in ctx.opts["skip"] and data.row is ctx.rows[0]:  # op by op: the arguments as given only
            rows.append(_guarded("eager", data, tol, lambda: [(0, _eager(lite, data))], ctx))
        if "checkpoint" not in ctx.opts["skip"]:
            remat = measure(lambda xs, o: jax.checkpoint(ctx.rev)(xs, o), None)
            rows.append(_guarded("checkpoint", data, tol,
                                 lambda: [(0, jax.jit(remat)(*data.inputs[0], _seed0(data.probes[0]), {}, {}))], ctx))
    return rows


def _stack(items: list[Any]) -> Any:
    return jax.tree_util.tree_map(lambda *a: jnp.stack(a), *items)


def _vmapped(lite: Callable, data: "RowData", batch: list[int]) -> list[tuple[int, dict]]:
    xs = _stack([data.inputs[c][0] for c in batch])
    others = _stack([data.inputs[c][1] for c in batch])
    cts = _stack([_seed0(data.probes[c]) for c in batch])
    out = jax.jit(jax.vmap(lambda x, o, c: lite(x, o, c, {}, {})))(xs, others, cts)
    return [(c, jax.tree_util.tree_map(lambda v, b=b: v[b], out)) for b, c in enumerate(batch)]


def _eager(lite: Callable, data: "RowData") -> dict:
    with jax.disable_jit():
        return lite(*data.inputs[0], _seed0(data.probes[0]), {}, {})


def _bytes(f: Callable, xs: tuple, others: tuple) -> float:
    res = _compat.saved_residuals(lambda *x: f(x, others), *xs)
    return float(sum(a.size * a.dtype.itemsize for a, _ in res if hasattr(a, "size") and a.size > 1))


def memory_rows(ctx: "Context", row: "plan.Row") -> list[RuleRow]:
    """Bytes kept for the backward pass on the example as given: reported, not judged."""
    with row.context():
        xs, others = plan.materialize(ctx.a, ctx.cases[0], row)
        try:
            ours = _bytes(ctx.rev, xs, others)
            theirs = _bytes(ctx.ref, xs, others) if ctx.ref is not None else None
        except Exception as e:  # noqa: BLE001 - reported
            ctx.notes.append(f"memory: could not be measured ({type(e).__name__})")
            return []
    ctx.bytes_kept = (ours, theirs)
    ctx.notes.append(f"memory: {ctx.name} keeps {ours:,.0f} bytes for the backward pass"
                     + (f", autodiff of the reference {theirs:,.0f}" if theirs is not None else ""))
    return []
