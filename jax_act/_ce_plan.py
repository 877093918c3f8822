r"""How the fused output layer walks its logits: the plan, from a cost model per backend and dtype.

A plan cuts the ``N × V`` logits of ``hidden @ weight`` into pieces that never exist whole:
chunks of ``T`` tokens, each against ``Vc`` vocabulary columns at a time.

* **token-major**, ``Vc = V``: each chunk's logits give its loss and, in the same pass, its
  share of the three gradients — three matmuls, as the unfused step — and ``dW += xᵀ dz`` reads
  and writes the whole ``dW`` once per chunk;
* with ``Vc < V`` each token chunk takes two passes (the log-sum-exp, then the gradients: a
  fourth matmul) and ``dx`` is added to once per vocabulary block; with one token chunk
  (``T = N``) this is **vocabulary-major** order: each block of ``dW`` is written once, and the
  hidden-sized ``dx`` is the accumulator. It wins where ``N·H`` is small beside ``H·V``.

The cost model, in seconds:

.. math::
    t = a\,N H V m + (b + e\,s)\,N V p + c\,\bigl(C\,H V + B\,N H\bigr) + d\,K,
    \qquad s = 1 + \log_2 (4 T V_c / S) \text{ where } 4 T V_c \ge S, \text{ else } 0

* ``a·NHV·m``: the matmuls, ``m`` = 3 (one pass) or 4 (two passes);
* ``b·NV·p``: the passes over the logits (exponentials, the gradient), ``p`` = 1 or 2;
  ``e·s`` more where one chunk's float32 logits reach ``S`` bytes (:data:`SPILL`, 64 MiB),
  and as much again for each doubling past it (on CPU, passes over chunks that size ran at half
  the speed, and 128k-wide chunks slower still);
* ``c·(C·HV + B·NH)``: what is read and written whole per piece — the float32 ``dW``
  accumulator once per token chunk (``C`` chunks), and with the vocabulary split the ``dx``
  accumulator once per vocabulary block (``B`` blocks). Thin chunks also run their matmuls
  below full efficiency, which this term absorbs (the constants are fitted together);
* ``d·K``: the fixed cost of each of ``K`` loop steps (launches, the loop itself).

Memory, in bytes: ``2·T·Vc·4``, a chunk's float32 logits and their gradient (as measured), plus
``4·H·V`` for the float32 ``dW`` accumulator when the weights are 16-bit (stated apart: no plan
avoids it). The unfused step keeps ``N·V·(4 + 4)``, the float32 logits and their gradient
(``4 + 2`` for 16-bit inputs).

``chunking="fast"`` (the default) takes, among the plans keeping at most half of the unfused
step's bytes, the least memory whose predicted time is within 5% of the fastest.
``chunking="lean"`` takes the fastest plan keeping at most 1/32 of the unfused step's bytes
(1/20 as measured, with XLA's own buffers) and no more than the ``"fast"`` plan, or, where none
does, the least memory.
``chunk_budget`` (bytes of chunk work arrays) takes the fastest plan within it; ``chunk_size``
(tokens, or ``(tokens, vocabulary columns)``) is taken as it is. The precedence is
``chunk_size``, then ``chunk_budget``, then ``chunking``; giving two of them is an error.

The constants are fitted (nonnegative least squares, relative error) to measured steps: the
GPU's to one H200 (bench/results/gpu-losses-chunking.txt), the CPU's to this project's 2-core
CPU (bench/results/cpu-loss-plans.txt, by tools/fit_loss_plan.py; run to run, its step times
move by about 5%). A TPU uses the GPU's until measured.
"""

from __future__ import annotations

import dataclasses
import math
from typing import NamedTuple

import jax
import jax.numpy as jnp

CHUNKINGS = ("fast", "lean")
MIN_TOKENS = 8  # the thinnest token chunk
MIN_COLUMNS = 128  # the narrowest vocabulary chunk or block
SPILL = 2**26  # bytes of one chunk's float32 logits from which (CPU) passes over them slow down
WORK = 2  # float32 arrays of one chunk's size alive at once (measured: the logits and dz)
FAST_SLACK = 1.05  # "fast": within 5% of the fastest predicted time
FAST_CAP = 1 / 2  # "fast": at most half of the unfused step's bytes
LEAN_CAP = 1 / 32  # "lean": at most 1/32 of the unfused step's bytes


