"""``roc run``: through click's runner, and end to end through a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from kernel.cli import build_cli

ROOT = Path(__file__).resolve().parents[2]


def instr(kind, target=None, **arguments):
    body = "".join(f"<{name}>{value}</{name}>" for name, value in arguments.items())
    tail = f"<target>{target}</target>" if target else ""
    return f"<instr><type>{kind}</type>{body}{tail}</instr>"


@pytest.fixture
def roc():
    runner = CliRunner()
    cli = build_cli()

    def invoke(*args):
        return runner.invoke(cli, list(args), catch_exceptions=False)

    return invoke


@pytest.fixture
def script(tmp_path):
    def write(text, name="script.idoc"):
        path = tmp_path / name
        path.write_text(text)
        return str(path)

    return write


def test_prints_xml_as_xml(roc, script):
    result = roc(
        "run", script("<idoc>" + instr("copy", "this:response", operand="<a>1</a>") + "</idoc>")
    )
    assert result.exit_code == 0
    assert result.stdout == "<a>1</a>\n"


def test_prints_text_as_text_and_other_values_as_json(roc, script):
    text = script(
        "<idoc>" + instr("copy", "this:response", operand="this:param:greeting") + "</idoc>"
    )
    result = roc("run", text, "--param", "greeting=hello world")
    assert result.stdout == "hello world\n"
    boolean = script("<idoc>" + instr("exists", "this:response", operand="data:,x") + "</idoc>")
    assert json.loads(roc("run", boolean).stdout) is True


def test_no_response_prints_nothing(roc, script):
    result = roc("run", script("<idoc/>"))
    assert (result.exit_code, result.stdout) == (0, "")


def test_syntax_error_is_script_line_column_message(roc, script):
    path = script("<idoc>\n  <nope/>\n</idoc>")
    result = roc("run", path)
    assert result.exit_code == 1
    first = result.stderr.splitlines()[0]
    assert (
        first == f"{path}:2:3: unknown control element <nope> in <idoc>: expected "
        "<instr>, <seq>, <if>, <choose>, <while>, <exception> or <comment>"
    )
    assert "  <nope/>" in result.stderr


def test_runtime_error_is_located_at_the_instruction(roc, script):
    path = script("<idoc>\n\n   " + instr("throw", id="data:,Oops", message="data:,no") + "</idoc>")
    result = roc("run", path)
    assert result.exit_code == 1
    assert result.stderr == f"{path}:3:4: Oops: no\n"


def test_step_limit_error(roc, script):
    loop = (
        "<idoc><while><cond>"
        + instr("copy", "this:cond", operand="<b>t</b>")
        + "</cond><seq/></while></idoc>"
    )
    path = script(loop)
    result = roc("run", path, "--max-steps", "100")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"{path}:1:20: ")
    assert "max_steps" in result.stderr


def test_trace_prints_the_tree_of_requests(roc, script, tmp_path):
    (tmp_path / "sub.idoc").write_text(
        "<idoc>" + instr("copy", "this:response", operand="this:param:x") + "</idoc>"
    )
    config = tmp_path / "roc.toml"
    config.write_text(f'[file]\nroot = "{tmp_path}"\n')
    path = script(
        "<idoc>"
        + instr("dpml", "this:response", operand="file:sub.idoc", x="data:,traced")
        + instr("source", operand="file:none")
        + "</idoc>"
    )
    result = roc("run", path, "--trace", "--config", str(config))
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0].startswith("├─ SOURCE active:dpml+operand@file:sub.idoc+x@data:,traced ")
    assert lines[0].endswith(" ok")
    assert lines[1].startswith("│  ├─ SOURCE file:sub.idoc ")
    assert any(line.startswith("│  └─ SOURCE active:copy+operand@this:param:x") for line in lines)
    assert any(line.startswith("│     └─ SOURCE data:,traced") for line in lines)
    assert any(
        line.startswith("└─ SOURCE active:source+operand@file:none")
        and line.endswith("ResourceNotFound")
        for line in lines
    )
    assert " ms " in lines[0]


def test_trace_of_a_runaway_script_keeps_the_first_requests(roc, script):
    loop = script(
        "<idoc><while><cond>"
        + instr("copy", "this:cond", operand="<b>t</b>")
        + "</cond><seq>"
        + instr("copy", "var:x", operand="data:,x")
        + "</seq></while></idoc>"
    )
    # one request an instruction (data:,x comes from the cache after the first time)
    result = roc("run", loop, "--trace", "--max-steps", "12000")
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 10_000 + 2  # the first 10,000 requests, the note, the error
    assert lines[-2].startswith("… ") and "more requests not shown (the first 10,000)" in lines[-2]
    assert "more than 12000 instructions" in lines[-1]
    assert lines[4].endswith(" cached")  # the second copy of data:,x


def test_bad_param_is_a_usage_error(roc, script):
    result = roc("run", script("<idoc/>"), "--param", "novalue")
    assert result.exit_code == 2
    assert "NAME=VALUE" in result.stderr


def test_missing_script_is_a_one_line_error(roc, tmp_path):
    path = str(tmp_path / "absent.idoc")
    result = roc("run", path)
    assert result.exit_code == 1
    assert result.stderr == f"{path}: cannot read the script: No such file or directory\n"


def test_a_huge_file_is_refused_unread(roc, tmp_path):
    huge = tmp_path / "huge.idoc"
    with open(huge, "wb") as f:  # sparse: 16 MiB + 1 byte, nothing written
        f.truncate((16 << 20) + 1)
    result = roc("run", str(huge))
    assert result.exit_code == 1
    assert result.stderr == f"{huge}: the script is larger than 16 MiB; is it DPML?\n"


def test_too_much_markup_is_a_one_line_error(roc, script):
    path = script("<idoc>" + "<seq/>" * 50_000 + "</idoc>")
    result = roc("run", path)
    assert result.exit_code == 1
    assert result.stderr == (
        f"{path}: the script has 50,002 markup characters ('<' and '&'), more than the "
        "50,000 DPML parses; split it into scripts that call each other\n"
    )


def test_bad_config_is_a_one_line_error(roc, script, tmp_path):
    config = tmp_path / "bad.toml"
    config.write_text("[nosuchtable]\nx = 1\n")
    result = roc("run", script("<idoc/>"), "--config", str(config))
    assert result.exit_code == 1
    assert "unknown config table 'nosuchtable'" in result.stderr


# -- a real process ----------------------------------------------------------------------


def run_roc(*args, cwd=ROOT):
    roc = Path(sys.executable).with_name("roc")
    command = (
        [str(roc)]
        if roc.exists()
        else [sys.executable, "-c", "from kernel.cli import main; main()"]
    )
    env = {**os.environ, "ROC_NO_PLUGINS": "1"}
    return subprocess.run(
        command + list(args), cwd=cwd, env=env, capture_output=True, text=True, timeout=60
    )


def test_subprocess_runs_a_script_calling_a_sub_script():
    done = run_roc("run", "examples/call-hello.idoc")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "<person>Ada</person>\n"


def test_subprocess_runs_the_while_if_exception_example():
    done = run_roc("run", "examples/retry.idoc")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "<greeting>hello, after one retry</greeting>\n"


def test_subprocess_param(tmp_path):
    done = run_roc("run", str(ROOT / "examples/hello.idoc"), "--param", "name=World")
    assert (done.returncode, done.stdout) == (0, "World\n")


def test_subprocess_errors_never_show_a_traceback(tmp_path):
    bad = tmp_path / "bad.idoc"
    bad.write_text("<idoc>\n  <seq>\n</idoc>\n")
    done = run_roc("run", str(bad))
    assert done.returncode == 1
    assert done.stderr.startswith(f"{bad}:3:1: end tag </idoc> does not match start tag <seq>")
    assert "Traceback" not in done.stderr
    digits = tmp_path / "digits.idoc"  # more digits than Python's int() converts
    digits.write_text("<idoc>" + instr("copy", operand="data:,&#" + "1" * 5000 + ";") + "</idoc>")
    done = run_roc("run", str(digits))
    assert done.returncode == 1
    assert done.stderr.startswith(f"{digits}:1:46: &#1111111111…; is not a character XML")
    assert "Traceback" not in done.stderr
    failing = tmp_path / "fail.idoc"
    failing.write_text("<idoc>" + instr("source", operand="nosuch:thing") + "</idoc>")
    done = run_roc("run", str(failing))
    assert done.returncode == 1
    assert done.stderr.startswith(f"{failing}:1:7: UnresolvedURI: ")
    assert "Traceback" not in done.stderr


def test_trace_marks_requests_served_from_the_cache(roc, script, tmp_path):
    (tmp_path / "data.txt").write_text("hello")
    config = tmp_path / "roc.toml"
    config.write_text(f'[file]\nroot = "{tmp_path}"\n')
    read = instr("copy", "var:x", operand="active:copy+operand@file:data.txt")
    result = roc(
        "run", script("<idoc>" + read + read + "</idoc>"), "--trace", "--config", str(config)
    )
    assert result.exit_code == 0
    lines = result.stderr.splitlines()
    assert lines[0].startswith("├─ SOURCE active:copy+operand@active:copy") and lines[0].endswith(
        " ok"
    )
    assert lines[2].startswith("│     └─ SOURCE file:data.txt") and lines[2].endswith(" ok")
    assert lines[3].startswith("└─ SOURCE active:copy+operand@active:copy")
    assert lines[3].endswith(" cached") and len(lines) == 4  # nothing ran beneath it
