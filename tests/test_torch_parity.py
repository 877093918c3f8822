"""Optional: values and gradients against ``torch.nn.functional`` in float64, for every jax_act
function PyTorch defines. Skipped without torch (``pip install torch==2.13.0`` gives a CPU
build); a name not registered yet is skipped, not failed.

Away from kinks the two must agree to ``FACTOR · eps(float64) · (|want| + 1)`` (stated once).
At kinks each convention is asserted exactly, jax_act's and PyTorch's, so that the table below
(and the README's) stays true:

    where jax.nn and PyTorch disagree at a kink    jax_act (= jax.nn)   PyTorch
    leaky_relu'(0)                                 1                    negative_slope
    hard_tanh'(±1)                                 1                    0
    prelu'(0)  (no jax.nn; jax_act = leaky_relu)    1                    the slope a
    rrelu'(0)  (no jax.nn; jax_act = leaky_relu)    1                    the slope
    (agree: relu'(0) = 0, relu6'(0) = relu6'(6) = 0, elu'(0) = α, celu'(0) = 1, selu'(0) = λα,
     hard_sigmoid'(±3) = 0, hard_swish'(−3) = 0 and hard_swish'(3) = 1, soft_sign'(0) = 1;
     jax_act follows PyTorch where jax.nn has no such function: threshold'(t) = 0,
     hard_shrink'(±λ) = soft_shrink'(±λ) = 0, and their NaN → NaN.)

Where jax.nn also has the function, its gradient at the kink is checked to equal jax_act's.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jax_act
from jax_act.testing import TOLERANCE

torch = pytest.importorskip("torch")
F = torch.nn.functional

F64 = jnp.float64
FACTOR = 2 * TOLERANCE  # two float64 implementations of one formula may differ by a few ulps
# PyTorch's hardsigmoid backward multiplies by 1/6 rounded to float32 even for float64 tensors
# (its gradient is 0.1666666716337204, not 1/6): there its gradient is only float32-accurate,
# and is compared at float32's eps. jax_act (and jax.nn) give 1/6 to float64 precision.
HARDSIGMOID_NOTE = float(np.float32(1 / 6))
SELU_SLOPE_AT_0 = 1.0507009873554804934193349852946 * 1.6732632423543772848170429916717


@dataclasses.dataclass
class Pair:
    id: str
    name: str  # jax_act name (looked up with jax_act.get)
    torch_fn: Callable[..., Any]  # of a float64 torch tensor
    kwargs: dict = dataclasses.field(default_factory=dict)  # for jax_act
    jax_nn: Callable[..., Any] | None = None  # jax.nn's, where it has the function
    kinks: dict = dataclasses.field(default_factory=dict)  # {point: (jax_act's f', PyTorch's f')}
    shape: tuple[int, ...] = (-1,)  # (rows, n) for maps along the last axis
    span: float = 6.0
    torch_grad_in_float32: bool = False  # see HARDSIGMOID_NOTE


def _w(v: float):
    return torch.tensor([v], dtype=torch.float64)


PAIRS = [
    Pair("relu", "relu", F.relu, jax_nn=jax.nn.relu, kinks={0.0: (0.0, 0.0)}),
    Pair("sigmoid", "sigmoid", torch.sigmoid, span=30.0),
    Pair("tanh", "tanh", torch.tanh),
    Pair("leaky_relu", "leaky_relu", lambda x: F.leaky_relu(x, 0.01), jax_nn=jax.nn.leaky_relu, kinks={0.0: (1.0, 0.01)}),
    Pair("leaky_relu-0.2", "leaky_relu", lambda x: F.leaky_relu(x, 0.2), {"negative_slope": 0.2},
         lambda x: jax.nn.leaky_relu(x, 0.2), {0.0: (1.0, 0.2)}),
    Pair("elu", "elu", F.elu, jax_nn=jax.nn.elu, kinks={0.0: (1.0, 1.0)}),
    Pair("elu-0.5", "elu", lambda x: F.elu(x, 0.5), {"alpha": 0.5}, lambda x: jax.nn.elu(x, 0.5), {0.0: (0.5, 0.5)}),
    Pair("celu-0.5", "celu", lambda x: F.celu(x, 0.5), {"alpha": 0.5}, lambda x: jax.nn.celu(x, 0.5), {0.0: (1.0, 1.0)}),
    Pair("selu", "selu", F.selu, jax_nn=jax.nn.selu, kinks={0.0: (SELU_SLOPE_AT_0, SELU_SLOPE_AT_0)}),
    Pair("gelu-tanh", "gelu", lambda x: F.gelu(x, approximate="tanh"), {"approximate": True}),
    Pair("gelu-erf", "gelu", lambda x: F.gelu(x), {"approximate": False}),
    Pair("silu", "silu", F.silu),
    Pair("swish", "swish", F.silu),
    Pair("mish", "mish", F.mish, span=30.0),
    # softplus: jax.nn's call has no threshold; PyTorch's default threshold=20 switches to x
    # above 20 (an error of e^-20), so compare with a threshold out of reach, then with one.
    Pair("softplus", "softplus", lambda x: F.softplus(x, threshold=1e6), span=30.0),
    Pair("softplus-beta2-thr5", "softplus", lambda x: F.softplus(x, beta=2.0, threshold=5.0), {"beta": 2.0, "threshold": 5.0}),
    Pair("soft_sign", "soft_sign", F.softsign, jax_nn=jax.nn.soft_sign, kinks={0.0: (1.0, 1.0)}),
    Pair("hard_tanh", "hard_tanh", F.hardtanh, jax_nn=jax.nn.hard_tanh, kinks={-1.0: (1.0, 0.0), 1.0: (1.0, 0.0)}),
    Pair("hard_sigmoid", "hard_sigmoid", F.hardsigmoid, jax_nn=jax.nn.hard_sigmoid, kinks={-3.0: (0.0, 0.0), 3.0: (0.0, 0.0)},
         torch_grad_in_float32=True),
    Pair("hard_swish", "hard_swish", F.hardswish, jax_nn=jax.nn.hard_swish, kinks={-3.0: (0.0, 0.0), 3.0: (1.0, 1.0)}),
    Pair("hard_silu", "hard_silu", F.hardswish, jax_nn=jax.nn.hard_silu, kinks={-3.0: (0.0, 0.0), 3.0: (1.0, 1.0)}),
    Pair("relu6", "relu6", F.relu6, jax_nn=jax.nn.relu6, kinks={0.0: (0.0, 0.0), 6.0: (0.0, 0.0)}, span=8.0),
    Pair("log_sigmoid", "log_sigmoid", F.logsigmoid, span=30.0),
    Pair("softmax", "softmax", lambda x: F.softmax(x, dim=-1), {"axis": -1}, shape=(-1, 7)),
    Pair("log_softmax", "log_softmax", lambda x: F.log_softmax(x, dim=-1), {"axis": -1}, shape=(-1, 7)),
    Pair("softmin", "softmin", lambda x: F.softmin(x, dim=-1), {"axis": -1}, shape=(-1, 7)),
    Pair("logsumexp", "logsumexp", lambda x: torch.logsumexp(x, dim=-1), {"axis": -1}, shape=(-1, 7)),
    Pair("glu", "glu", lambda x: F.glu(x, dim=-1), {"axis": -1}, shape=(-1, 8)),
    Pair("prelu", "prelu", lambda x: F.prelu(x, _w(0.25)), {"negative_slope": 0.25}, kinks={0.0: (1.0, 0.25)}),
    Pair("prelu-negative", "prelu", lambda x: F.prelu(x, _w(-0.5)), {"negative_slope": -0.5}, kinks={0.0: (1.0, -0.5)}),
    Pair("rrelu-eval", "rrelu", lambda x: F.rrelu(x, training=False), kinks={0.0: (1.0, (1 / 8 + 1 / 3) / 2)}),
    Pair("threshold", "threshold", lambda x: F.threshold(x, 0.5, -1.0), {"threshold": 0.5, "value": -1.0}, kinks={0.5: (0.0, 0.0)}),
    Pair("hard_shrink", "hard_shrink", F.hardshrink, kinks={-0.5: (0.0, 0.0), 0.5: (0.0, 0.0)}),
    Pair("hard_shrink-1.5", "hard_shrink", lambda x: F.hardshrink(x, 1.5), {"lambd": 1.5}, kinks={-1.5: (0.0, 0.0), 1.5: (0.0, 0.0)}),
    Pair("soft_shrink", "soft_shrink", F.softshrink, kinks={-0.5: (0.0, 0.0), 0.5: (0.0, 0.0)}),
    Pair("soft_shrink-1.5", "soft_shrink", lambda x: F.softshrink(x, 1.5), {"lambd": 1.5}, kinks={-1.5: (0.0, 0.0), 1.5: (0.0, 0.0)}),
    Pair("tanh_shrink", "tanh_shrink", F.tanhshrink),
]
IDS = [p.id for p in PAIRS]


def jax_fn(pair: Pair) -> Callable:
    try:
        return jax_act.get(pair.name)
    except ValueError:
        pytest.skip(f"jax_act.{pair.name} is not registered yet")


def torch_vjp(f: Callable, x: np.ndarray, g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    y = f(xt)
    y.backward(torch.tensor(g, dtype=torch.float64).reshape(y.shape))
    return y.detach().numpy(), xt.grad.numpy()


def ours_vjp(f: Callable, x: np.ndarray, g: np.ndarray, **kw) -> tuple[np.ndarray, np.ndarray]:
    y, pull = jax.vjp(lambda x: f(x, **kw), jnp.asarray(x, F64))
    return np.asarray(y), np.asarray(pull(jnp.asarray(g, F64).reshape(y.shape))[0])


def assert_close(got, want, what: str, dtype: Any = F64) -> None:
    assert got.shape == want.shape, f"{what}: shape {got.shape} != {want.shape}"
    e = np.abs(got - want) / (float(jnp.finfo(dtype).eps) * (np.abs(want) + 1))
    assert e.max(initial=0.0) <= FACTOR, f"{what}: {e.max():.3g} eps at x = {got.reshape(-1)[int(np.argmax(e))]}"


def samples(pair: Pair) -> np.ndarray:
    x = np.linspace(-pair.span, pair.span, 112) + 0.0123
    for k in pair.kinks:
        x = x[np.abs(x - k) > 1e-3]
    if pair.shape != (-1,):
        x = x[: x.size - x.size % pair.shape[1]]
    return x.reshape(pair.shape)


@pytest.mark.parametrize("pair", PAIRS, ids=IDS)
def test_values_and_gradients_match_torch(pair: Pair):
    f = jax_fn(pair)
    x = samples(pair)
    g = np.random.default_rng(0).standard_normal(pair.torch_fn(torch.tensor(x, dtype=torch.float64)).shape)
    y_t, dx_t = torch_vjp(pair.torch_fn, x, g)
    y, dx = ours_vjp(f, x, g, **pair.kwargs)
    assert_close(y, y_t, f"{pair.id} value")
    assert_close(dx, dx_t, f"{pair.id} gradient", jnp.float32 if pair.torch_grad_in_float32 else F64)
    if pair.torch_grad_in_float32:  # the quirk itself, so this note goes when PyTorch fixes it
        half = np.asarray([0.5])
        assert torch_vjp(pair.torch_fn, half, np.ones(1))[1][0] == HARDSIGMOID_NOTE
        assert ours_vjp(f, half, np.ones(1), **pair.kwargs)[1][0] == 1 / 6


@pytest.mark.parametrize("pair", [p for p in PAIRS if p.kinks], ids=[p.id for p in PAIRS if p.kinks])
def test_kink_conventions(pair: Pair):
    """Each side's convention at each kink, exactly as documented (and jax.nn's = jax_act's)."""
    f = jax_fn(pair)
    pts = np.asarray(list(pair.kinks), np.float64)
    ours_want = np.asarray([v[0] for v in pair.kinks.values()])
    torch_want = np.asarray([v[1] for v in pair.kinks.values()])
    _, ours = ours_vjp(f, pts, np.ones_like(pts), **pair.kwargs)
    _, theirs = torch_vjp(pair.torch_fn, pts, np.ones_like(pts))
    np.testing.assert_allclose(ours, ours_want, rtol=1e-15, err_msg=f"jax_act {pair.id} at {pts}")
    np.testing.assert_allclose(theirs, torch_want, rtol=1e-15, err_msg=f"torch {pair.id} at {pts}")
    if pair.jax_nn is not None:
        nn = np.asarray(jax.vmap(jax.grad(pair.jax_nn))(jnp.asarray(pts, F64)))
        np.testing.assert_array_equal(ours, nn, err_msg=f"jax.nn {pair.id} at {pts}")


