"""The shape of the code: one-way layers, no cycles, no borrowed private names, modules and functions kept small.

These read the source (ast), so a violation fails here with its file and line.
"""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("indexer", "search", "web")
LAYER = {"indexer": 0, "search": 1, "web": 2}  # data flows indexer → search → web
MAX_MODULE_LINES = 420
MAX_FUNCTION_LINES = 60
DECLARATIVE = {("web/openapi.py", "document")}  # a table written as code: the OpenAPI document


def modules():
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            yield path, ast.parse(path.read_text(), str(path))


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def own_names(tree: ast.AST) -> set[str]:
    """Every name a module defines: functions, classes, assigned names and attributes set on self/cls."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            names.add(node.attr)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return names


def test_no_module_uses_another_modules_private_names():
    problems = []
    for path, tree in modules():
        mine = own_names(tree)
        where = path.relative_to(ROOT)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in PACKAGES:
                problems += [f"{where}:{node.lineno} imports {a.name} from {node.module}"
                             for a in node.names if a.name.startswith("_") and not a.name.startswith("__")]
            if (isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__")
                    and node.attr not in mine):
                problems.append(f"{where}:{node.lineno} uses {ast.unparse(node)}")
    assert not problems, "private names used across modules:\n" + "\n".join(problems)


def top_level_imports(tree: ast.Module) -> set[str]:
    """Modules imported when this one is (not those imported inside functions or for type checking)."""
    found = set()
    for node in tree.body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
    return {name for name in found if name.split(".")[0] in PACKAGES}


def test_layers_flow_one_way_and_imports_have_no_cycles():
    graph = {}
    names = set()
    for path, tree in modules():
        names.add(module_name(path))
        graph[module_name(path)] = top_level_imports(tree)
    graph = {module: {i for i in imports if i in names and i != module} for module, imports in graph.items()}
    backwards = [f"{m} imports {i}" for m, imports in graph.items() for i in imports
                 if LAYER[i.split(".")[0]] > LAYER[m.split(".")[0]]]
    assert not backwards, "imports against the flow indexer → search → web:\n" + "\n".join(backwards)

    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for nxt in sorted(graph.get(module, ())):
            if state.get(nxt) == 1:
                pytest.fail("import cycle: " + " → ".join(path[path.index(nxt):] + [nxt]))
            if nxt not in state:
                visit(nxt, path + [nxt])
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])


def test_modules_and_functions_stay_small():
    problems = []
    for path, tree in modules():
        where = str(path.relative_to(ROOT))
        lines = path.read_text().count("\n")
        if lines > MAX_MODULE_LINES:
            problems.append(f"{where}: {lines} lines")
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and (where, node.name) not in DECLARATIVE:
                length = node.end_lineno - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    problems.append(f"{where}:{node.lineno} {node.name}(): {length} lines")
    assert not problems, "split these:\n" + "\n".join(problems)


def test_search_folders_say_where_a_change_goes():
    """The README's layout table names each folder; each holds what it says."""
    folders = {p.name for p in (ROOT / "search").iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert folders == {"sqlite", "elastic", "vectors", "lens", "people", "fancam", "moments", "scale"}
    readme = (ROOT / "README.md").read_text()
    for folder in folders:
        assert f"`search/{folder}/`" in readme, f"README's layout table lacks search/{folder}/"
