"""No import cycles between cnnlab's modules, lazy imports inside functions included (a cycle
through a lazy import is still two modules that cannot be understood apart)."""

import ast
import importlib.util
from pathlib import Path

import cnnlab
from cnnlab import paths

ROOMS = [name for name in paths.ROOMS if name != "cnnlab.assignments"]


def _modules() -> dict[str, Path]:
    """Every module of the installed cnnlab (its rooms), by dotted name."""
    found = {}
    top = Path(cnnlab.__file__).parent
    for room in ROOMS:
        base = Path(importlib.util.find_spec(room).submodule_search_locations[0])
        for path in base.rglob("*.py"):
            if room == "cnnlab" and path.parent != top:
                continue  # the rooms of a wheel install sit inside cnnlab/: walked as rooms
            parts = list(path.relative_to(base).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join([room, *parts])] = path
    return found


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    edges = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        targets = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            targets = [f"{base}.{a.name}" for a in node.names] + [base]
        for target in targets:
            # the deepest known module the name refers to
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                edges.add(target)
    return edges


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    return out


def test_no_import_cycles():
    modules = _modules()
    known = set(modules)
    # a package's __init__ re-exporting its modules is not a cycle with them: leave out the
    # edges from a package to its own submodules
    graph = {name: {t for t in _imports(name, path, known) if not t.startswith(name + ".")}
             for name, path in modules.items()}
    assert _cycles(graph) == []
