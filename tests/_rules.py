"""Hand-written closed-form rules for the differential-testing kit, each right and in wrong
variants of the kinds people write: the kit must pass every right one and fail every wrong
one (tests/test_rule.py). ``make(name, bug)`` returns ``(fn, args, options)``.

Each rule is a ``jax.custom_vjp`` (softplus: a ``custom_jvp``) whose undecorated function is
the plain formula, which the kit differentiates by autodiff as its oracle.
"""

from __future__ import annotations


import jax
import jax.numpy as jnp
import numpy as np

EPS = 1e-5


def _rng(seed=0):
    return np.random.default_rng(seed)


def _f32(a):
    return jnp.asarray(a, jnp.float32)


# --------------------------------------------------------------------------- layer norm


def layer_norm(bug=None):
    @jax.custom_vjp
    def ln(x, gamma, beta):
        mu = x.mean(-1, keepdims=True)
        xc = x - mu
        var = (xc * xc).mean(-1, keepdims=True)
        return xc * jax.lax.rsqrt(var + EPS) * gamma + beta

    def fwd(x, gamma, beta):
        mu = x.mean(-1, keepdims=True)
        xc = x - mu
        var = (xc * xc).mean(-1, keepdims=True)
        r = jax.lax.rsqrt((var if bug == "dropped eps" else var + EPS))
        xhat = xc * jax.lax.rsqrt(var + EPS)
        return xhat * gamma + beta, (xhat, r, gamma)

    def bwd(res, g):
        xhat, r, gamma = res
        n = xhat.shape[-1]
        gx = g * gamma
        term = (gx * xhat).mean(-1, keepdims=True) * xhat
        if bug == "missing term":
            term = 0.0
        dx = r * (gx - gx.mean(-1, keepdims=True) - term)
        dgamma = (g * xhat).reshape(-1, n).sum(0)
        dbeta = g.reshape(-1, n).sum(0)
        return dx, dgamma, dbeta

    ln.defvjp(fwd, bwd)
    r = _rng(1)
    return ln, (_f32(r.standard_normal((4, 8))), _f32(1 + 0.1 * r.standard_normal(8)), _f32(0.1 * r.standard_normal(8)))


def rms_norm(bug=None):
    @jax.custom_vjp
    def rms(x, gamma):
        return x * jax.lax.rsqrt((x * x).mean(-1, keepdims=True) + EPS) * gamma

    def fwd(x, gamma):
        r = jax.lax.rsqrt((x * x).mean(-1, keepdims=True) + EPS)
        return x * r * gamma, (x, r, gamma)

    def bwd(res, g):
        x, r, gamma = res
        gx = g * gamma
        dx = r * gx - x * r**3 * (gx * x).mean(-1, keepdims=True)
        return dx, (g * x * r).reshape(-1, x.shape[-1]).sum(0)

    rms.defvjp(fwd, bwd)
    r = _rng(9)
    return rms, (_f32(r.standard_normal((4, 8))), _f32(1 + 0.1 * r.standard_normal(8)))


def layer_norm_fast_variance():
    """A layer norm whose backward pass takes var = E[x²] − E[x]² (its forward, the two-pass
    form): off zero, nearly constant rows lose it (no default example has them)."""
    ln, args = layer_norm()

    def fwd(x, gamma, beta):
        mu = x.mean(-1, keepdims=True)
        var = (x * x).mean(-1, keepdims=True) - mu * mu
        r = jax.lax.rsqrt(var + EPS)
        xhat = (x - mu) * r
        return xhat * gamma + beta, (xhat, r, gamma)

    ln.defvjp(fwd, ln.bwd)
    return ln, args


def nearly_constant_rows():
    """The layer norm on rows 1 + 1e-4·noise: ill-conditioned, and no false alarm."""
    ln, (x, gamma, beta) = layer_norm()
    return ln, (_f32(1 + 1e-4 * _rng(2).standard_normal((4, 8))), gamma, beta)


# --------------------------------------------------------------------------- cross-entropy over a dict


def cross_entropy(bug=None):
    @jax.custom_vjp
    def ce(inputs, labels):
        logits, weights = inputs["logits"], inputs["weights"]
        lp = jax.nn.log_softmax(logits)
        return -jnp.sum(weights * jnp.take_along_axis(lp, labels[:, None], -1)[:, 0])

    def fwd(inputs, labels):
        return ce(inputs, labels), (inputs, labels)

    def bwd(res, g):
        inputs, labels = res
        logits, weights = inputs["logits"], inputs["weights"]
        p = jax.nn.softmax(logits)
        onehot = jax.nn.one_hot(labels, logits.shape[-1], dtype=logits.dtype)
        dlogits = g * weights[:, None] * (p - onehot)
        lp = jax.nn.log_softmax(logits)
        dweights = -g * jnp.take_along_axis(lp, labels[:, None], -1)[:, 0]
        if bug == "wrong sign":
            dweights = -dweights
        return {"logits": dlogits, "weights": dweights}, None

    ce.defvjp(fwd, bwd)
    r = _rng(3)
    inputs = {"logits": _f32(2 * r.standard_normal((4, 6))), "weights": _f32(r.uniform(0.5, 1.5, 4))}
    return ce, (inputs, jnp.asarray([0, 3, 5, 1], jnp.int32))


