"""The shape of the package: mechanisms in ``_engine/``, declarations outside it, short
functions, no import circle, and no fact a declaration states by hand twice."""

from __future__ import annotations

import ast
import pathlib
import re
import statistics

PACKAGE = pathlib.Path(__file__).resolve().parents[1] / "jax_act"
MODULES = {p: ast.parse(p.read_text()) for p in sorted(PACKAGE.rglob("*.py"))}
DECORATORS = {"elementwise", "along_axis", "gated_unit", "declare_explicit", "loss"}
OWN_RULES = ("_linear_ce.py", "_linear_ce_kernel.py")  # the fused output layer's rule and kernel


def _name(path: pathlib.Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: pathlib.Path, tree: ast.AST) -> set[str]:
    """The package modules ``path`` imports at its top level (type-only imports included)."""
    here = _name(path).split(".")
    package = here if path.name == "__init__.py" else here[:-1]
    out = set()
    for node in [n for top in tree.body for n in ([top, *top.body] if isinstance(top, ast.If) else [top])]:
        if isinstance(node, ast.ImportFrom) and node.level:
            base = ".".join(package[: len(package) - node.level + 1] + ([node.module] if node.module else []))
            out |= {base} | {f"{base}.{a.name}" for a in node.names}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("jax_act"):
            out |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
    known = {_name(p) for p in MODULES}
    return {m for m in out if m in known} - {_name(path)}


def test_no_import_circle():
    graph = {_name(p): _imports(p, t) for p, t in MODULES.items()}

    def visit(node: str, path: tuple[str, ...]) -> None:
        for nxt in graph.get(node, ()):
            # a package's __init__ imports its own modules; the circle through the parent is not one
            if nxt in path and not node.startswith(nxt + "."):
                raise AssertionError(" → ".join([*path[path.index(nxt):], nxt]))
            if nxt not in path and not node.startswith(nxt + "."):
                visit(nxt, (*path, nxt))

    for module in graph:
        if module.startswith("jax_act._engine"):
            visit(module, (module,))


def test_no_function_over_sixty_lines():
    long = []
    for path, tree in MODULES.items():
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                body = node.body[1:] if ast.get_docstring(node) and len(node.body) > 1 else node.body
                if node.end_lineno - body[0].lineno + 1 > 60:
                    long.append(f"{path.name}:{node.name}")
    assert not long, long


def test_rules_are_made_by_one_builder():
    # a rule made: custom_vjp(f), partial(custom_vjp, ...), @custom_jvp, .defvjp(...); not isinstance checks
    pattern = re.compile(r"custom_[vj]jp\(|custom_[vj]jp, nondiff|@(jax\.)?custom_[vj]jp\b|\.def[vj]jps?\(")
    makers = [_name(p) for p in MODULES if p.name not in OWN_RULES
              and pattern.search("\n".join(line for line in p.read_text().splitlines()
                                          if not line.lstrip().startswith(("#", '"', "`", "*"))))]
    assert makers == ["jax_act._engine.pair"], makers


def test_a_spec_is_made_in_one_place():
    makers = sorted({_name(p) for p, t in MODULES.items() for n in ast.walk(t)
                     if isinstance(n, ast.Call) and ast.unparse(n.func).rpartition(".")[2] == "Spec"})
    assert makers == ["jax_act._engine.public"], makers


def _declarations() -> list[tuple[pathlib.Path, ast.FunctionDef]]:
    def front_end(d: ast.expr) -> str:
        return ast.unparse(d.func if isinstance(d, ast.Call) else d).rpartition(".")[2]

    return [(p, n) for p, t in MODULES.items() if "_engine" not in p.parts for n in t.body
            if isinstance(n, ast.FunctionDef) and any(front_end(d) in DECORATORS for d in n.decorator_list)]


def test_declarations_are_short():
    lengths = [n.end_lineno - min(d.lineno for d in n.decorator_list) + 1 for _, n in _declarations()]
    assert len(lengths) >= 45 and statistics.median(lengths) <= 25, (len(lengths), statistics.median(lengths))


def test_declarations_state_no_kink_or_keeps_sentence():
    """The engine writes those sections from the declaration (tests/test_generated_docs.py)."""
    said = [f"{p.name}:{n.name}" for p, n in _declarations()
            if re.search(r"\bKinks?\b|[Kk]ink convention|backward pass keeps", ast.get_docstring(n) or "")]
    assert not said, said
