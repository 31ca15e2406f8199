"""Field types the flask-restx models share. Swagger 2.0 has no null type: ``x-nullable``
is the extension its tools (Swagger UI, schemathesis, generators) read."""

from __future__ import annotations

from flask_restx import fields

from webapp.timeutil import isoformat


class NullableString(fields.String):
    def schema(self):
        return super().schema() | {"x-nullable": True}


class NullableInteger(fields.Integer):
    def schema(self):
        return super().schema() | {"x-nullable": True}


class NullableNested(fields.Nested):
    def schema(self):
        return super().schema() | {"x-nullable": True}


class UTCTime(fields.Raw):
    """A UTC timestamp such as ``2026-11-25T13:49:19.123456Z``."""

    __schema_type__ = "string"
    __schema_format__ = "date-time"

    def __init__(self, *args, nullable: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.nullable = nullable

    def schema(self):
        # Swagger 2.0 has no null type; x-nullable is the extension its tools read.
        return super().schema() | ({"x-nullable": True} if self.nullable else {})

    def format(self, value):
        return isoformat(value)


def upload_doc(description: str, **fields: str) -> dict:
    """``ns.doc`` arguments for a multipart upload: required ``file`` parts, other form fields."""
    params = {
        "file": {"in": "formData", "type": "file", "required": True, "description": description}
    }
    for name, text in fields.items():
        params[name] = {"in": "formData", "type": "string", "description": text}
    return {"consumes": ["multipart/form-data"], "params": params}
