"""``jax-act demo``: train one small MLP twice — with jax_act's activations and loss, and with
jax.nn's under plain autodiff — and show that the two runs are the same run.

The data set (three interleaved spirals in the plane, 3 classes) is generated
deterministically here; nothing is downloaded. Both runs start from the same weights and take
the same full-batch momentum steps, so their loss curves must agree and their final parameters
must differ only by rounding: same function, same gradients.
"""

from __future__ import annotations

import argparse
import time
from typing import Any, Callable

import jax
import jax.numpy as jnp
import numpy as np

DEFAULT_ACTIVATIONS = ("gelu", "tanh")


def spirals(n_per_class: int = 64, classes: int = 3, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Interleaved spirals: ``x`` of shape ``[n·classes, 2]`` and integer labels."""
    rng = np.random.default_rng(seed)
    r = np.linspace(0.1, 1.0, n_per_class)
    xs, ys = [], []
    for c in range(classes):
        theta = np.linspace(0, 4.0, n_per_class) + 2 * np.pi * c / classes + rng.normal(0, 0.15, n_per_class)
        xs.append(np.stack([r * np.sin(theta), r * np.cos(theta)], -1))
        ys.append(np.full(n_per_class, c))
    return np.concatenate(xs).astype(np.float64), np.concatenate(ys)


def init_params(sizes: tuple[int, ...], seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(seed)
    return [(rng.normal(0, np.sqrt(2.0 / a), (a, b)), np.zeros(b)) for a, b in zip(sizes[:-1], sizes[1:])]


def mlp(params: Any, x: jax.Array, activations: tuple[Callable, ...]) -> jax.Array:
    for i, (w, b) in enumerate(params[:-1]):
        x = activations[i % len(activations)](x @ w + b)
    w, b = params[-1]
    return x @ w + b


def plain_cross_entropy(logits: jax.Array, labels: jax.Array) -> jax.Array:
    """The loss as autodiff sees it: −log_softmax at the label (optax's formula)."""
    return -jnp.take_along_axis(jax.nn.log_softmax(logits), labels[:, None], -1)[:, 0]


def train(loss_fn: Callable, params: Any, steps: int, lr: float) -> tuple[Any, jax.Array]:
    """Full-batch gradient descent with momentum 0.9, all steps in one ``lax.scan``: final
    parameters and the loss curve. (Not Adam: Adam is blind to a gradient off by a constant
    factor, and the point here is that the gradients are the same.)"""

    def step(carry, _):
        p, m = carry
        loss, g = jax.value_and_grad(loss_fn)(p)
        m = jax.tree.map(lambda m, g: 0.9 * m + g, m, g)
        p = jax.tree.map(lambda p, m: p - lr * m, p, m)
        return (p, m), loss

    (params, _), curve = jax.lax.scan(step, (params, jax.tree.map(jnp.zeros_like, params)), None, length=steps)
    return params, curve


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--activation",
        action="append",
        metavar="NAME",
        help=f"hidden-layer activation(s), cycled over layers; each must exist in jax.nn "
        f"(repeatable; default: {' '.join(DEFAULT_ACTIVATIONS)})",
    )
    parser.add_argument("--steps", type=int, default=300, help="gradient steps (default 300)")
    parser.add_argument("--lr", type=float, default=0.1, help="learning rate (default 0.1)")
    parser.add_argument("--hidden", type=int, default=32, help="width of the two hidden layers (default 32)")
    parser.add_argument("--x64", action="store_true", help="run in float64 instead of float32")
    parser.add_argument("--seed", type=int, default=0, help="seed of the data and the initial weights")


def _names(args: argparse.Namespace) -> tuple[str, ...]:
    import jax_act

    from .cli import UsageError, activation_names

    names = tuple(activation_names(args.activation, "demo") or DEFAULT_ACTIVATIONS)
    for name in names:
        if not hasattr(jax.nn, name) or jax_act.spec(name).kind != "elementwise":
            raise UsageError(f"--activation {name!r} must be an elementwise jax_act activation that jax.nn also has")
    if args.steps < 1:
        raise UsageError("--steps must be at least 1")
    return names


def _largest(tree: Any) -> float:
    return max(float(jnp.max(jnp.abs(a))) for a in jax.tree.leaves(tree))


def _largest_difference(a: Any, b: Any) -> float:
    return max(float(jnp.max(jnp.abs(u - v))) for u, v in zip(jax.tree.leaves(a), jax.tree.leaves(b)))


def _two_runs(args: argparse.Namespace, names: tuple[str, ...], dtype: Any) -> dict[str, Any]:
    """Gradients at the initial weights and a training run, for jax_act's activations and
    loss (A) and jax.nn's under plain autodiff (B)."""
    import jax_act
    from jax_act import losses

    x_np, y_np = spirals(seed=args.seed)
    x, y = jnp.asarray(x_np, dtype), jnp.asarray(y_np)
    params0 = jax.tree.map(lambda a: jnp.asarray(a, dtype), init_params((2, args.hidden, args.hidden, 3), args.seed))
    acts = {"A": tuple(jax_act.get(n) for n in names), "B": tuple(getattr(jax.nn, n) for n in names)}
    loss = {
        "A": lambda p: jnp.mean(losses.softmax_cross_entropy_with_integer_labels(mlp(p, x, acts["A"]), y)),
        "B": lambda p: jnp.mean(plain_cross_entropy(mlp(p, x, acts["B"]), y)),
    }
    # Full float32 matmuls on every backend (GPUs and TPUs may default to TF32/bf16 passes,
    # whose rounding would swamp the differences this demo is about).
    with jax.default_matmul_precision("float32"):
        t0 = time.perf_counter()
        grads = {k: jax.grad(loss[k])(params0) for k in "AB"}
        trained = {k: jax.jit(lambda p, k=k: train(loss[k], p, args.steps, args.lr))(params0) for k in "AB"}
        elapsed = time.perf_counter() - t0
    accuracy = {k: float(jnp.mean(jnp.argmax(mlp(trained[k][0], x, acts[k]), -1) == y)) for k in "AB"}
    return dict(grads=grads, params={k: trained[k][0] for k in "AB"}, accuracy=accuracy, elapsed=elapsed,
                curves={k: np.asarray(trained[k][1], np.float64) for k in "AB"}, points=len(y_np))


def run(args: argparse.Namespace) -> int:
    names = _names(args)
    if args.x64:
        jax.config.update("jax_enable_x64", True)
    dtype = jnp.float64 if args.x64 else jnp.float32
    r = _two_runs(args, names, dtype)
    c_ours, c_theirs = r["curves"]["A"], r["curves"]["B"]
    acts = ", ".join(names)
    print(
        f"jax-act demo: MLP 2-{args.hidden}-{args.hidden}-3 ({acts}) on {r['points']} spiral points, "
        f"{args.steps} full-batch momentum steps, {jnp.dtype(dtype).name}, jax {jax.__version__} on "
        f"{jax.default_backend()}"
    )
    print(f"  A: jax_act.{{{acts}}} + jax_act.losses.softmax_cross_entropy_with_integer_labels (closed forms)")
    print(f"  B: jax.nn.{{{acts}}} + -log_softmax at the label (plain autodiff)")
    print()
    print(f"{'step':>6}  {'loss A':>12}  {'loss B':>12}  {'|A - B|':>10}")
    for i in sorted({*np.linspace(0, args.steps - 1, min(args.steps, 11)).round().astype(int)}):
        print(f"{i:>6}  {c_ours[i]:12.6f}  {c_theirs[i]:12.6f}  {abs(c_ours[i] - c_theirs[i]):10.2e}")
    gdiff, gscale = _largest_difference(r["grads"]["A"], r["grads"]["B"]), _largest(r["grads"]["B"])
    diff, scale = _largest_difference(r["params"]["A"], r["params"]["B"]), _largest(r["params"]["B"])
    eps = float(jnp.finfo(dtype).eps)
    # Rounding differences grow along a training run; 1e3 eps of the largest weight is still
    # far below anything training could notice.
    limit, glimit = 1e3 * eps * scale, 64 * eps * gscale
    ok = diff <= limit and gdiff <= glimit and np.all(np.isfinite(c_ours))
    print()
    print(f"accuracy: A {r['accuracy']['A']:.3f}, B {r['accuracy']['B']:.3f}")
    print(
        f"max |grad A - grad B| at the initial weights = {gdiff:.3e}  (largest gradient {gscale:.2f}; "
        f"{gdiff / (eps * gscale):.1f} eps of it; limit {glimit:.1e})"
    )
    print(
        f"max |params A - params B| after training   = {diff:.3e}  (largest weight {scale:.2f}; "
        f"{diff / (eps * scale):.1f} eps of it; limit {limit:.1e})"
    )
    print(f"{'OK: same function, same gradients' if ok else 'MISMATCH'} ({r['elapsed']:.1f} s)")
    return 0 if ok else 1
