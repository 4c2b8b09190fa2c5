from tests.factories import login


def test_login_page_is_german_by_default(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert "Anmelden" in response.get_data(as_text=True)


def test_finance_user_logs_in_and_sees_customers(client, factories):
    user = factories.user("finance")
    factories.customer("Beispiel AG")
    login(client, user)
    response = client.get("/customers")
    assert response.status_code == 200
    assert "Beispiel AG" in response.text
