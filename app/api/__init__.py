"""The JSON API toolkit: bearer-token auth, typed operations and the OpenAPI registry.

An operation declares its permission and its pydantic input/output models in one
decorator; the same declaration validates requests, serialises answers and is what
the OpenAPI document at /api/openapi.json is generated from.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache, wraps
from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify, request
from flask_login import current_user
from pydantic import BaseModel, TypeAdapter, ValidationError
from sqlalchemy import Table, bindparam

from app.bearer import bearer_token, stamp_token_use
from app.database import db
from app.errors import ApiError, RecordNotFound, RuleViolation
from app.extensions import csrf
from app.models import User
from app.security import PERMISSION_ATTRIBUTE, PUBLIC_ATTRIBUTE, has_permission
from app.validation import problems
from app.web import has_nul

API_PREFIX = "/api/v1"
OPERATION_ATTRIBUTE = "__api_operation__"


@dataclass(frozen=True)
class Operation:
    method: str
    rule: str
    permission: str | None
    summary: str
    tags: tuple[str, ...]
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    many: bool = False
    status: int = 200
    errors: tuple[int, ...] = field(default=(400, 401, 403, 404, 422))
    # multipart/form-data file fields the view reads from request.files: name -> description
    files: tuple[tuple[str, str], ...] = ()


def api_blueprint(name: str, url_prefix: str = "") -> Blueprint:
    """A blueprint under /api/v1 whose POSTs are not CSRF-checked: no cookies are used."""
    blueprint = Blueprint(name, __name__, url_prefix=API_PREFIX + url_prefix)
    csrf.exempt(blueprint)
    return blueprint


def _token_user() -> User:
    """The user of the request's API token (Flask-Login's request loader found it)."""
    if current_user and current_user.is_authenticated:
        stamp_token_use()
        return current_user._get_current_object()
    if bearer_token() is None:
        raise ApiError(401, "unauthorized", "send an API token as 'Authorization: Bearer <token>'")
    raise ApiError(401, "unauthorized", "the API token is unknown or revoked")


def parse_body(model: type[BaseModel]) -> BaseModel:
    if not request.is_json:
        raise ApiError(415, "unsupported_media_type", "send the body as application/json")
    payload = request.get_json(silent=True)
    if payload is None:
        raise ApiError(400, "invalid_json", "the request body is not valid JSON")
    if not isinstance(payload, dict):
        raise ApiError(422, "validation_failed", "the body must be a JSON object")
    if has_nul(payload):
        raise ApiError(422, "validation_failed", "text must not contain NUL characters")
    try:
        return model.model_validate(payload)
    except ValidationError as error:
        raise ApiError(
            422, "validation_failed", "the body has invalid fields", problems(error)
        ) from error


def parse_query(model: type[BaseModel]) -> BaseModel:
    try:
        return model.model_validate(request.args.to_dict())
    except ValidationError as error:
        raise ApiError(
            400, "invalid_query", "the query parameters are invalid", problems(error)
        ) from error


def committed(action: Callable[[], Any]) -> Any:
    """Run a service call and commit. A refused rule answers 422, an unknown (or another
    customer's) record 404; in both cases the transaction is rolled back: nothing kept."""
    try:
        result = action()
        db.session.commit()
        return result
    except RuleViolation as error:
        db.session.rollback()
        details = [{"field": error.field, "message": str(error)}] if error.field else None
        raise ApiError(422, "rule_violation", str(error), details) from error
    except RecordNotFound as error:
        db.session.rollback()
        raise ApiError(404, "not_found", "no such record") from error


def serialise(model: type[BaseModel], value: Any, many: bool) -> bytes:
    """The response body: `value` (a row, or a list of rows when `many`) validated as
    `model` and written as JSON by pydantic in one pass, in the model's field order.
    A list is validated in one call: a 50-row page is one call, not 50."""
    adapter = _adapter(model, many)
    return adapter.dump_json(adapter.validate_python(value))


@cache
def _adapter(model: type[BaseModel], many: bool) -> TypeAdapter:
    return TypeAdapter(list[model] if many else model)


def json_response(body: bytes, status: int) -> Response:
    return current_app.response_class(body, status=status, mimetype="application/json")


def given(query: BaseModel, *names: str) -> dict[str, Any]:
    """The named parameters of a validated query that the caller gave (not None): the
    filters of a list, by column name."""
    return {name: value for name in names if (value := getattr(query, name)) is not None}


def filtered_page(statement: Any, table: Table, filtered_by: tuple[str, ...], *order_by: Any):
    """`statement` narrowed to `column = :name` for each name of `filtered_by` (columns of
    `table`), in `order_by`, with `:limit` and `:offset` as parameters: a list's
    statement, built once per filter set and run with the request's values."""
    for name in filtered_by:
        statement = statement.where(table.c[name] == bindparam(name))
    return statement.order_by(*order_by).limit(bindparam("limit")).offset(bindparam("offset"))


def shown_columns(response: type[BaseModel], table: Table, prefix: str = "") -> list[Any]:
    """The columns of `table` that `response` shows, in its field order, labelled
    `prefix + field`: what a read-only endpoint selects as plain rows.

    Loading ORM objects was most of a read request's time (a 50-row list built about 160
    objects to show a dozen columns of each); the response model already names what is
    shown, so the statement selects exactly that."""
    return [table.c[name].label(prefix + name) for name in response.model_fields if name in table.c]


def operation(
    blueprint: Blueprint,
    method: str,
    rule: str,
    *,
    permission: str | None,
    summary: str,
    tags: tuple[str, ...] | str,
    body: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    response: type[BaseModel] | None = None,
    many: bool = False,
    status: int = 200,
    public_reason: str | None = None,
    load: Callable[..., dict[str, Any]] | None = None,
    files: dict[str, str] | None = None,
    errors: tuple[int, ...] | None = None,
) -> Callable:
    """Declare an API endpoint; the view gets `body=`/`query=` models and returns data.

    `load` resolves and authorises the records the path names before the body is
    looked at: it takes the path parameters and returns the view's arguments instead
    (e.g. `invoice_id` -> `invoice`), raising RecordNotFound (404) for an unknown or
    another customer's record. So an invalid body never tells a caller that someone
    else's id exists: the 404 comes first.

    `files` documents a multipart/form-data body (field name -> description) that the
    view reads from `request.files` itself; `errors` replaces the documented error codes
    (e.g. to add 409 where the record's state can refuse).

    The view returns model instances (or a list when many=True), a (data, status) pair,
    or a ready Flask response.
    """
    tags = (tags,) if isinstance(tags, str) else tags
    spec = Operation(
        method,
        rule,
        permission,
        summary,
        tags,
        body,
        query,
        response,
        many,
        status,
        **({"errors": errors} if errors else {}),
        files=tuple((files or {}).items()),
    )

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def endpoint(**kwargs: Any) -> Any:
            g.api_request = True
            if permission is not None:
                user = _token_user()
                if not has_permission(user, permission):
                    raise ApiError(403, "forbidden", f"your role lacks the right {permission}")
            if load is not None:
                kwargs = load(**kwargs)
            if body is not None:
                kwargs["body"] = parse_body(body)
            if query is not None:
                kwargs["query"] = parse_query(query)
            result = view(**kwargs)
            if not isinstance(result, tuple) and hasattr(result, "status_code"):
                return result
            code = status
            if isinstance(result, tuple):
                result, code = result
            if result is None:
                return "", 204
            if response is not None:
                return json_response(serialise(response, result, many), code)
            return jsonify(result), code

        setattr(endpoint, OPERATION_ATTRIBUTE, spec)
        if permission is not None:
            setattr(endpoint, PERMISSION_ATTRIBUTE, permission)
        else:
            setattr(endpoint, PUBLIC_ATTRIBUTE, public_reason or "public API operation")
        blueprint.add_url_rule(rule, view.__name__, endpoint, methods=[method])
        return endpoint

    return decorate


def operations(app=None) -> list[tuple[str, Operation]]:
    """(path, operation) for every API endpoint the app serves, in URL order."""
    app = app or current_app
    found = []
    for url_rule in app.url_map.iter_rules():
        view = app.view_functions.get(url_rule.endpoint)
        spec = getattr(view, OPERATION_ATTRIBUTE, None)
        if spec is not None:
            found.append((url_rule.rule, spec))
    return sorted(found, key=lambda item: (item[0], item[1].method))
