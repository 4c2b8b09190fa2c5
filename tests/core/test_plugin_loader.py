"""The plugin loader: dependency order, refused plugin sets, disabling, declaration checks."""

from __future__ import annotations

import importlib
import sys
import types

import pytest
from flask import Blueprint, Flask

from app.plugins import (
    PeriodicTask,
    Permission,
    Plugin,
    PluginError,
    TariffKey,
    _check_declaration,
    _check_tables,
    discover,
    resolve_order,
)
from app.security import (
    check_every_endpoint_guarded,
    public,
    requires,
    role_permissions,
)
from app.tariff_kinds import MoneyKind
from tests.conftest import test_config as make_config


def fake(name: str, *depends: str, **fields) -> Plugin:
    return Plugin(name=name, version="0", depends=depends, **fields)


def names(plugins: list[Plugin]) -> list[str]:
    return [plugin.name for plugin in plugins]


# --- resolve_order ---------------------------------------------------------------------


def test_real_plugins_are_ordered_after_their_dependencies():
    available = discover()
    order = names(resolve_order(available, sorted(available, reverse=True)))
    for plugin in available.values():
        for dependency in plugin.depends:
            assert order.index(dependency) < order.index(plugin.name)
    assert order.index("contracts") < order.index("invoicing")
    assert order.index("contracts") < order.index("servicedesk")


def test_resolve_order_puts_dependencies_first_whatever_the_configured_order():
    available = {
        "a": fake("a"),
        "b": fake("b", "a"),
        "c": fake("c", "b", "a"),
        "d": fake("d", "a"),
    }
    order = names(resolve_order(available, ["c", "d", "b", "a"]))
    assert order.index("a") < order.index("b") < order.index("c")
    assert order.index("a") < order.index("d")
    assert sorted(order) == ["a", "b", "c", "d"]


def test_missing_dependency_is_refused_naming_both_plugins():
    available = {"contracts": fake("contracts"), "invoicing": fake("invoicing", "contracts")}
    with pytest.raises(PluginError, match="invoicing needs contracts"):
        resolve_order(available, ["invoicing"])


def test_dependency_on_an_unknown_plugin_is_refused():
    available = {"invoicing": fake("invoicing", "ledger")}
    with pytest.raises(PluginError, match="invoicing needs ledger"):
        resolve_order(available, ["invoicing"])


def test_unknown_enabled_plugin_is_refused_by_name():
    with pytest.raises(PluginError, match="nosuchplugin"):
        resolve_order({"a": fake("a")}, ["a", "nosuchplugin"])


def test_dependency_cycle_is_refused_naming_the_plugins_in_it():
    available = {"a": fake("a", "c"), "b": fake("b", "a"), "c": fake("c", "b"), "d": fake("d")}
    with pytest.raises(PluginError, match="cycle") as error:
        resolve_order(available, ["a", "b", "c", "d"])
    message = str(error.value)
    assert all(name in message for name in ("a", "b", "c"))
    assert "d" not in message.split(":", 1)[1]


def test_self_dependency_is_a_cycle():
    with pytest.raises(PluginError, match="cycle"):
        resolve_order({"a": fake("a", "a")}, ["a"])


# --- disabling plugins -------------------------------------------------------------------


def _plugin_traces(app: Flask, plugin: str) -> dict[str, list[str]]:
    """What of `plugin` is installed in `app`: blueprints, endpoints, permissions, menu."""
    permissions = app.extensions["winet.role_permissions"]["admin"]
    menu = [
        entry.endpoint
        for declaration in app.extensions["winet.declarations"]
        for entry in declaration.menu
    ]
    return {
        "declarations": [d.name for d in app.extensions["winet.declarations"] if d.name == plugin],
        "blueprints": [name for name in app.blueprints if name.split("_")[0] == plugin],
        "endpoints": [e for e in app.view_functions if e.split(".")[0].split("_")[0] == plugin],
        "permissions": [p for p in permissions if p.startswith(plugin + ".")],
        "menu": [e for e in menu if e.split(".")[0].split("_")[0] == plugin],
        "tariffs": [k for k in app.extensions["winet.tariff_keys"] if k.startswith(plugin + ".")],
    }


