import pytest

from webapp.dialogs import EXTENSION


class WindowDialogs:
    """What the desktop shell puts in place: the page is the window's (data-desktop)."""

    native = True


@pytest.fixture
def desktop(app):
    app.extensions[EXTENSION] = WindowDialogs()
    return app
