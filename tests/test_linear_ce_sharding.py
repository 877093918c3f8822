"""The fused output-layer loss on 8 virtual CPU devices, data parallel and vocabulary parallel.

XLA_FLAGS=--xla_force_host_platform_device_count=8 must be set before jax is imported, so the
body runs in a fresh Python subprocess and prints one JSON record per configuration: the
largest difference from the unsharded values and gradients, the output shardings, and every
collective in the compiled step with its element count.
"""

from __future__ import annotations

import textwrap

import pytest
from _devices import run_on_8_devices
from _helpers import EXTENDED

N, H, V = 256, 16, 512  # tokens, hidden, vocabulary; 8 devices

BODY = textwrap.dedent(
    rf"""
    import json, re
    import jax, jax.numpy as jnp, numpy as np
    from jax.sharding import Mesh, NamedSharding, PartitionSpec as P
    jax.config.update("jax_enable_x64", True)
    from jax_act import losses

    F = losses.linear_softmax_cross_entropy_with_integer_labels
    shard_map = getattr(jax, "shard_map", None)
    if shard_map is None:  # jax < 0.7
        from jax.experimental.shard_map import shard_map
    assert len(jax.devices()) == 8
    mesh = Mesh(np.array(jax.devices()), ("d",))
    rng = np.random.default_rng(0)
    x = jnp.asarray(rng.normal(size=({N}, {H})))
    w = jnp.asarray(rng.normal(size=({H}, {V})) / 4)
    b = jnp.asarray(rng.normal(size={V}))
    y = jnp.asarray(rng.integers(0, {V}, {N}))
    m = jnp.asarray(rng.random({N}) > 0.2)
    cot = jnp.asarray(rng.uniform(0.5, 2, {N}))

    def put(a, *spec):
        return jax.device_put(a, NamedSharding(mesh, P(*spec)))

    def collectives(fn, *args):
        hlo = fn.lower(*args).compile().as_text()
        found = re.findall(r"= (\w+)\[([\d,]*)\][^ ]* (all-gather|all-reduce|all-to-all|collective-permute|reduce-scatter)", hlo)
        return [[op, int(np.prod([int(d) for d in dims.split(",") if d]))] for _, dims, op in found]

    def diff(a, b):
        return max(float(jnp.max(jnp.abs(u - v))) for u, v in zip(jax.tree.leaves(a), jax.tree.leaves(b)))

    out = []
    for opts in __OPTIONS__:
        def loss(x, w, b, y, m, **extra):
            l = F(x, w, y, b, where=m, chunk_size=(8, 40) if opts.get("z_loss") else 8, **opts, **extra)
            return jnp.sum(l * cot) if opts.get("reduction") == "none" else l

        grad = lambda x, w, b, y, m, **e: jax.value_and_grad(lambda *a: loss(*a, y, m, **e), (0, 1, 2))(x, w, b)
        ref = grad(x, w, b, y, m)

        # data parallel: tokens split over the devices, weights replicated
        dp = jax.jit(grad)
        args = (put(x, "d", None), w, b, put(y, "d"), put(m, "d"))
        got = dp(*args)
        out.append(dict(kind="data", opts=sorted(opts), diff=diff(got, ref),
                        dx_sharded=got[1][0].sharding.is_equivalent_to(NamedSharding(mesh, P("d", None)), 2),
                        collectives=collectives(dp, *args)))

        # vocabulary parallel: weight and bias split along V, tokens replicated
        def local(x, w, b, y, m):
            return grad(x, w, b, y, m, vocab_axis_name="d")

        vp = jax.jit(shard_map(local, mesh=mesh, in_specs=(P(), P(None, "d"), P("d"), P(), P()),
                               out_specs=(P(), (P(), P(None, "d"), P("d")))))
        args = (x, put(w, None, "d"), put(b, "d"), y, m)
        got = vp(*args)
        out.append(dict(kind="vocab", opts=sorted(opts), diff=diff(got, ref),
                        dw_sharded=got[1][1].sharding.is_equivalent_to(NamedSharding(mesh, P(None, "d")), 2),
                        collectives=collectives(vp, *args)))
    print("RESULTS" + json.dumps(out))
    """
)


OPTIONS = {"plain": [{}],  # the default run; every option with the slow sweeps (for their time)
           "options": [dict(label_smoothing=0.1, z_loss=1e-3, logit_soft_cap=5.0), dict(reduction="none")]}


@pytest.fixture(scope="module", params=["plain", pytest.param("options", marks=EXTENDED)])
def results(request) -> list[dict]:
    return run_on_8_devices(BODY.replace("__OPTIONS__", repr(OPTIONS[request.param])))


def test_sharded_values_and_gradients_equal_unsharded(results, request):
    options = OPTIONS[request.node.callspec.params["results"]]
    assert sorted((r["kind"], r["opts"]) for r in results) == sorted(
        (kind, sorted(o)) for kind in ("data", "vocab") for o in options)
    for r in results:
        assert r["diff"] <= 1e-12, r


def test_data_parallel_gathers_nothing_and_keeps_tokens_sharded(results):
    for r in (r for r in results if r["kind"] == "data"):
        assert r["dx_sharded"], r
        assert not [c for c in r["collectives"] if c[0] != "all-reduce"], r["collectives"]
        # what is summed over the devices is the weight's and bias's gradient and the loss
        assert all(size <= H * V for _, size in r["collectives"]), r["collectives"]


def test_vocabulary_parallel_exchanges_per_token_numbers_only(results):
    for r in (r for r in results if r["kind"] == "vocab"):
        assert r["dw_sharded"], r
        sizes = sorted(size for op, size in r["collectives"] if op == "all-reduce")
        assert len(sizes) == len(r["collectives"]), r["collectives"]
        # per-token statistics, and once dx (the size of hidden): never a logits chunk
        assert all(size <= N or size == N * H for size in sizes), sizes
        assert sizes.count(N * H) <= 1, sizes
