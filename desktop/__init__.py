"""Kaap's desktop shell: the web app on 127.0.0.1 in a native window (see ``main``)."""