# --------------------------------------------------------------------------- learnable-β activation


def swish_beta(bug=None):
    @jax.custom_vjp
    def f(x, beta):
        return x * jax.nn.sigmoid(beta * x)

    def fwd(x, beta):
        return f(x, beta), (x, beta)

    def bwd(res, g):
        x, beta = res
        s = jax.nn.sigmoid(beta * x)
        dx = s + beta * x * s * (1 - s)
        dbeta = jnp.sum(g * x * x * s * (1 - s))
        if bug == "scaled partial":
            dbeta = 1.5 * dbeta
        if bug == "ignores cotangent":
            return dx, dbeta
        return g * dx, dbeta

    f.defvjp(fwd, bwd)
    return f, (_f32(np.linspace(-3, 3, 7)), jnp.float32(1.3))


# --------------------------------------------------------------------------- dense layer


def dense_tanh(bug=None):
    @jax.custom_vjp
    def dense(x, w, b):
        return jnp.tanh(x @ w + b)

    def fwd(x, w, b):
        y = dense(x, w, b)
        return y, (x, w, y)

    def bwd(res, g):
        x, w, y = res
        dz = g if bug == "missing activation derivative" else g * (1 - y * y)
        dx = dz @ (w if bug == "transposed" else w.T)
        return dx, x.T @ dz, dz.sum(0)

    dense.defvjp(fwd, bwd)
    r = _rng(4)
    return dense, (_f32(r.standard_normal((3, 5))), _f32(0.5 * r.standard_normal((5, 5))), _f32(0.1 * r.standard_normal(5)))


# --------------------------------------------------------------------------- elementwise rules


def tanh_rule(bug=None):
    @jax.custom_vjp
    def f(x):
        return jnp.tanh(x)

    def fwd(x):
        y = jnp.tanh(x)
        return y, (x, y)

    def bwd(res, g):
        x, y = res
        d = 1 - y * y
        if bug == "wrong in the tails":
            d = jnp.where(jnp.abs(x) > 2.5, 0.0, d)
        if bug == "rounded through float16":
            d = d.astype(jnp.float16).astype(d.dtype)
        return (g * d,)

    f.defvjp(fwd, bwd)
    return f, (_f32(np.linspace(-2, 2, 9)),)


def sigmoid_rule(bug=None):
    @jax.custom_vjp
    def f(x):
        return 1 / (1 + jnp.exp(-x))

    def fwd(x):
        return f(x), x

    def bwd(x, g):
        if bug == "overflows":  # e^−x / (1 + e^−x)²: inf/inf = NaN below x ≈ −88 in float32
            d = jnp.exp(-x) / (1 + jnp.exp(-x)) ** 2
        else:
            s = jax.nn.sigmoid(x)
            d = s * (1 - s)
        return (g * d,)

    f.defvjp(fwd, bwd)
    return f, (_f32(np.linspace(-4, 4, 9)),)


def softplus_jvp(bug=None):
    @jax.custom_jvp
    def f(x):
        return jnp.logaddexp(x, 0.0)

    @f.defjvp
    def f_jvp(primals, tangents):
        (x,), (t,) = primals, tangents
        d = jax.nn.sigmoid(x) * (0.5 if bug == "half" else 1.0)
        return f(x), d * t

    return f, (_f32(np.linspace(-5, 5, 11)),)


# --------------------------------------------------------------------------- several outputs, scans, attention


def two_outputs(bug=None):
    @jax.custom_vjp
    def f(x):
        return jnp.tanh(x), x * x

    def fwd(x):
        return f(x), x

    def bwd(x, g):
        g1, g2 = g
        d = g1 * (1 - jnp.tanh(x) ** 2)
        return (d if bug == "ignores second cotangent" else d + g2 * 2 * x,)

    f.defvjp(fwd, bwd)
    return f, (_f32(np.linspace(-2, 2, 6)),)


def cumsum_scan(bug=None):
    def plain(x):
        return jax.lax.scan(lambda c, v: (c + v, c + v), jnp.zeros((), x.dtype), x)[1]

    f = jax.custom_vjp(plain)

    def fwd(x):
        return plain(x), None

    def bwd(_, g):
        # dx_i = Σ_{j ≥ i} g_j: a scan from the end
        _, dx = jax.lax.scan(lambda c, v: (c + v, c + v), jnp.zeros((), g.dtype), g,
                             reverse=bug != "wrong direction")
        return (dx,)

    f.defvjp(fwd, bwd)
    return f, (_f32(_rng(5).standard_normal(7)),)


