"""Fit the polynomial jax_act's float32 tanh uses on |x| < 0.55, with mpmath.

tanh x = x + x·s·Q(s), s = x², Q of degree 5 fitted (least squares, relative weight) at
Chebyshev nodes of [0, 0.55²] in 40-digit arithmetic: Q's error is below 3e-11 relative to
tanh x, a thousandth of a float32 ulp. (Past 0.55, tanh x ≥ ½ and 1 − 2/(e^2x + 1) is
within an ulp.) Run:

    python tools/fit.py        # needs mpmath; rewrites jax_act/_kernels/fitted.py
"""
import mpmath as mp
import numpy as np

CUT, DEGREE, NODES = 0.55, 5, 400


def fit() -> tuple[str, tuple[float, ...]]:
    """(comment, Q's coefficients)."""
    mp.mp.dps = 40
    k = np.arange(NODES)
    s = CUT * CUT * (1 - np.cos(np.pi * (k + 0.5) / NODES)) / 2
    x = [mp.sqrt(mp.mpf(float(v))) for v in s]
    q = np.array([float((mp.tanh(v) - v) / v**3) for v in x])
    c = np.polynomial.polynomial.polyfit(s, q, DEGREE, w=s)
    worst = np.max(np.abs((np.polynomial.polynomial.polyval(s, c) - q) * s))
    return f"(tanh x − x)/x³ ≈ Q(x²) on |x| < {CUT}, within {worst:.1e} of tanh x", tuple(float(v) for v in c)
