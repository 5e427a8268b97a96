"""examples/chat.py runs as a user would run it, and the conversation is complete."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_chat_example_runs():
    env = {**os.environ, "ROC_NO_PLUGINS": "1"}
    done = subprocess.run([sys.executable, str(ROOT / "examples" / "chat.py")], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "ann: link connect"
    assert "ann: said 'hello', server answered 'HELLO'" in lines
    assert "bob: said 'bye', server answered 'bye, bob'" in lines
    assert [line for line in lines if "link" in line] == [
        "ann: link connect", "ann: link disconnect", "bob: link connect", "bob: link disconnect",
    ]
