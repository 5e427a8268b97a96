"""examples/sessions.py runs and tells its story."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).parents[3] / "examples" / "sessions.py"


def test_example_runs():
    out = subprocess.run(
        [sys.executable, str(EXAMPLE)],
        capture_output=True,
        text=True,
        timeout=60,
        env={"ROC_NO_PLUGINS": "1", "PATH": ""},
    )
    assert out.returncode == 0, out.stderr
    assert "sourced <hello>session data</hello>" in out.stdout
    assert "after another 600 s: SessionExpired" in out.stdout
    assert "mallory may not read alice's session" in out.stdout
    assert "evicted by her third login" in out.stdout
