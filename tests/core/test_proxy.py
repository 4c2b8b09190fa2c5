"""Behind the proxy: X-Forwarded-* headers count only with WINET_PROXY_HOPS set."""

from __future__ import annotations

import pytest
from flask import request

from app.security import public
from tests.conftest import test_config as make_config

FORWARDED = {
    "X-Forwarded-For": "198.51.100.7",
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "erp.winet.ch",
}


@pytest.mark.parametrize(
    ("hops", "seen"),
    [
        (0, "http://localhost/ 127.0.0.1"),
        (1, "https://erp.winet.ch/ 198.51.100.7"),
    ],
)
def test_forwarded_headers_are_trusted_only_from_configured_proxies(migrated, hops, seen):
    from app import create_app

    app = create_app(make_config(migrated, PROXY_HOPS=hops))

    @public("test view showing what the app sees of the client")
    def where():
        return f"{request.url_root} {request.remote_addr}"

    app.add_url_rule("/test-where", "test_where", where)
    with app.app_context():
        response = app.test_client().get("/test-where", headers=FORWARDED)
    assert response.get_data(as_text=True) == seen
