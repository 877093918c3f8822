"""What ``jax-act bench`` writes: the environment of a run, the table, the summary, the
README's markdown and the chart."""

from __future__ import annotations

import datetime
import math
import os
import platform
import statistics

import jax

from .loss_bench import loss_table


def environment(argv: list[str]) -> dict:
    dev = jax.devices()[0]
    import jaxlib

    return dict(
        date=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        command="jax-act bench " + " ".join(argv),
        backend=jax.default_backend(), device=_cpu_model() if dev.platform == "cpu" else dev.device_kind,
        device_count=jax.device_count(), cpu_count=os.cpu_count(), platform=platform.platform(),
        python=platform.python_version(), jax=jax.__version__, jaxlib=jaxlib.__version__,
        loadavg=list(os.getloadavg()),
    )


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            return next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or "cpu"


def _label(a: dict) -> str:
    """An activation row's name, with its accuracy level where it is not the default."""
    return a["name"] + ("" if a.get("level", "default") == "default" else f" [{a['level']}]")


def table(result: dict) -> str:
    """The readable table: in-kernel µs, ratio (in-kernel and per call), % of copy roofline."""
    env = result["environment"]
    lines = [f"jax_act bench  {env['date']}  {env['backend']} ({env['device']})  jax {env['jax']}  "
             f"jaxlib {env['jaxlib']}", f"command: {env['command']}",
             "ratio = median of paired jax_act/baseline time ratios (< 1: jax_act faster); "
             "roof = achieved bytes/s ÷ same-size copy kernel; [highest] = accuracy=\"highest\"", ""]
    w = max([26, *(len(_label(a)) + 2 for a in result["activations"])])
    head = (f"{'activation':<{w}}{'dtype':<9}{'size':>5} {'mode':<5}{'pass':<8}{'ours µs':>10}{'base µs':>10}"
            f"{'ratio':>7}{'[min':>6}{'max]':>6}{'call':>7}{'roof':>6}{'base':>6}  {'compile ms o/b':>14}")
    lines.append(head)
    for a in result["activations"]:
        for r in a["rows"]:
            k, p = r["in_kernel"], r["per_call"]
            lines.append(
                f"{_label(a):<{w}}{a['dtype']:<9}{'2^' + str(r['log2']):>5} {r['mode']:<5}{r['pass_']:<8}"
                f"{k['ours']['median'] * 1e6:>10.1f}{k['base']['median'] * 1e6:>10.1f}"
                f"{k['ratio']['median']:>7.2f}{k['ratio']['min']:>6.2f}{k['ratio']['max']:>6.2f}"
                f"{p['ratio']['median']:>7.2f}{k['ours']['roofline']:>6.0%}{k['base']['roofline']:>6.0%}"
                f"  {p['compile_s']['ours'] * 1e3:>6.0f}/{p['compile_s']['base'] * 1e3:<6.0f}")
    lines += ["", f"{'activation':<{w}}{'dtype':<9}{'baseline':<26}{'saved B/elem ours':>18}{'base':>7}"]
    for a in result["activations"]:
        s = a["saved"]
        lines.append(f"{_label(a):<{w}}{a['dtype']:<9}{a['baseline']:<26}"
                     f"{s['ours']['bytes_per_element']:>18.2f}{s['base']['bytes_per_element']:>7.2f}")
    lines += ["", *summary(result)]
    models = result.get("models", [])
    if models:
        lines += ["", "Training steps (SGD, compiled): step time as paired ratio; temp MiB from memory_analysis(); "
                  "B/elem = (temp − identity model's temp) / activation elements",
                  f"{'activation':<{w}}{'dtype':<9}{'model':<34}{'ours ms':>9}{'base ms':>9}{'ratio':>7}"
                  f"{'temp MiB ours':>15}{'base':>8}{'ident':>8}{'B/elem ours':>12}{'base':>7}"]
        for m in models:
            mem, marg = m["memory"], m.get("marginal_bytes_per_element", {})
            model = ("flax " if m["model"] == "flax" else "") + m.get("shape", m["model"])
            lines.append(
                f"{_label(m):<{w}}{m['dtype']:<9}{model:<34}{m['step']['ours']['median'] * 1e3:>9.2f}"
                f"{m['step']['base']['median'] * 1e3:>9.2f}{m['step']['ratio']['median']:>7.2f}"
                f"{mem['ours'].get('temp_bytes', 0) / 2**20:>15.2f}{mem['base'].get('temp_bytes', 0) / 2**20:>8.2f}"
                f"{mem['identity'].get('temp_bytes', 0) / 2**20:>8.2f}"
                f"{marg.get('ours', float('nan')):>12.2f}{marg.get('base', float('nan')):>7.2f}")
    if result.get("losses"):
        lines += loss_table(result["losses"])
    return "\n".join(lines)


