"""Numerics that are not the formula itself: the kernels of ``accuracy="highest"``.

The declarations (one module per family: ``_sigmoidal.py``, ``_smooth_rectifiers.py``, ...)
state each activation's formula and closed-form derivative; where the highest level computes
them with more care than the formula as written, the care is here, with its error bound. Every kernel below is used by
the ``highest`` level only, except where its docstring says ``default`` too. Fitted constants
come from ``fitted.py``, which ``tools/fit.py`` generates.

* double-float arithmetic (``split``, ``two_product``, ``two_sum``, ``constant``, ``times``):
  exact products and sums (Dekker, Knuth), so an exponential's argument is carried to ~48 bits;
* ``expm1``, ``tanh``: float32 eᵗ − 1 and tanh within about an ulp (XLA's: 5.4 and 4.6 ulps);
* ``sigmoid_pair``, ``logistic_and_complement``: σ(t) and σ(−t) from one exponential, both
  to full relative precision;
* ``Root``, ``near_root``: f' within a band around its root as (x − x₀)·P(x − x₀), fitted;
* ``normal_parts``: φ and the Mills ratio for exact gelu's left tail;
* the composite derivatives of gelu, silu, quick_gelu, mish and squareplus built on them
  (float32 within 4 ulps wherever f' is a normal float).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import jax.numpy as jnp
import numpy as np
from jax import Array, lax

from . import fitted

SQRT_2_OVER_PI = 0.7978845608028654  # √(2/π)
GELU_CUBIC = 0.044715
SQRT_HALF = 0.7071067811865476  # √½
QUICK_GELU = 1.702
# Beyond these magnitudes every derivative below has rounded to its limit (0 or 1) in float64,
# so clipping the input there changes no result and keeps ±inf out of `inf · 0`.
TAIL = 1000.0
GELU_TAIL = 40.0  # Φ(−40), φ(40) and σ(2u(−40)) underflow float64
MILLS_FROM, MILLS_CENTER, MILLS = fitted.MILLS_FROM, fitted.MILLS_CENTER, fitted.MILLS
TANH_CUT, TANH_SERIES = fitted.TANH_CUT, fitted.TANH_SERIES


def finite(x: Array) -> Array:
    """``x`` with ±inf clipped to ± the largest float (NaN stays NaN): for a formula whose limit at
    ±inf is its value at the largest float, computed without inf/inf or inf − inf."""
    top = jnp.finfo(x.dtype).max
    return jnp.clip(x, -top, top)


def softplus(z: Array) -> Array:
    """log(1 + e^z): jax.nn's ``logaddexp(z, 0)``, term for term (NaN propagates through max)."""
    return jnp.maximum(z, 0) + jnp.log1p(jnp.exp(-jnp.abs(z)))


def sigmoid_pair(t: Array) -> tuple[Array, Array]:
    """(σ(t), σ(−t)), both to full relative precision, from one exp (no 1 − σ cancellation):
    σ(−|t|) = 1/(1 + e^|t|) directly, and σ(|t|) = 1 − σ(−|t|) ≥ ½, rounded once. (Fewer
    roundings than e^−|t|/(1 + e^−|t|): σ(t)σ(−t) within 2.8 ulps in float32, against 4.4.)"""
    small = lax.logistic(-jnp.abs(t))  # σ(−|t|) ≤ ½
    big = 1 - small  # σ(|t|)
    positive = t >= 0
    return jnp.where(positive, big, small), jnp.where(positive, small, big)


def logistic_and_complement(x: Array, lo: Array | float = 0.0) -> tuple[Array, Array]:
    """(σ(x), σ(−x)): σ(x) = 1/(1 + e^−x) term for term as ``lax.logistic`` (so a value
    built on it is jax.nn's, bit for bit), and σ(−x) from the same exp: e^−x σ(x) for x > 0,
    where 1 − σ(x) would cancel. With ``lo``, of x + lo (|lo| ≤ an ulp of x, from
    ``times``)."""
    e = jnp.exp(-x)
    s = 1 / (1 + e)
    sc = jnp.where(x > 0, e * s, 1 - s)
    if isinstance(lo, float):
        return s, sc
    # σ' = σ(x)σ(−x): to first order in lo (e^−x·(1 − lo) instead costs XLA:CPU two more
    # arrays kept per layer inside a model, measured)
    return s * (1 + lo * sc), sc * (1 - lo * s)



