"""The command line, through its entry point (the console script calls the same main)."""

from __future__ import annotations

import sys

import pytest

from jax_act.tools.cli import main


def test_help_explains_check_and_list(capsys):
    assert main([]) == 2
    out = capsys.readouterr().out
    assert "check" in out and "list" in out


@pytest.mark.slow  # extended: the default run has the kit on every representative (tests/test_registry.py)
@pytest.mark.extended
def test_check_passes_and_says_what_it_runs(capsys):
    assert main(["check", "gelu", "softmax", "--dtypes", "float32,bfloat16", "--no-fd"]) == 0
    out = capsys.readouterr().out
    assert out.count("pass") >= 6 and "backend" in out and "jax" in out
    # gelu has two parameter sets (approximate True and False): six rows, not four
    assert "2 activations, 3 parameter sets x 2 dtypes = 6 rows" in out
    assert "6/6 rows passed" in out and "about" not in out


def test_check_fails_with_exit_status_1(capsys):
    # nothing is exact to 0 eps in bfloat16
    assert main(["check", "tanh", "--dtypes", "bfloat16", "--no-fd", "--tolerance", "0"]) == 1
    assert "FAIL" in capsys.readouterr().out


RULE_MODULE = """
import jax, jax.numpy as jnp

@jax.custom_vjp
def cube(x, a):
    return a * x ** 3

cube.defvjp(lambda x, a: (cube(x, a), (x, a)), lambda r, g: (g * 3 * r[1] * r[0] ** 2 * SCALE, jnp.sum(g * r[0] ** 3)))
SCALE = 1.0

def inputs():
    return {"args": (jnp.linspace(-1.0, 1.0, 5, dtype=jnp.float32),), "kwargs": {"a": jnp.float32(0.7)}, "options": {"skip": ("vmap",)}}
"""


@pytest.mark.parametrize("scale, status", [("1.0", 0), ("1.01", 1)])
def test_rule_checks_a_users_function_by_import_path(tmp_path, monkeypatch, capsys, scale, status):
    (tmp_path / "myrules.py").write_text(RULE_MODULE.replace("SCALE = 1.0", f"SCALE = {scale}"))
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    assert main(["rule", "myrules:cube", "--inputs", "myrules:inputs", "--skip", "eager", "checkpoint"]) == status
    out = capsys.readouterr().out
    assert "check_rule(cube)" in out and "differentiated: x, a" in out
    assert ("FAIL" in out) == bool(status)
    sys.modules.pop("myrules", None)


def test_rule_explains_a_bad_path(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["rule", "nosuchmodule:f", "--inputs", "nosuchmodule:g"]) == 2
    assert "cannot import 'nosuchmodule'" in capsys.readouterr().err


def test_list_shows_every_field(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for word in ["sigmoid", "y (1 − y)", "relu'(0) = 0", "keeps output",
                 "jax_act.losses.softmax_cross_entropy(logits", "softmax(x) − one_hot(label)"]:
        assert word in out


@pytest.mark.parametrize(
    "argv, words",
    [
        (["check", "sigmiod"], ["jax-act check", "'sigmoid'"]),
        (["check", "--dtypes", "float33"], ["unknown dtype", "'float32'"]),
        (["accuracy", "--only", "GELU"], ["jax-act accuracy", "'gelu'"]),
        (["bench", "--dtypes", "float32,bfloat17"], ["jax-act bench", "'bfloat16'"]),
        (["bench", "--report", "no/such/file.json"], ["jax-act bench", "no/such/file.json"]),
        (["demo", "--activation", "gelu_new"], ["jax-act demo", "'gelu'"]),
        (["plot", "Leaky-ReLU"], ["jax-act plot", "'leaky_relu'"]),
        (["list", "swishh"], ["jax-act list", "'swish'"]),
        (["list", "gelu", "squared_eror"], ["jax-act list", "'squared_error'"]),
    ],
)
def test_usage_errors_are_one_line_with_exit_status_2(argv, words, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    for word in words:
        assert word in err, err


def test_lists_take_spaces_and_commas(capsys):
    assert main(["list", "gelu,softmax", "tanh"]) == 0
    out = capsys.readouterr().out
    assert all(f"jax_act.{n}(" in out for n in ("gelu", "softmax", "tanh")) and "sigmoid" not in out
    assert "approximate: bool = True" in out  # each function's parameters and defaults


def test_version(capsys):
    import jax_act

    with pytest.raises(SystemExit) as e:
        main(["--version"])
    assert e.value.code == 0 and capsys.readouterr().out.strip() == f"jax-act {jax_act.__version__}"


def test_bench_writes_to_a_working_folder_not_the_committed_results(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bench" / "results").mkdir(parents=True)  # as in a clone
    argv = ["bench", "--only", "relu", "--sizes", "8", "--quick", "--no-models", "--no-losses", "--max-samples", "5"]
    assert main(argv) == 0
    assert not any((tmp_path / "bench" / "results").iterdir())
    import jax

    assert (tmp_path / "jax_act_bench" / f"{jax.default_backend()}.json").exists()
    assert "jax_act_bench" in capsys.readouterr().out