def summary(result: dict) -> list[str]:
    """Headline per level: fwd+bwd at the largest size, every row where jax_act is slower,
    and every model step that needs more memory than the baseline's."""
    out = []
    acts = result["activations"]
    for level in sorted({a.get("level", "default") for a in acts}):
        mine = [a for a in acts if a.get("level", "default") == level and a["rows"]]
        if not mine:
            continue
        top = max(r["size"] for a in mine for r in a["rows"])
        for pass_ in ("fwd", "fwd+bwd"):
            head = [r for a in mine for r in a["rows"] if r["size"] == top and r["mode"] == "jit" and r["pass_"] == pass_]
            if head:
                ratios = [r["in_kernel"]["ratio"]["median"] for r in head]
                out.append(f"[{level}] {pass_} at 2^{int(math.log2(top))} (jit, in kernel): geometric mean ratio "
                           f"{math.exp(statistics.mean(map(math.log, ratios))):.2f} over {len(head)} activations; "
                           f"jax_act ≥ 80% of copy roofline for {sum(r['in_kernel']['ours']['roofline'] >= 0.8 for r in head)}, "
                           f"baseline for {sum(r['in_kernel']['base']['roofline'] >= 0.8 for r in head)}")
        slow = [(a["name"], a["dtype"], r) for a in mine for r in a["rows"] if r["in_kernel"]["ratio"]["median"] > 1.0]
        out.append(f"[{level}] rows where jax_act is slower in kernel (ratio > 1.00): {len(slow)} of "
                   f"{sum(len(a['rows']) for a in mine)}; with the per-call ratio also > 1.05:")
        for name, dtype, r in sorted(slow, key=lambda t: -t[2]["in_kernel"]["ratio"]["median"]):
            if r["per_call"]["ratio"]["median"] > 1.05:
                out.append(f"  {name} {dtype} 2^{r['log2']} {r['mode']} {r['pass_']}: in kernel "
                           f"{r['in_kernel']['ratio']['median']:.2f}, per call {r['per_call']['ratio']['median']:.2f}")
        more = [f"{a['name']} {a['dtype']} ({a['saved']['ours']['bytes_per_element']:.2f} vs "
                f"{a['saved']['base']['bytes_per_element']:.2f})" for a in mine
                if a["saved"]["ours"]["bytes_per_element"] > a["saved"]["base"]["bytes_per_element"]]
        out.append(f"[{level}] keeps more bytes/element for the backward pass than the baseline: " + (", ".join(more) or "none"))
    for level in sorted({m.get("level", "default") for m in result.get("models", [])}):
        mine = [m for m in result["models"] if m.get("level", "default") == level]
        worse = [f"{m['name']} {m['dtype']} {m.get('shape', m['model'])} ({m['memory']['ours']['temp_bytes'] / 2**20:.2f} vs "
                 f"{m['memory']['base']['temp_bytes'] / 2**20:.2f} MiB)" for m in mine
                 if m["memory"].get("ours", {}).get("temp_bytes", 0) > m["memory"].get("base", {}).get("temp_bytes", 0)]
        slower = [m for m in mine if m["step"]["ratio"]["median"] > 1.0]
        ratios = [m["step"]["ratio"]["median"] for m in mine]
        out.append(f"[{level}] model steps: {len(mine)}, geometric mean step-time ratio "
                   f"{math.exp(statistics.mean(map(math.log, ratios))):.2f}, {len(slower)} slower than the baseline; "
                   f"more temp memory than the baseline: " + (", ".join(worse) or "none"))
    return out


