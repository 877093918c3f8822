"""The README says what is true: the quick start is exactly what CI runs, and the activation
table is the registry's."""

from __future__ import annotations

import pathlib
import re

from jax_act._listing import README_BEGIN, README_END, markdown_table

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
    assert README_BEGIN in README and README_END in README
    table = README.split(README_BEGIN, 1)[1].split(README_END, 1)[0].strip()
    assert table == markdown_table(), "README table out of date: run `jax-act list --markdown`"
