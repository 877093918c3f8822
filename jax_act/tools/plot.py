"""``jax-act plot [NAMES...] --out DIR``: pictures of f, f' and f'' for each activation.

f' comes from the closed form (``jax_act.derivative`` for elementwise activations, the
``custom_vjp`` backward rule otherwise), f'' (where the activation is smooth) from the
forward-mode twin differentiated twice, whose rule is the closed form at every order. Kinks are marked with a dotted line and a dot at
the value the derivative takes there by convention. One PNG per activation plus an overview
sheet, ``overview.png``. The list of activations comes from the registry, so new ones appear
without changes here. Needs matplotlib (``pip install 'jax_act[plot]'``).

Functions that are not elementwise are drawn along a one-dimensional slice:
maps along an axis (softmax, ...) as ``f([x, 0])`` (first entry; a scalar for logsumexp),
gated units (glu, ...) as ``f([x, x])``, value and gate tied.
"""

from __future__ import annotations

import argparse
import dataclasses
import inspect
import os
from typing import Any, Callable

import jax
import jax.numpy as jnp
import numpy as np

MISSING = "jax-act plot needs matplotlib, which is not installed: pip install 'jax_act[plot]' (or pip install matplotlib)"


@dataclasses.dataclass
class Curves:
    """What one picture shows."""

    name: str
    label: str  # what is drawn, e.g. "softmax([x, 0])[0]" or "leaky_relu(x, negative_slope=0.01)"
    x: np.ndarray
    f: np.ndarray
    df: np.ndarray
    d2f: np.ndarray | None  # None where f is not smooth
    kinks: tuple[float, ...]
    kink_df: tuple[float, ...]  # f' at each kink, by the declared convention


def _param_values(name: str) -> dict[str, Any]:
    """Defaults from the signature; a parameter without one takes its first tested value."""
    import jax_act

    spec = jax_act.spec(name)
    sig = inspect.signature(jax_act.get(name))
    values = {p: sig.parameters[p].default for p in spec.params if sig.parameters[p].default is not inspect.Parameter.empty}
    for ps in spec.probes.test_params:
        for p, v in ps.items():
            if p in spec.params:
                values.setdefault(p, v)
    # Python ints as floats: a jitted derivative would trace 4 as an int32 array
    return {k: float(v) if isinstance(v, int) and not isinstance(v, bool) else v for k, v in values.items()}


def _grid(spec: Any, n: int) -> np.ndarray:
    lo, hi = -5.0, 5.0
    if spec.probes.kink_points:
        lo, hi = min(lo, min(spec.probes.kink_points) - 2), max(hi, max(spec.probes.kink_points) + 2)
    dlo, dhi = spec.probes.domain
    span = hi - lo
    lo, hi = max(lo, dlo + 0.02 * span), min(hi, dhi - 0.02 * span)  # f' may blow up at an edge
    if hi <= lo:  # a domain away from the default window
        lo, hi = (dlo + 1e-3, dlo + 10) if np.isfinite(dlo) else (dhi - 10, dhi - 1e-3)
    return np.linspace(lo, hi, n)


def curves(name: str, n: int = 401) -> Curves:
    """f, f' and f'' of one activation on a sensible grid (float64 when enabled, else float32)."""
    import jax_act

    spec = jax_act.spec(name)
    act_fn = jax_act.get(name)
    dtype = jnp.float64 if jax.config.jax_enable_x64 else jnp.float32
    x = jnp.asarray(_grid(spec, n), dtype)
    kinks = tuple(k for k in spec.probes.kink_points if x[0] <= k <= x[-1])
    params = _param_values(name)
    shown = ", ".join(f"{k}={v}" for k, v in params.items())

    twin = jax_act.forward_mode.get(name)  # custom_jvp from the same closed form, at every order
    if spec.kind == "elementwise":
        fprime = jax_act.derivative(name)
        scalar_df: Callable = lambda s: fprime(s, **params)  # noqa: E731
        scalar_twin: Callable = lambda s: twin(s, **params)  # noqa: E731
        label = f"{name}(x{', ' + shown if shown else ''})"
        f, df = act_fn(x, **params), fprime(x, **params)
    else:
        gated = spec.kind == "gated"
        label = f"{name}([x, x])" if gated else f"{name}([x, 0])"

        def sliced(fn: Callable) -> Callable:
            def scalar(s: jax.Array) -> jax.Array:
                v = jnp.stack([s, s] if gated else [s, jnp.zeros_like(s)])
                out = fn(v, **params)
                return out if out.ndim == 0 else out[0]

            return scalar

        if spec.kind != "gated" and jnp.ndim(act_fn(jnp.zeros(2, dtype))) > 0:
            label += "[0]"
        scalar_df = jax.grad(sliced(act_fn))  # through the custom_vjp: the closed-form backward rule
        scalar_twin = sliced(twin)
        f, df = jax.vmap(sliced(act_fn))(x), jax.vmap(scalar_df)(x)

    # f'': the forward-mode twin differentiated twice (its JVP rule is the closed form again)
    d2f = np.asarray(jax.vmap(jax.grad(jax.grad(scalar_twin)))(x), np.float64) if spec.probes.smooth else None
    kink_df = tuple(float(np.asarray(scalar_df(jnp.asarray(k, dtype)))) for k in kinks)
    return Curves(
        name=name,
        label=label,
        x=np.asarray(x, np.float64),
        f=np.asarray(f, np.float64),
        df=np.asarray(df, np.float64),
        d2f=d2f,
        kinks=kinks,
        kink_df=kink_df,
    )