@dataclasses.dataclass(frozen=True)
class Costs:
    """The cost model's constants (seconds): matmul work, passes over the logits, a piece's
    accumulator traffic, a loop step, and passes over chunks too large for the caches."""

    matmul: float
    elementwise: float
    per_piece: float
    per_step: float
    spill: float = 0.0  # more per logit and pass where a chunk's logits reach SPILL bytes


# fitted (nonnegative least squares) to the measured steps named in the module doc
COSTS: dict[tuple[str, str], Costs] = {
    ("gpu", "float32"): Costs(6.55e-15, 5.72e-13, 6.00e-12, 8.02e-5),
    ("gpu", "16-bit"): Costs(2.08e-15, 2.92e-12, 5.30e-12, 5.46e-5),
    ("cpu", "float32"): Costs(1.15e-11, 5.22e-10, 2.72e-9, 3.35e-3, 1.16e-9),
    ("cpu", "16-bit"): Costs(1.72e-11, 1.66e-9, 3.93e-9, 1.46e-3, 1.27e-9),
}


class Plan(NamedTuple):
    """How the walk is cut: ``chunks`` chunks of ``tokens`` tokens (covering ``padded`` ≥ the
    token count), each against ``vocab`` columns at a time (the whole vocabulary: one pass;
    fewer: two passes; one token chunk in vocabulary blocks is vocabulary-major order).
    ``block``: columns per ``dW`` update when the vocabulary is one chunk. ``seconds``,
    ``bytes`` and ``accumulator``: the model's predicted time, chunk work bytes and float32
    ``dW`` accumulator bytes (16-bit weights); ``why``: what was chosen, and why."""

    tokens: int
    chunks: int
    padded: int
    vocab: int
    block: int
    seconds: float = 0.0
    bytes: int = 0
    accumulator: int = 0
    why: str = ""


def _kind(dtype: str) -> str:
    return "float32" if jnp.dtype(dtype).itemsize >= 4 else "16-bit"


def costs(backend: str, dtype: str) -> Costs:
    return COSTS[("cpu" if backend == "cpu" else "gpu", _kind(dtype))]


def unfused_bytes(n: int, v: int, dtype: str) -> int:
    """What the unfused step keeps: the float32 logits (or 16-bit) and their gradient."""
    return n * v * (4 + (4 if _kind(dtype) == "float32" else 2))


