"""Every German catalog, the host's and each plugin's, is complete, Swiss and current.

One test for all catalogs, parametrised over the packages, so a new plugin's catalog is
held to the same rules without copying them.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
HOST = ROOT / "app"
PLUGINS = sorted(p for p in (ROOT / "plugins").iterdir() if (p / "translations").is_dir())
PACKAGES = [HOST, *PLUGINS]
KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "N_": None,
    "_l": None,
    "lazy_gettext": None,
}
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


def catalog_path(package: Path) -> Path:
    return package / "translations" / "de" / "LC_MESSAGES" / "messages.po"


def read_catalog(package: Path):
    with open(catalog_path(package), "rb") as handle:
        return read_po(handle, locale="de")


def translated(package: Path) -> set:
    found = set()
    for message in read_catalog(package):
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.id and all(strings):
            found.add(message.id)
    return found


def extracted(package: Path) -> set:
    with open(ROOT / "babel.cfg") as config:
        method_map, options_map = parse_mapping_cfg(config)
    return {
        message if isinstance(message, str) else tuple(message)
        for _, _, message, _, _ in extract_from_dir(
            package, method_map, options_map, keywords=KEYWORDS
        )
    }


def _name(package: Path) -> str:
    return package.name


@pytest.mark.parametrize("package", PACKAGES, ids=_name)
def test_every_message_has_a_german_translation(package):
    # A plugin's pages also use the host's words: the catalogs are merged at run time.
    known = translated(package) | (translated(HOST) if package != HOST else set())
    missing = sorted(str(m) for m in extracted(package) - known)
    assert not missing, (
        f"translate in {catalog_path(package).relative_to(ROOT)} (pybabel extract -F "
        "babel.cfg -k _l -k lazy_gettext, then pybabel update):\n" + "\n".join(missing)
    )


@pytest.mark.parametrize("package", PLUGINS, ids=_name)
def test_a_plugin_does_not_translate_the_hosts_words_again(package):
    # The merged catalogs would let one silently override the other's wording.
    assert sorted(str(m) for m in translated(package) & translated(HOST)) == []


@pytest.mark.parametrize("package", PACKAGES, ids=_name)
def test_translations_keep_their_placeholders_and_swiss_spelling(package):
    for message in read_catalog(package):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert "fuzzy" not in message.flags, message.id
        for text in strings:
            assert "ß" not in text, f"Swiss German writes ss: {text}"
            assert set(PLACEHOLDER.findall(text)) == set(PLACEHOLDER.findall(ids[0])), text


@pytest.mark.parametrize("package", PACKAGES, ids=_name)
def test_the_compiled_catalog_is_current(package):
    source = catalog_path(package)
    compiled = source.with_suffix(".mo")
    assert compiled.exists(), "run `make translations`"
    assert compiled.stat().st_mtime >= source.stat().st_mtime - 1, "run `make translations`"


@pytest.mark.parametrize(
    "path",
    sorted(ROOT.glob("*/**/translations/*/LC_MESSAGES/messages.po")),
    ids=lambda path: str(path.relative_to(ROOT)),
)
def test_no_message_is_in_a_catalog_twice(path):
    """Catalogs merge as a union (.gitattributes): two branches adding the same message
    leave it twice, and the compiled catalog silently keeps one of the two wordings."""
    ids = re.findall(r'^msgid (".*")\n(?:msgid_plural|msgstr)', path.read_text(), re.M)
    assert [msgid for msgid, n in Counter(ids).items() if n > 1 and msgid != '""'] == []
