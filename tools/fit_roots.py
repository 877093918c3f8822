"""Fit the polynomials jax_act uses for f' near a root of f' (float32), with mpmath.

Near a root x₀ of f', f' is a difference of terms of similar size and loses every digit it
cancels: silu' = σ(x)(1 + xσ(−x)) at x₀ ≈ −1.278 is off by thousands of float32 ulps. There
jax_act can evaluate f'(x) = d·P(d), d = x − x₀ (exact in float32 with x₀ = hi + lo, Sterbenz),
P a polynomial fitted here at Chebyshev nodes of [−w, w] in 60-digit arithmetic. Run:

    python tools/fit.py        # needs mpmath; rewrites jax_act/_kernels/fitted.py

Each float32 root comes with a float64 one, fitted to 2⁻⁵⁶ on ±0.1 of the root, where
float64's direct formula is thousands of its ulps off too.

mish, silu, quick_gelu and both gelu forms use it. The band's select and 7-9 multiply-adds
cost time on XLA:CPU, where these kernels are compute-bound (on a GPU they are memory-bound):
silu's forward+backward goes from 1.04-1.09 to 1.2-1.3x jax.nn's (bench/README.md). The
widths: 0.3; 0.36 for mish, whose one-denominator form (x < -0.4) is still 4.6 ulps off at
x = -0.86; 0.56 for gelu, whose terms still cancel 2-3 fold where f' falls below 1/8 at
x = -1.27; 0.18 for quick_gelu, 0.3 of silu's z = 1.702x.
"""
import mpmath as mp
import numpy as np

mp.mp.dps = 60  # before the constants below
C = mp.sqrt(2 / mp.pi)
K = mp.mpf("0.044715")


def _sig(z):
    return 1 / (1 + mp.exp(-z))


def silu(x):
    s = _sig(x)
    return s * (1 + x * (1 - s))


def quick_gelu(x):
    z = mp.mpf("1.702") * x
    s = _sig(z)
    return s * (1 + z * (1 - s))


def mish(x):
    t = mp.tanh(mp.log1p(mp.exp(x)))
    return t + x * (1 - t * t) * _sig(x)


def gelu_exact(x):
    return mp.ncdf(x) + x * mp.npdf(x)


def gelu_tanh(x):
    s = _sig(2 * C * (x + K * x**3))
    return s + x * s * (1 - s) * 2 * C * (1 + 3 * K * x * x)


# name: (f', a guess of the root, the half-width of the band)
FUNCTIONS = {
    "silu": (silu, -1.28, 0.3),
    "quick_gelu": (quick_gelu, -0.75, 0.18),
    "mish": (mish, -1.19, 0.36),
    "gelu_exact": (gelu_exact, -0.75, 0.56),
    "gelu_tanh": (gelu_tanh, -0.75, 0.56),
}
# float64 keeps the direct formula's error in float64 ulps, a few outside ±0.1 of the root
WIDTH_FLOAT64 = 0.1


def fit(fp, guess, width, dtype=np.float32):
    mp.mp.dps = 60
    tol = 2.0**-28 if dtype == np.float32 else 2.0**-56
    x0 = mp.findroot(fp, mp.mpf(guess))
    hi = dtype(float(x0))
    lo = dtype(float(x0 - mp.mpf(float(hi))))
    root = mp.mpf(float(hi)) + mp.mpf(float(lo))  # the root as the dtype computes d from it

    def p(d):
        return fp(root + d) / d if d != 0 else mp.diff(fp, root)

    for degree in range(2, 20):
        nodes = [width * mp.cos(mp.pi * (k + mp.mpf(1) / 2) / (degree + 1)) for k in range(degree + 1)]
        vander = mp.matrix([[t**j for j in range(degree + 1)] for t in nodes])
        coeffs = mp.lu_solve(vander, mp.matrix([p(t) for t in nodes]))
        grid = [width * (2 * mp.mpf(i) / 400 - 1) for i in range(401)]
        worst = max(abs(sum(coeffs[j] * t**j for j in range(degree + 1)) / p(t) - 1) for t in grid if t != 0)
        if worst < tol:
            break
    c0_hi = dtype(float(coeffs[0]))
    c0_lo = dtype(float(coeffs[0] - mp.mpf(float(c0_hi))))
    rest = [float(dtype(float(c))) for c in coeffs[1:]]
    return float(x0), hi, lo, c0_hi, c0_lo, rest, degree, float(worst)


def fit_all() -> dict[str, tuple[str, dict, dict]]:
    """name: (comment, float32 root, float64 root), each root as the fields of ``Root``."""
    out = {}
    for name, (fp, guess, width) in FUNCTIONS.items():
        pair = []
        for dtype, w in ((np.float32, width), (np.float64, WIDTH_FLOAT64)):
            x0, hi, lo, c0_hi, c0_lo, rest, degree, worst = fit(fp, guess, w, dtype)
            pair.append((f"{np.dtype(dtype).name} degree {degree}, fit error {worst:.2g}",
                         dict(hi=float(hi), lo=float(lo), width=w, p0=(float(c0_hi), float(c0_lo)), p=tuple(rest))))
        out[name] = (f"{name}'(x0) = 0 at x0 = {x0:.10g}; " + "; ".join(c for c, _ in pair), pair[0][1], pair[1][1])
    return out
