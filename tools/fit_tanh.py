"""Fit the polynomial jax_act's float32 tanh uses on |x| < 0.55, with mpmath.

tanh x = x + x·s·Q(s), s = x², Q of degree 5 fitted (least squares, relative weight) at
Chebyshev nodes of [0, 0.55²] in 40-digit arithmetic: Q's error is below 3e-11 relative to
tanh x, a thousandth of a float32 ulp. (Past 0.55, tanh x ≥ ½ and 1 − 2/(e^2x + 1) is
within an ulp.) Run:

    python tools/fit.py        # needs mpmath; rewrites jax_act/_kernels/fitted.py
"""
import mpmath as mp

from fit_lsq import chebyshev_nodes, polyfit, polyval

CUT, DEGREE, NODES = 0.55, 5, 400


def fit() -> tuple[str, tuple[float, ...]]:
    """(comment, Q's coefficients)."""
    mp.mp.dps = 40
    s = chebyshev_nodes(0, CUT * CUT, NODES)
    q = [(mp.tanh(mp.sqrt(v)) - mp.sqrt(v)) / mp.sqrt(v) ** 3 for v in s]
    c = polyfit(s, q, DEGREE, w=s)
    worst = max(abs((polyval(c, v) - qv) * v) for v, qv in zip(s, q))
    return f"(tanh x − x)/x³ ≈ Q(x²) on |x| < {CUT}, within {float(worst):.1e} of tanh x", c
