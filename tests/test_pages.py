import re


def test_index_is_the_app_shell_with_its_modules(client):
    page = client.get("/").get_data(as_text=True)
    assert 'type="module" src="/static/js/app.js"' in page
    assert "Notes you add appear here" in page


def test_index_carries_the_csrf_token_for_the_scripts(client):
    page = client.get("/").get_data(as_text=True)
    token = re.search(r'<meta name="csrf-token" content="([^"]+)">', page)
    assert token and token.group(1)


def test_index_has_no_inline_scripts_or_styles(client):
    page = client.get("/").get_data(as_text=True)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page)
    assert "<style" not in page
    assert " style=" not in page


def test_index_does_not_embed_note_text(client, make_note):
    make_note(title="<script>alert(1)</script>")
    page = client.get("/").get_data(as_text=True)
    assert "alert(1)" not in page


def test_static_scripts_use_no_html_sinks():
    from pathlib import Path

    js = Path(__file__).parent.parent / "webapp" / "static" / "js"
    sinks = re.compile(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(")
    offenders = [p.name for p in js.glob("*.js") if sinks.search(p.read_text(encoding="utf-8"))]
    assert offenders == []