def _draw(ax: Any, c: Curves, small: bool = False) -> None:
    lw = 1.2 if small else 1.8
    ax.axhline(0, color="0.85", lw=0.8, zorder=0)
    ax.axvline(0, color="0.85", lw=0.8, zorder=0)
    ax.plot(c.x, c.f, color="C0", lw=lw, label="f")
    ax.plot(c.x, c.df, color="C1", lw=lw, label="f' (closed form)")
    if c.d2f is not None:
        ax.plot(c.x, c.d2f, color="C2", lw=lw * 0.8, ls="--", label="f''")
    for k, dk in zip(c.kinks, c.kink_df):
        ax.axvline(k, color="C3", lw=0.8, ls=":")
        ax.plot([k], [dk], "o", color="C1", ms=3 if small else 5, zorder=3)
    if c.kinks:
        ax.plot([], [], ":", color="C3", label="kink (dot: f' there)")
    finite = np.concatenate([a[np.isfinite(a)] for a in (c.f, c.df) if a is not None])
    if finite.size:  # keep the window on f and f' when f'' spikes
        lo, hi = finite.min(), finite.max()
        pad = 0.1 * (hi - lo or 1)
        ax.set_ylim(lo - pad, hi + pad)
    ax.set_title(c.label if not small else c.name, fontsize=8 if small else 11)
    if small:
        ax.tick_params(labelsize=6)
    else:
        ax.set_xlabel("x")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="best")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("names", nargs="*", metavar="NAME", help="activations to plot (default: all registered)")
    parser.add_argument("--out", default="jax-act-plots", metavar="DIR", help="output folder (default ./jax-act-plots)")
    parser.add_argument("--dpi", type=int, default=100, help="resolution of the PNGs (default 100)")
    parser.add_argument("--no-overview", action="store_true", help="skip the overview sheet")
    parser.add_argument("--accuracy", choices=("default", "highest"), default="default",
                        help="the accuracy level whose closed forms are drawn (default: %(default)s)")


def run(args: argparse.Namespace) -> int:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print(MISSING)
        return 1
    import jax_act

    from .cli import activation_names

    names = activation_names(args.names, "plot") or jax_act.names()
    os.makedirs(args.out, exist_ok=True)
    print(f"accuracy level: {args.accuracy}")
    drawn: list[Curves] = []
    for name in names:
        try:
            with jax_act.accuracy(args.accuracy):  # read when each function is traced, below
                c = curves(name)
        except Exception as e:  # noqa: BLE001 - one odd activation must not stop the sheet
            print(f"skipped {name}: {type(e).__name__}: {e}")
            continue
        fig, ax = plt.subplots(figsize=(5, 3.6))
        _draw(ax, c)
        fig.tight_layout()
        path = os.path.join(args.out, f"{name}.png")
        fig.savefig(path, dpi=args.dpi)
        plt.close(fig)
        drawn.append(c)
        print(f"wrote {path}")
    if drawn and not args.no_overview:
        cols = min(6, len(drawn))
        rows = -(-len(drawn) // cols)
        fig, axes = plt.subplots(rows, cols, figsize=(2.3 * cols, 1.9 * rows + 0.5), squeeze=False)
        for ax, c in zip(axes.flat, drawn):
            _draw(ax, c, small=True)
        for ax in list(axes.flat)[len(drawn) :]:
            ax.axis("off")
        handles = [
            plt.Line2D([], [], color="C0", label="f"),
            plt.Line2D([], [], color="C1", label="f' (closed form)"),
            plt.Line2D([], [], color="C2", ls="--", label="f'' (smooth ones)"),
            plt.Line2D([], [], color="C3", ls=":", marker="o", mfc="C1", mec="C1", label="kink, f' by convention"),
        ]
        fig.legend(handles=handles, loc="lower center", ncol=4, fontsize=8, frameon=False)
        fig.tight_layout(rect=(0, 0.35 / (1.9 * rows + 0.5), 1, 1))
        path = os.path.join(args.out, "overview.png")
        fig.savefig(path, dpi=args.dpi)
        plt.close(fig)
        print(f"wrote {path}")
    return 0 if drawn else 1
