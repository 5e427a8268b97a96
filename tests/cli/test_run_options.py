"""``roc run``: a script from stdin, ``--user``, and Ctrl-C (a real SIGINT to a real
process: exit 130 with the trace so far)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from click.testing import CliRunner

from kernel.cli import build_cli

COPY = (
    "<idoc><seq><instr><type>copy</type><operand>{}</operand>"
    "<target>this:response</target></instr></seq></idoc>"
)


def roc(*args, input=None):
    return CliRunner().invoke(build_cli(), list(args), input=input)


def test_dash_reads_the_script_from_stdin():
    result = roc("run", "-", input=COPY.format("data:,from%20stdin"))
    assert result.exit_code == 0, result.output
    assert result.stdout == "from stdin\n"


def test_stdin_syntax_errors_name_it():
    result = roc("run", "-", input="<idoc>\n<seq>\n</idoc>")
    assert result.exit_code == 1 and result.stderr.startswith("-:3:1: ")


def test_user_makes_the_script_run_as_that_principal(tmp_path):
    store = f"sqlite:///{tmp_path / 's.db'}"
    from kernel import Kernel

    with Kernel(config={"session": {"store": store}}, load_entrypoints=False) as k:
        uri = k.context().new("session:null", {"user": "alice"})
        k.context("alice").sink(uri + "+key@k", "v")
    script = COPY.format(uri + "+key@k")
    as_alice = roc("run", "-", "--store", store, "--user", "alice", input=script)
    assert as_alice.exit_code == 0 and as_alice.stdout == "v\n"
    as_nobody = roc("run", "-", "--store", store, input=script)
    assert as_nobody.exit_code == 1 and "UsernameMismatch" in as_nobody.stderr


def test_ctrl_c_exits_130_with_the_trace_so_far(tmp_path):
    started = tmp_path / "started"
    script = tmp_path / "forever.idoc"
    script.write_text(
        "<idoc><seq>"
        f"<instr><type>copy</type><operand>data:,go</operand><target>file:{started.name}</target></instr>"
        "<while><cond><instr><type>copy</type><operand><b>t</b></operand>"
        "<target>this:cond</target></instr></cond>"
        "<seq><instr><type>copy</type><operand>data:,spin</operand><target>var:x</target></instr></seq>"
        "</while></seq></idoc>"
    )
    config = tmp_path / "roc.toml"
    config.write_text(f'[file]\nroot = "{tmp_path}"\n')
    env = {**os.environ, "ROC_NO_PLUGINS": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-c", "from kernel.cli import main; main()", "run", str(script),
         "--trace", "--max-steps", "1000000000", "--config", str(config)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while not started.exists():  # bounded polling: the script has begun its loop
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the script never started"
            time.sleep(0.01)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, err
    assert "Aborted" not in err and "Traceback" not in err
    assert err.rstrip().endswith(f"{script}: interrupted")
    assert "file:started" in err  # the trace of what ran before the interrupt
    assert out == ""