@pytest.mark.parametrize("disabled", [["servicedesk"], ["invoicing", "servicedesk"]])
def test_app_starts_without_disabled_plugins_and_shows_nothing_of_them(migrated, disabled):
    from app import create_app

    app = create_app(make_config(migrated, DISABLED_PLUGINS=disabled))
    loaded = names(app.extensions["winet.plugins"])
    for plugin in disabled:
        assert plugin not in loaded
        assert _plugin_traces(app, plugin) == {
            "declarations": [],
            "blueprints": [],
            "endpoints": [],
            "permissions": [],
            "menu": [],
            "tariffs": [],
        }
    assert "contracts" in loaded
    with app.test_client() as client:
        assert client.get("/login").status_code == 200
        assert client.get("/api/openapi.json").status_code == 200


def test_disabling_contracts_alone_refuses_to_start_naming_its_dependants(migrated):
    from app import create_app

    dependants = sorted(p.name for p in discover().values() if "contracts" in p.depends)
    assert dependants, "some plugin should depend on contracts"
    with pytest.raises(PluginError) as error:
        create_app(make_config(migrated, DISABLED_PLUGINS=["contracts"]))
    for name in dependants:
        assert f"{name} needs contracts" in str(error.value)


def test_disabling_every_plugin_leaves_a_working_host(migrated):
    from app import create_app

    app = create_app(make_config(migrated, DISABLED_PLUGINS=sorted(discover())))
    assert app.extensions["winet.plugins"] == []
    assert app.test_client().get("/login").status_code == 200


# --- declaration checks ------------------------------------------------------------------


def test_permission_without_the_plugin_prefix_is_refused():
    plugin = fake("shop", permissions=(Permission("orders.read", "wrong prefix", ()),))
    with pytest.raises(PluginError, match=r"shop.*orders\.read"):
        _check_declaration(plugin)


def test_tariff_without_the_plugin_prefix_is_refused():
    plugin = fake("shop", tariffs=(TariffKey("fee", MoneyKind(), "no prefix", ()),))
    with pytest.raises(PluginError, match=r"shop.*fee"):
        _check_declaration(plugin)


def test_periodic_task_without_the_plugin_prefix_is_refused():
    plugin = fake("shop", periodic=(PeriodicTask("nightly", "shop.jobs:nightly", 3600),))
    with pytest.raises(PluginError, match=r"shop.*nightly"):
        _check_declaration(plugin)


def test_a_tariff_key_without_a_typed_kind_is_refused():
    with pytest.raises(PluginError, match="kind must be a TariffKind"):
        TariffKey("shop.fee", "decimal", "untyped", ())


def test_prefixed_permissions_and_tariffs_are_accepted():
    declaration = fake(
        "shop",
        permissions=(Permission("shop.order", "ok", ("customer",)),),
        tariffs=(TariffKey("shop.fee", MoneyKind(), "ok", ()),),
    )
    assert _check_declaration(declaration) is None  # no PluginError
    with pytest.raises(PluginError, match="shop.fee"):  # the same key in another plugin
        _check_declaration(fake("cart", tariffs=(TariffKey("shop.fee", MoneyKind(), "ok", ()),)))


def test_table_without_the_plugin_prefix_is_refused():
    with pytest.raises(PluginError, match=r"shop.*orders"):
        _check_tables(fake("shop"), {"shop_cart", "orders"})
    _check_tables(fake("shop"), {"shop_cart", "shop_order"})


def test_every_installed_table_carries_its_plugin_prefix(app):
    from app.plugins import tables_of_module

    for plugin in app.extensions["winet.declarations"]:
        root = "app" if plugin.name == "core" else f"plugins.{plugin.name}"
        for table in tables_of_module(root):
            assert table.startswith(plugin.table_prefix), (plugin.name, table)


