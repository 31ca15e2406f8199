import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from webapp import ConfigError, create_app
from webapp.extensions import db


def test_importing_the_package_has_no_side_effects(tmp_path):
    code = "import webapp, webapp.models, webapp.api.core, webapp.serve, webapp.cli"
    subprocess.run([sys.executable, "-c", code], cwd=os.getcwd(), check=True, env={
        **os.environ, "HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "data")})  # fmt: skip
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("mode", ["development", "testing", "desktop"])
def test_mode_by_argument(tmp_path, mode):
    app = create_app({"CONFIG": mode, "DATA_DIR": str(tmp_path)})
    assert app.config["CONFIG"] == mode


def test_mode_and_settings_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("KAAP_CONFIG", "testing")
    monkeypatch.setenv("KAAP_DATA_DIR", str(tmp_path / "here"))
    monkeypatch.setenv("KAAP_TRASH_DAYS", "30")
    app = create_app()
    assert app.testing
    assert app.config["TRASH_DAYS"] == 30
    assert (tmp_path / "here" / "kaap.sqlite3").exists()


def test_unknown_mode_is_a_clear_error():
    with pytest.raises(ConfigError, match="Unknown KAAP_CONFIG"):
        create_app("staging")


def test_desktop_data_dir_defaults_to_the_per_user_directory(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    monkeypatch.delenv("KAAP_DATA_DIR", raising=False)
    app = create_app("desktop")
    assert app.config["DATA_DIR"] == str(tmp_path / "Kaap")


def test_development_data_dir_defaults_to_the_instance_folder(monkeypatch):
    monkeypatch.delenv("KAAP_DATA_DIR", raising=False)
    app = create_app({"CONFIG": "development", "AUTO_MIGRATE": False})
    assert app.config["DATA_DIR"] == app.instance_path


def test_production_refuses_to_start_without_a_secret_key(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("KAAP_SECRET_KEY", raising=False)
    url = f"sqlite:///{tmp_path / 'kaap.sqlite3'}"
    with pytest.raises(ConfigError, match="SECRET_KEY is not set"):
        create_app({"CONFIG": "production", "DATA_DIR": str(tmp_path), "DATABASE_URL": url})


def test_production_refuses_to_start_without_a_database_url(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "from-env")
    monkeypatch.delenv("KAAP_DATABASE_URL", raising=False)
    with pytest.raises(ConfigError, match="KAAP_DATABASE_URL is not set"):
        create_app({"CONFIG": "production", "DATA_DIR": str(tmp_path)})
    assert list(tmp_path.iterdir()) == []


def test_serve_explains_the_refusal_and_exits_2(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"KAAP_DATABASE_URL", "SECRET_KEY"}}
    env.update(KAAP_CONFIG="production", SECRET_KEY="from-env", KAAP_DATA_DIR=str(tmp_path))
    done = subprocess.run([sys.executable, "-m", "webapp.serve", "--port", "0"], env=env,
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1].startswith("kaap: KAAP_DATABASE_URL is not set")


def test_production_takes_the_secret_key_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "from-env")
    url = f"sqlite:///{tmp_path / 'kaap.sqlite3'}"
    app = create_app({"CONFIG": "production", "DATA_DIR": str(tmp_path), "DATABASE_URL": url})
    assert app.secret_key == "from-env"
    assert not (tmp_path / "secret_key").exists()


def test_other_modes_keep_a_generated_key_private_and_stable(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = create_app({"CONFIG": "testing", "DATA_DIR": str(tmp_path)})
    second = create_app({"CONFIG": "testing", "DATA_DIR": str(tmp_path)})
    key_file = tmp_path / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert first.secret_key == second.secret_key == key_file.read_text().strip()
    assert len(first.secret_key) >= 32


def test_sqlite_connections_are_configured(app):
    with app.app_context(), db.engine.connect() as conn:
        pragma = lambda name: conn.execute(text(f"PRAGMA {name}")).scalar()  # noqa: E731
        assert pragma("journal_mode") == "wal"
        assert pragma("foreign_keys") == 1
        assert pragma("synchronous") == 1  # NORMAL
        assert pragma("busy_timeout") == 5000


def test_database_url_setting_is_used(tmp_path):
    url = f"sqlite:///{tmp_path / 'elsewhere.db'}"
    app = create_app({"CONFIG": "testing", "DATA_DIR": str(tmp_path), "DATABASE_URL": url})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == url
    assert (tmp_path / "elsewhere.db").exists()


def test_the_version_is_the_one_in_pyproject():
    """The desktop's shell cache is keyed by it (desktop/thin.py): an upgrade must change it."""
    import tomllib

    import webapp

    project = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())
    assert webapp.__version__ == project["project"]["version"]


def test_importing_the_package_loads_no_flask():
    """The desktop's first page imports webapp.boundary and webapp.snapshot.files only."""
    code = (
        "import sys, webapp.boundary, webapp.snapshot.files, webapp.paths; "
        "print(sorted({'flask', 'werkzeug', 'jinja2', 'sqlalchemy'} & set(sys.modules)))"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "[]"
