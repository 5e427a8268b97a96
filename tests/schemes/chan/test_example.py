"""The chat examples run as a user would run them, and the conversations are complete."""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_chat_example_runs():
    env = {**os.environ, "ROC_NO_PLUGINS": "1"}
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "chat.py")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "ann: link connect"
    assert "ann: said 'hello', server answered 'HELLO'" in lines
    assert "bob: said 'bye', server answered 'bye, bob'" in lines
    assert [line for line in lines if "link" in line] == [
        "ann: link connect",
        "ann: link disconnect",
        "bob: link connect",
        "bob: link disconnect",
    ]


def test_chat_across_processes_survives_a_server_restart(tmp_path):
    """examples/chat_server.py and chat_client.py: the client prints its link events
    when the server is killed, and joins the restarted server's room."""
    env = {**os.environ, "ROC_NO_PLUGINS": "1", "PYTHONPATH": str(ROOT)}
    file = str(tmp_path / "chat.address")

    def start(script: str, *args: str) -> tuple[subprocess.Popen, queue.Queue]:
        process = subprocess.Popen(
            [
                sys.executable,
                str(ROOT / "examples" / script),
                "--address-file",
                file,
                "--heartbeat",
                "0.05",
                *args,
            ],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        lines: queue.Queue[str] = queue.Queue()
        threading.Thread(
            target=lambda: [lines.put(x.rstrip()) for x in process.stdout], daemon=True
        ).start()
        return process, lines

    def until(lines: queue.Queue, wanted: str) -> None:
        while (line := lines.get(timeout=10)) != wanted:
            assert "Traceback" not in line

    server, said = start("chat_server.py")
    client, shown = start("chat_client.py", "ann")
    try:
        assert said.get(timeout=10).startswith("chat server: gate at chan://127.0.0.1:")
        until(shown, "[link] connect")
        until(said, "* ann joined")
        client.stdin.write("hello\n")
        client.stdin.flush()
        until(said, "ann: hello")
        server.kill()
        server.wait(10)
        until(shown, "[link] tempFail")
        until(shown, "[link] permFail")
        os.remove(file)  # so the client waits for the new server's address
        server, said = start("chat_server.py")
        until(shown, "[link] connect")
        until(said, "* ann joined")
        client.stdin.write("again\n")
        client.stdin.flush()
        until(said, "ann: again")
        client.stdin.close()
        assert client.wait(10) == 0
    finally:
        for process in (server, client):
            if process.poll() is None:
                process.kill()
