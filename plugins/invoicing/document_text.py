"""The wording of invoice documents (PDF, e-mail) in the customer's language.

Documents follow the customer's language, not the language of whoever clicks "issue",
so their texts are fixed here per language rather than taken from the UI catalogs.
"""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "de": {
        "invoice": "Rechnung",
        "credit_note": "Gutschrift",
        "number": "Nummer",
        "date": "Datum",
        "due": "Zahlbar bis",
        "period": "Periode",
        "customer_number": "Kundennummer",
        "credits_invoice": "Gutschrift zur Rechnung",
        "reason": "Grund",
        "site": "Standort",
        "description": "Beschreibung",
        "service": "Leistungszeitraum",
        "quantity": "Menge",
        "price": "Preis",
        "vat": "MWST",
        "amount": "Betrag CHF",
        "month": "Monat",
        "days": "Tage",
        "advance": "Abonnement im Voraus",
        "settlement": "Abrechnung Vormonat",
        "advance_credit": "Gutschrift Vorauszahlung",
        "charge": "Leistung",
        "credit": "Gutschrift",
        "net": "Total netto",
        "vat_table": "MWST-Satz",
        "vat_base": "Basis",
        "vat_amount": "MWST",
        "gross": "Total inkl. MWST",
        "rounding": "Rundungsdifferenz",
        "payable": "Zahlbetrag CHF",
        "terms": "Zahlbar innert {days} Tagen netto, bis {due}.",
        "pay_online": "Online bezahlen (Karte, TWINT):",
        "no_payment": "Dieser Betrag wird verrechnet oder zurückerstattet.",
        "zero_rated": "kostenlos",
        "discount": "Rabatt",
        "volume_discount": "Mengenrabatt",
        "special_discount": "Sonderrabatt",
        "payment_part": "Zahlteil",
        "credit_from": "Guthaben aus",
        "amount_due": "Noch zu bezahlen CHF",
        "paid_by_credit": "Dieser Betrag ist durch Ihr Guthaben beglichen.",
    },
    "en": {
        "invoice": "Invoice",
        "credit_note": "Credit note",
        "number": "Number",
        "date": "Date",
        "due": "Due date",
        "period": "Period",
        "customer_number": "Customer number",
        "credits_invoice": "Credit note for invoice",
        "reason": "Reason",
        "site": "Site",
        "description": "Description",
        "service": "Service period",
        "quantity": "Quantity",
        "price": "Price",
        "vat": "VAT",
        "amount": "Amount CHF",
        "month": "month",
        "days": "days",
        "advance": "Subscription in advance",
        "settlement": "Settlement of the previous month",
        "advance_credit": "Credit of the advance",
        "charge": "Service",
        "credit": "Credit",
        "net": "Total net",
        "vat_table": "VAT rate",
        "vat_base": "Base",
        "vat_amount": "VAT",
        "gross": "Total incl. VAT",
        "rounding": "Rounding difference",
        "payable": "Amount payable CHF",
        "terms": "Payable within {days} days net, by {due}.",
        "pay_online": "Pay online (card, TWINT):",
        "no_payment": "This amount will be offset or refunded.",
        "zero_rated": "free of charge",
        "discount": "Discount",
        "volume_discount": "Volume discount",
        "special_discount": "Special discount",
        "payment_part": "Payment part",
        "credit_from": "Credit balance from",
        "amount_due": "Amount due CHF",
        "paid_by_credit": "This amount is paid by your credit balance.",
    },
}


def language_of(invoice) -> str:
    """The language a document is written in: the customer's, German when unsupported."""
    return invoice.language if invoice.language in ("de", "en") else "de"


def texts(language: str) -> dict[str, str]:
    return TEXTS.get(language, TEXTS["de"])


def format_date(day, language: str) -> str:
    if day is None:
        return ""
    return day.strftime("%d.%m.%Y") if language == "de" else day.isoformat()
