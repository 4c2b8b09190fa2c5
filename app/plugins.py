"""Plugin declarations and the loader that orders, checks and installs them into the app."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from graphlib import CycleError, TopologicalSorter
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask

from app.tariff_kinds import TariffKind


class PluginError(RuntimeError):
    """The configured plugin set cannot start; the message names the plugins at fault."""


@dataclass(frozen=True)
class Permission:
    """A right, named `<plugin>.<what>`, granted by default to the listed roles."""

    name: str
    description: str
    roles: tuple[str, ...] = ()


@dataclass(frozen=True)
class MenuEntry:
    """A main-menu link shown to users holding `permission`.

    `customers_only`: the page works on the user's own company (the portal's pages), so
    only a customer user is offered it; staff holding the permission (the admin holds
    them all) would find an empty form or no page.
    """

    endpoint: str
    label: Any  # a lazy gettext string, translated when the menu renders
    permission: str
    order: int = 100
    customers_only: bool = False


@dataclass(frozen=True)
class TariffKey:
    """A value finance can edit (SPEC [default]), with its kind, label and seeded default.

    `kind` is a TariffKind (app.tariff_kinds) with its bounds: it parses, checks, stores
    and describes the value, and picks the form's editor. `label` is a lazy translated
    name for the pages and error messages. `versions` are the seeded (valid-from ISO
    date, value) pairs, given as text/JSON exactly as they are stored, so that no float
    ever stands in for money.
    """

    key: str
    kind: TariffKind
    label: Any  # a lazy gettext string
    versions: tuple[tuple[str, Any], ...]

    def __post_init__(self) -> None:
        if not isinstance(self.kind, TariffKind):
            raise PluginError(
                f"tariff {self.key}: kind must be a TariffKind (app.tariff_kinds), "
                f"not {self.kind!r}"
            )


@dataclass(frozen=True)
class PeriodicTask:
    """A job the plugin wants run on a fixed interval (Celery beat, or in-process)."""

    name: str  # unique, starts with the plugin's name: "servicedesk.sweep"
    function: str  # import string "module:function", called in an app context
    every_seconds: int = 60


@dataclass(frozen=True)
class OutboxChannel:
    """A way outbox messages leave (see app.outbox): the host's e-mail or a plugin's own.

    `function` is an import string "module:function" that takes the OutboxMessage and
    raises when it could not be delivered (the outbox retries it later).
    """

    name: str  # starts with the plugin's name: "servicedesk.notification"
    function: str


@dataclass(frozen=True)
class Plugin:
    """The one declaration a plugin makes in its package `__init__`, as `PLUGIN`.

    Code references are import strings ("module:attribute") so that reading the
    declaration is cheap and a disabled plugin's code is never imported.
    """

    name: str
    version: str
    depends: tuple[str, ...] = ()
    permissions: tuple[Permission, ...] = ()
    menu: tuple[MenuEntry, ...] = ()
    tariffs: tuple[TariffKey, ...] = ()
    blueprints: tuple[str, ...] = ()
    cli: tuple[str, ...] = ()
    models: str | None = None
    hooks: str | None = None
    seed: str | None = None
    demo: str | None = None
    periodic: tuple[PeriodicTask, ...] = ()
    outbox_channels: tuple[OutboxChannel, ...] = ()
    # "module:function" called once per app with the app.metrics.MetricsRegistry, to add
    # the plugin's metrics and scrape-time collectors (see app/metrics.py).
    metrics: str | None = None
    package_path: Path | None = field(default=None, compare=False)

    @property
    def table_prefix(self) -> str:
        return f"{self.name}_"


def load_object(ref: str) -> Any:
    module_name, _, attribute = ref.partition(":")
    module = importlib.import_module(module_name)
    return getattr(module, attribute) if attribute else module


def discover(package: str = "plugins") -> dict[str, Plugin]:
    """Every plugin declaration found under the `plugins` package, by name."""
    root = importlib.import_module(package)
    found: dict[str, Plugin] = {}
    for info in pkgutil.iter_modules(root.__path__):
        if not info.ispkg:
            continue
        module = importlib.import_module(f"{package}.{info.name}")
        declaration = getattr(module, "PLUGIN", None)
        if not isinstance(declaration, Plugin):
            raise PluginError(f"package {package}.{info.name} has no PLUGIN declaration")
        if declaration.name != info.name:
            raise PluginError(
                f"plugin package {info.name!r} declares the name {declaration.name!r}"
            )
        object.__setattr__(declaration, "package_path", Path(module.__file__).parent)
        found[declaration.name] = declaration
    return found


def resolve_order(available: dict[str, Plugin], enabled: Iterable[str]) -> list[Plugin]:
    """The enabled plugins, each after its dependencies; refuses gaps and cycles."""
    enabled = list(dict.fromkeys(enabled))
    unknown = [name for name in enabled if name not in available]
    if unknown:
        raise PluginError(f"unknown plugin(s) enabled: {', '.join(sorted(unknown))}")
    missing = sorted(
        f"{name} needs {dep}"
        for name in enabled
        for dep in available[name].depends
        if dep not in enabled
    )
    if missing:
        raise PluginError("missing plugin dependency: " + "; ".join(missing))
    graph = {name: set(available[name].depends) for name in enabled}
    try:
        order = list(TopologicalSorter(graph).static_order())
    except CycleError as error:
        cycle = " -> ".join(error.args[1])
        raise PluginError(f"plugin dependency cycle: {cycle}") from error
    return [available[name] for name in order]


def _check_declaration(plugin: Plugin) -> None:
    prefix = f"{plugin.name}."
    wrong = [p.name for p in plugin.permissions if not p.name.startswith(prefix)]
    wrong += [t.key for t in plugin.tariffs if not t.key.startswith(prefix)]
    wrong += [job.name for job in plugin.periodic if not job.name.startswith(prefix)]
    wrong += [c.name for c in plugin.outbox_channels if not c.name.startswith(prefix)]
    if wrong:
        raise PluginError(
            f"plugin {plugin.name}: permissions, tariffs, periodic tasks and outbox channels "
            "must start with "
            f"{prefix!r}: {wrong}"
        )


def _check_tables(plugin: Plugin, tables: Iterable[str]) -> None:
    wrong = sorted(t for t in tables if not t.startswith(plugin.table_prefix))
    if wrong:
        raise PluginError(
            f"plugin {plugin.name}: tables must start with {plugin.table_prefix!r}: {wrong}"
        )


def tables_of_module(module_prefix: str) -> set[str]:
    """Names of the tables mapped by models defined under `module_prefix`."""
    from app.database import db

    return {
        mapper.local_table.name
        for mapper in db.Model.registry.mappers
        if mapper.class_.__module__.startswith(module_prefix + ".")
        and mapper.local_table is not None
    }


def install_plugins(app: Flask, plugins: list[Plugin]) -> None:
    """Import models, register hooks, blueprints and CLI groups, in dependency order."""
    from app.hooks import plugin_manager

    channels = app.extensions.setdefault("winet.outbox_channels", {})
    for plugin in plugins:
        _check_declaration(plugin)
        channels.update({channel.name: channel.function for channel in plugin.outbox_channels})
        if plugin.models:
            importlib.import_module(plugin.models)
            root = "app" if plugin.name == "core" else f"plugins.{plugin.name}"
            _check_tables(plugin, tables_of_module(root))
        if plugin.hooks:
            plugin_manager(app).register(load_object(plugin.hooks), name=plugin.name)
        for ref in plugin.blueprints:
            blueprint: Blueprint = load_object(ref)
            if blueprint.name != plugin.name and not blueprint.name.startswith(plugin.name + "_"):
                raise PluginError(
                    f"plugin {plugin.name}: blueprint {blueprint.name!r} must be named "
                    f"{plugin.name!r} or start with {plugin.name + '_'!r}"
                )
            app.register_blueprint(blueprint)
        for ref in plugin.cli:
            app.cli.add_command(load_object(ref))
    plugin_manager(app).check_pending()


def translation_directories(plugins: list[Plugin]) -> list[str]:
    dirs = []
    for plugin in plugins:
        if plugin.package_path and (plugin.package_path / "translations").is_dir():
            dirs.append(str(plugin.package_path / "translations"))
    return dirs


def call_each(plugins: list[Plugin], attribute: str, *args: Any) -> None:
    """Run an optional plugin function (seed, demo) for every plugin, in order."""
    for plugin in plugins:
        ref = getattr(plugin, attribute)
        if ref:
            function: Callable[..., Any] = load_object(ref)
            function(*args)
