"""Company data: one audited row the admin edits, checked, overridden by the environment."""

from __future__ import annotations

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from app.company import (
    DEMO_COMPANY,
    company,
    company_fixed,
    company_placeholders,
    load_demo_company,
    normalise_qr_iban,
    normalise_uid,
    placeholder_fields,
    stored_company,
)
from app.models import AuditEntry
from app.pdf import letterhead
from tests.core.isolated import isolated_client
from tests.factories import login

# Valid and not a sample: a UID whose check digit is right, a QR-IBAN (IID 30808).
REAL = {
    "legal_name": "Winet Voicetec Solutions AG",
    "street": "Täfernstrasse",
    "house_number": "31",
    "postal_code": "5405",
    "town": "Baden-Dättwil",
    "country": "CH",
    "uid": "CHE-999.999.996 MWST",
    "qr_iban": "CH21 3080 8001 2345 6782 7",
    "email": "buchhaltung@winet.ch",
    "phone": "+41 56 520 20 00",
    "website": "https://www.winet.ch",
    "public_base_url": "https://erp.winet.ch/",
}


@pytest.fixture(autouse=True)
def english(app):
    with force_locale("en"):
        yield


# --- single values -----------------------------------------------------------------------


def test_a_uid_needs_the_right_check_digit_and_is_printed_the_swiss_way(app):
    assert normalise_uid("che999999996") == "CHE-999.999.996"
    assert normalise_uid("CHE-999.999.996 MWST") == "CHE-999.999.996"
    for wrong in ("CHE-123.456.789", "CHE-999.999.995 MWST", "DE123456789", "CHE-12"):
        with pytest.raises(ValueError, match="not a valid UID"):
            normalise_uid(wrong)


def test_only_a_valid_qr_iban_is_accepted(app):
    assert normalise_qr_iban("CH21 3080 8001 2345 6782 7") == "CH2130808001234567827"
    with pytest.raises(ValueError, match="ordinary IBAN, not a QR-IBAN"):
        normalise_qr_iban("CH93 0076 2011 6238 5295 7")  # a normal IBAN (IID 00762)
    with pytest.raises(ValueError, match="not a valid IBAN"):
        normalise_qr_iban("CH21 3080 8001 2345 6782 8")  # wrong check digits
    with pytest.raises(ValueError, match="not a QR-IBAN"):
        normalise_qr_iban("DE89 3704 0044 0532 0130 00")


# --- placeholders --------------------------------------------------------------------------


def test_the_seeded_company_has_the_letterhead_and_placeholders_for_the_rest(app):
    data = company()
    assert (data.legal_name, data.street, data.house_number, data.town) == (
        "Winet Voicetec Solutions AG",
        "Täfernstrasse",
        "31",
        "Baden-Dättwil",
    )
    assert sorted(placeholder_fields()) == [
        "email",
        "phone",
        "public_base_url",  # PUBLIC_BASE_URL of the tests: http://testserver
        "qr_iban",
        "uid",
        "website",
    ]
    assert "QR-IBAN" in company_placeholders()


def test_demo_values_are_valid_but_count_as_placeholders(app, db):
    load_demo_company()
    data = company()
    assert normalise_uid(data.uid) == DEMO_COMPANY["uid"]
    assert normalise_qr_iban(data.qr_iban) == DEMO_COMPANY["qr_iban"]
    assert set(placeholder_fields()) == set(DEMO_COMPANY)
    assert placeholder_fields()["qr_iban"] == "a sample or demo value"


def test_real_values_leave_no_placeholder(app, db):
    from app.company import update_company
    from app.schemas import CompanyIn

    update_company(CompanyIn(**REAL))
    db.session.commit()
    assert placeholder_fields() == {}
    data = company()
    assert data.vat_number == "CHE-999.999.996 MWST"
    assert data.qr_iban == "CH2130808001234567827"
    assert data.public_base_url == "https://erp.winet.ch"


def test_the_letterhead_and_links_come_from_the_company_data(app, db):
    from plugins.invoicing.paylinks import pay_url

    row = stored_company()
    row.legal_name, row.uid, row.public_base_url = (
        "Winet Test AG",
        "CHE-999.999.996",
        "https://pay.example.ch",
    )
    db.session.commit()
    head = letterhead()
    assert head["name"] == "Winet Test AG" and head["vat_number"] == "CHE-999.999.996 MWST"
    assert pay_url(7).startswith("https://pay.example.ch/invoicing/pay/")


def test_inside_company_fixed_the_data_read_on_entry_holds(app, db):
    stored_company().legal_name = "Winet Alt AG"
    db.session.commit()
    with company_fixed() as fixed:
        assert fixed.legal_name == "Winet Alt AG"
        stored_company().legal_name = "Winet Neu AG"  # an administrator edits meanwhile
        db.session.commit()
        assert company().legal_name == "Winet Alt AG"
        assert letterhead()["name"] == "Winet Alt AG"
    assert company().legal_name == "Winet Neu AG"


# --- the environment wins ------------------------------------------------------------------


def test_an_environment_variable_wins_over_the_stored_value(app, db, monkeypatch):
    monkeypatch.setenv("WINET_COMPANY_QR_IBAN", "CH21 3080 8001 2345 6782 7")
    monkeypatch.setenv("WINET_COMPANY_PUBLIC_BASE_URL", "https://erp.winet.ch")
    assert company().qr_iban == "CH2130808001234567827"
    assert company().link("/x") == "https://erp.winet.ch/x"
    assert "qr_iban" not in placeholder_fields()


