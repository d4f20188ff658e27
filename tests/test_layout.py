"""The shape of the code: one-way layers, no cycles, no borrowed private names, modules and functions kept small.

These read the source (ast), so a violation fails here with its file and line. Imports inside functions
count like any other: a backward import or a cycle hidden in a function body is still one.
"""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "src"
PACKAGE = SOURCE / "visearch"
# The rooms of the one package, in the order data flows: a room imports from its own layer or earlier ones.
# text → indexer (media → records) → storage (the stores) → the features → ingest → app (use cases) → web → cli
LAYER = {"": 0, "errors": 0, "defaults": 0, "text": 0, "indexer": 1, "demo": 2, "storage": 2,
         "search": 3, "lens": 3, "people": 3, "moments": 3, "fancam": 3, "cutout": 3,
         "ingest": 4, "app": 5, "web": 6, "cli": 7, "__main__": 8}
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60
DECLARATIVE = {("web/openapi.py", "document")}  # a table written as code: the OpenAPI document


def modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        yield path, ast.parse(path.read_text(), str(path))


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SOURCE).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def room(module: str) -> str:
    """`visearch.lens.answer` → `lens`; the package's own top-level modules are rooms of their own."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] != "__init__" else ""


def private_owners() -> dict[str, set[str]]:
    """Each private name (`_x`) → the modules that define it: as a function, class or method, or as an
    attribute a class sets on `self`/`cls` or assigns in its body."""
    owners: dict[str, set[str]] = {}
    for path, tree in modules():
        for node in ast.walk(tree):
            name = None
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = node.name
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store) and \
                    isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"):
                name = node.attr
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                name = node.id
            if name and name.startswith("_") and not name.startswith("__"):
                owners.setdefault(name, set()).add(module_name(path))
    return owners


def test_no_module_uses_another_modules_private_names():
    """`thing._x` is allowed where `thing` is the module's own (`self`, `cls`) or `_x` is owned by this module
    alone: a name another module also defines may be that module's, whatever the spelling."""
    owners = private_owners()
    problems = []
    for path, tree in modules():
        me, where = module_name(path), path.relative_to(ROOT)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "visearch":
                problems += [f"{where}:{node.lineno} imports {a.name} from {node.module}"
                             for a in node.names if a.name.startswith("_") and not a.name.startswith("__")]
            if not (isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__")):
                continue
            if isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"):
                continue
            if owners.get(node.attr, set()) != {me}:
                problems.append(f"{where}:{node.lineno} uses {ast.unparse(node)} "
                                f"(owned by {', '.join(sorted(owners.get(node.attr, ()))) or 'no module here'})")
    assert not problems, "private names used across modules:\n" + "\n".join(problems)


def imports(tree: ast.Module) -> set[str]:
    """Modules this one imports, at its top or inside its functions (not those imported for type checking)."""
    found = set()
    checking = {id(n) for node in tree.body if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
                for n in ast.walk(node)}
    for node in ast.walk(tree):
        if id(node) in checking:
            continue
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # `from web import queries` imports the module web.queries; `from visearch.web.api import api`, web.api
            submodules = {f"{node.module}.{a.name}" for a in node.names} & KNOWN
            found.update(submodules or {node.module})
            if len(submodules) < len(node.names):
                found.add(node.module)
    return {name for name in found if name.split(".")[0] == "visearch"}


KNOWN = {module_name(path) for path in PACKAGE.rglob("*.py")}


def test_layers_flow_one_way_and_imports_have_no_cycles():
    graph = {}
    names = set()
    for path, tree in modules():
        names.add(module_name(path))
        graph[module_name(path)] = imports(tree)
    graph = {module: {i for i in found if i in names and i != module} for module, found in graph.items()}
    backwards = [f"{m} imports {i}" for m, found in graph.items() for i in found if LAYER[room(i)] > LAYER[room(m)]]
    assert not backwards, "imports against the flow text → indexer → storage → features → app → web → cli:\n" + \
        "\n".join(backwards)

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
        where = str(path.relative_to(PACKAGE))
        lines = path.read_text().count("\n")
        if lines > MAX_MODULE_LINES:
            problems.append(f"{where}: {lines} lines")
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and (where, node.name) not in DECLARATIVE:
                length = node.end_lineno - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    problems.append(f"{where}:{node.lineno} {node.name}(): {length} lines")
    assert not problems, "split these:\n" + "\n".join(problems)


def test_every_room_is_known_and_named_in_the_readme():
    """Each folder of the package is a room with a place in the flow, and the README's layout table names it."""
    rooms = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert rooms == set(LAYER) - {"", "errors", "defaults", "__main__"}
    readme = (ROOT / "README.md").read_text()
    for name in rooms:
        assert f"`{name}/`" in readme, f"README's layout table lacks {name}/"


# Stores and models are opened by the use cases (visearch.app): the edges parse, call one, and format.
EDGE_MAY_NOT_IMPORT = ("visearch.storage", "visearch.indexer.models", "visearch.search.engine",
                       "visearch.search.query_models", "visearch.ingest", "visearch.people.index")
EDGE_VALUES = {"visearch.storage.browse"}  # a browse filter is a value the web builds from its parameters


def test_the_cli_and_the_web_reach_stores_and_models_only_through_use_cases():
    problems = []
    for path, tree in modules():
        if room(module_name(path)) not in ("cli", "web"):
            continue
        for name in imports(tree):
            if name.startswith(EDGE_MAY_NOT_IMPORT) and name not in EDGE_VALUES:
                problems.append(f"{path.relative_to(ROOT)} imports {name}")
    assert not problems, "call a use case (visearch.app) instead:\n" + "\n".join(problems)


def test_every_command_goes_through_a_use_case():
    """Each CLI module that handles a command calls into visearch.app."""
    lonely = []
    for path, tree in modules():
        if room(module_name(path)) != "cli" or path.name in ("__init__.py", "__main__.py", "common.py", "handoff.py"):
            continue
        if not any(name.startswith("visearch.app") for name in imports(tree)):
            lonely.append(str(path.relative_to(ROOT)))
    assert not lonely, lonely
