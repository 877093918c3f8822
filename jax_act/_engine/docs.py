"""Docstrings generated from the declaration: the formula, its derivative, the kink convention
and what the backward pass keeps at each accuracy level are stated once, in the declaration
(:class:`~.registry.Spec`), and written into the public docstring here, as ``jax-act list``
writes them. A declaration's own docstring says only what the facts do not: a summary, notes,
the arguments besides ``x`` and, where it differs, what it returns."""

from __future__ import annotations

import re
from typing import Sequence

from .registry import Spec

HALF_NOTE = """Note:
      float16/bfloat16 input at {level} accuracy level: the backward pass keeps the input
      instead of {what} (the same bytes) and computes the derivative from it in float32, so
      the gradient is rounded once; from a 16-bit copy of {what} it would not be (and would
      be 0 where the copy has rounded to its limit). In a model this costs one 16-bit array
      per call, which the next layer does not share.
"""

ACCURACY_ARG = """accuracy: "default" (jax.nn's accuracy or better, its memory or less) or "highest" (the
  most accurate closed form); None (the default): ``jax_act.get_accuracy()``."""

RETURNS = {  # what a function of each kind returns, unless its declaration says otherwise
    "elementwise": "An array of the input's floating dtype and shape.",
    "gated": "An array of ``x``'s floating dtype, half as long along ``axis``.",
    "axis_map": "An array of ``x``'s floating dtype and shape.",
}

ARGS = {  # the arguments every function of a kind shares, unless its declaration says otherwise
    "where": "optional boolean mask broadcasting against the input; False entries are excluded.",
    "keepdims": "keep the reduced axes with size 1.",
}
AXIS = {
    "gated": "the axis (an int) to split into a, the first half, and b, the gate (as jax.nn.glu);\n"
             "  the input's size along it must be even.",
    "axis_map": "the axis or axes to normalize over: an int, a tuple of ints, or None (all).",
    "reduction": "the axis or axes to reduce: an int, a tuple of ints, or None (all).",
}

_SECTION = re.compile(r"^(Args|Returns|Examples|Note|Raises):\s*$")


def facts(spec: Spec) -> list[tuple[str, str]]:
    """The declaration's facts as ``(label, text)`` pairs, in the order ``jax-act list`` and
    the docstrings show them."""
    f, df = ("L", "dL") if spec.kind == "loss" else ("f", "f'")
    keeps = spec.saves if spec.saved("highest") == spec.saves else (
        f"{spec.saves}; at accuracy='highest': {spec.saved('highest')}")
    rows = [(f, spec.formula), (df, spec.derivative), ("kinks", spec.kinks), ("keeps", keeps)]
    return rows + [("rules", spec.dispatch)] if spec.dispatch else rows


def half_note(what: str, level: str) -> str:
    """The note on 16-bit input that keeps x instead of ``what`` at ``level`` ("every" or
    "highest")."""
    return HALF_NOTE.format(what=what, level="the highest" if level == "highest" else level)


def document(spec: Spec, doc: str | None, params: Sequence[str] = (), *, leveled: bool = True,
             note: str | None = None) -> str:
    """The public docstring: the declaration's description, the facts (a literal block), the
    arguments in ``params``' order (those of :data:`ARGS` and :data:`AXIS` unless the
    declaration describes them; ``accuracy`` for an activation), what it returns
    (:data:`RETURNS` unless declared), the declaration's other sections, and ``note``."""
    description, sections = _split(doc or "")
    declared = _arguments(sections.pop("Args", []))
    common = {**ARGS, "axis": AXIS.get(spec.kind), **({params[0]: "input array."} if params else {})}
    args = [line for p in params for line in declared.pop(p, f"{p}: {common[p]}".splitlines() if common.get(p) else [])]
    args += [line for lines in declared.values() for line in lines]  # any the signature hides
    if leveled:
        args += ACCURACY_ARG.splitlines()
    returns = sections.pop("Returns", None) or ([RETURNS[spec.kind]] if spec.kind in RETURNS else [])
    if spec.params and returns == [RETURNS["elementwise"]]:
        returns = [f"An array of the broadcast shape and the floating dtype of x and {', '.join(spec.params)}."]
    rows = facts(spec)
    width = max(len(label) for label, _ in rows)
    out = [*description, "", "Closed form (``jax-act list`` shows the same)::", ""]
    out += [f"    {label:<{width}}  {text}" for label, text in rows]
    out += _section("Args", args) + _section("Returns", returns)
    for title, body in sections.items():
        out += _section(title, body)
    text = "\n".join("    " + line if line else "" for line in out).strip()
    return text + ("\n\n    " + note.strip() if note else "") + "\n"


def _arguments(lines: list[str]) -> dict[str, list[str]]:
    """An Args section's lines, by argument (continuation lines with their argument)."""
    out: dict[str, list[str]] = {}
    for line in lines:
        if line and not line.startswith(" "):
            out[line.split(":")[0].strip()] = []
        if out:
            out[next(reversed(out))].append(line)
    return out


def _section(title: str, body: list[str]) -> list[str]:
    return ["", f"{title}:", *(("  " + line) if line else "" for line in body)] if body else []


def _split(doc: str) -> tuple[list[str], dict[str, list[str]]]:
    """A Google-style docstring as its description lines and its sections' bodies, all
    dedented."""
    lines = doc.expandtabs().splitlines()
    first, rest = (lines[0].strip(), lines[1:]) if lines else ("", [])
    indent = min((len(line) - len(line.lstrip()) for line in rest if line.strip()), default=0)
    lines = [first, *(line[indent:] for line in rest)]
    description: list[str] = []
    sections: dict[str, list[str]] = {}
    body = description
    for line in lines:
        m = _SECTION.match(line)
        if m:
            body = sections.setdefault(m.group(1), [])
        else:
            body.append(line[2:] if body is not description and line.startswith("  ") else line)
    while description and not description[-1].strip():
        description.pop()
    for key, value in sections.items():
        while value and not value[-1].strip():
            value.pop()
    return description, sections
