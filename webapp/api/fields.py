"""Field types the flask-restx models share. Swagger 2.0 has no null type: ``x-nullable``
is the extension its tools (Swagger UI, schemathesis, generators) read."""

from __future__ import annotations

from flask_restx import fields


class NullableString(fields.String):
    def schema(self):
        return super().schema() | {"x-nullable": True}


class NullableNested(fields.Nested):
    def schema(self):
        return super().schema() | {"x-nullable": True}
