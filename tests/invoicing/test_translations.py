"""Finance sees the invoicing pages in German.

The completeness and spelling of the German catalog (invoicing's and the host's, merged at
run time) are checked for every package by tests/test_catalogs.py.
"""


def test_finance_sees_the_invoicing_pages_in_german(client, factories):
    from tests.factories import login

    login(client, factories.user("finance"))
    page = client.get("/invoicing/run?lang=de")
    assert "Rechnungslauf" in page.text