def _token_plan(n: int, v: int, h: int, t: int, vc: int) -> tuple[int, int, int, int, int]:
    """``(tokens, chunks, padded, vocab, block)`` for ``t`` tokens and ``vc`` columns per chunk:
    a chunk count dividing ``n`` where one is near (then nothing is padded and a sharded batch
    stays whole); ``dW`` updated a block of columns at a time, each block's product a chunk's size."""
    t, vc = max(1, min(int(t), n)), max(1, min(int(vc), v))
    chunks = -(-n // t)
    for c in range(chunks, min(2 * chunks, n) + 1):
        if n % c == 0:
            chunks = c
            break
    t = -(-n // chunks)
    # never the whole weight in one product: that is a weight-sized temporary added to dW
    block = min(v, max(MIN_COLUMNS, min(v // 2, t * vc // h // 128 * 128)))
    return t, chunks, t * chunks, vc, block


def terms(n: int, h: int, v: int, t: int, vc: int, chunks: int) -> tuple[float, ...]:
    """What each constant of :class:`Costs` multiplies, for a plan of ``chunks`` chunks of ``t``
    tokens and ``vc`` vocabulary columns (the fit in tools/fit_loss_plan.py uses the same)."""
    two = vc < v
    pieces = -(-v // vc)
    steps = chunks * pieces * (2 if two else 1)
    # per token chunk the dW accumulator; with the vocabulary split, per vocabulary chunk the
    # token chunk's dx accumulator too (one token chunk split by vocabulary: vocabulary-major)
    traffic = chunks * h * v + (pieces * n * h if two else 0)
    passes = n * v * (2 if two else 1)  # logits computed, over all chunks
    # each doubling of a chunk's logits past SPILL bytes costs as much again per logit
    spill = math.log2(4 * t * vc / SPILL) + 1 if 4 * t * vc >= SPILL else 0.0
    return n * h * v * (4 if two else 3), passes, traffic, steps, passes * spill


def _predict(n: int, h: int, v: int, t: int, vc: int, chunks: int, dtype: str, k: Costs) -> tuple[float, int, int]:
    """``(seconds, work bytes, accumulator bytes)`` of a plan of ``chunks`` chunks of ``t``
    tokens and ``vc`` vocabulary columns."""
    seconds = sum(c * x for c, x in zip(dataclasses.astuple(k), terms(n, h, v, t, vc, chunks)))
    accumulator = 4 * h * v if _kind(dtype) != "float32" else 0  # float32 dW beside 16-bit weights
    return seconds, WORK * t * vc * 4, accumulator


def _candidates(n: int, v: int, h: int, dtype: str, k: Costs) -> list[Plan]:
    powers = [2**i for i in range(3, 31)]
    out = []
    for t in sorted({*(p for p in powers if MIN_TOKENS <= p < n), n}):
        for vc in sorted({*(p for p in powers if MIN_COLUMNS <= p < v), v}):
            tt, chunks, padded, vv, block = _token_plan(n, v, h, t, vc)
            s, work, acc = _predict(n, h, v, tt, vv, chunks, dtype, k)
            out.append(Plan(tt, chunks, padded, vv, block, s, work, acc))
    return out


def _describe(p: Plan, n: int, v: int, dtype: str, reason: str) -> Plan:
    if p.vocab < v and p.chunks == 1:
        shape = f"vocabulary-major: blocks of {p.vocab} columns against all {n} tokens, two passes"
    elif p.vocab < v:
        shape = f"token-major: {p.chunks} chunks of {p.tokens} tokens, each in blocks of {p.vocab} columns, two passes"
    else:
        shape = f"token-major: {p.chunks} chunk{'s' if p.chunks > 1 else ''} of {p.tokens} tokens against the whole vocabulary, one pass"
    unfused = unfused_bytes(n, v, dtype)
    acc = f", plus the float32 dW accumulator's {p.accumulator / 2**20:.1f} MiB" if p.accumulator else ""
    return p._replace(why=f"{shape}; {reason}; predicted {p.seconds * 1e3:.3g} ms, keeps {p.bytes / 2**20:.1f} MiB "
                          f"({p.bytes / unfused:.3g} of the unfused step's {unfused / 2**20:.0f} MiB){acc}")


def plan(n_tokens: int, vocab: int, hidden: int = 1, chunk_size: int | tuple[int, int] | None = None,
         budget: int | None = None, *, dtype: str = "float32", chunking: str = "fast",
         backend: str | None = None) -> Plan:
    """The plan for ``n_tokens`` tokens, a vocabulary of ``vocab`` and a hidden size of
    ``hidden``, for ``dtype`` inputs on ``backend`` (default: JAX's): see the module doc."""
    n, v, h = max(int(n_tokens), 1), max(int(vocab), 1), max(int(hidden), 1)
    k = costs(backend or jax.default_backend(), dtype)
    if chunk_size is not None:
        t, vc = chunk_size if isinstance(chunk_size, tuple) else (chunk_size, v)
        tt, chunks, padded, vv, block = _token_plan(n, v, h, t, vc)
        return _describe(Plan(tt, chunks, padded, vv, block, *_predict(n, h, v, tt, vv, chunks, dtype, k)), n, v, dtype,
                         f"chunk_size={chunk_size!r} as given")
    options = _candidates(n, v, h, dtype, k)
    if budget is not None:
        fits = [p for p in options if p.bytes <= budget]
        fits = fits or [min(options, key=lambda p: p.bytes)]
        return _describe(min(fits, key=lambda p: p.seconds), n, v, dtype, f"the fastest within chunk_budget={budget}")
    unfused = unfused_bytes(n, v, dtype)
    capped = [p for p in options if p.bytes <= FAST_CAP * unfused] or options
    best = min(p.seconds for p in capped)
    fast = min((p for p in capped if p.seconds <= FAST_SLACK * best), key=lambda p: (p.bytes, p.seconds))
    if chunking == "fast":
        return _describe(fast, n, v, dtype, "fast: the least memory within 5% of the fastest plan keeping at most half the unfused bytes")
    # lean never keeps more than fast (where fast is itself below the cap, it is the lean plan too)
    small = [p for p in options if p.bytes <= min(LEAN_CAP * unfused, fast.bytes)]  # the accumulator apart
    if small:
        return _describe(min(small, key=lambda p: p.seconds), n, v, dtype,
                         "lean: the fastest keeping at most 1/32 of the unfused bytes and no more than the fast plan")
    return _describe(min(options, key=lambda p: (p.bytes, p.seconds)), n, v, dtype, "lean: the least memory")
