"""Fused output layer plans against the unfused step, interleaved round-robin (CPU-sized).

    python bench/loss_plans.py N,H,V DTYPE ROUNDS "fast 256 1024 2048,2048" [--json PATH]

Every round times the unfused step (``hidden @ weight`` with float32 accumulation → optax →
mean) and each plan once, the order reversed every other round; a plan's ratio is the median
over rounds of its time over the same round's unfused time. A plan is ``fast`` or ``lean``
(``chunking=``), a token count, or ``tokens,columns`` (``chunk_size=``), as ``jax-act bench
--loss-chunks`` takes them. Temp bytes are the compiled steps' ``memory_analysis()``, as a
share of the unfused step's.
"""

from __future__ import annotations

import json
import statistics
import sys
import time

import jax

from jax_act import losses
from jax_act.tools.loss_bench import loss_inputs, loss_step, step_memory, unfused_step, variant_keywords


def main(argv: list[str]) -> None:
    (n, h, v), dtype, rounds, plans = [int(a) for a in argv[0].split(",")], argv[1], int(argv[2]), argv[3].split()
    x, w, y = loss_inputs((n, h, v), dtype)
    steps = {"unfused": unfused_step(y)}
    for p in plans:
        steps[p] = loss_step(lambda x, w, kw=variant_keywords(p):
                             losses.linear_softmax_cross_entropy_with_integer_labels(x, w, y, **kw))
    temp = {k: step_memory(f, x, w)["temp_bytes"] for k, f in steps.items()}
    for f in steps.values():
        jax.block_until_ready(f(x, w))
    times: dict[str, list[float]] = {k: [] for k in steps}
    names = list(steps)
    for r in range(rounds):
        for k in names if r % 2 == 0 else names[::-1]:
            t = time.perf_counter()
            jax.block_until_ready(steps[k](x, w))
            times[k].append(time.perf_counter() - t)
    rows = []
    for k in plans:
        ratios = [a / b for a, b in zip(times[k], times["unfused"])]
        row = dict(dtype=dtype, shape=[n, h, v], plan=k, ratio=statistics.median(ratios), min=min(ratios),
                   max=max(ratios), ms=1e3 * statistics.median(times[k]),
                   unfused_ms=1e3 * statistics.median(times["unfused"]), temp_share=temp[k] / temp["unfused"])
        if k in ("fast", "lean"):
            p = losses.linear_softmax_cross_entropy_plan(n, h, v, dtype, chunking=k)
            row["walk"] = f"{p.chunks}x{p.tokens}x{p.vocab}"
        rows.append(row)
        print(f"{dtype:9} {n}x{h}x{v} {k:>10} {row.get('walk', ''):>14}  ratio {row['ratio']:.3f} "
              f"[{row['min']:.2f}, {row['max']:.2f}]  {row['ms']:.0f} vs {row['unfused_ms']:.0f} ms  "
              f"temp {row['temp_share']:.3f}", flush=True)
    if "--json" in argv:
        with open(argv[argv.index("--json") + 1], "a") as fh:
            for row in rows:
                fh.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