# ---- double-float arguments (float32): e^z amplifies z's rounding by |z|, up to 87·2⁻²⁴
# relative at the underflow edge, so the derivatives of gelu and quick_gelu take z as hi + lo.


def split(v: Array) -> tuple[Array, Array]:
    """v = hi + lo with 12 significant bits each in float32 (|v| < 2¹¹⁵), 26 in float64
    (Veltkamp): products of halves are exact. Arithmetic, not a bit mask: XLA:CPU
    materializes a bitcast inside a model's backward pass (4 bytes per element more,
    measured)."""
    t = v * (134217729.0 if v.dtype == jnp.float64 else 4097.0)  # 2²⁷ + 1, 2¹² + 1
    hi = t - (t - v)
    return hi, v - hi


def two_product(a: Array, b: Array) -> tuple[Array, Array | float]:
    """a·b = p + e exactly (Dekker), p the rounded product (float32 and float64; other
    dtypes: e = 0)."""
    p = a * b
    if p.dtype not in (jnp.float32, jnp.float64):
        return p, 0.0
    (ah, al), (bh, bl) = split(a), split(b)
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


def two_sum(a: Array, b: Array) -> tuple[Array, Array]:
    """a + b = s + e exactly (Knuth); a constant operand goes through ``constant``."""
    s = a + b
    v = s - a
    return s, (a - (s - v)) + (b - v)


def constant(c: float) -> tuple[Array, float]:
    """c = hi + lo, hi a float32 behind a barrier (XLA would otherwise fold the constant
    into the expressions that recover the rounding error of c + v or c·v)."""
    hi = float(np.float32(c))
    return lax.optimization_barrier(jnp.float32(hi)), c - hi


def times(c: float, x: Array) -> tuple[Array, Array | float]:
    """c·x = hi + lo: hi is the rounded product, lo its error and c's own (float32; other
    dtypes get lo = 0)."""
    if x.dtype != jnp.float32:
        return c * x, 0.0
    c_hi, c_lo = constant(c)
    p, e = two_product(c_hi, x)
    return p, e + c_lo * x


def gelu_argument(x: Array) -> tuple[Array, Array | float]:
    """2u = x·(k + k·0.044715·x²), k = 2√(2/π), as hi + lo (float32; other dtypes: lo = 0)."""
    k = 2 * SQRT_2_OVER_PI
    if x.dtype != jnp.float32:
        return k * (x + GELU_CUBIC * x**3), 0.0
    x2, x2_lo = two_product(x, x)
    m, m_lo = times(k * GELU_CUBIC, x2)
    k_hi, k_lo = constant(k)
    q, q_lo = two_sum(k_hi, m)
    z, z_lo = two_product(x, q)
    return z, z_lo + x * (q_lo + m_lo + k_lo + k * GELU_CUBIC * x2_lo)


def horner(t: Array, coefficients: tuple[float, ...]) -> Array:
    """c₀ + t·(c₁ + t·(c₂ + …))."""
    p = coefficients[-1]
    for c in reversed(coefficients[:-1]):
        p = c + t * p
    return p



# 1/k!, k = 2 … 12: Taylor through t¹² is exact to 2⁻³⁰ of the result on (−ln 2, ln 3)
EXPM1_TAYLOR = tuple(1 / math.factorial(k) for k in range(2, 13))


def expm1(t: Array) -> Array:
    """eᵗ − 1 within about an ulp in float32, in two thirds of the time of XLA's expm1 (up to
    5.4 ulps off on |t| < ½): t + t²·P(t) on (−ln 2, ln 3), where eᵗ − 1 would lose bits to
    the subtraction, else eᵗ − 1 (eᵗ ≤ ½ or ≥ 3: exp's error stays within an ulp of the
    result). float64 keeps XLA's (within 4 float64 ulps)."""
    if t.dtype == jnp.float64:
        return jnp.expm1(t)
    small = (t > -0.6931471805599453) & (t < 1.0986122886681098)
    u = jnp.where(small, t, 0.0)
    return jnp.where(small, jnp.copysign(u + u * u * horner(u, EXPM1_TAYLOR), u), jnp.exp(t) - 1)  # −0 stays −0





