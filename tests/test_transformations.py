"""The transformation matrix: every registered activation under every JAX transformation.

Generated from the registry (``jax_act.testing.cases``): a newly declared activation is covered
without new test code. Each cell that computes numbers is compared, in float64, with an
independent oracle: the declaration's plain ``reference`` formula under JAX's own autodiff.

Cells (one test each, several transformations per test to share compiles):
  jit_dtypes   jit; output dtype = input dtype for bf16/f16/f32/f64; values against the oracle
  vmap         vmap, nested vmap, in_axes=1/out_axes=-1, vmap of grad, a vmapped parameter
  reverse      grad (input and every parameter)
  higher_order jacrev, hessian, grad∘grad∘grad (smooth only)
  checkpoint   jax.checkpoint default, nothing_saveable, save_only_these_names
  control      lax.scan (and grad through it), lax.cond, lax.while_loop; no leak under
               jax.checking_leaks() in a scan body
  abstract     make_jaxpr on a (10**12,) float32 ShapeDtypeStruct: tracing only, no big consts
  forward      the twin under jvp (input and parameters), jacfwd, linearize, jacfwd∘jacfwd
  check_grads  jax.test_util.check_grads in float64, away from kinks: the twin in fwd and in rev
               mode to order 2 (the public function's gradients, to third order, are compared
               with the oracle in `higher_order`). Slow (-m slow, the order-4 checks cost ~1 s per
               activation): the twin in fwd mode to order 4 when smooth, with modes=("fwd",
               "rev") mixed to order 4 (2 when not smooth), and the public function in rev
               mode to order 2
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import lax
from jax.ad_checkpoint import checkpoint_name
from jax.test_util import check_grads

import jax_act
from jax_act.testing import Case, cases, uncallable

jax.config.update("jax_enable_x64", True)

F64 = jnp.float64
RTOL, ATOL = 1e-9, 1e-12  # float64: closed form vs autodiff of the plain formula

CASES = cases()  # every activation x every parameter set in its spec.probes.test_params
FIRST = cases(all_params=False)  # every activation, first parameter set

# Known failures in others' code, reported upstream: {(case id, cell or "*"): reason}. Each is
# xfail(strict=True), so the entry must be removed when the owner fixes the bug.
KNOWN: dict[tuple[str, str], str] = {}


def _cells(cell: str, which: list[Case] | None = None):
    out = []
    for c in CASES if which is None else which:
        reason = KNOWN.get((c.id, cell)) or KNOWN.get((c.id, "*"))
        out.append(pytest.param(c, id=c.id, marks=pytest.mark.xfail(strict=True, reason=reason)) if reason else pytest.param(c, id=c.id))
    return out


def close(got, want, what: str, rtol: float = RTOL, atol: float = ATOL) -> None:
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    assert got.shape == want.shape, f"{what}: shape {got.shape} != {want.shape}"
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, err_msg=what, equal_nan=False)


def inputs(case: Case, rows: int = 2, n: int = 6) -> jax.Array:
    return jnp.asarray(case.points(rows * n).reshape(rows, n), F64)


def weights(case: Case, x: jax.Array, seed: int = 0) -> jax.Array:
    shape = jax.eval_shape(lambda x: case.call(x), x).shape
    return jnp.asarray(np.random.default_rng(seed).uniform(0.5, 1.5, shape), F64)


def scalar(case: Case, which: str, w: jax.Array, **override):
    return lambda x, **p: jnp.sum(w * case.call(x, which, **override, **p))


def float_params(case: Case) -> dict[str, jax.Array]:
    return {k: jnp.asarray(v, F64) for k, v in case.params}


def test_registry_is_covered():
    """Every registered activation is in the matrix, or names why not."""
    assert jax_act.names(), "empty registry"
    assert not uncallable(), f"cannot call generically (extend testing._REQUIRED): {uncallable()}"
    assert {c.name for c in CASES} == set(jax_act.names())


def compare(pairs: dict, rtol: dict | None = None) -> None:
    for label, (got, want) in pairs.items():
        close(got, want, label, rtol=(rtol or {}).get(label, RTOL))


@pytest.mark.parametrize("case", _cells("jit_dtypes"))
def test_jit_dtypes(case: Case):
    x = inputs(case)
    halves = (jnp.float32, jnp.float16, jnp.bfloat16)

    @jax.jit
    def cell(x):
        ys = [case.call(x.astype(dt)) for dt in halves]
        # the oracle on each rounded input, in float64
        refs = [case.call(x.astype(dt).astype(F64), "reference") for dt in halves]
        return case.call(x), case.call(x, "twin"), case.call(x, "reference"), ys, refs

    y64, twin, want, ys, refs = cell(x)
    close(y64, want, "jit f64")
    close(twin, want, "twin f64")
    for dt, y, ref in zip(halves, ys, refs):
        assert y.dtype == dt, f"{case.id}: {dt.__name__} input gave {y.dtype}"
        eps = float(jnp.finfo(dt).eps)
        close(y, ref, f"{dt.__name__}", rtol=4 * eps, atol=4 * eps)


# The cells below run each transformation, and its oracle, inside one jax.jit per test: one
# XLA compilation per cell instead of one per primitive (op-by-op dispatch compiles each).


@pytest.mark.sweep
@pytest.mark.parametrize("case", _cells("vmap", FIRST))
def test_vmap(case: Case):
    x = inputs(case, rows=4)
    f = lambda x: case.call(x)  # noqa: E731
    w = weights(case, x[0])
    ps = {
        pname: p * jnp.linspace(0.8, 1.2, x.shape[0], dtype=F64).reshape(-1, *([1] * p.ndim))
        for pname, p in float_params(case).items()
    }

    @jax.jit
    def cell(x, ps):
        want = jnp.stack([case.call(r, "reference") for r in x])
        out = {
            "vmap": (jax.vmap(f)(x), want),
            "nested vmap": (jax.vmap(jax.vmap(f))(x.reshape(2, 2, -1)), want.reshape(2, 2, *want.shape[1:])),
            # in_axes=1 / out_axes=-1: the batch is the last axis on both sides
            "vmap in_axes=1 out_axes=-1": (jax.vmap(f, in_axes=1, out_axes=-1)(x.T), jnp.moveaxis(want, 0, -1)),
            "vmap(grad)": (
                jax.vmap(jax.grad(scalar(case, "fn", w)))(x),
                jnp.stack([jax.grad(scalar(case, "reference", w))(r) for r in x]),
            ),
        }
        # a vmapped (per-example) parameter, and the gradient with respect to it
        for pname, qs in ps.items():
            got = jax.vmap(lambda r, q: case.call(r, **{pname: q}))(x, qs)
            ref = jnp.stack([case.call(r, "reference", **{pname: q}) for r, q in zip(x, qs)])
            out[f"vmap over {pname}"] = (got, ref)
            gp = jax.vmap(jax.grad(lambda q, r: scalar(case, "fn", w, **{pname: q})(r)))(qs, x)
            gref = jnp.stack(
                [jax.grad(lambda q: scalar(case, "reference", w, **{pname: q})(r))(q) for r, q in zip(x, qs)]
            )
            out[f"vmap(grad wrt {pname})"] = (gp, gref)
        return out

    compare(cell(x, ps))


@pytest.mark.parametrize("case", _cells("reverse"))
def test_reverse(case: Case):
    x = inputs(case)
    w = weights(case, x)

    @jax.jit
    def cell(x, params):
        fs, rs = scalar(case, "fn", w), scalar(case, "reference", w)
        out = {"grad": (jax.grad(fs)(x), jax.grad(rs)(x))}
        for pname, p in params.items():
            gp = jax.grad(lambda q: scalar(case, "fn", w, **{pname: q})(x))(p)
            out[f"grad wrt {pname}"] = (gp, jax.grad(lambda q: scalar(case, "reference", w, **{pname: q})(x))(p))
        return out

    compare(cell(x, float_params(case)))


@pytest.mark.sweep
@pytest.mark.parametrize("case", _cells("higher_order"))
def test_higher_order(case: Case):
    xr = inputs(case)[0]
    wr = weights(case, xr)

    @jax.jit
    def cell(xr):
        out = {"jacrev": (jax.jacrev(lambda x: case.call(x))(xr), jax.jacrev(lambda x: case.call(x, "reference"))(xr))}
        out["hessian"] = (jax.hessian(scalar(case, "fn", wr))(xr), jax.hessian(scalar(case, "reference", wr))(xr))
        if case.spec.probes.smooth:  # grad∘grad∘grad, contracted with fixed directions
            v = jnp.linspace(0.5, 1.5, xr.size, dtype=F64).reshape(xr.shape)
            u = v[::-1]

            def third(s):
                h2 = lambda x: jnp.vdot(v, jax.grad(s)(x))  # noqa: E731
                h3 = lambda x: jnp.vdot(u, jax.grad(h2)(x))  # noqa: E731
                return jax.grad(h3)(xr)

            out["grad∘grad∘grad"] = (third(scalar(case, "fn", wr)), third(scalar(case, "reference", wr)))
        return out

    compare(cell(xr), {"grad∘grad∘grad": 1e-7})


@pytest.mark.sweep
@pytest.mark.parametrize("case", _cells("checkpoint", FIRST))
def test_checkpoint(case: Case):
    x = inputs(case)
    w = weights(case, x)

    def named(x):
        return jnp.sum(w * checkpoint_name(case.call(x), "act"))

    policies = {
        "nothing_saveable": jax.checkpoint_policies.nothing_saveable,
        "save_only_these_names": jax.checkpoint_policies.save_only_these_names("act"),
    }

    @jax.jit
    def cell(x):
        want = jax.grad(scalar(case, "reference", w))(x)
        out = {"checkpoint default": (jax.grad(jax.checkpoint(scalar(case, "fn", w)))(x), want)}
        for label, policy in policies.items():
            out[f"checkpoint {label}"] = (jax.grad(jax.checkpoint(named, policy=policy))(x), want)
        return out

    compare(cell(x))


@pytest.mark.sweep
@pytest.mark.parametrize("case", _cells("control", FIRST))
def test_control_flow(case: Case):
    x = inputs(case, rows=3)
    w = weights(case, x[0])
    zero = jax.eval_shape(lambda r: case.call(r), x[0])

    def scanned(xs, which="fn"):
        def body(c, r):
            y = case.call(r, which)
            return c + jnp.sum(w * y), y

        return lax.scan(body, jnp.zeros((), F64), xs)

    def conded(p, r):
        return lax.cond(p, lambda r: case.call(r), lambda r: jnp.zeros(zero.shape, zero.dtype), r)

    def looped(r, which):
        def body(state):
            i, acc = state
            return i + 1, acc + jnp.sum(case.call(r + 0.01 * i.astype(F64), which))

        return lax.while_loop(lambda s: s[0] < 3, body, (jnp.int32(0), jnp.zeros((), F64)))[1]

    @jax.jit
    def cell(x, yes, no):
        (tot, ys), (tot_r, ys_r) = scanned(x), scanned(x, "reference")
        r = x[0]
        return {
            "scan values": (ys, ys_r),
            "scan carry": (tot, tot_r),
            "grad(scan)": (
                jax.grad(lambda xs: scanned(xs)[0])(x),
                jax.grad(lambda xs: scanned(xs, "reference")[0])(x),
            ),
            "cond": (conded(yes, r), case.call(r, "reference")),
            "grad(cond)": (
                jax.grad(lambda r: jnp.sum(w * conded(yes, r)))(r),
                jax.grad(scalar(case, "reference", w))(r),
            ),
            "grad(cond), other branch": (jax.grad(lambda r: jnp.sum(w * conded(no, r)))(r), jnp.zeros_like(r)),
            "while_loop": (looped(r, "fn"), looped(r, "reference")),
        }

    compare(cell(x, jnp.bool_(True), jnp.bool_(False)))
    with jax.checking_leaks():  # a tracer leaked from the scan body raises here
        jax.make_jaxpr(lambda xs: scanned(xs)[0])(x)
        jax.make_jaxpr(jax.grad(lambda xs: scanned(xs)[0]))(x)


@pytest.mark.sweep
@pytest.mark.parametrize("case", _cells("abstract", FIRST))
def test_abstract_huge(case: Case):
    """Tracing a (10**12,) float32 input builds a jaxpr and allocates nothing."""
    big = jax.ShapeDtypeStruct((10**12,), jnp.float32)
    for label, f in (
        ("fn", lambda x: case.call(x)),
        ("twin", lambda x: case.call(x, "twin")),
        ("grad", jax.grad(lambda x: jnp.sum(case.call(x)).astype(jnp.float32))),
    ):
        closed = jax.make_jaxpr(f)(big)
        assert closed.out_avals[0].dtype == jnp.float32, label
        for c in closed.consts:
            assert np.size(c) < 1024, f"{label}: a constant of {np.size(c)} elements was materialized"


@pytest.mark.sweep
@pytest.mark.parametrize("case", _cells("forward"))
def test_forward_twin(case: Case):
    x = inputs(case)
    t = jnp.asarray(np.random.default_rng(1).normal(size=x.shape), F64)
    twin = lambda x: case.call(x, "twin")  # noqa: E731
    ref = lambda x: case.call(x, "reference")  # noqa: E731

    @jax.jit
    def cell(x, t, params):
        y, ty = jax.jvp(twin, (x,), (t,))
        y_r, ty_r = jax.jvp(ref, (x,), (t,))
        out = {"jvp primal": (y, y_r), "jvp tangent": (ty, ty_r)}
        for pname, p in params.items():
            tp = jnp.ones_like(p)
            _, g = jax.jvp(lambda q: case.call(x, "twin", **{pname: q}), (p,), (tp,))
            _, g_r = jax.jvp(lambda q: case.call(x, "reference", **{pname: q}), (p,), (tp,))
            out[f"jvp wrt {pname}"] = (g, g_r)
        y_l, lin = jax.linearize(twin, x)
        out["linearize primal"] = (y_l, y_r)
        out["linearize tangent"] = (lin(t), ty_r)
        xr = x[0]
        out["jacfwd"] = (jax.jacfwd(twin)(xr), jax.jacfwd(ref)(xr))
        out["jacfwd∘jacfwd"] = (jax.jacfwd(jax.jacfwd(twin))(xr), jax.jacfwd(jax.jacfwd(ref))(xr))
        return out

    compare(cell(x, t, float_params(case)), {"jacfwd∘jacfwd": 1e-8})


# finite differences in float64 with a step well inside the 0.05 gap to the nearest kink
FD = dict(eps=1e-3, rtol=1e-4, atol=1e-4)


@pytest.mark.sweep
@pytest.mark.parametrize("case", _cells("check_grads", FIRST))
def test_check_grads(case: Case):
    x = inputs(case, rows=1, n=6)[0]
    w = weights(case, x)
    twin = scalar(case, "twin", w)
    # each mode on its own to order 2 (the mixed fwd-over-rev checks of modes=("fwd", "rev")
    # cost 100x more: they run in the slow test below), and the public custom_vjp function
    # op by op, as the kit runs finite differences: the primitives' small executables are
    # shared by every activation
    with jax.disable_jit():
        check_grads(twin, (x,), order=2, modes=("fwd",), **FD)
        check_grads(twin, (x,), order=2, modes=("rev",), **FD)


@pytest.mark.slow
@pytest.mark.parametrize("case", _cells("check_grads_full"))
def test_check_grads_full(case: Case):
    x = inputs(case, rows=1, n=6)[0]
    w = weights(case, x)
    twin = scalar(case, "twin", w)
    if case.spec.probes.smooth:  # fourth order: forward mode alone, then both modes mixed
        check_grads(twin, (x,), order=4, modes=("fwd",), **FD)
    check_grads(twin, (x,), order=4 if case.spec.probes.smooth else 2, modes=("fwd", "rev"), **FD)
    check_grads(scalar(case, "fn", w), (x,), order=2, modes=("rev",), **FD)


@pytest.mark.parametrize("transform", ["jvp", "jacfwd"])
def test_forward_mode_on_the_reverse_mode_function_points_to_the_twin(transform):
    x = jnp.linspace(-1.0, 1.0, 3)
    call = {
        "jvp": lambda: jax.jvp(jax_act.tanh, (x,), (x,)),
        "jacfwd": lambda: jax.jacfwd(jax_act.tanh)(x),
    }[transform]
    with pytest.raises(TypeError, match=r"jax_act\.forward_mode\.tanh"):
        call()
    np.testing.assert_allclose(jax.jacfwd(jax_act.forward_mode.tanh)(x), np.diag(1 - np.tanh(np.asarray(x)) ** 2), rtol=1e-6)
