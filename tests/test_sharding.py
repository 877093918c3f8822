"""Sharded inputs on 8 virtual CPU devices, for every registered activation (the slow set; the
representative ones by default).

XLA_FLAGS=--xla_force_host_platform_device_count=8 must be set before jax is imported, so the
body runs in a fresh Python subprocess and reports a JSON record per check:

* every activation under ``jit`` on a ``NamedSharding``-sharded input (rows split over the 8
  devices) keeps that sharding in its output and its gradient, and for elementwise functions
  the compiled HLO holds no collective at all (no all-gather, all-reduce, all-to-all,
  collective-permute); values and gradients equal the unsharded ones;
* softmax-like maps and reductions along an axis (every ``spec.along_axis``: softmax,
  log_softmax, logsumexp, ...) over the *sharded* axis give the unsharded values and gradients;
* everything works inside ``shard_map`` (``jax.shard_map`` or, on older jax,
  ``jax.experimental.shard_map.shard_map``).
"""

from __future__ import annotations

import textwrap

import pytest
from _devices import run_on_8_devices
from conftest import REPRESENTATIVE


BODY = textwrap.dedent(
    r"""
    import json, os, sys
    os.environ["XLA_FLAGS"] = "--xla_force_host_platform_device_count=8"
    import jax, jax.numpy as jnp, numpy as np
    from jax.sharding import Mesh, NamedSharding, PartitionSpec as P
    jax.config.update("jax_enable_x64", True)
    from jax_act.testing import cases

    try:
        shard_map = jax.shard_map
    except AttributeError:  # jax < 0.7
        from jax.experimental.shard_map import shard_map

    assert len(jax.devices()) == 8, jax.devices()
    mesh = Mesh(np.array(jax.devices()), ("d",))
    COLLECTIVES = ("all-gather", "all-reduce", "all-to-all", "collective-permute", "reduce-scatter")
    out = []

    def record(name, check, ok, detail=""):
        out.append({"name": name, "check": check, "ok": bool(ok), "detail": str(detail)[:300]})

    def same(a, b, tol=1e-10):
        a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
        return a.shape == b.shape and np.allclose(a, b, rtol=tol, atol=tol, equal_nan=True)

    def rows_sharded(arr):
        want = NamedSharding(mesh, P("d", *[None] * (arr.ndim - 1)))
        return arr.sharding.is_equivalent_to(want, arr.ndim)

    ONLY = __ONLY__  # activation names, or None for all
    for case in cases(all_params=False):
        if ONLY is not None and case.name not in ONLY:
            continue
        name = case.id
        try:
            x0 = jnp.asarray(case.points(16 * 6).reshape(16, 6), jnp.float64)
            x = jax.device_put(x0, NamedSharding(mesh, P("d", None)))
            f = jax.jit(lambda x: case.call(x))
            g = jax.jit(jax.grad(lambda x: jnp.sum(case.call(x) ** 2)))
            y, dx = f(x), g(x)
            record(name, "value", same(y, case.call(x0)))
            record(name, "gradient", same(dx, jax.grad(lambda x: jnp.sum(case.call(x) ** 2))(x0)))
            record(name, "output sharding", rows_sharded(y), y.sharding)
            record(name, "gradient sharding", rows_sharded(dx), dx.sharding)
            if case.kind == "elementwise":
                for label, fun in (("forward", f), ("gradient", g)):
                    hlo = fun.lower(x).compile().as_text()
                    found = [c for c in COLLECTIVES if c in hlo]
                    record(name, f"no collective ({label})", not found, found)
            # inside shard_map: each device applies the activation to its rows
            sm = jax.jit(shard_map(lambda b: case.call(b), mesh=mesh, in_specs=P("d", None),
                                   out_specs=P("d", *[None] * (y.ndim - 1))))
            record(name, "shard_map value", same(sm(x), y))
            smg = jax.jit(jax.grad(lambda x: jnp.sum(shard_map(
                lambda b: case.call(b), mesh=mesh, in_specs=P("d", None),
                out_specs=P("d", *[None] * (y.ndim - 1)))(x) ** 2)))
            record(name, "shard_map gradient", same(smg(x), dx))
            if case.spec.along_axis:  # along the sharded axis: columns split over devices
                xc0 = jnp.asarray(case.points(3 * 16).reshape(3, 16), jnp.float64)
                xc = jax.device_put(xc0, NamedSharding(mesh, P(None, "d")))
                record(name, "value over sharded axis", same(f(xc), case.call(xc0)))
                record(name, "gradient over sharded axis",
                       same(g(xc), jax.grad(lambda x: jnp.sum(case.call(x) ** 2))(xc0)))
                ref = case.call(xc0, "reference")
                record(name, "oracle over sharded axis", same(f(xc), ref, 1e-9))
        except Exception as e:  # reported, not raised: one broken activation fails only its row
            record(name, "runs", False, f"{type(e).__name__}: {e}")
    print("RESULTS" + json.dumps(out))
    """
)


# The representative activations by default, every one in the slow set (one subprocess each).
@pytest.fixture(scope="module", params=["representative", pytest.param("every", marks=pytest.mark.slow)])
def results(request) -> tuple[list[dict], set[str]]:
    from jax_act.testing import cases

    only = sorted(REPRESENTATIVE) if request.param == "representative" else None
    want = {c.id for c in cases(all_params=False) if only is None or c.name in only}
    return run_on_8_devices(BODY.replace("__ONLY__", repr(only))), want


# Known failures in others' code, reported upstream: {(activation id, check): reason}.
KNOWN: dict[tuple[str, str], str] = {}


# The three checks read one run (one subprocess): a test each would start it on each worker.
def test_sharded_values_gradients_collectives_and_reductions(results):
    _every_activation_sharded(results)
    _elementwise_has_no_collectives(results)
    _reductions_over_sharded_axis(results)


def _every_activation_sharded(results):
    import jax_act
    from jax_act.testing import cases

    results, want = results
    covered = {r["name"] for r in results}
    assert covered == want, "some activation was not run"
    assert {c.name for c in cases(all_params=False)} == set(jax_act.names())
    bad = [r for r in results if not r["ok"] and (r["name"], r["check"]) not in KNOWN]
    assert not bad, "\n".join(f"{r['name']}: {r['check']} {r['detail']}" for r in bad)
    fixed = [k for k in KNOWN if not any((r["name"], r["check"]) == k and not r["ok"] for r in results)]
    assert not fixed, f"fixed upstream, remove from KNOWN: {fixed}"


def _elementwise_has_no_collectives(results):
    results, _ = results
    checked = [r for r in results if r["check"].startswith("no collective")]
    assert checked and all(r["ok"] for r in checked)


def _reductions_over_sharded_axis(results):
    results, _ = results
    names = {r["name"] for r in results if r["check"] == "value over sharded axis"}
    run = {"softmax", "log_softmax", "logsumexp"} & {r["name"] for r in results}
    assert run and run <= names
