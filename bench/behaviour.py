"""Every face's behaviour as hashes, to show a restructuring changed none of it.

    python bench/behaviour.py snapshot OUT.json [--x64]   # at one commit, then at another
    python bench/behaviour.py compare A.json B.json        # the entries that differ

For every activation, dtype (float32, bfloat16, float16; float64 with ``--x64``), parameter
set of its probes and accuracy level: the values, a VJP, the forward-mode twin's JVP and the
bare derivative on a grid with the edge inputs (±inf, NaN, subnormals, ±88, ±700), and in
float32 the avals of the saved residuals; for every loss, its values, VJP and twin JVP; and
the compiled temp bytes of an MLP, a transformer and a gated-MLP training step in float32 and
bfloat16 for every activation that fits (without ``--x64``). Check out the other commit (``git
worktree add``) and run it there with ``PYTHONPATH`` pointing at it.
"""

from __future__ import annotations

import hashlib
import json
import sys

import jax


def digest(tree) -> str:
    import numpy as np

    h = hashlib.sha256()
    for leaf in jax.tree_util.tree_leaves(tree):
        a = np.asarray(leaf)
        h.update(f"{a.dtype}{a.shape}".encode() + a.tobytes())
    return h.hexdigest()[:16]


def _grid(spec):
    import numpy as np

    edges = [0.0, -1.0, 1.0, -3.0, 3.0, 6.0, 0.5, -0.5, np.inf, -np.inf, np.nan, 1e-40, -1e-40, 88.0, -88.0, 700.0, -700.0]
    base = np.concatenate([np.linspace(-12, 12, 301), edges])
    lo, hi = spec.probes.domain
    x = base[((base >= lo) & (base <= hi)) | ~np.isfinite(base)]
    return np.resize(x, (6, 64)) if spec.kind == "gated" or spec.along_axis else x


def activations(dtypes, rng) -> dict:
    import jax.numpy as jnp

    from jax_act._compat import saved_residuals
    from jax_act._engine import REGISTRY

    out = {}
    for name, act in REGISTRY.items():
        for dt in dtypes:
            for params in act.spec.probes.test_params:
                kw = dict(params, **({"key": jax.random.key(0)} if name == "rrelu" else {}))
                for level in ("default", "highest"):
                    x = jnp.asarray(_grid(act.spec), dt)
                    f = lambda x: act.fn(x, **kw, accuracy=level)  # noqa: B023, E731
                    y, vjp = jax.vjp(f, x)
                    g, t = (jnp.asarray(rng.standard_normal(a.shape), a.dtype) for a in (y, x))
                    jvp = jax.jvp(lambda x: act.forward_mode(x, **kw, accuracy=level), (x,), (t,))  # noqa: B023
                    d = act.derivative(x, **kw, accuracy=level) if act.spec.kind == "elementwise" else 0
                    kept = sorted(str(a) for a, _ in saved_residuals(f, x)) if dt == "float32" else []
                    out[f"{name}|{dt}|{sorted(params.items())}|{level}"] = [digest(y), digest(vjp(g)), digest(jvp),
                                                                           digest(d), kept]
    return out


def losses(dtypes, rng) -> dict:
    import jax.numpy as jnp

    from jax_act._engine import LOSSES

    out = {}
    for name, act in LOSSES.items():
        for dt in dtypes:
            x = jnp.asarray(rng.standard_normal((8, 10)) * 3, dt)
            if "integer" in name:
                labels = jnp.asarray(rng.integers(0, 10, 8))
            elif "binary" in name:
                labels = jnp.asarray(rng.uniform(size=(8, 10)), dt)
            else:
                labels = jnp.asarray(rng.standard_normal((8, 10)), dt)
                labels = jax.nn.softmax(labels) if "softmax" in name else labels
            args = [x] if "integer" in name else [x, labels]
            y, vjp = jax.vjp(lambda *a: act.fn(*a) if len(a) == 2 else act.fn(a[0], labels), *args)  # noqa: B023
            g = jnp.asarray(rng.standard_normal(y.shape), y.dtype)
            jvp = jax.jvp(lambda x: act.forward_mode(x, labels), (x,), (x,))  # noqa: B023
            out[f"loss {name}|{dt}"] = [digest(y), digest(vjp(g)), digest(jvp)]
    return out


def model_steps() -> dict:
    from jax_act._engine import REGISTRY
    from jax_act.tools import models

    out = {}
    for shape in (models.SHAPES[0], models.SHAPES[2], models.SHAPES[4]):
        for dt in ("float32", "bfloat16"):
            for name, act in REGISTRY.items():
                if not models.fits(act.spec, shape.kind) or name in ("rrelu", "threshold", "prelu"):
                    continue  # a key or a required parameter: not a drop-in activation
                step, params = (models.build(shape, jax.nn.gelu, dt, softmax=act.fn) if act.spec.along_axis
                                else models.build(shape, act.fn, dt))
                out[f"model {shape.label}|{dt}|{name}"] = models.temp_bytes(step, params)
    return out


def main(argv: list[str]) -> None:
    if argv[:1] == ["compare"]:
        a, b = (json.load(open(p)) for p in argv[1:3])
        differ = sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))
        print(f"{len(a)} and {len(b)} entries; {len(differ)} differ")
        for k in differ:
            print(f"  {k}: {a.get(k)} -> {b.get(k)}")
        sys.exit(1 if differ else 0)
    x64 = "--x64" in argv
    jax.config.update("jax_enable_x64", x64)
    import numpy as np

    rng = np.random.default_rng(0)
    dtypes = ["float64"] if x64 else ["float32", "bfloat16", "float16"]
    out = {**activations(dtypes, rng), **losses(dtypes, rng), **({} if x64 else model_steps())}
    with open(argv[1], "w") as f:
        json.dump(out, f, indent=0, sort_keys=True)
    print(f"{len(out)} entries -> {argv[1]}")


if __name__ == "__main__":
    main(sys.argv[1:])
