"""The OpenAPI document describes every endpoint, and responses match it."""

import re

import jsonschema
import pytest

from webapp.notes.models import COLORS


@pytest.fixture
def spec(client):
    return client.get("/api/swagger.json").get_json()


def test_every_route_under_api_is_documented(app, spec):
    documented = {
        (path, method.upper())
        for path, ops in spec["paths"].items()
        for method in ops
        if method != "parameters"
    }
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/") or rule.endpoint in (
            "api.specs",
            "api.doc",
            "api.root",
        ):
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule.removeprefix("/api"))
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (path, method) in documented


def test_every_operation_documents_its_responses_and_errors(spec):
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            if method == "parameters":
                continue
            codes = set(op["responses"])
            assert codes & {"200", "201", "202", "204"}, (path, method)
            if "{" in path:
                assert "404" in codes, (path, method)
            if method in ("post", "patch") and "parameters" in op:
                assert "400" in codes or "400" in ops.get("parameters", {}), (path, method)


def test_write_bodies_reject_unknown_fields_in_the_schema(spec):
    assert spec["definitions"]["NoteInput"]["additionalProperties"] is False
    assert spec["definitions"]["NoteInput"]["properties"]["color"]["enum"] == list(COLORS)
    assert spec["definitions"]["LabelInput"]["additionalProperties"] is False


def _nullable(schema):
    """Read Swagger 2.0's ``x-nullable`` as JSON Schema does, like schema-based tools do."""
    if isinstance(schema, dict):
        schema = {key: _nullable(value) for key, value in schema.items()}
        if schema.pop("x-nullable", False):
            if "type" in schema:
                schema["type"] = [schema["type"], "null"]
            else:  # a $ref, or allOf around one
                schema = {"anyOf": [schema, {"type": "null"}]}
    elif isinstance(schema, list):
        schema = [_nullable(value) for value in schema]
    return schema


def _validator(spec, name):
    schema = {"$ref": f"#/definitions/{name}", "definitions": _nullable(spec["definitions"])}
    return jsonschema.Draft4Validator(schema)


def test_responses_match_their_schemas(client, spec, make_note, make_label):
    label = make_label("L")
    note = make_note(kind="checklist", items=[{"text": "a"}], label_ids=[label["id"]])
    _validator(spec, "Note").validate(note)
    trashed = client.post(f"/api/notes/{note['id']}/trash").get_json()
    _validator(spec, "Note").validate(trashed)
    _validator(spec, "NotePage").validate(client.get("/api/notes").get_json())
    _validator(spec, "Label").validate(client.get(f"/api/labels/{label['id']}").get_json())
    _validator(spec, "Error").validate(client.get("/api/notes/0").get_json())


def test_swagger_ui_is_served_without_a_network(client):
    page = client.get("/api/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "https://" not in re.sub(r'href="https://[^"]*"', "", html.split("<body")[0])
    for asset in re.findall(r'(?:src|href)="(/swaggerui/[^"]+)"', html):
        response = client.get(asset)
        assert response.status_code == 200, asset
        response.close()


def test_a_notes_versions_match_their_schemas(client, spec, make_note):
    """A page's save has no device and the last page no next one: both are null."""
    note = make_note(title="v1")
    client.patch(f"/api/notes/{note['id']}", json={"title": "v2"})
    versions = client.get(f"/api/notes/{note['id']}/versions").get_json()
    assert versions["next_before"] is None and versions["versions"][0]["device"] is None
    _validator(spec, "VersionList").validate(versions)
    number = versions["versions"][0]["number"]
    version = client.get(f"/api/notes/{note['id']}/versions/{number}").get_json()
    _validator(spec, "Version").validate(version)
