"""The desk reads the FirstReaction promise in proper German plural, never "Stunde(n)"."""

from flask_babel import force_locale

from plugins.servicedesk.i18n import n_


def test_the_reaction_promise_uses_the_plural_form_of_the_language(app):
    with app.test_request_context(), force_locale("de"):
        assert n_("within %(num)d hour", "within %(num)d hours", 1) == "innert 1 Stunde"
        assert n_("within %(num)d hour", "within %(num)d hours", 6) == "innert 6 Stunden"
    with app.test_request_context(), force_locale("en"):
        assert n_("within %(num)d hour", "within %(num)d hours", 2) == "within 2 hours"


def test_outside_a_request_the_promise_stays_english_for_stored_texts(app):
    assert n_("within %(num)d hour", "within %(num)d hours", 1) == "within 1 hour"
    assert n_("within %(num)d hour", "within %(num)d hours", 6) == "within 6 hours"