def test_prelu_per_channel_weight_and_its_gradient():
    """PyTorch's per-channel weight (dim 1 of (N, C)) is jax_act's trailing-axis slope."""
    prelu = jax_act.get("prelu")
    rng = np.random.default_rng(3)
    x = rng.standard_normal((6, 4))
    a = np.asarray([0.1, -0.2, 0.3, 0.25])
    g = rng.standard_normal((6, 4))
    xt = torch.tensor(x, requires_grad=True)
    at = torch.tensor(a, requires_grad=True)
    y_t = F.prelu(xt, at)
    y_t.backward(torch.tensor(g))
    y, pull = jax.vjp(prelu, jnp.asarray(x, F64), jnp.asarray(a, F64))
    dx, da = pull(jnp.asarray(g, F64))
    assert_close(np.asarray(y), y_t.detach().numpy(), "prelu value")
    assert_close(np.asarray(dx), xt.grad.numpy(), "prelu dx")
    assert_close(np.asarray(da), at.grad.numpy(), "prelu d(weight)")


def test_nan_propagation_where_jax_act_follows_torch():
    """threshold, hard_shrink, soft_shrink and tanh_shrink give NaN for NaN, as PyTorch."""
    for name, tf, kw in (
        ("threshold", lambda x: F.threshold(x, 0.5, -1.0), {"threshold": 0.5, "value": -1.0}),
        ("hard_shrink", F.hardshrink, {}),
        ("soft_shrink", F.softshrink, {}),
        ("tanh_shrink", F.tanhshrink, {}),
    ):
        try:
            f = jax_act.get(name)
        except ValueError:
            continue
        x = np.asarray([np.nan])
        assert np.isnan(np.asarray(f(jnp.asarray(x, F64), **kw))).all() and np.isnan(tf(torch.tensor(x)).numpy()).all(), name