def markdown(result: dict) -> str:
    """One line per activation and level at the largest size (jit): the README's results table."""
    acts = result["activations"]
    top = max(r["size"] for a in acts for r in a["rows"])
    models = {}
    for m in result.get("models", []):
        models.setdefault((m["name"], m["dtype"], m.get("level", "default")), []).append(m)
    lines = ["| activation | level | baseline | fwd ratio | fwd+bwd ratio | saved B/elem ours / base | "
             "model steps: temp ≤ base | model step ratio (max) |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for a in acts:
        row = {r["pass_"]: r for r in a["rows"] if r["size"] == top and r["mode"] == "jit"}
        fwd, fb = row.get("fwd"), row.get("fwd+bwd")
        ms = [m for m in models.get((a["name"], a["dtype"], a.get("level", "default")), []) if m["memory"].get("ours")]
        cell = lambda r: f"{r['in_kernel']['ratio']['median']:.2f} ({r['per_call']['ratio']['median']:.2f})" if r else "–"  # noqa: E731
        sv = a["saved"]
        ok = sum(m["memory"]["ours"]["temp_bytes"] <= m["memory"]["base"]["temp_bytes"] for m in ms)
        lines.append(
            f"| {a['name']} | {a.get('level', 'default')} | {a['baseline']} | {cell(fwd)} | {cell(fb)} | "
            f"{sv['ours']['bytes_per_element']:.2f} / {sv['base']['bytes_per_element']:.2f} | "
            + (f"{ok} of {len(ms)} | {max(m['step']['ratio']['median'] for m in ms):.2f} |" if ms else "– | – |"))
    return "\n".join(lines)


def chart(result: dict, path: str) -> bool:
    """The jax_act / baseline time ratio (in kernel, plain jit; below 1: jax_act faster): a
    summary panel at the largest size, one marker per activation and pass, then one panel per
    activation against size. Markers, so that a run at one size (``--quick``) shows too."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    acts = result["activations"]
    if not acts:
        return False
    passes = (("fwd", "x", "C1"), ("fwd+bwd", "o", "C0"))
    cols = 6
    rows_n = -(-len(acts) // cols)
    fig = plt.figure(figsize=(2.6 * cols, 3.2 + 1.9 * rows_n))
    grid = fig.add_gridspec(rows_n + 1, cols, height_ratios=[1.7] + [1] * rows_n)
    top = fig.add_subplot(grid[0, :])
    for pass_, marker, colour in passes:
        xs, ys = [], []
        for i, a in enumerate(acts):
            rs = [r for r in a["rows"] if r["mode"] == "jit" and r["pass_"] == pass_]
            if rs:
                xs.append(i)
                ys.append(max(rs, key=lambda r: r["size"])["in_kernel"]["ratio"]["median"])
        top.plot(xs, ys, marker, color=colour, label=pass_)
    top.axhline(1.0, color="grey", lw=0.8)
    top.set_xticks(range(len(acts)), [f"{_label(a)} {a['dtype']}" for a in acts], rotation=90, fontsize=6)
    top.set_ylabel("time ratio jax_act / baseline")
    top.set_title("at the largest size, in kernel, jit (below 1: jax_act faster)", fontsize=9)
    top.legend(fontsize=7)
    for k, a in enumerate(acts):
        ax = fig.add_subplot(grid[1 + k // cols, k % cols])
        for pass_, marker, colour in passes:
            rs = sorted((r for r in a["rows"] if r["mode"] == "jit" and r["pass_"] == pass_), key=lambda r: r["size"])
            if rs:
                ax.plot([r["log2"] for r in rs], [r["in_kernel"]["ratio"]["median"] for r in rs], "-" + marker,
                        color=colour, ms=4, lw=0.8, label=pass_)
        ax.axhline(1.0, color="grey", lw=0.8)
        ax.set_title(f"{_label(a)} {a['dtype']}", fontsize=7)
        ax.set_xlabel("log2 size", fontsize=6)
        ax.tick_params(labelsize=6)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)
    return True


