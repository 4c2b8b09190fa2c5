"""Error responses: JSON `{"error", "message"}` for the API, friendly pages for people."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError


class RuleViolation(ValueError):
    """A change that the business rules refuse; the message is shown to the user."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


class RecordNotFound(LookupError):
    """A record that does not exist, or that belongs to another customer: both look alike
    (404 on pages and in the API)."""


class ApiError(Exception):
    """Raised by API code to answer with a given status and a readable message."""

    def __init__(self, status: int, error: str, message: str, details=None):
        super().__init__(message)
        self.status = status
        self.error = error
        self.message = message
        self.details = details


def is_api_request() -> bool:
    return request.path.startswith("/api/")


def api_error_response(status: int, error: str, message: str, details=None):
    body = {"error": error, "message": message}
    if details is not None:
        body["details"] = details
    return jsonify(body), status


def register(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError):
        return api_error_response(exc.status, exc.error, exc.message, exc.details)

    @app.errorhandler(RecordNotFound)
    def _not_found(exc: RecordNotFound):
        # One not-found everywhere: a record that does not exist, or that belongs to
        # another customer, is a 404 on pages and in the API, never a rule violation.
        from app.database import db

        db.session.rollback()
        if is_api_request():
            return api_error_response(404, "not_found", "no such record")
        return render_template(
            "error.html", status=404, message=_("This page does not exist.")
        ), 404

    @app.errorhandler(CSRFError)
    def _csrf_error(exc: CSRFError):
        if is_api_request():
            return api_error_response(400, "csrf_failed", exc.description)
        return render_template(
            "error.html", status=400, message=_("The form expired. Please try again.")
        ), 400

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        if is_api_request():
            error = (exc.name or "error").lower().replace(" ", "_")
            return api_error_response(exc.code or 500, error, exc.description or exc.name)
        messages = {
            401: _("Please log in."),
            403: _("You are not allowed to open this page."),
            404: _("This page does not exist."),
            413: _("The upload is too large."),
        }
        status = exc.code or 500
        response = render_template(
            "error.html", status=status, message=messages.get(status, exc.description)
        )
        return response, status

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        app.logger.exception("unhandled error")
        from app.database import db

        db.session.rollback()
        if is_api_request():
            return api_error_response(500, "internal_error", "An unexpected error occurred.")
        return render_template(
            "error.html", status=500, message=_("An unexpected error occurred.")
        ), InternalServerError.code
