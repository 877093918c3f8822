"""What :func:`jax_act.testing.check_rule` returns: one row per check × dtype × output leaf ×
input leaf, and a readable table."""

from __future__ import annotations

import dataclasses

import numpy as np


@dataclasses.dataclass
class RuleRow:
    """One check in one dtype row, for one output leaf and one input leaf ("-" where the check
    is not about a leaf). ``error`` and ``bound`` are in units of eps of the dtype (see
    :func:`jax_act.testing.check_rule`); ``where`` says which input and entry gave the largest
    error, with actual against expected (the table shows it for failures)."""

    check: str
    dtype: str
    output: str
    input: str
    error: float
    bound: float
    passed: bool
    where: str = ""

    def line(self, widths: tuple[int, ...]) -> str:
        err = "-" if np.isnan(self.error) else f"{self.error:.3g}"
        verdict = "pass" if self.passed else "FAIL"
        if self.where and not self.passed:
            verdict += f": {self.where}"
        cells = (self.check, self.dtype, self.output, self.input, err, f"{self.bound:.3g}")
        return "  ".join(c.ljust(w) if i < 4 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths))) + "  " + verdict


@dataclasses.dataclass
class Report:
    """The verdict on one function: ``passed``, the ``rows``, the leaves differentiated
    (``checked``) and those given cotangents (``outputs``), what was not differentiated and why
    (``not_checked``), and ``notes``: checks that did not apply, points not judged, bytes kept
    for the backward pass. ``str(report)`` is the table."""

    function: str
    rows: list[RuleRow]
    checked: list[str]
    outputs: list[str]
    not_checked: list[tuple[str, str]]
    notes: list[str]
    bytes_kept: tuple[float | None, float | None] = (None, None)  # fn's, autodiff of the reference's

    @property
    def passed(self) -> bool:
        return bool(self.rows) and all(r.passed for r in self.rows)

    @property
    def failures(self) -> list[RuleRow]:
        return [r for r in self.rows if not r.passed]

    def __str__(self) -> str:
        head = ("check", "dtype", "output", "input", "error", "bound")
        widths = tuple(max([len(h), *(len(getattr(r, h)) for r in self.rows)]) if i < 4 else 9
                       for i, h in enumerate(head))
        bad = len(self.failures)
        verdict = "passed" if self.passed else (f"FAILED {bad} of {len(self.rows)} rows" if self.rows else "FAILED: nothing checked")
        lines = [f"check_rule({self.function}): {verdict}",
                 f"differentiated: {', '.join(self.checked) or 'nothing'}; outputs: {', '.join(self.outputs) or 'none'}"]
        if self.not_checked:
            lines.append("not differentiated: " + ", ".join(f"{p} ({why})" for p, why in self.not_checked))
        title = "  ".join(h.ljust(w) if i < 4 else h.rjust(w) for i, (h, w) in enumerate(zip(head, widths))) + "  result"
        lines += [title, "-" * len(title)]
        # failures first: the table is read from the top
        lines += [r.line(widths) for r in sorted(self.rows, key=lambda r: r.passed)]
        lines += [f"note: {n}" for n in self.notes]
        lines.append("errors in eps of the dtype: |got − want| / (eps·(size of the terms + floor) + sensitivity to "
                     "rounding the inputs); a row passes when its largest error is within its bound")
        return "\n".join(lines)
