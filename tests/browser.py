"""What every browser test shares: the two screen sizes, logging in, screenshots, the
no-sideways-scrolling check.

The `sized_page` fixture (tests/conftest.py) runs a test once per size in VIEWPORTS.
Screenshots land in $WINET_ARTIFACTS, else in <tmp>/winet-screenshots (not pytest's own
temporary directory, which keeps only the last three runs of anyone on the machine), one
PNG per step named `<name>-<size>.png`: the artifacts a CI job keeps.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from tests.factories import PASSWORD

# A phone (iPhone 12-15 class, CSS pixels) and an ordinary laptop.
VIEWPORTS = {"phone": (390, 844), "desktop": (1366, 900)}


def artifacts() -> Path:
    folder = Path(
        os.environ.get("WINET_ARTIFACTS") or Path(tempfile.gettempdir()) / "winet-screenshots"
    )
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def size_name(page) -> str:
    """'phone' or 'desktop' for a page of one of VIEWPORTS, else 'WIDTHxHEIGHT'."""
    size = page.viewport_size or {"width": 0, "height": 0}
    for name, (width, height) in VIEWPORTS.items():
        if (size["width"], size["height"]) == (width, height):
            return name
    return f"{size['width']}x{size['height']}"


def set_size(page, name: str) -> None:
    width, height = VIEWPORTS[name]
    page.set_viewport_size({"width": width, "height": height})


def shot(page, name: str) -> Path:
    """A full-page screenshot, kept as the test's artifact; returns its path."""
    path = artifacts() / f"{name}-{size_name(page)}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def no_sideways_scrolling(page) -> None:
    width, visible = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert width <= visible, f"{page.url} is {width}px wide at {visible}px ({size_name(page)})"


def fits(page, name: str) -> Path:
    """One step of a test: the screenshot first (also when the check fails, to see why),
    then no sideways scrolling."""
    path = shot(page, name)
    no_sideways_scrolling(page)
    return path


def within_width(page, selector: str) -> None:
    """The first element matching `selector` lies inside the screen's width."""
    box = page.locator(selector).first.bounding_box()
    width = page.viewport_size["width"]
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width, selector


def log_in(page, base: str, user, password: str = PASSWORD) -> None:
    """Through the real login page, as a person would."""
    page.goto(f"{base}/login")
    page.fill("input[name=email]", user.email)
    page.fill("input[name=password]", password)
    page.click("form.form button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)


def log_out(page) -> None:
    page.context.clear_cookies()


def go_to(page, endpoint: str) -> None:
    """Through the main menu, as a person would: on a phone it is folded behind its
    button first."""
    button = page.locator("label.menu-button")
    if button.is_visible():
        button.click()
    page.click(f"nav.menu a[data-endpoint='{endpoint}']")
