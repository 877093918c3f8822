"""``jax-act bench``: jax_act against jax.nn, forward and forward+backward, per call and in-kernel.

Method (the why is in ``bench/README.md``):

* every row times jax_act and its baseline (``jax.nn.<name>`` under autodiff, or the plain
  reference formula under autodiff where jax.nn has none) **interleaved sample by sample**
  (the order alternates), and reports the median of the paired ratios with min/max;
* inputs are random (never zeros), inside the activation's domain, rotated among several
  buffers so a cache cannot flatter small sizes;
* two figures per row: *per call* (a jitted call with ``block_until_ready``: includes dispatch,
  ~10 µs, and fresh-output allocation) and *in kernel* (``reps`` iterations of the kernel
  inside one jitted ``fori_loop`` alternating two buffers, divided by ``reps``);
* a copy kernel (``-x``) of the same size, interleaved in the same samples, gives the practical roofline; achieved
  bytes/s count the minimal bytes (fwd: read x + write y; fwd+bwd: read x, g + write dx);
* compile time (``lower().compile()``) is measured separately, before any timed call;
* bytes kept for the backward pass per element come from ``saved_residuals``; inside a small
  MLP training step, from the compiled step's ``memory_analysis()``.
"""

from __future__ import annotations

import argparse
import functools
import importlib.util
import inspect
import json
import math
import os
import sys
import time
from typing import Any, Callable

import jax
import jax.numpy as jnp
import numpy as np

from .._engine import LEVELS
from .loss_bench import loss_row, loss_shapes
from .report import chart, environment, markdown, table
from .timing import Fn, paired, scaled

ROW_LEN = 1024  # length of the normalized axis for activations along an axis
VMAP_BATCH = 8  # leading batch axis for the vmap rows


# --------------------------------------------------------------------------- what to bench


def targets(only: list[str] | None, level: str = "default") -> list[dict[str, Any]]:
    """One entry per activation: our function at accuracy ``level``, the baseline, and how
    to feed them."""
    import jax_act
    from jax_act._engine import REGISTRY

    names = only or jax_act.names()
    out = []
    for name in names:
        act = REGISTRY[jax_act.spec(name).name]
        spec = act.spec
        kwargs = _required_params(act.fn, spec)
        base, base_name = act.compared_with()
        out.append(dict(name=spec.name, kind=spec.kind, ours=functools.partial(act.fn, accuracy=level), base=base,
                        baseline=base_name, kwargs=kwargs, domain=tuple(float(d) for d in spec.probes.domain), level=level))
    return out


def _required_params(fn: Fn, spec: Any) -> dict[str, Any]:
    """Values for parameters without a default (taken from the declaration's test sets)."""
    sig = inspect.signature(fn).parameters
    need = [p.name for p in list(sig.values())[1:]
            if p.default is inspect.Parameter.empty and p.kind is not p.VAR_KEYWORD]
    given = next((dict(t) for t in spec.probes.test_params if all(k in t for k in need)), {})
    out = {k: given.get(k, 0.25) for k in need}
    if spec.kind != "elementwise" and "axis" in sig:
        out["axis"] = -1  # row-wise, as in a model (logsumexp's default is the whole array)
    return out


