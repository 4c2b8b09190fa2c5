"""A short schemathesis run over the whole OpenAPI document: no request, valid or not,
gets a 5xx answer (`make fuzz` runs the long version)."""

from __future__ import annotations

import pytest

pytest.importorskip("schemathesis")

from scripts.fuzz import FUZZ_CONFIG, fuzz_api, load_fuzz_data  # noqa: E402

EXAMPLES = 2


@pytest.fixture
def app_config():
    return dict(FUZZ_CONFIG)


def test_no_request_to_the_api_gets_a_5xx_answer(app, db):
    db.session.commit()
    token = load_fuzz_data(app)
    summary = fuzz_api(app, token, examples=EXAMPLES)
    print(summary.report())
    assert summary.requests > 250
    assert summary.server_error_count == 0, summary.report()
    assert not summary.skipped, summary.report()
