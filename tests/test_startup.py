"""Start-up does only what the first page needs (see bench/startup.py and bench/RESULTS.md)."""

import subprocess
import sys
from pathlib import Path

from alembic.script import ScriptDirectory

from webapp.database import MIGRATIONS_DIR, head_revision, script_revisions


def test_revisions_read_from_the_scripts_agree_with_alembic():
    script = ScriptDirectory(str(MIGRATIONS_DIR))
    assert head_revision() == script.get_current_head()
    assert script_revisions() == {
        rev.revision: rev.down_revision for rev in script.walk_revisions()
    }


def test_starting_on_a_current_database_imports_no_alembic(data_dir):
    code = (
        "import sys; from webapp import create_app; "
        f"create_app({{'CONFIG': 'testing', 'DATA_DIR': {str(data_dir)!r}}}); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('alembic', 'flask_migrate')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).parents[1],
    )
    assert result.stdout.strip() == "[]"
