"""The bring-your-own-activation walkthrough (docs/ecosystem.md) runs as written, and its checks can fail.

The code block between ``<!-- example:bring-your-own -->`` and ``<!-- /example:bring-your-own -->`` in docs/ecosystem.md is
run verbatim in a fresh interpreter (it registers a new activation, which must not leak into
the registry the other tests see). A copy with a wrong closed form must fail.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def readme_example() -> str:
    text = (ROOT / "docs" / "ecosystem.md").read_text(encoding="utf-8")
    m = re.search(r"<!-- example:bring-your-own -->\s*```python\n(.*?)```\s*<!-- /example:bring-your-own -->", text, re.S)
    assert m, "docs/ecosystem.md has no <!-- example:bring-your-own --> python block"
    return m.group(1)


def run(code: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.slow  # extended: the README's code blocks are (tests/test_readme.py); the API runs in the tests below
@pytest.mark.extended
def test_readme_walkthrough_runs_as_written():
    proc = run(readme_example())
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "scaled_tanh" in proc.stdout and "FAIL" not in proc.stdout
    assert re.search(r"loss \d+\.\d+ -> \d+\.\d+", proc.stdout)


@pytest.mark.slow
@pytest.mark.extended
def test_walkthrough_catches_a_wrong_derivative():
    code = readme_example()
    right = "derivative=lambda y, a, b: b * (a - y * y / a)"
    assert right in code
    proc = run(code.replace(right, "derivative=lambda y, a, b: (a - y * y / a)"))
    assert proc.returncode != 0 and "FAIL" in proc.stdout, proc.stdout[-3000:]


@pytest.mark.slow
def test_walkthrough_catches_a_wrong_parameter_partial():
    code = readme_example()
    right = '"b": lambda x, y, a, b: x * (a - y * y / a)'
    assert right in code
    proc = run(code.replace(right, '"b": lambda x, y, a, b: 2 * x * (a - y * y / a)'))
    assert proc.returncode != 0 and "AssertionError" in proc.stderr, proc.stderr[-3000:]
