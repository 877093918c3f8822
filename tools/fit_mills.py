"""Fit the polynomial jax_act's float32 exact gelu' uses below its root band, with mpmath.

gelu'(x) = Φ(x) + x·φ(x) cancels for x < 0 (two-fold at x = −1.6), and float32 erfc loses
up to x²/2 ulps of Φ to the rounding of its own x², so the sum was 5.5 ulps off. Below the
root band jax_act writes it as φ(x)·(x + m(−x)), m(t) = Φ(−t)/φ(t) the Mills ratio, with m
a polynomial in t − 4.65 of degree 14 fitted here (least squares, relative weight) at
Chebyshev nodes of [1.3, 8] in 40-digit arithmetic: within 2.4e-8 of m, a fraction of an
ulp of x + m. (Below −8 the asymptotic series of m takes over.) Run:

    python tools/fit.py        # needs mpmath; rewrites jax_act/_kernels/fitted.py
"""
import mpmath as mp

from fit_lsq import chebyshev_nodes, polyfit, polyval

LO, HI, CENTER, DEGREE, NODES = 1.3, 8.0, 4.65, 14, 500


def mills(t):
    t = mp.mpf(t)
    return mp.erfc(t / mp.sqrt(2)) / 2 / (mp.exp(-t * t / 2) / mp.sqrt(2 * mp.pi))


def fit() -> tuple[str, tuple[float, ...]]:
    """(comment, P's coefficients)."""
    mp.mp.dps = 40
    t = chebyshev_nodes(LO, HI, NODES)
    m = [mills(v) for v in t]
    c = polyfit([v - CENTER for v in t], m, DEGREE, w=[1 / v for v in m])
    grid = [LO + (HI - LO) * i / 4000 for i in range(4001)]
    worst = max(abs(polyval(c, mp.mpf(v) - CENTER) / mills(v) - 1) for v in grid)
    return f"m(t) ≈ P(t − {CENTER}) on [{LO}, {HI}], within {float(worst):.1e} of m", c
