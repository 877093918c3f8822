"""Least squares in mpmath, so that a fit is the same on every machine (numpy's polyfit goes
through the local BLAS, whose last digits depend on the CPU)."""
import mpmath as mp


def chebyshev_nodes(lo: float, hi: float, n: int) -> list:
    """``n`` Chebyshev nodes of [lo, hi], in mpmath."""
    return [mp.mpf(lo + hi) / 2 + mp.mpf(hi - lo) / 2 * mp.cos(mp.pi * (k + mp.mpf(1) / 2) / n) for k in range(n)]


def polyfit(t: list, y: list, degree: int, w: list) -> tuple[float, ...]:
    """Coefficients (lowest first) of the degree-``degree`` polynomial minimizing
    Σ (w·(P(t) − y))², solved by QR in the current mpmath precision, rounded to float."""
    a = mp.matrix([[wi * ti**j for j in range(degree + 1)] for ti, wi in zip(t, w)])
    b = mp.matrix([wi * yi for yi, wi in zip(y, w)])
    c, _ = mp.qr_solve(a, b)
    return tuple(float(v) for v in c)


def polyval(c: tuple[float, ...], t) -> mp.mpf:
    return sum(mp.mpf(ci) * t**j for j, ci in enumerate(c))
