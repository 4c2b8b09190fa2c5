"""Shared helpers for the contracts tests: a pinned clock and a site with a contract."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from app.hooks import hookimpl, plugin_manager
from app.timeutil import ZURICH

# Tuesday 2026-11-24 10:00 in Zurich: the SPEC's first notice example.
FROZEN = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


@pytest.fixture
def app_config():
    return {"FROZEN_NOW": FROZEN}


@pytest.fixture
def travel(app):
    """Move the pinned clock to 10:00 Zurich time on a given day."""

    def to(day: date) -> None:
        app.config["FROZEN_NOW"] = datetime(day.year, day.month, day.day, 10, 0, tzinfo=ZURICH)

    return to


class UpgradeRecorder:
    """A stand-in for servicedesk/invoicing: remembers every announced upgrade."""

    def __init__(self):
        self.events = []

    @hookimpl
    def upgrade_signed(self, event):
        self.events.append(event)


@pytest.fixture
def upgrades(app):
    recorder = UpgradeRecorder()
    plugin_manager(app).register(recorder, name="test-upgrade-recorder")
    yield recorder.events
    plugin_manager(app).unregister(name="test-upgrade-recorder")


@pytest.fixture
def customer(factories):
    return factories.customer("Aarebank Genossenschaft", language="de")


@pytest.fixture
def site(factories, customer):
    return factories.site(customer, "Filiale Brugg")
