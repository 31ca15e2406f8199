"""The page the desktop's just-built app renders is the window's (data-desktop), or it would
never save a snapshot: on a first launch there is no cached shell, and the page's request is
waiting in DeferredApp when the build ends."""

from werkzeug.test import Client

from desktop.main import parse_args
from desktop.shell import Shell
from webapp.extensions import db


def test_the_first_page_after_the_build_is_the_desktops(tmp_path):
    shell = Shell(parse_args(["--data-dir", str(tmp_path)]))
    shell.data_dir = tmp_path
    shell.window = object()  # the window exists before the build starts (its page's load)
    shell.serve()
    try:
        shell.deferred.start()
        assert shell.deferred.wait(60)
        # answered as soon as the build ends, before the window's thread hears of it
        client = Client(shell.deferred, use_cookies=False)
        page = client.get(
            "/",
            base_url=shell.server.base_url,
            headers={"Cookie": f"kaap_launch={shell.token}"},
        ).get_data(as_text=True)
        assert 'data-desktop="true"' in page
    finally:
        shell.server.stop()
        with shell.deferred.app.app_context():
            db.engine.dispose()