def tanh(x: Array) -> Array:
    """tanh x within about an ulp in float32 (XLA's is up to 4.6 ulps off, and f' = 1 − y²
    inherits that): x + x³Q(x²) on |x| < 0.55, else ±(1 − 2/(e^2|x| + 1)). float64 keeps
    XLA's (float64 ulps, not float32 ones)."""
    if x.dtype == jnp.float64:
        return jnp.tanh(x)
    a = jnp.abs(x)
    small = a < TANH_CUT
    u = jnp.where(small, a, 0.0)
    s = u * u
    big = 1 - 2 / (jnp.exp(2 * a) + 1)  # 1 at a = inf; NaN stays NaN
    return jnp.copysign(jnp.where(small, u + u * s * horner(s, TANH_SERIES), big), x)



class Root(NamedTuple):
    """A root x₀ = hi + lo of f' (hi, lo float32), and f'(x) = d·P(d) with d = x − x₀ on
    |d| ≤ width: P(d) = p0[0] + (p0[1] + d·(p[0] + d·(p[1] + …))), fitted to 2⁻²⁸ relative
    in 60-digit arithmetic by ``tools/fit_roots.py`` (P's constant term is kept as hi + lo).
    ``float64``: the same for float64 (fitted to 2⁻⁵⁶ on a narrower band)."""

    hi: float
    lo: float
    width: float
    p0: tuple[float, float]
    p: tuple[float, ...]
    float64: "Root | None" = None


def fitted_root(name: str) -> Root:
    """The fitted band of ``fitted.ROOTS[name]``: float32, with its float64 twin."""
    f32, f64 = fitted.ROOTS[name]
    return Root(**f32, float64=Root(**f64))


GELU_ROOTS = {True: fitted_root("gelu_tanh"), False: fitted_root("gelu_exact")}
SILU_ROOT = fitted_root("silu")
MISH_ROOT = fitted_root("mish")
QUICK_GELU_ROOT = fitted_root("quick_gelu")


def near_root(x: Array, fprime: Array, root: Root) -> Array:
    """f' with the cancellation at its root taken out (float32 and float64; half precision
    computes in float32). Near x₀ the direct formula is a difference of nearly equal terms
    and keeps only their absolute error (mish's: millions of ulps of the tiny f'); d =
    (x − hi) − lo is exact there (x − hi by Sterbenz's lemma), so d·P(d) is good to about an
    ulp."""
    if x.dtype == jnp.float64:
        root = root.float64
    elif x.dtype != jnp.float32:
        return fprime
    # the barrier keeps XLA from folding (x − hi) − lo into x − (hi + lo), which rounds to x − hi
    hi, lo = lax.optimization_barrier((jnp.asarray(root.hi, x.dtype), jnp.asarray(root.lo, x.dtype)))
    d = (x - hi) - lo
    return jnp.where(jnp.abs(d) <= root.width, d * (root.p0[0] + (root.p0[1] + d * horner(d, root.p))), fprime)



def gelu_cdf(x: Array, approximate: bool) -> Array:
    """The CDF factor: Φ(x) = ½erfc(−x/√2), or ½(1 + tanh u) = σ(2u)."""
    if approximate:
        return logistic_and_complement(2 * SQRT_2_OVER_PI * (x + GELU_CUBIC * x**3))[0]
    return 0.5 * lax.erfc(-x * SQRT_HALF)


def gelu_value(x: Array, approximate: bool = True) -> Array:
    z = jnp.maximum(x, -GELU_TAIL)  # keeps −inf out of −inf · 0
    if approximate:
        return z * gelu_cdf(x, approximate)
    e, e_lo, scale, m = normal_parts(z)  # erfc loses x²/2 ulps (and flushes): Φ = φ·m below
    return jnp.where(z < mills_from(z), z * (e * (m + m * e_lo)) * scale, z * gelu_cdf(x, False))



# σ(2u), φ and Φ are scaled by e^SHIFT where XLA would flush them to 0 while f' is still a
# normal float; the shift is exact on the arguments it applies to (|2u| ≥ 64, x²/2 ≥ 32)
SHIFT = 16


