"""The German catalog of invoicing covers every message of its pages, in Swiss spelling."""

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
PLUGIN = ROOT / "plugins" / "invoicing"
CATALOG = PLUGIN / "translations" / "de" / "LC_MESSAGES" / "messages.po"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None, "_l": None}


def test_every_invoicing_message_has_a_swiss_german_translation():
    with open(ROOT / "babel.cfg") as config:
        method_map, options_map = parse_mapping_cfg(config)
    extracted = {
        message
        for _, _, message, _, _ in extract_from_dir(
            PLUGIN, method_map, options_map, keywords=KEYWORDS
        )
    }
    with open(CATALOG, "rb") as handle:
        catalog = read_po(handle, locale="de")
    translated = {m.id for m in catalog if m.id and m.string}
    assert sorted(extracted - translated) == []
    assert not [m.string for m in catalog if "ß" in (m.string or "")]


def test_finance_sees_the_invoicing_pages_in_german(client, factories):
    from tests.factories import login

    login(client, factories.user("finance"))
    page = client.get("/invoicing/run?lang=de")
    assert "Rechnungslauf" in page.text
