"""Rows from one dtype row's results: values, VJPs, JVPs and second derivatives against the
oracle (with the baseline's own error beside them), the transpose identity, and the structure
of the backward rule's cotangents."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterator

import jax.numpy as jnp
import numpy as np

from . import plan
from .arguments import rounded
from .measure import Worst, eps, largest, normalized
from .report import RuleRow

if TYPE_CHECKING:
    from .rule import Context, RowData

_DRAWN_HINT = (" (the example passes, drawn inputs do not: a bug beyond the example, unless an argument has a "
               "constraint the draws break; then keep it with fixed= or bound it with domain=)")
_KINK_HINT = (" (an input is 0 there: if that is a kink, autodiff's convention there is no oracle; "
              "declare it to leave it unjudged: kinks={leaf: points} in check_rule, kink_points= in "
              "check_activation, Probes(kink_points=...) in a declaration)")


def _entries(ctx: "Context", data: "RowData") -> Iterator[tuple[tuple[str, str, str], int, tuple, int, Any]]:
    """``((check, output, input), case, result key, leaf, dtype)`` for every compared result."""
    outs, ins = ctx.out_paths, ctx.in_paths()
    xs = data.inputs[0][0]
    for key in data.ours[0]:
        if key not in data.want[0]:
            continue
        check = key[0]
        for leaf in range(len(data.ours[0][key])):
            if check == "value":
                group, dtype = (check, outs[leaf], "-"), data.out_dtypes[leaf]
            elif check == "jvp":
                group, dtype = (check, outs[leaf], ins[key[1]]), data.out_dtypes[leaf]
            else:  # vjp, second order: one cotangent (output key[1]), results per input leaf
                group, dtype = (check, outs[key[1]], ins[leaf]), xs[leaf].dtype
            for case in range(len(data.ours)):
                yield group, case, key, leaf, dtype


_DIGITS = {2: 5, 4: 9, 8: 17}  # enough to tell two values of the dtype apart


def _describe(ctx: "Context", data: "RowData", case: int, group: tuple, got: np.ndarray, want: np.ndarray,
              dtype: Any = np.float64):
    """``where(index)``: the case, the entry, the input there, actual against expected."""
    check, out, inp = group
    label = ctx.cases[case].label
    xs = data.inputs[case][0]
    ins = ctx.in_paths()
    same = [j for j, x in enumerate(xs) if np.shape(x) == got.shape]
    source = ins.index(inp) if inp in ins and ins.index(inp) in same else (same[0] if same else None)

    def where(index: tuple) -> str:
        name = inp if check in ("vjp", "second order") else out
        at = f"{name}[{', '.join(str(int(i)) for i in index)}]" if index else name
        x = "" if source is None else f", {ins[source]}={float(np.asarray(xs[source], np.float64)[index]):.8g}"
        d = _DIGITS.get(jnp.dtype(dtype).itemsize, 17)
        zero = any(np.shape(v) == got.shape and np.asarray(v, np.float64)[index] == 0 for v in xs)
        return f"{label}, {at}{x}: got {got[index]:.{d}g}, want {want[index]:.{d}g}" + (_KINK_HINT if zero else "")

    return where


def floor(ctx: "Context", data: "RowData", case: int, key: tuple, leaf: int, dtype: Any) -> float:
    """The absolute part of the error unit: the option's number, or with "leaf" the largest
    |want| of the leaf (values) or of every leaf of one derivative (a VJP's cotangents for all
    inputs, a JVP's for all outputs): rounding elsewhere in a result is relative to its largest
    entries, and a partial that is tiny beside the others (a sum of saturated terms) is judged
    at the scale of the whole derivative."""
    if ctx.opts["floor"] != "leaf":  # per unit of the cotangent or tangent that scales a derivative
        return float(ctx.opts["floor"]) * _probe_size(data, case, key)
    wants = data.want[case][key]
    if key[0] == "value":
        return largest(wants[leaf], dtype)
    return max(largest(w, dtype) for w in wants)


def _after_nonfinite(data: "RowData", case: int, shape: tuple) -> np.ndarray:
    """Entries an input NaN or ±inf reaches (the same entry of a leaf of this shape, the same
    row of a leaf with one more or the same leading axes; else every entry): what they give is
    the function's convention, not an error the oracle can judge."""
    out = np.zeros(shape, bool)
    for x in data.inputs[case][0]:
        bad = ~np.isfinite(np.asarray(x, np.float64))
        if not bad.any():
            continue
        if bad.shape == shape and bad.ndim < 2:
            out |= bad
        elif bad.shape[:-1] == shape[:-1] and len(shape) == bad.ndim:  # the row (a map along the axis)
            out |= bad.any(-1, keepdims=True)
        elif bad.shape[:-1] == shape:
            out |= bad.any(-1)
        else:
            out[...] = True
    return out


def _at_kinks(ctx: "Context", data: "RowData", case: int, key: tuple, leaf: int, shape: tuple) -> np.ndarray | None:
    """Derivative entries at a declared kink of their input (the ``kinks`` option): autodiff's
    convention there is no oracle, so they are not judged (NaN and inf still are)."""
    if key[0] == "value" or not ctx.kinks:
        return None
    j = leaf if key[0] in ("vjp", "second order") else key[1]
    points = ctx.kinks.get(ctx.floats[j])
    x = np.asarray(data.inputs[case][0][j], np.float64)
    if points is None or x.shape != shape:
        return None
    points = rounded(points, data.inputs[case][0][j].dtype)
    # a subnormal is 0 to XLA on CPU (denormals flushed): at a kink at 0 when 0 is one
    zero = np.isin(0.0, points) & (np.abs(x) < float(jnp.finfo(data.inputs[case][0][j].dtype).tiny))
    return np.isin(x, points) | zero


def _probe_size(data: "RowData", case: int, key: tuple) -> float:
    cts, ts, ws = data.probes[case]
    size = lambda a: float(np.max(np.abs(np.asarray(a, np.float64)), initial=0.0))  # noqa: E731
    if key[0] == "vjp":
        return size(cts[key[1:]])
    if key[0] == "jvp":
        return size(ts[key[1:]])
    if key[0] == "second order":
        return size(cts[key[1:]]) * max(size(w) for w in ws[key[1:]])
    return 1.0


def accuracy_rows(ctx: "Context", data: "RowData") -> list[RuleRow]:
    """Each result against the float64 oracle; below float64, beside the baseline's own error.
    Where the reference's own run in the row's dtype is off the oracle wholesale (random draws
    that differ under float64, dtype-dependent branches), the row is judged against that run."""
    groups: dict[tuple, list] = {}
    for group, case, key, leaf, dtype in _entries(ctx, data):
        if group[0] not in ctx.opts["skip"]:
            groups.setdefault(group, []).append((case, key, leaf, dtype))
    tol = plan.tolerance(ctx.opts, data.row.label.rstrip("*"))
    rows = []
    for group, entries in groups.items():
        w = _judge(ctx, data, group, entries, data.want)
        e = eps(data.row.narrowest)
        if data.base and jnp.dtype(data.row.narrowest).itemsize >= 4 and w.baseline * e > 0.25:
            ctx.notes.append(f"{group[0]} {group[1]}/{group[2]} in {data.row.label}: the reference's own run is off the "
                             f"float64 oracle by {w.baseline * e:.2g} of its scale (it computes differently by dtype: "
                             f"random draws, dtype-dependent branches); judged against that run instead")
            w = _judge(ctx, data, group, entries, data.base)
            w.baseline = 0.0
        rows.append(_row(ctx, data, group, w, max(tol, plan.BASELINE * w.baseline)))
    return rows


def _judge(ctx: "Context", data: "RowData", group: tuple, entries: list, wants: list) -> Worst:
    """The worst error of one row's entries against ``wants`` (the oracle, or the baseline)."""
    w = Worst()
    against_oracle = wants is data.want
    for case, key, leaf, dtype in entries:
        got, want = data.ours[case][key][leaf], np.broadcast_to(wants[case][key][leaf], data.ours[case][key][leaf].shape)
        sens = data.sens[case][key][leaf]
        f = floor(ctx, data, case, key, leaf, dtype)
        size = data.mags[case][key][leaf]
        err, unfinite, not_judged = normalized(got, want, sens, dtype, f, size)
        # an intermediate of a value near the top of the range may overflow: not a wrong rule
        huge = unfinite & (np.abs(want) >= np.sqrt(float(jnp.finfo(dtype).max)))
        unfinite, not_judged = unfinite & ~huge, not_judged + int(huge.sum())
        blind = np.broadcast_to(data.marks[case][key][leaf], err.shape) | _after_nonfinite(data, case, err.shape)
        not_judged += int((blind & ~np.isnan(err)).sum())
        err, unfinite = np.where(blind, np.nan, err), unfinite & ~blind
        at_kink = _at_kinks(ctx, data, case, key, leaf, err.shape)
        if at_kink is not None:
            err = np.where(at_kink, np.nan, err)
        if against_oracle and data.base and key in data.base[case]:
            b = np.broadcast_to(data.base[case][key][leaf], err.shape)
            berr, _, _ = normalized(b, want, sens, dtype, f, size)
            w.baseline = max(w.baseline, float(np.nanmax(berr, initial=0.0)))
            # where the baseline itself gives NaN or inf, the rule is held to being finite only;
            # in 16 bits (float16's range ends at 65504) not even that
            err = np.where(np.isfinite(b), err, np.nan)
            if jnp.dtype(dtype).itemsize == 2:
                unfinite = unfinite & np.isfinite(b)
        w.add(err, _describe(ctx, data, case, group, got, want, dtype), unfinite, not_judged)
        if ctx.cases[case].kind != "draw":
            w.given = max(w.given, float(np.nanmax(err, initial=0.0)))
    return w


def _row(ctx: "Context", data: "RowData", group: tuple, w: Worst, bound: float) -> RuleRow:
    check, out, inp = group
    if w.not_judged:
        ctx.notes.append(f"{check} {out}/{inp} in {data.row.label}: not judged at {w.not_judged} entries (the float64 "
                         "reference is not finite, or over- or underflowed inside, or an input there is not finite)")
    if w.unfinite:
        where = f"NaN or inf at {w.unfinite} entries where the float64 reference is finite; first: {w.unfinite_at}"
        return RuleRow(check, data.row.label, out, inp, np.inf, bound, False, where)
    if not w.judged and w.not_judged:
        where = (f"nothing could be judged: at all {w.not_judged} entries the float64 reference is not finite, "
                 "or over- or underflowed inside, or an input is not finite")
        return RuleRow(check, data.row.label, out, inp, np.nan, bound, False, where)
    passed = w.error <= bound
    hint = _DRAWN_HINT if not passed and w.given <= bound else ""
    return RuleRow(check, data.row.label, out, inp, w.error, bound, passed, w.where + hint)


def _unit(ctx: "Context", data: "RowData", case: int, key: tuple, leaf: int, got: np.ndarray, dtype: Any) -> np.ndarray:
    """The error unit of one result entry: eps·(|result| + floor) + the oracle's sensitivity."""
    if data.want:
        f = floor(ctx, data, case, key, leaf, dtype)
        sens = np.abs(np.nan_to_num(np.broadcast_to(data.sens[case][key][leaf], got.shape), nan=np.inf, posinf=np.inf))
        got = np.maximum(np.abs(got), np.nan_to_num(np.broadcast_to(data.mags[case][key][leaf], got.shape), nan=np.inf))
    else:
        f = (float(ctx.opts["floor"]) * _probe_size(data, case, key) if ctx.opts["floor"] != "leaf"
             else max(largest(g, dtype) for g in data.ours[case][key]))
        sens = 0.0
    return eps(dtype) * (np.abs(got) + f) + sens


def transpose_rows(ctx: "Context", data: "RowData") -> list[RuleRow]:
    """⟨ct, J·t⟩ from the forward rule against ⟨Jᵀ·ct, t⟩ from the backward rule, per output k
    and input j, each side computed in the row's dtype: the difference in units of what each
    side's entries may err (eps·(|entry| + floor) + sensitivity), weighted by |ct| and |t|."""
    rows = []
    outs, ins = ctx.out_paths, ctx.in_paths()
    xs = data.inputs[0][0]
    tol = plan.tolerance(ctx.opts, data.row.label.rstrip("*"))
    for k in range(len(outs)):
        for j in range(len(ins)):
            worst, at, seen = 0.0, "", False
            for case, (ours, (cts, ts, _)) in enumerate(zip(data.ours, data.probes)):
                for s in range(ctx.opts["seeds"]):
                    if ("jvp", j, s) not in ours:
                        continue
                    seen = True
                    ct, t = np.asarray(cts[(k, s)], np.float64), np.asarray(ts[(j, s)], np.float64)
                    jt, jct = ours[("jvp", j, s)][k], ours[("vjp", k, s)][j]
                    a, b = float(np.vdot(ct, jt)), float(np.vdot(jct, t))
                    if not (np.isfinite(a) and np.isfinite(b)):
                        continue
                    size = (float(np.sum(np.abs(ct) * _unit(ctx, data, case, ("jvp", j, s), k, jt, data.out_dtypes[k])))
                            + float(np.sum(np.abs(t) * _unit(ctx, data, case, ("vjp", k, s), j, jct, xs[j].dtype))))
                    e = abs(a - b) / max(size, 1e-300)
                    if e > worst:
                        worst, at = e, f"{ctx.cases[case].label}, seed {s}: ⟨ct, J·t⟩ = {a:.8g}, ⟨Jᵀ·ct, t⟩ = {b:.8g}"
            if seen:
                rows.append(RuleRow("transpose", data.row.label, outs[k], ins[j], worst, tol, worst <= tol, at))
    return rows


def structure_row(ctx: "Context", row: "plan.Row", xs: tuple, shapes: dict) -> RuleRow:
    """The backward rule's cotangents have their inputs' shapes and dtypes (JAX checks shapes and
    raises; a float16 cotangent for a float32 input it accepts silently)."""
    problems = []
    ins = ctx.in_paths()
    for key, leaves in shapes.items():
        if key[0] != "vjp" or key[2] != 0:
            continue
        for j, (ct, x) in enumerate(zip(leaves, xs)):
            if ct.shape != np.shape(x) or ct.dtype != x.dtype:
                problems.append(f"the cotangent of {ctx.out_paths[key[1]]} for {ins[j]} is {ct.dtype}{list(ct.shape)}, "
                                f"the input is {x.dtype}{list(np.shape(x))}")
    problems = sorted(set(problems))
    return RuleRow("structure", row.label, "-", "-", np.inf if problems else 0.0, 0.0, not problems, "; ".join(problems))