def shifted(far: Array, t: Array) -> tuple[Array, Array]:
    """The exponent t raised by SHIFT where ``far``, and the factor e^−SHIFT that undoes it."""
    return jnp.where(far, t + SHIFT, t), jnp.where(far, math.exp(-SHIFT), 1.0)



LOG_SQRT_2PI = 0.9189385332046727  # ln √(2π)


def normal_parts(z: Array) -> tuple[Array, Array, Array, Array]:
    """φ(z) = e·(1 + e_lo)·scale, with ln φ = −z²/2 − ln√(2π) carried to more than the dtype
    and e scaled by e¹⁶ (scale = e⁻¹⁶; the shift is exact) below −8, so that φ does not
    flush to 0 where z·φ(z) is still a normal float (down to −13.4 in float32, −38 in
    float64); and m = Φ(z)/φ(z), the Mills ratio of −z, for z < −1.3: the fitted MILLS
    (float32 accuracy) down to −8, the asymptotic series 1/|z| · (1 − 1/z² + 3/z⁴ − …) below
    (to 1.5e-7 of m at −8, 2e-14 from −30, where float64 starts using it; m itself is a 1/z²
    share of z + m). XLA drops whichever its caller does not use."""
    z2, z2_lo = two_product(z, z)
    c, c_lo = constant(LOG_SQRT_2PI)
    s, s_err = two_sum(-0.5 * z2, -c)
    far = z < -8
    s, scale = shifted(far, s)
    r = 1 / (z * z)
    series = (1 - r * (1 - 3 * r * (1 - 5 * r * (1 - 7 * r * (1 - 9 * r))))) / -z
    m = jnp.where(far, series, horner(-z - MILLS_CENTER, MILLS))
    return jnp.exp(s), s_err - (0.5 * z2_lo + c_lo), scale, m


def mills_from(z: Array) -> float:
    """Where gelu and gelu' switch to φ·m: float32 below its root band; float64 only from −30,
    where m's series alone is within 1e-17 of x + m, and erfc's Φ flushes to 0 before
    x·φ(x) does (x ≈ −37.6)."""
    return -30.0 if z.dtype == jnp.float64 else -MILLS_FROM


def gelu_derivative(x: Array, approximate: bool = True) -> Array:
    """gelu' within 4 float32 ulps wherever it is normal (the default level's too, in float64)."""
    z = jnp.clip(x, -GELU_TAIL, GELU_TAIL)  # beyond ±40 the terms below are 0: no inf · 0
    if approximate:  # s(1 + x·(2u)'·(1 − s)), s = σ(2u), 2u to more than float32 (gelu_argument)
        t, t_lo = gelu_argument(z)
        # σ(2u) of 2u < −64 scaled: it would flush to 0 below 2u ≈ −87.3, where
        # f' ≈ 243·σ(2u) is still a normal float (down to x ≈ −10.35)
        t, scale = shifted(t < -64, t)
        s, sc = logistic_and_complement(t, t_lo)
        k = 2 * SQRT_2_OVER_PI
        direct = s * (1 + z * (k + 3 * k * GELU_CUBIC * z * z) * sc) * scale
    else:  # Φ(x) + x·φ(x); float32 below the root band φ(x)·(x + m), m = Φ/φ: no erfc
        # (float32's loses x²/2 ulps to its own x²) and no cancelling sum
        e, e_lo, scale, m = normal_parts(z)
        below = e * (z + (m + (z + m) * e_lo)) * scale  # 1 + e_lo folded into m, the smaller term
        direct = jnp.where(z < mills_from(z), below, gelu_cdf(x, False) + z * (e + e * e_lo) * scale)
    return near_root(x, direct, GELU_ROOTS[approximate])



def silu_value(x: Array) -> Array:
    s, _ = logistic_and_complement(x)  # the derivative's σ, shared
    return jnp.maximum(x, -TAIL) * s  # silu(−inf) = 0, not −inf · 0


