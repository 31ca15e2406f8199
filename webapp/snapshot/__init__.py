"""The snapshot of the last Notes view drawn, shown stale at the next desktop launch.

The page sends its cards' HTML (``api``); ``service`` sanitizes it with nh3 and stores it;
``files`` (standard library only) is what the desktop's thin first-page path reads, before
Flask is imported, to inline it into the cached shell.
"""