def attention(bug=None):
    @jax.custom_vjp
    def attend(q, k, v):
        s = q @ k.T / q.shape[-1] ** 0.5
        return jax.nn.softmax(s, -1) @ v

    def fwd(q, k, v):
        s = q @ k.T / q.shape[-1] ** 0.5
        p = jax.nn.softmax(s, -1)
        return p @ v, (q, k, v, p)

    def bwd(res, g):
        q, k, v, p = res
        dp = g @ v.T
        ds = p * (dp - jnp.sum(dp * p, -1, keepdims=True)) / q.shape[-1] ** 0.5
        if bug == "missing term":
            ds = p * dp / q.shape[-1] ** 0.5
        return ds @ k, ds.T @ q, p.T @ g

    attend.defvjp(fwd, bwd)
    r = _rng(6)
    return attend, tuple(_f32(r.standard_normal((4, 8))) for _ in range(3))


def mse(bug=None):
    @jax.custom_vjp
    def loss(pred, target):
        return jnp.mean((pred - target) ** 2)

    def fwd(pred, target):
        return loss(pred, target), (pred, target)

    def bwd(res, g):
        pred, target = res
        d = 2 * (pred - target) / pred.size * g
        if bug == "wrong shape":
            return d[:-1], -d
        return d, -d

    loss.defvjp(fwd, bwd)
    r = _rng(7)
    return loss, (_f32(r.standard_normal((3, 4))), _f32(r.standard_normal((3, 4))))


def logsumexp_rule(bug=None):
    @jax.custom_vjp
    def lse(x):
        m = jax.lax.stop_gradient(x.max(-1, keepdims=True))
        return (m + jnp.log(jnp.sum(jnp.exp(x - m), -1, keepdims=True)))[..., 0]

    def fwd(x):
        y = lse(x)
        return y, (x, y)

    def bwd(res, g):
        x, y = res
        return (g[..., None] * jnp.exp(x - y[..., None]),)

    lse.defvjp(fwd, bwd)
    return lse, (_f32(3 * _rng(8).standard_normal((3, 5))),)


def dropout(bug=None):
    """A key leaf in a dict, and a rate given as a Python float: under float64 the oracle's
    bernoulli draws differ, so the float32 row is judged against the reference's own run."""

    def mask(key, x):
        return jax.random.bernoulli(key, 0.7, x.shape)

    @jax.custom_vjp
    def drop(p):
        return jnp.where(mask(p["key"], p["x"]), p["x"] / 0.7, 0.0) * p["scale"]

    def fwd(p):
        keep = mask(p["key"], p["x"])
        xd = jnp.where(keep, p["x"] / 0.7, 0.0)
        return xd * p["scale"], (p["key"], xd, p["scale"])

    def bwd(res, g):
        key, xd, scale = res
        if bug == "another key":
            key = jax.random.split(key)[0]
        keep = mask(key, xd)
        return ({"x": jnp.where(keep, g * scale / 0.7, 0.0), "key": None, "scale": jnp.sum(g * xd)},)

    drop.defvjp(fwd, bwd)
    return drop, ({"x": _f32(_rng(10).standard_normal((4, 5))), "key": jax.random.key(0), "scale": jnp.float32(1.5)},)


RIGHT = {
    "layer_norm": layer_norm, "rms_norm": rms_norm, "nearly_constant_rows": nearly_constant_rows, "cross_entropy": cross_entropy,
    "swish_beta": swish_beta, "dense_tanh": dense_tanh, "tanh_rule": tanh_rule, "sigmoid_rule": sigmoid_rule,
    "softplus_jvp": softplus_jvp, "two_outputs": two_outputs, "cumsum_scan": cumsum_scan, "attention": attention,
    "mse": mse, "logsumexp_rule": logsumexp_rule, "dropout": dropout,
}

# (rule, bug) -> the check that must fail
WRONG = {
    ("layer_norm", "missing term"): "vjp",
    ("layer_norm", "dropped eps"): "vjp",
    ("cross_entropy", "wrong sign"): "vjp",
    ("swish_beta", "scaled partial"): "vjp",
    ("swish_beta", "ignores cotangent"): "vjp",
    ("dense_tanh", "transposed"): "vjp",
    ("dense_tanh", "missing activation derivative"): "vjp",
    ("cumsum_scan", "wrong direction"): "vjp",
    ("two_outputs", "ignores second cotangent"): "vjp",
    ("tanh_rule", "wrong in the tails"): "vjp",
    ("tanh_rule", "rounded through float16"): "vjp",
    ("sigmoid_rule", "overflows"): "vjp",
    ("mse", "wrong shape"): "structure",
    ("attention", "missing term"): "vjp",
    ("layer_norm_fast_variance", None): "vjp",
    ("dropout", "another key"): "vjp",
    ("softplus_jvp", "half"): "jvp",
}


WRONG_ONLY = {"layer_norm_fast_variance": layer_norm_fast_variance}


def make(name, bug=None):
    if name in WRONG_ONLY:
        return WRONG_ONLY[name]()
    fn, args = RIGHT[name]() if bug is None else RIGHT[name](bug)
    return fn, args
