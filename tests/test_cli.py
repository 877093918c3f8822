"""The command line, through its entry point (the console script calls the same main)."""

from __future__ import annotations

import pytest

from jax_act._cli import main


def test_help_explains_check_and_list(capsys):
    assert main([]) == 2
    out = capsys.readouterr().out
    assert "check" in out and "list" in out


def test_check_passes_and_reports(capsys):
    assert main(["check", "sigmoid", "softmax", "--dtypes", "float32,bfloat16"]) == 0
    out = capsys.readouterr().out
    assert out.count("pass") >= 4 and "backend" in out and "jax" in out


def test_check_fails_with_exit_status_1(monkeypatch, capsys):
    from jax_act import testing

    monkeypatch.setattr(testing, "TOLERANCE", 0.0)  # nothing is exact to 0 eps in bfloat16
    assert main(["check", "tanh", "--dtypes", "bfloat16", "--no-fd"]) == 1
    assert "FAIL" in capsys.readouterr().out


def test_list_shows_every_field(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for word in ["sigmoid", "y (1 − y)", "relu'(0) = 0", "keeps output"]:
        assert word in out


def test_unknown_activation_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown activation"):
        main(["check", "sigmod"])
