"""Serves the generated OpenAPI document."""

from flask import Blueprint, current_app, jsonify

from app.api.openapi import build_document
from app.security import public

bp = Blueprint("core_api_docs", __name__)


@bp.get("/api/openapi.json")
@public("the API description is public; every operation in it needs a token")
def openapi_document():
    document = current_app.extensions.get("winet.openapi")
    if document is None:
        document = current_app.extensions["winet.openapi"] = build_document(current_app)
    return jsonify(document)