@pytest.fixture
def fake_plugin_app(monkeypatch, migrated):
    """create_app with one extra plugin `shop` whose blueprint lives in a fake module."""
    module = types.ModuleType("fake_shop_views")
    monkeypatch.setitem(sys.modules, "fake_shop_views", module)
    host = importlib.import_module("app")
    real_discover = host.discover

    def build(blueprint: Blueprint, **fields):
        module.bp = blueprint
        shop = fake("shop", blueprints=("fake_shop_views:bp",), **fields)
        monkeypatch.setattr(host, "discover", lambda: {**real_discover(), "shop": shop})
        return host.create_app(make_config(migrated))

    return build


def test_create_app_refuses_a_view_without_a_permission(fake_plugin_app):
    blueprint = Blueprint("shop", __name__, url_prefix="/shop")

    @blueprint.get("/naked")
    def naked():
        return "anyone"

    with pytest.raises(PluginError, match=r"views without a permission: shop\.naked"):
        fake_plugin_app(blueprint)


def test_create_app_refuses_a_blueprint_not_named_after_its_plugin(fake_plugin_app):
    blueprint = Blueprint("orders", __name__, url_prefix="/shop")
    with pytest.raises(PluginError, match=r"shop.*orders"):
        fake_plugin_app(blueprint)


def test_create_app_accepts_a_guarded_plugin_view(fake_plugin_app):
    blueprint = Blueprint("shop", __name__, url_prefix="/shop")

    @blueprint.get("/orders")
    @requires("shop.read")
    def orders():
        return "orders"

    app = fake_plugin_app(blueprint, permissions=(Permission("shop.read", "See", ("finance",)),))
    assert "shop.orders" in app.view_functions


def test_create_app_refuses_a_view_using_an_undeclared_permission(fake_plugin_app):
    blueprint = Blueprint("shop", __name__, url_prefix="/shop")

    @blueprint.get("/orders")
    @requires("shop.read")
    def orders():
        return "orders"

    with pytest.raises(PluginError, match=r"undeclared permissions: shop\.read"):
        fake_plugin_app(blueprint)


def _small_app() -> Flask:
    small = Flask(__name__)
    small.extensions["winet.role_permissions"] = role_permissions(
        [Permission("core.dashboard", "start page", ("finance",))]
    )
    return small


def test_check_every_endpoint_guarded_names_the_unguarded_views():
    small = _small_app()

    @small.get("/guarded")
    @requires("core.dashboard")
    def guarded():
        return ""

    @small.get("/open")
    @public("a test page")
    def open_page():
        return ""

    check_every_endpoint_guarded(small)  # guarded and public views pass

    @small.get("/forgotten")
    def forgotten():
        return ""

    with pytest.raises(PluginError, match="forgotten"):
        check_every_endpoint_guarded(small)


def test_permission_for_an_unknown_role_is_refused():
    with pytest.raises(PluginError, match="janitor"):
        role_permissions([Permission("core.x", "x", ("janitor",))])


@pytest.fixture
def plugin_package(tmp_path, monkeypatch):
    """A throw-away `fakeplugins` package on sys.path; returns a writer of plugin modules."""
    root = tmp_path / "fakeplugins"
    root.mkdir()
    (root / "__init__.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()
    yield (
        lambda name, source: (
            (root / name).mkdir() or (root / name / "__init__.py").write_text(source)
        )
    )
    for module in [m for m in sys.modules if m == "fakeplugins" or m.startswith("fakeplugins.")]:
        del sys.modules[module]


def test_discover_reads_each_plugin_declaration(plugin_package):
    plugin_package(
        "shop",
        "from app.plugins import Plugin\nPLUGIN = Plugin(name='shop', version='1', depends=('x',))",
    )
    found = discover("fakeplugins")
    assert list(found) == ["shop"] and found["shop"].depends == ("x",)
    assert found["shop"].package_path.name == "shop"


def test_discover_refuses_a_package_without_declaration(plugin_package):
    plugin_package("shop", "VERSION = 1\n")
    with pytest.raises(PluginError, match=r"fakeplugins\.shop has no PLUGIN"):
        discover("fakeplugins")


def test_discover_refuses_a_declaration_named_unlike_its_package(plugin_package):
    plugin_package(
        "shop", "from app.plugins import Plugin\nPLUGIN = Plugin(name='store', version='1')"
    )
    with pytest.raises(PluginError, match=r"'shop'.*'store'"):
        discover("fakeplugins")
