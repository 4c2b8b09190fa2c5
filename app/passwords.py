"""Hashing of passwords and PINs, with the method taken from the configuration.

Production keeps werkzeug's default (scrypt, deliberately slow); the test suite sets a
cheap PBKDF2 so that hundreds of logins do not cost minutes.
"""

from __future__ import annotations

from flask import current_app, has_app_context
from werkzeug.security import check_password_hash, generate_password_hash

DEFAULT_METHOD = "scrypt"


def hash_secret(secret: str) -> str:
    method = DEFAULT_METHOD
    if has_app_context():
        method = current_app.config.get("PASSWORD_HASH_METHOD", DEFAULT_METHOD)
    return generate_password_hash(secret, method=method)


def check_secret(hashed: str | None, secret: str) -> bool:
    return bool(hashed) and check_password_hash(hashed, secret)
