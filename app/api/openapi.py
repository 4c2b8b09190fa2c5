"""Builds the OpenAPI 3.1 document from the declared operations and their pydantic models."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from pydantic import BaseModel

from app.api import API_PREFIX, Operation, operations
from app.database import MAX_ID
from app.schemas import ErrorOut

_CONVERTER = re.compile(r"<(?:(\w+):)?(\w+)>")
# An <int:...> id is what an INTEGER column holds (app.web.IdConverter: beyond it, 404).
_TYPES = {
    "int": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
    "string": {"type": "string", "maxLength": 100},
    None: {"type": "string", "maxLength": 100},
}
_STATUS_TEXT = {
    400: "Malformed request",
    401: "Missing or invalid API token",
    403: "Not allowed for this role",
    404: "Unknown id, or a record of another customer",
    409: "Conflicts with the current state",
    413: "Body too large",
    415: "Body is not JSON",
    422: "Invalid fields",
}


class _Schemas:
    def __init__(self) -> None:
        self.components: dict[str, Any] = {}

    def inline(self, model: type[BaseModel], mode: str = "validation") -> dict[str, Any]:
        """The model's schema; the models it uses (an enum of codes, say) go to components."""
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}", mode=mode)
        for name, definition in schema.pop("$defs", {}).items():
            self.components.setdefault(name, definition)
        return schema

    def ref(self, model: type[BaseModel], mode: str = "validation") -> dict[str, str]:
        schema = self.inline(model, mode)
        name = model.__name__
        self.components.setdefault(name, schema)
        return {"$ref": f"#/components/schemas/{name}"}


def _path_and_parameters(rule: str) -> tuple[str, list[dict[str, Any]]]:
    parameters = [
        {"name": name, "in": "path", "required": True, "schema": _TYPES.get(kind, _TYPES[None])}
        for kind, name in _CONVERTER.findall(rule)
    ]
    return _CONVERTER.sub(r"{\2}", rule), parameters


def _operation(spec: Operation, schemas: _Schemas, path_parameters: list) -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": spec.summary,
        "tags": list(spec.tags),
        "operationId": f"{spec.method.lower()}_{spec.rule.strip('/').replace('/', '_')}",
    }
    parameters = list(path_parameters)
    if spec.query is not None:
        properties = schemas.inline(spec.query)["properties"]
        for name, field in spec.query.model_fields.items():
            schema = properties[name]
            parameters.append(
                {"name": name, "in": "query", "required": field.is_required(), "schema": schema}
            )
    if parameters:
        op["parameters"] = parameters
    if spec.body is not None:
        op["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": schemas.ref(spec.body)}},
        }
    elif spec.files:
        # A file upload: each field a file, as OpenAPI 3.1 describes binary content.
        properties = {
            name: {"type": "string", "format": "binary", "description": description}
            for name, description in spec.files
        }
        op["requestBody"] = {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": properties,
                        "required": [name for name, _ in spec.files],
                    }
                }
            },
        }
    success: dict[str, Any] = {"description": "OK"}
    if spec.response is not None:
        item = schemas.ref(spec.response, mode="serialization")
        schema = {"type": "array", "items": item} if spec.many else item
        success["content"] = {"application/json": {"schema": schema}}
    op["responses"] = {str(spec.status): success}
    error_ref = schemas.ref(ErrorOut)
    codes = set(spec.errors) if spec.permission else set(spec.errors) - {401, 403}
    for code in sorted(codes):
        op["responses"][str(code)] = {
            "description": _STATUS_TEXT.get(code, "Error"),
            "content": {"application/json": {"schema": error_ref}},
        }
    if spec.permission:
        op["security"] = [{"bearerToken": []}]
        op["x-permission"] = spec.permission
    return op


def build_document(app: Flask) -> dict[str, Any]:
    schemas = _Schemas()
    paths: dict[str, dict[str, Any]] = {}
    for rule, spec in operations(app):
        path, parameters = _path_and_parameters(rule)
        paths.setdefault(path, {})[spec.method.lower()] = _operation(spec, schemas, parameters)
    plugins = ", ".join(p.name for p in app.extensions["winet.plugins"])
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Winet CLA ERP API",
            "version": "1",
            "description": f"JSON API of the host and the plugins: {plugins}. Money is a "
            "decimal string in CHF; instants are ISO 8601 in UTC.",
        },
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": dict(sorted(schemas.components.items())),
            "securitySchemes": {"bearerToken": {"type": "http", "scheme": "bearer"}},
        },
        "x-api-prefix": API_PREFIX,
    }
