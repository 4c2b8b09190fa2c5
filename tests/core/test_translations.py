"""The German catalog covers every message of the host, in Swiss spelling."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "app" / "translations" / "de" / "LC_MESSAGES" / "messages.po"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None, "_l": None}


def extracted_messages() -> set:
    with open(ROOT / "babel.cfg") as config:
        method_map, options_map = parse_mapping_cfg(config)
    found = set()
    for _, _, message, _, _ in extract_from_dir(
        ROOT / "app", method_map, options_map, keywords=KEYWORDS
    ):
        found.add(message if isinstance(message, str) else tuple(message))
    return found


def german_catalog():
    with open(CATALOG, "rb") as handle:
        return read_po(handle, locale="de")


def test_every_host_message_has_a_german_translation():
    translated = set()
    for message in german_catalog():
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.id and all(strings):
            translated.add(message.id)
    missing = sorted(str(m) for m in extracted_messages() - translated)
    assert not missing, (
        "untranslated messages; run `pybabel extract -F babel.cfg -k _l -o /tmp/messages.pot "
        "app && pybabel update -i /tmp/messages.pot -d app/translations` and translate:\n"
        + "\n".join(missing)
    )


def test_translations_keep_their_placeholders_and_swiss_spelling():
    for message in german_catalog():
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert "fuzzy" not in message.flags, message.id
        for text in strings:
            assert "ß" not in text, f"Swiss German writes ss: {text}"
            assert set(PLACEHOLDER.findall(text)) == set(PLACEHOLDER.findall(ids[0])), text


def test_the_compiled_catalog_is_current():
    compiled = CATALOG.with_suffix(".mo")
    assert compiled.exists(), "run `make translations` (pybabel compile -d app/translations)"
    assert compiled.stat().st_mtime >= CATALOG.stat().st_mtime - 1, "recompile the catalog"
