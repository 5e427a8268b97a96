"""The one-shot commands, ``run -`` and ``--set`` through a real ``roc`` process."""

from __future__ import annotations

import json
import os
import subprocess
import sys


def roc(*args, input=None, cwd=None):
    env = {**os.environ, "ROC_NO_PLUGINS": "1"}
    return subprocess.run(
        [sys.executable, "-c", "from kernel.cli import main; main()", *args],
        input=input,
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=cwd,
    )


def test_sink_from_stdin_then_source_exists_delete(tmp_path):
    root = ["--set", f"file.root={json.dumps(str(tmp_path))}"]
    done = roc("sink", "file:cart.json", "-", *root, input='{"items": [1, 2]}')
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "cart.json").read_text() == '{"items": [1, 2]}'
    assert roc("source", "file:cart.json", *root).stdout == '{"items": [1, 2]}\n'
    typed = roc("sink", "--json", "file:cart.json", "-", *root, input='{"items": [1, 2]}')
    assert typed.returncode == 1 and "file: stores str, bytes or XML" in typed.stderr
    assert roc("exists", "file:cart.json", *root).stdout == "true\n"
    assert roc("delete", "file:cart.json", *root).stdout == "true\n"
    missing = roc("source", "file:cart.json", *root)
    assert missing.returncode == 1 and missing.stderr.count("\n") == 1
    assert "Traceback" not in missing.stderr


def test_run_reads_stdin_and_takes_set(tmp_path):
    (tmp_path / "note.txt").write_text("from the root")
    script = (
        "<idoc><instr><type>copy</type><operand>file:note.txt</operand>"
        "<target>this:response</target></instr></idoc>"
    )
    done = roc("run", "-", "--set", f"file.root={json.dumps(str(tmp_path))}", input=script)
    assert (done.returncode, done.stdout) == (0, "from the root\n"), done.stderr


def test_config_and_plugins_json_parse_back():
    tables = json.loads(roc("config", "--json").stdout)
    assert {"kernel", "file", "session", "chan", "http"} <= set(tables)
    plugins = {row["name"] for row in json.loads(roc("plugins", "--json").stdout)}
    assert "kernel.builtins" in plugins and "hello" not in plugins  # ROC_NO_PLUGINS=1
