"""The seed's session script (ext_session guide), unchanged, end to end."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

import dpml

ROOT = Path(__file__).resolve().parents[2]
SEED = """<idoc>
  <seq>
    <instr><type>new</type><operand>session:null</operand><target>var:session</target></instr>
    <instr><type>buildSessionResourceURI</type><operand>var:session</operand>
      <operator><key>myresource</key></operator><target>var:uri</target></instr>
    <instr><type>copy</type><operand><hello>session data</hello></operand><target>curi:var:uri</target></instr>
    <instr><type>copy</type><operand>curi:var:uri</operand><target>this:response</target></instr>
  </seq>
</idoc>"""  # noqa: E501 - the seed, verbatim
BARE = SEED.removeprefix("<idoc>").removesuffix("</idoc>")


def test_example_file_is_the_seed_script():
    assert (ROOT / "examples" / "session.idoc").read_text().strip() == SEED


@pytest.mark.parametrize("script", [SEED, BARE], ids=["idoc", "implicit idoc"])
def test_seed_script_runs_unchanged(ctx, script):
    response = dpml.run(script, ctx)
    assert ET.tostring(response, encoding="unicode") == "<hello>session data</hello>"


def test_seed_script_leaves_a_live_session_holding_the_value(ctx):
    script = SEED.replace("<target>this:response</target>", "<target>var:value</target>").replace(
        "</seq>",
        "<instr><type>copy</type><operand>var:session</operand>"
        "<target>this:response</target></instr></seq>",
    )
    session = dpml.run(script, ctx)
    assert re.fullmatch(r"session:[0-9A-F]{32}", session)
    assert ctx.exists(session)
    value = ctx.source(session + "+key@myresource")
    assert ET.tostring(value, encoding="unicode") == "<hello>session data</hello>"


def test_roc_run_the_session_example(tmp_path):
    roc = Path(sys.executable).with_name("roc")
    store = f"sqlite:///{tmp_path / 'sessions.db'}"
    done = subprocess.run(
        [str(roc), "run", "examples/session.idoc", "--store", store, "--trace"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "ROC_NO_PLUGINS": "1"},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "<hello>session data</hello>\n"
    # the trace shows the session's requests, never a full 128-bit session id
    assert "SINK session:" in done.stderr and "+key@myresource" in done.stderr
    assert not re.search(r"[0-9A-F]{32}", done.stderr)
