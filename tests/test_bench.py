"""Structure of ``jax-act bench`` output (benchmarks are not tests: no wall-clock assertions)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from jax_act.tools import bench, models
from jax_act.tools.cli import main

TINY = ["--sizes", "10", "--budget", "0.001", "--max-samples", "3", "--loop-time", "0.00001",
        "--mlp", "16", "8", "2"]


def _tiny(tmp_path, *args: str) -> dict:
    out = tmp_path / "b.json"
    assert main(["bench", *TINY, *args, "--out", str(out)]) == 0
    return json.loads(out.read_text())


def test_tiny_run_writes_well_formed_json(tmp_path, capsys):
    result = _tiny(tmp_path, "--only", "sigmoid", "--accuracy", "default", "highest", "--no-models", "--no-losses")
    env = result["environment"]
    for key in ("date", "command", "backend", "device", "jax", "jaxlib", "sizes"):
        assert key in env
    assert [(a["name"], a["level"]) for a in result["activations"]] == [("sigmoid", "default"), ("sigmoid", "highest")]
    for a in result["activations"]:
        assert a["baseline"] == f"jax.nn.{a['name']}"
        assert {(r["mode"], r["pass_"]) for r in a["rows"]} == {
            (m, p) for m in ("jit", "vmap") for p in ("fwd", "fwd+bwd")}
        for r in a["rows"]:
            assert r["size"] == 1024 and r["bytes"] > 0
            for fig in ("per_call", "in_kernel"):
                for key in ("ours", "base"):
                    s = r[fig][key]
                    assert 0 < s["min"] <= s["median"] <= s["max"] and s["GBps"] > 0
                assert r[fig]["ratio"]["min"] <= r[fig]["ratio"]["median"] <= r[fig]["ratio"]["max"]
                assert r[fig]["copy_GBps"] > 0
    assert "sigmoid" in capsys.readouterr().out
    png = tmp_path / "b.png"  # a chart with something in it even at one size
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20000


@pytest.mark.slow
@pytest.mark.extended
def test_tiny_model_rows(tmp_path, monkeypatch):
    # the MLP takes sigmoid; the transformer both (softmax in its attention), here a small one
    monkeypatch.setattr(models, "SHAPES", (models.Shape("transformer", batch=2, width=32, depth=1, seq=16, heads=2),))
    result = _tiny(tmp_path, "--only", "sigmoid", "softmax", "--models-only", "--models", "mlp", "transformer")
    assert not result["activations"] and not result.get("losses")
    assert sorted((m["name"], m["model"], m["level"]) for m in result["models"]) == sorted(
        [("sigmoid", "mlp", "default")] + [(n, "transformer", "default") for n in ("sigmoid", "softmax")])
    for m in result["models"]:
        assert m["memory"]["ours"]["temp_bytes"] >= 0 and m["memory"]["identity"]["temp_bytes"] >= 0
        assert m["step"]["ratio"]["median"] > 0
        if m["name"] != "softmax":
            assert set(m["marginal_bytes_per_element"]) == {"ours", "base"}


def test_tiny_loss_rows(tmp_path, capsys):
    result = _tiny(tmp_path, "--losses-only", "--losses", "64,8,512")
    [loss] = result["losses"]
    assert (loss["tokens"], loss["hidden"], loss["vocab"]) == (64, 8, 512)
    assert set(loss["variants"]) == {"fast", "lean"}  # the kernel is timed on a GPU only
    for var in loss["variants"].values():
        assert var["plan"]["tokens"] >= 1 and var["plan"]["why"] and var["step"]["ratio"]["median"] > 0
        assert 0 < var["memory"]["temp_bytes"] < var["memory"]["peak_bytes"]
    assert 0 < loss["base_memory"]["temp_bytes"] < loss["base_memory"]["peak_bytes"]
    out = capsys.readouterr().out
    assert "Output layer + loss" in out and " lean " in out


@pytest.mark.slow
@pytest.mark.extended
def test_flax_model_rows(tmp_path):
    """With flax installed, the MLP step can also be measured as a flax.nnx model (``--models flax``);
    the marginal bytes of an output-saving activation match the plain model's."""
    pytest.importorskip("flax")
    out = tmp_path / "m.json"
    assert main(["bench", "--only", "sigmoid", "gelu", *TINY, "--models-only", "--models", "mlp", "flax",
                 "--out", str(out)]) == 0
    rows = {(m["name"], m["model"]): m for m in json.loads(out.read_text())["models"]}
    assert set(rows) == {(n, k) for n in ("sigmoid", "gelu") for k in ("mlp", "flax")}
    for n in ("sigmoid", "gelu"):
        assert rows[n, "flax"]["marginal_bytes_per_element"] == rows[n, "mlp"]["marginal_bytes_per_element"]


def test_saved_bytes_are_computed():
    [c] = bench.targets(["sigmoid"])
    saved = bench.saved_bytes(c, np.dtype(np.float32))
    assert saved["ours"]["bytes_per_element"] == 4.0  # the output, nothing else
    assert saved["base"]["bytes_per_element"] >= 4.0


def test_resume_keeps_finished_activations(tmp_path):
    out = tmp_path / "b.json"
    args = ["bench", *TINY, "--modes", "jit", "--passes", "fwd", "--no-models", "--no-losses", "--out", str(out)]
    assert main([*args, "--only", "relu"]) == 0
    first = json.loads(out.read_text())["activations"][0]
    assert main([*args, "--only", "relu", "tanh", "--resume"]) == 0
    acts = json.loads(out.read_text())["activations"]
    assert [a["name"] for a in acts] == ["relu", "tanh"] and acts[0] == first


def test_inputs_have_no_zeros_and_respect_the_domain():
    x = bench.random_input(0, (4096,), np.float32, (-np.inf, 0.0))
    assert (x < 0).all() and (x != 0).all()
    assert bench.shape_of(2**12, "axis_map", "vmap") == (8, 1, 512)
    assert bench.shape_of(2**12, "elementwise", "vmap") == (8, 512)
