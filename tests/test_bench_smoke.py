"""bench/run.py --quick completes: the benchmark stays runnable (its figures are in RESULTS.md)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_quick_benchmark_completes(tmp_path):
    output = tmp_path / "RESULTS.md"
    result = subprocess.run(
        [
            sys.executable,
            "bench/run.py",
            "--quick",
            "--work",
            str(tmp_path),
            "--output",
            str(output),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    text = output.read_text(encoding="utf-8")
    assert "## CSV export of every approved claim" in text
    assert "## Pages under load" in text
    assert "At most" in text and "SQL statements at any size" in text
