"""Password rules: long enough, not among the most common, not the user name.

The list of 20,000 common passwords is Royce Williams's, as shipped by Django
(``django/contrib/auth/common-passwords.txt.gz``, BSD licence); it is read once, on the
first check, so start-up never pays for it.
"""

from __future__ import annotations

import gzip
from functools import cache
from pathlib import Path

from flask import current_app
from werkzeug.security import check_password_hash, generate_password_hash

from webapp.errors import ValidationError

MIN_LENGTH = 8
# scrypt's cost grows with the input: a cap keeps a huge "password" from being a cheap DoS.
MAX_LENGTH = 256
COMMON_PASSWORDS = Path(__file__).with_name("common-passwords.txt.gz")


@cache
def _common() -> frozenset[str]:
    with gzip.open(COMMON_PASSWORDS, "rt", encoding="utf-8") as fh:
        return frozenset(line.strip() for line in fh if line.strip())


def check_rules(password: str, username: str = "", field: str = "password") -> None:
    """Raise ``ValidationError`` naming ``field`` when the password breaks a rule."""
    problem = None
    if len(password) < MIN_LENGTH:
        problem = f"Use at least {MIN_LENGTH} characters."
    elif len(password) > MAX_LENGTH:
        problem = f"Use at most {MAX_LENGTH} characters."
    elif password.lower() in _common():
        problem = "This password is too common; choose one that is harder to guess."
    elif username and password.casefold() == username.casefold():
        problem = "The password cannot be the user name."
    if problem:
        raise ValidationError(problem, fields={field: problem}, code="weak_password")


def _method() -> str:
    """werkzeug's scrypt at its default cost; tests may ask for a cheaper one."""
    return current_app.config.get("PASSWORD_HASH_METHOD", "scrypt") if current_app else "scrypt"


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=_method())


def verify(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; a user with no hash never matches, in the same time."""
    if len(password) > MAX_LENGTH:
        return False
    dummy = _dummy_hash(_method())
    return check_password_hash(password_hash or dummy, password) and bool(password_hash)


@cache
def _dummy_hash(method: str) -> str:
    # Checked for unknown users too, so a wrong name and a wrong password take as long.
    return generate_password_hash("kaap: no such user", method=method)
