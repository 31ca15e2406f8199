"""Configuration: a small base class and one subclass per mode.

Class bodies hold constants only; anything read from the environment is read in
``create_app`` (see ``webapp/factory.py``), never here at import time.
"""

from __future__ import annotations

from webapp import boundary


class Config:
    """Settings shared by every mode."""

    NAME = "base"
    TESTING = False
    DEBUG = False
    # Where the SQLite file, the secret key and backups live; resolved in the factory.
    DATA_DIR: str | None = None
    # Any SQLAlchemy URL; defaults to ``sqlite:///<DATA_DIR>/kaap.sqlite3``.
    DATABASE_URL: str | None = None
    # Bring the database to the newest migration at start-up (after a backup).
    AUTO_MIGRATE = True
    # How many backups of each kind (daily, manual, pre-migrate, pre-restore, pre-sync) to keep.
    BACKUP_KEEP = 7
    # Start-up only glances at the SQLite file (header, size, schema); reading every page, the
    # daily backup and the trash purge wait for ``maintenance.after_start``, which the desktop
    # calls once its window shows (on a large file they took seconds).
    DEFER_HOUSEKEEPING = False
    # Keep compiled templates in <DATA_DIR>/cache/templates: a process that starts for every
    # window (the desktop) then renders its first page without compiling (10-20 ms).
    TEMPLATE_CACHE = False
    TRASH_DAYS = 7
    # How often (seconds) a request may trigger the trash purge.
    PURGE_INTERVAL = 3600
    # How long a pagination cursor stays valid (seconds).
    CURSOR_MAX_AGE = 24 * 3600
    # Sync's tombstones of deleted notes and labels are kept this long; a device that last
    # synced before that resyncs in full.
    SYNC_TOMBSTONE_DAYS = 90
    # Note history (webapp/history): a version per save, saves by one device within the
    # coalescing window replacing its newest; kept HISTORY_DAYS and at least HISTORY_KEEP.
    HISTORY = True
    HISTORY_COALESCE_SECONDS = 300
    HISTORY_DAYS = 30
    HISTORY_KEEP = 50
    # A search's statements stop after this long (503 search_too_costly), so a costly query
    # cannot hold a server thread (webapp/search/budget.py); 0 turns the bound off.
    SEARCH_TIMEOUT_MS = 2000
    # JSON bodies larger than this get 413 (a 1 MB body plus 1,000 items fits).
    MAX_CONTENT_LENGTH = 8 * 1024 * 1024
    # Image uploads: the whole request body, and the pixels one image may declare.
    IMAGE_MAX_BYTES = 25 * 1024 * 1024
    IMAGE_MAX_PIXELS = 50_000_000
    # What else the headers may declare before anything is decoded: a side of the canvas, the
    # frames of an animation, and the pixels of all the images of one request together.
    IMAGE_MAX_SIDE = 30_000
    IMAGE_MAX_FRAMES = 1000
    IMAGE_MAX_REQUEST_PIXELS = 200_000_000
    # Images decoded at once (the memory they take): 0 sizes it to the machine, one per CPU
    # while the worst images fit in half the memory. An upload waiting longer than
    # IMAGE_WAIT_SECONDS for its turn gets 503.
    IMAGE_WORKERS = 0
    IMAGE_WAIT_SECONDS = 30
    # A Google Takeout or Kaap export archive.
    IMPORT_MAX_BYTES = 4 * 1024 * 1024 * 1024
    # What one import may unpack (declared sizes, checked again while reading), and the text
    # (titles, bodies, checklist items, label names) it may add: small highly compressible
    # notes once grew the database by 1.5 GB from a 344 KB zip. The database grows about 4
    # bytes per byte of text (search text, index); a large Keep Takeout holds a few MB.
    IMPORT_MAX_UNCOMPRESSED_BYTES = 4 * 1024 * 1024 * 1024
    IMPORT_MAX_TEXT_BYTES = 64 * 1024 * 1024
    # Server mode (ACCOUNTS on): the text an account's notes may hold after an import.
    ACCOUNT_MAX_TEXT_BYTES = 256 * 1024 * 1024
    # Server mode: what an account's images may weigh, checked on sync's image uploads
    # (webapp/sync/blobs.py).
    ACCOUNT_MAX_IMAGE_BYTES = 10 * 1024 * 1024 * 1024
    SQLITE_BUSY_TIMEOUT_MS = 5000
    # Live windows (GET /api/events): each open stream holds one of the server's threads, so
    # there are at most this many, in all and per account; one over gets 503 or 429.
    # ``python -m webapp.serve`` gives waitress this many threads more than its --threads.
    EVENTS_MAX_STREAMS = 4
    EVENTS_MAX_STREAMS_PER_USER = 2
    # A stream ends after this long (EventSource comes back after EVENTS_RETRY_MS, with
    # Last-Event-ID); a comment every EVENTS_HEARTBEAT_SECONDS keeps proxies from closing an
    # idle one and lets the server notice a page that has gone.
    EVENTS_STREAM_SECONDS = 300
    EVENTS_HEARTBEAT_SECONDS = 15
    EVENTS_RETRY_MS = 3000
    # Space kept back in <DATA_DIR>/kaap.reserve and given up when the disk fills, so that
    # deleting notes and emptying the trash still work (see webapp/disk.py).
    DISK_RESERVE_BYTES = 8 * 1024 * 1024
    # Below this much free space the daily backup is skipped (logged); a full disk's 507
    # asks to free at least this much.
    DISK_MIN_FREE_BYTES = 16 * 1024 * 1024
    # App-specific cookie name: cookies ignore ports, so two apps on 127.0.0.1 would clash.
    SESSION_COOKIE_NAME = "kaap_session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_TIME_LIMIT = None
    WTF_CSRF_HEADERS = ["X-CSRFToken", "X-CSRF-Token"]
    RESTX_MASK_SWAGGER = False
    RESTX_ERROR_404_HELP = False
    JSON_SORT_KEYS = False
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    # The local boundary (webapp/security.py): every request must carry the per-launch token,
    # first in the start URL, then in this cookie. Off except in desktop mode.
    REQUIRE_LAUNCH_TOKEN = False
    # Given by the desktop shell; generated (and so unknown to anyone) if it is missing.
    LAUNCH_TOKEN: str | None = None
    LAUNCH_COOKIE_NAME = boundary.LAUNCH_COOKIE_NAME
    # Server mode (webapp/accounts): people register and log in, each sees only their own
    # notes. Off on the desktop (one local user, no login) and in tests unless they ask.
    ACCOUNTS = False
    # After the first account (which becomes admin): may anyone register, or only an admin?
    OPEN_SIGNUP = False
    PERMANENT_SESSION_LIFETIME = 30 * 24 * 3600
    # Login attempts, per address and per account (in the `limits` library's notation);
    # each is counted before its password is checked, a success clears its account's count.
    # In memory by default; a redis:// URL shares them between processes.
    RATELIMIT_STORAGE_URI = "memory://"
    LOGIN_LIMIT_PER_ADDRESS = "30 per 10 minutes"
    LOGIN_LIMIT_PER_ACCOUNT = "10 per 10 minutes"
    SIGNUP_LIMIT_PER_ADDRESS = "10 per hour"
    # Server mode (webapp/hosting): one log line per request, and how many proxies in front
    # to believe about the client's address, scheme and host (0: none, the client is direct).
    LOG_REQUESTS = False
    PROXY_FIX = 0
    # The host names a server answers to besides 127.0.0.1 and localhost (webapp/security.py):
    # a request for another (a DNS-rebinding page's) gets 400. None: the listen address.
    TRUSTED_HOSTS: list[str] | None = None
    # Where ``python -m webapp.serve`` listens (its --host); None when something else serves.
    LISTEN_HOST: str | None = None
    # With accounts off, anyone who reaches the port reads and writes every note: a server on
    # a non-loopback address refuses to start that way unless this says so.
    SERVE_WITHOUT_ACCOUNTS = False
    # The desktop's sync token (webapp/sync/device): in the OS keyring when one is usable,
    # else in a 0600 file. Off: always the file (tests, so they never touch a real keyring).
    SYNC_KEYRING = True
    # The desktop's background sync (webapp/sync/device/worker.py): at start, this long after
    # the last of a burst of local changes, every interval, and while the server cannot be
    # reached, again after the first retry wait, doubling up to the longest.
    SYNC_WORKER = True
    SYNC_DEBOUNCE_SECONDS = 3.0
    SYNC_INTERVAL_SECONDS = 45.0
    SYNC_RETRY_FIRST_SECONDS = 5.0
    SYNC_RETRY_MAX_SECONDS = 60.0


