"""Small things users notice: the icon, four-digit years, the name first in forms."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from tests.core.isolated import isolated_client
from tests.factories import login


def test_pages_have_a_favicon_and_browsers_asking_for_favicon_ico_get_it(app, client):
    page = client.get("/login").get_data(as_text=True)
    assert 'rel="icon" href="/static/favicon.svg"' in page
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response.location.endswith("/static/favicon.svg")
    icon = client.get("/static/favicon.svg")
    assert icon.status_code == 200 and b"<svg" in icon.data


def test_timestamps_are_written_the_swiss_way_with_four_digit_years_in_every_language(app):
    # Plain fr and it would write 30/11/2026, en 11/30/26 7:43 AM.
    moment = datetime(2026, 11, 30, 6, 43, tzinfo=UTC)
    render = app.jinja_env.from_string("{{ moment|local_datetime }}").render
    with app.test_request_context("/?lang=de"):
        from flask_babel import force_locale

        for language in ("de", "fr", "it", "en"):
            with force_locale(language):
                assert render(moment=moment) == "30.11.2026 07:43", language


def test_the_customer_form_starts_with_the_company_name(app, db, factories):
    web = isolated_client(app)
    login(web, factories.user("finance"))
    page = web.get("/customers/new").get_data(as_text=True)
    form = page[page.index('<form method="post" action="" class="form"') :]
    names = re.findall(r'<(?:input|select)[^>]*name="(\w+)"', form)
    fields = [name for name in names if name != "csrf_token"]
    assert fields[0] == "legal_name", fields
    customer = factories.customer("Erste AG")
    site_page = web.get(f"/customers/{customer.id}/sites/new").get_data(as_text=True)
    site_form = site_page[site_page.index('<form method="post" action="" class="form"') :]
    site_fields = [
        n for n in re.findall(r'<(?:input|select)[^>]*name="(\w+)"', site_form) if n != "csrf_token"
    ]
    assert site_fields[0] == "name", site_fields