def shape_of(n: int, kind: str, mode: str) -> tuple[int, ...]:
    """n elements; functions along an axis see rows of ROW_LEN; vmap adds a leading batch axis."""
    batch = VMAP_BATCH if mode == "vmap" else 1
    m = n // batch
    base: tuple[int, ...] = (m,) if kind == "elementwise" else (max(m // ROW_LEN, 1), min(m, ROW_LEN))
    return (batch, *base) if mode == "vmap" else base


def random_input(seed: int, shape: tuple[int, ...], dtype: Any, domain: tuple[float, float]) -> np.ndarray:
    """Normal(0, 3) samples mapped into the domain, exact zeros nudged off (no zeros as data).

    Made with NumPy on the host: jax.random outside jit would compile once per shape."""
    z = 3.0 * np.random.default_rng(seed).standard_normal(shape, np.float32)
    lo, hi = domain
    if math.isfinite(lo) and math.isfinite(hi):
        z = lo + (hi - lo) / (1 + np.exp(-z))
    elif math.isfinite(hi):
        z = hi - 1e-2 - np.abs(z)
    elif math.isfinite(lo):
        z = lo + 1e-2 + np.abs(z)
    return np.where(z == 0, np.float32(0.5), z).astype(dtype)


def kernel(fn: Fn, kwargs: dict, mode: str, pass_: str) -> Callable[[jax.Array, jax.Array], jax.Array]:
    """(x, g) -> y (fwd) or dx (fwd+bwd: jax.vjp then the pullback, one computation)."""
    f = lambda x: fn(x, **kwargs)  # noqa: E731
    if mode == "vmap":
        f = jax.vmap(f)
    if pass_ == "fwd":
        return lambda x, g: f(x)
    return lambda x, g: jax.vjp(f, x)[1](g)[0]


def in_kernel(k: Callable, reps: int) -> Fn:
    """``reps`` iterations inside one jit, cycling through the buffers of the tuples ``xs, gs``.

    The buffer is picked by ``lax.switch`` (one branch per buffer), not by indexing a stacked
    array: on XLA:CPU a dynamic-slice feeding a kernel that slices (glu) takes a path 30-80x
    slower than the kernel itself."""

    def loop(xs: tuple, gs: tuple) -> jax.Array:
        branches = [lambda j=j: k(xs[j], gs[j]) for j in range(len(xs))]
        body = lambda i, _: jax.lax.switch(i % len(xs), branches)  # noqa: E731
        return jax.lax.fori_loop(0, reps, body, jnp.zeros(_out_shape(k, xs[0], gs[0]), xs[0].dtype))

    return jax.jit(loop)


def _out_shape(k: Callable, x: jax.Array, g: jax.Array) -> tuple[int, ...]:
    return jax.eval_shape(k, x, g).shape


# --------------------------------------------------------------------------- one activation


def bench_activation(c: dict, dtype: str, sizes: list[int], modes: list[str], passes: list[str],
                     opt: argparse.Namespace, progress: Callable[[str], None]) -> dict:
    dt = jnp.dtype(dtype)
    rows = []
    for n in sizes:
        for mode in modes:
            shape = shape_of(n, c["kind"], mode)
            nbuf = _num_buffers(n * dt.itemsize, opt.quick)
            xs_host = [random_input(n + i, shape, dt, c["domain"]) for i in range(nbuf)]
            out_shape = _out_shape(kernel(c["ours"], c["kwargs"], mode, "fwd"), xs_host[0], xs_host[0])
            gs_host = [random_input(2 * n + i, out_shape, dt, (-np.inf, np.inf)) for i in range(nbuf)]
            xs, gs = [jax.device_put(x) for x in xs_host], [jax.device_put(g) for g in gs_host]
            for pass_ in passes:
                progress(f"{c['name']} {dtype} 2^{int(math.log2(n))} {mode} {pass_}")
                ko = kernel(c["ours"], c["kwargs"], mode, pass_)
                kb = kernel(c["base"], c["kwargs"], mode, pass_)
                x_elems, y_elems = math.prod(shape), math.prod(out_shape)
                nbytes = dt.itemsize * (x_elems + y_elems if pass_ == "fwd" else 2 * x_elems + y_elems)
                args = list(zip(xs, gs))
                per_call = paired(jax.jit(ko), jax.jit(kb), args, opt.budget, opt.max_samples, copy_call)
                reps = max(2, min(1000, int(opt.loop_time / max(per_call["base"]["median"], 1e-7))))
                two = [(tuple(xs[:2]), tuple(gs[:2]))]  # in kernel: two buffers (one switch branch each)
                loop = paired(in_kernel(ko, reps), in_kernel(kb, reps), two, opt.budget, opt.max_samples,
                              in_kernel(_copy, reps))
                for key in ("ours", "base", "copy"):
                    loop[key] = scaled(loop[key], 1 / reps)
                loop["reps"] = reps
                row = dict(size=n, log2=int(math.log2(n)), mode=mode, pass_=pass_, shape=list(shape),
                           bytes=nbytes, per_call=per_call, in_kernel=loop)
                copy_bytes = 2 * x_elems * dt.itemsize  # read x, write -x
                for fig in ("per_call", "in_kernel"):
                    copy_gbs = copy_bytes / row[fig]["copy"]["median"] / 1e9
                    for key in ("ours", "base"):
                        gbs = nbytes / row[fig][key]["median"] / 1e9
                        row[fig][key]["GBps"] = gbs
                        row[fig][key]["roofline"] = gbs / copy_gbs
                    row[fig]["copy_GBps"] = copy_gbs
                rows.append(row)
            del xs, gs, xs_host, gs_host
    return dict(name=c["name"], kind=c["kind"], level=c["level"], baseline=c["baseline"], dtype=dtype,
                kwargs=c["kwargs"], saved=saved_bytes(c, dt), rows=rows)


def _copy(x: jax.Array, g: jax.Array) -> jax.Array:
    """The copy kernel: read x, write -x (a plain copy XLA would elide)."""
    return -x


copy_call = jax.jit(_copy)


def _num_buffers(nbytes: int, quick: bool) -> int:
    """Enough rotated buffers to spill a ~32 MiB last-level cache, within a memory bound."""
    return int(max(2, min(4 if quick else 16, math.ceil(32 * 2**20 / nbytes))))


def saved_bytes(c: dict, dt: np.dtype, n: int = 4096) -> dict:
    """Bytes per element jax.vjp keeps for the backward pass (``saved_residuals``), both sides."""
    from jax_act import _compat

    x = jax.device_put(random_input(0, shape_of(n, c["kind"], "jit"), dt, c["domain"]))
    out = {}
    for key in ("ours", "base"):
        f = lambda x, fn=c[key]: fn(x, **c["kwargs"])  # noqa: E731
        res = _compat.saved_residuals(f, x)
        nbytes = sum(math.prod(a.shape) * a.dtype.itemsize for a, _ in res)
        big = [f"{a.dtype}{list(a.shape)} {why.split(' from ')[0]}" for a, why in res if math.prod(a.shape) > 1]
        out[key] = dict(bytes_per_element=nbytes / x.size, arrays=big)
    return out


# --------------------------------------------------------------------------- model steps


def have_flax() -> bool:
    return importlib.util.find_spec("flax") is not None


def model_shapes(opt: argparse.Namespace) -> list[Any]:
    """The models to step: the MLP of ``--mlp``, then the first transformer and gated MLP of
    ``models.SHAPES`` (``--models`` chooses among "mlp", "flax", "transformer", "gated_mlp")."""
    from . import models

    batch, width, depth = opt.mlp
    shapes = []
    for kind in opt.models:
        if kind in ("mlp", "flax"):
            shapes.append((kind, models.Shape("mlp", batch=batch, width=width, depth=depth)))
        else:
            shapes.append((kind, next(s for s in models.SHAPES if s.kind == kind)))
    return shapes


def _fits(c: dict, kind: str) -> bool:
    from . import models
    from .._engine import lookup

    return models.fits(lookup(c["name"]).spec, "mlp" if kind == "flax" else kind)


def _flax_mlp(shape: Any, act: Fn, dtype: Any) -> tuple[Fn, Any]:
    """The MLP as a flax.nnx model: ``nnx.Linear`` layers with bias in an ``nnx.Sequential``,
    the SGD step on its split state."""
    from flax import nnx

    from . import models

    dt = jnp.dtype(dtype)
    rng = np.random.default_rng(1)
    x = jnp.asarray(rng.standard_normal((shape.batch, shape.width), np.float32).astype(dt))
    target = jnp.asarray(rng.standard_normal((shape.batch, shape.width), np.float32).astype(dt))
    rngs, layers = nnx.Rngs(0), []
    for _ in range(shape.depth + 1):
        layers += [nnx.Linear(shape.width, shape.width, dtype=dt, param_dtype=dt, rngs=rngs), act]
    graph, state = nnx.split(nnx.Sequential(*layers[:-1]))  # no activation after the last

    def loss(s: Any) -> jax.Array:
        return jnp.mean((nnx.merge(graph, s)(x) - target).astype(jnp.float32) ** 2)

    return models._sgd(loss), state


def model_rows(todo: list[dict], dtype: str, opt: argparse.Namespace, progress: Callable[[str], None],
               kind: str, shape: Any) -> list[dict]:
    """One SGD step of a model (``models``; ``kind`` "flax": the MLP as a flax.nnx model) with
    jax_act (at each case's accuracy level) against jax.nn's activation (softmax: in the
    attention).

    Temp memory comes from the compiled step's ``memory_analysis()``; the marginal bytes per
    activation element are (temp − temp of the same model with the identity) / activation
    elements. Step time is the median of paired ratios, interleaved."""
    from . import models

    def build(act: Fn, softmax: Fn | None = None) -> tuple[Fn, Any]:
        if kind == "flax":
            return _flax_mlp(shape, act, dtype)
        return models.build(shape, act, dtype, softmax=softmax)

    def memory(step: Fn, params: Any) -> dict:
        m = step.lower(params).compile().memory_analysis()
        if m is None:  # some backends do not report it
            return {}
        peak = getattr(m, "peak_memory_in_bytes", 0) or (
            m.argument_size_in_bytes + m.output_size_in_bytes + m.temp_size_in_bytes - m.alias_size_in_bytes)
        return dict(temp_bytes=m.temp_size_in_bytes, peak_bytes=peak)

    ident = memory(*build(models.identity_for(shape.kind)))
    rows = []
    for c in todo:
        if not _fits(c, kind):
            continue
        progress(f"{kind} {c['name']} {dtype} {c['level']}")
        ours = functools.partial(c["ours"], **c["kwargs"])
        base = functools.partial(c["base"], **c["kwargs"])
        if c["name"] == "softmax":  # the attention's; the MLP's activation is relu on both sides
            (so, po), (sb, pb) = build(jax.nn.relu, ours), build(jax.nn.relu, base)
        else:
            (so, po), (sb, pb) = build(ours), build(base)
        mo, mb = memory(so, po), memory(sb, pb)
        timing = paired(so, sb, [(po,)], opt.budget, opt.max_samples)
        row = dict(name=c["name"], baseline=c["baseline"], dtype=dtype, model=kind, shape=shape.label,
                   batch=shape.batch, width=shape.width, depth=shape.depth, level=c["level"],
                   step=timing, memory=dict(ours=mo, base=mb, identity=ident))
        elems = shape.activation_elements()
        if mo and mb and ident and c["name"] != "softmax":
            row["marginal_bytes_per_element"] = {
                k: (m["temp_bytes"] - ident["temp_bytes"]) / elems for k, m in (("ours", mo), ("base", mb))}
        rows.append(row)
    return rows


# --------------------------------------------------------------------------- CLI


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--only", nargs="+", metavar="NAME", help="activations to bench, spaces or commas (default: all)")
    parser.add_argument("--dtypes", nargs="+", default=["float32"], metavar="DTYPE",
                        help="spaces or commas (default: float32)")
    parser.add_argument("--sizes", nargs="+", type=int, metavar="LOG2",
                        help="log2 sizes (default: 10 13 16 19 22 24 on CPU; 10 13 16 19 22 25 28 on GPU/TPU)")
    parser.add_argument("--modes", nargs="+", choices=["jit", "vmap"], help="default: jit vmap (quick: jit)")
    parser.add_argument("--passes", nargs="+", choices=["fwd", "fwd+bwd"],
                        help="default: fwd fwd+bwd (quick: fwd+bwd)")
    parser.add_argument("--quick", action="store_true",
                        help="fwd+bwd under jit at 2^16 only, short budgets: under two minutes on 2 CPU cores")
    parser.add_argument("--budget", type=float, help="seconds of timing per row and figure (default 0.1; quick 0.03)")
    parser.add_argument("--max-samples", type=int, help="most paired samples per figure (default 200; quick 15)")
    parser.add_argument("--loop-time", type=float, default=None,
                        help="in-kernel loop: reps ≈ this many seconds ÷ one call (default 0.02; quick 0.005)")
    parser.add_argument("--accuracy", nargs="+", choices=LEVELS, default=["default"],
                        help="accuracy levels to bench jax_act at (default: default; both: default highest)")
    parser.add_argument("--mlp", nargs=3, type=int, default=[512, 128, 8], metavar=("BATCH", "WIDTH", "DEPTH"))
    parser.add_argument("--models", nargs="+", choices=["mlp", "flax", "transformer", "gated_mlp"],
                        help="training-step models (default: mlp transformer gated_mlp, and flax when installed)")
    parser.add_argument("--no-models", action="store_true", help="skip the training-step rows")
    parser.add_argument("--losses", nargs="+", metavar="N,H,V",
                        help="fused output-layer loss rows at these tokens,hidden,vocabulary (default per backend)")
    parser.add_argument("--loss-chunks", nargs="+", metavar="T[,VC]",
                        help="also time the fused loss at these fixed chunk sizes (tokens, or tokens,columns)")
    parser.add_argument("--no-losses", action="store_true", help="skip the fused output-layer loss rows")
    parser.add_argument("--losses-only", action="store_true", help="only the fused output-layer loss rows")
    parser.add_argument("--models-only", action="store_true", help="only the training-step rows")
    parser.add_argument("--out", help="JSON path (default jax_act_bench/<backend>.json in the current folder; "
                                      "the chart is written beside it)")
    parser.add_argument("--resume", action="store_true", help="keep activations already in --out, bench the rest")
    parser.add_argument("--report", metavar="JSON", help="print the table and draw the chart of a saved run; run nothing")
    parser.add_argument("--markdown", action="store_true", help="with --report: the README's results table")


def _report(args: argparse.Namespace) -> int:
    """``--report``: the table (or the README's markdown) and chart of a saved run."""
    from .cli import UsageError

    try:
        with open(args.report) as f:
            result = json.load(f)
    except (OSError, ValueError) as e:
        raise UsageError(f"--report {args.report}: {e.strerror if isinstance(e, OSError) else e}") from None
    if args.markdown:
        print(markdown(result))
        return 0
    print(table(result))
    png = os.path.splitext(args.report)[0] + ".png"
    print(f"\nchart: {png}" if chart(result, png) else "")
    return 0


def _settle_options(args: argparse.Namespace) -> tuple[list[int], str]:
    """Fill the options ``--quick`` and the backend decide; (sizes, output path)."""
    from .cli import activation_names, dtype_names

    quick = args.quick
    args.budget = args.budget or (0.03 if quick else 0.1)
    args.max_samples = args.max_samples or (15 if quick else 200)
    args.loop_time = args.loop_time or (0.005 if quick else 0.02)
    args.modes = args.modes or (["jit"] if quick else ["jit", "vmap"])
    args.passes = args.passes or (["fwd+bwd"] if quick else ["fwd", "fwd+bwd"])
    backend = jax.default_backend()
    default = [10, 13, 16, 19, 22, 24] if backend == "cpu" else [10, 13, 16, 19, 22, 25, 28]
    sizes = [2**k for k in (args.sizes or ([16] if quick else default))]
    args.only = activation_names(args.only, "bench") or None
    args.dtypes = dtype_names(args.dtypes, ("bfloat16", "float16", "float32", "float64"))
    args.models = args.models or ["mlp", "transformer", "gated_mlp", *(["flax"] if have_flax() else [])]
    # Never over the committed results: a working folder unless --out says otherwise.
    return sizes, args.out or os.path.join("jax_act_bench", f"{backend}.json")


def _jobs(args: argparse.Namespace, sizes: list[int], result: dict[str, Any]) -> tuple[list, list, list, int]:
    """(activation jobs, model jobs, loss jobs, progress steps): what ``result`` lacks."""
    # activation by activation, every level in turn (an interrupted run has them side by side)
    todo = [c for same in zip(*(targets(args.only, level) for level in args.accuracy)) for c in same]
    done = {(a["name"], a["dtype"], a.get("level", "default")) for a in result["activations"]}
    done_models = {(m["name"], m["dtype"], m.get("level", "default"), m["model"]) for m in result["models"]}
    done_losses = {(r["dtype"], r["tokens"], r["hidden"], r["vocab"]) for r in result["losses"]}
    jobs = [] if args.models_only or args.losses_only else [
        (c, d) for d in args.dtypes for c in todo if (c["name"], d, c["level"]) not in done]
    shapes = [] if args.no_models or args.losses_only else model_shapes(args)
    model_jobs = [(d, kind, shape, [c for c in todo if (c["name"], d, c["level"], kind) not in done_models])
                  for d in args.dtypes for kind, shape in shapes]
    loss_jobs = [] if args.no_losses or args.models_only else [
        (d, shape) for d in args.dtypes for shape in loss_shapes(args) if (d, *shape) not in done_losses]
    total = len(jobs) * len(sizes) * len(args.modes) * len(args.passes) + len(loss_jobs)
    total += sum(_fits(c, kind) for _, kind, _, cs in model_jobs for c in cs)
    return jobs, model_jobs, loss_jobs, total


class _Progress:
    """``[done/total] seconds  what`` on stderr, rewritten in place on a terminal."""

    def __init__(self, total: int):
        self.count, self.total, self.t0, self.tty = 0, total, time.perf_counter(), sys.stderr.isatty()

    def __call__(self, what: str) -> None:
        self.count += 1
        line = f"[{self.count}/{self.total}] {time.perf_counter() - self.t0:6.0f}s  {what:<48}"
        print("\r" + line if self.tty else line, end="" if self.tty else "\n", file=sys.stderr, flush=True)


def _save(result: dict[str, Any], out: str) -> None:
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out + ".tmp", "w") as f:
        json.dump(result, f, indent=1)
    os.replace(out + ".tmp", out)  # an interrupted write leaves the last complete file


def run(args: argparse.Namespace) -> int:
    if args.report:
        return _report(args)
    argv = sys.argv[sys.argv.index("bench") + 1:] if "bench" in sys.argv else []
    sizes, out = _settle_options(args)
    result: dict[str, Any] = dict(environment=environment(argv), activations=[], models=[], losses=[])
    result["environment"].update(sizes=sizes, options=vars(args))
    if args.resume and os.path.exists(out):
        with open(out) as f:
            old = json.load(f)
        result.update(activations=old["activations"], models=old.get("models", []), losses=old.get("losses", []))
    jobs, model_jobs, loss_jobs, total = _jobs(args, sizes, result)
    progress = _Progress(total)
    for c, dtype in jobs:  # resumable: each finished row is on disk
        result["activations"].append(bench_activation(c, dtype, sizes, args.modes, args.passes, args, progress))
        _save(result, out)
    for dtype, kind, shape, cs in model_jobs:
        result["models"] += model_rows(cs, dtype, args, progress, kind, shape)
        _save(result, out)
    for dtype, shape in loss_jobs:
        progress(f"fused loss {dtype} {'x'.join(map(str, shape))}")
        result["losses"].append(loss_row(shape, dtype, args))
        _save(result, out)
    result["environment"]["seconds"] = time.perf_counter() - progress.t0
    _save(result, out)
    print(file=sys.stderr)
    print(table(result))
    png = os.path.splitext(out)[0] + ".png"
    note = f" and {png}" if chart(result, png) else (
        "" if not result["activations"] else " (pip install matplotlib for a chart)")
    print(f"\nwrote {out}{note}")
    return 0