class DevelopmentConfig(Config):
    NAME = "development"
    DEBUG = True
    ACCOUNTS = True


class TestingConfig(Config):
    NAME = "testing"
    TESTING = True
    # scrypt at 1/32 of its default cost: the rules and the code path are the same, the
    # suite's many logins are not 100 ms each. Every other mode uses werkzeug's default.
    PASSWORD_HASH_METHOD = "scrypt:1024:8:1"
    DISK_RESERVE_BYTES = 0  # 8 MB written per app would slow the suite; disk tests set it
    SYNC_KEYRING = False
    SYNC_WORKER = False  # tests that want it turn it on (and stop it)


class ProductionConfig(Config):
    NAME = "production"
    SESSION_COOKIE_SECURE = True
    ACCOUNTS = True
    LOG_REQUESTS = True
    # A pooled connection the database dropped (a restart) is replaced, not handed out.
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}


class DesktopConfig(Config):
    NAME = "desktop"
    DEFER_HOUSEKEEPING = True
    TEMPLATE_CACHE = True
    REQUIRE_LAUNCH_TOKEN = True
    # Werkzeug compares host names without the port: a foreign Host (DNS rebinding) gets 400.
    TRUSTED_HOSTS = ["127.0.0.1", "localhost"]
    SESSION_COOKIE_SAMESITE = "Strict"
    # desktop/server.py serves on 4 threads: the window's stream (and a reloaded window's,
    # until its heartbeat finds it gone) leaves at least two for requests.
    EVENTS_MAX_STREAMS = 2


CONFIGS: dict[str, type[Config]] = {
    cls.NAME: cls for cls in (DevelopmentConfig, TestingConfig, ProductionConfig, DesktopConfig)
}


def max_body_size(config) -> int:
    """The largest request body any endpoint accepts, with room for the multipart framing:
    what the WSGI server (waitress refuses over 1 GB by default) must let through, so the
    app's own limits answer with their clear errors."""
    keys = ("MAX_CONTENT_LENGTH", "IMAGE_MAX_BYTES", "IMPORT_MAX_BYTES")
    return max(int(config.get(key) or 0) for key in keys) + 1024 * 1024
