"""A test client whose every request runs in a fresh app context, as in production.

The `app` fixture keeps one app context open for the whole test, and Flask 3.1 reuses
it for requests, so `g` (where Flask-Login caches the user and the API stores the token's
user) would leak from one request into the next: a second login would be skipped.
"""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient


class IsolatedClient(FlaskClient):
    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


def isolated_client(app: Flask) -> IsolatedClient:
    return IsolatedClient(app, app.response_class, use_cookies=True)


def login_through_form(client: FlaskClient, email: str, password: str):
    """Log in like a browser: read the login page (and its CSRF token, if any), post it."""
    import re

    page = client.get("/login").get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    data = {"email": email, "password": password}
    if match:
        data["csrf_token"] = match.group(1)
    response = client.post("/login", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response
