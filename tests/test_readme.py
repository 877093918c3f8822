"""The README and docs say what is true: the quick start is exactly what CI runs, the
activation table is the registry's, and every code block runs."""

from __future__ import annotations

import os
import pathlib
import re
import subprocess
import sys

import pytest

from _helpers import EXTENDED
from jax_act.tools.listing import README_BEGIN, README_END, markdown_table

ROOT = pathlib.Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def quick_start_commands() -> list[str]:
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.+?)\n```", section)


def test_quick_start_is_two_commands_and_ci_runs_the_second():
    cmds = quick_start_commands()
    assert len(cmds) == 2 and "jax-act check" in cmds[0] and "pytest" in cmds[1], cmds
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert cmds[1] in ci, "'.ci/run' must run the README's test command verbatim"


def test_activation_table_is_generated_from_the_registry():
    page = (ROOT / "docs" / "activations.md").read_text()
    assert README_BEGIN in page and README_END in page
    table = page.split(README_BEGIN, 1)[1].split(README_END, 1)[0].strip()
    assert table == markdown_table(), "docs/activations.md table out of date: run `jax-act list --markdown`"


def test_residual_names_table_is_generated():
    from jax_act.tools.listing import NAMES_BEGIN, NAMES_END, residual_names_table

    page = (ROOT / "docs" / "remat.md").read_text()
    table = page.split(NAMES_BEGIN, 1)[1].split(NAMES_END, 1)[0].strip()
    assert table == residual_names_table(), "docs/remat.md names out of date: run `jax-act list --residual-names`"


def test_readme_is_what_a_newcomer_needs():
    assert len(README.splitlines()) <= 250
    for page in ("activations", "accuracy", "losses", "testing-kit", "remat", "sharding", "benchmarks"):
        assert f"docs/{page}.md" in README and (ROOT / "docs" / f"{page}.md").exists()


def code_blocks() -> list[tuple[str, str]]:
    """Every ```python block of the README and of docs/*.md, as (where, code)."""
    out = []
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        text = path.read_text()
        for i, m in enumerate(re.finditer(r"```python\n(.*?)```", text, re.S)):
            # tests/test_bring_your_own.py runs the bring-your-own walkthrough verbatim, and checks its output
            if not text[: m.start()].rstrip().endswith("<!-- example:bring-your-own -->"):
                out.append((f"{path.relative_to(ROOT)}#{i}", m.group(1)))
    return out


# With the slow sweeps, for their time: the API they show has its own tests in the default run
@pytest.mark.parametrize("where, code", [pytest.param(w, c, id=w, marks=EXTENDED) for w, c in code_blocks()])
def test_code_blocks_run_as_written(where, code):
    """In a fresh interpreter with JAX's defaults, as a user pastes them."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    env.pop("JAX_ENABLE_X64", None)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, f"{where} failed:\n{proc.stderr[-2000:]}"
