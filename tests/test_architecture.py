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