def test_a_wrong_environment_value_is_reported_as_a_placeholder(app, monkeypatch):
    monkeypatch.setenv("WINET_COMPANY_QR_IBAN", "CH93 0076 2011 6238 5295 7")
    assert placeholder_fields()["qr_iban"].startswith("WINET_COMPANY_QR_IBAN: ")
    assert "not a QR-IBAN" in placeholder_fields()["qr_iban"]


# --- the page --------------------------------------------------------------------------


@pytest.fixture
def admin(app, factories):
    web = isolated_client(app)
    login(web, factories.user("admin", language="en"))
    web.get("/company?lang=en")
    return web


def test_the_admin_sees_the_form_and_what_is_still_a_placeholder(admin):
    html = admin.get("/company").get_data(as_text=True)
    assert 'name="qr_iban"' in html and 'value="Täfernstrasse"' in html
    assert '<li data-field="qr_iban">QR-IBAN: empty</li>' in html
    assert "in production no invoice would be issued" in html


def test_a_wrong_uid_or_a_normal_iban_is_refused_on_the_page_and_nothing_changes(admin, db):
    html = admin.post("/company", data={**REAL, "uid": "CHE-123.456.789"}).get_data(as_text=True)
    assert "is not a valid UID" in html
    html = admin.post("/company", data={**REAL, "qr_iban": "CH93 0076 2011 6238 5295 7"}).get_data(
        as_text=True
    )
    assert "ordinary IBAN, not a QR-IBAN" in html
    db.session.expire_all()
    assert (stored_company().uid, stored_company().qr_iban, stored_company().email) == ("", "", "")


def test_the_page_saves_real_values_and_the_audit_trail_keeps_them(admin, db):
    response = admin.post("/company", data=REAL)
    assert response.status_code == 302
    db.session.expire_all()
    row = stored_company()
    assert (row.uid, row.qr_iban, row.public_base_url) == (
        "CHE-999.999.996",
        "CH2130808001234567827",
        "https://erp.winet.ch",
    )
    assert placeholder_fields() == {}
    entry = db.session.scalar(
        select(AuditEntry)
        .where(AuditEntry.table_name == "core_company")
        .order_by(AuditEntry.id.desc())
    )
    assert entry.action == "update" and entry.changes["qr_iban"] == ["", "CH2130808001234567827"]


def test_the_page_says_the_environment_wins_and_keeps_the_stored_value(admin, db, monkeypatch):
    monkeypatch.setenv("WINET_COMPANY_QR_IBAN", "CH21 3080 8001 2345 6782 7")
    html = admin.get("/company").get_data(as_text=True)
    assert "Set by the environment variable WINET_COMPANY_QR_IBAN." in html
    assert 'id="env-qr_iban" value="CH2130808001234567827" readonly' in html
    assert 'name="qr_iban"' not in html
    assert admin.post("/company", data={**REAL, "qr_iban": ""}).status_code == 302
    db.session.expire_all()
    assert stored_company().qr_iban == ""  # not overwritten: the environment wins
    assert stored_company().uid == "CHE-999.999.996"


def test_only_the_admin_edits_the_company(app, factories):
    web = isolated_client(app)
    login(web, factories.user("finance", language="en"))
    assert web.get("/company").status_code == 403


# --- the API ---------------------------------------------------------------------------


def test_the_api_reads_and_sets_the_company_data(app, db, factories):
    client = isolated_client(app)
    headers = {"Authorization": f"Bearer {factories.token(factories.user('admin', language='en'))}"}
    before = client.get("/api/v1/company", headers=headers).get_json()
    assert "qr_iban" in before["placeholders"] and before["from_environment"] == []
    wrong = client.put("/api/v1/company", json={**REAL, "uid": "CHE-123.456.789"}, headers=headers)
    assert wrong.status_code == 422
    assert wrong.get_json()["details"][0]["field"] == "uid"
    normal = client.put(
        "/api/v1/company", json={**REAL, "qr_iban": "CH93 0076 2011 6238 5295 7"}, headers=headers
    )
    assert normal.status_code == 422 and "not a QR-IBAN" in str(normal.get_json())
    saved = client.put("/api/v1/company", json=REAL, headers=headers)
    assert saved.status_code == 200
    assert saved.get_json()["vat_number"] == "CHE-999.999.996 MWST"
    assert saved.get_json()["placeholders"] == []
    finance = {
        "Authorization": f"Bearer {factories.token(factories.user('finance', language='en'))}"
    }
    assert client.get("/api/v1/company", headers=finance).status_code == 403


def test_the_terms_of_business_switch_reminder_fees_and_default_interest(admin, app, db, factories):
    assert (company().reminder_fees, company().default_interest) == (True, False)  # seeded
    html = admin.get("/company").get_data(as_text=True)
    assert 'name="reminder_fees"' in html and 'name="default_interest"' in html
    # An unticked box is "no": these terms allow no fees, and claim default interest.
    assert admin.post("/company", data={**REAL, "default_interest": "y"}).status_code == 302
    db.session.expire_all()
    assert (company().reminder_fees, company().default_interest) == (False, True)

    client = isolated_client(app)
    headers = {"Authorization": f"Bearer {factories.token(factories.user('admin', language='en'))}"}
    saved = client.put(
        "/api/v1/company",
        json={**REAL, "reminder_fees": True, "default_interest": False},
        headers=headers,
    )
    assert saved.status_code == 200
    assert (saved.get_json()["reminder_fees"], saved.get_json()["default_interest"]) == (
        True,
        False,
    )
