"""Import boundaries: plugins talk through the host's hooks, never to undeclared plugins."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from app.plugins import discover

ROOT = Path(__file__).resolve().parent.parent
DYNAMIC_IMPORTERS = {"import_module", "__import__"}


def imported_modules(source: str) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in `source`, including
    `importlib.import_module("...")` with a literal name; relative imports are skipped
    because they cannot leave their package."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
            # `from plugins import invoicing` imports the plugin package itself.
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
        elif isinstance(node, ast.Call):
            function = node.func
            name = function.attr if isinstance(function, ast.Attribute) else None
            name = function.id if isinstance(function, ast.Name) else name
            if (
                name in DYNAMIC_IMPORTERS
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                found.append((node.lineno, node.args[0].value))
    return found


def plugin_imports(source: str) -> list[tuple[int, str]]:
    """(line, plugin name) for every import of a `plugins.<name>` module."""
    result = []
    for line, module in imported_modules(source):
        parts = module.split(".")
        if parts[0] == "plugins" and len(parts) > 1:
            result.append((line, parts[1]))
    return sorted(set(result))


def boundary_violations(source: str, plugin: str, depends: tuple[str, ...]) -> list[str]:
    allowed = {plugin, *depends}
    return [
        f"line {line}: imports plugins.{other}"
        for line, other in plugin_imports(source)
        if other not in allowed
    ]


def host_violations(source: str) -> list[str]:
    return [f"line {line}: imports plugins.{other}" for line, other in plugin_imports(source)]


# --- the checker itself --------------------------------------------------------------------

SYNTHETIC = """
import plugins.contracts.models
from plugins.invoicing.services import issue
from plugins import servicedesk
from plugins.billing import x
from .models import Ticket
from app.hooks import hookimpl
import importlib
importlib.import_module("plugins.shop.views")
"""


def test_checker_finds_every_form_of_plugin_import():
    assert [name for _, name in plugin_imports(SYNTHETIC)] == [
        "contracts",
        "invoicing",
        "servicedesk",
        "billing",
        "shop",
    ]


def test_checker_flags_imports_of_plugins_not_depended_on():
    violations = boundary_violations(SYNTHETIC, "servicedesk", ("contracts",))
    assert violations == [
        "line 3: imports plugins.invoicing",
        "line 5: imports plugins.billing",
        "line 9: imports plugins.shop",
    ]
    assert boundary_violations("from plugins.contracts import queries", "x", ("contracts",)) == []


def test_checker_flags_the_host_importing_a_plugin():
    assert host_violations("from plugins.invoicing.models import Invoice") == [
        "line 1: imports plugins.invoicing"
    ]
    assert host_violations('def discover(package: str = "plugins"): ...') == []


# --- the real code ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "plugin", sorted(discover().values(), key=lambda p: p.name), ids=lambda p: p.name
)
def test_plugin_imports_only_itself_and_its_dependencies(plugin):
    package = ROOT / "plugins" / plugin.name
    violations = [
        f"{path.relative_to(ROOT)} {problem}"
        for path in sorted(package.rglob("*.py"))
        for problem in boundary_violations(path.read_text(), plugin.name, plugin.depends)
    ]
    assert not violations, (
        f"plugin {plugin.name} (depends on {list(plugin.depends)}) imports other plugins; "
        "use a hook instead:\n" + "\n".join(violations)
    )


def test_host_never_imports_a_plugin():
    violations = [
        f"{path.relative_to(ROOT)} {problem}"
        for path in sorted((ROOT / "app").rglob("*.py"))
        for problem in host_violations(path.read_text())
    ]
    assert not violations, "the host must not import plugins:\n" + "\n".join(violations)


# --- the host facade -------------------------------------------------------------------------

FACADE = "app.toolkit"


def facade_violations(source: str) -> list[str]:
    """Imports of host modules other than the facade (`app.toolkit`)."""
    found: dict[int, str] = {}
    for line, module in imported_modules(source):
        if module.split(".")[0] != "app" or module == FACADE or module.startswith(FACADE + "."):
            continue
        # `from app.x import y` is listed as app.x and app.x.y: name the module once.
        found.setdefault(line, module)
    return [f"line {line}: imports {module}" for line, module in sorted(found.items())]


def test_facade_checker_finds_host_imports_other_than_the_toolkit():
    source = (
        "from app.toolkit import db\n"
        "from app.database import db\n"
        "import app.models\n"
        "from app import create_app\n"
        "from application import x\n"
    )
    assert facade_violations(source) == [
        "line 2: imports app.database",
        "line 3: imports app.models",
        "line 4: imports app",
    ]


@pytest.mark.parametrize(
    "plugin", sorted(discover().values(), key=lambda p: p.name), ids=lambda p: p.name
)
def test_plugins_import_the_host_only_through_its_toolkit(plugin):
    package = ROOT / "plugins" / plugin.name
    violations = [
        f"{path.relative_to(ROOT)} {problem}"
        for path in sorted(package.rglob("*.py"))
        for problem in facade_violations(path.read_text())
    ]
    assert not violations, (
        f"plugin {plugin.name} imports host modules directly; import them from "
        f"{FACADE} (add what is missing there):\n" + "\n".join(violations)
    )


# --- one job per module: an acyclic import graph inside each plugin ---------------------


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def module_imports(source: str) -> tuple[set[str], list[tuple[int, str]]]:
    """(modules imported at the top of the module, (line, module) imported in functions)."""
    tree = ast.parse(source)
    inner: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for sub in ast.walk(node):
                if isinstance(sub, ast.Import | ast.ImportFrom):
                    inner += [(sub.lineno, m) for _, m in imported_modules(ast.unparse(sub))]
    top = set()
    for node in tree.body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            top |= {module for _, module in imported_modules(ast.unparse(node))}
    return top, inner


def import_graph(package: Path) -> tuple[dict[str, set[str]], dict[str, list[tuple[int, str]]]]:
    """The plugin's modules and which of them each imports at its top; and the imports
    each makes inside functions."""
    sources = {_module_name(p): p.read_text() for p in sorted(package.rglob("*.py"))}
    graph, inner = {}, {}
    for name, source in sources.items():
        top, lazy = module_imports(source)
        graph[name] = {m for m in top if m in sources and m != name}
        inner[name] = [(line, m) for line, m in lazy]
    return graph, inner


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1 or node in graph[node]:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def reaches(graph: dict[str, set[str]], start: str, goal: str) -> bool:
    seen, todo = set(), [start]
    while todo:
        node = todo.pop()
        if node == goal:
            return True
        if node not in seen:
            seen.add(node)
            todo += graph.get(node, ())
    return False


def needless_inner_imports(graph, inner) -> list[str]:
    """Imports inside functions that would not close a cycle at the top of the module."""
    found = []
    for module, imports in inner.items():
        for line, target in imports:
            known = target if target in graph else None
            if known is None and target.rpartition(".")[0] in graph:
                known = target.rpartition(".")[0]  # `from pkg import module`
            if known is None or not reaches(graph, known, module):
                found.append(f"{module}:{line} imports {target} inside a function")
    return sorted(set(found))


def test_the_cycle_checker_finds_cycles_and_needless_inner_imports():
    graph = {"p.a": {"p.b"}, "p.b": {"p.c"}, "p.c": {"p.a"}, "p.d": {"p.a"}, "p.e": set()}
    assert cycles(graph) == [["p.a", "p.b", "p.c"]]
    assert cycles({"p.a": {"p.b"}, "p.b": set()}) == []
    inner = {"p.e": [(3, "p.a"), (4, "flask")], "p.a": [(9, "p.d")]}
    assert needless_inner_imports({**graph, "p.e": set()}, inner) == [
        "p.e:3 imports p.a inside a function",
        "p.e:4 imports flask inside a function",
    ]  # p.a importing p.d inside a function breaks the cycle p.a -> ... -> p.d


@pytest.mark.parametrize(
    "plugin", sorted(discover().values(), key=lambda p: p.name), ids=lambda p: p.name
)
def test_a_plugins_modules_import_each_other_without_cycles(plugin):
    graph, inner = import_graph(ROOT / "plugins" / plugin.name)
    assert cycles(graph) == [], f"import cycles in plugin {plugin.name}"
    assert needless_inner_imports(graph, inner) == [], (
        "an import inside a function that breaks no cycle belongs at the top of the module"
    )


def test_migrations_stand_on_their_own():
    # A revision must do the same on every database it ever runs on, whatever the app's
    # code becomes later: it takes nothing from app/ or plugins/ (a wording, a model, a
    # constant), it keeps its own frozen copy instead. Only the column types of
    # app.database are shared, as Alembic renders them: they are the schema itself.
    offenders = [
        f"{path.relative_to(ROOT)}:{line}: {module}"
        for path in sorted((ROOT / "migrations").rglob("*.py"))
        if path.name != "env.py"  # the environment loads the app's metadata, by design
        for line, module in imported_modules(path.read_text())
        if module.split(".")[0] in {"app", "plugins"} and module != "app.database"
    ]
    assert offenders == []
