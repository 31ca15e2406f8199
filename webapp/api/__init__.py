"""The REST API under ``/api``: ``core`` builds it, ``envelope`` shapes its errors,
``fields`` holds the field types the models share.

``init_app`` first makes flask-restx's documentation decorators cheaper, then imports the
namespaces (whose decorators run then). Each ``@ns.doc``, ``@ns.expect``, ``@ns.response`` and
``@ns.marshal_with`` merges the route's documentation with ``flask_restx.utils.merge``, which
deep-copies every model it mentions, fields and nested models included: 0.06-0.1 s of
start-up for the same Swagger document. Models are never changed once declared, so the merge
below shares them and copies the rest.
"""

from __future__ import annotations

import copy

from flask import Flask
from flask_restx import namespace
from flask_restx.model import RawModel


def init_app(app: Flask) -> None:
    """Share models in documentation merges, then build the API and bind it to ``app``.

    Call before any other feature's ``init_app`` imports a namespace (accounts' does).
    """
    namespace.merge = merge_docs
    # Imported here, after the line above: importing ``core`` declares every resource.
    from webapp.api import core

    core.init_app(app)


def _copy(value):
    if isinstance(value, RawModel):
        return value
    if isinstance(value, dict):
        out = copy.copy(value)
        for key, item in value.items():
            out[key] = _copy(item)
        return out
    if isinstance(value, list):
        return [_copy(item) for item in value]
    if isinstance(value, tuple):
        return tuple(_copy(item) for item in value)
    return copy.deepcopy(value)


def merge_docs(first, second):
    """``flask_restx.utils.merge`` (``second`` wins, dicts merged deeply), sharing models."""
    if not isinstance(second, dict):
        return second
    result = copy.deepcopy(first) if isinstance(first, RawModel) else _copy(first)
    for key, value in second.items():
        if key in result and isinstance(result[key], dict):
            result[key] = merge_docs(result[key], value)
        else:
            result[key] = _copy(value)
    return result