def silu_prime(z: Array, lo: Array | float = 0.0) -> Array:
    """σ(z)(1 + zσ(−z)) of z + lo, directly (it cancels at its root, z₀ ≈ −1.278)."""
    s, sc = logistic_and_complement(z, lo)  # silu: the forward pass's σ, computed once for both
    zc = jnp.clip(z, -TAIL, TAIL)  # z·σ(−z) → 0 at ±inf, not inf · 0
    return s * (1 + zc * sc if isinstance(lo, float) else (1 + zc * sc) + lo * sc)



def silu_derivative(x: Array) -> Array:
    """silu' within 4 float32 ulps (the default level's too, in float64)."""
    return near_root(x, silu_prime(x), SILU_ROOT)



def mish_parts(x: Array) -> tuple[Array, Array, Array]:
    """e = eˣ, n = e(e + 2) and n + 2, with tanh(softplus(x)) = n/(n + 2), on a clipped x
    (tanh(softplus(x)) is exactly 1 in float64 from x ≈ 20, and eˣ underflows below −745)."""
    e = jnp.exp(jnp.clip(x, -TAIL, 40.0))
    n = e * (e + 2)
    return e, n, n + 2



def mish_derivative(x: Array) -> Array:
    e, n, d = mish_parts(x)  # f' = n/d + 4x·e(1 + e)/d²
    x = jnp.clip(x, -TAIL, 40.0)
    # 4x·e before any division: e/d alone falls below the normal range (and is flushed to 0
    # on XLA:CPU) where f' itself is still a normal float
    direct = n / d + (4 * x * e / d) * ((1 + e) / d)
    # x < −0.4: the two terms cancel 2–3 fold on (−3.2, −0.8) and their roundings add up (9
    # ulps in float32). Over one denominator f' = e·b/h², h = d/2 = 1 + δ, δ = e(1 + e/2),
    # b = (1 + x) + e(1.5 + x + e(1 + e/4)) (b cancels only at the root), with 1 + x and
    # 1 + δ carried as hi + lo: their roundings were most of what was left.
    one, _ = constant(1.0)
    delta = e * (1 + 0.5 * e)
    h = one + delta
    h_lo = delta - (h - one)  # exact (Fast2Sum: δ < 1.5 has 1's exponent or less)
    s, s_lo = two_sum(one, x)
    b = s + (s_lo + e * ((1.5 + x) + e * (1 + 0.25 * e)))
    left = e * b / (h * h) * (1 - 2 * h_lo / h)
    return near_root(x, jnp.where(x < -0.4, left, direct), MISH_ROOT)



def squareplus_root(x: Array, b: Array) -> tuple[Array, Array]:
    """x² + b and its root, |x| where x² overflows (√ is |x| to the last bit there): one
    expression for the forward and backward passes, which XLA then computes once. Both
    levels use it."""
    s = x * x + b
    return s, jnp.where(jnp.isinf(s), jnp.abs(x), jnp.sqrt(s))


def squareplus_derivative(x: Array, b: Array) -> Array:
    s, r = squareplus_root(x, b)
    q = jnp.where(jnp.isinf(s), jnp.sign(x), x / r)  # ±inf: ±1, not inf/inf
    a = jnp.abs(x)
    # (1 + q)/2 cancels below q = −½; there (r − |x|)(r + |x|) = b gives (b/2)/(r² + |x|r),
    # with s for r² (one rounding fewer), and b/(4x²) as a product where s overflows (XLA
    # rewrites (p/a)/a as p/(a·a), which overflows too; max(a, 1) keeps that unused branch's
    # own derivative finite at 0, or f'' would be NaN there). Selecting numerator and
    # denominator for a single division measured 1.6–2× slower on XLA:CPU.
    m = jnp.maximum(a, 1.0)
    tail = jnp.where(jnp.isinf(s), (0.5 * b / m) * (0.5 / m), (0.5 * b) / (s + a * r))
    return jnp.where(q > -0.5, 0.5 + 0.5 * q, tail)  # above −½ the subtraction is exact



def quick_gelu_derivative(x: Array) -> Array:
    """silu'(z), z = 1.702 x (d/dx of x·σ(1.702x) is silu' at z), with z as hi + lo
    (``times``); at the root, a fit in x itself."""
    return near_root(x, silu_prime(*times(QUICK_GELU, jnp.clip(x, -TAIL, TAIL))), QUICK_GELU_ROOT)


