"""The snapshot of the last Notes view drawn, shown stale at the next desktop launch.

The page sends its cards' HTML (``api``); ``service`` sanitizes it with nh3 and stores it;
``files`` (standard library only) is what the desktop's thin first-page path reads, before
Flask is imported, to inline it into the cached shell.
"""


def init_app(app) -> None:
    """A note deleted forever leaves no copy of its text in the snapshot: the file goes with
    the deletion's commit (the page sends a new one soon after), not at the next snapshot.
    Accounts off only: there is no snapshot in server mode."""
    if app.config["ACCOUNTS"]:
        return
    from webapp.snapshot import files

    data_dir = app.config["DATA_DIR"]

    def forget(owner_id: int, kind: str) -> None:
        if kind == "deleted":
            try:
                files.remove(data_dir)
            except OSError:  # a read-only disk, say: the next snapshot replaces it
                app.logger.warning("could not remove the notes' snapshot", exc_info=True)

    app.extensions["kaap.events"].add_listener(forget)
