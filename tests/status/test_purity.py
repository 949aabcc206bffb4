"""The rule is plain Python: importing it loads no database layer, so it can be read, tested
and reused on its own."""

from __future__ import annotations

import subprocess
import sys


def test_the_rule_and_its_history_load_without_sqlalchemy():
    code = (
        "import sys, app.status.derive, app.status.history, app.status.worked_cases; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('sqlalchemy', 'fastapi')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
