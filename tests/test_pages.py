import re
from pathlib import Path

import pytest


def test_index_is_the_app_shell_with_its_modules(client):
    page = client.get("/").get_data(as_text=True)
    assert 'type="module" src="/static/js/app.js"' in page
    assert "Notes you add appear here" in page


def test_index_preloads_every_module_its_script_imports(client):
    """The web view fetches them at once, not one level of imports after another."""
    page = client.get("/").get_data(as_text=True)
    preloaded = set(re.findall(r'<link rel="modulepreload" href="/static/js/([\w.-]+)">', page))
    js = Path(__file__).parent.parent / "webapp" / "static" / "js"
    imports = re.compile(r"""^\s*(?:import|export)\b[^"';]*?["']\./([\w.-]+)["']""", re.M)
    reachable, todo = set(), ["app.js"]
    while todo:
        for name in imports.findall((js / todo.pop()).read_text()):
            if name not in reachable:
                reachable.add(name)
                todo.append(name)
    assert preloaded == reachable - {"app.js"}
    assert "noteform.js" in preloaded  # imported by composer.js and editor.js, not app.js


@pytest.mark.parametrize("app_settings", [{"TEMPLATE_CACHE": True}])
def test_compiled_templates_are_kept_by_name_for_the_next_start(client, data_dir):
    from webapp.pages import TemplateCache

    assert client.get("/").status_code == 200
    assert len(list((data_dir / "cache" / "templates").iterdir())) == 2  # index and base
    # Not by path: the one-file executable unpacks its templates somewhere new every time.
    cache = TemplateCache(str(data_dir))
    assert cache.get_cache_key("pages/index.html", "/tmp/_MEI1/x") == cache.get_cache_key(
        "pages/index.html", "/tmp/_MEI2/x"
    )


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


def test_favicon_ico_is_served_at_the_root(client):
    with client.get("/favicon.ico") as response:
        assert response.status_code == 200
        assert response.mimetype == "image/vnd.microsoft.icon"
        assert response.data[:4] == b"\x00\x00\x01\x00"  # an ICO file


def test_the_manifest_names_the_app_and_its_icons_with_its_own_type(client):
    response = client.get("/manifest.webmanifest")
    assert response.mimetype == "application/manifest+json"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    manifest = response.get_json(force=True)
    assert (manifest["name"], manifest["start_url"], manifest["display"]) == (
        "Kaap",
        "/",
        "standalone",
    )
    for icon in manifest["icons"]:
        with client.get(icon["src"]) as image:
            assert image.status_code == 200 and image.mimetype == "image/png"
            assert f"{_png_size(image.data)}x{_png_size(image.data)}" == icon["sizes"]
    assert sorted(icon["sizes"] for icon in manifest["icons"]) == ["192x192", "512x512"]


def _png_size(data: bytes) -> int:
    return int.from_bytes(data[16:20], "big")  # the IHDR width (the icons are square)


def test_every_page_links_the_icon_and_the_manifest(client):
    page = client.get("/").get_data(as_text=True)
    assert '<link rel="icon" href="/favicon.ico"' in page
    assert (
        '<link rel="manifest" href="/manifest.webmanifest" crossorigin="use-credentials">' in page
    )
