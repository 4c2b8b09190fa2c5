"""Every rule message of contracts reaches people in their language: each RuleViolation
is raised with a gettext message, and the plugin's catalog has its German."""

from __future__ import annotations

import ast
from datetime import date
from pathlib import Path

import pytest
from flask_babel import force_locale

from app.errors import RuleViolation
from plugins.contracts.quotes import create_quote, send_quote
from plugins.contracts.services import (
    downgrade,
    start_contract,
    start_contract_in_the_past,
    tier_by_code,
)

PLUGIN = Path(__file__).resolve().parents[2] / "plugins" / "contracts"
RULE_ERRORS = {"RuleViolation", "QuoteLinkExpired"}
GETTEXT = {"_", "gettext", "ngettext"}


def _name(node: ast.expr) -> str:
    return node.id if isinstance(node, ast.Name) else getattr(node, "attr", "")


def untranslated_rule_messages() -> list[str]:
    found = []
    for path in sorted(PLUGIN.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not (isinstance(node, ast.Call) and _name(node.func) in RULE_ERRORS):
                continue
            message = node.args[0] if node.args else None
            translated = isinstance(message, ast.Call) and _name(message.func) in GETTEXT
            if not translated:
                found.append(f"{path.name}:{node.lineno} {ast.unparse(node)[:80]}")
    return found


def test_every_rule_violation_of_the_plugin_carries_a_gettext_message():
    assert untranslated_rule_messages() == []


def test_rule_messages_in_german(db, factories, customer, site):
    start_contract_in_the_past(site, "pro", date(2025, 1, 1))
    with pytest.raises(RuleViolation) as taken:
        start_contract(site, "basic", date(2026, 12, 1))
    assert str(taken.value) == "Der Standort Filiale Brugg hat bereits einen gültigen Vertrag."
    with pytest.raises(RuleViolation) as unknown:
        tier_by_code("platinum")
    assert str(unknown.value) == "Die Stufe platinum ist nicht im Katalog."
    quote = create_quote(
        customer, None, start_date=date(2026, 12, 1), valid_until=date(2026, 12, 15)
    )
    with pytest.raises(RuleViolation) as empty:
        send_quote(quote)
    assert str(empty.value) == "Eine Offerte braucht mindestens einen Standort."


def test_rule_messages_in_english_for_an_english_reader(app, db, site):
    contract = start_contract_in_the_past(site, "premium", date(2025, 1, 1))
    with app.test_request_context(), force_locale("en"), pytest.raises(RuleViolation) as early:
        downgrade(contract, "pro", date(2026, 11, 1))
    assert str(early.value) == "A downgrade takes effect on Dec 1, 2026 at the earliest."
